"""Survival statistics checked against hand-worked values, properties, an independent implementation,
and the number-at-risk table the R Consortium Submission Pilot 1 published for the CDISC pilot."""

import json
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import chi2
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

from cdisc_mirocals.analysis.cox import cox
from cdisc_mirocals.analysis.km import at_risk, kaplan_meier
from cdisc_mirocals.analysis.logrank import logrank, stratified_logrank
from cdisc_mirocals.analysis.rmst import rmst
from cdisc_mirocals.analysis.survival import ANALYSES
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
    assert result.get("logrank", "statistic") == pytest.approx(expected) and result.get("logrank", "df") == 1
    assert result.get("logrank", "p") == pytest.approx(chi2.sf(expected, 1))


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
    assert result.get("logrank", "statistic") == pytest.approx(o_e ** 2 / v) and result.parameters["strata"] == "s"


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
    assert result.get("rmst", group="A") == pytest.approx(8 / 3)
    # SE: A(1) = area 1..4 = 4/3+1/3 = 5/3 (n=3, d=1); A(3) = 1/3 (n=2, d=1)
    assert result.get("rmst", "se", group="A") == pytest.approx(np.sqrt((5 / 3) ** 2 / 6 + (1 / 3) ** 2 / 2))


def test_rmst_beyond_the_last_follow_up_is_refused_not_extrapolated(tiny):
    result = rmst(tiny, ["A", "B"], 5.5)  # A's last follow-up is day 5
    assert not result.done and "beyond the last follow-up of A (day 5)" in result.skipped


@pytest.fixture
def tied():
    rng = np.random.default_rng(11)
    n = 200
    arm = rng.choice(["Placebo", "Active"], n)
    time = np.ceil(rng.exponential(np.where(arm == "Active", 40, 30)) / 7) * 7  # weekly: many ties
    return pd.DataFrame({"time": time, "event": (rng.random(n) < 0.8).astype(int), "arm": arm,
                         "age": rng.normal(60, 8, n), "site": rng.choice(["a", "b", "c"], n)})


def test_efron_fit_agrees_with_statsmodels_and_lifelines(tied):
    ours = cox(tied, ["Placebo", "Active"], key="T/adjusted", title="", terms=["age", "site"])
    x = np.column_stack([(tied["arm"] == "Active"), tied["age"], tied["site"] == "b", tied["site"] == "c"]).astype(float)
    ref = PHReg(tied["time"], x, status=tied["event"], ties="efron").fit()
    assert ours.get("hr") == pytest.approx(np.exp(ref.params[0]), rel=1e-6)
    assert ours.get("hr", "p") == pytest.approx(ref.pvalues[0], rel=1e-5)
    assert ours.parameters["loglik"] == pytest.approx(ref.llf, rel=1e-10)
    frame = pd.DataFrame(x, columns=["trt", "age", "b", "c"]).assign(time=tied["time"], event=tied["event"])
    fit = CoxPHFitter().fit(frame, "time", "event", fit_options={"precision": 1e-13})
    assert ours.get("hr") == pytest.approx(np.exp(fit.params_["trt"]), rel=1e-6)


def test_breslow_ties_on_request_differ_from_efron_on_tied_data(tied):
    efron = cox(tied, ["Placebo", "Active"], key="T/u", title="")
    breslow = cox(tied, ["Placebo", "Active"], key="T/u", title="", ties="breslow")
    ref = PHReg(tied["time"], (tied["arm"] == "Active").astype(float).to_numpy()[:, None], status=tied["event"],
                ties="breslow").fit()
    assert breslow.get("hr") == pytest.approx(np.exp(ref.params[0]), rel=1e-8)
    assert breslow.parameters["ties"] == "breslow" and abs(breslow.get("hr") - efron.get("hr")) > 1e-4
    assert breslow.get("ph_global", "p") != efron.get("ph_global", "p")  # each from its own fit


def test_likelihood_ratio_by_hand_and_interaction_fields_are_named_apart(tied):
    result = cox(tied, ["Placebo", "Active"], key="T/u", title="")
    fit = result.parameters
    assert result.get("lr", "statistic") == pytest.approx(2 * (fit["loglik"] - fit["loglik_null"]))
    assert 0 <= result.get("ph_global", "p") <= 1
    flagged = tied.assign(high=(tied["site"] == "a").astype(float))
    inter = cox(flagged, ["Placebo", "Active"], key="T/i", title="", interaction=("high", "low", "high"))
    low, high, ratio = inter.row("hr_low"), inter.row("hr_high"), inter.row("interaction")
    assert high["estimate"] == pytest.approx(low["estimate"] * ratio["estimate"])  # exp(b_trt + b_int)
    assert low["term"] == "low" and high["term"] == "high" and 0 < ratio["p"] < 1
    assert inter.rows("hr").empty  # no ambiguous 'hr' in an interaction model
    separate = cox(flagged[flagged["high"] == 0], ["Placebo", "Active"], key="T/l", title="")
    assert low["estimate"] != pytest.approx(separate.get("hr"), rel=1e-12)  # a joint model, not the subgroup fit


