"""SAS transport (XPORT) version 5 files, encoded a whole column at a time with numpy.

For every dataset that both accept, the bytes are those pyreadstat (ReadStat) writes from the same
data and metadata, byte for byte. Where ReadStat would write something a reader gets back changed,
this writer does not:
- finite values from 2**249 to below 2**252 are stored as the IBM doubles they are, where ReadStat
  writes 0x7FFF... and reads back infinity (see `to_ibm`);
- what ReadStat writes with a silent loss is refused: magnitudes below 2**-260 (written as 0),
  infinities, labels over 40 characters and format names over 8 (cut), non-ASCII text (UTF-8
  bytes), and blank rows at the end of a dataset (readers take them for padding and drop them).

Every rule is checked before anything is written; the violations of a dataset are collected and
raised together as one `XptError`, each naming the dataset, variable, row (1-based position in the
frame) and value. Nothing is truncated and nothing is transliterated: non-ASCII text is an upstream
policy. Memory stays bounded: a character column is kept as codes into a table of its distinct
values, each checked and encoded once, and the observations are built and written in blocks of rows.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterator, Literal, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.submission.sasformat import Format, parse_format

try:  # private to pandas, so optional: pd.factorize does the same, slower
    from pandas._libs.hashtable import StringHashTable
except ImportError:  # pragma: no cover
    StringHashTable = None

RECORD = 80
MAX_VARIABLES = 32767  # NAMESTR numbers variables in a 2-byte integer
MAX_CHAR = 200  # bytes of one character value in version 5
MAX_LABEL = 40
BLOCK_BYTES = 8 << 20  # observation bytes built per block
# ReadStat writes this version and operating system into the library and member records.
SAS_VERSION, SAS_OS = b"6.06", b"bsd4.2"

NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
STAMP = re.compile(rb"\d{2}(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2}:\d{2}:\d{2}:\d{2}")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

SIGN = np.uint64(1 << 63)
FRACTION = np.uint64((1 << 52) - 1)
IMPLICIT = np.uint64(1 << 52)
MISSING = np.uint64(0x2E << 56)  # SAS '.', then seven zero bytes
# Normalised IBM doubles are 16**-65 <= |x| < 16**63: binary exponents -260 to 251.
MIN_EXP2, MAX_EXP2 = -260, 251


@dataclass(frozen=True)
class XptVariable:
    name: str
    label: str = ""
    type: Literal["char", "num"] = "num"
    length: int = 8  # bytes; a numeric variable is always 8
    format: str = ""  # 'DATE9.', '8.2', '$200.' or ''


@dataclass(frozen=True)
class XptViolation:
    dataset: str
    variable: str | None
    row: int | None  # 1-based
    value: object
    message: str

    def __str__(self) -> str:
        where = self.dataset + (f".{self.variable}" if self.variable else "")
        where += f" row {self.row}" if self.row is not None else ""
        shown = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{shown}"


class XptError(ValueError):
    """Every XPT v5 rule a dataset breaks, found before a byte was written."""

    SHOWN = 50

    def __init__(self, dataset: str, violations: Sequence[XptViolation]):
        self.dataset = dataset
        self.violations = tuple(violations)
        lines = [str(v) for v in self.violations[:self.SHOWN]]
        if len(self.violations) > self.SHOWN:
            lines.append(f"... and {len(self.violations) - self.SHOWN} more")
        super().__init__(f"{dataset}: {len(self.violations)} XPT v5 violation(s), nothing written:\n  "
                         + "\n  ".join(lines))


def to_ibm(values: np.ndarray) -> np.ndarray:
    """IEEE doubles to IBM System/360 doubles as big-endian uint64; NaN is SAS missing '.'.

    Exact: the 53 significant bits of a double fit in the 56-bit IBM fraction whatever the 0-3 bit
    shift that the hex exponent needs, so nothing is rounded or truncated. Zero of either sign is
    all zero bytes, as ReadStat writes it. Values outside the IBM range raise ValueError: ReadStat
    would write those below 2**-260 as 0, and those from 2**249 up as 0x7FFF..., which it reads
    back as infinity even for the finite values up to 2**252 that IBM doubles hold.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bad = _out_of_range(x)
    if bad.any():
        raise ValueError(f"{x[bad][0]!r} is not a finite number in the IBM double range")
    return _ibm(x).astype(">u8")


