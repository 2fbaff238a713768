"""Dates from ISO 8601 text, with imputation of partial dates and the --DTF flag (as admiral's
derive_vars_dt), and durations. Study days are `cdisc_mirocals.dates.derive_vars_dy`, shared with SDTM.

ADaM frames hold dates as pandas datetime64; they become SAS dates only at the XPT boundary.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_one_of

IMPUTATION_LEVELS = ("n", "D", "M")  # none, day only, month and day
RULES = ("first", "mid", "last")


def _impute(text: pd.Series, level: str, rule: str) -> tuple[pd.Series, pd.Series]:
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
    completed, flag = _impute(text, highest_imputation, date_imputation)
    date = pd.to_datetime(completed, format="%Y-%m-%d", errors="coerce")
    imputed = flag != ""
    period_start, _ = _impute(text, "M", "first")
    period_end, _ = _impute(text, "M", "last")
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


TIME_LEVELS = ("n", "s", "m", "h", "D", "M")  # impute up to: seconds, minutes, hours, day, month


def derive_vars_dtm(dataset: pd.DataFrame, *, new_vars_prefix: str, dtc: str, highest_imputation: str = "h",
                    date_imputation: str = "first", time_imputation: str = "first",
                    flag_imputation: bool = True) -> pd.DataFrame:
    """Add {prefix}DTM (datetime) with {prefix}DTF and {prefix}TMF from the ISO 8601 variable `dtc`.

    highest_imputation: 's', 'm' or 'h' impute missing time components up to seconds, minutes or
    hours; 'D' and 'M' impute the day (and month) too, with the time. time_imputation 'first' fills
    00:00:00, 'last' 23:59:59. TMF is 'H', 'M' or 'S': the highest time component imputed.
    """
    assert_data_frame(dataset, [dtc], caller="derive_vars_dtm")
    assert_one_of(highest_imputation, TIME_LEVELS, arg="highest_imputation", caller="derive_vars_dtm")
    assert_one_of(time_imputation, ("first", "last"), arg="time_imputation", caller="derive_vars_dtm")
    level = TIME_LEVELS.index(highest_imputation)
    text = dataset[dtc].astype("string").fillna("").str.strip()
    date, dtf = _impute(text, {5: "M", 4: "D"}.get(level, "n"), date_imputation)
    time = text.str.extract(r"T(\d{2})?(?::(\d{2}))?(?::(\d{2}))?")
    fill = ("00", "00", "00") if time_imputation == "first" else ("23", "59", "59")
    parts, tmf = [], pd.Series("", index=text.index, dtype="string")
    for i, (flag, needs) in enumerate((("H", 3), ("M", 2), ("S", 1))):
        missing = time[i].isna()
        parts.append(time[i].fillna(fill[i]))
        tmf = tmf.mask(missing & (tmf == ""), flag)
        allowed = level >= needs
        date = date.where(~missing | allowed)
    stamp = pd.to_datetime(date + "T" + parts[0] + ":" + parts[1] + ":" + parts[2], format="%Y-%m-%dT%H:%M:%S",
                           errors="coerce")
    out = dataset.copy()
    out[f"{new_vars_prefix}DTM"] = stamp
    if flag_imputation:
        out[f"{new_vars_prefix}DTF"] = dtf.where(stamp.notna(), "").astype(object)
        out[f"{new_vars_prefix}TMF"] = tmf.where(stamp.notna(), "").astype(object)
    return out


def _day_difference(date: pd.Series, reference: pd.Series) -> pd.Series:
    return (pd.to_datetime(date) - pd.to_datetime(reference)).dt.days


def derive_vars_duration(dataset: pd.DataFrame, *, new_var: str, start_date: str, end_date: str,
                         new_var_unit: str | None = None, unit_value: str = "DAYS", add_one: bool = True) -> pd.DataFrame:
    """Add the duration end_date - start_date (+1 with add_one) in days, and optionally its unit
    (`unit_value`, e.g. the ADaM CT term DAYS), set where the duration is."""
    assert_data_frame(dataset, [start_date, end_date], caller="derive_vars_duration")
    out = dataset.copy()
    days = _day_difference(out[end_date], out[start_date]).astype(float)
    out[new_var] = days + (1 if add_one else 0)
    if new_var_unit:
        out[new_var_unit] = np.where(out[new_var].notna(), unit_value, "")
    return out
