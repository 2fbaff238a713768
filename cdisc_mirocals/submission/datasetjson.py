"""CDISC Dataset-JSON 1.1: one `.json` file per dataset, from the same `Shaped` dataset as its XPT.

Column metadata names the define.xml ItemOIDs (IT.<dataset>.<variable>). Text is written as it is in
the XPT, with null for an empty value; numbers are JSON numbers, exact to the last bit, null when
missing; SAS dates (a DATE format) are ISO 8601 dates with targetDataType integer, as Dataset-JSON
1.1 asks, so a reader turns them back into the same SAS day numbers.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import SAS_EPOCH
from cdisc_mirocals.metadata import Shaped
from cdisc_mirocals.submission.atomic import atomic_write

VERSION = "1.1.0"
DATE_FORMATS = ("DATE", "E8601DA", "YYMMDD")
BLOCK_ROWS = 50_000


def item_oid(dataset: str, variable: str) -> str:
    return f"IT.{dataset}.{variable}"


def _is_date(fmt: str) -> bool:
    return fmt.upper().startswith(DATE_FORMATS)


def _column(shaped: Shaped, key_sequence: dict[str, int]) -> list[dict]:
    out = []
    for col in shaped.columns:
        var = shaped.dataset.variable(col.name)
        meta = {"itemOID": item_oid(shaped.name, col.name), "name": col.name, "label": col.label}
        if not col.numeric:
            meta.update(dataType="string", length=col.length)
        elif _is_date(col.format):
            meta.update(dataType="date", targetDataType="integer")
        elif var.data_type == "integer":
            meta.update(dataType="integer")
        else:
            meta.update(dataType="double")
        if col.format:
            meta["displayFormat"] = col.format
        if col.name in key_sequence:
            meta["keySequence"] = key_sequence[col.name]
        out.append(meta)
    return out


def _json_cells(values: pd.Series, meta: dict, dataset: str) -> np.ndarray:
    """Each value as the JSON text `json.dumps` gives it (null when missing; text "" is missing), as an
    object array. Text is encoded once per distinct value, numbers by their exact repr."""
    kind = meta["dataType"]
    if kind == "string":
        codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        encoded = np.array([encode_basestring_ascii(u) if u != "" else "null" for u in uniques] + ["null"], dtype=object)
        return encoded[codes]  # a missing value's code, -1, takes the last: null
    numbers = values.to_numpy(dtype="float64")
    missing = np.isnan(numbers)
    if np.isinf(numbers).any():
        raise ValueError(f"{dataset}.{meta['name']}: out of range float values are not JSON compliant")
    cells = np.full(len(numbers), "null", dtype=object)
    if kind == "date":
        codes, uniques = pd.factorize(numbers[~missing])
        days = (SAS_EPOCH + pd.to_timedelta(uniques, unit="D")).strftime("%Y-%m-%d")
        cells[~missing] = np.array(['"' + d + '"' for d in days], dtype=object)[codes]
    elif kind == "integer":
        whole = ~missing & (numbers != np.floor(numbers))
        if whole.any():
            raise ValueError(f"{dataset}.{meta['name']}: integer variable holds {numbers[whole][0]}")
        cells[~missing] = list(map(repr, map(int, numbers[~missing].tolist())))
    else:
        cells[~missing] = list(map(float.__repr__, numbers[~missing].tolist()))
    return cells


def _header(shaped: Shaped, *, study_oid: str, metadata_version_oid: str, created: str, define: str = "define.xml",
            originator: str = "", source_system: dict | None = None) -> dict:
    keys = {k: i for i, k in enumerate(shaped.dataset.keys, start=1)}
    return {
        "datasetJSONCreationDateTime": created, "datasetJSONVersion": VERSION,
        "fileOID": f"{study_oid}.{shaped.name}", "originator": originator,
        **({"sourceSystem": source_system} if source_system else {}),
        "studyOID": study_oid, "metaDataVersionOID": metadata_version_oid, "metaDataRef": define,
        "itemGroupOID": f"IG.{shaped.name}", "records": len(shaped.frame), "name": shaped.name,
        "label": shaped.label, "columns": _column(shaped, keys),
    }


def _dump(shaped: Shaped, head: dict, fh: IO[str], block: int = BLOCK_ROWS) -> None:
    """The header on one line and each row on its own line: diffs and partial reads stay readable.
    Rows are encoded a block at a time, column by column, so a large dataset is never held as JSON
    values all at once."""
    text = json.dumps(head, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    fh.write(text[:-1] + ',"rows":[')
    frame = shaped.frame
    for first in range(0, len(frame), block):
        part = frame.iloc[first:first + block]
        cells = [_json_cells(part[meta["name"]], meta, shaped.name) for meta in head["columns"]]
        rows = ",\n".join(map("[{}]".format, map(",".join, zip(*cells))))
        fh.write(("\n" if first == 0 else ",\n") + rows)
    fh.write("\n]}\n")


def write_dataset_json(shaped: Shaped, path: str | Path, **meta) -> Path:
    path = Path(path)
    head = _header(shaped, **meta)
    with atomic_write(path, "w") as fh:
        _dump(shaped, head, fh)
    return path


NUMERIC = {"integer", "decimal", "float", "double"}
TEMPORAL = {"date", "datetime", "time"}


def load_dataset_json(path: str | Path) -> tuple[dict, list[list]]:
    """The document without its rows, and the rows, of a `.json` file or an `.ndjson` file (the document on
    its first line, one row per line after it). A document that is not Dataset-JSON is a ValueError that
    says what it lacks or which row is wrong."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".ndjson":
        lines = [line for line in text.splitlines() if line.strip()]
        doc = json.loads(lines[0]) if lines else {}
        rows = [json.loads(line) for line in lines[1:]]
    else:
        doc = json.loads(text)
        rows = doc.pop("rows", []) if isinstance(doc, dict) else []
    if not isinstance(doc, dict):
        raise ValueError("not a Dataset-JSON 1.1 file: it is not a JSON object")
    missing = [k for k in ("name", "columns") if k not in doc]
    if missing:
        raise ValueError(f"not a Dataset-JSON 1.1 file: it lacks {', '.join(missing)}")
    width = len(doc["columns"])
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, list) or len(r) != width), None)
    if bad is not None:
        raise ValueError(f"row {bad + 1} has {len(rows[bad]) if isinstance(rows[bad], list) else 'no list of'} values "
                         f"for {width} columns")
    return doc, rows


