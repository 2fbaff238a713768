"""SAS transport (XPORT) version 5 files read with numpy, a whole column at a time: the reading side
of xport.py, for the validator, which reads back every dataset a study wrote.

The values are those pyreadstat (ReadStat) gives for the same file, and tests hold the two readers to
that on the CDISC pilot and on this package's own output:
- text has its trailing blanks removed and ends at a NUL byte, as ReadStat's C strings do; blank is "";
- numbers are converted from IBM doubles, with NaN for every SAS missing value (. .A-.Z ._);
- rows run to the last one that is not entirely blank, since v5 stores no row count and pads the last
  record with blanks;
- the format is the NAMESTR's name, width and decimals in SAS's form (DATE9., 8.2, $200.), which is what
  pyreadstat's, normalised by `sasformat.normalise_format`, gives in every supported version.

What this reader does not take (version 8 files, numeric variables stored in fewer than 8 bytes,
variables not laid out one after another) raises `Unsupported`, and the caller reads the file with
pyreadstat instead, so the two never disagree on what a file holds.

Text is decoded once per distinct value, and equal values are one Python object: a dataset of millions
of records is read without a string per cell.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals.submission.sasformat import Format
from cdisc_mirocals.submission.xport import RECORD

ENCODINGS = ("utf-8", "windows-1252")  # XPT has no encoding field; SAS on Windows writes windows-1252
NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")  # 140 bytes, as ReadStat reads it
HEAD, BANG = b"HEADER RECORD*******", b"HEADER RECORD!!!!!!!"
MISSING_TAGS = np.zeros(256, dtype=bool)
MISSING_TAGS[[ord("."), ord("_"), *range(ord("A"), ord("Z") + 1)]] = True
LOW56 = np.uint64((1 << 56) - 1)


class Unsupported(Exception):
    """A file this reader leaves to pyreadstat."""


@dataclass(frozen=True)
class XptColumn:
    name: str
    label: str
    type: str  # num | char
    length: int
    format: str  # as ReadStat renders it: DATE9, 8.2, $200; "" for none


@dataclass
class XptFile:
    name: str  # the member name
    label: str
    columns: list[XptColumn]
    frame: pd.DataFrame  # text as str ("" when blank), numbers as float (NaN when missing)
    encoding: str  # of the text: utf-8, or windows-1252 where the bytes are not UTF-8
    # each text column as (codes, distinct values), both in order of first appearance: what
    # pd.factorize would make of the column, made here on the way for free
    factors: dict[str, tuple[np.ndarray, np.ndarray]]


def read_xpt_file(path: str | Path) -> XptFile:
    """The first member of a v5 transport file; Unsupported for what pyreadstat should read instead."""
    data = np.fromfile(path, dtype=np.uint8)
    try:
        head, raw_columns, start = _header(data)
    except (ValueError, struct.error) as exc:  # malformed: pyreadstat says what it makes of it
        raise Unsupported(str(exc)) from None
    rows = _records(data[start:], sum(c[1] for c in raw_columns))
    for encoding in ENCODINGS:
        try:
            return _decode(head, raw_columns, rows, encoding)
        except UnicodeDecodeError:
            continue
    raise Unsupported("text in neither UTF-8 nor windows-1252")


def _header(data: np.ndarray) -> tuple[bytes, list, int]:
    """The first eight records, each variable's NAMESTR fields, and where the observations start."""
    head = data[: 8 * RECORD].tobytes()
    if len(head) < 8 * RECORD:
        raise Unsupported("shorter than the headers of a transport file")
    for index, name in ((0, b"LIBRARY"), (3, b"MEMBER"), (4, b"DSCRPTR"), (7, b"NAMESTR")):
        _expect(head[index * RECORD:(index + 1) * RECORD], name)
    count = int(head[7 * RECORD + 53:7 * RECORD + 58])
    start = 8 * RECORD
    stop = start + count * NAMESTR.size
    obs_header = stop + (-stop % RECORD)
    _expect(data[obs_header:obs_header + RECORD].tobytes(), b"OBS")
    fields = [NAMESTR.unpack(data[start + i * NAMESTR.size:start + (i + 1) * NAMESTR.size].tobytes())
              for i in range(count)]
    raw_columns, position = [], 0
    for ntype, _, length, _, name, label, form, width, decimals, _, _, _, _, _, npos, _ in fields:
        if ntype not in (1, 2) or length <= 0 or (ntype == 1 and length != 8) or npos != position:
            raise Unsupported(f"variable {name!r}: a layout ReadStat reads otherwise")
        raw_columns.append((ntype, length, name, label, form, width, decimals, position))
        position += length
    return head, raw_columns, obs_header + RECORD


