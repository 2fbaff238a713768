"""The report's tables as plain rows, shared by the JSON, CSV and spreadsheet writers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cdisc_mirocals.validate.report import FINDING_COLUMNS, Report

DETAIL_HEADERS = {"dataset": "Dataset", "record": "Record", "count": "Count", "usubjid": "USUBJID", "seq": "Seq",
                  "variables": "Variables", "values": "Values", "rule": "Rule ID", "p21": "P21 ID",
                  "fda": "FDA ID", "cdisc": "CDISC ID",
                  "message": "Message", "detail": "Detail", "category": "Category", "severity": "Severity"}


def plain(value):
    """A JSON/CSV-ready scalar: None for missing, int for whole numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain_column(values: pd.Series) -> list:
    """[plain(v) for v in values], a column at a time: text and whole numbers need no call per value."""
    kind = values.dtype.kind
    if kind in "iu" or isinstance(values.dtype, pd.core.arrays.integer.IntegerDtype):
        present = values.notna().to_numpy()
        out = np.full(len(values), None, dtype=object)
        out[present] = values[present].to_numpy(dtype=np.int64).tolist()
        return out.tolist()
    if kind == "f":
        x = values.to_numpy(dtype=float)
        whole = np.isfinite(x) & (np.floor(x) == x)
        small = whole & (np.abs(x) < 2.0 ** 62)
        out = np.array(x.tolist(), dtype=object)
        out[small] = x[small].astype(np.int64).tolist()
        out[whole & ~small] = [int(v) for v in x[whole & ~small]]
        out[np.isnan(x)] = None
        return out.tolist()
    if kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype(object).where(values.notna(), None).tolist()
    return [plain(v) for v in values]


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    columns = columns or list(frame.columns)
    if not columns:
        return [{} for _ in range(len(frame))]
    return [dict(zip(columns, row)) for row in zip(*(plain_column(frame[c]) for c in columns))]


def finding_rows(report: Report) -> list[list]:
    cols = list(DETAIL_HEADERS)
    return [list(row) for row in zip(*(plain_column(report.findings[c]) for c in cols))]


__all__ = ["FINDING_COLUMNS", "DETAIL_HEADERS", "plain", "records", "finding_rows"]
