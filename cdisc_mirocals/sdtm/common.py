"""Derivations every SDTM domain shares, each with one home: --SEQ, EPOCH, VISIT/VISITNUM, --ENRTPT
and the baseline flag --LOBXFL (dates and --DY live in `cdisc_mirocals.dates`). Frames in, new
frames out; inputs are never mutated."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame
from cdisc_mirocals.dates import to_date

UNSCHEDULED = "UNSCHEDULED"


def on_distinct(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """fn of each distinct value (missing included), spread back to every record: records repeat their
    text (subjects, visits, dates), and a string made per record costs a large study time and memory."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    out = fn(pd.Series(uniques, dtype=values.dtype))
    return pd.Series(out.to_numpy()[codes], index=values.index, dtype=out.dtype, name=values.name)


def derive_var_seq(dataset: pd.DataFrame, *, new_var: str, by_vars: Sequence[str] = ("USUBJID",),
                   order: Sequence[str] = ()) -> pd.DataFrame:
    """Number records 1, 2, ... within `by_vars`, in the order of `order` (stable).

    Missing values sort first, as SAS sorts them (missing text is ""), so that --SEQ follows the
    order in which the submitted dataset is sorted by the same keys.
    """
    assert_data_frame(dataset, [*by_vars, *order], caller="derive_var_seq")
    keys = [*by_vars, *order]
    ranked = sas_sorted(dataset, keys)
    out = dataset.copy()
    out[new_var] = (ranked.groupby(list(by_vars), sort=False).cumcount() + 1).reindex(dataset.index).astype(float)
    return out


