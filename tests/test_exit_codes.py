"""One exit-code rule for every command (README, "Exit codes"): 0 done, 1 the data, the specs or the output
failed, 2 the command line is wrong; and the output folders the README promises, run from an empty folder
and from one holding other files, with no lock file left behind."""

import os
import re
import shutil

import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def small_specs(tmp_path_factory, spec):
    """The package's specs with a default study of 30 subjects: the folder handling is what is tested."""
    folder = tmp_path_factory.mktemp("specs") / "specs"
    shutil.copytree(spec.root, folder)
    toml = folder / "study.toml"
    text, n = re.subn(r"(?m)^default_subjects = \d+", "default_subjects = 30", toml.read_text())
    assert n == 1
    toml.write_text(text)
    return folder


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw") / "raw"
    assert run("simulate", "--subjects", "30", "--out", folder).exit_code == 0
    return folder


@pytest.fixture(scope="module")
def adam_dir(tmp_path_factory, small_raw):
    out = tmp_path_factory.mktemp("converted") / "out"
    assert run("convert", small_raw, "--out", out).exit_code == 0
    return out / "m5/datasets/mirocals/analysis/adam/datasets"


@pytest.fixture(params=["empty", "holding other files"])
def here(request, tmp_path, monkeypatch):
    folder = tmp_path / "here"
    folder.mkdir()
    if request.param != "empty":
        (folder / "notes.txt").write_text("the user's own file\n")
        (folder / "data").mkdir()
    monkeypatch.chdir(folder)
    return folder


def entries(folder):
    return sorted(p.name for p in folder.iterdir())


def no_lock_anywhere(folder):
    locks = [str(p) for p in folder.rglob("*.lock")]
    assert locks == [], locks


# ---- usage errors: 2 -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["convert", "--ouput", "x"],                       # an unknown option
    ["convert", "--fail-on", "erorr"],                 # a value the option does not take
    ["validate", "{missing}"],                         # a path that does not exist
    ["check-raw", "{missing}"],
    ["analyze", "{adam}", "--tau", "0"],               # a value out of range
    ["analyze", "{adam}", "--param", "NOPE"],          # a parameter the data do not have
    ["analyze", "{adam}", "--reference", "placebo"],   # an arm the data do not have (its case differs)
    ["analyze", "{adam}", "--treatment-var", "NOPE"],  # a variable the data do not have
    ["validate", "{empty}"],                           # a folder holding nothing to validate
    ["convert", "--out", "."],                         # the current folder cannot be replaced whole
    ["nonsense"],                                      # an unknown command
])
def test_a_wrong_command_line_exits_2(args, adam_dir, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(tmp_path)
    result = run(*[a.format(missing=tmp_path / "missing", adam=adam_dir, empty=empty) for a in args])
    assert result.exit_code == 2, result.output
    assert "rror" in result.output  # click's "Error:" or our "error:", one message
    assert not (tmp_path / "out").exists()


# ---- data errors: 1 --------------------------------------------------------------------------------

def test_raw_data_that_fails_its_checks_exits_1(small_raw, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw)
    (raw / "death.csv").write_bytes(b"")
    assert run("check-raw", raw).exit_code == 1
    assert run("convert", raw, "--out", tmp_path / "out").exit_code == 1


def test_an_unreadable_dataset_and_findings_at_fail_on_exit_1(adam_dir, tmp_path):
    folder = tmp_path / "adam"
    shutil.copytree(adam_dir, folder)
    assert run("validate", folder, "--fail-on", "never").exit_code == 0
    (folder / "define.xml").unlink()  # DD0101, a Reject: no define.xml
    assert run("validate", folder, "--fail-on", "reject").exit_code == 1
    (folder / "adae.xpt").write_bytes(b"not a transport file")
    result = run("validate", folder, "--fail-on", "never")
    assert result.exit_code == 1 and "adae.xpt" in result.output


# ---- output folders ---------------------------------------------------------------------------------

def test_convert_out_dot_is_refused_and_touches_nothing(here, small_raw):
    before = entries(here)
    result = run("convert", small_raw, "--out", ".")
    assert result.exit_code == 2 and "cannot be the current folder" in result.output
    assert entries(here) == before
    assert entries(here.parent) == ["here"]  # no build folder, lock or OUT.rejected beside it


def test_convert_out_a_new_folder_writes_it_and_leaves_no_lock(here, small_raw):
    before = entries(here)
    result = run("convert", small_raw, "--out", "./x")
    assert result.exit_code == 0, result.output
    assert entries(here) == sorted(before + ["x"])
    assert (here / "x/m5/datasets/mirocals/analysis/adam/datasets/adtte.xpt").is_file()
    assert (here / "x/analysis/report.html").is_file()
    no_lock_anywhere(here)
    assert run("convert", small_raw, "--out", "./x").exit_code == 0  # a rerun replaces it
    assert entries(here) == sorted(before + ["x"])
    no_lock_anywhere(here)


def test_a_refused_convert_lists_what_it_wrote_and_where(here, small_raw):
    result = run("convert", small_raw, "--out", "x", "--fail-on", "warning")
    assert result.exit_code == 1
    assert not (here / "x").exists() and (here / "x.rejected").is_dir()
    out = result.output
    assert re.search(r"(?m)^RAND\s+rand\.csv\s+30\s+30\s+0$", out), out  # the per-form record table
    assert re.search(r"(?m)^wrote \d+ SDTM datasets to x\.rejected/m5/datasets/mirocals/tabulations/sdtm/$", out), out
    assert "wrote the validation reports (HTML, JSON, XLSX) to x.rejected/validation/" in out
    assert "error: validation found findings at or above --fail-on warning" in out
    no_lock_anywhere(here)


def test_analyze_without_adam_dir_converts_the_default_study_inside_out(here, small_specs):
    before = entries(here)
    result = run("analyze", "--out", "results", "--specs", small_specs)
    assert result.exit_code == 0, result.output
    assert entries(here) == sorted(before + ["results"])
    results = here / "results"
    assert (results / "report.html").is_file() and (results / "results.json").is_file()
    assert (results / "study/m5/datasets/mirocals/analysis/adam/datasets/adsl.xpt").is_file()
    assert "converted the default study into results/study/" in result.output
    no_lock_anywhere(here)
    assert not [p for p in here.rglob(".*") if p.name != ".cdisc-mirocals"]  # no build folder left
