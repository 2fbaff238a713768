"""Laboratory shift tables (ADLB): subjects by their baseline reference-range indicator (BNRIND) and that
of their lowest and of their highest on-treatment post-baseline value (the DTYPE 'MINIMUM' and
'MAXIMUM' records), by arm, in the safety population by actual treatment.

    LAB/shift   rows name 'lowest' or 'highest', term PARAMCD, label PARAM, group the arm, baseline
                BNRIND ('MISSING' when null), post the ANRIND of that record; n subjects, denominator
                the arm's subjects with such a record for the parameter, pct

A subject appears once per parameter and direction; one without an on-treatment post-baseline value has
no MINIMUM or MAXIMUM record and is not counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.result import Result, summary_frame

COLUMNS = ("name", "term", "label", "group", "baseline", "post", "n", "denominator", "pct")
INDICATORS = ("LOW", "NORMAL", "HIGH", "MISSING")
DIRECTIONS = {"MINIMUM": "lowest", "MAXIMUM": "highest"}
TITLE = "Laboratory shifts from baseline to the lowest and highest on-treatment value"


def safety_frame(adlb: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, list[str]]:
    """The records of the safety population, with the arm in 'arm', and the arms (reference first)."""
    f = adlb[adlb[options.safety_population] == "Y"]
    f = f.assign(arm=f[options.safety_treatment_var])
    f = f[f["arm"] != ""]
    present = sorted(set(f["arm"]))
    arms = [options.reference] + [a for a in present if a != options.reference] if options.reference in present \
        else present
    return f, arms


def shift_rows(frame: pd.DataFrame, arms: list[str]) -> list[dict]:
    rows = []
    derived = frame[frame["DTYPE"].isin(list(DIRECTIONS))]
    params = derived.drop_duplicates("PARAMCD").sort_values("PARAMN")
    for _, p in params.iterrows():
        for dtype, name in DIRECTIONS.items():
            part = derived[(derived["PARAMCD"] == p["PARAMCD"]) & (derived["DTYPE"] == dtype)]
            base = part["BNRIND"].replace("", "MISSING")
            post = part["ANRIND"].replace("", "MISSING")
            for arm in arms:
                in_arm = part["arm"] == arm
                denominator = int(part.loc[in_arm, "USUBJID"].nunique())
                for b in INDICATORS:
                    for a in INDICATORS:
                        n = int(part.loc[in_arm & (base == b) & (post == a), "USUBJID"].nunique())
                        rows.append({"name": name, "term": p["PARAMCD"], "label": p["PARAM"], "group": arm,
                                     "baseline": b, "post": a, "n": n, "denominator": denominator,
                                     "pct": 100 * n / denominator if denominator else np.nan})
    return rows


def lab_shift(adlb: Dataset | None, options: Options) -> Result:
    method = ("subjects n (% of the arm's subjects with an on-treatment post-baseline value of the parameter), by "
              "baseline indicator (BNRIND) and the indicator (ANRIND) of the lowest and of the highest on-treatment "
              "post-baseline value (ADLB DTYPE 'MINIMUM' and 'MAXIMUM')")
    if adlb is None:
        return Result.skip("LAB/shift", TITLE, method, "no adlb.xpt in the ADaM folder")
    missing = [v for v in ("DTYPE", "BNRIND", "ANRIND", options.safety_population, options.safety_treatment_var)
               if v not in adlb.frame.columns]
    if missing:
        return Result.skip("LAB/shift", TITLE, method, f"ADLB has no {', '.join(missing)}")
    frame, arms = safety_frame(adlb.frame, options)
    return Result("LAB/shift", TITLE, method, summary_frame(shift_rows(frame, arms), COLUMNS),
                  population_label(adlb.labels, options.safety_population), int(frame["USUBJID"].nunique()), None,
                  {"arms": arms, "treatment_var": options.safety_treatment_var, "indicators": list(INDICATORS)})
