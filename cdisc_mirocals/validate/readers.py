"""Read a folder of SAS transport (XPT v5) or Dataset-JSON 1.1 files into frames with their metadata.

Frames are in one convention whatever the format: character variables are text with "" for missing
(as XPT stores them), numeric variables are float with NaN for missing, and numeric dates stay SAS
numbers (days or seconds since 1960), so a rule reads both formats the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals.errors import MirocalsError, UsageError
from cdisc_mirocals.metadata.steps import shared_text
from cdisc_mirocals.submission import datasetjson
from cdisc_mirocals.submission.sasformat import normalise_format
from cdisc_mirocals.submission.xport_reader import Unsupported, read_xpt_file

FORMATS = {".xpt": "XPT", ".json": "Dataset-JSON", ".ndjson": "Dataset-JSON"}


class InputError(MirocalsError):
    """A dataset file or a define.xml that cannot be read (exit 1)."""


class FolderError(InputError, UsageError):
    """The command names a folder that holds nothing to validate, or one the standard of which must be given
    (exit 2, a usage error)."""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str  # Char | Num
    length: int | None  # bytes for Char (XPT storage width, Dataset-JSON length), 8 for Num in XPT
    format: str = ""


@dataclass
class DatasetFile:
    name: str  # upper case, from the XPT member or the Dataset-JSON name
    label: str
    path: Path
    format: str  # XPT | Dataset-JSON
    size: int  # bytes on disk
    columns: dict[str, Column]
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    encoding: str = "utf-8"  # of the character values in the file: their lengths are counted in it
    # (frame, {text column: (codes, distinct values)}), in order of first appearance, when the reader
    # made them: they hold for that frame only, not for a copy changed since (a test's injected fault)
    factored: tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]] | None = field(default=None, repr=False)

    @property
    def factors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self.factored[1] if self.factored is not None and self.factored[0] is self.frame else {}

    @cached_property
    def domain(self) -> str:
        """DOMAIN's value when the dataset has one (LB for LBCH), else the dataset name."""
        if "DOMAIN" in self.frame and len(self.frame):
            values = self.frame["DOMAIN"][self.frame["DOMAIN"] != ""]
            if len(values):
                return str(values.mode().iloc[0])
        return self.name


def dataset_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FORMATS
                  and not p.name.startswith("."))


def read_folder(folder: str | Path) -> dict[str, DatasetFile]:
    """Every dataset of the folder by name; an unreadable file, or two files of one name, is an InputError,
    except a Dataset-JSON file beside the XPT file of the same name (ae.json and ae.xpt, as convert writes
    them): the XPT file is read, the submission's format, and the copy is left unread (copies() names it)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FolderError(f"{folder}: not a folder of datasets")
    out: dict[str, DatasetFile] = {}
    left = set(copies(folder))
    for path in dataset_files(folder):
        if path in left:
            continue
        ds = read_dataset(path)
        if ds.name in out:
            raise InputError(f"{path}: dataset {ds.name} is also in {out[ds.name].path.name}; keep one of them")
        out[ds.name] = ds
    return out


def copies(folder: Path) -> list[Path]:
    """The Dataset-JSON files of a folder that have an XPT file of the same name beside them."""
    files = dataset_files(folder)
    xpt = {p.stem.lower() for p in files if FORMATS[p.suffix.lower()] == "XPT"}
    return [p for p in files if FORMATS[p.suffix.lower()] == "Dataset-JSON" and p.stem.lower() in xpt]


def read_dataset(path: Path) -> DatasetFile:
    try:
        if path.suffix.lower() == ".xpt":
            return read_xpt(path)
        return read_dataset_json(path)
    except InputError:
        raise
    except Exception as exc:  # a reader library's own error names no file: name it
        raise InputError(f"{path}: cannot be read as {FORMATS[path.suffix.lower()]} ({exc})") from None


def read_xpt(path: Path) -> DatasetFile:
    """The file as our numpy reader reads it; pyreadstat reads what that reader leaves to it."""
    try:
        xpt = read_xpt_file(path)
    except Unsupported:
        return _read_xpt_pyreadstat(path)
    columns = {c.name: Column(c.name, c.label, "Num" if c.type == "num" else "Char", c.length, c.format)
               for c in xpt.columns}
    notes = [] if xpt.encoding == "utf-8" else [_not_utf8(xpt.encoding)]
    return DatasetFile((xpt.name or path.stem).upper(), xpt.label, path, "XPT", path.stat().st_size, columns,
                       xpt.frame, notes, xpt.encoding, (xpt.frame, xpt.factors))


def _not_utf8(encoding: str) -> str:
    return f"not valid UTF-8: read as {encoding}"


def _read_xpt_pyreadstat(path: Path) -> DatasetFile:
    import pyreadstat

    notes, encoding = [], "utf-8"
    try:
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    except (pyreadstat.ReadstatError, UnicodeDecodeError):
        # XPT has no encoding field; SAS on Windows writes windows-1252 (the pilot's TS does)
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True, encoding="windows-1252")
        notes.append(_not_utf8("windows-1252"))
        encoding = "windows-1252"
    columns = {}
    for name, label in zip(meta.column_names, meta.column_labels):
        numeric = meta.readstat_variable_types[name] in ("double", "float", "int8", "int16", "int32")
        columns[name] = Column(name, label or "", "Num" if numeric else "Char",
                               int(meta.variable_storage_width[name]), normalise_format(meta.original_variable_types.get(name)))
    name = (meta.table_name or path.stem).upper()
    return DatasetFile(name, meta.file_label or "", path, "XPT", path.stat().st_size, columns,
                       _normalise(frame, columns), notes, encoding)


def read_dataset_json(path: Path) -> DatasetFile:
    frame, doc = datasetjson.read_dataset_json(path)  # its errors are named after the file by read_dataset
    columns = {col["name"]: Column(col["name"], col.get("label", ""), "Num" if datasetjson.is_numeric(col) else "Char",
                                   col.get("length"), col.get("displayFormat", "")) for col in doc["columns"]}
    return DatasetFile(doc["name"].upper(), doc.get("label", ""), path, "Dataset-JSON", path.stat().st_size,
                       columns, _normalise(frame, columns))


def _normalise(frame: pd.DataFrame, columns: dict[str, Column]) -> pd.DataFrame:
    out = {}
    for name, col in columns.items():
        s = frame[name]
        if col.type == "Num":
            out[name] = s if s.dtype == float else pd.to_numeric(s, errors="coerce").astype(float)
            continue
        if not (s.dtype == object and not s.hasnans):  # pyreadstat's text has "" for missing already
            s = s.astype(object).where(s.notna(), "")
            if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
                s = s.astype(str)  # a Dataset-JSON string column holding numbers
        # readers make one string per cell; records repeat their text, and a large study's SDTM read back
        # whole is mostly those strings (500 KB a subject), so equal values become one object
        out[name] = pd.Series(shared_text(s.to_numpy(dtype=object)), index=s.index, dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
