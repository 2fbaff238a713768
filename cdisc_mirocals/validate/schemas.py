"""pandera schemas: from study metadata (specs/ or define.xml), and from the generic standard model.

Schema definitions live here; the engine and `run.validate_datasets` run them lazily and turn every
failure into a finding or a Problem. Each check is named after the rule it implements, and the
schema's metadata maps that name to (rule, variable, expectation).

Study metadata checks: Mandatory variables are never null; values belong to their codelist (for the
variable, and per where-clause for value-level metadata); character values fit the Length, and the
value-level Length, in UTF-8 bytes (never over 200); --DTC values are ISO 8601; the key variables
identify each record. Generic model checks: Required variables are never null; values of a
CDISC codelist are terms of it (non-extensible: CT2001, extensible: CT2002); ISO 8601 dates and
durations.

Given the frame they will validate, schemas test each distinct value once (validate/distinct.py) and
evaluate value-level where-clauses up front, which keeps a 100,000-record folder to seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.dates import is_iso8601
from cdisc_mirocals.metadata.where import where_mask
from cdisc_mirocals.spec import Dataset, Standard, ValueLevel
from cdisc_mirocals.validate.distinct import Distinct, at_precision, byte_lengths, per_value
from cdisc_mirocals.validate.model import DomainModel, StandardModel

MAX_BYTES = 200
ISO_TYPES = {"date", "datetime", "partialDate", "partialDatetime", "incompleteDatetime"}
# PnYnMnDTnHnMnS or PnW
_DURATION = r"(P(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?D)?(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?|P\d+W)"
DURATION = rf"-?{_DURATION}"
# results may be numbers or terms: a codelist of a result variable applies to its text values only
RESULT_SUFFIXES = ("ORRES", "STRESC")


def _present_values(u: pd.Series) -> pd.Series:
    text = u.where(u.notna(), "").astype(str)
    return text.ne("") & text.str.strip().ne("")


def present(s: pd.Series, distinct: Distinct | None = None) -> pd.Series:
    if s.dtype.kind == "f":
        return s.notna()
    return per_value(s, _present_values, distinct)


def _duration_values(u: pd.Series) -> pd.Series:
    text = u.astype("string").fillna("")
    return (text == "") | (text.str.fullmatch(DURATION).fillna(False) & (text.str.len() > 1) & ~text.str.endswith("T"))


def is_duration(values: pd.Series, distinct: Distinct | None = None) -> pd.Series:
    return per_value(values, _duration_values, distinct)


def iso8601(values: pd.Series, distinct: Distinct | None = None) -> pd.Series:
    return per_value(values, is_iso8601, distinct)


def _is_number(u: pd.Series) -> pd.Series:
    return pd.to_numeric(u.astype(str), errors="coerce").notna()


def selected(frame: pd.DataFrame, vlm: ValueLevel) -> pd.Series:
    """The records a value-level where-clause selects, by the one evaluator define.xml is written with
    (metadata.where_mask: numeric variables compared as numbers). A clause that names a variable the
    dataset lacks, or compares a numeric variable with text, selects nothing; MC0308 reports it."""
    try:
        return where_mask(frame, vlm.where)
    except (KeyError, ValueError):
        return pd.Series(False, index=frame.index)


def where_text(vlm: ValueLevel) -> str:
    return " AND ".join(f"{c.variable} {c.comparator} {'|'.join(c.values)}" for c in vlm.where)


def _on(df: pd.DataFrame, variable: str, ok: pd.Series) -> pd.DataFrame:
    """A record-wise result that blames the variable only, so each failure is reported once."""
    return pd.DataFrame(True, index=df.index, columns=df.columns).assign(**{variable: ok})


class _Checks:
    """Collects the checks of one schema with their rule, variable and expectation."""

    def __init__(self):
        self.meta: dict[str, tuple[str, str, str]] = {}

    def make(self, rule: str, variable: str, fn, error: str) -> pa.Check:
        name = f"{rule}#{len(self.meta)}"
        self.meta[name] = (rule, variable, error)
        # ignore_na=False: every check handles missing values itself, and sees the whole column
        return pa.Check(fn, name=name, error=error, ignore_na=False)


NUMERIC_TYPES = ("integer", "float")
NUMBERS_ON_TEXT = "(define.xml types this value-level item "


def _codelist_test(values, numeric: bool, text_only: bool = False):
    allowed = frozenset(values) | (frozenset(at_precision(pd.Series([float(v) for v in values if _is_number(
        pd.Series([v])).all()], dtype=float))) if numeric else frozenset())

    def test(u: pd.Series) -> pd.Series:
        ok = ~_present_values(u) if u.dtype.kind != "f" else u.isna()
        ok |= u.isin(allowed) if u.dtype.kind != "f" else at_precision(u).isin(allowed)
        return ok | _is_number(u) if text_only else ok
    return test


def _shown(values) -> str:
    values = sorted(values)
    return " | ".join(values[:12]) + (" ..." if len(values) > 12 else "")


def dataset_schema(dataset: Dataset, standard: Standard, structure: bool = True, iso: bool = True,
                   value_mandatory: bool = False, frame: pd.DataFrame | None = None,
                   distinct: Distinct | None = None, widths: dict[str, int] | None = None,
                   note_types: bool = False) -> pa.DataFrameSchema:
    """The schema of a dataset's study metadata. structure=True also requires exactly the defined
    variables in the defined order (what convert's own check wants; the validator's rules report those).
    value_mandatory adds the value-level Mandatory check (SD1229), which only the validator runs so far.
    widths are the file's variable lengths: no value can be longer, so a length check within one is skipped.
    note_types says in a value-level expectation when define.xml types the item as a number on a text variable
    (the validator reports such a cause once: validate/causes.py).

    Value-level checks need the where-clause's variables: given the frame to validate, they become
    column checks on masks computed from it (fast); without it, frame-wide checks (slow on large data)."""
    checks = _Checks()
    d = distinct or (Distinct(frame) if frame is not None else None)
    col_checks: dict[str, list] = {v.name: [] for v in dataset.variables}
    for var in dataset.variables:
        add = col_checks[var.name].append
        if var.mandatory:
            add(checks.make("MC0301", var.name, lambda s: present(s, d), "a value (the variable is Mandatory)"))
        cl = standard.codelists.get(var.codelist)
        if cl is not None and cl.terms:
            test = _codelist_test(cl.values, var.is_numeric)
            add(checks.make("SD0037", var.name, lambda s, t=test: per_value(s, t, d),
                            f"a term of codelist {cl.id}: {_shown(cl.values)}"))
        limit = min(var.length or MAX_BYTES, MAX_BYTES)
        if not var.is_numeric and not (widths and widths.get(var.name, MAX_BYTES + 1) <= limit):
            add(checks.make("MC0302", var.name, lambda s, n=limit: byte_lengths(s, d) <= n, f"at most {limit} bytes"))
        if iso and (var.data_type in ISO_TYPES or var.name.endswith("DTC")):
            add(checks.make("SD0003", var.name, lambda s: iso8601(s, d), "an ISO 8601 date or datetime"))
    frame_checks = []
    for vlm in (v for v in standard.valuelevel if v.dataset == dataset.name and v.variable in col_checks):
        wt = where_text(vlm)
        if note_types and vlm.data_type in NUMERIC_TYPES and not dataset.variable(vlm.variable).is_numeric:
            wt += f" {NUMBERS_ON_TEXT}{vlm.data_type})"  # a define.xml cause: validate/causes.py reports it once
        tests = []
        if vlm.length and not dataset.variable(vlm.variable).is_numeric \
                and not (widths and widths.get(vlm.variable, MAX_BYTES + 1) <= vlm.length):
            tests.append(("SD1231", lambda s, n=vlm.length: byte_lengths(s, d) <= n,
                          f"{vlm.variable} at most {vlm.length} bytes where {wt}"))
        cl = standard.codelists.get(vlm.codelist)
        if cl is not None and cl.terms:
            test = _codelist_test(cl.values, dataset.variable(vlm.variable).is_numeric)
            tests.append(("SD1228", lambda s, t=test: per_value(s, t, d), f"{vlm.variable} a term of codelist {cl.id} where {wt}"))
        if value_mandatory and vlm.mandatory:
            tests.append(("SD1229", lambda s: present(s, d), f"{vlm.variable} a value where {wt} (Mandatory)"))
        for rule, test, error in tests:
            if frame is not None:
                mask = selected(frame, vlm).to_numpy()
                col_checks[vlm.variable].append(checks.make(rule, vlm.variable, lambda s, m=mask, t=test: ~m | t(s), error))
            else:
                frame_checks.append(checks.make(rule, vlm.variable, lambda df, v=vlm, t=test: _on(
                    df, v.variable, ~selected(df, v) | t(df[v.variable])), error))
    columns = {var.name: pa.Column(float if var.is_numeric else object, checks=col_checks[var.name], nullable=True,
                                   required=structure and (var.core in ("Req", "Exp", "Cond") or var.mandatory))
               for var in dataset.variables}
    keys = list(dataset.keys)
    if keys:  # one failure per record that repeats an earlier key (pandera's unique= reshapes every column's cases)
        frame_checks.append(checks.make("SD1152", ", ".join(keys), lambda df, k=keys: _on(
            df, k[0], ~df.duplicated(k, keep="first") if set(k) <= set(df.columns) else pd.Series(True, index=df.index)),
            f"a unique key ({', '.join(keys)})"))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=structure, ordered=structure, name=dataset.name,
                              metadata=checks.meta)


def model_schema(domain: DomainModel, model: StandardModel, frame: pd.DataFrame,
                 distinct: Distinct | None = None) -> pa.DataFrameSchema:
    """The generic model's checks on the variables a dataset has; others are the presence rules' business."""
    checks = _Checks()
    d = distinct or Distinct(frame)
    required_rule = "SD0002" if model.family == "SDTM" else "AD0196"
    out = {}
    for name in frame.columns:
        var = domain.find(name)
        if var is None:
            continue
        col_checks = []
        if var.core == "Req":
            col_checks.append(checks.make(required_rule, name, lambda s: present(s, d), "a value (the variable is Required)"))
        cl = model.codelist(var.codelists)
        if cl is not None and cl.terms and var.type == "Char" and frame[name].dtype == object:
            test = _codelist_test(cl.values, False, text_only=name.endswith(RESULT_SUFFIXES))
            col_checks.append(checks.make("CT2002" if cl.extensible else "CT2001", name,
                                          lambda s, t=test: per_value(s, t, d),
                                          f"a term of codelist {cl.submission} ({cl.code})"))
        if var.value_domain.startswith("ISO 8601 datetime"):
            col_checks.append(checks.make("SD0003", name, lambda s: iso8601(s, d), "an ISO 8601 date or datetime"))
        elif var.value_domain.startswith("ISO 8601 duration"):
            col_checks.append(checks.make("SD1011", name, lambda s: is_duration(s, d),
                                          "an ISO 8601 duration such as P2D or PT1H30M"))
        if col_checks:
            out[name] = pa.Column(checks=col_checks, nullable=True, required=False)
    return pa.DataFrameSchema(out, name=domain.name, metadata=checks.meta)


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Every failure of a lazy validation: rule, variable, row (positional), value, expectation, check."""
    cols = ["rule", "variable", "row", "value", "expected", "check"]
    try:
        schema.validate(frame, lazy=True)
        return pd.DataFrame(columns=cols)
    except pa.errors.SchemaErrors as exc:
        errors = exc.schema_errors
    parts = []
    for err in errors:
        check = err.check
        name = getattr(check, "name", None) or str(check)
        rule, variable, expected = schema.metadata.get(name, (name, getattr(err.schema, "name", None), str(check)))
        cases = err.failure_cases
        if not isinstance(cases, pd.DataFrame) or "index" not in cases:
            value = None if cases is None else str(cases.iloc[0, 0] if isinstance(cases, pd.DataFrame) else cases)
            parts.append(pd.DataFrame({"rule": [rule], "variable": [variable], "row": [np.nan], "value": [value],
                                       "expected": [expected], "check": [name]}))
            continue
        index = cases["index"]
        row = pd.Series(frame.index.get_indexer(index), index=cases.index).where(index.notna())
        parts.append(pd.DataFrame({"rule": rule, "variable": variable, "row": row,
                                   "value": cases["failure_case"].astype(object), "expected": expected, "check": name}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
