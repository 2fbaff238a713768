"""The command line: help everywhere, a version, the main job on the default study, quiet when piped."""

import pytest
from click.testing import CliRunner

from cdisc_mirocals import __version__
from cdisc_mirocals.cli import main

COMMANDS = ["simulate", "check-raw", "convert", "analyze", "specs"]


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("command", [[]] + [[c] for c in COMMANDS])
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, command + ["--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_convert_without_raw_dir_runs_the_main_job_on_the_default_study(tmp_path, spec):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (out / "raw").glob("*.csv"))
    assert files == sorted(f.file for f in spec.raw.values())
    assert "simulated the default study" in result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["FORM", "FILE", "raw", "mapped", "excluded"]
    for form in spec.raw.values():
        assert form.file in result.output
    rand = next(line for line in lines if line.startswith("RAND "))
    assert rand.split()[2:] == ["220", "220", "0"]
    sdtm = sorted(p.name for p in (out / "m5/datasets/mirocals/tabulations/sdtm").glob("*.xpt"))
    # Every specified dataset has records (SUPPAE: the treatment-emergent flag of every AE).
    assert sdtm == sorted(f"{d.lower()}.xpt" for d in spec.sdtm.datasets)
    adam = sorted(p.name for p in (out / "m5/datasets/mirocals/analysis/adam/datasets").glob("*.xpt"))
    assert adam == ["adae.xpt", "adqs.xpt", "adre.xpt", "adsl.xpt", "adtte.xpt"]  # ADQS, ADRE: issue 19
    assert (out / "reconciliation.csv").exists()
    # the validator ran on what was written, before publishing: no Reject or Error, reports in OUT/validation
    assert "validation: SDTM: 0 Reject, 0 Error, " in result.output and "validation: ADaM: 0 Reject, 0 Error, " in result.output
    assert sorted(p.name for p in (out / "validation").iterdir()) == [f"{s}.{x}" for s in ("adam", "sdtm")
                                                                      for x in ("html", "json", "xlsx")]


def test_convert_stops_on_bad_raw_data_and_writes_no_datasets(tmp_path, default_raw_dir):
    import shutil
    raw = tmp_path / "raw"
    shutil.copytree(default_raw_dir, raw)
    (raw / "death.csv").write_bytes(b"")
    result = CliRunner().invoke(main, ["convert", str(raw), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "death.csv" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "m5").exists()


def test_progress_stays_quiet_when_output_is_not_a_terminal(tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--subjects", "10", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.strip() == f"wrote 17 raw forms to {tmp_path}/"


def test_a_missing_raw_folder_is_a_clean_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["check-raw", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_specs_command_reports_what_the_specs_define():
    result = CliRunner().invoke(main, ["specs"])
    assert result.exit_code == 0, result.output
    assert "SDTM:" in result.output and "ADaM:" in result.output and "raw: 17 forms" in result.output
