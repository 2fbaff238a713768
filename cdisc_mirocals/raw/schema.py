"""pandera schemas for the raw forms, generated from specs/raw.

Raw values are validated as text, the way the export wrote them; conversion to types happens only
once a form is known to be clean. Each check's `error` is the expectation a user reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.metadata.numbers import EXACT_INTEGER, XPT_RANGE, number_text, outside_xpt
from cdisc_mirocals.metadata.steps import XPT_MAX_BYTES, byte_lengths
from cdisc_mirocals.metadata.textparts import max_parts, split_words
from cdisc_mirocals.raw.dates import raw_to_iso, well_formed
from cdisc_mirocals.spec import RawField, RawForm, Spec

DATE_FORMAT = "a date as DD-MON-YYYY, e.g. 05-MAR-2018"
YEARS = (pd.Timestamp.min.year + 1, pd.Timestamp.max.year - 1)  # 1678 to 2261
PARTIAL_FORMAT = DATE_FORMAT + ", with UN for an unknown day and UNK for an unknown month (UN-MAR-2018, UN-UNK-2018)"


@dataclass(frozen=True)
class TargetLimit:
    """What the SDTM variable a raw field is written to holds, beyond the field's own checks."""

    text_length: int | None = None  # a number written as text (--ORRES, --SPID): its Length in specs
    parts: int | None = None  # text over 200 bytes: the variable and its SUPP-- QNAMs, 200 characters each


def target_limits(form: RawForm, spec: Spec) -> dict[str, TargetLimit]:
    out = {}
    for f in form.fields:
        dataset, _, name = f.target.partition(".")
        ds = spec.sdtm.datasets.get(dataset)
        if ds is None or name not in ds.names:
            continue
        var = ds.variable(name)
        if f.type in ("integer", "float") and not var.is_numeric and var.length:
            out[f.name] = TargetLimit(text_length=var.length)
        elif f.type == "text" and (f.length or 0) > XPT_MAX_BYTES:
            out[f.name] = TargetLimit(parts=max_parts(spec.sdtm, dataset, name))
    return out


def _too_many_parts(s: pd.Series, parts: int) -> pd.Series:
    long = byte_lengths(s) > XPT_MAX_BYTES
    return long & s.where(long, "").str.strip().map(lambda v: len(split_words(v)) > parts)


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The codes and distinct values of a text column. Raw forms repeat their values (codes, dates, units,
    subjects), so checks and conversions run once per distinct value and are spread back with one take."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, pd.Series(uniques, dtype=object)


