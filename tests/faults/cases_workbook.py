"""Faulty specification workbooks: each case edits a clean export of specs/ (openpyxl, as a user in Excel
would) and states the located errors `cdisc-mirocals specs --specs BOOK.xlsx` must report: sheet, row,
column, and a fragment of what was expected. Rows are found by what they hold, never by a fixed number.
The file-level cases (not a zip, a DTD, a zip bomb) write the bytes themselves."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class BookError:
    sheet: str | None
    row: int | None
    column: str | None
    says: str

    def found_in(self, message: str, book: str) -> bool:
        head = f"error: {book}" + (f", sheet {self.sheet}" if self.sheet else "")
        head += f", row {self.row}" if self.row is not None else ""
        head += f", column {self.column}" if self.column else ""
        return message.startswith(head) and message[len(head):len(head) + 1] in (",", ":") and self.says in message


@dataclass(frozen=True)
class BookCase:
    name: str
    make: Callable[[Path], tuple[BookError, ...]]  # edits the workbook at the path, returns the errors expected


def _edit(path: Path, change) -> tuple[BookError, ...]:
    from openpyxl import load_workbook
    wb = load_workbook(path)
    errors = change(wb)
    wb.save(path)
    return errors


def _cell(wb, sheet: str, column: str, where: Callable[[dict], bool]):
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        values = dict(zip(header, (c.value for c in row)))
        if where(values):
            return row[header.index(column)]
    raise LookupError(f"no row of {sheet} matches")


def _set(sheet: str, column: str, where: Callable[[dict], bool], value, says: str, shown: str | None = None):
    def change(wb):
        cell = _cell(wb, sheet, column, where)
        cell.value = value
        return (BookError(sheet, cell.row, shown or column, says),)
    return lambda path: _edit(path, change)


def _not_a_zip(path: Path):
    path.write_bytes(b"ID,Name\nNY,No Yes Response\n")
    return (BookError(None, None, None, "an Excel workbook (.xlsx, a zip archive)"),)


def _rezip(path: Path, part: str, edit: Callable[[bytes], bytes]) -> None:
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, edit(data) if info.filename == part else data)
    path.write_bytes(out.getvalue())


def _dtd(path: Path):
    laugh = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
    _rezip(path, "xl/workbook.xml", lambda data: laugh + (data.split(b"?>", 1)[-1]))
    return (BookError(None, None, "xl/workbook.xml", "XML without a DTD"),)


def _bomb(path: Path):
    _rezip(path, "docProps/app.xml", lambda data: data + b" " * (8 * 2**20))
    return (BookError(None, None, "docProps/app.xml", "a compression ratio of at most"),)


def _missing_sheet(path: Path):
    def change(wb):
        del wb["Variables"]
        return (BookError("Variables", None, None, "sheet is missing"),)
    return _edit(path, change)


def _unknown_column(path: Path):
    def change(wb):
        ws = wb["Comments"]
        ws.cell(row=1, column=ws.max_column + 1, value="Developer Notes")
        ws.cell(row=3, column=ws.max_column, value="check with the SAP")
        return (BookError("Comments", 3, "Developer Notes", "the Comments sheet's columns are"),)
    return _edit(path, change)


def _where_of_other_dataset(path: Path):
    def change(wb):
        other = _cell(wb, "WhereClauses", "ID", lambda r: r["Dataset"] == "ADSL").value
        cell = _cell(wb, "ValueLevel", "Where Clause", lambda r: r["Dataset"] == "QS")
        cell.value = other
        return (BookError("ValueLevel", cell.row, "Where Clause", "a where clause of QS"),)
    return _edit(path, change)


def _study_value(path: Path):
    def change(wb):
        cell = _cell(wb, "Study", "Value", lambda r: r["Attribute"] == "parameters.pnfh_threshold")
        cell.value = "3700 pg/mL"
        return (BookError("Study", cell.row, "Value", "a TOML value"),)
    return _edit(path, change)


def _dictionary_version(path: Path):
    return _set("Dictionaries", "Version", lambda r: r["ID"] == "MEDDRA", "25.1",
                "the version study.toml's [standards] gives meddra")(path)


CASES = [
    BookCase("bad_yes_no", _set("Variables", "Mandatory", lambda r: r["Variable"] == "AGE", "Maybe", "Yes or No")),
    BookCase("formula", _set("Variables", "Length", lambda r: r["Variable"] == "USUBJID", "=LEN(A2)",
                             "a value, not a formula")),
    BookCase("excel_date", _set("Codelists", "Term", lambda r: r["Term"] == "Y",
                                dt.datetime(2024, 1, 1), "text, not a date")),
    BookCase("logical", _set("Datasets", "Repeating", lambda r: r["Dataset"] == "AE", True, "text, not a logical")),
    BookCase("bad_data_type", _set("ValueLevel", "Data Type", lambda r: r["Dataset"] == "LB", "number", "one of")),
    BookCase("unknown_standard", _set("Methods", "Standard", lambda r: r["Standard"] == "ADaM", "SEND",
                                      "one of ['ADaM', 'SDTM']")),
    BookCase("unknown_where_clause", _set("ValueLevel", "Where Clause", lambda r: r["Dataset"] == "VS",
                                          "WC.VS.NOPE", "the ID of a where clause on the WhereClauses sheet")),
    BookCase("bad_comparator", _set("WhereClauses", "Comparator", lambda r: r["Dataset"] == "LB", "EQUALS",
                                    "one of")),
    BookCase("label_too_long", _set("Variables", "Label", lambda r: r["Variable"] == "SEX", "S" * 41,
                                    "at most 40 characters")),
    BookCase("unknown_codelist", _set("Variables", "Codelist", lambda r: r["Variable"] == "SEX", "GENDER",
                                      "an ID defined in codelists sheet")),
    BookCase("unknown_document", _set("Analysis Displays", "Document", lambda r: bool(r["ID"]), "SAP9",
                                      "an ID defined in the Documents sheet")),
    BookCase("dictionary_version", _dictionary_version),
    BookCase("study_value", _study_value),
    BookCase("missing_sheet", _missing_sheet),
    BookCase("unknown_column", _unknown_column),
    BookCase("where_of_other_dataset", _where_of_other_dataset),
    BookCase("not_a_zip", _not_a_zip),
    BookCase("dtd", _dtd),
    BookCase("zip_bomb", _bomb),
]
