"""One raw export file read as text: bytes to a frame of strings, and the line each record starts on.

Refused here, before any value is looked at, each with its line (and column when there is one):
binary data; UTF-16 text; text that is not UTF-8 (the line and column of the first bad byte, and the
encoding the file looks like); a header that is not the form's columns (missing, unexpected,
duplicated or unnamed columns, another delimiter); a row with another number of fields; a quoted field
left open at the end of the file, or quoting that a CSV reader would have to guess at.

Accepted as they are: a UTF-8 byte-order mark; CR, LF or CRLF line endings (each ends one line, so
line numbers are those an editor shows); a last line with no line ending (valid CSV, RFC 4180);
blank lines; the columns in any order.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from cdisc_mirocals.spec import RawForm

Fail = Callable[..., None]  # fail(expected, line=None, column=None, value=None)
MAX_ROW_PROBLEMS = 20
_DELIMITERS = ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"))


@dataclass(frozen=True)
class CsvTable:
    frame: pd.DataFrame  # every field as text, one column per header name
    lines: pd.Series  # the physical line on which each record starts


def read_table(path: Path, form: RawForm, fail: Fail) -> CsvTable | None:
    """The file as text records, or None after `fail` has been told every reason it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"a file that can be read: {exc.strerror or exc}")
        return None
    if not data or data.isspace():
        fail(f"the file is empty: expected a header row with columns {', '.join(form.columns)}")
        return None
    text = _decode(data, fail)
    if text is None:
        return None
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    header_end = data.find(b"\n")
    columns = _header(data[:header_end if header_end >= 0 else len(data)].decode("utf-8"), form, fail)
    if columns is None:
        return None
    records = _measured_records(data, columns, fail)
    if records is _IRREGULAR:
        records = _records(data.decode("utf-8"), columns, fail)
    if records is None:
        return None
    frame, starts = records
    return CsvTable(frame, pd.Series(starts, dtype="int64"))


def _decode(data: bytes, fail: Fail) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        fail("UTF-8 text, found UTF-16 (the file starts with a UTF-16 byte-order mark): save it as UTF-8 "
             "(in Excel: CSV UTF-8)")
        return None
    if b"\x00" in data:
        fail("not a CSV file: it contains binary data (NUL bytes; UTF-16 text without a byte-order mark "
             "looks like this too): export the form as UTF-8 CSV")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _not_utf8(data, exc.start, fail)
        return None


def _not_utf8(data: bytes, start: int, fail: Fail) -> None:
    """Name the line and column of the first byte that is not UTF-8, and the encoding the file looks like."""
    head = data[:start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = head.count(b"\n") + 1
    line_start = head.rfind(b"\n") + 1
    end = min((i for i in (data.find(b"\n", start), data.find(b"\r", start)) if i >= 0), default=len(data))
    try:
        data.decode("cp1252")
        guess, codec = "Windows-1252 (or Latin-1)", "WINDOWS-1252"
    except UnicodeDecodeError:
        guess, codec = "Latin-1 (ISO-8859-1)", "LATIN1"
    # The field is found by parsing the bad line alone: close enough, as a quoted field rarely spans lines.
    decoded = data[line_start:end].decode("cp1252" if codec == "WINDOWS-1252" else "latin-1")
    index = len(next(csv.reader([data[line_start:start].decode("latin-1")]), [""])) - 1
    fields = next(csv.reader([decoded]), [])
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("latin-1")]), [])
    column = header[index].strip() if line > 1 and index < len(header) else None
    value = fields[index] if index < len(fields) else None
    fail(f"UTF-8 text: byte 0x{data[start]:02X} is not UTF-8. The file looks like {guess} text, in which this "
         f"value reads {value!r}: save it as UTF-8 (in Excel: CSV UTF-8), or convert it with "
         f"iconv -f {codec} -t UTF-8", line, column, None)