class Factors:
    """`distinct` of each column of one frame, computed on first use and kept for every later stage of the
    reader; `changed` forgets a column the text policy rewrote."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._done: dict[str, tuple[np.ndarray, pd.Series]] = {}

    def __call__(self, name: str) -> tuple[np.ndarray, pd.Series]:
        if name not in self._done:
            self._done[name] = distinct(self.frame[name])
        return self._done[name]

    def changed(self, name: str) -> None:
        self._done.pop(name, None)


def _same_column(compute):
    """pandera runs a column's checks one after another on the same Series: parse it once for all of
    them (one entry, held by reference, so a new Series is never mistaken for the last)."""
    last: list = [None, None]

    def cached(s: pd.Series) -> pd.Series:
        if last[0] is not s:
            last[:] = [s, compute(s)]
        return last[1]
    return cached


def _per_value(function):
    """`function` of each distinct value, spread back over the column: coded fields, dates and units
    repeat, so each is computed once (pandas' factorize hashes the column in C)."""
    def apply(s: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        values = np.array([function(u) for u in uniques] + [None], dtype=object)
        return pd.Series(values[codes], index=s.index)
    return apply


_stripped = _same_column(_per_value(str.strip))
_coded = _same_column(_per_value(lambda v: v.strip().casefold()))


def _blank(s: pd.Series) -> pd.Series:
    return _stripped(s) == ""


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return np.nan


@_same_column
def _number(s: pd.Series) -> pd.Series:
    """Numbers as Python reads them: pandas gives NaN where a number overflows ('1e400'), Python inf."""
    text = _stripped(s)
    x = pd.to_numeric(text, errors="coerce").astype("float64")
    retry = x.isna() & text.ne("")
    if retry.any():
        x = x.copy()
        x[retry] = text[retry].map(_float)
    return x


def normalise(s: pd.Series) -> pd.Series:
    """The comparison form of a coded value: exports carry stray spaces and mixed case."""
    return s.str.strip().str.casefold()


_DATE = re.compile(r"^\s*(?:[0-9]{2}|UN)-[A-Za-z]{3}-([0-9]{4})\s*$")


def _year_out_of_range(text: str) -> bool:
    match = _DATE.match(text)
    return match is not None and not YEARS[0] <= int(match.group(1)) <= YEARS[1]


@_same_column
def _out_of_range(s: pd.Series) -> pd.Series:
    """A date written as DD-MON-YYYY whose year pandas cannot hold as a timestamp."""
    return _per_value(_year_out_of_range)(s).astype(bool)


def _well_formed(s: pd.Series, partial: bool) -> pd.Series:
    return well_formed(s, partial)  # cached per distinct text


@_same_column
def _whole(s: pd.Series) -> pd.Series:
    return _stripped(s).str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool)


def _exact_integer(s: pd.Series) -> pd.Series:
    """A whole number a double holds exactly (pandas' Int64 and a SAS numeric both hold it)."""
    digits = _stripped(s).str.lstrip("+-").str.lstrip("0")
    n = digits.str.len()
    return ~_whole(s) | (n < 16) | ((n == 16) & (digits <= str(EXACT_INTEGER)))


@_same_column
def _outside_xpt(s: pd.Series) -> pd.Series:
    """Finite numbers XPT cannot hold, including those too small even for a double ('1e-400' reads 0)."""
    x = _number(s)
    out = ~np.isinf(x) & outside_xpt(x)
    zero = x.eq(0).to_numpy()
    if zero.any():  # a zero whose digits are not all zero underflowed
        mantissa = _stripped(s)[zero].str.split(r"[eE]", n=1, regex=True).str[0]
        out[zero] = mantissa.str.contains(r"[1-9]").fillna(False).to_numpy()
    return out


def _usable(s: pd.Series, integer: bool) -> pd.Series:
    """A number that passes its field's type checks: the bounds and length checks look at these only, so
    that one bad value gets one message."""
    x = _number(s)
    ok = np.isfinite(x) & ~_outside_xpt(s)
    return ok & _whole(s) & (x.abs() <= EXACT_INTEGER) if integer else ok


def _fits_text(s: pd.Series, length: int, integer: bool) -> pd.Series:
    """The number's text in SDTM (--ORRES, --SPID: shortest exact form) fits `length` bytes."""
    return number_text(_number(s).where(_usable(s, integer))).fillna("").str.len() <= length


def field_checks(field: RawField, target: TargetLimit = TargetLimit()) -> list[pa.Check]:
    checks, integer = [], field.type == "integer"
    if field.required:
        checks.append(pa.Check(lambda s: ~_blank(s), error="a value is required", name="required"))
    if field.type == "integer":
        checks.append(pa.Check(lambda s: _blank(s) | _whole(s), error="a whole number", name="integer"))
        checks.append(pa.Check(_exact_integer, name="exact integer",
                               error=f"a whole number of at most {EXACT_INTEGER} in size (held exactly as a number)"))
    elif field.type == "float":
        checks.append(pa.Check(lambda s: _blank(s) | _number(s).notna(), name="number",
                               error="a number (a missing value is an empty field)"))
        checks.append(pa.Check(lambda s: ~np.isinf(_number(s)), name="finite",
                               error="a finite number: SAS transport (XPT v5) has no infinity"))
        checks.append(pa.Check(lambda s: ~_outside_xpt(s), name="xpt range", error=XPT_RANGE))
    elif field.type in ("date", "partial date"):
        partial = field.type == "partial date"
        checks.append(pa.Check(lambda s, p=partial: _blank(s) | _well_formed(s, p) | _out_of_range(s),
                               error=PARTIAL_FORMAT if partial else DATE_FORMAT, name=field.type))
        checks.append(pa.Check(lambda s, p=partial: ~_well_formed(s, p) | raw_to_iso(s, partial=p).notna()
                               | _out_of_range(s), name="calendar date",
                               error="a date that exists: the month has no such day (e.g. 31-FEB-2018, 29-FEB-2019)"))
        checks.append(pa.Check(lambda s: ~_out_of_range(s), name="date range",
                               error=f"a year from {YEARS[0]} to {YEARS[1]} (the dates the conversion computes with)"))
    elif field.type == "time":
        checks.append(pa.Check(lambda s: _blank(s) | _stripped(s).str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d").fillna(False),
                               error="a time as HH:MM", name="time"))
    if target.text_length is not None:
        checks.append(pa.Check(lambda s, n=target.text_length: _fits_text(s, n, integer), name="target length",
                               error=f"a number of at most {target.text_length} characters as written to "
                                     f"{field.target} (its Length in specs), e.g. with fewer decimals"))
    if target.parts is not None:
        checks.append(pa.Check(lambda s, n=target.parts: ~_too_many_parts(s, n), name="target parts",
                               error=f"text that {field.target} and its SUPP-- records hold: at most {target.parts} "
                                     f"parts of {XPT_MAX_BYTES} characters, split at spaces (SDTMIG 3.4 4.5.3.2); "
                                     "shorten it, or break its longest words"))
    if field.length is not None:
        checks.append(pa.Check(lambda s, n=field.length: byte_lengths(s) <= n, name="length",
                               error=f"at most {field.length} bytes (the field's length in specs/raw)"))
    if field.min is not None:
        checks.append(pa.Check(lambda s, m=field.min: ~((_number(s) < m) & _usable(s, integer)), name="min",
                               error=f"a value of at least {field.min:g}"))
    if field.max is not None:
        checks.append(pa.Check(lambda s, m=field.max: ~((_number(s) > m) & _usable(s, integer)), name="max",
                               error=f"a value of at most {field.max:g}"))
    if field.allowed:
        allowed = {v.casefold() for v in field.allowed}
        checks.append(pa.Check(lambda s, a=allowed: _blank(s) | _coded(s).isin(a),
                               error="one of " + " | ".join(field.allowed), name="allowed"))
    return checks


def form_schema(form: RawForm, subjects: set[str] | None = None, parent_file: str = "",
                targets: dict[str, TargetLimit] | None = None) -> pa.DataFrameSchema:
    """The schema of one form; `subjects` are the enrolled subjects a child form may refer to;
    `targets` what each field's SDTM variable holds (target_limits). Unique keys are checked apart
    (raw/keys.py), on the values as the mappers compare them."""
    columns = {}
    for field in form.fields:
        checks = field_checks(field, (targets or {}).get(field.name, TargetLimit()))
        if field.name == "SUBJID" and subjects is not None:
            checks.append(pa.Check(lambda s, known=subjects: _blank(s) | _stripped(s).isin(known),
                                   error=f"a subject enrolled in {parent_file}", name="known subject"))
        # No dtype: every column is text by construction (raw/csvfile.py), and pandera's element-wise
        # type check would cost as much as all the other checks together.
        columns[field.name] = pa.Column(None, checks=checks, nullable=False, coerce=False)
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name=form.name)
