"""A Pinnacle 21 workbook (.xlsx) as a specification source: its sheets read into the specs/ tables that the
loaders read (spec/p21.py maps them), each row located by sheet and row.

A workbook is untrusted input. Before openpyxl opens it (read-only, formulas not evaluated, no external
links), the zip is checked: its size, the number and the inflated size of its parts, their compression
ratio (a zip bomb), and that no XML part declares a DTD (entity expansion). A cell must be text or a plain
number: a formula, an Excel error, a logical or a date (Excel's own conversion of a typed value) is refused."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from cdisc_mirocals.errors import Problem, SpecError
from cdisc_mirocals.spec.p21 import (LAYOUTS, OPTIONAL_SHEETS, STANDARDS, WHERE_COLUMNS, dictionary_version,
                                     read_where_clauses)
from cdisc_mirocals.spec.studysheet import STUDY_COLUMNS, study_data

MAX_FILE_BYTES = 64 * 2**20
MAX_PARTS = 1000
MAX_INFLATED_BYTES = 512 * 2**20
MAX_RATIO = 200            # inflated / compressed, for parts over 1 MiB inflated
MAX_ROWS = 200_000         # per sheet
MAX_COLUMNS = 100


@dataclass(frozen=True)
class SheetProblem(Problem):
    """A problem in a workbook cell: the workbook, its sheet and row (line), the column."""

    sheet: str = ""

    def __str__(self) -> str:
        parts = [self.file] + ([f"sheet {self.sheet}"] if self.sheet else [])
        if self.line is not None:
            parts.append(f"row {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts)}: {self.expected}"


class Row(int):
    """A row number that remembers its sheet (a specs/ table may come from two sheets)."""

    sheet: str

    def __new__(cls, number: int, sheet: str):
        row = super().__new__(cls, number)
        row.sheet = sheet
        return row


def _check_zip(path: Path, book: str) -> None:
    def refuse(expected: str, column: str | None = None):
        raise SpecError([SheetProblem(book, None, column, None, expected)])

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        refuse(f"a workbook of at most {MAX_FILE_BYTES // 2**20} MiB, not {size / 2**20:.0f} MiB")
    if not zipfile.is_zipfile(path):
        refuse("an Excel workbook (.xlsx, a zip archive); this file is not one")
    with zipfile.ZipFile(path) as zf:
        parts = zf.infolist()
        if len(parts) > MAX_PARTS:
            refuse(f"at most {MAX_PARTS} parts in the archive, not {len(parts)}")
        if sum(p.file_size for p in parts) > MAX_INFLATED_BYTES:
            refuse(f"at most {MAX_INFLATED_BYTES // 2**20} MiB once inflated")
        for p in parts:
            if p.file_size > 2**20 and p.file_size > MAX_RATIO * max(p.compress_size, 1):
                refuse(f"a compression ratio of at most {MAX_RATIO} (a zip bomb?)", p.filename)
            if p.filename.endswith((".xml", ".rels")) and _declares_dtd(zf, p):
                refuse("XML without a DTD (a document type declaration can expand entities)", p.filename)


def _declares_dtd(zf: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    tail = b""
    with zf.open(part) as fh:
        while chunk := fh.read(1 << 16):
            if b"<!doctype" in (tail + chunk).lower():
                return True
            tail = chunk[-16:]
    return False


def _cell_text(cell) -> tuple[str, str | None]:
    """(text, None) or ("", what was expected) for a cell that is not plain text or a number."""
    value = cell.value
    if value is None:
        return "", None
    if cell.data_type == "f":
        return "", f"a value, not a formula ({value})"
    if cell.data_type == "e":
        return "", f"a value, not an Excel error ({value})"
    if isinstance(value, bool):
        return "", "text, not a logical TRUE/FALSE (type Yes or No, or format the cell as Text)"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return "", "text, not a date or time that Excel converted (format the column as Text and retype it)"
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), None
    return str(value).strip(), None


def read_sheets(path: Path, book: str, problems: list[Problem]) -> dict[str, list[tuple[int, list[str]]]]:
    """Every sheet's non-empty rows as text, numbered as Excel numbers them."""
    from openpyxl import load_workbook

    _check_zip(path, book)
    try:
        wb = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise SpecError([SheetProblem(book, None, None, None, f"a readable Excel workbook ({exc})")]) from None
    sheets = {}
    try:
        for ws in wb.worksheets:
            rows, header = [], []
            for n, cells in enumerate(ws.iter_rows(), start=1):
                if n > MAX_ROWS:
                    problems.append(SheetProblem(book, n, None, None, f"at most {MAX_ROWS} rows", sheet=ws.title))
                    break
                texts = []
                for i, cell in enumerate(cells):
                    text, bad = _cell_text(cell)
                    if bad and i < MAX_COLUMNS:
                        column = header[i] if i < len(header) and header[i] else _letter(i)
                        problems.append(SheetProblem(book, n, column, str(cell.value), bad, sheet=ws.title))
                    texts.append(text)
                while texts and not texts[-1]:
                    texts.pop()
                if len(texts) > MAX_COLUMNS:
                    problems.append(SheetProblem(book, n, None, None, f"at most {MAX_COLUMNS} columns", sheet=ws.title))
                    texts = texts[:MAX_COLUMNS]
                if texts:
                    rows.append((n, texts))
                    header = header or texts
            sheets[ws.title] = rows
    finally:
        wb.close()
    return sheets


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)


