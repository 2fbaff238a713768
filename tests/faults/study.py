"""A raw export folder to be made faulty, and what a case expects of check-raw and convert.

Cells are edited through the csv module (quoted only when needed, as the EDC writes), so that a case
changes exactly one thing; file-level faults edit the bytes. Rows are chosen by what they hold (a
subject who died, an AE with no end date), never by a fixed line, so the corpus follows the simulator.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cdisc_mirocals.raw.dates import MONTHS

BUNDLE = "bundle"  # converted together with the other accepted cases, and each effect checked there
SAME = "same"  # read_raw gives the clean study's typed forms: the file differs, its data does not
ANALYSIS = "analysis"  # converted on its own: the analysis must say why it was skipped


@dataclass(frozen=True)
class Error:
    """One located problem check-raw must report: file, line, column, and a fragment of the message."""

    file: str
    line: int | None
    column: str | None
    says: str

    @property
    def where(self) -> str:
        text = self.file if self.line is None else f"{self.file}:{self.line}"
        return text + (f", column {self.column}" if self.column else "")

    def found_in(self, message: str) -> bool:
        """`message` is one 'error: ...' line of check-raw; it must start exactly at this location."""
        head = f"error: {self.where}"
        return message.startswith(head) and message[len(head):len(head) + 1] in (",", ":") and self.says in message


@dataclass(frozen=True)
class Outcome:
    errors: tuple[Error, ...] = ()  # none: the case is accepted
    notes: tuple[str, ...] = ()  # fragments of check-raw's notes (changes made and logged)
    typed: tuple[tuple[str, int, str, object], ...] = ()  # (form, line, field, value) read_raw must give
    options: tuple[str, ...] = ()
    exact: bool = True  # the errors are all check-raw reports (False: others may come with them)
    convert: str | None = None  # accepted: how convert's acceptance is shown (BUNDLE, SAME, ANALYSIS)
    effects: tuple[tuple[str, str], ...] = ()  # (file in OUT, text it must hold) after the bundle's convert

    @property
    def accepted(self) -> bool:
        return not self.errors


def refused(*errors: Error, **kwargs) -> Outcome:
    return Outcome(errors=tuple(errors), **kwargs)


def accepted(**kwargs) -> Outcome:
    return Outcome(**kwargs)


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    summary: str
    make: Callable[[Study], Outcome] = field(repr=False)


def collector():
    """A list of cases and the decorator that registers a `make(study) -> Outcome` function in it."""
    cases: list[Case] = []

    def case(group: str, summary: str):
        def register(make):
            cases.append(Case(make.__name__, group, summary, make))
            return make
        return register
    return cases, case


def one_value(case, name: str, group: str, summary: str, form: str, field: str, value, says: str, nth: int = 0,
              options: tuple[str, ...] = ()) -> None:
    """Register (with `case`, a collector's decorator) a case that writes `value` into `field` of the nth
    record holding a value there, and expects exactly one error, at that record and field. `value` is
    the text, or a function of the text it replaces."""
    def make(s: Study) -> Outcome:
        line = s.line(form, lambda r: r[field].strip() != "", nth)
        s.set(form, line, field, value(s.get(form, line, field)) if callable(value) else value)
        return refused(Error(s.file(form), line, field, says), options=options)
    make.__name__ = name
    case(group, summary)(make)


def raw_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}-{MONTHS[int(month) - 1]}-{year}"


def iso_date(raw: str) -> str:
    day, mon, year = raw.strip().upper().split("-")
    return f"{year}-{MONTHS.index(mon) + 1:02d}-{day}"


class Study:
    def __init__(self, folder: Path, spec):
        self.folder, self.spec = Path(folder), spec

    def file(self, form: str) -> str:
        return self.spec.raw[form].file

    def path(self, form: str) -> Path:
        return self.folder / self.file(form)

    # ---- whole files
    def read_bytes(self, form: str) -> bytes:
        return self.path(form).read_bytes()

    def write_bytes(self, form: str, data: bytes) -> None:
        self.path(form).write_bytes(data)

    def read_text(self, form: str) -> str:
        return self.path(form).read_text(encoding="utf-8")

    def write_text(self, form: str, text: str, encoding: str = "utf-8") -> None:
        self.path(form).write_bytes(text.encode(encoding))

    # ---- records, each with the physical line it starts on
    def table(self, form: str) -> tuple[list[str], list[list[str]]]:
        rows = list(csv.reader(io.StringIO(self.read_text(form), newline="")))
        return rows[0], rows[1:]

    def write_table(self, form: str, header: list[str], rows: list[list[str]]) -> None:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        self.write_text(form, buffer.getvalue())

    def records(self, form: str) -> list[dict]:
        reader = csv.reader(io.StringIO(self.read_text(form), newline=""))
        header = next(reader)
        out, previous = [], reader.line_num
        for row in reader:
            if any(cell.strip() for cell in row):  # blank lines are not records, as for the reader
                out.append(dict(zip(header, row), _line=previous + 1))
            previous = reader.line_num
        return out

    def _index(self, form: str, line: int) -> int:
        return next(i for i, r in enumerate(self.records(form)) if r["_line"] == line)

    def line(self, form: str, where: Callable[[dict], bool] = lambda r: True, nth: int = 0) -> int:
        found = [r["_line"] for r in self.records(form) if where(r)]
        if len(found) <= nth:
            raise LookupError(f"the clean study has no record {nth + 1} of {form} matching the case")
        return found[nth]

    def last_line(self, form: str) -> int:
        return self.records(form)[-1]["_line"]

    def row(self, form: str, line: int) -> dict:
        return self.records(form)[self._index(form, line)]

    def get(self, form: str, line: int, column: str) -> str:
        return self.row(form, line)[column]

    def set(self, form: str, line: int, column: str, value: str) -> None:
        header, rows = self.table(form)
        rows[self._index(form, line)][header.index(column)] = value
        self.write_table(form, header, rows)

    def append_copy(self, form: str, line: int, **changes: str) -> int:
        """A copy of a record as a new last record, with some fields changed; its line."""
        header, rows = self.table(form)
        copy = list(rows[self._index(form, line)])
        for column, value in changes.items():
            copy[header.index(column)] = value
        self.write_table(form, header, rows + [copy])
        return self.last_line(form)

    def drop(self, form: str, where: Callable[[dict], bool]) -> None:
        header, rows = self.table(form)
        self.write_table(form, header, [row for row in rows if not where(dict(zip(header, row)))])

    def keep_subjects(self, subjects: set[str]) -> None:
        for form in self.spec.raw:
            self.drop(form, lambda r: r["SUBJID"].strip() not in subjects)

    def header_only(self, form: str) -> None:
        self.write_table(form, self.table(form)[0], [])

    # ---- facts of the clean study that cases choose their records by
    def subjects(self, form: str) -> dict[str, dict]:
        return {r["SUBJID"].strip(): r for r in self.records(form)}

    def randomised(self) -> dict[str, dict]:
        return self.subjects("RAND")

    def deaths(self) -> dict[str, dict]:
        return self.subjects("DEATH")

    def alive(self) -> set[str]:
        eos = self.subjects("EOS")
        return {s for s in self.randomised() if s not in self.deaths()
                and eos[s]["EOSSTAT"].strip().casefold() != "death"}
