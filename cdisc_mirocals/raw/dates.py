"""Raw EDC dates (DD-MON-YYYY, with UN/UNK for unknown parts) to ISO 8601, and back.

A partial date stays partial: UN-MAR-2018 becomes 2018-03 and UN-UNK-2018 becomes 2018.
Nothing is imputed here; imputation is an ADaM decision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUM = {m: f"{i:02d}" for i, m in enumerate(MONTHS, start=1)}
_PATTERN = r"^\s*(\d{2}|UN)-([A-Za-z]{3})-(\d{4})\s*$"
EPOCH = np.datetime64("1970-01-01", "D")


def raw_to_iso(values: pd.Series, partial: bool = True) -> pd.Series:
    """ISO 8601 text for each raw date; NA where the value is empty or not a valid date.

    With partial=False, only complete dates are valid.
    """
    text = values.astype("string")
    parts = text.str.upper().str.extract(_PATTERN)
    day, mon, year = parts[0], parts[1], parts[2]
    month = mon.map(_MONTH_NUM)
    out = pd.Series(pd.NA, index=values.index, dtype="string")

    full = day.ne("UN") & day.notna() & month.notna()
    iso_full = year + "-" + month + "-" + day
    real = pd.to_datetime(iso_full.where(full), format="%Y-%m-%d", errors="coerce").notna()
    out = out.mask(full & real, iso_full)
    if partial:
        month_only = day.eq("UN") & month.notna()
        year_only = day.eq("UN") & mon.eq("UNK")
        out = out.mask(month_only, year + "-" + month).mask(year_only, year)
    return out


def days_to_raw(days: np.ndarray) -> np.ndarray:
    """Format integer days since 1970-01-01 as DD-MON-YYYY (vectorised through the unique days)."""
    days = np.asarray(days, dtype=np.int64)
    uniq, inverse = np.unique(days, return_inverse=True)
    dates = (EPOCH + uniq).astype(object)
    text = np.array([f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year:04d}" for d in dates], dtype=object)
    return text[inverse]


def blur_raw(text: np.ndarray, unknown_day: np.ndarray, unknown_month: np.ndarray) -> np.ndarray:
    """Turn complete raw dates into partial ones: UN-MAR-2018 or UN-UNK-2018."""
    out = np.asarray(text, dtype=object).copy()
    unknown_day = unknown_day | unknown_month
    out[unknown_day] = np.array(["UN" + s[2:] for s in out[unknown_day]], dtype=object)
    out[unknown_month] = np.array([s[:3] + "UNK" + s[6:] for s in out[unknown_month]], dtype=object)
    return out


def iso_to_days(iso: str) -> int:
    return int((np.datetime64(iso, "D") - EPOCH).astype(np.int64))