# the loaders' messages name specs/ files; a workbook's user reads the sheet instead
SHEET_OF = {"study.toml": "Study", **{lay.table.rpartition("/")[2]: lay.sheet for lay in LAYOUTS}, "forms.csv": "Raw Forms",
            "fields.csv": "Raw Fields", "codelists.csv": "Codelists"}
SPECS_NAME = re.compile(r"\b(" + "|".join(re.escape(k) for k in SHEET_OF) + r")\b")


class WorkbookTable:
    missing = "sheet is missing"

    def __init__(self, source: "WorkbookSource", name: str, sheet: str, header: list[str]):
        self.source, self.table, self.sheet, self.columns = source, name, sheet, header
        self.name = f"{source.book}, sheet {sheet}"

    def problem(self, line, column, value, expected) -> Problem:
        sheet = getattr(line, "sheet", self.sheet)
        renames = {v: k for lay in LAYOUTS if lay.sheet == sheet for k, v in lay.rename.items()}
        expected = SPECS_NAME.sub(lambda m: f"the {SHEET_OF[m.group(1)]} sheet", expected)
        return SheetProblem(self.source.book, None if line is None else int(line), renames.get(column, column),
                            value, expected, sheet=sheet)

    def header(self, problems) -> list[str] | None:
        return self.columns if self.table in self.source.tables else None

    def records(self, problems) -> Iterator[tuple[int, dict[str, str]]]:
        yield from self.source.tables.get(self.table, [])


