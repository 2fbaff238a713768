"""One sheet of the specification read row by row, with every problem recorded (file, line, column, value, what was
expected) instead of stopping at the first, whatever its source (spec/source.py); the cell parsers the
loaders share."""

from __future__ import annotations

import re
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
    """Reads one sheet row by row from its Table (a CSV file or a workbook sheet), recording problems
    instead of stopping at the first."""

    def __init__(self, table, columns: list[str], problems: list[Problem], study: dict[str, Any] | None = None):
        self.table, self.columns, self.problems, self.study = table, columns, problems, study or {}
        self.name = table.name

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
        header = self.table.header(self.problems)
        if header is None:
            self.problems.append(self.table.problem(None, None, None, self.table.missing))
            return
        missing = [c for c in self.columns if c not in header]
        if missing:
            self.problems.append(self.table.problem(1, ", ".join(missing), None,
                                                    f"header lacks required columns; expected {self.columns}"))
            return
        for line, row in self.table.records(self.problems):
            yield line, self._expanded(line, row)

    def fail(self, line: int | None, column: str | None, value: str | None, expected: str) -> None:
        self.problems.append(self.table.problem(line, column, value, expected))

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