def _header(text: str, form: RawForm, fail: Fail) -> list[str] | None:
    first = text.split("\n", 1)[0]
    names = [c.strip() for c in next(csv.reader([first]), [])]
    if len(names) == 1 and len(form.columns) > 1:
        for sep, what in _DELIMITERS:
            if sep in names[0]:
                fail(f"columns separated by commas; this file separates them with {what}: export the form "
                     "as comma-separated CSV", 1)
                return None
    problems = _HeaderProblems(form, fail)
    problems.check(names)
    return None if problems.found else names


class _HeaderProblems:
    """Every way a header can differ from the form's columns, each reported once."""

    def __init__(self, form: RawForm, fail: Fail):
        self.form, self._fail, self.found = form, fail, False

    def fail(self, expected: str, column: str | None = None) -> None:
        self.found = True
        self._fail(expected, 1, column)

    def check(self, names: list[str]) -> None:
        unnamed = [i + 1 for i, n in enumerate(names) if not n]
        if unnamed and unnamed[-1] == len(names) and len(names) > 1:
            self.fail(f"a name for every column: the header ends with a comma, so column {len(names)} has none; "
                      "remove the trailing comma (from the data rows too, if they have one)")
            unnamed.pop()
        for i in unnamed:
            self.fail(f"a name for every column: column {i} of the header has none")
        positions: dict[str, list[int]] = {}
        for i, n in enumerate(names, start=1):
            if n:
                positions.setdefault(n, []).append(i)
        for name, where in positions.items():
            if len(where) > 1:
                self.fail(f"each column once: {name} is columns {' and '.join(map(str, where))}", name)
        missing = [c for c in self.form.columns if c not in positions]
        extra = [c for c in positions if c not in self.form.columns]
        if missing or extra:
            by_case = {c.casefold(): c for c in self.form.columns}
            hints = [f"{c} (names are case-sensitive: {by_case[c.casefold()]})" if c.casefold() in by_case else c
                     for c in extra]
            self.fail(f"the header must hold the columns {', '.join(self.form.columns)}"
                      + (f"; missing {', '.join(missing)}" if missing else "")
                      + (f"; unexpected {', '.join(hints)}" if extra else ""))


_IRREGULAR = object()  # quoting the csv module must judge: a quote inside a field, or a row to report


def _measured_records(data: bytes, columns: list[str], fail: Fail):
    """The records, their lines and fields measured with numpy over the bytes (a quote, a comma and a line
    feed are one byte each in UTF-8), the values read by pandas' C parser: no Python call per record.
    Quoting is taken as RFC 4180 writes it (a quote opens a field and closes it before a comma or the end
    of a line, a quote inside is doubled); anything else is _IRREGULAR and left to `_records`."""
    b = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(b == ord('"'))
    if len(quotes) and not _rfc4180(b, quotes):
        return _IRREGULAR
    newlines = np.flatnonzero(b == ord("\n"))
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]  # a line feed outside quotes ends a record
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(b))  # a last line with no line ending
    begins, ends = ends[:-1] + 1, ends[1:]  # the records after the header
    fields = _commas(b, quotes, begins, ends) + 1
    blank = np.zeros(len(ends), dtype=bool)  # one field of spaces, or none, is no record; ",,," is one
    one = np.flatnonzero(fields == 1) if len(columns) > 1 else np.arange(len(ends))
    blank[one] = [_is_blank(data[begins[i]:ends[i]].decode("utf-8")) for i in one]
    wrong = np.flatnonzero(~blank & (fields != len(columns)))
    if len(wrong) and len(quotes):
        return _IRREGULAR  # the csv module shows the row as it reads it
    bad = [(_line(newlines, begins[i]), int(fields[i]), data[begins[i]:ends[i]].decode("utf-8")) for i in wrong]
    if _report_rows(bad, len(columns), fail):
        return None
    if blank.any():  # pandas would read a line of spaces as a record: drop them, the lines keep the numbering
        keep = np.ones(len(b), dtype=bool)
        for i in np.flatnonzero(blank):
            keep[begins[i]:ends[i] + 1] = False
        data = b[keep].tobytes()
    lines = np.searchsorted(newlines, begins[~blank]) + 1
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False, header=0,
                        names=columns, quoting=csv.QUOTE_MINIMAL if len(quotes) else csv.QUOTE_NONE,
                        encoding="utf-8")
    return frame, lines


