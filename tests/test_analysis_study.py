"""On the simulated study, read back from its ADaM XPT files, the analyses show what the trial reported:
an unadjusted OS640 HR near 0.8 that is not significant, a benefit with low pNFH, none with high pNFH."""

import json

import numpy as np
import pytest

from cdisc_mirocals import pipeline
from cdisc_mirocals.adam import derive_adam
from cdisc_mirocals.analysis.data import load_param, read_dataset
from cdisc_mirocals.analysis.survival import analyse
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.sdtm import map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.submission.package import write_frames

SEEDS = (11, 12, 13, 14, 15, 16)


@pytest.fixture(scope="module")
def os640_by_seed(spec, tmp_path_factory):
    results = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"seed{seed}")
        write_forms(simulate_study(220, seed, spec), folder / "raw", spec)
        adam = derive_adam(map_sdtm(read_raw(folder / "raw", spec), spec).datasets, spec)
        write_frames(adam, folder / "adam", spec, "ADaM")
        params, options = pipeline.analysis_options(spec)
        data = load_param(read_dataset(folder / "adam", "ADTTE"), read_dataset(folder / "adam", "ADSL"), "OS640", options)
        results[seed] = analyse(data).to_dict()
    return results


def _geomean(values):
    return float(np.exp(np.mean(np.log(values))))


def test_unadjusted_os640_hazard_ratio_is_near_0_8_and_mostly_not_significant(os640_by_seed):
    cox = [r["cox"]["unadjusted"] for r in os640_by_seed.values()]
    assert 0.62 <= _geomean([c["hr"] for c in cox]) <= 0.98
    assert sum(c["p"] > 0.05 for c in cox) >= len(cox) / 2


def test_low_pnfh_benefits_and_high_pnfh_does_not(os640_by_seed):
    low = [r["cox"]["pnfh_low"]["hr"] for r in os640_by_seed.values()]
    high = [r["cox"]["pnfh_high"]["hr"] for r in os640_by_seed.values()]
    assert _geomean(low) <= 0.7 and _geomean(high) >= 1.0
    assert sum(lo < hi for lo, hi in zip(low, high)) >= len(low) - 1


def test_every_analysis_is_present_on_the_simulated_study(os640_by_seed):
    r = next(iter(os640_by_seed.values()))
    assert r["logrank"]["stratified"] is not None and r["logrank"]["stratified"]["strata"] == "STRATAR"
    for model in ("unadjusted", "stratified", "adjusted", "pnfh_low", "pnfh_high", "pnfh_interaction", "pnfh_adjusted"):
        assert r["cox"][model] is not None, model
        assert r["cox"][model]["p"] is not None and 0 <= r["cox"][model]["p"] <= 1
    assert r["cox"]["adjusted"]["terms"] == ["STRAT2R=LIMB", "STRAT1R=UNITED KINGDOM", "AGE", "ALSFRSBL", "log(PNFHBL)"]
    assert r["rmst"]["tau"] == 640 and r["rmst"]["difference"] is not None
    assert [a["arm"] for a in r["arms"]] == ["Placebo", "Aldesleukin 2 MIU"]
    assert [s["time"] for s in r["arms"][0]["survival_at"]] == [180, 365, 640]


def test_the_main_job_ends_with_the_analysis_of_the_default_study(tmp_path, default_raw_dir, spec):
    result = pipeline.convert(default_raw_dir, tmp_path, spec)
    analyses = json.loads((tmp_path / "analysis" / "results.json").read_text())["analyses"]
    assert [a["paramcd"] for a in analyses] == ["OS640", "OS", "DTHTRV"]
    primary = analyses[0]["cox"]
    assert 0.65 <= primary["unadjusted"]["hr"] <= 0.95 and primary["unadjusted"]["p"] > 0.05
    assert primary["pnfh_low"]["hr"] < 0.8 and primary["pnfh_high"]["hr"] >= 1
    assert {p.name for p in result.analysis.files} >= {"km_os640.png", "km_os640.svg", "forest.svg", "tables.md"}
