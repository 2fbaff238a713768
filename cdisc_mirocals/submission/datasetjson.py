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


def read_dataset_json(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The records as an XPT reader gives them: text "" when empty, numbers float (NaN when missing),
    dates as SAS day numbers. Returns the frame and the document without its rows."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = doc.get("rows", [])
    out = {}
    for i, col in enumerate(doc["columns"]):
        values = [row[i] for row in rows]
        if col["dataType"] == "string":
            out[col["name"]] = pd.Series(["" if v is None else v for v in values], dtype=object)
        elif col["dataType"] == "date":
            dates = pd.to_datetime(pd.Series(values, dtype="string"), format="%Y-%m-%d")
            out[col["name"]] = ((dates - SAS_EPOCH).dt.days).astype("float64")
        else:
            out[col["name"]] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.DataFrame(out), {k: v for k, v in doc.items() if k != "rows"}
