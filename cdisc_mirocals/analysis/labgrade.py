"""Laboratory toxicity (ADLB): subjects by the worst NCI CTCAE v5.0 grade of their on-treatment
post-baseline values, for each graded term (ATOXDSCL, ATOXDSCH), and the number with a grade at or above
the study's threshold (3), by arm, in the safety population by actual treatment.

    LAB/grades   rows name 'worst' (category the grade '0' to '4') and 'at_least' (category '>= 3'),
                 term the CTCAE term, label PARAM, group the arm; n subjects, denominator the arm's
                 subjects with a graded on-treatment post-baseline value of the term, pct

Records: ONTRTFL = 'Y' (after the first injection, up to one cycle after the last), not DTYPE records,
graded in the term's direction (ATOXGRL or ATOXGRH not null).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.labshift import safety_frame
from cdisc_mirocals.analysis.result import Result, summary_frame

COLUMNS = ("name", "term", "label", "category", "group", "n", "denominator", "pct")
GRADES = ("0", "1", "2", "3", "4")
TITLE = "Laboratory toxicity: worst on-treatment CTCAE v5.0 grade"


def graded_records(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per on-treatment record and graded direction: PARAMCD, PARAMN, PARAM, term, grade (int)."""
    on = frame[(frame["ONTRTFL"] == "Y") & (frame["DTYPE"] == "")]
    parts = []
    for term_var, grade_var in (("ATOXDSCL", "ATOXGRL"), ("ATOXDSCH", "ATOXGRH")):
        p = on[(on[term_var] != "") & (on[grade_var] != "")]
        parts.append(p[["USUBJID", "arm", "PARAMCD", "PARAMN", "PARAM"]].assign(
            term=p[term_var], grade=p[grade_var].astype(int)))
    return pd.concat(parts, ignore_index=True)


def grade_rows(frame: pd.DataFrame, arms: list[str], threshold: int) -> list[dict]:
    graded = graded_records(frame)
    worst = graded.groupby(["PARAMN", "PARAMCD", "PARAM", "term", "USUBJID", "arm"], as_index=False)["grade"].max()
    rows = []
    for (_, _, param, term), part in worst.groupby(["PARAMN", "PARAMCD", "PARAM", "term"], sort=True):
        for arm in arms:
            in_arm = part[part["arm"] == arm]
            d = len(in_arm)
            pct = (lambda n: 100 * n / d if d else np.nan)
            for g in GRADES:
                n = int((in_arm["grade"] == int(g)).sum())
                rows.append({"name": "worst", "term": term, "label": param, "category": g, "group": arm, "n": n,
                             "denominator": d, "pct": pct(n)})
            n = int((in_arm["grade"] >= threshold).sum())
            rows.append({"name": "at_least", "term": term, "label": param, "category": f">= {threshold}",
                         "group": arm, "n": n, "denominator": d, "pct": pct(n)})
    return rows


def lab_grades(adlb: Dataset | None, options: Options) -> Result:
    method = (f"subjects n (% of the arm's subjects with a graded on-treatment post-baseline value of the term) by "
              f"their worst grade, and with a worst grade >= {options.lab_grade}")
    if adlb is None:
        return Result.skip("LAB/grades", TITLE, method, "no adlb.xpt in the ADaM folder")
    missing = [v for v in ("ONTRTFL", "DTYPE", "ATOXDSCL", "ATOXDSCH", "ATOXGRL", "ATOXGRH",
                           options.safety_population, options.safety_treatment_var) if v not in adlb.frame.columns]
    if missing:
        return Result.skip("LAB/grades", TITLE, method, f"ADLB has no {', '.join(missing)}")
    frame, arms = safety_frame(adlb.frame, options)
    return Result("LAB/grades", TITLE, method, summary_frame(grade_rows(frame, arms, options.lab_grade), COLUMNS),
                  population_label(adlb.labels, options.safety_population), int(frame["USUBJID"].nunique()), None,
                  {"arms": arms, "treatment_var": options.safety_treatment_var, "threshold": options.lab_grade})
