"""What convert leaves in OUT when it succeeds, fails, is refused or is killed.

A failed, killed or refused run leaves OUT exactly as the last good run left it (the same paths with
the same SHA-256), says why in one clear message naming the file, and never prints a traceback. A
run that succeeds replaces OUT whole. Runs that must be killed, limited or isolated (kill -9, a full
disk in a private tmpfs, ulimit -f, a read-only mount, two runs at once, a umask) are child
processes; the rest run in-process through click's CliRunner.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main
from cdisc_mirocals.pipeline import ADAM_DIR, SDTM_DIR
from cdisc_mirocals.submission import publish
from faults.cases_text import PAYLOADS
from faults.corpus import CASES, write_bundle, write_case
from faults.once import once, summary
from faults.study import ANALYSIS

CLI = [sys.executable, "-m", "cdisc_mirocals.cli"]
WAIT = 600  # seconds; the machines these run on are shared and slow


def manifest(folder: Path) -> dict[str, str]:
    """Every path below `folder` and the SHA-256 of each file ('dir' for a folder)."""
    return {p.relative_to(folder).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def leftovers(out: Path) -> list[str]:
    """The build or old folders of unfinished runs, and the lock, which lie beside OUT."""
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*"))


def cli(*args, umask: int | None = None, fsize: int | None = None, wrap: list[str] = (), **kwargs):
    def limits():
        if umask is not None:
            os.umask(umask)
        if fsize is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return subprocess.run([*wrap, *CLI, *map(str, args)], capture_output=True, text=True, preexec_fn=limits,
                          timeout=WAIT, **kwargs)


def assert_clean_failure(stderr: str, *says: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("error: ") or re.fullmatch(r"\d+ [a-z ]+", line) for line in lines), stderr
    for text in says:
        assert text in stderr, stderr


def modes(folder: Path) -> set[tuple[str, int]]:
    return {("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in [folder, *folder.rglob("*")]}


@pytest.fixture(scope="session")
def good(corpus_clean, tmp_path_factory):
    """OUT as a good run leaves it: convert in a child process, under umask 022."""
    def build(folder: Path) -> dict:
        run = cli("convert", corpus_clean, "--out", folder / "out", umask=0o022)
        return {"returncode": run.returncode, "stderr": run.stderr}
    folder, run = once(tmp_path_factory, "good", build)
    assert run["returncode"] == 0, run["stderr"]
    return folder / "out"


@pytest.fixture
def previous(good, tmp_path):
    """A copy of the good OUT for one test to run against, and its manifest."""
    out = tmp_path / "run" / "out"
    shutil.copytree(good, out)
    return out, manifest(out)


def bad_raw(corpus_clean: Path, folder: Path) -> Path:
    shutil.copytree(corpus_clean, folder)
    (folder / "death.csv").write_bytes(b"")
    return folder


# ---- permissions

def test_umask_022_gives_files_others_can_read(good):
    assert modes(good) == {("dir", 0o755), ("file", 0o644)}


# ---- kill -9 at several points of a real run

def _build(out: Path) -> Path | None:
    return next(iter(out.parent.glob(f".{out.name}.build-*")), None)


KILL_POINTS = {  # early, while the SDTM files are written, and late (the ADaM files are written, the analysis is)
    "build-started": lambda build: True,
    "sdtm-written": lambda build: any((build / SDTM_DIR).glob("*.xpt")),
    "analysis-written": lambda build: any((build / ADAM_DIR).glob("*.xpt")) and any((build / "analysis").glob("*")),
}


STOPS = [(signal.SIGKILL, point) for point in KILL_POINTS] + [(signal.SIGTERM, "build-started"),
                                                              (signal.SIGINT, "build-started")]


@pytest.mark.parametrize("sig, point", STOPS, ids=[f"{s.name}-{p}" for s, p in STOPS])
def test_a_stopped_run_leaves_the_previous_output_whole_and_the_next_run_cleans_up(sig, point, previous,
                                                                                    corpus_clean, tmp_path):
    out, before = previous
    proc = subprocess.Popen([*CLI, "convert", str(corpus_clean), "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT
    while True:
        build = _build(out)
        if build is not None and KILL_POINTS[point](build):
            proc.send_signal(sig)
            break
        if proc.poll() is not None:
            pytest.fail(f"convert ended (exit {proc.returncode}) before the point '{point}': {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"convert did not reach the point '{point}'")
        time.sleep(0.005)
    _, err = proc.communicate(timeout=WAIT)
    assert manifest(out) == before
    if sig == signal.SIGINT:  # Ctrl-C: click says so, and the run removes its own build folder
        assert proc.returncode == 1 and "Aborted!" in err, err
        assert leftovers(out) == []
        return
    assert proc.returncode == -sig
    assert leftovers(out) == sorted([build.name, f".{out.name}.lock"])  # stopped mid-build: no chance to clean up
    # the next run, even one failing at once on bad data (in-process: no need of a child here)
    run = CliRunner().invoke(main, ["convert", str(bad_raw(corpus_clean, tmp_path / "bad")), "--out", str(out)])
    assert run.exit_code == 1
    assert_clean_failure(run.output, "death.csv: the file is empty")
    assert manifest(out) == before
    assert leftovers(out) == []


def test_a_run_killed_between_the_two_renames_of_the_fallback_is_recovered(good, tmp_path):
    old = tmp_path / ".out.old-4242"  # OUT renamed away, the build not yet renamed in: the kill came here
    shutil.copytree(good, old)
    before = manifest(old)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with publish.publishing(out):
            raise RuntimeError("this run fails too")
    assert manifest(out) == before
    assert leftovers(out) == []


def test_where_renameat2_is_missing_two_renames_replace_out(good, tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    shutil.copytree(good, out)
    with publish.publishing(out) as build:
        (build / "new.txt").write_text("new\n")
    assert sorted(manifest(out)) == [publish.MARKER, "new.txt"]
    assert leftovers(out) == []


# ---- limits of the file system

def _namespace_or_skip() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a private mount namespace")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")


DISK_FULL = """
import hashlib, json, shutil, subprocess, sys
from pathlib import Path
good, raw, mnt, size = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], check=True)
out = mnt / "out"
shutil.copytree(good, out)
def manifest(folder):
    return {str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}
