"""Dates every stage shares: ISO 8601 text (SDTM --DTC), calendar dates, SAS dates and study days.

It lives below the raw reader, SDTM, ADaM and validation, which all import it; nothing here knows
about a domain.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_one_of

# YYYY[-MM[-DD[Thh[:mm[:ss[.f]]]]]], and the SDTMIG forms with an unknown component written as "-".
ISO_8601 = (r"\d{4}(-(0[1-9]|1[0-2]|-)(-(0[1-9]|[12]\d|3[01]|-)"
            r"(T([01]\d|2[0-3]|-)(:([0-5]\d|-)(:[0-5]\d(\.\d+)?)?)?)?)?)?")
SAS_EPOCH = pd.Timestamp("1960-01-01")


def is_iso8601(values: pd.Series) -> pd.Series:
    """True where a --DTC value is a valid ISO 8601 date/datetime (complete or partial) or empty."""
    text = values.astype("string").fillna("")
    ok = text.str.fullmatch(ISO_8601).fillna(False) | (text == "")
    full = text.str.len() >= 10
    real = pd.to_datetime(text.where(full).str.slice(0, 10), format="%Y-%m-%d", errors="coerce").notna()
    return ok & (~full | real)


def to_date(dtc: pd.Series) -> pd.Series:
    """The calendar date of a --DTC value; NaT unless the date part is complete. Dates repeat, so each
    distinct value is parsed once and the result spread back."""
    codes, uniques = pd.factorize(dtc.to_numpy(dtype=object))
    text = pd.Series(uniques, dtype=object).astype("string")
    full = text.str.len().fillna(0) >= 10
    parsed = pd.to_datetime(text.where(full).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    dates = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(dates[codes], index=dtc.index, name=dtc.name)  # a missing value's code, -1: NaT


def as_date(values: pd.Series) -> pd.Series:
    """Dates from either datetimes (ADaM --DT) or ISO 8601 text (SDTM --DTC), at day resolution."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize()
    return to_date(values)


def to_sas_days(dates: pd.Series) -> pd.Series:
    """Days since 1960-01-01, the SAS date that XPT files hold, as float (NaN when missing)."""
    return (dates - SAS_EPOCH).dt.days.astype("float64")


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """date - reference + 1 on or after the reference, date - reference before it: there is no day 0."""
    delta = (dates - reference).dt.days
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=dates.index).where(delta.notna())


def derive_vars_dy(dataset: pd.DataFrame, *, reference_date: str, source_vars: dict[str, str],
                   reference: pd.DataFrame | None = None, by_vars: Sequence[str] = ("USUBJID",)) -> pd.DataFrame:
    """Add study days {new_var: source_var} relative to `reference_date`, with no day 0 (admiral's
    derive_vars_dy; SDTMIG 3.4 section 4.4.4).

    Sources and reference are dates or ISO 8601 text; a partial date gives no study day. With
    `reference` (e.g. DM), `reference_date` (e.g. RFSTDTC) is read from it, matched on `by_vars`.
    """
    if reference is None:
        assert_data_frame(dataset, [reference_date, *source_vars.values()], caller="derive_vars_dy")
        ref = dataset[reference_date]
    else:
        assert_data_frame(dataset, [*by_vars, *source_vars.values()], caller="derive_vars_dy")
        assert_data_frame(reference, [*by_vars, reference_date], arg="reference", caller="derive_vars_dy")
        lookup = reference[[*by_vars, reference_date]].drop_duplicates(list(by_vars))
        ref = dataset[list(by_vars)].merge(lookup, on=list(by_vars), how="left")[reference_date]
        ref = pd.Series(ref.to_numpy(), index=dataset.index)
    ref_date = as_date(ref)
    out = dataset.copy()
    for new_var, source in source_vars.items():
        out[new_var] = study_day(as_date(out[source]), ref_date)
    return out


IMPUTATION_LEVELS = ("n", "D", "M")  # none, day only, month and day
RULES = ("first", "mid", "last")


def impute_date_text(text: pd.Series, level: str, rule: str) -> tuple[pd.Series, pd.Series]:
    """Complete date text and its imputation flag ('D', 'M' or '') for each ISO 8601 value."""
    date = text.str.slice(0, 10)
    length = date.str.len().fillna(0)
    year, month = date.str.slice(0, 4), date.str.slice(5, 7)
    first_of_month = pd.to_datetime(year + "-" + month + "-01", format="%Y-%m-%d", errors="coerce")
    last_day = (first_of_month + pd.offsets.MonthEnd(0)).dt.day.astype("Int64").astype("string").str.zfill(2)
    day_fill = {"first": "01", "mid": "15", "last": last_day}[rule]
    month_fill = {"first": "01-01", "mid": "06-30", "last": "12-31"}[rule]
    out = date.where(length == 10)
    flag = pd.Series("", index=text.index, dtype="string")
    if level in ("D", "M"):
        day_missing = length == 7
        out = out.mask(day_missing, date + "-" + (day_fill if isinstance(day_fill, str) else day_fill.astype("string")))
        flag = flag.mask(day_missing, "D")
    if level == "M":
        month_missing = length == 4
        out = out.mask(month_missing, year + "-" + month_fill)
        flag = flag.mask(month_missing, "M")
    return out, flag


def derive_vars_dt(dataset: pd.DataFrame, *, new_vars_prefix: str, dtc: str, highest_imputation: str = "n",
                   date_imputation: str = "first", flag_imputation: bool = True,
                   min_dates: Sequence[str] = (), max_dates: Sequence[str] = ()) -> pd.DataFrame:
    """Add {prefix}DT (and {prefix}DTF) from the ISO 8601 variable `dtc`.

    highest_imputation: 'n' imputes nothing, 'D' imputes a missing day, 'M' a missing month and day.
    date_imputation: 'first', 'mid' or 'last' of the missing period.
    min_dates / max_dates: an imputed date is moved up to the latest of `min_dates` (or down to the
    earliest of `max_dates`) when that date lies inside the partial date's period, so that, for
    example, an AE starting in the month of first dose is not imputed to before the dose.
    """
    assert_data_frame(dataset, [dtc, *min_dates, *max_dates], caller="derive_vars_dt")
    assert_one_of(highest_imputation, IMPUTATION_LEVELS, arg="highest_imputation", caller="derive_vars_dt")
    assert_one_of(date_imputation, RULES, arg="date_imputation", caller="derive_vars_dt")
    text = dataset[dtc].astype("string").fillna("").str.strip()
    completed, flag = impute_date_text(text, highest_imputation, date_imputation)
    date = pd.to_datetime(completed, format="%Y-%m-%d", errors="coerce")
    imputed = flag != ""
    period_start, _ = impute_date_text(text, "M", "first")
    period_end, _ = impute_date_text(text, "M", "last")
    start, end = pd.to_datetime(period_start, errors="coerce"), pd.to_datetime(period_end, errors="coerce")
    if min_dates:
        floor = dataset[list(min_dates)].apply(pd.to_datetime).max(axis=1)
        move = imputed & floor.notna() & (floor >= start) & (floor <= end) & (date < floor)
        date = date.mask(move, floor)
    if max_dates:
        ceiling = dataset[list(max_dates)].apply(pd.to_datetime).min(axis=1)
        move = imputed & ceiling.notna() & (ceiling >= start) & (ceiling <= end) & (date > ceiling)
        date = date.mask(move, ceiling)
    out = dataset.copy()
    out[f"{new_vars_prefix}DT"] = date
    if flag_imputation:
        out[f"{new_vars_prefix}DTF"] = flag.where(date.notna(), "").astype(object)
    return out
