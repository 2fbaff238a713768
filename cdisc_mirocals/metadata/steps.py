"""Shape a derived frame to its specification in small explicit steps, as xportr does.

    shaped = start(frame, dataset)
    shaped = apply_variables(shaped, log)   # the spec's variables: missing ones added empty, unknown refused
    shaped = apply_type(shaped, log)        # text as text ("" when missing), numbers and dates as float
    shaped = apply_length(shaped, log)      # spec Length is a ceiling; the XPT length is the longest value
    shaped = apply_label(shaped, log)
    shaped = apply_format(shaped, log)
    shaped = apply_order(shaped, log)       # spec variable order, records sorted by the key variables

`shape()` runs them all. Each step returns a new `Shaped` and says in `log` what it changed. Every
value that cannot be written as specified is collected and refused together, naming the dataset,
variable, record and, when the frame still carries it, the raw file and line it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import to_sas_days
from cdisc_mirocals.errors import Problem, ProblemsError
from cdisc_mirocals.metadata.numbers import XPT_RANGE, outside_xpt
from cdisc_mirocals.spec import Dataset

XPT_MAX_BYTES = 200  # SAS transport v5: the longest character value
LOGGER = logging.getLogger("cdisc_mirocals.metadata")
FORM, LINE = "_FORM", "_LINE"


class ConformanceError(ProblemsError):
    kind = "conformance error"


@dataclass(frozen=True)
class Column:
    """What a writer needs of one variable, filled step by step."""

    name: str
    numeric: bool = False
    length: int = 0  # bytes: the longest value (character) or 8 (numeric)
    label: str = ""
    format: str = ""


@dataclass(frozen=True)
class Shaped:
    dataset: Dataset
    frame: pd.DataFrame
    columns: tuple[Column, ...] = ()

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def label(self) -> str:
        return self.dataset.description

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass
class ShapeLog:
    """What the steps changed, one line each; also sent to the `cdisc_mirocals.metadata` logger."""

    entries: list[str] = field(default_factory=list)
    files: Mapping[str, str] = field(default_factory=dict)  # raw form -> file name, to locate problems

    def add(self, dataset: str, message: str) -> None:
        line = f"{dataset}: {message}"
        self.entries.append(line)
        LOGGER.info(line)


def text_values(values: pd.Series) -> np.ndarray:
    """The values as an object array of str with "" where missing, as `astype("string").fillna("")`
    gives them; text columns, the usual case, are not converted element by element. The array may be
    the frame's own (text with nothing missing, as every shaped column is): read it, never write it."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":  # none missing
        return values.to_numpy(dtype=object, copy=False)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        text = values.to_numpy(dtype=object, copy=True)
        missing = pd.isna(text)
        if missing.any():
            text[missing] = ""
        return text
    return values.astype("string").fillna("").to_numpy(dtype=object)


def shared_text(text: np.ndarray) -> np.ndarray:
    """The same values, equal strings now one object: mapped records repeat their text (USUBJID, test
    codes, units, visits), and one Python object per record and variable is most of a large study's
    memory."""
    codes, uniques = pd.factorize(text)
    return uniques.take(codes)


def byte_lengths(values: pd.Series) -> pd.Series:
    """The UTF-8 length of each value ("" when missing); ASCII text, the usual case, is not encoded."""
    text = text_values(values)
    if "".join(text).isascii():
        lengths = np.fromiter(map(len, text), dtype="int64", count=len(text))
    else:
        lengths = np.fromiter((len(t.encode("utf-8")) for t in text), dtype="int64", count=len(text))
    return pd.Series(lengths, index=values.index)