def _expect(record: bytes, name: bytes) -> None:
    if len(record) < RECORD or record[:20] != HEAD or record[20:28].rstrip() != name or record[28:48] != BANG:
        raise Unsupported(f"no {name.decode()} header record where version 5 has one")


def _records(area: np.ndarray, width: int) -> np.ndarray:
    """The observations as a (rows, width) byte matrix, without the blank rows that pad the end."""
    if width == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    n = len(area) // width
    matrix = area[: n * width].reshape(n, width)
    stop, step = n, 16
    while stop > 0:
        begin = max(0, stop - step)
        filled = np.flatnonzero((matrix[begin:stop] != 0x20).any(axis=1))
        if len(filled):
            return matrix[: begin + int(filled[-1]) + 1]
        stop, step = begin, step * 16
    return matrix[:0]


def _text(raw: bytes, encoding: str) -> str:
    return raw.rstrip(b" ").split(b"\x00", 1)[0].decode(encoding)


def _format(form: bytes, width: int, decimals: int, encoding: str) -> str:
    name = _text(form, encoding)
    return str(Format(name, width, decimals)) if name or width else ""


def _decode(head: bytes, raw_columns: list, rows: np.ndarray, encoding: str) -> XptFile:
    columns, values, factors = [], {}, {}
    for ntype, length, name, label, form, width, decimals, position in raw_columns:
        column = XptColumn(_text(name, encoding), _text(label, encoding), "num" if ntype == 1 else "char",
                           length, _format(form, width, decimals, encoding))
        if column.name in values:
            raise Unsupported(f"variable {column.name} named twice")
        field = rows[:, position:position + length]
        if ntype == 1:
            values[column.name] = _numbers(field)
        else:
            codes, table = _factorise(field, encoding)
            values[column.name] = table[codes]
            factors[column.name] = codes, table
        columns.append(column)
    frame = pd.DataFrame(values, index=pd.RangeIndex(len(rows)))
    member = _text(head[5 * RECORD + 8:5 * RECORD + 16], encoding)
    return XptFile(member, _text(head[6 * RECORD + 32:6 * RECORD + 72], encoding), columns, frame, encoding,
                   factors)


def _numbers(field: np.ndarray) -> np.ndarray:
    """IBM System/360 doubles to IEEE: sign, base-16 exponent biased by 64, 56-bit fraction."""
    ibm = np.ascontiguousarray(field).view(">u8").ravel().astype(np.uint64)
    fraction = ibm & LOW56
    exponent = ((ibm >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int64)
    out = np.ldexp(fraction.astype(np.float64), 4 * (exponent - 64) - 56)
    np.negative(out, out=out, where=(ibm >> np.uint64(63)).astype(bool))
    missing = (fraction == 0) & MISSING_TAGS[field[:, 0]] if len(field) else np.zeros(0, dtype=bool)
    out[missing] = np.nan
    return out


def _factorise(field: np.ndarray, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """Each record's text as a code into a table of the distinct texts, each decoded once."""
    n, width = field.shape
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.empty(0, dtype=object)
    padded = np.zeros((n, width + (-width % 8)), dtype=np.uint8)
    padded[:, :width] = field
    words = padded.view(np.uint64)  # the bytes eight at a time, each word an integer to hash
    codes = pd.factorize(words[:, 0])[0]
    for j in range(1, words.shape[1]):
        more, uniques = pd.factorize(words[:, j])
        codes = pd.factorize(codes.astype(np.int64) * len(uniques) + more)[0]
    # codes are numbered in order of first appearance: a code's first record is where the running
    # maximum rises
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    texts = [_text(field[i].tobytes(), encoding) for i in first]
    # two fields can read as one text (bytes after a NUL): the table keeps one object per text
    again, table = pd.factorize(np.array(texts, dtype=object))
    # the codes are kept beside the column: in the smallest integer that holds them
    small = np.min_scalar_type(-max(len(table), 1))
    return again.astype(small)[codes], np.asarray(table, dtype=object)
