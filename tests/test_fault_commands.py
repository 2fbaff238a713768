"""The corpus's command-level faults: simulate and check-raw given what they cannot use, and files a
user may not read or write. Each ends with one clear message naming the file, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main

NOBODY = 65534


def invoke(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def test_simulate_refuses_a_negative_seed(tmp_path):
    result = invoke(["simulate", "--seed", "-5", "--out", tmp_path / "raw"])
    assert result.exit_code == 2 and "-5 is not in the range x>=0" in result.output, result.output
    assert not (tmp_path / "raw").exists()


def test_a_study_of_zero_subjects_is_refused_by_check_raw_and_convert_alike(tmp_path):
    assert invoke(["simulate", "--subjects", "0", "--out", tmp_path / "raw"]).exit_code == 0  # header-only forms
    says = "error: enrol.csv: at least one subject: the form has its header but no records, so there is nothing"
    for command in (["check-raw", tmp_path / "raw"], ["convert", tmp_path / "raw", "--out", tmp_path / "out"]):
        result = invoke(command)
        assert result.exit_code == 1 and says in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_simulate_into_a_path_under_a_file_names_it(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    result = invoke(["simulate", "--subjects", "2", "--out", tmp_path / "notes.txt" / "raw"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: {tmp_path / 'notes.txt'}"), result.output
    assert "Not a directory" in result.output


def test_simulate_one_subject_gives_a_study_check_raw_accepts(tmp_path):
    assert invoke(["simulate", "--subjects", "1", "--out", tmp_path / "raw"]).exit_code == 0
    result = invoke(["check-raw", tmp_path / "raw"])
    assert result.exit_code == 0 and "no problems" in result.output, result.output


def test_check_raw_on_an_sdtm_folder_lists_every_missing_form(tmp_path, spec):
    (tmp_path / "dm.xpt").write_bytes(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
    result = invoke(["check-raw", tmp_path])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert sorted(errors) == sorted(f"error: {f.file}: the {f.description} form is missing: expected a file "
                                    f"named {f.file}" for f in spec.raw.values())


def test_check_raw_on_a_file_is_a_usage_error(tmp_path, corpus_clean):
    result = invoke(["check-raw", corpus_clean / "ae.csv"])
    assert result.exit_code == 2 and "is a file" in result.output


@pytest.fixture
def shared_tmp():
    """A folder every user can enter (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="mirocals-nobody-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def as_nobody(*args):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv(1) to run a command as an ordinary user, to whom permissions apply")
    nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable]
    # run from "/": the checkout may lie in a folder private to root (mktemp -d makes them so), which the
    # ordinary user could not start in, though it can reach everything the command needs
    probe = subprocess.run([*nobody, "-c", "import cdisc_mirocals.cli"], capture_output=True, text=True, timeout=120,
                           cwd="/")
    if probe.returncode:  # e.g. a virtual environment inside a folder private to root
        pytest.skip(f"an ordinary user cannot import cdisc_mirocals with {sys.executable} (a folder above it may "
                    f"be private to root, as mktemp -d makes them): {probe.stderr.strip().splitlines()[-1]}")
    return subprocess.run([*nobody, "-m", "cdisc_mirocals.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd="/")


def test_a_raw_file_the_user_may_not_read_is_named(shared_tmp, corpus_clean):
    raw = shared_tmp / "raw"
    shutil.copytree(corpus_clean, raw)
    for p in [raw, *raw.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (raw / "lab.csv").chmod(0o000)
    run = as_nobody("check-raw", raw)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "error: lab.csv: a file that can be read: Permission denied" in run.stderr


def test_an_output_folder_the_user_may_not_write_fails_at_once(shared_tmp, corpus_clean):
    raw = shared_tmp / "raw"
    shutil.copytree(corpus_clean, raw)
    for p in [raw, *raw.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    locked = shared_tmp / "locked"
    locked.mkdir(mode=0o755)  # root's: nobody may not create anything in it
    run = as_nobody("convert", raw, "--out", locked / "out")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert f"error: {locked}/.out.lock: Permission denied; {locked / 'out'} is left as it was" in run.stderr
    assert run.stdout == ""  # refused before reading, mapping or writing anything
    assert list(locked.iterdir()) == []
