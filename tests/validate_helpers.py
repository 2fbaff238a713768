"""Helpers for the validator's tests: datasets from columns, and the findings one rule makes of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cdisc_mirocals.validate.engine import validate_files
from cdisc_mirocals.validate.readers import Column, DatasetFile

TODAY = dt.date(2024, 6, 1)


def ds(name: str, label: str = "", labels: dict | None = None, lengths: dict | None = None, file: str | None = None,
       fmt: str = "XPT", size: int = 1000, **columns) -> DatasetFile:
    """A dataset named `name` from lists of values: numbers make a Num variable, text a Char one.
    Lengths default to the longest value, as a well-made XPT has them."""
    n = max((len(v) for v in columns.values() if isinstance(v, list)), default=1)
    frame = pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in columns.items()})
    cols = {}
    for k in frame.columns:
        numeric = frame[k].dtype.kind in "fiu" or (frame[k].dtype == object and frame[k].map(
            lambda v: v is None or isinstance(v, (int, float))).all() and frame[k].notna().any())
        if numeric:
            frame[k] = pd.to_numeric(frame[k]).astype(float)
        else:
            frame[k] = frame[k].fillna("").astype(str).astype(object)
        length = (lengths or {}).get(k, 8 if numeric else max(1, int(frame[k].str.encode("utf-8").str.len().max() or 1)))
        cols[k] = Column(k, (labels or {}).get(k, k.title()), "Num" if numeric else "Char", length)
    return DatasetFile(name, label, Path(file or f"{name.lower()}.xpt"), fmt, size, cols, frame)


def sdtm(name: str, domain: str | None = None, **columns) -> DatasetFile:
    """An SDTM dataset with STUDYID and DOMAIN first."""
    domain = domain or name[:2]
    n = max((len(v) for v in columns.values() if isinstance(v, list)), default=1)
    return ds(name, **{"STUDYID": ["T1"] * n, "DOMAIN": [domain] * n, **columns})


def findings(rule: str, *datasets: DatasetFile, standard: str = "sdtmig-3.4", **kw) -> pd.DataFrame:
    report = validate_files({d.name: d for d in datasets}, standard, rule_ids={rule}, today=TODAY, **kw)
    assert not [n for n in report.notes if "could not run" in n], report.notes
    return report.findings[report.findings["rule"] == rule]


def fired(rule: str, *datasets: DatasetFile, **kw) -> list[tuple]:
    """(dataset, record) of every finding of `rule`: record None for a dataset-level finding."""
    f = findings(rule, *datasets, **kw)
    return sorted((r.dataset, None if pd.isna(r.record) else int(r.record)) for r in f.itertuples())
