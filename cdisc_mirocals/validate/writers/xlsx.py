"""The report as an XLSX workbook laid out like Pinnacle 21's: Dataset Summary, Issue Summary,
Details and Rules. Every text cell is neutralised against formula injection, and the file is
byte-identical for the same report (fixed document dates and zip entry times)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import SEVERITIES, Report
from cdisc_mirocals.textsafe import csv_cell
from cdisc_mirocals.validate.writers.rows import DETAIL_HEADERS, finding_rows, plain

FIXED = dt.datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _sheet(wb, title: str, header: list[str], rows, widths: list[int]):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    head = []
    for name in header:
        c = WriteOnlyCell(ws, value=name)
        c.font, c.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
        head.append(c)
    ws.append(head)
    for row in rows:
        ws.append([None if v is None else csv_cell(v) for v in row])
    return ws


def workbook_bytes(report: Report) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "cdisc-mirocals"
    summary = report.dataset_summary()
    context = [[k, v] for k, v in report.header().items()] + [["note", n] for n in report.notes]
    rows = [[plain(r.dataset), r.label, r["class"], plain(r.records), *(plain(r[s]) for s in SEVERITIES)]
            for _, r in summary.iterrows()]
    _sheet(wb, "Dataset Summary", ["Dataset", "Label", "Class", "Records", *SEVERITIES],
           rows + [[]] + context, [14, 40, 30, 10, 9, 9, 9, 9])
    issues = report.issue_summary()
    _sheet(wb, "Issue Summary", ["Dataset", "Rule ID", "Publisher ID", "Message", "Severity", "Found"],
           ([r.dataset, r.rule, r.publisher, r.message, r.severity, plain(r.found)] for r in issues.itertuples()),
           [14, 14, 24, 70, 10, 8])
    _sheet(wb, "Details", list(DETAIL_HEADERS.values()), finding_rows(report),
           [12, 8, 18, 6, 24, 30, 14, 18, 50, 40, 16, 10])
    _sheet(wb, "Rules", ["Rule ID", "Mirrors P21", "Publisher ID", "Severity", "Family", "Category",
                         "Message", "Description"],
           ([r.rule, r.p21, r.publisher, r.severity, r.family, r.category, r.message, r.description]
            for r in report.rules.itertuples()), [14, 8, 24, 10, 14, 16, 60, 90])
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_times(raw.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same zip with every entry dated ZIP_TIME, and core.xml's dates fixed (openpyxl stamps now)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fixed_core(content)
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()


def _fixed_core(xml: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2000-01-01T00:00:00Z\g<3>", xml)


def write(report: Report, path: Path) -> None:
    data = workbook_bytes(report)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