def test_no_events_in_one_arm_is_a_reason_not_a_number(tied):
    from cdisc_mirocals.analysis.cox import CoxError
    none = tied.assign(event=np.where(tied["arm"] == "Active", 0, tied["event"]))
    with pytest.raises(CoxError, match="no events in arm Active"):
        cox(none, ["Placebo", "Active"], key="T/u", title="")


def _analyze(args, tmp_path):
    return CliRunner().invoke(main, ["analyze", *args, "--out", str(tmp_path)])


@pytest.fixture(scope="module")
def pilot_results(tmp_path_factory):
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    out = tmp_path_factory.mktemp("pilot")
    result = _analyze([str(PILOT_ADAM), "--param", "TTDE", "--treatment-var", "TRTA", "--reference", "Placebo",
                       "--population", "SAFFL", "--at-risk-times", "0,20,40,60,80,100,120,140,160,180,200",
                       "--survival-times", "20,40,60,80,100", "--tau", "180"], out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text()), out


def _result(document, key):
    return next(r for r in document["results"] if r["key"] == key)


def _rows(result, name, **where):
    return [r for r in result["summary"] if r["name"] == name and all(r[k] == v for k, v in where.items())]


def test_pilot_number_at_risk_reproduces_the_published_table(pilot_results):
    document, _ = pilot_results
    at_risk = document["parameters"][0]["at_risk"]
    assert at_risk["times"] == [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200]
    assert at_risk["counts"] == PUBLISHED_AT_RISK


def test_pilot_km_and_log_rank_match_the_reference_cross_check(pilot_results):
    document, out = pilot_results
    km = _result(document, "TTDE/km")
    medians = {r["group"]: r for r in _rows(km, "median")}
    assert [medians[a]["n"] for a in PUBLISHED_AT_RISK] == [86, 84, 84]
    assert [medians[a]["events"] for a in PUBLISHED_AT_RISK] == [29, 62, 61]
    assert medians["Placebo"]["estimate"] is None  # not reached
    assert (medians["Xanomeline Low Dose"]["estimate"], medians["Xanomeline High Dose"]["estimate"]) == (33, 36)
    low = [r["estimate"] for r in _rows(km, "survival", group="Xanomeline Low Dose")]
    assert low == pytest.approx([0.7287, 0.4529, 0.3107, 0.2384, 0.2018], abs=5e-5)
    lr = _rows(_result(document, "TTDE/logrank"), "logrank")[0]
    assert lr["statistic"] == pytest.approx(60.2696, abs=1e-4) and lr["df"] == 2
    for name in ("km_ttde.png", "km_ttde.svg", "forest.png", "tables.md", "tables.html", "results.csv",
                 "report.html", "safety.json", "baseline.json", "consort.png", "ae_dotplot.png"):
        assert (out / name).stat().st_size > 0, name


def test_pilot_pairwise_cox_matches_the_reference_cross_check():
    from cdisc_mirocals.analysis.data import Options, load_param, read_dataset
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    data = load_param(read_dataset(PILOT_ADAM, "ADTTE"), None, "TTDE",
                      Options(treatment_var="TRTA", population="SAFFL"))
    for arm, hr, lo, hi in (("Xanomeline Low Dose", 4.0770, 2.5889, 6.4205), ("Xanomeline High Dose", 4.9202, 3.0840, 7.8498)):
        pair = data.frame[data.frame["arm"].isin(["Placebo", arm])]
        result = cox(pair, ["Placebo", arm], key="TTDE/pair", title="")
        row = result.row("hr")
        assert (row["estimate"], row["ci_lower"], row["ci_upper"]) == pytest.approx((hr, lo, hi), abs=1e-4)


def test_pilot_disposition_reads_the_sdtm_beside_the_adam(pilot_results):
    import pyreadstat
    _, out = pilot_results
    disp = json.loads((out / "baseline.json").read_text())["results"][1]
    counts = {r["name"]: r["n"] for r in disp["summary"] if r["group"] == "Total" and r["category"] is None}
    dm, _ = pyreadstat.read_xport(str(PILOT_ADAM.parent / "sdtm" / "dm.xpt"))
    ds, _ = pyreadstat.read_xport(str(PILOT_ADAM.parent / "sdtm" / "ds.xpt"))
    assert counts["screened"] == dm["USUBJID"].nunique() == 306
    assert counts["screen_failure"] == (ds["DSDECOD"] == "SCREEN FAILURE").sum() == 52
    assert counts["randomised"] == 86 + 84 + 84


