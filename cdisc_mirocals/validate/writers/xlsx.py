"""The report as an XLSX workbook laid out like Pinnacle 21's: Dataset Summary, Issue Summary,
Details and Rules. Every text cell is neutralised against formula injection, and the file is
byte-identical for the same report (fixed document dates and zip entry times)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import SEVERITIES, Report
from cdisc_mirocals.textsafe import csv_cell
from cdisc_mirocals.xlsxstable import FIXED, stable_zip
from cdisc_mirocals.validate.writers.rows import DETAIL_HEADERS, plain, plain_column

DETAIL_WIDTHS = [12, 8, 7, 18, 6, 24, 30, 10, 10, 20, 24, 50, 40, 16, 10]
SHEET_ROWS = 1_048_576  # Excel opens no sheet with more rows (header included); a large study has millions of findings


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
    shown = min(len(report.findings), SHEET_ROWS - 1)
    notes = list(report.notes)
    if shown < len(report.findings):
        notes.append(f"the Details sheet holds the first {shown:,} of {len(report.findings):,} findings, as many "
                     f"rows as Excel opens; the JSON, CSV and HTML reports hold every finding, and the other "
                     f"sheets count them all")
    context = [[k, v] for k, v in report.header().items()] + [["note", n] for n in notes]
    rows = [[plain(r.dataset), r.label, r["class"], plain(r.records), *(plain(r[s]) for s in SEVERITIES)]
            for _, r in summary.iterrows()]
    _sheet(wb, "Dataset Summary", ["Dataset", "Label", "Class", "Records", *SEVERITIES],
           rows + [[]] + context, [14, 40, 30, 10, 9, 9, 9, 9])
    issues = report.issue_summary()
    _sheet(wb, "Issue Summary", ["Dataset", "Rule ID", "P21 ID", "FDA ID", "CDISC ID", "Message", "Severity", "Found",
                                 "Records"],
           ([r.dataset, r.rule, r.p21, r.fda, r.cdisc, r.message, r.severity, plain(r.found), plain(r.records)]
            for r in issues.itertuples()), [14, 10, 10, 20, 24, 70, 10, 8, 8])
    # the findings go into the sheet's XML after openpyxl has written its header (_detail_rows)
    details = f"xl/worksheets/sheet{len(wb.worksheets) + 1}.xml"
    _sheet(wb, "Details", list(DETAIL_HEADERS.values()), [], DETAIL_WIDTHS)
    _sheet(wb, "Rules", ["Rule ID", "Mirrors P21", "FDA ID", "CDISC ID", "Severity", "Family", "Category",
                         "Message", "Description"],
           ([r.rule, r.p21, r.fda, r.cdisc, r.severity, r.family, r.category, r.message, r.description]
            for r in report.rules.itertuples()), [14, 8, 20, 24, 10, 14, 16, 60, 90])
    raw = io.BytesIO()
    wb.save(raw)
    return stable_zip(raw.getvalue(), {details: _detail_rows(report, shown)})


def _detail_rows(report: Report, shown: int, block: int = 20000):
    """The Details rows as openpyxl's write-only sheet writes them (inline strings, numbers as %.16g, no
    cell for None), each distinct value of a column turned into its cell once: a report can hold millions
    of findings, and openpyxl takes some microseconds a cell. Yielded a block of rows at a time."""
    from openpyxl.utils import get_column_letter

    columns = [_cells(plain_column(report.findings[c].iloc[:shown])) for c in DETAIL_HEADERS]
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    for start in range(0, shown, block):
        part = zip(*(c[start:start + block] for c in columns))
        yield "".join(f'<row r="{n}">' + "".join(f'<c r="{letter}{n}"{cell}' for letter, cell in zip(letters, cells)
                                                 if cell is not None) + "</row>"
                      for n, cells in enumerate(part, start=start + 2)).encode("utf-8")


def _cells(values: list) -> list:
    codes, uniques = pd.factorize(np.array(values + [None], dtype=object)[:-1])
    return np.array([_cell(u) for u in uniques] + [None], dtype=object)[codes].tolist()


CELL_LIMIT = 32_767  # characters Excel holds in a cell


def _cell(value) -> str:
    """A cell's XML after its r attribute. A longer text (a cause's list of records) is cut, saying so."""
    value = csv_cell(value)
    if isinstance(value, str) and len(value) > CELL_LIMIT:
        value = value[:CELL_LIMIT - 80] + " ... (cut to what a cell holds: the JSON and CSV reports hold it whole)"
    if isinstance(value, str):
        if not value:
            return ' t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")  # as lxml writes it
        return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    return f' t="n"><v>{"%.16g" % value}</v></c>'


def write(report: Report, path: Path) -> None:
    data = workbook_bytes(report)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
