"""The report for machines: one JSON document, keys sorted, no timestamps (same data, same bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import Report
from cdisc_mirocals.validate.writers.rows import plain_column, records

OPTIONS = dict(indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
_scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # a scalar: as with OPTIONS, in C
_SLOT = "\0findings\0"  # where the findings go: a text no report holds (NUL is written as \u0000)


def document(report: Report, findings: bool = True) -> dict:
    return {
        "header": report.header(), "notes": report.notes, "counts": report.counts,
        "datasets": records(report.dataset_summary()), "rules": records(report.rules),
        "issues": records(report.issue_summary()), "findings": records(report.findings) if findings else [],
    }


def text(report: Report) -> str:
    return "".join(chunks(report))


def chunks(report: Report):
    """json.dumps(document(report), **OPTIONS) in pieces, the findings (a report can hold millions) encoded
    a column at a time, each distinct value once, and written a block of records at a time."""
    doc = document(report, findings=False) | {"findings": _SLOT}
    head, tail = json.dumps(doc, **OPTIONS).split(json.dumps(_SLOT, **OPTIONS), 1)
    yield head
    yield from _table(report.findings)
    yield tail


def _table(frame: pd.DataFrame, block: int = 20000):
    """A list of records (one object per row, keys sorted) as json.dumps writes it one level down."""
    if frame.empty:
        yield "[]"
        return
    keys = sorted(frame.columns)
    columns = []
    for key in keys:
        codes, uniques = pd.factorize(np.array(plain_column(frame[key]) + [None], dtype=object)[:-1])
        encoded = np.array([_scalar(u) for u in uniques] + ["null"], dtype=object)
        columns.append(encoded[codes])
    fields = ",\n".join(f"   {json.dumps(key, **OPTIONS)}: {{}}" for key in keys)
    record = ("  {{\n" + fields + "\n  }}").format
    for start in range(0, len(frame), block):
        part = zip(*(c[start:start + block] for c in columns))
        yield ("[\n" if start == 0 else ",\n") + ",\n".join(record(*values) for values in part)
    yield "\n ]"


def write(report: Report, path: Path) -> None:
    with atomic_write(path, "w") as fh:
        for piece in chunks(report):
            fh.write(piece)
        fh.write("\n")
