"""read_raw(): load a raw EDC export folder, check every form against specs/raw, and type it.

Every problem in every form is collected before anything is reported. Each names the file, the
physical CSV line, the column, the bad value and what was expected. Nothing is dropped: a form
either loads whole or the run stops with the list of what to fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.raw.schema import form_schema
from cdisc_mirocals.spec import RawForm, Spec, load_spec
from cdisc_mirocals.text import describe, non_ascii
from cdisc_mirocals.text import transliterate as transliterate_text

LINE = "_LINE"  # physical line of the record in its CSV file, for traceability back to the source
SUBJECT_MASTER = "ENROL"


@dataclass(frozen=True)
class TextChange:
    """A raw value changed by the text policy, for the conversion log."""

    file: str
    line: int
    column: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}, column {self.column}: {self.before!r} -> {self.after!r}"


@dataclass
class RawStudy:
    """The typed raw forms. Dates are ISO 8601 text (partial dates stay partial), numbers are numbers,
    coded text is kept exactly as exported; each record carries its CSV line in `_LINE`."""

    path: Path
    forms: dict[str, pd.DataFrame]
    spec: Spec = field(repr=False)
    changes: list[TextChange] = field(default_factory=list)  # what --transliterate changed

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
    if not path.is_dir():
        raise RawDataError([Problem(str(path), None, None, None, "a folder holding the raw CSV forms")])
    problems: list[Problem] = []
    texts: dict[str, tuple[pd.DataFrame, pd.Series]] = {}
    iterate = progress or (lambda items, label: items)
    for name in iterate(list(spec.raw), "Reading raw forms"):
        loaded = _load_form(path, spec.raw[name], problems)
        if loaded is not None:
            texts[name] = loaded
    subjects = None
    if SUBJECT_MASTER in texts:
        subjects = set(texts[SUBJECT_MASTER][0]["SUBJID"].str.strip())
    for name, (df, lines) in texts.items():
        form = spec.raw[name]
        parent = spec.raw.get(form.parent)
        known = _parent_subjects(texts, form.parent, subjects) if parent else None
        problems.extend(_validate(df, lines, form, known, parent.file if parent else ""))
    changes: list[TextChange] = []
    for name, (df, lines) in texts.items():
        problems.extend(_ascii_policy(df, lines, spec.raw[name], transliterate, changes))
    if problems:
        raise RawDataError(sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or "")))
    forms = {name: _typed(df, lines, spec.raw[name]) for name, (df, lines) in texts.items()}
    study = RawStudy(path, forms, spec, changes)
    from cdisc_mirocals.validate.edit_checks import check_edits  # impossible dates across forms, as an EDC checks
    check_edits(study)
    return study


def _ascii_policy(df: pd.DataFrame, lines: pd.Series, form: RawForm, transliterate: bool,
                  changes: list[TextChange]) -> list[Problem]:
    """SAS transport v5 holds ASCII: a non-ASCII value of a field that reaches a submitted dataset is
    refused, or, with `transliterate`, mapped (in place) and logged."""
    problems = []
    for f in form.fields:
        if f.type != "text" or not f.target:
            continue
        hit = non_ascii(df[f.name])
        for row in map(int, hit.to_numpy().nonzero()[0]):
            before = df[f.name].iat[row]
            after, unmapped = transliterate_text(before)
            line = int(lines.iat[row])
            if unmapped:
                problems.append(Problem(form.file, line, f.name, before,
                                        f"ASCII text (SAS transport v5): {describe(unmapped)} has no ASCII form"))
            elif not transliterate:
                problems.append(Problem(form.file, line, f.name, before,
                                        f"ASCII text (SAS transport v5) instead of {describe(before)}; rerun with "
                                        "--transliterate to map it (e.g. e for é, - for –) and log each change"))
            else:
                df.iat[row, df.columns.get_loc(f.name)] = after
                changes.append(TextChange(form.file, line, f.name, before, after))
    return problems


def _parent_subjects(texts, parent: str, enrolled: set[str] | None) -> set[str] | None:
    if parent == SUBJECT_MASTER or parent not in texts:
        return enrolled
    return set(texts[parent][0]["SUBJID"].str.strip())


def _load_form(folder: Path, form: RawForm, problems: list[Problem]) -> tuple[pd.DataFrame, pd.Series] | None:
    """The form's text frame and the CSV line of each record, or None after recording why it can't be read."""
    path = folder / form.file

    def fail(expected: str, line: int | None = None, column: str | None = None, value: str | None = None):
        problems.append(Problem(form.file, line, column, value, expected))

    if not path.is_file():
        if form.required:
            fail(f"the {form.description} form is missing: expected a file named {form.file}")
        return None
    data = path.read_bytes()
    if not data.strip():
        fail(f"the file is empty: expected a header row with columns {', '.join(form.columns)}")
        return None
    if b"\x00" in data:
        fail("not a CSV file: it contains binary data")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"not a CSV text file: byte {exc.start} is not valid UTF-8")
        return None
    header = next(csv.reader(io.StringIO(text)), [])
    columns = [c.strip() for c in header]
    missing = [c for c in form.columns if c not in columns]
    extra = [c for c in columns if c not in form.columns]
    if missing or extra or len(set(columns)) != len(columns):
        fail(f"the header must hold the columns {', '.join(form.columns)}"
             + (f"; missing {', '.join(missing)}" if missing else "")
             + (f"; unexpected {', '.join(extra)}" if extra else ""), 1)
        return None
    lines = _record_lines(text, len(columns), form, problems)
    if lines is None:
        return None
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    df.columns = columns
    if len(df) != len(lines):  # the line scan and the parser must agree on the records
        fail(f"not a well-formed CSV file: found {len(lines)} records by line but {len(df)} by parsing")
        return None
    if not text.endswith(("\n", "\r")) and len(df):
        fail("the file ends in the middle of a record: it looks truncated", int(lines.iloc[-1]))
    return df, lines


def _record_lines(text: str, n_columns: int, form: RawForm, problems: list[Problem]) -> pd.Series | None:
    """The physical line on which each record starts; every record must have the header's field count."""
    bad = []
    if '"' not in text:  # the common case: one record per line, and commas count the fields
        body = text.splitlines()[1:]
        starts = [i + 2 for i, row in enumerate(body) if row.strip()]
        for i, row in enumerate(body):
            if row.strip() and row.count(",") != n_columns - 1:
                bad.append((i + 2, row.count(",") + 1, row))
    else:
        reader = csv.reader(io.StringIO(text))
        next(reader)
        starts, previous = [], reader.line_num
        for row in reader:
            if any(cell.strip() for cell in row):
                starts.append(previous + 1)
                if len(row) != n_columns:
                    bad.append((previous + 1, len(row), ",".join(row)))
            previous = reader.line_num
    for line, n, row in bad[:20]:
        problems.append(Problem(form.file, line, None, row[:80],
                                f"{n_columns} fields as in the header, found {n}: the row is truncated or malformed"))
    if len(bad) > 20:
        problems.append(Problem(form.file, None, None, None, f"{len(bad) - 20} more malformed rows"))
    return None if bad else pd.Series(starts, dtype="int64")


