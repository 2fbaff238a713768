"""convert runs the validator on what it wrote, before publishing: the reports go to OUT/validation, and a
finding at or above --fail-on keeps OUT as it was and puts the output that failed, with its reports, in
OUT.rejected (docs/validation.md, "Validation in convert")."""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisc_mirocals import pipeline
from cdisc_mirocals.cli import main
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.validate.engine import validate_folder

REPORTS = ["adam.html", "adam.json", "adam.xlsx", "sdtm.html", "sdtm.json", "sdtm.xlsx"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_default_study_is_published_with_its_reports_and_no_reject_or_error(converted):
    folder = converted.out / "validation"
    assert sorted(p.name for p in folder.iterdir()) == REPORTS
    for name, sub in (("sdtm", pipeline.SDTM_DIR), ("adam", pipeline.ADAM_DIR)):
        doc = json.loads((folder / f"{name}.json").read_text())
        assert doc["counts"]["Reject"] == 0 and doc["counts"]["Error"] == 0, doc["counts"]
        # paths relative to OUT, so the reports hold wherever OUT is and stay byte-identical
        assert doc["header"]["folder"] == sub.as_posix()
        assert doc["header"]["define.xml"] == (sub / "define.xml").as_posix()
        # the same findings as `cdisc-mirocals validate` on the published folder
        again = validate_folder(converted.out / sub)
        assert doc["counts"] == again.counts
        mine = sorted((f["rule"], f["dataset"], f["record"] or 0, f["variables"]) for f in doc["findings"])
        assert mine == sorted((r.rule, r.dataset, 0 if pd.isna(r.record) else int(r.record), r.variables)
                              for r in again.findings.itertuples())
    assert not converted.validation.blocked
    assert not pipeline.rejected_dir(converted.out).exists()


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory, spec):
    raw = tmp_path_factory.mktemp("small") / "raw"
    write_forms(simulate_study(14, 15, spec), raw, spec)
    return raw


def test_findings_at_the_threshold_keep_out_as_it_was_and_go_to_out_rejected(small_raw, tmp_path, spec):
    out = tmp_path / "out"
    good = pipeline.convert(small_raw, out, spec, analysis=False, fail_on="error")
    assert good.validation.summary()[0].startswith("SDTM: 0 Reject, 0 Error, ")
    before = _digests(out)
    # the study has Warnings (docs/validation.md explains them): with --fail-on warning they stop the publish
    # (under the PMDA profile, which the reports state: its rules and severities are the FDA profile's)
    result = CliRunner().invoke(main, ["convert", str(small_raw), "--out", str(out), "--fail-on", "warning",
                                       "--profile", "pmda"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _digests(out) == before  # OUT exactly as the last good run left it
    rejected = pipeline.rejected_dir(out)
    assert rejected.name == "out.rejected"
    assert sorted(p.name for p in (rejected / "validation").iterdir()) == REPORTS
    assert (rejected / pipeline.SDTM_DIR / "dm.xpt").is_file() and (rejected / pipeline.SDTM_DIR / "define.xml").is_file()
    assert not (rejected / "analysis").exists()  # data that failed validation is not analysed
    message = result.output
    assert "validation found findings at or above --fail-on warning" in message and "Warning CT2002 QS" in message
    assert f"{out} is left as it was" in message and str(rejected / "validation" / "sdtm.html") in message
    # the reports say what stopped it: the same counts as the report of the published output, whose data is the same
    doc = json.loads((rejected / "validation" / "sdtm.json").read_text())
    counts = doc["counts"]
    assert counts == good.validation.reports["sdtm"].counts and counts["Warning"] > 0
    assert doc["header"]["profile"].startswith("PMDA") and good.validation.reports["sdtm"].profile == "fda"
    # a passing run publishes and removes the stale rejected output
    pipeline.convert(small_raw, out, spec, analysis=False, fail_on="never")
    assert not rejected.exists() and (out / "validation" / "sdtm.html").is_file()


def test_a_refused_first_run_publishes_nothing_and_a_bad_threshold_is_a_usage_error(tmp_path, spec):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", "--out", str(out), "--fail-on", "bogus"])
    assert result.exit_code == 2 and not out.exists()
    with pytest.raises(ValueError, match="fail_on must be one of"):  # refused before any work is done
        pipeline.convert(None, out, spec, fail_on="bogus")
    assert not out.exists() and not pipeline.rejected_dir(out).exists()
