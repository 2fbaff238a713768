"""A Pinnacle 21 workbook (.xlsx) as a specification source: its sheets (read safely by spec/xlsx_read.py)
turned into the specs/ tables that the loaders read (spec/p21.py maps them), each row located by sheet
and row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.p21 import (LAYOUTS, OPTIONAL_SHEETS, STANDARDS, WHERE_COLUMNS, dictionary_version,
                                     read_where_clauses)
from cdisc_mirocals.spec.studysheet import STUDY_COLUMNS, study_data
from cdisc_mirocals.spec.xlsx_read import Row, SheetProblem, column_letter, read_sheets

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
            extra = [(header[i] if i < len(header) else column_letter(i), v) for i, v in enumerate(texts)
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