def sas_sorted(dataset: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """`dataset` sorted by `keys` (stable) as SAS sorts: missing values first, missing text as ""."""
    text = {k: dataset[k].astype("string").fillna("") for k in keys
            if not pd.api.types.is_numeric_dtype(dataset[k]) and not pd.api.types.is_datetime64_any_dtype(dataset[k])}
    order = dataset.assign(**text).sort_values(list(keys), kind="stable", na_position="first").index
    return dataset.loc[order]


def _possible_days(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last calendar day a (possibly partial) --DTC value allows, worked out once per
    distinct value."""
    codes, uniques = pd.factorize(dtc.astype("string"), use_na_sentinel=False)
    text = pd.Series(uniques, dtype="string").str.slice(0, 10)
    month = pd.to_datetime(text.where(text.str.len() == 7) + "-01", format="%Y-%m-%d", errors="coerce")
    year = text.where(text.str.len() == 4)
    first = to_date(text.where(text.str.len() == 10, month.dt.strftime("%Y-%m-%d")).fillna(year + "-01-01"))
    last = to_date(text.where(text.str.len() == 10, (month + pd.offsets.MonthEnd(0)).dt.strftime("%Y-%m-%d"))
                   .fillna(year + "-12-31"))
    return (pd.Series(first.to_numpy()[codes], index=dtc.index), pd.Series(last.to_numpy()[codes], index=dtc.index))


def _epoch_on(dates: pd.Series, predose: np.ndarray, usubjid: pd.Series, elements: pd.DataFrame) -> np.ndarray:
    records = pd.DataFrame({"USUBJID": usubjid.to_numpy(), "_date": dates.to_numpy(), "_pre": predose,
                            "_row": np.arange(len(dates))})
    joined = records.dropna(subset=["_date"]).merge(elements, on="USUBJID")
    # A pre-dose record on the day one element ends and the next starts is in the earlier one, even when
    # that one lasts no day (consent on the screening day); any other record is in the later one.
    inside = (joined["_date"] >= joined["_start"]) & np.where(
        joined["_pre"], joined["_date"] <= joined["_end"], joined["_date"] < joined["_stop"])
    hit = joined[inside].drop_duplicates("_row")  # elements are in order: the earliest holding the date
    epoch = np.full(len(dates), None, dtype=object)
    epoch[hit["_row"].to_numpy()] = hit["EPOCH"].to_numpy()
    return epoch


def derive_var_epoch(dataset: pd.DataFrame, se: pd.DataFrame, *, dtc_var: str, new_var: str = "EPOCH",
                     predose: pd.Series | None = None) -> pd.DataFrame:
    """EPOCH of the subject's element (SE) in which the record's date falls (method MT.EPOCH).

    An element runs from SESTDTC up to, not including, the next element's start; the last element
    includes its SEENDTC. A partial date gets the EPOCH of the element holding every day it allows,
    and none if it spans two elements; a date outside every element gets none.
    `predose` marks records taken before dosing on their day (e.g. the BASELINE visit): on the first
    day of an element they belong to the element before it, if any, even one that lasts no day.
    """
    assert_data_frame(dataset, ["USUBJID", dtc_var], caller="derive_var_epoch")
    assert_data_frame(se, ["USUBJID", "SESTDTC", "SEENDTC", "EPOCH"], arg="se", caller="derive_var_epoch")
    first, last = _possible_days(dataset[dtc_var])
    pre = (predose.reindex(dataset.index).fillna(False).astype(bool) if predose is not None
           else pd.Series(False, index=dataset.index)).to_numpy()
    order = ["USUBJID", "_start"] + (["TAETORD"] if "TAETORD" in se.columns else [])  # same-day elements in arm order
    elements = se.assign(_start=to_date(se["SESTDTC"]), _end=to_date(se["SEENDTC"])).sort_values(order, kind="stable")
    elements["_stop"] = elements.groupby("USUBJID")["_start"].shift(-1).fillna(elements["_end"] + pd.Timedelta(days=1))
    elements = elements[["USUBJID", "_start", "_end", "_stop", "EPOCH"]]
    early, late = (_epoch_on(day, pre, dataset["USUBJID"], elements) for day in (first, last))
    out = dataset.copy()
    out[new_var] = pd.Series(np.where(early == late, early, None), index=out.index, dtype="string")
    return out


def ongoing_at_study_end(ongoing: pd.Series, end_dtc: pd.Series, eos_dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(--ENRTPT, --ENTPT) = ('ONGOING', end of study date) when the record is ongoing with no end
    date (method MT.ENRTPT); null otherwise."""
    still = ongoing.fillna(False).astype(bool) & end_dtc.isna()
    return pd.Series("ONGOING", index=ongoing.index).where(still), eos_dtc.where(still)


def derive_var_lobxfl(dataset: pd.DataFrame, reference: pd.DataFrame, *, by_vars: Sequence[str],
                      dtc_var: str, result_var: str, new_var: str, ref_var: str = "RFXSTDTC") -> pd.DataFrame:
    """Flag 'Y' on the last record with a result on or before first exposure (SDTMIG 3.4 --LOBXFL)."""
    assert_data_frame(dataset, ["USUBJID", *by_vars, dtc_var, result_var], caller="derive_var_lobxfl")
    ref = dataset[["USUBJID"]].merge(reference[["USUBJID", ref_var]], on="USUBJID", how="left")[ref_var]
    ref_date = to_date(pd.Series(ref.to_numpy(), index=dataset.index))
    date = to_date(dataset[dtc_var])
    result = on_distinct(dataset[result_var].astype("string"), lambda u: u.fillna("").str.strip())
    eligible = (date <= ref_date) & (result != "")
    cand = dataset[eligible].assign(_date=date[eligible], _row=np.flatnonzero(eligible.to_numpy()))
    last = cand.sort_values(["_date", "_row"]).groupby(["USUBJID", *by_vars], dropna=False).tail(1)
    out = dataset.copy()
    flag = np.full(len(out), "", dtype=object)
    flag[last["_row"].to_numpy()] = "Y"
    out[new_var] = flag
    return out


def assign_visits(dataset: pd.DataFrame, tv: pd.DataFrame, sv: pd.DataFrame, *, visit_var: str,
                  dtc_var: str) -> pd.DataFrame:
    """VISITNUM and VISIT: planned visits by name from TV, unscheduled ones by date from the subject's SV.

    A visit outside its window keeps its planned (nominal) VISIT, as SDTMIG asks.
    """
    assert_data_frame(dataset, ["USUBJID", visit_var, dtc_var], caller="assign_visits")
    assert_data_frame(tv, ["VISITNUM", "VISIT"], arg="tv", caller="assign_visits")
    assert_data_frame(sv, ["USUBJID", "VISITNUM", "VISIT", "SVSTDTC"], arg="sv", caller="assign_visits")
    name = on_distinct(dataset[visit_var].astype("string"), lambda u: u.str.strip().str.upper())
    unscheduled = name.str.startswith(UNSCHEDULED).fillna(False).to_numpy()
    planned = name.map(dict(zip(tv["VISIT"], tv["VISITNUM"])))
    unplanned_sv = sv[sv["VISIT"].str.startswith(UNSCHEDULED)].drop_duplicates(["USUBJID", "SVSTDTC"])
    by_date = pd.DataFrame({"USUBJID": dataset["USUBJID"].to_numpy(),
                            "SVSTDTC": dataset[dtc_var].astype("string").to_numpy()}).merge(
        unplanned_sv[["USUBJID", "SVSTDTC", "VISITNUM", "VISIT"]], on=["USUBJID", "SVSTDTC"], how="left")
    out = dataset.copy()
    out["VISITNUM"] = np.where(unscheduled, by_date["VISITNUM"].to_numpy(), planned.to_numpy()).astype(float)
    visit = np.where(unscheduled, by_date["VISIT"].to_numpy(), name.to_numpy())
    out["VISIT"] = pd.Series(visit, index=out.index, dtype="string").where(out["VISITNUM"].notna())
    return out
