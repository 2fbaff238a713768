"""The secondary efficacy Results (secondary.py) as a report shows them: one table function per kind of
analysis, used by tables.md and report.html alike."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis import fmt
from cdisc_mirocals.analysis.result import Result


def slope_table(r: Result) -> pd.DataFrame:
    rows = [{"Arm": x["group"], "N": f"{int(x['n'])}", "Slope per month (95% CI)":
             fmt.estimate_ci(x["estimate"], x["ci_lower"], x["ci_upper"], 3), "Difference (95% CI)": "", "p": ""}
            for x in r.rows("slope").to_dict("records")]
    d = r.row("slope_difference")
    rows.append({"Arm": f"{d['group']} {d['term']}", "N": "", "Slope per month (95% CI)": "",
                 "Difference (95% CI)": fmt.estimate_ci(d["estimate"], d["ci_lower"], d["ci_upper"], 3),
                 "p": fmt.pvalue(d["p"])})
    return pd.DataFrame(rows).set_index("Arm")


def mmrm_table(r: Result) -> pd.DataFrame:
    rows = []
    for visit in r.parameters["visits"]:
        means = r.rows("lsmean_change", term=visit)
        d = r.row("difference", term=visit)
        row = {"Visit": visit}
        for x in means.to_dict("records"):
            row[f"{x['group']}: n, LS mean (SE)"] = f"{int(x['n'])}, {fmt.num(x['estimate'])} ({fmt.num(x['se'])})"
        row["Difference (95% CI)"] = fmt.estimate_ci(d["estimate"], d["ci_lower"], d["ci_upper"])
        row["df"] = fmt.num(d["df"], 1)
        row["p"] = fmt.pvalue(d["p"])
        rows.append(row)
    return pd.DataFrame(rows).set_index("Visit")


def cafs_table(r: Result) -> pd.DataFrame:
    """The arms' mean scores, then the test on a row of its own, in columns of its own."""
    test = "Wilcoxon rank-sum test: W"
    rows = [{"Arm": x["group"], "N": f"{int(x['n'])}", "Mean CAFS score": fmt.num(x["estimate"], 1), test: "",
             "p": ""} for x in r.rows("mean_score").to_dict("records")]
    w = r.row("wilcoxon")
    rows.append({"Arm": f"{w['group']} {w['term']}", "N": "", "Mean CAFS score": "", test: f"{w['statistic']:g}",
                 "p": fmt.pvalue(w["p"])})
    return pd.DataFrame(rows).set_index("Arm")


TABLES = {"slope": slope_table, "mmrm": mmrm_table, "wilcoxon": cafs_table}


def table(r: Result) -> pd.DataFrame | None:
    """The table of a secondary efficacy Result, None when it was not done or is not one of these analyses."""
    make = TABLES.get(r.key.split("/")[-1])
    return make(r) if make and r.done else None
