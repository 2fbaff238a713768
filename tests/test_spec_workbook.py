"""specs/ as a Pinnacle 21 define spec workbook: the layout, the exact round trip, a convert from the
workbook byte-identical to one from specs/, and every faulty workbook of tests/faults refused with a
located message."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.spec.export import export_spec, workbook_sheets
from cdisc_mirocals.spec.load import default_spec_root
from cdisc_mirocals.spec.source import CsvSource, table_names
from cdisc_mirocals.spec.workbook import WorkbookSource
from faults.cases_workbook import CASES

from conftest import SOURCE_DATE_EPOCH

# P21 Community's define spec template: its sheets in its order, and the columns each begins with
P21_SHEETS = ["Study", "Datasets", "Variables", "ValueLevel", "WhereClauses", "Codelists", "Dictionaries", "Methods",
              "Comments", "Documents", "Analysis Displays", "Analysis Results"]
P21_COLUMNS = {
    "Study": ["Attribute", "Value"],
    "Datasets": ["Dataset", "Description", "Class", "Structure", "Purpose", "Key Variables", "Repeating",
                 "Reference Data", "Comment"],
    "Variables": ["Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format",
                  "Mandatory"],
    "ValueLevel": ["Order", "Dataset", "Variable", "Where Clause"],
    "WhereClauses": ["ID", "Dataset", "Variable", "Comparator", "Value"],
    "Codelists": ["ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Comment", "Order", "Term",
                  "NCI Term Code", "Decoded Value"],
    "Dictionaries": ["ID", "Name", "Data Type", "Dictionary", "Version"],
    "Methods": ["ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"],
    "Comments": ["ID", "Description", "Document", "Pages"],
    "Documents": ["ID", "Title", "Href"],
}


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return export_spec(None, tmp_path_factory.mktemp("book") / "specs.xlsx")


def _sheets(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(c for c in row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def test_the_workbook_has_p21s_sheets_and_columns(book):
    sheets = _sheets(book)
    assert list(sheets)[:len(P21_SHEETS)] == P21_SHEETS
    for sheet, columns in P21_COLUMNS.items():
        assert list(sheets[sheet][0][:len(columns)]) == columns, sheet
    # every cell is text, as specs/ holds it: a placeholder stays a placeholder, an Order stays "1"
    cells = [v for rows in sheets.values() for row in rows for v in row if v is not None]
    assert all(isinstance(v, str) for v in cells)
    assert any("{standards.meddra}" in v for v in cells)
    study = dict((r[0], r[1]) for r in sheets["Study"][1:])
    assert study["StudyName"] == "MIROCALS" and study["parameters.pnfh_threshold"] == "3700.0"
    assert [(r[0], r[-1]) for r in sheets["Dictionaries"][1:]] == [
        ("MEDDRA", "SDTM"), ("MEDDRACD", "SDTM"), ("WHODRUG", "SDTM"), ("MEDDRA", "ADaM"), ("MEDDRACD", "ADaM"),
        ("WHODRUG", "ADaM")]
    assert sheets["Dictionaries"][1][4] == "26.0"  # study.toml's [standards] meddra


def test_where_clauses_are_rows_cited_by_id(book):
    sheets = _sheets(book)
    header = sheets["ValueLevel"][0]
    cited = {r[header.index("Where Clause")] for r in sheets["ValueLevel"][1:]}
    ids = {r[0] for r in sheets["WhereClauses"][1:]}
    assert cited <= ids
    qs = [r for r in sheets["WhereClauses"][1:] if r[1] == "QS" and r[3] == "IN"][0]
    assert qs[2] == "QSTESTCD" and qs[4].startswith("ALSFRS01, ALSFRS02, ")


def test_the_workbook_loads_to_the_same_spec(book):
    from_csv, from_book = load_spec(), load_spec(book)
    assert from_book.sdtm == from_csv.sdtm
    assert from_book.adam == from_csv.adam
    assert from_book.raw == from_csv.raw
    assert from_book.study.data == from_csv.study.data


def test_every_table_reads_back_row_for_row(book):
    csv_source, book_source = CsvSource(default_spec_root()), WorkbookSource(book)
    assert book_source.problems == [] and book_source.cells == []
    for name in table_names():
        if not csv_source.has(name):
            assert not book_source.has(name) or book_source.rows(name, [])[1] == []
            continue
        header, rows = csv_source.rows(name, [])
        expected = [row for _, row in rows]
        got = [{c: row[c] for c in header} for _, row in book_source.rows(name, [])[1]]
        if name.endswith("codelists.csv"):  # the Dictionaries sheet's rows follow the Codelists sheet's
            key = [row["ID"] for row in expected]
            expected = sorted(expected, key=lambda r: bool(r["Terminology"] not in ("CDISC/NCI", "Sponsor")
                                                           and not r["Term"]))
            assert sorted(key) == sorted(row["ID"] for row in got)
        assert got == expected, name


def test_export_import_export_is_byte_identical(book, tmp_path):
    again = export_spec(book, tmp_path / "again.xlsx")
    assert again.read_bytes() == book.read_bytes()
    assert _sheets(again) == _sheets(book)


def test_cli_export_and_specs_from_the_workbook(tmp_path):
    out = tmp_path / "book.xlsx"
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "specs", "export", "--xlsx", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "specs", "--specs", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "SDTM: 26 datasets" in run.stdout and "raw: 17 forms" in run.stdout


def test_convert_from_the_workbook_is_byte_identical(book, converted, default_raw_dir, tmp_path, monkeypatch):
    from cdisc_mirocals import pipeline

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    result = pipeline.convert(default_raw_dir, tmp_path / "out", load_spec(book), keep=False)
    ours, theirs = converted.out, result.out
    files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    assert len(files) > 50
    different = [str(f) for f in files if (ours / f).read_bytes() != (theirs / f).read_bytes()]
    assert different == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_faulty_workbook_is_refused_with_located_errors(case, book, tmp_path):
    path = tmp_path / "faulty.xlsx"
    shutil.copyfile(book, path)
    expected = case.make(path)
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "specs", "--specs", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    messages = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    for error in expected:
        assert any(error.found_in(m, path.name) for m in messages), (error, messages)


def test_the_workbook_exports_back_to_a_specs_folder(book, tmp_path):
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "specs", "export", "--specs", str(book),
                          "--csv", str(tmp_path / "specs")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    folder, ours = tmp_path / "specs", default_spec_root()
    same = load_spec(folder)
    assert (same.sdtm, same.adam, same.raw) == (load_spec().sdtm, load_spec().adam, load_spec().raw)
    assert same.study.data == load_spec().study.data
    # every CSV holds the same records as specs/ (a column empty throughout may be left out), in the same
    # order but for the dictionaries' place among the codelists
    def records(path: Path) -> list[dict]:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(fh)]
        return sorted(rows, key=lambda r: sorted(r.items())) if path.name == "codelists.csv" else rows

    for path in sorted(ours.glob("*/*.csv")):
        assert records(folder / path.relative_to(ours)) == records(path), path
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "specs", "export"], capture_output=True, text=True)
    assert run.returncode == 2 and "--xlsx FILE" in run.stderr
