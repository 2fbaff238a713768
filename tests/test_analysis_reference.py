"""Survival statistics checked against hand-worked values, properties, an independent implementation,
and the number-at-risk table the R Consortium Submission Pilot 1 published for the CDISC pilot."""

import json
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import chi2
from statsmodels.duration.hazard_regression import PHReg

from cdisc_mirocals.analysis.cox import cox
from cdisc_mirocals.analysis.km import at_risk, kaplan_meier
from cdisc_mirocals.analysis.logrank import logrank, stratified_logrank
from cdisc_mirocals.analysis.rmst import rmst
from cdisc_mirocals.cli import main

from conftest import REFERENCE

PILOT_ADAM = REFERENCE / "cdiscpilot01_tdf" / "adam"
# R Consortium Submission Pilot 1, tlf-kmplot.pdf (../shared/reference/README.md): number at risk, TRT01A
PUBLISHED_AT_RISK = {
    "Placebo": [86, 75, 65, 59, 50, 47, 45, 42, 40, 35, 0],
    "Xanomeline Low Dose": [84, 58, 31, 20, 14, 12, 8, 6, 6, 5, 0],
    "Xanomeline High Dose": [84, 48, 31, 14, 7, 4, 4, 4, 4, 3, 0],
}


@pytest.fixture
def tiny():
    """Arm A: events at 1 and 3, censored at 5. Arm B: events at 2, 4 and 6."""
    return pd.DataFrame({"time": [1, 3, 5, 2, 4, 6], "event": [1, 1, 0, 1, 1, 1], "arm": list("AAABBB")})


def test_kaplan_meier_steps_and_median_by_hand(tiny):
    a = kaplan_meier(tiny, "A", [1, 2, 3, 5])
    assert [s["survival"] for s in a.survival_at] == pytest.approx([2 / 3, 2 / 3, 1 / 3, 1 / 3])
    assert (a.n, a.events, a.median) == (3, 2, 3)
    b = kaplan_meier(tiny, "B", [2, 4, 6])
    assert [s["survival"] for s in b.survival_at] == pytest.approx([2 / 3, 1 / 3, 0])
    assert b.median == 4


def test_log_rank_by_hand(tiny):
    # at each event time: (n_A, n_B, deaths, deaths in A)
    table = [(3, 3, 1, 1), (2, 3, 1, 0), (2, 2, 1, 1), (1, 2, 1, 0), (0, 1, 1, 0)]
    o_minus_e, variance = Fraction(0), Fraction(0)
    for na, nb, d, da in table:
        n = na + nb
        o_minus_e += da - Fraction(na * d, n)
        if n > 1:
            variance += Fraction(na * nb * d * (n - d), n * n * (n - 1))
    expected = float(o_minus_e ** 2 / variance)
    result = logrank(tiny)
    assert result.chisq == pytest.approx(expected) and result.df == 1
    assert result.p == pytest.approx(chi2.sf(expected, 1))


def test_stratified_log_rank_sums_observed_minus_expected_over_strata(tiny):
    two = pd.concat([tiny.assign(s="x"), tiny.assign(s="y", time=tiny["time"] * 2, event=[1, 0, 1, 1, 1, 0])])
    o_e, v = 0.0, 0.0
    for _, part in two.groupby("s"):
        for t in sorted(part.loc[part["event"] == 1, "time"].unique()):
            risk = part[part["time"] >= t]
            n, na = len(risk), (risk["arm"] == "A").sum()
            d = ((part["time"] == t) & (part["event"] == 1)).sum()
            da = ((part["time"] == t) & (part["event"] == 1) & (part["arm"] == "A")).sum()
            o_e += da - na * d / n
            v += na * (n - na) * d * (n - d) / (n * n * (n - 1)) if n > 1 else 0
    result = stratified_logrank(two, "s")
    assert result.chisq == pytest.approx(o_e ** 2 / v) and result.strata == "s"


def test_kaplan_meier_is_monotone_and_at_risk_counts_are_times_at_least_t():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"time": rng.integers(1, 400, 300).astype(float), "event": rng.integers(0, 2, 300),
                          "arm": rng.choice(["P", "T"], 300)})
    for arm in ("P", "T"):
        curve = kaplan_meier(frame, arm, [100]).curve
        assert (np.diff(curve["survival"]) <= 1e-12).all()
        assert ((curve["ci_lower"] <= curve["survival"] + 1e-12) & (curve["survival"] <= curve["ci_upper"] + 1e-12)).all()
    times = [0, 50, 100, 200, 399]
    counts = at_risk(frame, ["P", "T"], times)
    for arm in ("P", "T"):
        assert counts.loc[arm].tolist() == [int((frame[frame["arm"] == arm]["time"] >= t).sum()) for t in times]


