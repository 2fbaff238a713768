"""`specs import-define`: a define.xml as a specification. Our own define.xml files round-trip to the same
bytes; the CDISC pilot's import, and validate the pilot datasets exactly as their define.xml does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.spec.from_define import import_define, write_imported

from conftest import REFERENCE, SOURCE_DATE_EPOCH

PILOT = REFERENCE / "cdiscpilot01_tdf"
EXAMPLES = REFERENCE / "define-xml-2.1-examples"
needs_pilot = pytest.mark.skipif(not (PILOT / "sdtm" / "define.xml").is_file(),
                                 reason="the CDISC pilot (cdiscpilot01_tdf) is not in ../shared/reference")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize("standard", ["SDTM", "ADaM"])
def test_our_define_round_trips_to_the_same_bytes(standard, converted, tmp_path, monkeypatch):
    from cdisc_mirocals.submission.define import build_define
    from cdisc_mirocals.submission.xport_reader import read_xpt_file

    folder = converted.sdtm_dir if standard == "SDTM" else converted.adam_dir
    written, notes = write_imported(folder / "define.xml", tmp_path / "specs")
    assert notes == []
    spec = load_spec(written)
    std = spec.sdtm if standard == "SDTM" else spec.adam
    ours = load_spec().sdtm if standard == "SDTM" else load_spec().adam
    assert list(std.datasets) == list(ours.datasets) and len(std.valuelevel) == len(ours.valuelevel)
    frames = {p.stem.upper(): read_xpt_file(p).frame for p in sorted(folder.glob("*.xpt"))}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    assert build_define(spec, standard, frames) == (folder / "define.xml").read_bytes()


def test_what_define_xml_cannot_carry_is_left_empty(converted, tmp_path):
    written, _ = write_imported(converted.sdtm_dir / "define.xml", tmp_path / "specs")
    spec = load_spec(written)
    assert spec.raw == {} and spec.sdtm.ctmap == {} and spec.adam.datasets == {}
    assert {v.core for d in spec.sdtm.datasets.values() for v in d.variables} == {""}
    assert set(spec.study.data) - {"trial_summary"} == {"study", "standards"}  # the loader adds an empty one
    assert spec.study["standards"]["meddra"] == load_spec().study["standards"]["meddra"]


@needs_pilot
@pytest.mark.parametrize("family, out", [("sdtm", "specs.xlsx"), ("adam", "specs")])
def test_the_pilot_define_imports_and_validates_as_the_define_does(family, out, tmp_path):
    from cdisc_mirocals.validate.engine import validate_folder

    written, notes = write_imported(PILOT / family / "define.xml", tmp_path / out)
    # the pilot define's own defects: references to elements it does not define
    assert all("does not define" in n for n in notes)
    spec = load_spec(written)
    std = spec.sdtm if family == "sdtm" else spec.adam
    assert len(std.datasets) == {"sdtm": 31, "adam": 12}[family]
    by_define = validate_folder(PILOT / family)
    by_spec = validate_folder(PILOT / family, specs=written)
    assert by_spec.metadata != by_define.metadata  # the first checked against the imported spec
    columns = ["rule", "dataset", "record", "variables", "values", "message"]
    key = lambda report: sorted(map(tuple, report.findings[columns].astype(str).values.tolist()))  # noqa: E731
    assert len(by_define.findings) > 0
    assert key(by_spec) == key(by_define)


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="the Define-XML 2.1 examples are not in ../shared/reference")
@pytest.mark.parametrize("name, results", [("defineV21-SDTM.xml", 0), ("defineV21-ADaM.xml", 3)])
def test_the_define_21_examples_import(name, results, tmp_path):
    written, _ = write_imported(EXAMPLES / name, tmp_path / "specs")
    spec = load_spec(written)
    assert len(spec.adam.analysis_results if results else spec.sdtm.datasets) == (results or 11)


def test_cli_import_define_and_its_refusals(converted, tmp_path):
    run = _cli("specs", "import-define", str(converted.adam_dir / "define.xml"), "--out", str(tmp_path / "adam"))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "adam" / "adam" / "analysis_results.csv").is_file()
    again = _cli("specs", "import-define", str(converted.adam_dir / "define.xml"), "--out", str(tmp_path / "adam"))
    assert again.returncode == 1 and "not an empty folder" in again.stderr and "Traceback" not in again.stderr
    dtd = tmp_path / "dtd.xml"
    dtd.write_text('<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY x "x">]>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>')
    run = _cli("specs", "import-define", str(dtd), "--out", str(tmp_path / "x"))
    assert run.returncode == 1 and "declares a DTD" in run.stderr and "Traceback" not in run.stderr
    odm12 = tmp_path / "define10.xml"
    odm12.write_text('<?xml version="1.0"?>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.2"><Study/></ODM>')
    run = _cli("specs", "import-define", str(odm12), "--out", str(tmp_path / "y"))
    assert run.returncode == 1 and "Define-XML 1.0" in run.stderr and not (tmp_path / "y").exists()


def test_import_keeps_arm(converted):
    source, _ = import_define(converted.adam_dir / "define.xml")
    results = source.tables["adam/analysis_results.csv"]
    ours = load_spec().adam.analysis_results
    assert len({r["ID"] for r in results}) == len(ours)
    first = next(r for r in results if r["ID"] == ours[0].id)
    assert first["Code"] == ours[0].code and first["Parameter"] == ours[0].parameter
    assert first["Code Document"] == ours[0].code_document == "LF.PGM.SURVIVAL"
    displays = {d["ID"]: d for d in source.tables["adam/analysis_displays.csv"]}
    assert {d["Document"] for d in displays.values()} == {"LF.DISPLAYS"}
    assert all(d["Pages"] for d in displays.values())  # the pages as laid out, which the spec left to the layout