def _commas(b: np.ndarray, quotes: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The commas outside quotes from each begin to its end."""
    if not len(quotes):
        # summed record by record over the bytes: no array of every comma's position (eight bytes each,
        # more than the file itself)
        if not len(begins):
            return np.zeros(0, dtype=np.int64)
        # records are back to back (a record's sum runs to the next one's begin, over its line feed);
        # the last one's runs to the end of the data, over its line ending
        counts = np.add.reduceat((b == ord(",")).view(np.uint8), begins, dtype=np.int64)
        counts[-1] -= int(np.count_nonzero(b[ends[-1]:] == ord(",")))
        return counts
    commas = np.flatnonzero(b == ord(","))
    commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    return np.searchsorted(commas, ends) - np.searchsorted(commas, begins)


def _rfc4180(b: np.ndarray, quotes: np.ndarray) -> bool:
    """Quotes pair up, each opening quote starts a field and each closing quote ends one ("" inside)."""
    if len(quotes) % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    doubled = opening[1:] == closing[:-1] + 1  # '""' inside a quoted field: closes and opens again
    before = np.where(opening > 0, b[np.maximum(opening - 1, 0)], ord("\n"))
    after = np.where(closing + 1 < len(b), b[np.minimum(closing + 1, len(b) - 1)], ord("\n"))
    starts = (before == ord(",")) | (before == ord("\n"))
    stops = (after == ord(",")) | (after == ord("\n"))
    return bool((starts | np.concatenate(([False], doubled))).all() and (stops | np.concatenate((doubled, [False]))).all())


def _is_blank(record: str) -> bool:
    row = next(csv.reader(io.StringIO(record)), [])
    return not (len(row) > 1 or (row and row[0].strip()))


def _line(newlines: np.ndarray, offset: int) -> int:
    return int(np.searchsorted(newlines, offset)) + 1


def _records(text: str, columns: list[str], fail: Fail):
    """Quoted fields (commas or line breaks inside values): the csv module, strictly, so that a quote
    left open (a truncated file) or text after a closing quote is refused rather than guessed at."""
    reader = csv.reader(io.StringIO(text), strict=True)
    rows, starts, bad = [], [], []
    previous = 0
    try:
        next(reader)
        previous = reader.line_num
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):  # a blank line is no record; ",,," is one
                starts.append(previous + 1)
                rows.append(row)
                if len(row) != len(columns):
                    bad.append((previous + 1, len(row), ",".join(row)))
            previous = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            fail(f"the file ends inside a quoted field opened on line {previous + 1} (its closing quote is "
                 "missing): the file looks truncated, or a quote in a value is not doubled", previous + 1)
        else:
            fail(f'well-formed CSV quoting ({exc}): a quote inside a quoted value is written twice ("")',
                 previous + 1)
        return None
    if _report_rows(bad, len(columns), fail):
        return None
    return pd.DataFrame(rows, columns=columns, dtype=object), starts


def _report_rows(bad: list[tuple[int, int, str]], n_columns: int, fail: Fail) -> bool:
    for line, n, row in bad[:MAX_ROW_PROBLEMS]:
        fail(f"{n_columns} fields as in the header, found {n}: the row is truncated or malformed", line, None,
             row[:80])
    if len(bad) > MAX_ROW_PROBLEMS:
        fail(f"{len(bad) - MAX_ROW_PROBLEMS} more malformed rows")
    return bool(bad)
