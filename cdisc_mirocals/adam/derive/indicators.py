"""Record-level indicators of a BDS dataset: on-treatment (ONTRTFL), reference range (ANRIND),
shifts (SHIFTy), criteria (CRITy/CRITyFL) and analysis records (ANLzzFL).

ADaMIG 1.3, BDS variable sets Toxicity and Range, Analysis Parameter Criteria and Flag. A null
flag is "", as everywhere in this package's frames; XPT writes it as a blank.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.derive.order import OrderItem, check_ties, order_vars, pick, sort_by
from cdisc_mirocals.assertions import assert_data_frame, assert_new_var, assert_one_of

Filter = Callable[[pd.DataFrame], pd.Series]
SIGNIF_DIGITS = 15


def signif(values: pd.Series, digits: int = SIGNIF_DIGITS) -> pd.Series:
    """Round to `digits` significant digits (R's signif), so that 0.1 * 3 compares equal to 0.3."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    finite = v.notna() & (v != 0) & np.isfinite(v)
    magnitude = np.floor(np.log10(np.abs(v.where(finite, 1.0))))
    scale = 10.0 ** (digits - 1 - magnitude)
    return v.where(~finite, np.round(v * scale) / scale)


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.normalize()


def derive_var_ontrtfl(dataset: pd.DataFrame, *, start_date: str, ref_start_date: str, end_date: str | None = None,
                       ref_end_date: str | None = None, ref_end_window: int = 0, new_var: str = "ONTRTFL",
                       filter_pre_timepoint: Filter | None = None, span_period: bool = False) -> pd.DataFrame:
    """Flag "Y" the records that occurred while the subject was on treatment (ADaMIG 1.3 ONTRTFL,
    "producer-defined"; here admiral's definition, on dates, time ignored).

    "Y" when `ref_start_date` <= `start_date` <= `ref_end_date` + `ref_end_window` days (no upper
    bound without `ref_end_date`, or where it is null: treatment still ongoing). A null `start_date`
    (a date too partial to impute) is "Y" when the reference start is known, the conservative choice.
    With `end_date`, a record that ended before the reference start is not on treatment; with
    `span_period`, a record that started before it but ended on or after it (or has no end) is.
    Records `filter_pre_timepoint` keeps (e.g. a pre-dose assessment) on the reference start day are
    not on treatment. A null reference start leaves the flag null.
    """
    caller = "derive_var_ontrtfl"
    needed = [start_date, ref_start_date] + [v for v in (end_date, ref_end_date) if v]
    assert_data_frame(dataset, needed, caller=caller)
    assert_new_var(dataset, new_var, caller=caller)
    start, ref_start = _dates(dataset[start_date]), _dates(dataset[ref_start_date])
    upper = (_dates(dataset[ref_end_date]) + pd.Timedelta(days=ref_end_window)) if ref_end_date else \
        pd.Series(pd.NaT, index=dataset.index)
    before_upper = upper.isna() | (start <= upper)
    on = ref_start.notna() & (start.isna() | ((start >= ref_start) & before_upper))
    if end_date:
        end = _dates(dataset[end_date])
        on &= ~(end.notna() & (end < ref_start))
        if span_period:
            on |= ref_start.notna() & start.notna() & before_upper & (end.isna() | (end >= ref_start))
    if filter_pre_timepoint is not None:
        pre = pd.Series(filter_pre_timepoint(dataset), index=dataset.index).fillna(False).astype(bool)
        on &= ~(pre & (start == ref_start))
    out = dataset.copy()
    out[new_var] = np.where(on, "Y", "")
    return out


def derive_var_anrind(dataset: pd.DataFrame, *, new_var: str = "ANRIND", use_a1hia1lo: bool = False,
                      signif_dig: int = SIGNIF_DIGITS) -> pd.DataFrame:
    """Where AVAL falls against the analysis normal range ANRLO-ANRHI (ADaMIG 1.3 ANRIND): "LOW",
    "NORMAL" or "HIGH"; with `use_a1hia1lo`, beyond A1LO/A1HI "LOW LOW" and "HIGH HIGH".

    The limits are inclusive (a value equal to ANRHI is NORMAL). A range with one limit null is open on
    that side; with both null, or AVAL null, the indicator is null. Values are compared at
    `signif_dig` significant digits, so that a limit stored as 0.1 * 3 still equals 0.3.
    """
    caller = "derive_var_anrind"
    assert_data_frame(dataset, ["AVAL", "ANRLO", "ANRHI"] + (["A1LO", "A1HI"] if use_a1hia1lo else []), caller=caller)
    aval, lo, hi = (signif(dataset[v], signif_dig) for v in ("AVAL", "ANRLO", "ANRHI"))
    a1lo, a1hi = ((signif(dataset[v], signif_dig) for v in ("A1LO", "A1HI")) if use_a1hia1lo else
                  (pd.Series(np.nan, index=dataset.index),) * 2)
    low, high = aval < lo, aval > hi
    known = aval.notna() & (lo.notna() | hi.notna())
    result = np.select(
        [~known, low & (a1lo.isna() | (aval >= a1lo)), high & (a1hi.isna() | (aval <= a1hi)), low, high],
        ["", "LOW", "HIGH", "LOW LOW", "HIGH HIGH"], default="NORMAL")
    out = dataset.copy()
    out[new_var] = result
    return out


def derive_var_shift(dataset: pd.DataFrame, *, new_var: str, from_var: str, to_var: str, missing_value: str = "NULL",
                     sep_val: str = " to ", filter: Filter | None = None) -> pd.DataFrame:
    """SHIFTy = "<from_var> to <to_var>", e.g. "NORMAL to HIGH" from BNRIND and ANRIND (ADaMIG 1.3
    SHIFTy, "For example, "NORMAL to HIGH""). A null side reads `missing_value`, so that a subject
    without a baseline shows in a shift table as "NULL to HIGH" rather than vanishing. Records `filter`
    leaves out (e.g. the baseline record itself) get a null shift."""
    assert_data_frame(dataset, [from_var, to_var], caller="derive_var_shift")
    assert_new_var(dataset, new_var, caller="derive_var_shift")

    def text(v: str) -> pd.Series:
        s = dataset[v]
        s = s.map(lambda x: f"{x:g}" if isinstance(x, float) and not np.isnan(x) else x) \
            if pd.api.types.is_numeric_dtype(s) else s
        return s.astype(object).where(s.notna() & (s.astype(str) != ""), missing_value).astype(str)

    keep = pd.Series(True, index=dataset.index) if filter is None else \
        pd.Series(filter(dataset), index=dataset.index).fillna(False).astype(bool)
    out = dataset.copy()
    out[new_var] = (text(from_var) + sep_val + text(to_var)).where(keep, "")
    return out


def derive_vars_crit_flag(dataset: pd.DataFrame, *, condition: Filter, description: str, crit_nr: int = 1,
                          values_yn: bool = False, create_numeric_flag: bool = False) -> pd.DataFrame:
    """CRITy (the criterion's text, on every record) and CRITyFL ("Y" when the record meets it), as
    ADaMIG 1.3 section 4.7 describes; with `values_yn`, "N" where it is not met; with
    `create_numeric_flag`, CRITyFN (1/0). A condition that cannot be evaluated (null) leaves the flags
    null, never "N"."""
    caller = "derive_vars_crit_flag"
    assert_data_frame(dataset, caller=caller)
    if not isinstance(crit_nr, int) or crit_nr < 1:
        raise ValueError(f"{caller}(): `crit_nr` must be a positive whole number, not {crit_nr!r}")
    met = pd.Series(condition(dataset), index=dataset.index).astype("boolean")
    flag = np.where(met.isna(), "", np.where(met.fillna(False), "Y", "N" if values_yn else ""))
    out = dataset.copy()
    out[f"CRIT{crit_nr}"] = description
    out[f"CRIT{crit_nr}FL"] = flag
    if create_numeric_flag:
        out[f"CRIT{crit_nr}FN"] = pd.Series(flag, index=dataset.index).map({"Y": 1.0, "N": 0.0}).astype(float)
        if not values_yn:
            out[f"CRIT{crit_nr}FN"] = out[f"CRIT{crit_nr}FN"].where(met.isna(), met.astype(float))
    return out


def derive_var_anl_flag(dataset: pd.DataFrame, *, by_vars: Sequence[str], order: Sequence[OrderItem],
                        new_var: str = "ANL01FL", mode: str = "first", filter: Filter | None = None,
                        check_type: str = "warning") -> pd.DataFrame:
    """Flag the one record per `by_vars` that an analysis uses (ADaMIG 1.3 ANLzzFL): among the records
    `filter` keeps (default: an analysis visit and a non-null AVAL), the first (or last) by `order`.

    For visit-based analyses by_vars is subject, PARAMCD and AVISIT, and order e.g.
    (AWTDIFF, desc("ADT")): the record nearest the target day, and of two as near the later one.
    Records that `order` cannot tell apart are reported as admiral's check_type says ("warning",
    "error", "none"), and the first in input order is kept.
    """
    caller = "derive_var_anl_flag"
    by_vars = list(by_vars)
    assert_one_of(mode, ("first", "last"), arg="mode", caller=caller)
    assert_one_of(check_type, ("warning", "error", "none"), arg="check_type", caller=caller)
    default = filter is None
    assert_data_frame(dataset, [*by_vars, *order_vars(order)] + (["AVISIT", "AVAL"] if default else []), caller=caller)
    assert_new_var(dataset, new_var, caller=caller)
    if default:
        filter = lambda d: (d["AVISIT"].fillna("") != "") & d["AVAL"].notna()  # noqa: E731
    keep = pd.Series(filter(dataset), index=dataset.index).fillna(False).astype(bool)
    candidates = sort_by(dataset[keep], by_vars, order)
    chosen = pick(candidates, by_vars, mode)
    check_ties(candidates, by_vars, order, mode=mode, check_type=check_type, caller=caller)
    out = dataset.copy()
    out[new_var] = np.where(out.index.isin(chosen.index), "Y", "")
    return out

