"""Vital signs by visit (ADVS): AVAL and CHG summarised by arm at each analysis visit (ANL01FL = 'Y'),
in the safety population by actual treatment.

    VS/by_visit   rows name PARAMCD, label PARAM, term AVISIT, time AVISITN, category 'AVAL' or 'CHG',
                  group the arm; n, mean, SD, median, Q1, Q3, min, max (summaries.continuous)
"""

from __future__ import annotations

from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.labshift import safety_frame
from cdisc_mirocals.analysis.result import Result, summary_frame
from cdisc_mirocals.analysis.summaries import continuous

COLUMNS = ("name", "label", "term", "time", "category", "group", "n", "mean", "sd", "median", "q1", "q3", "min",
           "max")
TITLE = "Vital signs by visit"


def vitals_by_visit(advs: Dataset | None, options: Options) -> Result:
    method = "n, mean (SD), median (Q1, Q3), min and max of AVAL and CHG by arm and analysis visit (quartiles by linear interpolation, Hyndman-Fan type 7)"
    if advs is None:
        return Result.skip("VS/by_visit", TITLE, method, "no advs.xpt in the ADaM folder")
    missing = [v for v in ("ANL01FL", "AVISIT", "AVISITN", "CHG", options.safety_population,
                           options.safety_treatment_var) if v not in advs.frame.columns]
    if missing:
        return Result.skip("VS/by_visit", TITLE, method, f"ADVS has no {', '.join(missing)}")
    frame, arms = safety_frame(advs.frame, options)
    frame = frame[(frame["ANL01FL"] == "Y") & (frame["AVISIT"] != "")]
    rows = []
    for paramcd in options.vitals_params:
        p = frame[frame["PARAMCD"] == paramcd]
        for (visitn, visit), at_visit in p.groupby(["AVISITN", "AVISIT"], sort=True):
            for var in ("AVAL", "CHG"):
                for arm in arms:
                    values = at_visit.loc[at_visit["arm"] == arm, var]
                    rows.append({"name": paramcd, "label": p["PARAM"].iloc[0], "term": visit, "time": visitn,
                                 "category": var, "group": arm, **continuous(values)})
    absent = [p for p in options.vitals_params if p not in set(frame["PARAMCD"])]
    notes = [f"ADVS has no analysis records of {', '.join(absent)}"] if absent else []
    return Result("VS/by_visit", TITLE, method, summary_frame(rows, COLUMNS),
                  population_label(advs.labels, options.safety_population),
                  int(frame["USUBJID"].nunique()), None,
                  {"arms": arms, "treatment_var": options.safety_treatment_var,
                   "parameters": list(options.vitals_params)}, notes)