class WorkbookSource:
    """A P21 workbook in place of a specs/ folder."""

    def __init__(self, path: Path):
        self.path, self.book = path, path.name
        self.cells: list[Problem] = []  # cells refused as they were read
        self.problems: list[Problem] = []
        self.tables: dict[str, list[tuple[Row, dict[str, str]]]] = {}
        self.headers: dict[str, tuple[str, list[str]]] = {}
        sheets = read_sheets(path, self.book, self.cells)
        self._study = study_data(self._rows(sheets, "Study", STUDY_COLUMNS), self._fail("Study"))
        where = read_where_clauses(self._rows(sheets, "WhereClauses", WHERE_COLUMNS), self._fail("WhereClauses"))
        for lay in LAYOUTS:
            rows = self._rows(sheets, lay.sheet, list(lay.columns))
            if lay.sheet not in sheets and lay.sheet in OPTIONAL_SHEETS:
                continue
            fail = self._fail(lay.sheet)
            parts = list(STANDARDS.values()) if lay.per_standard else [lay.table.partition("/")[0]]
            header = [lay.table_column(c) for c in lay.columns if c not in ("Standard", *lay.derived)]
            for part in parts:
                name = f"{part}/{lay.table.rpartition('/')[2]}"
                self.tables.setdefault(name, [])
                known = self.headers.get(name, (lay.sheet, []))
                self.headers[name] = (known[0], known[1] + [c for c in header if c not in known[1]])
            for line, row in rows:
                part = self._part(lay, line, row, fail)
                if part is None:
                    continue
                if row.get("Where Clause"):
                    self._where(lay, line, row, where, fail)
                if "Version" in lay.derived:
                    version = dictionary_version(self._study, row["Dictionary"])
                    if row["Version"] != version:
                        fail(line, "Version", row["Version"], f"{version!r}, the version study.toml's [standards] "
                                                               f"gives {row['Dictionary'].lower()} (the Study sheet)")
                table = f"{part}/{lay.table.rpartition('/')[2]}"
                self.tables[table].append((line, {lay.table_column(c): row[c] for c in lay.columns
                                                  if c not in ("Standard", *lay.derived)}))
        for name, rows in self.tables.items():  # Dictionaries rows leave the term columns of codelists.csv empty
            header = self.headers[name][1]
            self.tables[name] = [(line, {c: row.get(c, "") for c in header}) for line, row in rows]

    def settle(self, problems: list[Problem]) -> list[Problem]:
        """The problems, less the loaders' complaints about a cell already refused as it was read."""
        refused = {(p.sheet, p.line, p.column) for p in self.cells if isinstance(p, SheetProblem)}
        return self.cells + [p for p in problems
                             if not (p.value == "" and (getattr(p, "sheet", ""), p.line, p.column) in refused)]

    def _fail(self, sheet: str):
        return lambda line, column, value, expected: self.problems.append(
            SheetProblem(self.book, None if line is None else int(line), column, value, expected, sheet=sheet))

    def _rows(self, sheets, title: str, columns: list[str]) -> list[tuple[Row, dict[str, str]]]:
        fail = self._fail(title)
        if title not in sheets:
            if title not in OPTIONAL_SHEETS:
                fail(None, None, None, "sheet is missing")
            return []
        rows = sheets[title]
        if not rows or rows[0][0] != 1:
            fail(1, None, None, f"a header row: {', '.join(columns)}")
            return []
        header = rows[0][1]
        missing = [c for c in columns if c not in header]
        if missing:
            fail(1, ", ".join(missing), None, f"header lacks required columns; expected {columns}")
            return []
        out = []
        for n, texts in rows[1:]:
            extra = [(header[i] if i < len(header) else _letter(i), v) for i, v in enumerate(texts)
                     if v and (i >= len(header) or header[i] not in columns)]
            for column, value in extra:
                fail(n, column, value, f"no value: the {title} sheet's columns are {', '.join(columns)}")
            out.append((Row(n, title), {c: (texts[header.index(c)] if header.index(c) < len(texts) else "")
                                        for c in columns}))
        return out

    def _part(self, lay, line, row, fail) -> str | None:
        if not lay.per_standard:
            return lay.table.partition("/")[0]
        if row["Standard"] not in STANDARDS:
            fail(line, "Standard", row["Standard"], f"one of {sorted(STANDARDS)}")
            return None
        return STANDARDS[row["Standard"]]

    def _where(self, lay, line, row, where, fail) -> None:
        wid = row["Where Clause"]
        if wid not in where:
            fail(line, "Where Clause", wid, "the ID of a where clause on the WhereClauses sheet")
            row["Where Clause"] = ""
        elif where[wid][0] != row["Dataset"]:
            fail(line, "Where Clause", wid, f"a where clause of {row['Dataset']}; {wid} is one of {where[wid][0]}")
        else:
            row["Where Clause"] = where[wid][1]

    # --- the source interface (spec/source.py) ---------------------------------------------------------------
    def study(self) -> dict[str, Any]:
        return self._study

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> WorkbookTable:
        sheet, header = self.headers.get(name, (name, []))
        return WorkbookTable(self, name, sheet, header)

    def rows(self, name: str, problems) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
        return self.headers[name][1], list(self.tables[name])
