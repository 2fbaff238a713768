"""Where the sheets of a specification come from: a specs/ folder of CSV files (this module) or a Pinnacle 21
workbook (spec/workbook.py). Every loader asks its source for a table by its specs/ name ("sdtm/variables.csv")
and reads the same rows, with the same column names, whichever it is; only the location of a problem differs
(file and line, or sheet and row)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Any, Iterator

from cdisc_mirocals.errors import Problem, SpecError

# The specs/ tables in the order the loaders and the workbook list them; the optional ones may be absent.
STANDARD_TABLES = ("datasets.csv", "variables.csv", "valuelevel.csv", "codelists.csv", "methods.csv", "comments.csv",
                   "documents.csv", "ctmap.csv", "analysis_displays.csv", "analysis_results.csv")
RAW_TABLES = ("raw/forms.csv", "raw/fields.csv")
# the ADaM derivations' tables: the visit windows and the CTCAE v5.0 grading
BDS_TABLES = ("adam/visit_windows.csv", "adam/ctcae_v5.csv", "adam/toxicity_terms.csv")
# what the reviewer's guides print: the sponsor's explanations of the validation findings that remain
REVIEW_TABLES = ("review/findings_explanations.csv",)
OPTIONAL = {"documents.csv", "ctmap.csv", "analysis_displays.csv", "analysis_results.csv", "visit_windows.csv",
            "ctcae_v5.csv", "toxicity_terms.csv", "findings_explanations.csv"}


def table_names() -> list[str]:
    return ([f"{part}/{t}" for part in ("sdtm", "adam") for t in STANDARD_TABLES] + list(RAW_TABLES) + list(BDS_TABLES)
            + list(REVIEW_TABLES))


def is_optional(name: str) -> bool:
    return name.rpartition("/")[2] in OPTIONAL


class CsvTable:
    """One CSV file of specs/."""

    missing = "file is missing"

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.name = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)

    def problem(self, line: int | None, column: str | None, value: str | None, expected: str) -> Problem:
        return Problem(self.name, line, column, value, expected)

    def header(self, problems: list[Problem]) -> list[str] | None:
        if not self.path.is_file():
            return None
        with self.path.open(newline="", encoding="utf-8") as fh:
            return next(csv.reader(fh), [])

    def records(self, problems: list[Problem]) -> Iterator[tuple[int, dict[str, str]]]:
        """(first line, row) of each non-empty record, values stripped; a record with more or fewer fields
        than the header is refused, not read."""
        with self.path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            lines = self.path.read_text(encoding="utf-8").split("\n")
            end = reader.line_num
            for row in reader:
                # a quoted value may span lines: a record is located at its first line, not its last
                start, end = end + 1, reader.line_num
                while start < end and not lines[start - 1].strip():
                    start += 1  # blank lines the reader skipped
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue
                if self._miscounted(start, header, row, problems):
                    continue
                yield start, {k: (v or "").strip() for k, v in row.items() if k}

    def _miscounted(self, line: int, header: list[str], row: dict, problems: list[Problem]) -> bool:
        """An unquoted comma would otherwise shift every later value into the wrong column, or drop the end
        of a text."""
        extra = row.get(None) or []
        short = [k for k, v in row.items() if k is not None and v is None]
        if not extra and not short:
            return False
        count = len(header) + len(extra) - len(short)
        value = ",".join(extra) or None
        problems.append(self.problem(line, None, value, f"{len(header)} fields as in the header, not {count}; a "
                                                        "value holding a comma must be in double quotes"))
        return True


class CsvSource:
    """A specs/ folder: study.toml and one CSV per sheet."""

    def __init__(self, root: Path):
        self.root = root

    def study(self) -> dict[str, Any]:
        path = self.root / "study.toml"
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError([Problem(path.name, None, None, None, "file is missing")]) from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError([Problem("study.toml", None, None, None, f"valid TOML ({exc})")]) from None

    def has(self, name: str) -> bool:
        return (self.root / name).is_file()

    def table(self, name: str) -> CsvTable:
        return CsvTable(self.root / name, self.root)

    def rows(self, name: str, problems: list[Problem]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
        """A table's header and raw rows (placeholders unexpanded), for the workbook export."""
        t = self.table(name)
        return t.header(problems) or [], list(t.records(problems))
