"""Every simulated value satisfies the edit checks of specs/raw, at any study size and for any seed.

The checks are re-stated here with vectorised pandas, independently of the pandera schemas the raw
reader builds, and run on the forms in memory (simulation only, no files, no conversion).
"""

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.simulate import simulate_study


def _violations(forms: dict[str, pd.DataFrame], spec) -> list[str]:
    found = []
    for name, form in spec.raw.items():
        df = forms[name]
        for f in form.fields:
            raw = pd.Series(pd.unique(df[f.name].astype(str)))  # each distinct value checked once
            text = raw.str.strip()
            blank = text == ""
            bad = pd.Series(False, index=raw.index)
            if f.required:
                bad |= blank
            if f.type in ("integer", "float"):
                number = pd.to_numeric(text.where(~blank), errors="coerce")
                bad |= ~blank & number.isna()
                if f.type == "integer":
                    bad |= ~blank & ~text.str.fullmatch(r"[+-]?\d+")
                if f.min is not None:
                    bad |= number < f.min
                if f.max is not None:
                    bad |= number > f.max
            if f.allowed:
                bad |= ~blank & ~text.str.casefold().isin({v.casefold() for v in f.allowed})
            if f.length is not None:
                bad |= raw.str.encode("utf-8").str.len() > f.length
            if bad.any():
                found.append(f"{name}.{f.name}: {int(bad.sum())} distinct values such as {sorted(raw[bad])[:5]}")
    return found


def test_the_checker_finds_a_value_below_a_minimum(spec):
    """The checker is not vacuous: a pulse of 24 (issue 10's seed-18 failure) is found."""
    forms = simulate_study(5, 1, spec)
    forms["VS"] = forms["VS"].copy()
    forms["VS"].loc[0, "PULSE"] = "24"
    assert any(v.startswith("VS.PULSE: 1 distinct values such as ['24']") for v in _violations(forms, spec))


@pytest.fixture(scope="session")
def study_20000(spec):
    return simulate_study(20000, 7, spec)


def test_20000_subjects_stay_inside_specs_raw(study_20000, spec):
    assert _violations(study_20000, spec) == []


@pytest.mark.parametrize("seed", range(1, 51))
def test_every_seed_at_220_stays_inside_specs_raw(seed, spec):
    assert _violations(simulate_study(220, seed, spec), spec) == []


def test_bounded_vital_signs_do_not_pile_on_a_bound(study_20000, spec):
    """Truncated draws, not clipping: no more values sit on a bound than just inside it."""
    vs = study_20000["VS"]
    for field in ("SYSBP", "DIABP", "PULSE", "WEIGHT", "TEMP"):
        f = next(x for x in spec.raw["VS"].fields if x.name == field)
        values = pd.to_numeric(vs[field], errors="coerce").dropna()
        for bound in (f.min, f.max):
            at = int((values == bound).sum())
            assert at <= max(3, 2 * int((np.abs(values - bound) <= 1).sum() - at)), (field, bound, at)
