"""Table 1: demographics and baseline characteristics by arm and overall, from ADSL on disk.

The variables are analyze --table1-vars, or study.toml [analysis] baseline (another study's ADSL shows
what it has of these, then ADaMIG's standard demographics, baseline_standard, with one note of what it
lacks). Coded values are shown decoded where the define.xml beside the data decodes them. A numeric variable is summarised as mean (SD) and median (IQR); a text
variable as n (%), in the order of its numeric companion (ELESCATN for ELESCAT) when ADSL has one.
Row labels are the variables' labels in the XPT file.
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis.data import Dataset, OptionError, Options, arm_order, population_label
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


def table1_variables(frame: pd.DataFrame, options: Options) -> tuple[list[str], list[str]]:
    """The variables Table 1 shows, and those of the study's list the ADSL lacks. Variables asked for on
    the command line must all be there (an error otherwise, from the caller's check); with the study's
    defaults, another study's ADSL shows what it has of them, then ADaMIG's standard demographics."""
    wanted = list(options.baseline_vars)
    if "baseline_vars" in options.explicit:
        missing = [v for v in wanted if v not in frame.columns]
        if missing:
            raise OptionError(f"--table1-vars: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in ADSL")
        return wanted, []
    present = [v for v in wanted if v in frame.columns]
    absent = [v for v in wanted if v not in frame.columns]
    if absent:
        present += [v for v in options.baseline_standard if v in frame.columns and v not in present]
    return present, absent


def decoded(values: pd.Series, decodes: dict[str, str]) -> pd.Series:
    """Codes as a reader reads them (F as Female, FRA as France), from the define.xml codelists; a code
    without a decode stays as it is."""
    return values.map(lambda v: decodes.get(v, v) if isinstance(v, str) else v) if decodes else values


def table1(adsl: Dataset, options: Options) -> Result:
    o = options
    method = "n (%) for categories; mean (SD), median (Q1, Q3) and range for numbers (quartiles by linear interpolation, Hyndman-Fan type 7)"
    flag, treatment = o.baseline_population, o.baseline_treatment_var
    label = population_label(adsl.labels, flag)
    frame, arms = population(adsl, flag, treatment, options)
    if not arms:
        why = (f"ADSL has no {flag} or {treatment}" if frame.empty and len(frame.columns) == 1
               else f"no subject has {flag} = 'Y'")
        return Result.skip(KEY, TITLE, method, why, population=label)
    rows, notes = [], []
    variables, absent = table1_variables(frame, o)
    if absent:
        notes.append(f"not in ADSL, so not in Table 1: {', '.join(absent)}")
    for var in variables:
        text = adsl.labels.get(var, var)
        if pd.api.types.is_numeric_dtype(frame[var]):
            rows += [{**r, "type": "continuous"} for r in continuous_rows(frame, var, text, arms, OVERALL)]
        else:
            order = frame[f"{var}N"] if f"{var}N" in frame.columns else None
            shown = decoded(frame[var], o.decodes.get(var, {}))
            rows += [{**r, "type": "categorical"} for r in categorical_rows(frame.assign(**{var: shown}), var, text, arms,
                                                                            OVERALL, order)]
    counts = {a: int((frame["arm"] == a).sum()) for a in arms}
    return Result(KEY, TITLE, method, summary_frame(rows, COLUMNS), label, len(frame), None,
                  {"arms": arms, "overall": OVERALL, "n_by_arm": counts, "variables": variables,
                   "treatment_var": treatment}, notes)
