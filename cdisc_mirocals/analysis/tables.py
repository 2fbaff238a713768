"""The results as a clinical study report shows them: frames of formatted text, one function per table.
They only format numbers the Results hold; the CSV files keep the numbers themselves."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis import fmt
from cdisc_mirocals.analysis.result import Result
from cdisc_mirocals.analysis.survival import COX, ParamResults


def survival_table(r: ParamResults) -> pd.DataFrame:
    """Kaplan-Meier estimates, one column per arm."""
    km = r["km"]
    if not km.done:
        return pd.DataFrame()
    level = f"{100 * (1 - r.data.options.alpha):g}%"
    out = {}
    for arm in r.data.arms:
        med = km.row("median", group=arm)
        col = {"Subjects": f"{int(med['n'])}",
               "Events, n (%)": fmt.n_pct(med["events"], med["n"]),
               "Censored": f"{int(med['n'] - med['events'])}",
               f"Median, days ({level} CI)": f"{fmt.num(med['estimate'], 0)} {fmt.ci(med['ci_lower'], med['ci_upper'], 0)}"}
        for _, s in km.rows("survival", group=arm).iterrows():
            col[f"Survival at day {s['time']:g} ({level} CI)"] = fmt.estimate_ci(s["estimate"], s["ci_lower"],
                                                                                   s["ci_upper"], 3)
        out[arm] = col
    table = pd.DataFrame(out)
    table.index.name = f"{r.data.paramcd} ({r.data.options.ci_transform} CI)"
    return table


def at_risk_table(r: ParamResults) -> pd.DataFrame:
    """Subjects at risk by arm at each day asked for (--at-risk-times, or 0 and the survival times)."""
    table = r.at_risk.copy()
    table.columns = [f"Day {t:g}" for t in table.columns]
    table = table.astype(int).astype(str)
    table.index.name = "Number at risk"
    return table


def comparison_table(r: ParamResults) -> pd.DataFrame:
    """Tests and models, one row per comparison; a skipped analysis shows why."""
    rows = []
    for name, res in r.results.items():
        if name == "km":
            continue
        first = len(rows)
        base = {"Analysis": res.title, "Key": res.key}
        if not res.done:
            rows.append({**base, "Estimate (95% CI)": "", "p": "", "Note": f"not done: {res.skipped}"})
            continue
        if name.startswith("logrank"):
            lr = res.row("logrank")
            arms = r.data.arms  # two arms: the one compared with the reference; more: a test of them all
            compared = f"{arms[1]} vs {arms[0]}" if len(arms) == 2 else f"all arms ({', '.join(arms)})"
            rows.append({**base, "Comparison": compared, "Estimate (95% CI)": f"chi-square {lr['statistic']:.2f} "
                         f"({int(lr['df'])} df)", "p": fmt.pvalue(lr["p"]), "N (events)": f"{res.n} ({res.events})"})
        elif name in COX:
            ph = res.get("ph_global", "p")
            common = {"PH test p (global)": fmt.pvalue(ph), "N (events)": f"{res.n} ({res.events})"}
            for row_name, what in (("hr", "HR"), ("hr_low", "HR"), ("hr_high", "HR"), ("interaction", "ratio of HRs")):
                for _, x in res.rows(row_name).iterrows():
                    where = f" in {x['term']}" if row_name in ("hr_low", "hr_high") else ""
                    comparison = f"{x['group']} vs {r.data.arms[0]}{where}" if row_name != "interaction" else \
                        f"interaction ({x['term']})"
                    rows.append({**base, "Comparison": comparison, "Estimate (95% CI)":
                                 f"{what} {fmt.estimate_ci(x['estimate'], x['ci_lower'], x['ci_upper'])}",
                                 "p": fmt.pvalue(x["p"]), **common})
        elif name == "rmst":
            for _, x in res.rows("difference").iterrows():
                rows.append({**base, "Comparison": x["group"], "Estimate (95% CI)":
                             f"{fmt.num(x['estimate'], 1)} days {fmt.ci(x['ci_lower'], x['ci_upper'], 1)}",
                             "p": fmt.pvalue(x["p"])})
        if res.done and res.notes and len(rows) > first:  # what a reader must know to read the numbers
            rows[first]["Note"] = "; ".join(res.notes)
    columns = ["Analysis", "Comparison", "Estimate (95% CI)", "p", "PH test p (global)", "N (events)", "Note", "Key"]
    return pd.DataFrame(rows).reindex(columns=columns).fillna("")


def _by_arm(result: Result, cell, index_cols: list[str]) -> pd.DataFrame:
    """Pivot summary rows to one column per arm (plus Total when present), each cell from `cell(row)`."""
    t = result.summary.copy()
    t["_cell"] = t.apply(cell, axis=1)
    arms = [*result.parameters.get("arms", []), *([result.parameters["overall"]] if "overall" in result.parameters else [])]
    groups = [g for g in arms if g in set(t["group"])] + [g for g in dict.fromkeys(t["group"]) if g not in arms]
    t["_order"] = range(len(t))
    first = t.groupby(index_cols, sort=False, dropna=False)["_order"].min()
    wide = t.pivot_table(index=index_cols, columns="group", values="_cell", aggfunc="first", dropna=False)
    wide = wide.reindex(first.sort_values().index)[groups]
    return wide.fillna("")


def table1_table(result: Result) -> pd.DataFrame:
    n = result.parameters["n_by_arm"]
    header = {g: f"{g} (N = {n.get(g, result.n)})" for g in [*result.parameters["arms"], result.parameters["overall"]]}
    rows = []
    for (name, label), part in result.summary.groupby(["name", "label"], sort=False):
        rows.append({"Characteristic": label, **{header[g]: "" for g in header}})
        if part["type"].iloc[0] == "continuous":
            stats = part.set_index("group")
            for title, cell in (("n", lambda s: f"{int(s['n'])}"),
                                ("Mean (SD)", lambda s: f"{fmt.num(s['mean'], 1)} ({fmt.num(s['sd'], 1)})"),
                                ("Median (Q1, Q3)", lambda s: f"{fmt.num(s['median'], 1)} {fmt.ci(s['q1'], s['q3'], 1)}"),
                                ("Min, max", lambda s: f"{fmt.num(s['min'], 1)}, {fmt.num(s['max'], 1)}")):
                rows.append({"Characteristic": f"    {title}",
                             **{header[g]: (cell(stats.loc[g]) if stats.loc[g, "n"] > 0 else "") for g in header}})
        else:
            for category, cat in part.groupby("category", sort=False):
                c = cat.set_index("group")
                rows.append({"Characteristic": f"    {category}",
                             **{header[g]: fmt.n_pct(c.loc[g, "n"], c.loc[g, "denominator"]) for g in header}})
    return pd.DataFrame(rows).set_index("Characteristic")


def disposition_table(result: Result) -> pd.DataFrame:
    def cell(r):
        return fmt.n_pct(r["n"], r["denominator"]) if not fmt.missing(r["denominator"]) else f"{int(r['n'])}"

    t = result.summary.assign(row=lambda f: f.apply(
        lambda r: f"    {r['category']}" if isinstance(r["category"], str) else r["label"], axis=1))
    wide = _by_arm(Result(result.key, result.title, result.method, t, parameters=result.parameters), cell,
                   ["name", "row"])
    wide.index = wide.index.get_level_values("row")
    wide.index.name = "Subjects, n (% of randomised)"
    return wide


def _subjects_cell(r) -> str:
    if r["measure"] == "subjects":
        return f"{fmt.n_pct(r['n'], r['denominator'])} [{int(r['events'])}]"
    if r["measure"] == "risk_difference":
        return fmt.estimate_ci(r["estimate"], r["ci_lower"], r["ci_upper"], 1)
    return ""


def _events_table(result: Result, first_col: str, any_label: str | None = None) -> pd.DataFrame:
    t = result.summary[result.summary["measure"] != "relative_risk"].copy()
    t["row"] = [(any_label if any_label and nm == "any" else lbl if isinstance(lbl, str) else "Any TEAE" if nm == "any"
                 else soc if nm == "soc" else f"    {pt}")
                for nm, lbl, soc, pt in zip(t["name"], t["label"], t["soc"], t["pt"])]
    t["key"] = t["name"] + "|" + t["soc"].fillna("") + "|" + t["pt"].fillna("") + "|" + t["label"].fillna("")
    wide = _by_arm(Result(result.key, result.title, result.method, t, parameters=result.parameters), _subjects_cell,
                   ["key", "row"])
    wide.index = wide.index.get_level_values("row")
    wide.columns = [f"{c} (N = {result.parameters['n_by_arm'][c]})" if c in result.parameters["n_by_arm"]
                    else f"Risk difference, % points (95% CI): {c}" for c in wide.columns]
    wide.index.name = first_col
    return wide


def overview_table(result: Result) -> pd.DataFrame:
    return _events_table(result, "Subjects with, n (%) [events]")


def soc_pt_table(result: Result) -> pd.DataFrame:
    return _events_table(result, "System organ class / preferred term, n (%) [events]")


def serious_table(result: Result) -> pd.DataFrame:
    """As soc_pt_table, of serious TEAEs only: its first row counts the subjects with any serious TEAE."""
    return _events_table(result, "System organ class / preferred term, n (%) [events]", "Any serious TEAE")


def severity_table(result: Result) -> pd.DataFrame:
    t = result.summary.copy()
    t["row"] = [("Any TEAE" if nm == "any" else soc if nm == "soc" else f"    {pt}")
                for nm, soc, pt in zip(t["name"], t["soc"], t["pt"])]
    t["key"] = t["name"] + "|" + t["soc"].fillna("") + "|" + t["pt"].fillna("")
    severities = list(dict.fromkeys(t["severity"]))
    n = result.parameters.get("n_by_arm", {})
    # no-break spaces: a narrow column breaks the heading before the severity, not inside "(N = 110)"
    head = {arm: f"{arm} (N\u00a0=\u00a0{n[arm]})" if arm in n else arm for arm in result.parameters["arms"]}
    columns = [f"{head[arm]}: {sev.capitalize()}" for arm in result.parameters["arms"] for sev in severities]
    t["group"] = t["group"].map(lambda g: head.get(g, g)) + ": " + t["severity"].str.capitalize()
    wide = _by_arm(Result(result.key, result.title, result.method, t, parameters={"arms": columns}),
                   lambda r: fmt.n_pct(r["n"], r["denominator"]), ["key", "row"])
    wide.index = wide.index.get_level_values("row")
    wide.index.name = "Maximum severity, n (%)"
    return wide


def exposure_table(result: Result) -> pd.DataFrame:
    """n, mean (SD), median (Q1, Q3), min and max by arm. A parameter whose values are all whole numbers
    (cycles, injections, days) prints its min and max as they were counted; the statistics derived from
    them (a mean, a median between two values, an interpolated quartile) keep one decimal."""
    rows = []
    whole = set(result.parameters.get("whole_numbers", ()))
    for (name, label), part in result.summary.groupby(["name", "label"], sort=False):
        s = part.set_index("group")
        rows.append({"Variable": label, **{g: "" for g in s.index}})
        digits = 0 if name in whole else 1
        for title, cell in (("n", lambda x: f"{int(x['n'])}"),
                            ("Mean (SD)", lambda x: f"{fmt.num(x['mean'], 1)} ({fmt.num(x['sd'], 1)})"),
                            ("Median (Q1, Q3)", lambda x: f"{fmt.num(x['median'], 1)} {fmt.ci(x['q1'], x['q3'], 1)}"),
                            ("Min, max", lambda x: f"{fmt.num(x['min'], digits)}, {fmt.num(x['max'], digits)}")):
            rows.append({"Variable": f"    {title}", **{g: cell(s.loc[g]) if s.loc[g, "n"] > 0 else "" for g in s.index}})
    table = pd.DataFrame(rows).set_index("Variable")
    n = result.parameters["n_by_arm"]
    table.columns = [f"{c} (N = {n[c]})" for c in table.columns]
    return table
