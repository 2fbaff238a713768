"""pandera schemas for the raw forms, generated from specs/raw.

Raw values are validated as text, the way the export wrote them; conversion to types happens only
once a form is known to be clean. Each check's `error` is the expectation a user reads.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.metadata.steps import byte_lengths
from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.spec import RawField, RawForm

DATE_FORMAT = "a date as DD-MON-YYYY, e.g. 05-MAR-2018"
PARTIAL_FORMAT = DATE_FORMAT + ", with UN for an unknown day and UNK for an unknown month (UN-MAR-2018, UN-UNK-2018)"


def _blank(s: pd.Series) -> pd.Series:
    return s.str.strip() == ""


def _number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.strip(), errors="coerce")


def normalise(s: pd.Series) -> pd.Series:
    """The comparison form of a coded value: exports carry stray spaces and mixed case."""
    return s.str.strip().str.casefold()


def field_checks(field: RawField) -> list[pa.Check]:
    checks = []
    if field.required:
        checks.append(pa.Check(lambda s: ~_blank(s), error="a value is required", name="required"))
    if field.type == "integer":
        checks.append(pa.Check(lambda s: _blank(s) | s.str.strip().str.fullmatch(r"[+-]?\d+").fillna(False),
                               error="a whole number", name="integer"))
    elif field.type == "float":
        checks.append(pa.Check(lambda s: _blank(s) | _number(s).notna(), error="a number", name="number"))
    elif field.type in ("date", "partial date"):
        partial = field.type == "partial date"
        checks.append(pa.Check(lambda s, p=partial: _blank(s) | raw_to_iso(s, partial=p).notna(),
                               error=PARTIAL_FORMAT if partial else DATE_FORMAT, name=field.type))
    elif field.type == "time":
        checks.append(pa.Check(lambda s: _blank(s) | s.str.strip().str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d").fillna(False),
                               error="a time as HH:MM", name="time"))
    if field.length is not None:
        checks.append(pa.Check(lambda s, n=field.length: byte_lengths(s) <= n, name="length",
                               error=f"at most {field.length} bytes (the field's length in specs/raw)"))
    if field.min is not None:
        checks.append(pa.Check(lambda s, m=field.min: ~(_number(s) < m), error=f"a value of at least {field.min:g}",
                               name="min"))
    if field.max is not None:
        checks.append(pa.Check(lambda s, m=field.max: ~(_number(s) > m), error=f"a value of at most {field.max:g}",
                               name="max"))
    if field.allowed:
        allowed = {v.casefold() for v in field.allowed}
        checks.append(pa.Check(lambda s, a=allowed: _blank(s) | normalise(s).isin(a),
                               error="one of " + " | ".join(field.allowed), name="allowed"))
    return checks


def form_schema(form: RawForm, subjects: set[str] | None = None, parent_file: str = "") -> pa.DataFrameSchema:
    """The schema of one form; `subjects` are the enrolled subjects a child form may refer to."""
    columns = {}
    for field in form.fields:
        checks = field_checks(field)
        if field.name == "SUBJID" and subjects is not None:
            checks.append(pa.Check(lambda s, known=subjects: _blank(s) | s.str.strip().isin(known),
                                   error=f"a subject enrolled in {parent_file}", name="known subject"))
        columns[field.name] = pa.Column(str, checks=checks, nullable=False, coerce=False)
    return pa.DataFrameSchema(columns, strict=True, ordered=False,
                              unique=list(form.keys) or None, report_duplicates="exclude_first",
                              name=form.name)
