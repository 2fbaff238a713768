"""CDISC Dataset-JSON 1.1: one `.json` file per dataset, from the same `Shaped` dataset as its XPT.

Column metadata names the define.xml ItemOIDs (IT.<dataset>.<variable>). Text is written as it is in
the XPT, with null for an empty value; numbers are JSON numbers, exact to the last bit, null when
missing; SAS dates (a DATE format) are ISO 8601 dates with targetDataType integer, as Dataset-JSON
1.1 asks, so a reader turns them back into the same SAS day numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import SAS_EPOCH
from cdisc_mirocals.metadata import Shaped
from cdisc_mirocals.submission.atomic import atomic_write

VERSION = "1.1.0"
DATE_FORMATS = ("DATE", "E8601DA", "YYMMDD")


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


def _values(shaped: Shaped, meta: dict) -> list:
    values = shaped.frame[meta["name"]]
    if meta["dataType"] == "string":
        return [v if v != "" else None for v in values.tolist()]
    numbers = values.to_numpy(dtype="float64")
    missing = np.isnan(numbers)
    if meta["dataType"] == "date":
        dates = (SAS_EPOCH + pd.to_timedelta(np.where(missing, 0, numbers), unit="D")).strftime("%Y-%m-%d")
        return [None if m else d for d, m in zip(dates, missing)]
    if meta["dataType"] == "integer":
        whole = ~missing & (numbers != np.floor(numbers))
        if whole.any():
            raise ValueError(f"{shaped.name}.{meta['name']}: integer variable holds {numbers[whole][0]}")
        return [None if m else int(v) for v, m in zip(numbers, missing)]
    return [None if m else float(v) for v, m in zip(numbers, missing)]


def dataset_json(shaped: Shaped, *, study_oid: str, metadata_version_oid: str, created: str,
                 define: str = "define.xml", originator: str = "", source_system: dict | None = None) -> dict:
    keys = {k: i for i, k in enumerate(shaped.dataset.keys, start=1)}
    columns = _column(shaped, keys)
    data = [_values(shaped, meta) for meta in columns]
    doc = {
        "datasetJSONCreationDateTime": created, "datasetJSONVersion": VERSION,
        "fileOID": f"{study_oid}.{shaped.name}", "originator": originator,
        **({"sourceSystem": source_system} if source_system else {}),
        "studyOID": study_oid, "metaDataVersionOID": metadata_version_oid, "metaDataRef": define,
        "itemGroupOID": f"IG.{shaped.name}", "records": len(shaped.frame), "name": shaped.name,
        "label": shaped.label, "columns": columns, "rows": [list(row) for row in zip(*data)] if data else [],
    }
    return doc


def _dump(doc: dict, fh: IO[str]) -> None:
    """The header on one line and each row on its own line: diffs and partial reads stay readable."""
    rows = doc["rows"]
    head = json.dumps({k: v for k, v in doc.items() if k != "rows"}, ensure_ascii=True, separators=(",", ":"),
                      allow_nan=False)
    fh.write(head[:-1] + ',"rows":[')
    for i, row in enumerate(rows):
        fh.write(("\n" if i == 0 else ",\n") + json.dumps(row, ensure_ascii=True, separators=(",", ":"),
                                                          allow_nan=False))
    fh.write("\n]}\n")


def write_dataset_json(shaped: Shaped, path: str | Path, **meta) -> Path:
    path = Path(path)
    doc = dataset_json(shaped, **meta)
    with atomic_write(path, "w") as fh:
        _dump(doc, fh)
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