def _validate(df: pd.DataFrame, lines: pd.Series, form: RawForm, subjects: set[str] | None,
              parent_file: str) -> list[Problem]:
    schema = form_schema(form, subjects, parent_file)
    try:
        schema.validate(df, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    problems = []
    seen_duplicates = set()
    for case in cases.itertuples(index=False):
        row = None if pd.isna(case.index) else int(case.index)
        line = int(lines.iloc[row]) if row is not None else None
        if case.check == "multiple_fields_uniqueness":
            if row in seen_duplicates:
                continue
            seen_duplicates.add(row)
            key = {k: df.iloc[row][k] for k in form.keys}
            first = df.index[(df[list(form.keys)] == pd.Series(key)).all(axis=1)][0]
            problems.append(Problem(form.file, line, ", ".join(form.keys), ", ".join(key.values()),
                                    f"a unique key ({', '.join(form.keys)}); the same key is on line {lines.iloc[first]}"))
        elif row is None:
            problems.append(Problem(form.file, None, case.column, str(case.failure_case), str(case.check)))
        else:
            problems.append(Problem(form.file, line, case.column, str(case.failure_case), str(case.check)))
    return problems


def _typed(df: pd.DataFrame, lines: pd.Series, form: RawForm) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for f in form.fields:
        s = df[f.name]
        if f.type == "integer":
            out[f.name] = pd.to_numeric(s.str.strip(), errors="coerce").astype("Int64")
        elif f.type == "float":
            out[f.name] = pd.to_numeric(s.str.strip(), errors="coerce").astype("Float64")
        elif f.type in ("date", "partial date"):
            out[f.name] = raw_to_iso(s, partial=f.type == "partial date")
        else:
            out[f.name] = s.astype("string").where(s.str.strip() != "", pd.NA)
    out[LINE] = lines.to_numpy()
    return out