before = manifest(out)
run = subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "convert", raw, "--out", str(out)],
                     capture_output=True, text=True)
print(json.dumps({"returncode": run.returncode, "stderr": run.stderr, "same": manifest(out) == before,
                  "beside": sorted(p.name for p in mnt.iterdir())}))
"""


def test_a_full_disk_leaves_the_previous_output_whole(good, corpus_clean, tmp_path):
    _namespace_or_skip()
    used = sum(-(-p.stat().st_size // 4096) * 4096 for p in good.rglob("*") if p.is_file())
    size = used + used // 2  # room for the previous output and half a new one
    (tmp_path / "mnt").mkdir()
    script = tmp_path / "disk_full.py"
    script.write_text(DISK_FULL)
    run = subprocess.run(["unshare", "-m", sys.executable, str(script), str(good), str(corpus_clean),
                          str(tmp_path / "mnt"), str(size)], capture_output=True, text=True, timeout=WAIT)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["returncode"] == 1, result
    assert_clean_failure(result["stderr"], "No space left on device", "is left as it was")
    assert re.search(r"error: \S+/out/\S+\.\w+ \(being written\): No space left on device", result["stderr"]), result
    assert result["same"] and result["beside"] == ["out"], result  # no build folder and no lock left


def test_a_file_size_limit_leaves_the_previous_output_whole(previous, corpus_clean):
    out, before = previous
    run = cli("convert", corpus_clean, "--out", out, fsize=64 * 1024)
    assert run.returncode == 1, run.stderr
    assert_clean_failure(run.stderr, "File too large", "is left as it was")
    assert re.search(rf"error: {out}/\S+\.\w+ \(being written\): File too large \(the size limit of one file, "
                     r"ulimit -f, is 65536 bytes\)", run.stderr), run.stderr
    assert manifest(out) == before
    assert leftovers(out) == []


def test_an_output_folder_on_a_read_only_mount_fails_at_once(previous, corpus_clean):
    _namespace_or_skip()
    out, before = previous
    parent = str(out.parent)
    mount = ["unshare", "-m", "sh", "-c", f'mount --bind "{parent}" "{parent}" && '
             f'mount -o remount,ro,bind "{parent}" "{parent}" && exec "$@"', "sh"]
    run = cli("convert", corpus_clean, "--out", out, wrap=mount)
    assert run.returncode == 1, run.stderr
    assert_clean_failure(run.stderr, "Read-only file system", f"{out} is left as it was")
    assert run.stdout == ""  # refused before any work: nothing read, mapped or written
    assert manifest(out) == before


@pytest.mark.parametrize("kind", ["a file", "a folder of someone else's files", "a symbolic link"])
def test_an_out_that_is_not_a_replaceable_folder_is_refused(kind, corpus_clean, tmp_path):
    out = tmp_path / "out"
    if kind == "a file":
        out.write_text("notes\n")
    elif kind == "a symbolic link":
        (tmp_path / "elsewhere").mkdir()
        out.symlink_to(tmp_path / "elsewhere")
    else:
        out.mkdir()
        (out / "thesis.docx").write_text("years of work\n")
    before = manifest(tmp_path)
    result = CliRunner().invoke(main, ["convert", str(corpus_clean), "--out", str(out)])
    if kind == "a file":  # click's own check of --out: a usage error
        assert result.exit_code == 2 and "is a file" in result.output, result.output
    else:
        assert result.exit_code == 1
        assert_clean_failure(result.output, str(out))
    assert manifest(tmp_path) == before  # not even a lock file


# ---- two runs at once, a umask of 077, and a raw folder inside OUT

@pytest.fixture(scope="session")
def two_runs(good, corpus_clean, tmp_path_factory):
    """Run A converts OUT/raw into OUT under umask 077; run B, started while A holds OUT, must wait its turn."""
    def build(folder: Path) -> dict:
        out = folder / "out"
        shutil.copytree(good, out)
        shutil.copytree(corpus_clean, out / "raw")
        before = manifest(out)
        a = subprocess.Popen([*CLI, "convert", str(out / "raw"), "--out", str(out)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.umask(0o077))
        deadline = time.monotonic() + WAIT
        while _build(out) is None and a.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        started = a.poll() is None
        b = cli("convert", corpus_clean, "--out", out)
        during = manifest(out)
        _, a_err = a.communicate(timeout=WAIT)
        return {"started": started, "before": before, "during": during, "b_code": b.returncode, "b_err": b.stderr,
                "a_code": a.returncode, "a_err": a_err}
    folder, runs = once(tmp_path_factory, "two_runs", build)
    assert runs["started"], "run A ended before it built anything"
    return {**runs, "out": folder / "out"}


def test_a_second_run_on_the_same_out_is_refused_clearly_and_touches_nothing(two_runs):
    assert two_runs["b_code"] == 1
    assert_clean_failure(two_runs["b_err"], "another cdisc-mirocals run is writing this folder")
    assert two_runs["during"] == two_runs["before"]


def test_the_first_run_then_replaces_out_whole_under_its_umask_keeping_raw(two_runs, corpus_clean):
    out = two_runs["out"]
    assert two_runs["a_code"] == 0, two_runs["a_err"]
    assert modes(out) == {("dir", 0o700), ("file", 0o600)}  # every file is new: none kept the copy's 0644
    assert manifest(out / "raw") == manifest(corpus_clean)
    assert leftovers(out) == []


# ---- the accepted cases, converted together

@pytest.fixture(scope="session")
def bundle(corpus_clean, tmp_path_factory, spec):
    """(outcomes of the cases, check-raw's result, convert's result, OUT): the accepted cases together."""
    def build(folder: Path) -> dict:
        outcomes = write_bundle(corpus_clean, folder / "raw", spec)
        checked = CliRunner().invoke(main, ["check-raw", str(folder / "raw"), "--transliterate"])
        converted = CliRunner().invoke(main, ["convert", str(folder / "raw"), "--out", str(folder / "out"),
                                              "--transliterate"])
        return {"outcomes": {name: {"accepted": o.accepted, "notes": o.notes, "effects": o.effects}
                             for name, o in outcomes.items()},
                "checked": summary(checked), "converted": summary(converted)}
    folder, runs = once(tmp_path_factory, "bundle", build)
    return runs["outcomes"], runs["checked"], runs["converted"], folder / "out"


def test_the_bundle_holds_every_accepted_case_that_changes_values(bundle):
    outcomes, *_ = bundle
    assert len(outcomes) >= 20 and all(o["accepted"] for o in outcomes.values())


def test_check_raw_accepts_the_bundle_with_every_note(bundle):
    outcomes, checked, *_ = bundle
    assert checked["exit_code"] == 0, checked["output"]
    for name, outcome in outcomes.items():
        for note in outcome["notes"]:
            assert note in checked["output"], (name, note)


def test_convert_accepts_the_bundle_and_shows_each_case_in_its_output(bundle):
    outcomes, _, converted, out = bundle
    assert not converted["crashed"], converted["exception"]
    assert converted["exit_code"] == 0, converted["output"]
    for name, outcome in outcomes.items():
        for path, text in outcome["effects"]:
            assert text in (out / path).read_text(encoding="utf-8"), (name, path, text)


def _cells(path: Path):
    """Every cell of a CSV or XLSX file, as text."""
    if path.suffix == ".csv":
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
            yield from row
    else:
        openpyxl = pytest.importorskip("openpyxl")
        for sheet in openpyxl.load_workbook(path, read_only=True).worksheets:
            for row in sheet.iter_rows(values_only=True):
                yield from (v for v in row if isinstance(v, str))


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # a number stays a number: -1.5 is no formula


def formula_cells(path: Path) -> list[str]:
    """Cells a spreadsheet would run as a formula (OWASP): led by = + - @ TAB or CR, and not a number."""
    return [c for c in _cells(path) if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.fullmatch(c)]


def unsafe_content(files: list[Path]) -> list[tuple[str, str]]:
    """(file, cell or payload) for each live formula in a CSV or XLSX file, and each attack payload left
    as markup in an HTML file."""
    found = [(p.name, c) for p in files if p.suffix in (".csv", ".xlsx") for c in formula_cells(p)]
    return found + [(p.name, payload) for p in files if p.suffix in MARKUP
                    for payload in PAYLOADS if payload.startswith("<") and payload in p.read_text(encoding="utf-8")]


MARKUP = (".html", ".htm", ".svg")  # a browser runs a script in any of these


def reports(out: Path, family: str) -> list[Path]:
    """The spreadsheet-bound and browser-bound files of one family of outputs."""
    files = [p for p in sorted(out.rglob("*")) if p.suffix in (".csv", ".xlsx", *MARKUP)]
    families = {"analysis": lambda p: "analysis" in p.relative_to(out).parts[:1],
                "reconciliation": lambda p: p.name == "reconciliation.csv"}
    if family == "others":
        return [p for p in files if not any(f(p) for f in families.values())]
    return [p for p in files if families[family](p)]


def test_the_scanner_finds_what_it_looks_for(tmp_path):
    (tmp_path / "a.csv").write_text("TERM,N\n-1.5,2\n\"=HYPERLINK(\"\"x\"\")\",3\n'=1+1,4\n-2 (-3 to 4),5\n")
    (tmp_path / "b.html").write_text(f"<p>{PAYLOADS[2]}</p><p>&lt;script&gt;</p>")
    assert unsafe_content([tmp_path / "a.csv", tmp_path / "b.html"]) == [
        ("a.csv", '=HYPERLINK("x")'), ("a.csv", "-2 (-3 to 4)"), ("b.html", PAYLOADS[2])]


@pytest.mark.parametrize("family", [
    "others",  # OUT/validation/ once branch validate lands (HTML, XLSX, CSV reports of findings)
    "analysis",
    "reconciliation",  # SUBJID is free text: '=1+2' in the corpus
])
def test_no_output_holds_a_live_formula_or_unescaped_markup(family, bundle):
    *_, out = bundle
    assert unsafe_content(reports(out, family)) == []


@pytest.mark.parametrize("family, neutralised", [
    ("analysis", ("'" + PAYLOADS[0], html.escape(PAYLOADS[2]))),  # AEDECOD and AEBODSYS reach the safety tables
    ("reconciliation", ("'=1+2",)),
])
def test_the_attacks_reached_the_outputs_scanned_and_were_neutralised_there(family, neutralised, bundle):
    *_, out = bundle
    files = reports(out, family)
    cells = {c for p in files if p.suffix == ".csv" for c in _cells(p)}
    markup = "".join(p.read_text(encoding="utf-8") for p in files if p.suffix in MARKUP)
    for text in neutralised:
        assert text in cells or text in markup, text


# ---- studies that cannot be analysed

ANALYSIS_CASES = [c for c in CASES if c.group == "analysis"]


@pytest.fixture(scope="session")
def analysis_runs(good, corpus_clean, tmp_path_factory, spec):
    """Each study converted into a copy of a good OUT (run in-process)."""
    def build(folder: Path) -> dict:
        runs = {}
        for case in ANALYSIS_CASES:
            outcome = write_case(case, corpus_clean, folder / case.name / "raw", spec)
            assert outcome.convert == ANALYSIS
            out = folder / case.name / "out"
            shutil.copytree(good, out)
            before = manifest(out)
            start = time.time()
            result = CliRunner().invoke(main, ["convert", str(folder / case.name / "raw"), "--out", str(out)])
            runs[case.name] = {**summary(result), "before": before, "start": start}
        return runs
    folder, runs = once(tmp_path_factory, "analysis_runs", build)
    return {name: {**run, "out": folder / name / "out"} for name, run in runs.items()}


@pytest.mark.parametrize("name", [c.name for c in ANALYSIS_CASES])
def test_a_study_that_cannot_be_analysed_leaves_out_whole_old_or_whole_new(name, analysis_runs):
    run = analysis_runs[name]
    out = run["out"]
    if run["exit_code"] == 0:
        assert all(p.stat().st_mtime >= run["start"] - 1 for p in out.rglob("*") if p.is_file())  # nothing stale
    else:
        assert run["exit_code"] == 1
        assert manifest(out) == run["before"]
    assert leftovers(out) == []


def _skips(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "skipped" and isinstance(v, str) and v] + \
            [s for v in node.values() for s in _skips(v)]
    return [s for v in node for s in _skips(v)] if isinstance(node, list) else []


@pytest.mark.parametrize("name", [c.name for c in ANALYSIS_CASES])
def test_a_study_that_cannot_be_analysed_converts_and_says_why(name, analysis_runs):
    run = analysis_runs[name]
    assert not run["crashed"], run["exception"]
    assert run["exit_code"] == 0, run["output"]
    assert (run["out"] / SDTM_DIR / "dm.xpt").is_file()
    reasons = set(_skips(json.loads((run["out"] / "analysis" / "results.json").read_text())))
    assert reasons, "results.json gives no reason"
    for reason in reasons:
        assert f"not done: {reason}" in run["output"], reason
