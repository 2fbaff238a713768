"""Tests of values run once per distinct value. Clinical data repeat their values (units, test codes,
dates, visit names), so factorising a column once and testing its distinct values is many times
faster than testing every record, and stays vectorised: the result is spread back with one take."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

Test = Callable[[pd.Series], pd.Series]


class Distinct:
    """The columns of one frame, each factorised on first use."""

    def __init__(self, frame: pd.DataFrame, encoding: str = "utf-8",
                 factors: dict[str, tuple[np.ndarray, np.ndarray]] | None = None):
        """`factors`: columns the reader has factorised already, as pd.factorize would (codes in order
        of first appearance)."""
        self.frame, self.encoding = frame, encoding
        self._factors: dict[str, tuple[np.ndarray, pd.Series]] = {
            name: (codes, pd.Series(uniques, dtype=object)) for name, (codes, uniques) in (factors or {}).items()}
        self._bytes: dict[str, np.ndarray] = {}
        self._tests: dict[tuple, np.ndarray] = {}

    def factor(self, name: str) -> tuple[np.ndarray, pd.Series]:
        if name not in self._factors:
            self._factors[name] = factorise(self.frame[name])
        return self._factors[name]

    def covers(self, s: pd.Series) -> bool:
        return s.name in self.frame and len(s) == len(self.frame) and s.index.equals(self.frame.index)


def factorise(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Series(np.asarray(uniques, dtype=values.dtype if values.dtype.kind == "f" else object))


def per_value(values: pd.Series, test: Test, distinct: Distinct | None = None) -> pd.Series:
    """test() of each distinct value, spread back to every record (a boolean Series aligned on `values`).
    With a Distinct, a module-level test (present, ISO 8601, ...) is also computed once per column."""
    cached = distinct is not None and distinct.covers(values)
    codes, uniques = distinct.factor(values.name) if cached else factorise(values)
    key = (values.name, test) if cached and getattr(test, "__name__", "<lambda>") != "<lambda>" else None
    if key is not None and key in distinct._tests:
        ok = distinct._tests[key]
    else:
        ok = np.asarray(test(uniques), dtype=bool) if len(uniques) else np.zeros(0, dtype=bool)
        if key is not None:
            distinct._tests[key] = ok
    return pd.Series(ok[codes] if len(codes) else np.zeros(0, dtype=bool), index=values.index)


def _lengths(uniques: pd.Series, encoding: str) -> np.ndarray:
    text = uniques.astype(object).where(uniques.notna(), "").astype(str)
    return text.str.encode(encoding, errors="replace").str.len().to_numpy()


def byte_lengths(values: pd.Series, distinct: Distinct | None = None) -> pd.Series:
    """The length in bytes of each value (0 for missing), in the file's encoding (UTF-8 by default)."""
    if distinct is not None and distinct.covers(values):
        codes, uniques = distinct.factor(values.name)
        if values.name not in distinct._bytes:
            distinct._bytes[values.name] = _lengths(uniques, distinct.encoding)
        lengths = distinct._bytes[values.name]
    else:
        codes, uniques = factorise(values)
        lengths = _lengths(uniques, "utf-8")
    return pd.Series(lengths[codes] if len(codes) else np.zeros(0, dtype=int), index=values.index)


PRECISION = 12  # significant digits at which numbers are compared, as SAS compares them (IBM-to-IEEE noise)


def at_precision(values: pd.Series, digits: int = PRECISION) -> pd.Series:
    """Numbers rounded to `digits` significant digits, so that 1.3000000000000003 (one bit of conversion
    noise) equals 1.3; text and missing values are returned as they are. Rounded once per distinct value."""
    if values.dtype.kind != "f":
        return values
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rounded = np.array([float(f"{v:.{digits}g}") for v in uniques], dtype=float)
    out = np.full(len(values), np.nan)
    ok = codes >= 0
    out[ok] = rounded[codes[ok]]
    return pd.Series(out, index=values.index, name=values.name)
