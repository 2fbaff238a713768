"""Reading an .xlsx workbook as untrusted input: every sheet's rows as text, each problem located by sheet,
row and column (SheetProblem).

Before openpyxl opens the file (read-only, formulas not evaluated, no external links), the zip is
checked: its size, the number and the inflated size of its parts, their compression ratio (a zip bomb),
and that no XML part declares a DTD (entity expansion). A cell must be text or a plain number: a formula,
an Excel error, a logical or a date (Excel's own conversion of a typed value) is refused."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cdisc_mirocals.errors import Problem, SpecError

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
                        column = header[i] if i < len(header) and header[i] else column_letter(i)
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


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)
