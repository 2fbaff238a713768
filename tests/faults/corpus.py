"""The fault corpus: every case written as a faulty copy of one clean simulated study.

    python tests/faults/corpus.py OUT      # OUT/clean, OUT/<case>/ for every case, OUT/outcomes.json

Each case changes one thing and states the exact outcome: the errors check-raw reports (file, line,
column) or that the study is accepted, with what is normalised and logged. The accepted cases that
change values are also written together into one study (`write_bundle`), which convert must turn
into a complete output showing each case's effect. Process and file-system faults (kill -9, a full
disk, ulimit -f, two runs at once, umask, an unwritable folder) are in tests/test_fault_outputs.py.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `faults` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faults import cases_file, cases_study, cases_text, cases_values  # noqa: E402
from faults.study import BUNDLE, Case, Outcome, Study  # noqa: E402

CASES: list[Case] = cases_file.CASES + cases_values.CASES + cases_text.CASES + cases_study.CASES
CLEAN_SUBJECTS, CLEAN_SEED = 20, 2024


def write_clean(folder: Path, spec) -> Path:
    from cdisc_mirocals.simulate import simulate_study, write_forms
    write_forms(simulate_study(CLEAN_SUBJECTS, CLEAN_SEED, spec), folder, spec)
    return folder


def write_case(case: Case, clean: Path, folder: Path, spec) -> Outcome:
    shutil.copytree(clean, folder)
    return case.make(Study(folder, spec))


def write_bundle(clean: Path, folder: Path, spec) -> dict[str, Outcome]:
    """One study holding every BUNDLE case, applied in turn; {case name: its outcome in that study}."""
    shutil.copytree(clean, folder)
    study = Study(folder, spec)
    outcomes = {}
    for case in CASES:
        probe = _probe(case, clean, spec)
        if probe.convert == BUNDLE:
            outcomes[case.name] = case.make(study)
    return outcomes


def _probe(case: Case, clean: Path, spec) -> Outcome:
    """A case's outcome without keeping its copy (outcomes are computed from the clean study)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        return write_case(case, clean, Path(tmp) / "case", spec)


def main(out: str) -> None:
    from cdisc_mirocals.spec import load_spec
    spec = load_spec()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=False)
    clean = write_clean(out_dir / "clean", spec)
    index = {}
    for case in CASES:
        outcome = write_case(case, clean, out_dir / case.name, spec)
        index[case.name] = {"group": case.group, "summary": case.summary, **asdict(outcome)}
    (out_dir / "outcomes.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(CASES)} cases to {out_dir}/")


if __name__ == "__main__":
    main(sys.argv[1])