def test_log_transform_limits_by_hand(tiny):
    a = kaplan_meier(tiny, "A", [1], transform="log")
    # Greenwood at t=1: d/(n(n-d)) = 1/(3*2); limits S exp(+/- 1.96 sqrt(1/6))
    se = np.sqrt(1 / 6)
    assert a.survival_at[0]["ci_lower"] == pytest.approx(2 / 3 * np.exp(-1.959964 * se), rel=1e-5)
    assert a.ci_transform == "log"
    loglog = kaplan_meier(tiny, "A", [1])
    assert loglog.ci_transform == "log-log" and loglog.survival_at[0]["ci_lower"] != a.survival_at[0]["ci_lower"]


def test_rmst_by_hand(tiny):
    # A: 1 on [0,1), 2/3 on [1,3), 1/3 on [3,4] -> 1 + 4/3 + 1/3 = 8/3 to tau = 4
    result = rmst(tiny, ["A", "B"], 4)
    assert result.arms[0]["rmst"] == pytest.approx(8 / 3)
    # SE: A(1) = area 1..4 = 4/3+1/3 = 5/3 (n=3, d=1); A(3) = 1/3 (n=2, d=1)
    assert result.arms[0]["se"] == pytest.approx(np.sqrt((5 / 3) ** 2 / 6 + (1 / 3) ** 2 / 2))


@pytest.fixture
def tied():
    rng = np.random.default_rng(11)
    n = 200
    arm = rng.choice(["Placebo", "Active"], n)
    time = np.ceil(rng.exponential(np.where(arm == "Active", 40, 30)) / 7) * 7  # weekly: many ties
    return pd.DataFrame({"time": time, "event": (rng.random(n) < 0.8).astype(int), "arm": arm,
                         "age": rng.normal(60, 8, n), "site": rng.choice(["a", "b", "c"], n)})


def test_efron_hazard_ratio_agrees_with_an_independent_implementation(tied):
    ours = cox(tied, ["Placebo", "Active"], model="adjusted", terms=["age", "site"])
    x = np.column_stack([(tied["arm"] == "Active"), tied["age"], tied["site"] == "b", tied["site"] == "c"]).astype(float)
    ref = PHReg(tied["time"], x, status=tied["event"], ties="efron").fit()
    assert ours.hr == pytest.approx(np.exp(ref.params[0]), rel=1e-4)
    assert ours.p == pytest.approx(ref.pvalues[0], rel=1e-3)


def test_breslow_ties_on_request_differ_from_efron_on_tied_data(tied):
    efron = cox(tied, ["Placebo", "Active"], model="unadjusted")
    breslow = cox(tied, ["Placebo", "Active"], model="unadjusted", ties="breslow")
    ref = PHReg(tied["time"], (tied["arm"] == "Active").astype(float).to_numpy()[:, None], status=tied["event"],
                ties="breslow").fit()
    assert breslow.hr == pytest.approx(np.exp(ref.params[0]), rel=1e-6)
    assert breslow.ties == "breslow" and abs(breslow.hr - efron.hr) > 1e-4


def test_likelihood_ratio_and_interaction(tied):
    result = cox(tied, ["Placebo", "Active"], model="x")
    assert 0 < result.p_lr < 1 and result.ph_p is not None and 0 <= result.ph_p <= 1
    flagged = tied.assign(high=(tied["site"] == "a").astype(float))
    inter = cox(flagged, ["Placebo", "Active"], model="i", terms=["high"], interaction="high")
    assert inter.interaction_p is not None and inter.p == inter.interaction_p


def _analyze(args, tmp_path):
    return CliRunner().invoke(main, ["analyze", *args, "--out", str(tmp_path)])


@pytest.fixture(scope="module")
def pilot_results(tmp_path_factory):
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    out = tmp_path_factory.mktemp("pilot")
    result = _analyze([str(PILOT_ADAM), "--param", "TTDE", "--treatment-var", "TRTA", "--reference", "Placebo",
                       "--population", "SAFFL", "--at-risk-times", "0,20,40,60,80,100,120,140,160,180,200",
                       "--survival-times", "20,40,60,80,100", "--tau", "200"], out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())["analyses"][0], out


