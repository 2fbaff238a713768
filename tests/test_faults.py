"""The fault corpus (tests/faults) against check-raw: the exact outcome of every case, and no traceback.

A refused case gets exactly its errors, each at its file, line and column. An accepted case exits 0,
notes every change made to a value, and read_raw gives the typed values stated. convert reads the raw
folder with the same read_raw before anything else, so its verdict on raw data is check-raw's: a
sample of refused cases proves it (same errors, no output). That convert also accepts what check-raw
accepts is shown for every accepted case: its typed data are the clean study's (SAME), or it is
converted with the other accepted cases (BUNDLE) or alone (ANALYSIS) in test_fault_outputs.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main
from faults.corpus import CASES, write_case
from faults.study import ANALYSIS, BUNDLE, SAME, Outcome


@pytest.fixture(scope="session")
def clean_forms(corpus_clean, spec):
    from cdisc_mirocals.raw import read_raw
    return read_raw(corpus_clean, spec).forms


def run(args: list[str]):
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output, result.output
    return result


def assert_outcome(result, outcome: Outcome) -> None:
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    if outcome.accepted:
        assert result.exit_code == 0, result.output
        assert "no problems" in result.output
        notes = [line for line in result.output.splitlines() if line.startswith("note: ")]
        for note in outcome.notes:
            assert any(note in line for line in notes), (note, notes)
        assert len(notes) == len(outcome.notes), notes
        return
    assert result.exit_code == 1, result.output
    for expected in outcome.errors:
        assert any(expected.found_in(line) for line in errors), (expected, errors)
    if outcome.exact:
        assert len(errors) == len(outcome.errors), errors
        n = len(errors)
        assert result.output.rstrip().endswith(f"{n} raw data error{'s' if n != 1 else ''}")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_check_raw_gives_the_exact_outcome(case, corpus_clean, clean_forms, tmp_path, spec):
    raw = tmp_path / "raw"
    outcome = write_case(case, corpus_clean, raw, spec)
    result = run(["check-raw", str(raw), *outcome.options])
    assert_outcome(result, outcome)
    if outcome.typed or outcome.convert == SAME:
        from cdisc_mirocals.raw import LINE, read_raw
        study = read_raw(raw, spec, transliterate="--transliterate" in outcome.options)
        for form, line, field, value in outcome.typed:
            rows = study[form][study[form][LINE] == line]
            assert len(rows) == 1, (form, line)
            assert rows[field].iloc[0] == value, (form, line, field, rows[field].iloc[0])
        if outcome.convert == SAME:
            for name, frame in clean_forms.items():
                pd.testing.assert_frame_equal(study[name].drop(columns=LINE), frame.drop(columns=LINE), obj=name)


SAMPLE = ("missing_form", "latin1_file", "truncated_in_quotes", "duplicated_column", "float_1e80_dose",
          "result_too_long", "impossible_date", "duplicate_key_trailing_space", "aeterm_too_many_parts",
          "bel_in_text", "zero_subjects")


@pytest.mark.parametrize("name", SAMPLE)
def test_convert_refuses_what_check_raw_refuses_with_the_same_errors(name, corpus_clean, tmp_path, spec):
    case = next(c for c in CASES if c.name == name)
    raw = tmp_path / "raw"
    outcome = write_case(case, corpus_clean, raw, spec)
    converted = run(["convert", str(raw), "--out", str(tmp_path / "out"), *outcome.options])
    assert converted.exit_code == 1
    assert_outcome(converted, outcome)  # the errors check-raw gives (test_check_raw_gives_the_exact_outcome)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]  # no build folder left, and no lock


def test_the_corpus_holds_the_issue_cases():
    names = {c.name for c in CASES}
    assert len(names) == len(CASES) >= 91
    groups = {c.group for c in CASES}
    assert groups >= {"file", "header", "number", "date", "code", "subject", "key", "length", "ascii", "control",
                      "injection", "edit check", "analysis"}


def test_every_accepted_case_shows_how_convert_accepts_it(corpus_clean, tmp_path, spec):
    for case in CASES:
        outcome = write_case(case, corpus_clean, tmp_path / case.name, spec)
        assert outcome.accepted == (outcome.convert in (SAME, BUNDLE, ANALYSIS)), case.name
        assert not outcome.effects or outcome.convert == BUNDLE, case.name
