"""The secondary analyses of ADLB and ADVS as a clinical study report shows them: frames of formatted
text, one function per table (the numbers stay in the Results and their CSV)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis import fmt
from cdisc_mirocals.analysis.result import Result


def treg_table(result: Result) -> pd.DataFrame:
    """One row per visit and time point: n and LS mean change (SE) per arm, the difference with its CI, p."""
    arms = result.parameters["arms"]
    level = f"{100 * result.parameters['confidence_level']:g}%"
    rows = []
    for term, part in result.summary.groupby("term", sort=False):
        row = {"Visit, time point": term}
        for arm in arms:
            m = part[(part["name"] == "lsmean") & (part["group"] == arm)].iloc[0]
            row[f"{arm}: n"] = f"{int(m['n'])}"
            row[f"{arm}: LS mean change (SE)"] = f"{fmt.num(m['estimate'], 2)} ({fmt.num(m['se'], 2)})"
        for _, d in part[part["name"] == "difference"].iterrows():
            row[f"{d['group']} ({level} CI)"] = fmt.estimate_ci(d["estimate"], d["ci_lower"], d["ci_upper"], 2)
            row["p"] = fmt.pvalue(d["p"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("Visit, time point")


def shift_table(result: Result) -> pd.DataFrame:
    """Rows parameter, direction, arm and baseline indicator (baseline categories with subjects); columns
    the post-baseline indicator, n (%)."""
    s = result.summary
    posts = result.parameters["indicators"]
    rows = []
    keys = ["label", "name", "group", "baseline"]
    for (label, name, arm, base), part in s.groupby(keys, sort=False):
        if part["n"].sum() == 0:
            continue
        cells = part.set_index("post")
        rows.append({"Parameter, value": f"{label}, {name}", "Arm": arm, "Baseline": base,
                     **{p: fmt.n_pct(cells.loc[p, "n"], cells.loc[p, "denominator"]) for p in posts}})
    return pd.DataFrame(rows).set_index("Parameter, value")


def grades_table(result: Result) -> pd.DataFrame:
    """Rows the CTCAE term (and parameter); columns per arm: worst grade 1 to 4 and at least the threshold."""
    s = result.summary[(result.summary["name"] == "at_least") | (result.summary["category"] != "0")]
    rows = {}
    for _, r in s.iterrows():
        row = rows.setdefault((r["term"], r["label"]), {"CTCAE term (parameter)": f"{r['term']} ({r['label']})"})
        column = f"{r['group']}: grade {r['category']}"
        row[column] = fmt.n_pct(r["n"], r["denominator"])
        row[f"{r['group']}: N"] = f"{int(r['denominator'])}"
    return pd.DataFrame(list(rows.values())).set_index("CTCAE term (parameter)")


def vitals_table(result: Result) -> pd.DataFrame:
    """Rows parameter and visit; per arm: n, mean (SD) of AVAL, n and mean (SD) of CHG."""
    rows = {}
    for _, r in result.summary.iterrows():
        row = rows.setdefault((r["label"], r["time"]), {"Parameter, visit": f"{r['label']}, {r['term']}"})
        what = "value" if r["category"] == "AVAL" else "change"
        row[f"{r['group']}: n ({what})"] = f"{int(r['n'])}"
        row[f"{r['group']}: mean (SD) {what}"] = "" if not r["n"] else \
            f"{fmt.num(r['mean'], 1)} ({fmt.num(r['sd'], 1)})"
    return pd.DataFrame(list(rows.values())).set_index("Parameter, visit")


TABLES = {"treg": treg_table, "shift": shift_table, "grades": grades_table, "vitals": vitals_table}


def table_for(key: str, result: Result) -> pd.DataFrame | None:
    """The table of a secondary Result by its key ('TREG/TLR', 'LAB/shift', ...), None when skipped or when
    the key is not one of these analyses."""
    if not result.done:
        return None
    kind = {"TREG": "treg", "LAB/shift": "shift", "LAB/grades": "grades", "VS/by_visit": "vitals"}
    name = kind.get(key.split("/")[0]) or kind.get(key)
    return TABLES[name](result) if name else None
