"""One small writer per format, all rendering the one Report model (validate/report.py)."""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.validate.report import Report

FORMATS = ("text", "json", "html", "xlsx", "csv")
SUFFIX = {"text": ".txt", "json": ".json", "html": ".html", "xlsx": ".xlsx", "csv": ".csv"}


def write_report(report: Report, path: str | Path, fmt: str) -> Path:
    """Write the report to `path` in one format (text, json, html, xlsx, csv), atomically."""
    from cdisc_mirocals.validate.writers import csv_, html_, json_, text, xlsx

    writers = {"text": text.write, "json": json_.write, "html": html_.write, "xlsx": xlsx.write, "csv": csv_.write}
    if fmt not in writers:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    writers[fmt](report, path)
    return path


def write_reports(report: Report, folder: str | Path, formats=("html", "json", "xlsx"),
                  stem: str = "validation") -> list[Path]:
    """Write the report in each format to folder/stem.<suffix>; returns the paths written."""
    folder = Path(folder)
    return [write_report(report, folder / f"{stem}{SUFFIX[fmt]}", fmt) for fmt in formats]
