"""SAS transport (XPT) version 5 files, one per dataset, from a `Shaped` dataset.

Names, labels, lengths and formats are the shaped columns'. The header timestamps are the
build time (`clock.py`) so that the same data give byte-identical files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc_mirocals.metadata import Shaped
from cdisc_mirocals.submission.atomic import atomic_path
from cdisc_mirocals.submission.clock import build_time

# ddMMMyy:hh:mm:ss, in the library and member header records
_STAMP = re.compile(rb"\d{2}[A-Z]{3}\d{2}:\d{2}:\d{2}:\d{2}")
HEADER_BYTES = 80 * 12


def header_timestamp() -> bytes:
    return build_time().strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")


def write_xpt(shaped: Shaped, path: str | Path) -> Path:
    path = Path(path)
    frame = shaped.frame
    labels = [c.label for c in shaped.columns]
    formats = {c.name: c.format for c in shaped.columns if c.format}
    with atomic_path(path) as tmp:
        pyreadstat.write_xport(frame, str(tmp), file_label=shaped.label, column_labels=labels,
                               table_name=shaped.name, file_format_version=5, variable_format=formats or None)
        data = tmp.read_bytes()
        head = _STAMP.sub(header_timestamp(), data[:HEADER_BYTES])
        tmp.write_bytes(head + data[HEADER_BYTES:])
    return path


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, "pyreadstat.metadata_container"]:
    return pyreadstat.read_xport(str(path))
