"""ADVS: vital signs (SDTM VS), one record per result, with BMI computed again from each weight and the
screening height (methods MT.ADVS.*)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.derive import derive_param_computed
from cdisc_mirocals.adam.findings import (Source, derive_baseline, derive_flags, derive_visits, findings_records,
                                          parameters, rounded, with_adsl)
from cdisc_mirocals.spec import Spec

DATASET = "ADVS"
COMPUTED = "BMI"  # SDTM VS carries it as derived (VSDRVFL = 'Y'); ADVS computes it from its own records
# The --SEQ of the weight a BMI is computed from: a BMI record has no SRCSEQ (it is computed), so two weights
# of one day (a screening and a baseline visit on the same date) would give two BMIs that ANL01FL cannot
# order; this orders them as their weights are. Dropped once the flags are set.
WEIGHT_SEQ = "_WEIGHTSEQ"


def derive_param_bmi(records: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """BMI (kg/m2) = WEIGHT / (HEIGHT / 100)^2 for each weight, with the subject's height (measured once,
    at screening), rounded as the value-level metadata of BMI says; the new record takes the weight's
    date and visit, and no SRCDOM: it is computed."""
    param = parameters(spec, DATASET).set_index("PARAMCD").loc[COMPUTED]
    records = records.assign(**{WEIGHT_SEQ: records["SRCSEQ"].where(records["PARAMCD"] == "WEIGHT")})
    by_vars = ["STUDYID", "USUBJID", "ADT", "VISIT", "VISITNUM", WEIGHT_SEQ]
    return derive_param_computed(
        records, by_vars=by_vars, parameters=["WEIGHT"], constant_parameters=["HEIGHT"], constant_by_vars=["USUBJID"],
        set_values_to={"PARAMCD": COMPUTED, "PARAM": param["PARAM"], "PARAMN": param["PARAMN"],
                       "AVAL": lambda g: rounded(g["AVAL.WEIGHT"] / (g["AVAL.HEIGHT"] / 100) ** 2, spec, DATASET,
                                                 "AVAL", where=COMPUTED)})


def derive_advs(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    records = findings_records(sdtm, spec, DATASET, [Source("VS")], drop_tests=frozenset({COMPUTED}))
    records = derive_param_bmi(records.drop(columns="_UNIT"), spec)
    advs = with_adsl(records, adsl, spec, DATASET)
    advs = derive_visits(advs, spec, DATASET)
    advs = derive_baseline(advs, spec, DATASET)
    advs = derive_flags(advs, spec, by_vars=[], tie_break=[WEIGHT_SEQ])
    advs = advs.sort_values(["USUBJID", "PARAMN", "ADT", "SRCSEQ"], kind="stable", na_position="last")
    return advs.drop(columns=["_REF", "TRTSDT", "TRTEDT", "RANDDT", WEIGHT_SEQ], errors="ignore").reset_index(drop=True)
