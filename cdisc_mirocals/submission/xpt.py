"""SAS transport (XPT) version 5 files, one per dataset, from a `Shaped` dataset.

Names, labels, lengths and formats are the shaped columns'. The bytes are encoded by `xport.py`,
which checks every transport rule before writing; a violation is a located error and no file is
left. The header timestamp is the run's time (`timestamp.py`); with SOURCE_DATE_EPOCH set, the same
data give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc_mirocals.errors import Problem, ProblemsError
from cdisc_mirocals.metadata import Shaped
from cdisc_mirocals.submission.atomic import atomic_path
from cdisc_mirocals.submission.timestamp import build_time
from cdisc_mirocals.submission.xport import XptError, XptVariable, write_xpt_file


class TransportError(ProblemsError):
    kind = "transport error"


def header_timestamp() -> bytes:
    return build_time().strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")


def xpt_variables(shaped: Shaped) -> list[XptVariable]:
    return [XptVariable(c.name, c.label, "num" if c.numeric else "char", 8 if c.numeric else c.length, c.format)
            for c in shaped.columns]


def write_xpt(shaped: Shaped, path: str | Path) -> Path:
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            write_xpt_file(tmp, shaped.frame, dataset_name=shaped.name, dataset_label=shaped.label,
                           variables=xpt_variables(shaped), timestamp=header_timestamp())
    except XptError as exc:
        raise TransportError([Problem(f"{path.name} ({v.dataset})", v.row, v.variable,
                                      None if v.value is None else str(v.value), v.message)
                              for v in exc.violations]) from None
    return path


def read_xpt(path: str | Path) -> tuple[pd.DataFrame, "pyreadstat.metadata_container"]:
    return pyreadstat.read_xport(str(path))
