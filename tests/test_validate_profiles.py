"""Agency profiles: `--profile cdisc` runs only the rules that answer to a CDISC conformance rule; `pmda` runs every
rule with the FDA configuration's severities (the PMDA's own are not public here, so none is invented) and says
what the PMDA does with Rejects and Errors; every report format states the profile."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner
from validate_helpers import TODAY, sdtm

from cdisc_mirocals.cli import main
from cdisc_mirocals.textsafe import html_text
from cdisc_mirocals.validate.engine import validate_files
from cdisc_mirocals.validate.profiles import PROFILES, profile
from cdisc_mirocals.validate.writers import write_report
from cdisc_mirocals.validate.writers.text import render


def _study():
    """An AE without an end (SD0021: FDA IDs only) and a numeric LBSTRESC without its unit (SD0029: CG0425 too),
    and an invalid start date (SD0003, an Error)."""
    dm = sdtm("DM", USUBJID=["S1"], RFSTDTC=["2020-01-10"], ARMCD=["A"], ARM=["Drug"])
    ae = sdtm("AE", USUBJID=["S1"], AESEQ=[1], AETERM=["Headache"], AESTDTC=["2020-13-01"], AEENDTC=[""])
    lb = sdtm("LB", USUBJID=["S1"], LBSEQ=[1], LBTESTCD=["ALB"], LBTEST=["Albumin"], LBORRES=["41"],
              LBORRESU=["g/L"], LBSTRESC=["41"], LBSTRESN=[41.0], LBSTRESU=[""])
    return {"DM": dm, "AE": ae, "LB": lb}


@pytest.fixture(scope="module")
def reports():
    return {name: validate_files(_study(), "sdtmig-3.4", today=TODAY, profile=name) for name in PROFILES}


def test_the_cdisc_profile_runs_only_cdisc_conformance_rules(reports):
    from cdisc_mirocals.validate.rules import REGISTRY

    cdisc, fda = reports["cdisc"], reports["fda"]
    assert len(cdisc.rules) < len(fda.rules)
    assert all(REGISTRY[r].cdisc for r in cdisc.rules["rule"])
    assert set(cdisc.rules["rule"]) == {r for r in fda.rules["rule"] if REGISTRY[r].cdisc}
    assert "SD0021" in set(fda.findings["rule"]) and "SD0021" not in set(cdisc.findings["rule"])  # FDA IDs only
    assert "SD0029" in set(cdisc.findings["rule"])
    kept = fda.findings[fda.findings["rule"].isin(cdisc.rules["rule"])].reset_index(drop=True)
    assert kept.equals(cdisc.findings.reset_index(drop=True))  # the same findings, the same severities


def test_the_pmda_profile_changes_no_severity_and_says_what_the_pmda_does(reports):
    pmda, fda = reports["pmda"], reports["fda"]
    assert pmda.findings.equals(fda.findings) and pmda.rules.equals(fda.rules)
    notes = " ".join(pmda.notes)
    assert "a Reject halts the PMDA's review" in notes and "every Error must be explained" in notes
    errors = pmda.findings[pmda.findings["severity"] == "Error"]
    assert len(errors) and f"{len(errors):,} Error finding(s)" in notes
    assert "PMDA" not in " ".join(fda.notes)
    assert "not vendored" in pmda.header()["severities"]


def test_every_format_states_the_profile(reports, tmp_path):
    report = reports["pmda"]
    title = profile("pmda").title
    assert report.header()["profile"] == title
    assert f"profile: {title}" in render(report)
    doc = json.loads(write_report(report, tmp_path / "r.json", "json").read_text())
    assert doc["header"]["profile"] == title
    rows = list(csv.DictReader(write_report(report, tmp_path / "r.csv", "csv").open(newline="", encoding="utf-8")))
    assert {r["Profile"] for r in rows} == {title}
    wb = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    assert ["profile", title] in [[c.value for c in r[:2]] for r in wb["Dataset Summary"].iter_rows()]
    assert html_text(title) in write_report(report, tmp_path / "r.html", "html").read_text()


def test_an_unknown_profile_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'ema'"):
        profile("ema")
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--profile", "ema"])
    assert result.exit_code == 2 and "--profile" in result.output


def test_a_ct_release_define_xml_names_and_we_lack_is_replaced_by_the_closest_and_said(tmp_path):
    """CDISC's Define-XML 2.1 SDTM example names SDTM CT 2011-12-09 and 2015-12-18: the data are checked against
    the release vendored, and the report says which and why."""
    from conftest import REFERENCE

    from cdisc_mirocals.validate.define_reader import read_define

    example = REFERENCE / "define-xml-2.1-examples" / "defineV21-SDTM.xml"
    if not example.is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here: CDISC's Define-XML 2.1 example "
                    "is needed")
    define = read_define(example)
    assert ("SDTM", "2015-12-18") in define.ct and ("SDTM", "2011-12-09") in define.ct
    report = validate_files(_study(), "sdtmig-3.4", define=define, today=TODAY)
    vendored = load_ct_release()
    assert report.ct == f"{vendored} (define.xml names SDTM CT 2011-12-09, SDTM CT 2015-12-18: the closest vendored)"
    assert any(n.startswith("define.xml names SDTM CT 2011-12-09, SDTM CT 2015-12-18; this package vendors "
                            f"{vendored} only, the closest release it has") for n in report.notes)
    # a define.xml 2.0 (the CDISC pilot's) has no place for a CT release: nothing is said of one
    assert "define.xml names" not in validate_files(_study(), "sdtmig-3.4", today=TODAY).ct


def load_ct_release() -> str:
    from cdisc_mirocals.validate.model import load_model
    return ", ".join(load_model("sdtmig-3.4").ct_releases)
