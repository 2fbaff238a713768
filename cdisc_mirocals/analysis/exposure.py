"""The exposure summary from ADEX on disk: `EXPOSURE/summary`.

For each overall ADEX parameter of the analysis plan (study.toml [analysis.safety] exposure_params:
cycles started, injections received, total dose, treatment duration, relative dose intensity), the
subjects of the safety population (ADSL SAFFL = 'Y') by actual treatment (TRT01A): n, mean, SD (n - 1),
median, quartiles (linear interpolation, Hyndman-Fan type 7) and range. The overall records are those
without an analysis visit (AVISIT null); the label of each row is the parameter's PARAM, which carries
its unit. A treated subject without an ADEX record for a parameter counts in the arm's N and not in that
parameter's n. `whole_numbers` names the parameters whose values are all whole numbers (counts, days).
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis.baseline import population
from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.result import Result, summary_frame
from cdisc_mirocals.analysis.summaries import CONTINUOUS_COLUMNS, continuous_rows, whole_numbers

KEY = "EXPOSURE/summary"
TITLE = "Exposure to study treatment: cycles, injections, dose, duration and dose intensity (ADEX)"
METHOD = ("n, mean (SD), median (Q1, Q3), range by arm of the overall ADEX parameters (quartiles by linear "
          "interpolation, Hyndman-Fan type 7)")
NEEDED = ("USUBJID", "PARAMCD", "PARAM", "AVAL")


def _overall(adex: pd.DataFrame) -> pd.DataFrame:
    if "AVISIT" not in adex.columns:
        return adex
    return adex[adex["AVISIT"].fillna("").astype(str).str.strip() == ""]


def exposure_summary(adex: Dataset | None, adsl: Dataset | None, options: Options) -> Result:
    o = options
    label = population_label(adsl.labels if adsl else {}, o.safety_population)
    skip = lambda why: Result.skip(KEY, TITLE, METHOD, why, population=label)  # noqa: E731
    if adsl is None or adex is None:
        return skip("no " + " and no ".join(f"{n}.xpt" for n, d in (("adsl", adsl), ("adex", adex)) if d is None)
                    + " in the ADaM folder")
    missing = [v for v in NEEDED if v not in adex.frame.columns]
    if missing:
        return skip(f"ADEX has no {', '.join(missing)}")
    if not o.exposure_params:
        return skip("no exposure parameters in the analysis plan ([analysis.safety] exposure_params)")
    frame, arms = population(adsl, o.safety_population, o.safety_treatment_var, o)
    if not arms:
        return skip(f"no subject has {o.safety_population} = 'Y' in ADSL, or ADSL has no {o.safety_population} "
                    f"or {o.safety_treatment_var}")
    overall = _overall(adex.frame)
    present = [p for p in o.exposure_params if p in set(overall["PARAMCD"])]
    if not present:
        return skip(f"ADEX has none of the overall parameters {', '.join(o.exposure_params)}")
    notes = [f"not in ADEX, so not in the exposure summary: {', '.join(p for p in o.exposure_params if p not in present)}"
             ] if len(present) < len(o.exposure_params) else []
    if overall.duplicated(["USUBJID", "PARAMCD"]).any():
        return skip("ADEX has several overall records (AVISIT null) for a subject and parameter")
    rows, whole = [], []
    for paramcd in present:
        records = overall[overall["PARAMCD"] == paramcd]
        values = frame[["USUBJID", "arm"]].merge(records[["USUBJID", "AVAL"]], on="USUBJID", how="left")
        if whole_numbers(values["AVAL"]):
            whole.append(paramcd)
        rows += continuous_rows(values.rename(columns={"AVAL": paramcd}), paramcd, str(records["PARAM"].iloc[0]), arms)
    counts = {a: int((frame["arm"] == a).sum()) for a in arms}
    return Result(KEY, TITLE, METHOD, summary_frame(rows, CONTINUOUS_COLUMNS), label, len(frame), None,
                  {"arms": arms, "n_by_arm": counts, "treatment_var": o.safety_treatment_var, "parameters": present,
                   "whole_numbers": whole},
                  notes)
