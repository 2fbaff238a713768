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
        results[seed] = analyse(data)
    return results


def _geomean(values):
    return float(np.exp(np.mean(np.log(values))))


def test_unadjusted_os640_hazard_ratio_is_near_0_8_and_mostly_not_significant(os640_by_seed):
    cox = [r["cox_unadjusted"] for r in os640_by_seed.values()]
    assert 0.62 <= _geomean([c.get("hr") for c in cox]) <= 0.98
    assert sum(c.get("hr", "p") > 0.05 for c in cox) >= len(cox) / 2


def test_low_pnfh_benefits_and_high_pnfh_does_not(os640_by_seed):
    low = [r["cox_pnfh_low"].get("hr") for r in os640_by_seed.values()]
    high = [r["cox_pnfh_high"].get("hr") for r in os640_by_seed.values()]
    assert _geomean(low) <= 0.7 and _geomean(high) >= 1.0
    assert sum(lo < hi for lo, hi in zip(low, high)) >= len(low) - 1


def test_every_analysis_is_done_on_the_simulated_study(os640_by_seed):
    r = next(iter(os640_by_seed.values()))
    assert all(res.done for res in r.results.values()), [res.skipped for res in r.results.values()]
    assert r["logrank_stratified"].parameters["strata"] == "STRATAR"
    for name in ("cox_unadjusted", "cox_stratified", "cox_adjusted", "cox_pnfh_low", "cox_pnfh_high", "cox_log_pnfh"):
        assert 0 <= r[name].get("hr", "p") <= 1 and 0 <= r[name].get("ph_global", "p") <= 1, name
    assert 0 <= r["cox_pnfh_interaction"].get("interaction", "p") <= 1
    assert r["cox_adjusted"].parameters["columns"] == ["trt1", "STRAT2R=LIMB", "STRAT1R=UNITED KINGDOM", "AGE",
                                                       "ALSFRSBL", "log(PNFHBL)"]
    assert r["rmst"].parameters["tau"] == 640 and r["rmst"].get("difference") is not None
    assert r.data.arms == ["Placebo", "Aldesleukin 2 MIU"]
    assert r["km"].rows("survival", group="Placebo")["time"].tolist() == [180, 365, 640]


def test_the_main_job_ends_with_the_analysis_of_the_default_study(default_outputs):
    result, out = default_outputs
    document = json.loads((out / "analysis" / "results.json").read_text())
    assert [p["paramcd"] for p in document["parameters"]] == ["OS640", "OS", "DTHTRV"]
    results = {r["key"]: r for r in document["results"]}
    hr = {k: next(x for x in results[f"OS640/{k}"]["summary"] if x["name"] == "hr") for k in
          ("cox_unadjusted", "cox_pnfh_low", "cox_pnfh_high")}
    assert 0.65 <= hr["cox_unadjusted"]["estimate"] <= 0.95 and hr["cox_unadjusted"]["p"] > 0.05
    assert hr["cox_pnfh_low"]["estimate"] < 0.8 and hr["cox_pnfh_high"]["estimate"] >= 1
    assert {p.name for p in result.analysis.files} >= {"km_os640.png", "km_os640.svg", "forest.svg", "tables.md",
                                                       "report.html", "safety.json", "consort.svg"}