def test_pilot_number_at_risk_reproduces_the_published_table(pilot_results):
    analysis, _ = pilot_results
    assert analysis["at_risk"]["times"] == [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
    assert analysis["at_risk"]["counts"] == PUBLISHED_AT_RISK


def test_pilot_km_and_log_rank_match_the_reference_cross_check(pilot_results):
    analysis, out = pilot_results
    arms = {a["arm"]: a for a in analysis["arms"]}
    assert [arms[a]["n"] for a in PUBLISHED_AT_RISK] == [86, 84, 84]
    assert [arms[a]["events"] for a in PUBLISHED_AT_RISK] == [29, 62, 61]
    assert arms["Placebo"]["median"] is None  # not reached
    assert (arms["Xanomeline Low Dose"]["median"], arms["Xanomeline High Dose"]["median"]) == (33, 36)
    low = [s["survival"] for s in arms["Xanomeline Low Dose"]["survival_at"]]
    assert low == pytest.approx([0.7287, 0.4529, 0.3107, 0.2384, 0.2018], abs=5e-5)
    assert analysis["logrank"]["unstratified"]["chisq"] == pytest.approx(60.2696, abs=1e-4)
    assert analysis["logrank"]["unstratified"]["df"] == 2
    for name in ("km_ttde.png", "km_ttde.svg", "forest.png", "tables.md", "tables.html", "ttde_survival.csv"):
        assert (out / name).stat().st_size > 0


def test_pilot_pairwise_cox_matches_the_reference_cross_check():
    from cdisc_mirocals.analysis.data import Options, load_param, read_dataset
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    data = load_param(read_dataset(PILOT_ADAM, "ADTTE"), None, "TTDE",
                      Options(treatment_var="TRTA", population="SAFFL"))
    for arm, hr, lo, hi in (("Xanomeline Low Dose", 4.0770, 2.5889, 6.4205), ("Xanomeline High Dose", 4.9202, 3.0840, 7.8498)):
        pair = data.frame[data.frame["arm"].isin(["Placebo", arm])]
        result = cox(pair, ["Placebo", arm], model="unadjusted")
        assert (result.hr, result.ci_lower, result.ci_upper) == pytest.approx((hr, lo, hi), abs=1e-4)


def test_results_json_has_the_documented_shape(pilot_results):
    analysis, out = pilot_results
    text = (out / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    for key in ("paramcd", "population", "treatment_var", "reference", "arms", "logrank", "cox", "rmst"):
        assert key in analysis
    assert set(analysis["arms"][0]) >= {"arm", "n", "events", "median", "median_ci", "survival_at"}
    assert set(analysis["logrank"]) == {"unstratified", "stratified"}
    assert set(analysis["cox"]) >= {"unadjusted", "stratified", "adjusted", "pnfh_low", "pnfh_high", "pnfh_interaction"}
    assert analysis["cox"]["stratified"] is None  # no strata variable in the pilot
    assert analysis["cox"]["unadjusted"]["hr"] is None and len(analysis["cox"]["unadjusted"]["comparisons"]) == 2


@pytest.mark.parametrize("args,message", [
    (["--param", "NOPE"], "no records with PARAMCD 'NOPE'"),
    (["--population", "COMPLT8FL"], "neither ADTTE nor ADSL has the variable COMPLT8FL"),
    (["--reference", "Nothing"], "reference arm 'Nothing'"),
])
def test_bad_options_get_clear_errors(args, message, tmp_path):
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    result = _analyze([str(PILOT_ADAM), "--treatment-var", "TRTA", "--population", "SAFFL", "--param", "TTDE",
                       *args], tmp_path)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_missing_dataset_empty_population_and_missing_cnsr_get_clear_errors(tmp_path, adam, spec):
    from cdisc_mirocals.submission.package import write_frames
    folder = tmp_path / "adam"
    write_frames({"ADSL": adam["ADSL"]}, folder, spec, "ADaM")
    result = _analyze([str(folder)], tmp_path / "o1")
    assert result.exit_code == 1 and "the ADTTE dataset is missing" in result.output
    nobody = adam["ADTTE"].assign(ITTFL="N")
    write_frames({"ADTTE": nobody}, folder, spec, "ADaM")
    result = _analyze([str(folder)], tmp_path / "o2")
    assert result.exit_code == 1 and "ITTFL = 'Y' selects no one" in result.output
    import pyreadstat
    pyreadstat.write_xport(adam["ADTTE"].drop(columns="CNSR"), str(folder / "adtte.xpt"), file_format_version=5)
    result = _analyze([str(folder)], tmp_path / "o3")
    assert result.exit_code == 1 and "ADTTE has no CNSR variable" in result.output
