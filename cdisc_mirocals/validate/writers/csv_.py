"""The findings as CSV (RFC 4180: CRLF line ends, so a value holding a CR or LF is quoted), one row per
finding, every cell neutralised against formula injection. A CSV file has no place for the run's context
but its rows, so each row ends with it (validator, severities, standard, CT, define.xml): one table, which
any reader takes, that still says what checked it."""

from __future__ import annotations

import csv
from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.validate.report import Report
from cdisc_mirocals.textsafe import csv_cell
from cdisc_mirocals.validate.writers.rows import DETAIL_HEADERS, finding_rows


def write(report: Report, path: Path) -> None:
    with atomic_write(path, "w") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        context = report.context()
        out.writerow([*DETAIL_HEADERS.values(), *(k[:1].upper() + k[1:] for k in context)])
        tail = [csv_cell(v) for v in context.values()]
        for row in finding_rows(report):
            out.writerow(["" if v is None else csv_cell(v) for v in row] + tail)
