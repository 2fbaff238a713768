"""`specs export --xlsx`: a specification (specs/ folder or workbook) written as one Pinnacle 21 workbook
(spec/p21.py lays it out). Cells are written as they stand in specs/, placeholders such as
{parameters.pnfh_threshold} unexpanded, every one as text, so that reading the workbook back gives the same
rows; the file is byte-identical for the same specification (fixed dates)."""

from __future__ import annotations

import io
from pathlib import Path

from cdisc_mirocals.errors import Problem, SpecError
from cdisc_mirocals.spec.p21 import (LAYOUTS, SHEET_ORDER, STANDARDS, WHERE_COLUMNS, WhereIds, dictionary_version,
                                     is_dictionary, layouts_of)
from cdisc_mirocals.spec.source import table_names
from cdisc_mirocals.spec.studysheet import STUDY_COLUMNS, study_rows

STANDARD_NAME = {part: name for name, part in STANDARDS.items()}


def workbook_sheets(source) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every sheet of the workbook: its header and rows of text."""
    problems: list[Problem] = []
    study = source.study()
    sheets: dict[str, tuple[list[str], list[list[str]]]] = {"Study": (STUDY_COLUMNS, study_rows(study)),
                                                             "WhereClauses": (WHERE_COLUMNS, [])}
    sheets.update({lay.sheet: (list(lay.columns), []) for lay in LAYOUTS})
    where = WhereIds()
    for name in table_names():
        if not source.has(name):
            continue
        table = source.table(name)
        _, rows = source.rows(name, problems)
        layouts = layouts_of(name)
        for line, row in rows:
            lay = layouts[0] if len(layouts) == 1 else layouts[1 if is_dictionary(row) else 0]
            placed = {lay.table_column(c) for c in lay.columns}
            for column, value in row.items():
                if value and column not in placed:
                    problems.append(table.problem(line, column, value, f"empty: the {lay.sheet} sheet of a P21 "
                                                                       "workbook has no column for it"))
            if row.get("Where Clause") and "Where Clause" in lay.columns:
                row = {**row, "Where Clause": where.id_for(row.get("Dataset", ""), row["Where Clause"])}
            sheets[lay.sheet][1].append([STANDARD_NAME[name.partition("/")[0]] if c == "Standard"
                                         else dictionary_version(study, row.get("Terminology", "")) if c == "Version"
                                         else row.get(lay.table_column(c), "") for c in lay.columns])
    sheets["WhereClauses"][1].extend(where.rows)
    if problems:
        raise SpecError(problems)
    return {name: sheets[name] for name in SHEET_ORDER}


def workbook_bytes(sheets: dict[str, tuple[list[str], list[list[str]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from cdisc_mirocals.xlsxstable import FIXED, stable_zip

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "cdisc-mirocals"
    bold = Font(bold=True)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title)
        for i, column in enumerate(header, start=1):
            width = max([len(column)] + [len(r[i - 1]) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A2"
        ws.append([_text(ws, v, bold) for v in header])
        for row in rows:
            ws.append([_text(ws, v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue())


def _text(ws, value: str, font=None):
    """A text cell, even for '=...' (which openpyxl would otherwise write as a formula) or '12'."""
    from openpyxl.cell import WriteOnlyCell

    if value == "":
        return None
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def export_workbook(source, path: str | Path) -> Path:
    """Write `source`'s specification to `path` as a P21 workbook, replacing the file only when all went well."""
    from cdisc_mirocals.submission.atomic import atomic_write

    data = workbook_bytes(workbook_sheets(source))
    with atomic_write(path, "wb", encoding=None) as fh:
        fh.write(data)
    return Path(path)


def export_spec(specs: str | Path | None, path: str | Path) -> Path:
    """The specification at `specs` (default: the package's own), checked by loading it, then exported."""
    from cdisc_mirocals.spec.load import default_spec_root, load_spec, open_source

    root = Path(specs).resolve() if specs else default_spec_root()
    load_spec(root)
    return export_workbook(open_source(root), path)


def export_folder(specs: str | Path | None, out: str | Path) -> Path:
    """The specification at `specs` (a workbook, typically) written as a new specs/ folder, checked first."""
    from cdisc_mirocals.spec.load import default_spec_root, load_spec, open_source
    from cdisc_mirocals.spec.memory import MemorySource, write_folder

    root = Path(specs).resolve() if specs else default_spec_root()
    load_spec(root)
    source = open_source(root)
    tables = {name: [row for _, row in source.rows(name, [])[1]] for name in table_names() if source.has(name)}
    return write_folder(MemorySource(source.study(), tables), out,
                        f"Written from {root.name} by cdisc-mirocals specs export (study.toml's comments are "
                        f"not carried by a workbook).")
