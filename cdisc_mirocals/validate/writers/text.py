"""The console summary: the run's context, then one line per rule and dataset, worst first."""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import SEVERITIES, Report


def render(report: Report, limit: int | None = None) -> str:
    lines = [f"{k}: {v}" for k, v in report.header().items()]
    lines += [f"note: {n}" for n in report.notes]
    issues = report.issue_summary()
    if len(issues):
        shown = issues if limit is None else issues.head(limit)
        cols = ["severity", "rule", "dataset", "found", "records", "message"]
        widths = {c: max(len(c), *(len(str(v)) for v in shown[c])) for c in cols[:-1]}
        lines.append("")
        lines.append("  ".join(c.capitalize().ljust(widths[c]) for c in cols[:-1]) + "  Message")
        for row in shown[[*cols, "fda", "cdisc"]].itertuples(index=False):
            cells = [str(getattr(row, c)).rjust(widths[c]) if c in ("found", "records") else str(getattr(row, c)).ljust(widths[c])
                     for c in cols[:-1]]
            lines.append("  ".join(cells) + "  " + row.message + _ids(row))
        if limit is not None and len(issues) > limit:
            lines.append(f"... {len(issues) - limit} more rule/dataset lines in the full report")
    records = int(report.datasets["records"].sum()) if len(report.datasets) else 0
    counts = ", ".join(f"{report.count(s):,} {s}" for s in SEVERITIES)
    lines.append("")
    lines.append(f"{len(report.datasets)} datasets, {records:,} records, {len(report.rules)} rules: {counts}")
    return "\n".join(lines) + "\n"


def _ids(row) -> str:
    """The FDA's and CDISC's IDs of the line's rule, after its message."""
    ids = [f"{who} {ids}" for who, ids in (("FDA", row.fda), ("CDISC", row.cdisc)) if ids]
    return f" [{'; '.join(ids)}]" if ids else ""


def write(report: Report, path: Path) -> None:
    with atomic_write(path, "w") as fh:
        fh.write(render(report))
