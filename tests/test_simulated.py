"""Simulated data say so: `simulate` marks its folder, `convert` reads the mark, and define.xml's study
description and results.json's provenance carry the notice; forms of a real study carry no such words."""

import json
import shutil
from io import BytesIO

import pypdf
from lxml import etree

from cdisc_mirocals import pipeline
from cdisc_mirocals.simulated import MARKER, is_simulated, notice

NOTICE = "SIMULATED DATA: not the results of the MIROCALS trial"
ODM = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


def _description(folder):
    root = etree.parse(str(folder / "define.xml")).getroot()
    return root.findtext("odm:Study/odm:GlobalVariables/odm:StudyDescription", namespaces=ODM)


def test_the_simulator_marks_its_folder(default_raw_dir, spec):
    assert notice(spec.study.studyid) == NOTICE
    assert is_simulated(default_raw_dir)
    assert (default_raw_dir / MARKER).read_text().startswith(NOTICE + ".")


def test_outputs_of_simulated_data_say_so(converted, spec):
    assert converted.simulated_data and not converted.simulated  # read from the marker, not simulated here
    for folder in (converted.sdtm_dir, converted.adam_dir):
        assert _description(folder) == f"{NOTICE}. {spec.study['study']['title']}"
    for name in ("results.json", "safety.json", "baseline.json"):
        provenance = json.loads((converted.out / "analysis" / name).read_text())["provenance"]
        assert provenance["simulated"] is True and provenance["data_notice"] == NOTICE, name
    analysis = converted.out / "analysis"
    for page in ("report.html", "tables.html", "safety.html"):  # the title and a banner under the heading
        text = (analysis / page).read_text()
        assert f"<title>MIROCALS clinical study outputs" in text and f"({NOTICE})</title>" in text, page
        assert f'<p class="banner">{NOTICE}</p>' in text, page
    figures = sorted(analysis.glob("*.svg"))
    assert len(figures) >= 6 and all(NOTICE in f.read_text() for f in figures)  # on the figure itself
    assert (analysis / "tables.md").read_text().startswith(f"**{NOTICE}**")


def test_outputs_of_a_real_raw_folder_carry_no_such_words(default_raw_dir, tmp_path, spec):
    real = tmp_path / "raw"
    shutil.copytree(default_raw_dir, real)
    (real / MARKER).unlink()  # forms exported from an EDC: no marker
    result = pipeline.convert(real, tmp_path / "out", spec)
    assert not result.simulated_data
    for folder in (result.sdtm_dir, result.adam_dir):
        assert _description(folder) == spec.study["study"]["title"]
        assert b"SIMULATED" not in (folder / "define.xml").read_bytes().upper()
    acrf = pypdf.PdfReader(BytesIO((result.sdtm_dir / "acrf.pdf").read_bytes()))  # written for real data too
    assert len(acrf.pages) > 10 and not any("SIMULATED" in page.extract_text().upper() for page in acrf.pages)
    results = (result.out / "analysis" / "results.json").read_text()
    provenance = json.loads(results)["provenance"]
    assert provenance["simulated"] is False and provenance["data_notice"] is None
    assert "SIMULATED DATA" not in results
    for path in (result.out / "analysis").iterdir():
        if path.suffix in (".html", ".svg", ".md", ".json", ".csv"):
            assert "SIMULATED DATA" not in path.read_text(), path.name
