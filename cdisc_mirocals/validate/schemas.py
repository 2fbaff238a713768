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
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.sdtm.common import is_iso8601  # the one import of it in the validator
from cdisc_mirocals.spec import Dataset, Standard, ValueLevel
from cdisc_mirocals.validate.model import DomainModel, StandardModel

MAX_BYTES = 200
ISO_TYPES = {"date", "datetime", "partialDate", "partialDatetime", "incompleteDatetime"}
# PnYnMnDTnHnMnS or PnW, an interval start/end, or a repeating interval
_DURATION = r"(P(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?D)?(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?|P\d+W)"
DURATION = rf"-?{_DURATION}"


def present(s: pd.Series) -> pd.Series:
    return s.notna() & (s.astype("string").str.strip() != "")


def is_duration(values: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("")
    return (text == "") | (text.str.fullmatch(DURATION).fillna(False) & (text.str.len() > 1) & ~text.str.endswith("T"))


def _where(frame: pd.DataFrame, vlm: ValueLevel) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for cond in vlm.where:
        col = frame[cond.variable].astype("string") if cond.variable in frame else pd.Series("", index=frame.index)
        hit = col.isin(cond.values)
        mask &= hit if cond.comparator in ("EQ", "IN") else ~hit
    return mask


def where_text(vlm: ValueLevel) -> str:
    return " AND ".join(f"{c.variable} {c.comparator} {'|'.join(c.values)}" for c in vlm.where)


def _bytes(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").str.encode("utf-8").str.len()


def _on(df: pd.DataFrame, variable: str, ok: pd.Series) -> pd.DataFrame:
    """A record-wise result that blames the variable only, so each failure is reported once."""
    return pd.DataFrame(True, index=df.index, columns=df.columns).assign(**{variable: ok})


class _Checks:
    """Collects the checks of one schema with their rule, variable and expectation."""

    def __init__(self):
        self.meta: dict[str, tuple[str, str, str]] = {}

    def make(self, rule: str, variable: str, fn, error: str, **kw) -> pa.Check:
        name = f"{rule}#{len(self.meta)}"
        self.meta[name] = (rule, variable, error)
        return pa.Check(fn, name=name, error=error, **kw)


def _codelist_check(checks: _Checks, rule: str, variable: str, values, codelist: str, numeric: bool) -> pa.Check:
    values = tuple(values)
    allowed = set(values) | ({float(v) for v in values if _is_number(v)} if numeric else set())
    shown = " | ".join(sorted(values)[:12]) + (" ..." if len(values) > 12 else "")
    return checks.make(rule, variable, lambda s: ~present(s) | s.isin(allowed),
                       f"a term of codelist {codelist}: {shown}")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def dataset_schema(dataset: Dataset, standard: Standard, structure: bool = True, iso: bool = True,
                   value_mandatory: bool = False) -> pa.DataFrameSchema:
    """The schema of a dataset's study metadata. structure=True also requires exactly the defined
    variables in the defined order (what convert's own check wants; the validator's rules report those).
    value_mandatory adds the value-level Mandatory check (SD1229), which only the validator runs so far."""
    checks = _Checks()
    columns = {}
    for var in dataset.variables:
        col_checks = []
        if var.mandatory:
            col_checks.append(checks.make("MC0301", var.name, present, "a value (the variable is Mandatory)"))
        cl = standard.codelists.get(var.codelist)
        if cl is not None and cl.terms:
            col_checks.append(_codelist_check(checks, "SD0037", var.name, cl.values, cl.id, var.is_numeric))
        if not var.is_numeric:
            limit = min(var.length or MAX_BYTES, MAX_BYTES)
            col_checks.append(checks.make("MC0302", var.name, lambda s, n=limit: _bytes(s) <= n, f"at most {limit} bytes"))
        if iso and (var.data_type in ISO_TYPES or var.name.endswith("DTC")):
            col_checks.append(checks.make("SD0003", var.name, is_iso8601, "an ISO 8601 date or datetime"))
        columns[var.name] = pa.Column(float if var.is_numeric else object, checks=col_checks, nullable=True,
                                      required=structure and (var.core in ("Req", "Exp", "Cond") or var.mandatory))
    frame_checks = []
    names = {v.name for v in dataset.variables}
    for vlm in (v for v in standard.valuelevel if v.dataset == dataset.name and v.variable in names):
        wt = where_text(vlm)
        variable = dataset.variable(vlm.variable)
        if vlm.length and not variable.is_numeric:
            frame_checks.append(checks.make(
                "SD1231", vlm.variable,
                lambda df, v=vlm: _on(df, v.variable, ~(_where(df, v) & (_bytes(df[v.variable]) > v.length))),
                f"{vlm.variable} at most {vlm.length} bytes where {wt}"))
        cl = standard.codelists.get(vlm.codelist)
        if cl is not None and cl.terms:
            allowed = set(cl.values)
            frame_checks.append(checks.make(
                "SD1228", vlm.variable,
                lambda df, v=vlm, a=allowed: _on(df, v.variable, ~(_where(df, v) & present(df[v.variable])
                                                                  & ~df[v.variable].isin(a))),
                f"{vlm.variable} a term of codelist {cl.id} where {wt}"))
        if value_mandatory and vlm.mandatory:
            frame_checks.append(checks.make(
                "SD1229", vlm.variable, lambda df, v=vlm: _on(df, v.variable, ~(_where(df, v) & ~present(df[v.variable]))),
                f"{vlm.variable} a value where {wt} (Mandatory)"))
    keys = list(dataset.keys)
    checks.meta["multiple_fields_uniqueness"] = ("SD1152", ", ".join(keys), f"a unique key ({', '.join(keys)})")
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=structure, ordered=structure, name=dataset.name,
                              unique=keys or None, report_duplicates="exclude_first", metadata=checks.meta)


def model_schema(domain: DomainModel, model: StandardModel, columns: list[str]) -> pa.DataFrameSchema:
    """The generic model's checks on the variables a dataset has; others are the presence rules' business."""
    checks = _Checks()
    required_rule = "SD0002" if model.family == "SDTM" else "AD0196"
    out = {}
    for name in columns:
        var = domain.find(name)
        if var is None:
            continue
        col_checks = []
        if var.core == "Req":
            col_checks.append(checks.make(required_rule, name, present, "a value (the variable is Required)"))
        cl = model.codelist(var.codelists)
        if cl is not None and cl.terms and var.type == "Char":
            col_checks.append(_codelist_check(checks, "CT2002" if cl.extensible else "CT2001", name, cl.values,
                                              cl.submission, False))
        if var.value_domain.startswith("ISO 8601 datetime"):
            col_checks.append(checks.make("SD0003", name, is_iso8601, "an ISO 8601 date or datetime"))
        elif var.value_domain.startswith("ISO 8601 duration"):
            col_checks.append(checks.make("SD1011", name, is_duration, "an ISO 8601 duration such as P2D or PT1H30M"))
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
        if cases is None or not isinstance(cases, pd.DataFrame) or "index" not in cases:
            value = None if cases is None else str(cases.iloc[0, 0] if isinstance(cases, pd.DataFrame) else cases)
            parts.append(pd.DataFrame({"rule": [rule], "variable": [variable], "row": [None], "value": [value],
                                       "expected": [expected], "check": [name]}))
            continue
        index = cases["index"]
        row = pd.Series(frame.index.get_indexer(index), index=cases.index).where(index.notna())
        value = cases["failure_case"].astype(object)
        if variable and variable in frame and rule in ("SD1228", "SD1231", "SD1229"):
            value = pd.Series(frame[variable].to_numpy()[row.fillna(0).astype(int).to_numpy()], index=cases.index)
        parts.append(pd.DataFrame({"rule": rule, "variable": variable, "row": row, "value": value,
                                   "expected": expected, "check": name}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
