"""A specification held in memory (tables of rows, as specs/ writes them), and its writing out as a specs/
folder: study.toml and one CSV per table. `specs import-define` builds one from a define.xml; written
out, it loads as any specs/ folder does."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.p21 import LAYOUTS
from cdisc_mirocals.spec.source import is_optional, table_names
from cdisc_mirocals.spec.studysheet import toml_key, toml_value


def table_header(name: str) -> list[str]:
    """The columns of a specs/ table ("sdtm/codelists.csv"), as the workbook's sheet gives them."""
    part, _, file = name.partition("/")
    lay = next(lay for lay in LAYOUTS if lay.table in (name, file) and (lay.per_standard or lay.table == name))
    return [lay.table_column(c) for c in lay.columns if c not in ("Standard", *lay.derived)]


def csv_header(name: str, rows: list[dict[str, str]]) -> list[str]:
    """A table's columns as specs/ writes them: the loader's own order, and of the columns it does not
    require, only those some row fills."""
    from cdisc_mirocals.spec.arm import DISPLAY_COLUMNS, RESULT_COLUMNS
    from cdisc_mirocals.spec.standard import (CODELIST_COLUMNS, COMMENT_COLUMNS, DATASET_COLUMNS, DOCUMENT_COLUMNS,
                                              METHOD_COLUMNS, VALUELEVEL_COLUMNS, VARIABLE_COLUMNS)

    required = {"datasets.csv": DATASET_COLUMNS, "variables.csv": VARIABLE_COLUMNS,
                "valuelevel.csv": VALUELEVEL_COLUMNS, "codelists.csv": CODELIST_COLUMNS,
                "methods.csv": METHOD_COLUMNS, "comments.csv": COMMENT_COLUMNS, "documents.csv": DOCUMENT_COLUMNS,
                "analysis_displays.csv": DISPLAY_COLUMNS, "analysis_results.csv": RESULT_COLUMNS,
                "ctmap.csv": ["Codelist", "Collected Value", "Term"]}.get(name.rpartition("/")[2])
    header = table_header(name)
    if required is None:
        return header
    header = [c for c in required if c in header] + [c for c in header if c not in required]
    return [c for c in header if c in required or any(r.get(c) for r in rows)]


class _Table:
    def __init__(self, name: str):
        self.name = name

    def problem(self, line, column, value, expected) -> Problem:
        return Problem(self.name, line, column, value, expected)


class MemorySource:
    """The source interface of spec/source.py over tables built in memory."""

    def __init__(self, study: dict[str, Any], tables: dict[str, list[dict[str, str]]]):
        self._study, self.tables = study, tables

    def study(self) -> dict[str, Any]:
        return self._study

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> _Table:
        return _Table(name)

    def rows(self, name: str, problems) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
        return table_header(name), [(n, row) for n, row in enumerate(self.tables[name], start=2)]


def study_toml(data: dict[str, Any], heading: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in heading.splitlines()]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, values in data.items():
        if isinstance(values, dict):
            lines += ["", f"[{toml_key(section)}]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buf.getvalue()


def write_folder(source: MemorySource, out: str | Path, heading: str = "") -> Path:
    """study.toml and every table (a required one the source lacks with its header alone) written to `out`,
    a new or empty folder, which appears only when all is written."""
    import os
    import tempfile

    from cdisc_mirocals.errors import MirocalsError

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MirocalsError(f"{out}: exists and is not an empty folder; give a new folder for the specification")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "study.toml").write_text(study_toml(source.study(), heading), encoding="utf-8")
        for name in table_names():
            if is_optional(name) and not source.has(name):
                continue
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            rows = source.tables.get(name, [])
            (tmp / name).write_text(csv_text(csv_header(name, rows), rows), encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
