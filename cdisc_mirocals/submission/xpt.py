"""SAS transport (XPT) version 5 files, written with pyreadstat, one per dataset.

Names, labels and formats come from the spec. The file is written atomically, and the header
timestamps are fixed so that the same data give byte-identical files.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc_mirocals.spec import Dataset
from cdisc_mirocals.submission.atomic import atomic_path

# ddMMMyy:hh:mm:ss, in the library and member header records
_STAMP = re.compile(rb"\d{2}[A-Z]{3}\d{2}:\d{2}:\d{2}:\d{2}")
HEADER_BYTES = 80 * 12


def header_timestamp() -> bytes:
    """SOURCE_DATE_EPOCH if set (reproducible builds), else a fixed date."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    stamp = datetime.fromtimestamp(epoch, tz=timezone.utc) if epoch else datetime(2000, 1, 1, tzinfo=timezone.utc)
    return stamp.strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")


def write_xpt(frame: pd.DataFrame, path: str | Path, dataset: Dataset) -> Path:
    path = Path(path)
    labels = [dataset.variable(c).label for c in frame.columns]
    formats = {v.name: v.format for v in dataset.variables if v.format and v.name in frame.columns}
    with atomic_path(path) as tmp:
        pyreadstat.write_xport(frame, str(tmp), file_label=dataset.description[:40], column_labels=labels,
                               table_name=dataset.name, file_format_version=5, variable_format=formats or None)
        data = tmp.read_bytes()
        head = _STAMP.sub(header_timestamp(), data[:HEADER_BYTES])
        tmp.write_bytes(head + data[HEADER_BYTES:])
    return path


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, "pyreadstat.metadata_container"]:
    return pyreadstat.read_xport(str(path))
