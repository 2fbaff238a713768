"""One sheet of specs/ read row by row, with every problem recorded (file, line, column, value, what was
expected) instead of stopping at the first; the cell parsers the loaders share."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Callable

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.model import COMPARATORS, Condition

# {parameters.pnfh_threshold} in a sheet cell: a study.toml value, so that a fact has one home.
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\}")


def study_value(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    if isinstance(value, (dict, list)):
        raise KeyError(path)
    return f"{value:g}" if isinstance(value, float) else str(value)


def expand(text: str, data: dict[str, Any]) -> str:
    """Replace each {section.key} with its study.toml value (KeyError names an unknown one)."""
    return PLACEHOLDER.sub(lambda m: study_value(data, m.group(1)), text)


class Sheet:
    """Reads one CSV sheet row by row, recording problems instead of stopping at the first."""

    def __init__(self, path: Path, root: Path, columns: list[str], problems: list[Problem],
                 study: dict[str, Any] | None = None):
        self.path, self.columns, self.problems, self.study = path, columns, problems, study or {}
        self.name = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)

    def _expanded(self, line: int, row: dict[str, str]) -> dict[str, str]:
        out = {}
        for column, value in row.items():
            try:
                out[column] = expand(value, self.study) if "{" in value else value
            except KeyError as exc:
                self.fail(line, column, value, f"placeholders naming study.toml values; {exc.args[0]} is not one")
                out[column] = value
        return out

    def rows(self):
        if not self.path.is_file():
            self.problems.append(Problem(self.name, None, None, None, "file is missing"))
            return
        with self.path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in self.columns if c not in (reader.fieldnames or [])]
            if missing:
                self.problems.append(Problem(self.name, 1, ", ".join(missing), None,
                                             f"header lacks required columns; expected {self.columns}"))
                return
            lines = self.path.read_text(encoding="utf-8").split("\n")
            end = reader.line_num
            for row in reader:
                # a quoted value may span lines: a record is located at its first line, not its last
                start, end = end + 1, reader.line_num
                while start < end and not lines[start - 1].strip():
                    start += 1  # blank lines the reader skipped
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue
                if self._miscounted(start, reader.fieldnames, row):
                    continue
                yield start, self._expanded(start, {k: (v or "").strip() for k, v in row.items() if k})

    def _miscounted(self, line: int, header: list[str], row: dict) -> bool:
        """A record with more or fewer fields than the header is refused, not read: an unquoted comma
        would otherwise shift every later value into the wrong column, or drop the end of a text."""
        extra = row.get(None) or []
        short = [k for k, v in row.items() if k is not None and v is None]
        if not extra and not short:
            return False
        count = len(header) + len(extra) - len(short)
        value = ",".join(extra) or None
        self.fail(line, None, value, f"{len(header)} fields as in the header, not {count}; a value holding a comma "
                                     "must be in double quotes")
        return True

    def fail(self, line: int, column: str, value: str | None, expected: str) -> None:
        self.problems.append(Problem(self.name, line, column, value, expected))

    def get(self, line: int, row: dict, column: str, parse: Callable[[str], Any] = str,
            required: bool = False, expected: str = "") -> Any:
        raw = row.get(column, "")
        if raw == "":
            if required:
                self.fail(line, column, raw, "a value is required")
            return None if parse is not str else ""
        try:
            return parse(raw)
        except (ValueError, KeyError):
            self.fail(line, column, raw, expected or f"a valid {getattr(parse, '__name__', 'value')}")
            return None


def yes_no(value: str) -> bool:
    return {"yes": True, "no": False}[value.lower()]


def one_of(allowed: set[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(value)
        return value
    return parse


def parse_where(text: str) -> tuple[Condition, ...]:
    conditions = []
    for part in text.split(" AND "):
        var, comparator, values = part.strip().split(" ", 2)
        if comparator not in COMPARATORS:
            raise ValueError(text)
        conditions.append(Condition(var, comparator, tuple(v.strip() for v in values.split("|"))))
    return tuple(conditions)


def parse_keys(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


def number(text: str) -> float:
    return float(text)
