"""ODM 1.3.2 raw input: the simulated export validates against the ODM 1.3.2 schema, reads to the same
typed forms as the CSV export, converts to byte-identical output, and every faulty export of
tests/faults/cases_odm.py is refused with a located message and no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdisc_mirocals.simulated import is_simulated
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.simulate import write_odm_export
from faults.cases_odm import CASES

from conftest import SOURCE_DATE_EPOCH

SCHEMA = Path(__file__).resolve().parents[1] / "define_xml" / "schema" / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd"


@pytest.fixture(scope="module")
def default_odm(default_forms, spec, tmp_path_factory) -> Path:
    return write_odm_export(default_forms, tmp_path_factory.mktemp("odm") / "study.xml", spec)


@pytest.fixture(scope="module")
def corpus_odm(corpus_clean, spec, tmp_path_factory) -> Path:
    forms = {name: pd.read_csv(corpus_clean / form.file, dtype=str, keep_default_na=False)
             for name, form in spec.raw.items()}
    return write_odm_export(forms, tmp_path_factory.mktemp("odm") / "corpus.xml", spec)


def test_the_export_validates_against_the_odm_132_schema(default_odm):
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    tree = etree.parse(str(default_odm))
    assert schema.validate(tree), schema.error_log
    root = tree.getroot()
    assert root.get("FileType") == "Snapshot" and root.get("ODMVersion") == "1.3.2"
    assert not list(root.iter("{http://www.cdisc.org/ns/odm/v1.3}AuditRecord"))
    description = root.findtext(".//{http://www.cdisc.org/ns/odm/v1.3}StudyDescription")
    assert description.startswith("SIMULATED DATA: not the results of the MIROCALS trial. ")
    assert is_simulated(default_odm)  # so convert marks everything it makes from it, as from the CSV route


def test_the_export_reads_to_the_same_forms_as_the_csv_export(default_odm, default_raw_dir, spec):
    from_odm, from_csv = read_raw(default_odm, spec), read_raw(default_raw_dir, spec)
    for name in spec.raw:
        pd.testing.assert_frame_equal(from_odm.forms[name], from_csv.forms[name])


def test_convert_from_odm_is_byte_identical(default_odm, converted, tmp_path, spec, monkeypatch):
    from cdisc_mirocals import pipeline

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    result = pipeline.convert(default_odm, tmp_path / "out", spec, keep=False)
    ours, theirs = converted.out, result.out
    files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    assert [str(f) for f in files if (ours / f).read_bytes() != (theirs / f).read_bytes()] == []


def test_check_raw_accepts_the_clean_export(corpus_odm):
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "check-raw", str(corpus_odm)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "no problems" in run.stdout


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_faulty_export_is_refused_with_located_errors(case, corpus_odm, tmp_path):
    path = tmp_path / "faulty.xml"
    shutil.copyfile(corpus_odm, path)
    expected = case.make(path)
    run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "check-raw", str(path)],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    messages = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    for error in expected:
        assert any(error.found_in(m, path.name) for m in messages), (error, messages)


@pytest.mark.parametrize("description, simulated", [
    ("SIMULATED DATA: not the results of the MIROCALS trial. MIROCALS", True),
    ("MIROCALS: low-dose IL-2 in ALS", False),  # an EDC's export of the real study
    ("A trial whose description merely mentions SIMULATED DATA: not the results of the X trial", False),
])
def test_only_an_odm_export_that_opens_with_the_notice_is_simulated(tmp_path, description, simulated):
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S">'
                    f"<GlobalVariables><StudyName>S</StudyName><StudyDescription>{description}</StudyDescription>"
                    "<ProtocolName>P</ProtocolName></GlobalVariables></Study></ODM>")
    assert is_simulated(path) is simulated
