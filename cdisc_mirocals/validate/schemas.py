"""pandera schemas generated from the dataset specifications (SDTM or ADaM).

The checks: required (Mandatory) variables are never null; values belong to their codelists (for
the codelist's own variable, and per where-clause for value-level metadata); character values fit
the spec Length, and the value-level Length where one is given, in UTF-8 bytes (never over 200);
--DTC values are ISO 8601; the key variables identify each record.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from cdisc_mirocals.dates import is_iso8601
from cdisc_mirocals.spec import Dataset, Standard, ValueLevel

MAX_BYTES = 200
ISO_TYPES = {"date", "datetime", "partialDate", "partialDatetime", "incompleteDatetime"}


def _present(s: pd.Series) -> pd.Series:
    return s.notna() & (s.astype("string").str.strip() != "")


def _where(frame: pd.DataFrame, vlm: ValueLevel) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for cond in vlm.where:
        col = frame[cond.variable].astype("string") if cond.variable in frame else pd.Series("", index=frame.index)
        hit = col.isin(cond.values)
        mask &= hit if cond.comparator in ("EQ", "IN") else ~hit
    return mask


def _bytes(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").str.encode("utf-8").str.len()


def _on(df: pd.DataFrame, variable: str, ok: pd.Series) -> pd.DataFrame:
    """A record-wise result that blames the variable only, so each failure is reported once."""
    return pd.DataFrame(True, index=df.index, columns=df.columns).assign(**{variable: ok})


def _codelist_check(values: tuple[str, ...], codelist: str, numeric: bool) -> pa.Check:
    allowed = set(values) | ({float(v) for v in values} if numeric else set())
    return pa.Check(lambda s: ~_present(s) | s.isin(allowed), name=f"codelist {codelist}",
                    error=f"a term of codelist {codelist}: {' | '.join(values[:12])}{' ...' if len(values) > 12 else ''}")


def dataset_schema(dataset: Dataset, standard: Standard) -> pa.DataFrameSchema:
    columns = {}
    for var in dataset.variables:
        checks = []
        if var.mandatory:
            checks.append(pa.Check(_present, name="required", error="a value (the variable is Mandatory)"))
        cl = standard.codelists.get(var.codelist)
        if cl is not None and cl.terms:
            checks.append(_codelist_check(cl.values, cl.id, var.is_numeric))
        if not var.is_numeric:
            limit = min(var.length or MAX_BYTES, MAX_BYTES)
            checks.append(pa.Check(lambda s, n=limit: _bytes(s) <= n, name="length", error=f"at most {limit} bytes"))
        if var.data_type in ISO_TYPES or var.name.endswith("DTC"):
            checks.append(pa.Check(is_iso8601, name="ISO 8601", error="an ISO 8601 date or datetime"))
        columns[var.name] = pa.Column(float if var.is_numeric else object, checks=checks, nullable=True,
                                      required=var.core in ("Req", "Exp", "Cond") or var.mandatory)
    checks = []
    for vlm in (v for v in standard.valuelevel if v.dataset == dataset.name and v.variable in dataset.names):
        where_text = " AND ".join(f"{c.variable} {c.comparator} {'|'.join(c.values)}" for c in vlm.where)
        if vlm.length and not dataset.variable(vlm.variable).is_numeric:
            checks.append(pa.Check(
                lambda df, v=vlm: _on(df, v.variable, ~(_where(df, v) & (_bytes(df[v.variable]) > v.length))),
                name=f"{vlm.variable} length where {where_text}",
                error=f"{vlm.variable} at most {vlm.length} bytes where {where_text}"))
        cl = standard.codelists.get(vlm.codelist)
        if cl is not None and cl.terms:
            allowed = set(cl.values)
            checks.append(pa.Check(
                lambda df, v=vlm, a=allowed: _on(df, v.variable,
                                                 ~(_where(df, v) & _present(df[v.variable]) & ~df[v.variable].isin(a))),
                name=f"{vlm.variable} codelist {cl.id} where {where_text}",
                error=f"{vlm.variable} a term of codelist {cl.id} where {where_text}"))
    return pa.DataFrameSchema(columns, checks=checks, strict=True, ordered=True, name=dataset.name,
                              unique=list(dataset.keys) or None, report_duplicates="exclude_first")