def is_numeric(column: dict) -> bool:
    """Numeric in the XPT convention: a number, or a date, datetime or time whose target type is numeric
    (SAS numbers); a date without targetDataType is ISO 8601 text (an --DTC variable)."""
    dtype = column.get("dataType", "string")
    return dtype in NUMERIC or (dtype in TEMPORAL and bool(column.get("targetDataType")))


def column_values(column: dict, values: list) -> pd.Series:
    """One column in the XPT convention: text with "" for null, numbers float with NaN, dates with a numeric
    target as SAS numbers (days for a date, seconds for a datetime or a time)."""
    dtype = column.get("dataType", "string")
    if not is_numeric(column):
        return pd.Series(["" if v is None else v if isinstance(v, str) else str(v) for v in values], dtype=object)
    if dtype not in TEMPORAL:
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    text = pd.Series(values, dtype=object)
    if dtype == "time":
        parsed = pd.to_timedelta(text, errors="coerce")
    else:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    bad = parsed.isna() & text.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"row {row + 1}, column {column['name']}: {text[row]!r} is not an ISO 8601 {dtype}")
    if dtype == "time":
        return parsed.dt.total_seconds().astype("float64")
    delta = parsed - SAS_EPOCH
    return (delta.dt.days if dtype == "date" else delta.dt.total_seconds()).astype("float64")


def read_dataset_json(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The records as an XPT reader gives them (see column_values), and the document without its rows.
    Used by the analyses and the validator alike."""
    doc, rows = load_dataset_json(path)
    names = [c["name"] for c in doc["columns"]]
    out = {name: column_values(col, [row[i] for row in rows]) for i, (name, col) in enumerate(zip(names, doc["columns"]))}
    return pd.DataFrame(out, columns=names, index=pd.RangeIndex(len(rows))), doc
