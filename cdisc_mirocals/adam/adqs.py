"""ADQS: the ALSFRS-R items from SDTM QS, the total and the four domain subscores computed from them
(methods MT.ADQS.*), by visit, with baseline and change (cdisc_mirocals.adam.bds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.bds import derive_bds_visits
from cdisc_mirocals.adam.params import param_codes
from cdisc_mirocals.adam.derive import derive_param_computed
from cdisc_mirocals.adam.findings import rounded
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.spec import Spec

NAME = "ADQS"
BY_VISIT = ["STUDYID", "USUBJID", "VISITNUM", "VISIT", "ADT", "_ORDER"]


def prorated_total(items: pd.DataFrame, max_missing: int) -> tuple[pd.Series, pd.Series]:
    """The scale total of each row of item scores, and its DTYPE: the sum when every item is scored;
    with 1 to `max_missing` items missing, the mean of the scored items times the number of items
    (DTYPE "AVERAGE": each missing item takes the mean of the others); with more missing, null."""
    scored = items.notna().sum(axis=1)
    missing = items.shape[1] - scored
    mean = items.mean(axis=1, skipna=True)
    total = (mean * items.shape[1]).where((missing <= max_missing) & (scored > 0))
    total = total.where(missing > 0, items.sum(axis=1, min_count=items.shape[1]))
    dtype = pd.Series(np.where((missing > 0) & total.notna(), "AVERAGE", ""), index=items.index)
    return total, dtype


def _items(qs: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    rows = qs[qs["QSTESTCD"].isin(items)]
    return pd.DataFrame({
        "STUDYID": rows["STUDYID"], "USUBJID": rows["USUBJID"], "PARAMCD": rows["QSTESTCD"],
        "AVAL": pd.to_numeric(rows["QSSTRESN"], errors="coerce").astype(float), "ADT": to_date(rows["QSDTC"]),
        "VISITNUM": rows["VISITNUM"], "VISIT": rows["VISIT"], "_ORDER": rows["VISITNUM"].astype(float),
        "SRCDOM": "QS", "SRCVAR": "QSSTRESN", "SRCSEQ": rows["QSSEQ"].astype(float), "DTYPE": ""})


def derive_adqs(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    scale = spec.study["adam"]["alsfrs_r"]
    items, max_missing = list(scale["items"]), int(scale["total_max_missing"])
    adqs = _items(sdtm["QS"], items)
    adqs = adqs[adqs["ADT"].notna()]  # a visit without a complete date has no analysis day
    cols = [f"AVAL.{i}" for i in items]

    def total(w: pd.DataFrame) -> pd.Series:  # a prorated total is rounded as its Significant Digits say
        return rounded(prorated_total(w[cols], max_missing)[0], spec, NAME, "AVAL", where=scale["total"])

    def total_dtype(w: pd.DataFrame) -> pd.Series:
        return prorated_total(w[cols], max_missing)[1]

    computed = derive_param_computed(adqs, by_vars=BY_VISIT, parameters=items, keep_nas=True,
                                     set_values_to={"PARAMCD": scale["total"], "AVAL": total, "DTYPE": total_dtype})
    for code, members in scale["subscores"].items():
        computed = derive_param_computed(
            computed, by_vars=BY_VISIT, parameters=list(members), keep_nas=True,
            set_values_to={"PARAMCD": code, "AVAL": lambda w, m=tuple(members): w[[f"AVAL.{i}" for i in m]]
                           .sum(axis=1, min_count=len(m)), "DTYPE": ""})
    # A computed parameter whose rule gives no value has no record; an item not scored keeps its record.
    computed = computed[computed["AVAL"].notna() | computed["PARAMCD"].isin(items)]
    computed = param_codes(computed, spec, NAME)
    computed["PARCAT1"] = scale["category"]
    computed["PARAMTYP"] = computed["PARAMCD"].isin(items).map({True: "", False: "DERIVED"})
    return derive_bds_visits(computed, adsl, spec, name=NAME)
