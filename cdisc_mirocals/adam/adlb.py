"""ADLB: laboratory results (SDTM LB: chemistry, haematology, CSF pNFH) and regulatory T cells (SDTM CP),
one record per result, with the reference-range indicators, shifts and CTCAE v5.0 toxicity grades of
the safety laboratory, and the post-baseline minimum and maximum (methods MT.ADLB.*)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.derive import (derive_var_anrind, derive_var_atoxgr, derive_var_atoxgr_dir, derive_var_base,
                                        derive_var_shift, toxicity_terms)
from cdisc_mirocals.adam.findings import (Source, derive_baseline, derive_extremes, derive_flags, derive_visits,
                                          findings_records, with_adsl)
from cdisc_mirocals.spec import Spec

DATASET = "ADLB"
SOURCES = [Source("LB", (("PARCAT1", "LBCAT"), ("ANRLO", "LBSTNRLO"), ("ANRHI", "LBSTNRHI"))),
           Source("CP", (("PARCAT1", "CPCAT"), ("ATPT", "CPTPT"), ("ATPTN", "CPTPTNUM")))]


def derive_adlb(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    adlb = with_adsl(findings_records(sdtm, spec, DATASET, SOURCES), adsl, spec, DATASET)
    adlb["ATPTN"] = pd.to_numeric(adlb["ATPTN"], errors="coerce")
    cycle_sample = adlb["SRCDOM"] == "CP"  # a Treg sample belongs to the cycle of its visit (MT.ADLB.AVISIT)
    adlb = derive_visits(adlb, spec, DATASET, by_name=cycle_sample)
    # Treg baseline: the pre-cycle sample of cycle 1, drawn before the first injection
    first_tpt = adlb["ATPTN"].isna() | (adlb["ATPTN"] == adlb.loc[cycle_sample, "ATPTN"].min())
    adlb = derive_baseline(adlb, spec, DATASET, candidate=first_tpt)
    adlb = derive_flags(adlb, spec, by_vars=["ATPT"])
    ranged = sorted(set(adlb.loc[adlb["ANRLO"].notna() | adlb["ANRHI"].notna(), "PARAMCD"]))
    adlb = derive_extremes(adlb, spec, params=ranged)
    adlb = derive_var_anrind(adlb)
    adlb = derive_var_base(adlb, by_vars=["USUBJID", "PARAMCD"], source_var="ANRIND", new_var="BNRIND",
                           filter=lambda d: (d["ABLFL"] == "Y") & (d["DTYPE"] == ""))
    post = lambda d: (d["ADT"] > d["_REF"]) & (d["ANRIND"] != "")  # noqa: E731
    adlb = derive_var_shift(adlb, new_var="SHIFT1", from_var="BNRIND", to_var="ANRIND", missing_value="MISSING",
                            filter=post)
    adlb = toxicity_terms(adlb, grading=spec.grading)
    for direction, term, grade in (("L", "ATOXDSCL", "ATOXGRL"), ("H", "ATOXDSCH", "ATOXGRH")):
        adlb = derive_var_atoxgr_dir(adlb, new_var=grade, tox_description_var=term, grading=spec.grading,
                                     criteria_direction=direction, unit_var="_UNIT")
    adlb = derive_var_atoxgr(adlb)
    adlb = derive_var_base(adlb, by_vars=["USUBJID", "PARAMCD"], source_var="ATOXGR", new_var="BTOXGR",
                           filter=lambda d: (d["ABLFL"] == "Y") & (d["DTYPE"] == ""))
    adlb = adlb.sort_values(["USUBJID", "PARAMN", "ADT", "ATPTN", "DTYPE", "SRCSEQ"], kind="stable",
                            na_position="first")
    return adlb.drop(columns=["_UNIT", "_REF", "TRTSDT", "TRTEDT", "RANDDT"], errors="ignore").reset_index(drop=True)