def _exponents(x: np.ndarray) -> np.ndarray:
    return ((x.view(np.uint64) >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023


def _out_of_range(x: np.ndarray) -> np.ndarray:
    """Infinities, and non-zero values that a normalised IBM double cannot hold (subnormals too)."""
    exp2 = _exponents(x)
    return ~np.isnan(x) & (x != 0) & ((exp2 < MIN_EXP2) | (exp2 > MAX_EXP2))


def _ibm(x: np.ndarray) -> np.ndarray:
    """The conversion itself, for values already checked by `_out_of_range`; in place where it can,
    as this is the inner loop of the writer."""
    bits = x.view(np.uint64)
    biased = bits >> np.uint64(52)
    biased &= np.uint64(0x7FF)
    # |x| = 1.f * 2**e = (1.f * 2**s / 16) * 16**(e // 4 + 1) with e = biased - 1023 and s = e % 4:
    # the fraction is the 53 significant bits shifted left by s, the hex exponent e // 4 + 1 + 64.
    shift = biased + np.uint64(1)  # -1023 is 1 modulo 4
    shift &= np.uint64(3)
    hexexp = biased - np.uint64(1023 - 260)  # e + 260 >= 0 in range, and (e + 260) // 4 = e // 4 + 65
    hexexp >>= np.uint64(2)
    hexexp <<= np.uint64(56)
    ibm = bits & FRACTION
    ibm |= IMPLICIT
    ibm <<= shift
    ibm |= hexexp
    ibm |= bits & SIGN
    np.putmask(ibm, biased == 0, np.uint64(0))  # +0 and -0 (subnormals were refused)
    np.putmask(ibm, biased == 0x7FF, MISSING)  # NaN (infinities were refused)
    return ibm  # native byte order: the caller stores it big-endian


def _ascii_problem(text: str) -> str | None:
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        return (f"non-ASCII character {bad!r} (U+{ord(bad):04X}) at position {text.index(bad) + 1}; "
                "XPT v5 text is ASCII (transliterate upstream)")
    if "\x00" in text:
        return f"NUL character at position {text.index(chr(0)) + 1}; readers end the text there"
    return None


def _stamp(timestamp: bytes | datetime) -> bytes:
    """ddMMMyy:hh:mm:ss; a datetime is written as its own wall-clock fields, in English."""
    if isinstance(timestamp, datetime):
        t = timestamp
        return (f"{t.day:02d}{MONTHS[t.month - 1]}{t.year % 100:02d}:"
                f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}").encode("ascii")
    if isinstance(timestamp, bytes) and STAMP.fullmatch(timestamp):
        return timestamp
    raise ValueError(f"header timestamp must be a datetime or 16 bytes ddMMMyy:hh:mm:ss, not {timestamp!r}")


class _Collector:
    def __init__(self, dataset: str):
        self.dataset = dataset
        self.violations: list[XptViolation] = []

    def add(self, message: str, variable: str | None = None, row: int | None = None, value: object = None):
        self.violations.append(XptViolation(self.dataset, variable, row, value, message))


def _check_name(kind: str, name: object, out: _Collector, variable: str | None = None) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        out.add(f"{kind} name must be 1-8 characters, upper-case letters, digits and underscore, "
                "starting with a letter", variable, value=name)


def _check_label(kind: str, label: object, out: _Collector, variable: str | None = None) -> None:
    if not isinstance(label, str):
        out.add(f"{kind} label must be text", variable, value=label)
        return
    if len(label) > MAX_LABEL:
        out.add(f"{kind} label is {len(label)} characters; XPT v5 allows at most {MAX_LABEL}", variable,
                value=label)
    problem = _ascii_problem(label)
    if problem:
        out.add(f"{kind} label has a {problem}", variable, value=label)


def _check_variable(var: XptVariable, out: _Collector) -> Format | None:
    _check_name("variable", var.name, out, var.name)
    _check_label("variable", var.label, out, var.name)
    if var.type == "num":
        if var.length != 8:
            out.add(f"numeric variables are 8 bytes, not {var.length!r}", var.name)
    elif var.type == "char":
        if not isinstance(var.length, int) or not 1 <= var.length <= MAX_CHAR:
            out.add(f"character length must be 1 to {MAX_CHAR} bytes, not {var.length!r}", var.name)
    else:
        out.add(f"type must be 'char' or 'num', not {var.type!r}", var.name)
    if not var.format:
        return None
    try:
        fmt = parse_format(var.format)
    except ValueError as exc:
        out.add(f"bad format {var.format!r}: {exc}", var.name)
        return None
    if fmt.is_char != (var.type == "char"):
        out.add(f"format {var.format} is for {'character' if fmt.is_char else 'numeric'} values, "
                f"and {var.name} is {var.type}", var.name)
    return fmt


class _Num:
    """A numeric column as float64, checked; encoded block by block."""
    width = 8

    def __init__(self, var: XptVariable, series: pd.Series, out: _Collector):
        self.values = np.empty(0)
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            out.add(f"numeric variable needs a numeric column (float64, NaN for missing), not dtype {dtype}",
                    var.name)
            return
        if pd.api.types.is_integer_dtype(dtype):
            big = series.abs() > 2**53
            for row in np.flatnonzero(big.to_numpy(dtype=bool, na_value=False)):
                out.add("integer beyond 2**53 has no exact float64", var.name, int(row) + 1, series.iloc[row])
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        for row in np.flatnonzero(_out_of_range(values)):
            v = float(values[row])
            message = ("infinite values have no SAS representation" if np.isinf(v) else
                       "magnitude outside the IBM double range of XPT v5 (2**-260 to below 2**252)")
            out.add(message, var.name, int(row) + 1, v)
        self.values = values

    dtype = np.dtype(">u8")

    def fill(self, field: np.ndarray, start: int, stop: int) -> None:
        field[...] = _ibm(self.values[start:stop])


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of a text column, a missing value coded -1.

    Hashing the values is most of the writer's time, and pandas' string hash table does it a third
    faster than pd.factorize, which first scans the column to choose that table. It codes anything
    that is not a string as missing, so it is trusted only where those values are indeed missing.
    """
    if series.dtype == object and StringHashTable is not None:
        values = series.to_numpy()
        uniques, codes = StringHashTable(len(values)).factorize(values)
        if pd.isna(values[codes == -1]).all():
            return codes, uniques
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


class _Char:
    """A character column: each distinct value checked and encoded once, then gathered by row."""

    def __init__(self, var: XptVariable, series: pd.Series, out: _Collector):
        self.width = var.length if isinstance(var.length, int) and var.length > 0 else 1
        self.dtype = np.dtype(f"V{self.width}")
        codes, uniques = _factorize(series)
        # the smallest integers that hold the codes: a whole column's codes stay alive until written
        small = next(t for t in (np.int8, np.int16, np.int32, np.int64) if np.iinfo(t).max > len(uniques))
        self.codes = codes.astype(small)
        limit = min(self.width, MAX_CHAR)
        if pd.api.types.infer_dtype(uniques, skipna=False) in ("string", "empty"):
            text = "".join(uniques)
            lengths = np.fromiter(map(len, uniques), np.intp, len(uniques))
            if text.isascii() and "\x00" not in text and (lengths <= limit).all():
                self.table = self._table(text.encode("ascii"), lengths)
                return
        self.table = np.zeros(0, self.dtype)
        problems = {code: p for code, value in enumerate(uniques) if (p := self._problem(value, var.length))}
        for row in np.flatnonzero(np.isin(self.codes, list(problems))):
            code = int(self.codes[row])
            out.add(problems[code], var.name, int(row) + 1, uniques[code])

    def _table(self, text: bytes, lengths: np.ndarray) -> np.ndarray:
        """The distinct values blank-padded to the width, and a blank row last for code -1 (missing)."""
        table = np.full((len(lengths) + 1, self.width), 0x20, np.uint8)
        # a boolean mask assigns in row-major order: row i takes the next lengths[i] bytes of text
        table[:-1][np.arange(self.width) < lengths[:, None]] = np.frombuffer(text, np.uint8)
        return table.view(self.dtype).ravel()

    @staticmethod
    def _problem(value: object, length: object) -> str | None:
        if not isinstance(value, str):
            return f"character variable needs text, not {type(value).__name__}"
        if problem := _ascii_problem(value):
            return problem
        if len(value) > MAX_CHAR:
            return f"value is {len(value)} bytes; XPT v5 allows at most {MAX_CHAR}"
        if isinstance(length, int) and len(value) > length:
            return f"value is {len(value)} bytes, longer than the declared length {length}"
        return None

    def fill(self, field: np.ndarray, start: int, stop: int) -> None:
        field[...] = self.table.take(self.codes[start:stop], mode="wrap")


@dataclass(frozen=True)
class _Plan:
    header: bytes
    columns: list
    rows: int
    record_length: int

    def encode(self, start: int, stop: int) -> np.ndarray:
        """Rows start to stop as a (rows, record length) byte matrix."""
        # One structured record per row, a field per variable: each column is stored with a
        # single whole-element copy per row rather than a byte-wise 2-D assignment.
        offsets = list(itertools.accumulate((c.width for c in self.columns), initial=0))
        record = np.dtype({"names": [f"v{i}" for i in range(len(self.columns))],
                           "formats": [c.dtype for c in self.columns], "offsets": offsets[:-1],
                           "itemsize": self.record_length})
        block = np.empty(stop - start, record)
        for i, column in enumerate(self.columns):
            column.fill(block[f"v{i}"], start, stop)
        return block.view(np.uint8).reshape(stop - start, self.record_length)

    def blocks(self) -> Iterator[memoryview | bytes]:
        """The observation area: rows back to back, the last 80-byte record padded with blanks."""
        step = max(1, BLOCK_BYTES // self.record_length)
        for start in range(0, self.rows, step):
            yield self.encode(start, min(start + step, self.rows)).data
        yield b" " * (-self.rows * self.record_length % RECORD)

    def trailing_blank_rows(self) -> int:
        """How many rows at the end are blanks only, every byte 0x20."""
        blank, stop, step = 0, self.rows, 16
        while stop > 0:
            start = max(0, stop - step)
            nonblank = np.flatnonzero((self.encode(start, stop) != 0x20).any(axis=1))
            if len(nonblank):
                return blank + (stop - start - 1 - int(nonblank[-1]))
            blank, stop, step = blank + stop - start, start, step * 16
        return blank


def _plan(frame: pd.DataFrame, dataset_name: str, dataset_label: str, variables: Sequence[XptVariable],
          timestamp: bytes | datetime) -> _Plan:
    label = dataset_name if isinstance(dataset_name, str) else repr(dataset_name)
    out = _Collector(label)
    _check_name("dataset", dataset_name, out)
    _check_label("dataset", dataset_label, out)
    try:
        stamp = _stamp(timestamp)
    except ValueError as exc:
        out.add(str(exc))
    if not 1 <= len(variables) <= MAX_VARIABLES:
        out.add(f"a dataset needs 1 to {MAX_VARIABLES} variables, not {len(variables)}")
    names = [v.name for v in variables]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.add(f"variable defined {names.count(name)} times", name)
    for name in frame.columns:
        if name not in names:
            out.add("column of the frame has no variable definition (it would be dropped)", str(name))
    if not frame.columns.is_unique:
        out.add("the frame has duplicate column names")
    formats, columns = [], []
    for var in variables:
        formats.append(_check_variable(var, out))
        if var.name not in frame.columns or not frame.columns.is_unique:
            if var.name not in frame.columns:
                out.add("variable has no column in the frame", var.name)
            continue
        kind = _Char if var.type == "char" else _Num
        columns.append(kind(var, frame[var.name], out))
    if out.violations:
        raise XptError(label, out.violations)
    plan = _Plan(_header(dataset_name, dataset_label, variables, formats, stamp), columns, len(frame),
                 sum(c.width for c in columns))
    # XPT v5 stores no row count and pads the last record with blanks, so readers drop blank rows
    # at the end (ReadStat and haven always, pandas when the record is short): refuse to lose them.
    blank = plan.trailing_blank_rows()
    for row in range(plan.rows - blank, plan.rows):
        out.add("the last rows are entirely blank, and XPT readers take trailing blank records for "
                "padding and drop them; give them a non-blank value", None, row + 1)
    if out.violations:
        raise XptError(label, out.violations)
    return plan


def _record(text: bytes) -> bytes:
    return text.ljust(RECORD)


def _header_record(name: bytes, numbers: str = "0" * 30) -> bytes:
    return _record(b"HEADER RECORD*******" + name.ljust(8) + b"HEADER RECORD!!!!!!!" + numbers.encode())


def _namestr(index: int, var: XptVariable, fmt: Format | None, position: int) -> bytes:
    numeric = var.type == "num"
    fmt = fmt or Format("", 0, 0)
    return b"".join([
        np.array([1 if numeric else 2, 0, 8 if numeric else var.length, index + 1], ">i2").tobytes(),
        var.name.encode().ljust(8), var.label.encode().ljust(40), fmt.name.encode().ljust(8),
        # ReadStat marks numeric variables right-justified (nfj 1); the informat stays blank
        np.array([fmt.width, fmt.decimals, 1 if numeric else 0, 0], ">i2").tobytes(),
        b" " * 8, np.array([0, 0], ">i2").tobytes(), np.array([position], ">i4").tobytes(), bytes(52),
    ])


def _header(name: str, label: str, variables: Sequence[XptVariable], formats: list, stamp: bytes) -> bytes:
    def real(second: bytes, third: bytes) -> bytes:
        return _record(b"SAS     " + second.ljust(8) + third.ljust(8) + SAS_VERSION.ljust(8) + SAS_OS.ljust(8)
                       + b" " * 24 + stamp)

    positions = itertools.accumulate((8 if v.type == "num" else v.length for v in variables), initial=0)
    namestrs = b"".join(_namestr(i, v, f, p) for i, (v, f, p) in enumerate(zip(variables, formats, positions)))
    return b"".join([
        _header_record(b"LIBRARY"),
        real(b"SAS", b"SASLIB"),
        _record(stamp),
        _header_record(b"MEMBER", "00000" * 3 + "00160" + "00000" + "00140"),
        _header_record(b"DSCRPTR"),
        real(name.encode(), b"SASDATA"),
        _record(stamp + b" " * 16 + label.encode().ljust(40) + b" " * 8),
        _header_record(b"NAMESTR", f"00000{len(variables):05d}" + "00000" * 4),
        namestrs + b" " * (-len(namestrs) % RECORD),
        _header_record(b"OBS"),
    ])


def encode_xpt(frame: pd.DataFrame, *, dataset_name: str, dataset_label: str,
               variables: Sequence[XptVariable], timestamp: bytes | datetime) -> bytes:
    """The XPT v5 file of one dataset, in the order of `variables`; XptError before any encoding."""
    plan = _plan(frame, dataset_name, dataset_label, variables, timestamp)
    return b"".join([plan.header, *plan.blocks()])


def write_xpt_file(target: str | Path | BinaryIO, frame: pd.DataFrame, *, dataset_name: str,
                   dataset_label: str, variables: Sequence[XptVariable], timestamp: bytes | datetime) -> int:
    """Write to a path or a binary file handle; returns the bytes written. The path is opened only
    once every check has passed, so a refused dataset leaves no file. Atomic publishing (a temporary
    name renamed into place) is the caller's job."""
    plan = _plan(frame, dataset_name, dataset_label, variables, timestamp)
    if isinstance(target, (str, Path)):
        with open(target, "wb") as fh:
            return _write(plan, fh)
    return _write(plan, target)


def _write(plan: _Plan, fh: BinaryIO) -> int:
    written = fh.write(plan.header)
    for block in plan.blocks():
        written += fh.write(block)
    return written
