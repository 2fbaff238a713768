"""Datetimes from ISO 8601 text with imputation and the --DTF/--TMF flags, and durations. Dates
(`derive_vars_dt`, as admiral's) and study days (`derive_vars_dy`) live in `cdisc_mirocals.dates`,
shared with SDTM, and are re-exported here.

ADaM frames hold dates as pandas datetime64; they become SAS dates only at the XPT boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_one_of
from cdisc_mirocals.dates import derive_vars_dt, impute_date_text

__all__ = ["derive_vars_dt", "derive_vars_dtm", "derive_vars_duration"]

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
    date, dtf = impute_date_text(text, {5: "M", 4: "D"}.get(level, "n"), date_imputation)
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
