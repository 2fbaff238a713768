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
    """Rows the CTCAE term (and parameter); columns per arm: worst grade 1, 2, 3, 4 and at least the
    threshold, n (%). The percentages are of the arm's subjects with a graded value of the term: when that
    number is the same for every term, the arm's heading says it ("Placebo (N = 101)"); when it is not, an N
    column leads the arm's columns, so that no row's percentages rest on a number the table does not show."""
    s = result.summary[(result.summary["name"] == "at_least") | (result.summary["category"] != "0")]
    arms = list(dict.fromkeys([*result.parameters.get("arms", []), *s["group"]]))
    categories = list(dict.fromkeys(s.loc[s["name"] == "worst", "category"]))
    categories += list(dict.fromkeys(s.loc[s["name"] == "at_least", "category"]))
    denominators = {a: set(s.loc[s["group"] == a, "denominator"]) for a in arms}
    rows = {}
    for _, r in s.iterrows():
        row = rows.setdefault((r["term"], r["label"]), {"CTCAE term (parameter)": f"{r['term']} ({r['label']})"})
        row[(r["group"], r["category"])] = fmt.n_pct(r["n"], r["denominator"])
        row[(r["group"], "N")] = f"{int(r['denominator'])}"
    table = pd.DataFrame(list(rows.values())).set_index("CTCAE term (parameter)")
    columns, names = [], []
    for arm in arms:
        one = len(denominators[arm]) == 1
        head = f"{arm} (N = {int(next(iter(denominators[arm])))})" if one else arm
        for category in ([] if one else ["N"]) + categories:
            columns.append((arm, category))
            names.append(f"{head}: {'N' if category == 'N' else 'grade ' + category}")
    table = table.reindex(columns=columns)
    table.columns = names
    return table


def vitals_table(result: Result) -> pd.DataFrame:
    """A row naming each parameter, then one row per visit and arm (the visit on the first arm's); columns
    the value and the change from baseline, each n, mean (SD), median (Q1, Q3), and min, max: what the
    method says."""
    stats = (("n", lambda r: f"{int(r['n'])}"),
             ("Mean (SD)", lambda r: f"{fmt.num(r['mean'], 1)} ({fmt.num(r['sd'], 1)})"),
             ("Median (Q1, Q3)", lambda r: f"{fmt.num(r['median'], 1)} {fmt.ci(r['q1'], r['q3'], 1)}"),
             ("Min, max", lambda r: f"{fmt.num(r['min'], 1)}, {fmt.num(r['max'], 1)}"))
    whats = {"AVAL": "Value", "CHG": "Change"}
    rows, index = {}, []
    for _, r in result.summary.iterrows():
        key = (r["label"], r["time"], r["group"])
        if key not in rows:
            if not any(k[0] == key[0] for k in rows):
                rows[(r["label"],)] = {}
                index.append(r["label"])
            index.append("" if any(k[:2] == key[:2] for k in rows) else r["term"])
            rows[key] = {"Arm": r["group"]}
        for title, cell in stats:
            rows[key][f"{whats[r['category']]}: {title}"] = cell(r) if r["n"] else ("0" if title == "n" else "")
    return pd.DataFrame(list(rows.values()), index=pd.Index(index, name="Parameter, visit")).fillna("")


TABLES = {"treg": treg_table, "shift": shift_table, "grades": grades_table, "vitals": vitals_table}


def table_for(key: str, result: Result) -> pd.DataFrame | None:
    """The table of a secondary Result by its key ('TREG/TLR', 'LAB/shift', ...), None when skipped or when
    the key is not one of these analyses."""
    if not result.done:
        return None
    kind = {"TREG": "treg", "LAB/shift": "shift", "LAB/grades": "grades", "VS/by_visit": "vitals"}
    name = kind.get(key.split("/")[0]) or kind.get(key)
    return TABLES[name](result) if name else None
