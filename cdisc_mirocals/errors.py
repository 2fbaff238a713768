"""Errors a user can cause: bad raw data, a bad spec, a bad option.

Each carries a message naming the file, the row, the column, the value and what was expected.
The CLI turns them into a clean message and a non-zero exit; programming errors stay tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass


class MirocalsError(Exception):
    """Base class of every error the user can fix."""


class UsageError(MirocalsError):
    """The command line is wrong rather than the data: an option names a variable, an arm or a parameter the
    inputs do not have, a folder holds nothing the command reads, or a value cannot be used. The CLI exits 2
    for these, as for click's own usage errors; errors in the data, the specs or the output exit 1."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file."""

    file: str
    line: int | None  # 1-based physical line of the file; None when the whole file is at fault
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.column:
            parts.append(f"column {self.column}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts)}: {self.expected}"


class ProblemsError(MirocalsError):
    """Several problems collected before reporting, so the user sees all of them at once."""

    kind = "problem"

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} {self.kind}{'s' if n != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class SpecError(ProblemsError):
    kind = "specification error"


class RawDataError(ProblemsError):
    kind = "raw data error"