def xpt_length(values: Iterable) -> int:
    """The XPT length of a character variable: its longest value in bytes, at least 1 (FDA TCG 4.1.5).
    The one definition: the XPT writer, Dataset-JSON and define.xml all use it."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_numeric_dtype(series) and not series.isna().all():
        raise TypeError(f"xpt_length takes text values; got a {series.dtype} column")
    return max(1, int(byte_lengths(series).max())) if len(series) else 1


def start(frame: pd.DataFrame, dataset: Dataset) -> Shaped:
    return Shaped(dataset, frame, tuple(Column(v.name, v.is_numeric) for v in dataset.variables))


def _where(shaped: Shaped, log: ShapeLog, rows: np.ndarray) -> list[tuple[str, int | None]]:
    """(file, line) of each record: the raw record it was mapped from, else the dataset record."""
    frame = shaped.frame
    if FORM in frame.columns and LINE in frame.columns:
        forms, lines = frame[FORM].to_numpy()[rows], frame[LINE].to_numpy()[rows]
        return [(log.files.get(f, f), int(n)) if isinstance(f, str) and pd.notna(n)
                else (shaped.name, int(r) + 1) for f, n, r in zip(forms, lines, rows)]
    return [(shaped.name, int(r) + 1) for r in rows]


def apply_variables(shaped: Shaped, log: ShapeLog) -> Shaped:
    """Every spec variable present (those not derived are added empty); a variable the spec does not
    define is refused, for ADaM as for SDTM. Private `_` columns pass through to the last step."""
    frame, ds = shaped.frame, shaped.dataset
    unknown = [c for c in frame.columns if c not in ds.names and not str(c).startswith("_")]
    if unknown:
        raise ConformanceError([Problem(ds.name, None, c, None, f"a variable of {ds.name} in specs "
                                        "(derived but not specified)") for c in unknown])
    missing = [v.name for v in ds.variables if v.name not in frame.columns]
    if missing:
        log.add(ds.name, f"added empty, not derived: {', '.join(missing)}")
        frame = frame.assign(**{m: pd.Series(np.nan, index=frame.index) for m in missing})
    return replace(shaped, frame=frame)


def apply_type(shaped: Shaped, log: ShapeLog) -> Shaped:
    """Text as text with "" for missing (as SAS holds it); numbers as float64; dates as SAS dates."""
    frame, ds = shaped.frame, shaped.dataset
    out, problems = {}, []
    for var in ds.variables:
        values = frame[var.name]
        if var.is_numeric and pd.api.types.is_datetime64_any_dtype(values):
            out[var.name] = to_sas_days(values)
            log.add(ds.name, f"{var.name}: dates as SAS day numbers")
        elif var.is_numeric:
            number = pd.to_numeric(values, errors="coerce").astype("float64")
            bad = np.flatnonzero((number.isna() & values.notna()).to_numpy())
            if len(bad):  # "" is missing, not a bad number
                bad = bad[text_values(values.iloc[bad]) != ""]
            for (file, line), row in zip(_where(shaped, log, bad), bad):
                problems.append(Problem(file, line, var.name, str(values.iloc[row]), "a number"))
            huge = np.flatnonzero(outside_xpt(number).to_numpy())  # a derived value no XPT file holds
            for (file, line), row in zip(_where(shaped, log, huge), huge):
                problems.append(Problem(file, line, var.name, repr(float(number.iloc[row])), XPT_RANGE))
            if not pd.api.types.is_numeric_dtype(values) and values.notna().any():
                log.add(ds.name, f"{var.name}: {values.dtype} as float64")
            out[var.name] = number
        else:
            if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
                log.add(ds.name, f"{var.name}: {values.dtype} as text")
            out[var.name] = pd.Series(shared_text(text_values(values)), index=frame.index, dtype=object)
    if problems:
        raise ConformanceError(problems)
    private = [c for c in frame.columns if str(c).startswith("_")]
    return replace(shaped, frame=pd.DataFrame({**out, **{c: frame[c] for c in private}}, index=frame.index))


def apply_length(shaped: Shaped, log: ShapeLog) -> Shaped:
    """The spec Length is the ceiling of a character variable; a longer value is refused, never cut.
    The XPT length is the longest value actually present (FDA TCG), which define.xml repeats."""
    frame, ds = shaped.frame, shaped.dataset
    columns, problems = [], []
    for col in shaped.columns:
        var = ds.variable(col.name)
        if col.numeric:
            columns.append(replace(col, length=8))
            continue
        ceiling = min(var.length or XPT_MAX_BYTES, XPT_MAX_BYTES)
        nbytes = byte_lengths(frame[col.name]).to_numpy()
        over = np.flatnonzero(nbytes > ceiling)
        if len(over):
            text = text_values(frame[col.name])
            for (file, line), row in zip(_where(shaped, log, over), over):
                problems.append(Problem(file, line, col.name, text[row],
                                        f"at most {ceiling} bytes ({ds.name}.{col.name}, specs Length); "
                                        f"it has {int(nbytes[row])}"))
        length = max(1, int(nbytes.max())) if len(nbytes) else 1  # xpt_length, from the lengths at hand
        columns.append(replace(col, length=length))
        if length != var.length:
            log.add(ds.name, f"{col.name}: length {length} (longest value; specs ceiling {var.length})")
    if problems:
        raise ConformanceError(problems)
    return replace(shaped, columns=tuple(columns))


def apply_label(shaped: Shaped, log: ShapeLog) -> Shaped:
    ds = shaped.dataset
    return replace(shaped, columns=tuple(replace(c, label=ds.variable(c.name).label) for c in shaped.columns))


def apply_format(shaped: Shaped, log: ShapeLog) -> Shaped:
    ds = shaped.dataset
    columns = tuple(replace(c, format=ds.variable(c.name).format) for c in shaped.columns)
    formatted = [c.name for c in columns if c.format]
    if formatted:
        log.add(ds.name, "formats: " + ", ".join(f"{c.name} {c.format}" for c in columns if c.format))
    return replace(shaped, columns=columns)


def apply_order(shaped: Shaped, log: ShapeLog) -> Shaped:
    """Variables in spec order (private columns dropped), records sorted by the spec's keys (stable)."""
    ds = shaped.dataset
    frame = shaped.frame[ds.names]
    keys = [k for k in ds.keys if k in frame.columns]
    if keys:
        order = frame.sort_values(keys, kind="stable").index
        if not order.equals(frame.index):
            log.add(ds.name, f"records sorted by {', '.join(keys)}")
        frame = frame.loc[order]
    return replace(shaped, frame=frame.reset_index(drop=True))


def shape(frame: pd.DataFrame, dataset: Dataset, log: ShapeLog | None = None) -> Shaped:
    log = log if log is not None else ShapeLog()
    shaped = start(frame, dataset)
    for step in (apply_variables, apply_type, apply_length, apply_label, apply_format, apply_order):
        shaped = step(shaped, log)
    return shaped


def conform(frame: pd.DataFrame, dataset: Dataset, log: ShapeLog | None = None) -> pd.DataFrame:
    """The shaped frame alone, for the stages that derive from it."""
    return shape(frame, dataset, log).frame
