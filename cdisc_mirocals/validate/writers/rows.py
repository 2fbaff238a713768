"""The report's tables as plain rows, shared by the JSON, CSV and spreadsheet writers."""

from __future__ import annotations

import math

import pandas as pd

from cdisc_mirocals.validate.report import FINDING_COLUMNS, Report

DETAIL_HEADERS = {"dataset": "Dataset", "record": "Record", "usubjid": "USUBJID", "seq": "Seq",
                  "variables": "Variables", "values": "Values", "rule": "Rule ID", "publisher": "Publisher ID",
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


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    columns = columns or list(frame.columns)
    return [{c: plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False, name=None)]


def finding_rows(report: Report) -> list[list]:
    cols = list(DETAIL_HEADERS)
    return [[plain(v) for v in row] for row in report.findings[cols].itertuples(index=False, name=None)]


__all__ = ["FINDING_COLUMNS", "DETAIL_HEADERS", "plain", "records", "finding_rows"]
