"""The report for machines: one JSON document, keys sorted, no timestamps (same data, same bytes)."""

from __future__ import annotations

import json
from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import Report
from cdisc_mirocals.validate.writers.rows import records


def document(report: Report) -> dict:
    return {
        "header": report.header(), "notes": report.notes, "counts": report.counts,
        "datasets": records(report.dataset_summary()), "rules": records(report.rules),
        "issues": records(report.issue_summary()), "findings": records(report.findings),
    }


def write(report: Report, path: Path) -> None:
    with atomic_write(path, "w") as fh:
        json.dump(document(report), fh, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
