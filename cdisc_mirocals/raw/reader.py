"""read_raw(): load a raw EDC export folder, check every form against specs/raw, and type it.

Every problem in every form is collected before anything is reported. Each names the file, the
physical CSV line, the column, the bad value and what was expected. Nothing is dropped: a form
either loads whole or the run stops with the list of what to fix. The checks are those the later
stages depend on, so that data read_raw accepts converts (docs/reliability.md):
- the file itself (raw/csvfile.py): encoding, line endings, header, field counts, quoting;
- the text policy (cdisc_mirocals/text.py): line breaks and TABs in free text become spaces, other
  control characters are refused, non-ASCII is refused or transliterated; every change is logged;
- each value (raw/schema.py): type, range, length, codelist, a subject the parent form knows, and
  a number SAS transport and its SDTM variable can hold;
- unique keys as the mappers compare them (raw/keys.py);
- at least one subject, and at least one randomised (ADaM, and every analysis, holds the randomised);
- and, in the same pass, on the typed forms, the edit checks across forms (validate/edit_checks.py): dates
  that cannot be true, such as an adverse event after death.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.metadata.numbers import EXACT_INTEGER
from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.raw.csvfile import CsvTable, read_table
from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.raw.keys import duplicate_keys
from cdisc_mirocals.raw.schema import Factors, TargetLimit, form_schema, target_limits
from cdisc_mirocals.spec import RawForm, Spec, load_spec
from cdisc_mirocals.text import CONTROL, LAYOUT, describe, describe_controls, has_control, has_layout, non_ascii, unlayout
from cdisc_mirocals.text import transliterate as transliterate_text

LINE = "_LINE"  # physical line of the record in its CSV file, for traceability back to the source
SUBJECT_MASTER = "ENROL"
RANDOMISED = "RAND"  # one record per randomised subject: the ADSL population
TRANSLITERATED = "transliterated"
UNLAYOUT = "line break or TAB as a space"


@dataclass(frozen=True)
class TextChange:
    """A raw value changed by the text policy, for the conversion log."""

    file: str
    line: int
    column: str
    before: str
    after: str
    kind: str = TRANSLITERATED

    def __str__(self) -> str:
        return f"{self.file}:{self.line}, column {self.column}: {self.before!r} -> {self.after!r}"


@dataclass
class RawStudy:
    """The typed raw forms. Dates are ISO 8601 text (partial dates stay partial), numbers are numbers,
    coded text is kept exactly as exported; each record carries its CSV line in `_LINE`."""

    path: Path
    forms: dict[str, pd.DataFrame]
    spec: Spec = field(repr=False)
    changes: list[TextChange] = field(default_factory=list)  # what the text policy changed

    def __getitem__(self, form: str) -> pd.DataFrame:
        return self.forms[form]

    def file(self, form: str) -> str:
        return self.spec.raw[form].file

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"form": name, "file": self.file(name), "records": len(df),
             "subjects": df["SUBJID"].nunique() if "SUBJID" in df else 0}
            for name, df in self.forms.items()
        ])


def read_raw(path: str | Path, spec: Spec | None = None,
             progress: Callable[[Iterable, str], Iterable] | None = None, transliterate: bool = False) -> RawStudy:
    """With `transliterate`, non-ASCII text is mapped to ASCII (cdisc_mirocals.text) and each change is
    kept in `RawStudy.changes`; without it, non-ASCII text in a submitted field is an error."""
    spec = spec or load_spec()
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".xml":  # an ODM 1.3.2 export (raw/odm_read.py)
        from cdisc_mirocals.raw.odm_read import read_odm
        return read_odm(path, spec, progress=progress, transliterate=transliterate)
    if not path.is_dir():
        raise RawDataError([Problem(str(path), None, None, None, "a folder holding the raw CSV forms, or an ODM "
                                                                 "1.3.2 export (.xml)")])
    problems: list[Problem] = []
    tables: dict[str, CsvTable] = {}
    iterate = progress or (lambda items, label: items)
    for name in iterate(list(spec.raw), "Reading raw forms"):
        table = _load_form(path, spec.raw[name], problems)
        if table is not None:
            tables[name] = table
    if SUBJECT_MASTER in tables and tables[SUBJECT_MASTER].frame.empty:
        problems.append(Problem(spec.raw[SUBJECT_MASTER].file, None, None, None,
                                "at least one subject: the form has its header but no records, so there is "
                                "nothing to convert"))
    elif RANDOMISED in tables and tables[RANDOMISED].frame.empty:
        problems.append(Problem(spec.raw[RANDOMISED].file, None, None, None,
                                "at least one randomised subject: the form has its header but no records, so there is "
                                "no ADSL (the randomised subjects), no analysis population and no submission to make"))
    unreadable = bool(problems)  # a form, or the whole study, that could not be read
    changes: list[TextChange] = []
    factors = {name: Factors(t.frame) for name, t in tables.items()}  # each column factorised once
    for name, t in tables.items():
        problems.extend(_text_policy(t.frame, t.lines, spec.raw[name], transliterate, changes, factors[name]))
    subjects = None
    if SUBJECT_MASTER in tables:
        subjects = set(factors[SUBJECT_MASTER]("SUBJID")[1].str.strip())
    for name, t in tables.items():
        form = spec.raw[name]
        parent = spec.raw.get(form.parent)
        known = _parent_subjects(factors, form.parent, subjects) if parent else None
        problems.extend(_validate(t.frame, t.lines, form, known, parent.file if parent else "",
                                  target_limits(form, spec), factors[name]))
        problems.extend(duplicate_keys(t.frame, t.lines, form, factors[name]))
    forms = {name: _typed(t.frame, t.lines, spec.raw[name], factors[name]) for name, t in tables.items()}
    study = RawStudy(path, forms, spec, changes)
    from cdisc_mirocals.validate.edit_checks import edit_check_problems  # impossible dates across forms
    # The edit checks run even when some values failed their own checks (to them a failed value is
    # missing), so that one run lists every problem there is. A form that could not be read at all would
    # make them wrong (a missing death.csv is no death), so then they wait until it is fixed.
    if not unreadable:
        problems.extend(edit_check_problems(study))
    if problems:
        raise RawDataError(sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or "")))
    return study


def _text_policy(df: pd.DataFrame, lines: pd.Series, form: RawForm, transliterate: bool,
                 changes: list[TextChange], factors: Factors) -> list[Problem]:
    """Free text (a text field with no list of values): line breaks and TABs become spaces, other
    control characters are refused. Any text reaching a submitted dataset is ASCII, as SAS transport v5
    holds: non-ASCII is refused or, with `transliterate`, mapped. Changes are made in place and logged;
    a coded field is left to its list of values, which names the value as typed."""
    problems = []
    for f in form.fields:
        if f.type != "text":
            continue
        column = df.columns.get_loc(f.name)
        # each test once per distinct value; unlayout turns layout into spaces, which changes neither test
        codes, uniques = factors(f.name)
        logged = len(changes)
        refused = np.zeros(len(df), dtype=bool)
        if not f.allowed:
            for row in map(int, np.flatnonzero(_found(has_layout, LAYOUT, uniques)[codes])):
                before = df.iat[row, column]
                df.iat[row, column] = unlayout(before)
                changes.append(TextChange(form.file, int(lines.iat[row]), f.name, before, df.iat[row, column], UNLAYOUT))
            refused = _found(has_control, CONTROL, uniques)[codes]
            for row in map(int, refused.nonzero()[0]):
                value = df.iat[row, column]
                problems.append(Problem(form.file, int(lines.iat[row]), f.name, value,
                                        f"text without control characters: {describe_controls(value)} cannot go "
                                        "into a submission; remove it from the export"))
        if f.target:
            problems.extend(_ascii_policy(df, lines, form, f.name, non_ascii(uniques).to_numpy()[codes] & ~refused,
                                          transliterate, changes))
        if len(changes) > logged:  # values rewritten in place: layout, or non-ASCII transliterated
            factors.changed(f.name)
    return problems


def _found(test, pattern: re.Pattern, uniques: pd.Series) -> np.ndarray:
    """test() of each distinct value, or all False at once when the pattern (one character) is nowhere."""
    if pattern.search("".join(uniques)) is None:
        return np.zeros(len(uniques), dtype=bool)
    return test(uniques).to_numpy()


def _ascii_policy(df: pd.DataFrame, lines: pd.Series, form: RawForm, name: str, hit: np.ndarray,
                  transliterate: bool, changes: list[TextChange]) -> list[Problem]:
    problems = []
    column = df.columns.get_loc(name)
    for row in map(int, hit.nonzero()[0]):
        before = df.iat[row, column]
        after, unmapped = transliterate_text(before)
        line = int(lines.iat[row])
        if unmapped:
            problems.append(Problem(form.file, line, name, before,
                                    f"ASCII text (SAS transport v5): {describe(unmapped)} has no ASCII form"))
        elif not transliterate:
            problems.append(Problem(form.file, line, name, before,
                                    f"ASCII text (SAS transport v5) instead of {describe(before)}; rerun with "
                                    "--transliterate to map it (e.g. e for é, - for –) and log each change"))
        else:
            df.iat[row, column] = after
            changes.append(TextChange(form.file, line, name, before, after))
    return problems


def _parent_subjects(factors: dict[str, Factors], parent: str, enrolled: set[str] | None) -> set[str] | None:
    if parent == SUBJECT_MASTER or parent not in factors:
        return enrolled
    return set(factors[parent]("SUBJID")[1].str.strip())


def _load_form(folder: Path, form: RawForm, problems: list[Problem]) -> CsvTable | None:
    """The form's text records, or None after recording why it can't be read."""
    def fail(expected: str, line: int | None = None, column: str | None = None, value: str | None = None):
        problems.append(Problem(form.file, line, column, value, expected))

    path = folder / form.file
    if not path.is_file():
        if form.required:
            fail(f"the {form.description} form is missing: expected a file named {form.file}")
        return None
    return read_table(path, form, fail)


def _validate(df: pd.DataFrame, lines: pd.Series, form: RawForm, subjects: set[str] | None,
              parent_file: str, targets: dict[str, TargetLimit], factors: Factors) -> list[Problem]:
    """Each column's checks run on its distinct values (every check is a test of one value), and each
    failure is spread back to the records that hold the value, in the order pandera reports them."""
    schema = form_schema(form, subjects, parent_file, targets)
    problems = []
    line = lines.to_numpy()
    for name, column in schema.columns.items():
        codes, uniques = factors(name)
        try:
            column.validate(pd.DataFrame({name: uniques}), lazy=True)
            continue
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
        for _, group in cases.groupby("check_number", sort=False):
            check, where = group["check"].iloc[0], group["index"]
            for case in group[where.isna()].itertuples(index=False):
                problems.append(Problem(form.file, None, case.column, str(case.failure_case), str(check)))
            failed = where.dropna().astype(int).to_numpy()
            rows = np.flatnonzero(np.isin(codes, failed))
            values = uniques.to_numpy()[codes[rows]]
            problems.extend(Problem(form.file, int(line[r]), name, str(v), str(check)) for r, v in zip(rows, values))
    return problems


def _typed(df: pd.DataFrame, lines: pd.Series, form: RawForm, factors: Factors) -> pd.DataFrame:
    """Each field in its type, converted once per distinct value and spread back with one take."""
    out = {}
    for f in form.fields:
        codes, uniques = factors(f.name)
        if f.type in ("integer", "float"):
            number = pd.to_numeric(uniques.str.strip(), errors="coerce")
            if f.type == "integer":  # a value that failed its checks (1e5, 2**70) is missing, not cast
                number = number.where(number.abs().le(EXACT_INTEGER) & number.eq(number.round()))
            typed = number.astype("Int64" if f.type == "integer" else "Float64")
        elif f.type in ("date", "partial date"):
            typed = raw_to_iso(uniques, partial=f.type == "partial date")
        else:
            typed = uniques.astype("string").where(uniques.str.strip() != "", pd.NA)
        out[f.name] = typed.array.take(codes)
    out[LINE] = lines.to_numpy()
    return pd.DataFrame(out, index=df.index)
