"""ADRE: slow vital capacity from SDTM RE, in litres and in percent of predicted (methods MT.ADRE.*),
by visit, with baseline and change (cdisc_mirocals.adam.bds)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.bds import derive_bds_visits
from cdisc_mirocals.adam.params import param_codes
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.spec import Spec

NAME = "ADRE"


def derive_adre(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    re = sdtm["RE"]
    rows = re[re["RETESTCD"].isin(spec.study["adam"]["svc"]["parameters"])]
    adre = pd.DataFrame({
        "STUDYID": rows["STUDYID"], "USUBJID": rows["USUBJID"], "PARAMCD": rows["RETESTCD"],
        "AVAL": pd.to_numeric(rows["RESTRESN"], errors="coerce").astype(float), "ADT": to_date(rows["REDTC"]),
        "VISITNUM": rows["VISITNUM"], "VISIT": rows["VISIT"], "_ORDER": rows["VISITNUM"].astype(float),
        "SRCDOM": "RE", "SRCVAR": "RESTRESN", "SRCSEQ": rows["RESEQ"].astype(float)})
    adre = adre[adre["ADT"].notna()]  # a test without a complete date has no analysis day
    return derive_bds_visits(param_codes(adre, spec, NAME), adsl, spec, name=NAME)
