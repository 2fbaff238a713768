"""Raw EDC dates (DD-MON-YYYY, with UN/UNK for unknown parts) to ISO 8601, and back.

A partial date stays partial: UN-MAR-2018 becomes 2018-03 and UN-UNK-2018 becomes 2018.
Nothing is imputed here; imputation is an ADaM decision.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import numpy as np
import pandas as pd

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_NUM = {m: f"{i:02d}" for i, m in enumerate(MONTHS, start=1)}
_RAW = re.compile(r"^\s*([0-9]{2}|UN)-([A-Z]{3})-([0-9]{4})\s*$")  # matched upper-cased
_FIRST, _LAST = pd.Timestamp.min.date() + dt.timedelta(days=1), pd.Timestamp.max.date()
EPOCH = np.datetime64("1970-01-01", "D")


def raw_to_iso(values: pd.Series, partial: bool = True) -> pd.Series:
    """ISO 8601 text for each raw date; NA where the value is empty or not a valid date.

    With partial=False, only complete dates are valid. Each distinct value is parsed once: a form
    repeats its dates (every lab test of a visit shares one).
    """
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    iso = np.array([_one_iso(text, partial) for text in uniques] + [None], dtype=object)
    return pd.Series(iso[codes], index=values.index, dtype="string")  # code -1 (missing) takes the None


@lru_cache(maxsize=1 << 16)
def _one_iso(text: str, partial: bool) -> str | None:
    match = _RAW.match(text.upper())
    if match is None:
        return None
    day, mon, year = match.groups()
    month = _MONTH_NUM.get(mon)
    if day != "UN" and month:
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
        return date.isoformat() if _FIRST <= date <= _LAST else None  # the dates pandas can hold
    if partial and day == "UN":
        return f"{year}-{month}" if month else year if mon == "UNK" else None
    return None


def well_formed(values: pd.Series, partial: bool = True) -> pd.Series:
    """Written as DD-MON-YYYY with a month that exists (UN and UNK where partial), whether or not the day
    exists in that month: a format error and an impossible date are told apart."""
    text = values.astype(object)
    return pd.Series([isinstance(t, str) and _well_formed(t, partial) for t in text], index=values.index, dtype=bool)


@lru_cache(maxsize=1 << 16)
def _well_formed(text: str, partial: bool) -> bool:
    match = _RAW.match(text.upper())
    if match is None:
        return False
    day, mon, _ = match.groups()
    if day == "UN":
        return partial and (mon in _MONTH_NUM or mon == "UNK")
    return mon in _MONTH_NUM


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