def test_results_json_has_one_shape_for_every_result(pilot_results):
    document, out = pilot_results
    text = (out / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    # "secondary": the ADLB and ADVS analyses, none for the pilot (its folder has no adlb.xpt or advs.xpt)
    assert set(document) == {"provenance", "parameters", "results", "secondary"}
    shapes = {tuple(r) for r in document["results"] + document["secondary"]}
    assert len(shapes) == 1  # the same fields, done or skipped
    assert shapes.pop() == ("key", "title", "method", "summary", "population", "n", "events", "parameters", "notes",
                            "skipped", "display_oid", "result_oid")
    keys = [r["key"] for r in document["results"]]
    # MIROCALS's strata, covariates, pNFH subgroups and biomarker are not the pilot's: no such result at all
    # the exposure summary follows the survival results; the pilot has no ADEX, so it says so
    assert keys == [f"TTDE/{name}" for name in ("km", "logrank", "cox_unadjusted", "rmst")] + ["EXPOSURE/summary"]
    assert "no adex.xpt" in document["results"][-1]["skipped"]
    assert set(ANALYSES) > {k.split("/")[1] for k in keys[:-1]}
    notes = document["parameters"][0]["notes"]
    assert notes == ["not applicable to these data, which have no STRATAR, STRAT2R, STRAT1R, ALSFRSBL, PNFHBL, PNFHGR1: "
                     "Log-rank test stratified by STRATAR; Cox: stratified by STRATAR; Cox: adjusted for STRAT2R, "
                     "STRAT1R, age, ALSFRSBL, log(PNFHBL); Cox: PNFHGR1 low; Cox: PNFHGR1 high; Cox: treatment by "
                     "PNFHGR1 interaction; Cox: adjusted for log(PNFHBL)"]
    unadjusted = _result(document, "TTDE/cox_unadjusted")
    assert len(_rows(unadjusted, "hr")) == 2  # two comparisons, named by arm, in one model, and said so
    assert unadjusted["notes"] == ["3 arms: one model with an indicator for each arm but Placebo, so each hazard ratio "
                                   "compares that arm with Placebo within the same model"]


def test_pilot_report_names_the_population_used_and_shows_the_at_risk_table(pilot_results):
    _, out = pilot_results
    page = (out / "report.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>|<img[^>]*>", "", page, flags=re.S)))
    assert "Intent-to-treat" not in text and text.count("Population: Safety population") == 7  # 5 safety, Table 1, disposition
    at_risk = re.search(r"Number of subjects at risk Number at risk (Day \d+ ){11}(.*?) Comparisons", text)
    assert at_risk and re.findall(r"Day \d+", at_risk.group(0)) == [f"Day {d}" for d in range(0, 201, 20)]
    for arm, counts in PUBLISHED_AT_RISK.items():
        assert f"{arm} {' '.join(map(str, counts))}" in at_risk.group(2)
    assert "not done" not in text and text.count("Cox: PNFHGR1 low") == 1  # in the one note, not as a row
    assert "3 arms: one model with an indicator for each arm but Placebo" in text  # beside the hazard ratios
    table1 = json.loads((out / "baseline.json").read_text())["results"][0]
    assert [v for v in table1["parameters"]["variables"]] == ["AGE", "SEX", "AGEGR1", "RACE", "ETHNIC", "HEIGHTBL",
                                                                "WEIGHTBL", "BMIBL"]


@pytest.mark.parametrize("args,message", [
    (["--param", "NOPE"], "no records with PARAMCD 'NOPE'"),
    (["--population", "COMPLT8FL"], "the variable COMPLT8FL is in neither ADTTE"),
    (["--reference", "Nothing"], "reference arm 'Nothing'"),
])
def test_bad_options_get_clear_errors(args, message, tmp_path):
    if not (PILOT_ADAM / "adtte.xpt").exists():
        pytest.skip("CDISC pilot ADaM not beside the project")
    result = _analyze([str(PILOT_ADAM), "--treatment-var", "TRTA", "--population", "SAFFL", "--param", "TTDE",
                       *args], tmp_path)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_missing_dataset_and_missing_cnsr_get_clear_errors_and_an_empty_population_a_reason(tmp_path, adam, spec):
    from cdisc_mirocals.submission.package import write_frames
    folder = tmp_path / "adam"
    write_frames({"ADSL": adam["ADSL"]}, folder, spec, "ADaM")
    result = _analyze([str(folder)], tmp_path / "o1")
    assert result.exit_code == 1 and "the ADTTE dataset is missing" in result.output
    nobody = adam["ADTTE"].assign(ITTFL="N")
    write_frames({"ADTTE": nobody}, folder, spec, "ADaM")
    result = _analyze([str(folder)], tmp_path / "o2")  # the default population: the data, not the user, is at fault
    assert result.exit_code == 0 and "not done: no subject has ITTFL = 'Y' in OS640" in result.output
    document = json.loads((tmp_path / "o2" / "results.json").read_text())
    assert all(r["skipped"] for r in document["results"])
    import pyreadstat
    pyreadstat.write_xport(adam["ADTTE"].drop(columns="CNSR"), str(folder / "adtte.xpt"), file_format_version=5)
    result = _analyze([str(folder)], tmp_path / "o3")
    assert result.exit_code == 1 and "ADTTE has no CNSR variable" in result.output
