"""Table 1: demographics and baseline characteristics by arm and overall, from ADSL on disk.

The variables are study.toml [analysis] baseline (each can be missing from another study's ADSL: it is
then left out with a note). A numeric variable is summarised as mean (SD) and median (IQR); a text
variable as n (%), in the order of its numeric companion (ELESCATN for ELESCAT) when ADSL has one.
Row labels are the variables' labels in the XPT file.
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis.data import Dataset, Options, arm_order, population_label
from cdisc_mirocals.analysis.result import Result, summary_frame
from cdisc_mirocals.analysis.summaries import categorical_rows, continuous_rows

KEY = "BASELINE/table1"
TITLE = "Demographics and baseline characteristics"
COLUMNS = ("name", "label", "type", "category", "group", "n", "denominator", "pct", "mean", "sd", "median", "q1",
           "q3", "min", "max")
OVERALL = "Total"


def population(adsl: Dataset, flag: str, treatment_var: str, options: Options) -> tuple[pd.DataFrame, list[str]]:
    """ADSL subjects with `flag` = 'Y', with their arm, and the arms in display order (the reference,
    options.reference, first)."""
    frame = adsl.frame
    missing = [v for v in (flag, treatment_var) if v not in frame.columns]
    if missing:
        return pd.DataFrame(columns=["arm"]), []
    chosen = frame[frame[flag] == "Y"]
    arms, _ = arm_order(chosen, treatment_var, options)
    return chosen.assign(arm=chosen[treatment_var].astype(str)), arms


def table1(adsl: Dataset, options: Options) -> Result:
    o = options
    method = "n (%) for categories; mean (SD), median (Q1, Q3) and range for numbers (quartiles: R type 7)"
    flag, treatment = o.baseline_population, o.baseline_treatment_var
    label = population_label(adsl.labels, flag)
    frame, arms = population(adsl, flag, treatment, options)
    if not arms:
        why = (f"ADSL has no {flag} or {treatment}" if frame.empty and len(frame.columns) == 1
               else f"no subject has {flag} = 'Y'")
        return Result.skip(KEY, TITLE, method, why, population=label)
    rows, notes = [], []
    for var in o.baseline_vars:
        if var not in frame.columns:
            notes.append(f"{var} is not in ADSL: left out of Table 1")
            continue
        text = adsl.labels.get(var, var)
        if pd.api.types.is_numeric_dtype(frame[var]):
            rows += [{**r, "type": "continuous"} for r in continuous_rows(frame, var, text, arms, OVERALL)]
        else:
            order = frame[f"{var}N"] if f"{var}N" in frame.columns else None
            rows += [{**r, "type": "categorical"} for r in categorical_rows(frame, var, text, arms, OVERALL, order)]
    counts = {a: int((frame["arm"] == a).sum()) for a in arms}
    return Result(KEY, TITLE, method, summary_frame(rows, COLUMNS), label, len(frame), None,
                  {"arms": arms, "overall": OVERALL, "n_by_arm": counts, "variables": list(o.baseline_vars),
                   "treatment_var": treatment}, notes)
