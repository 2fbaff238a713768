"""The secondary efficacy analyses against R 4.2 (nlme 3.1 lme and gls, base wilcox.test): the script
tests/reference/r/bds_reference.R, its input bds_input.csv and its output bds_expected.csv are checked in,
so R is not needed to run this. The default study's results.json is compared with the same numbers.

Tolerances (relative), each the smallest that the optimisers allow, measured when the reference was made:
- CAFS scores, W and p: 1e-9 (no optimiser: both are exact computations).
- The REML log-likelihoods: 1e-9 (the optimum's value is flat to first order).
- The random intercept and slope model (lme with nlminb, tolerances 1e-12): 1e-6 for the fixed effects,
  their SEs, CI and p; 1e-4 for the variance components (G, residual variance), which the flat likelihood
  determines less sharply than either optimiser's stopping rule (measured: 3e-6).
- The MMRM (gls, whose optimiser stops short of the optimum: our fit reaches a deviance at least as low,
  so the difference is gls's stopping point, not ours): 1e-4 relative for the standard errors,
  Satterthwaite df and p; estimates (coefficients, least-squares means, differences) within 1e-4 of
  their standard error, since a relative tolerance means nothing for a coefficient near 0 (BASE's).
"""

import json

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.analysis.cafs import cafs_scores
from cdisc_mirocals.analysis.lmm import fit_slopes
from cdisc_mirocals.analysis.mmrm import fit_mmrm
from r_reference import REF

EXACT, LOGLIK, LME, VARIANCE, GLS = 1e-9, 1e-9, 1e-6, 1e-4, 1e-4
VISITS = ["MONTH 2", "MONTH 4", "MONTH 6", "MONTH 9", "MONTH 12", "MONTH 15", "MONTH 18"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "bds_input.csv", keep_default_na=False, na_values={
        c: [""] for c in ("AVISITN", "months", "AVAL", "BASE", "CHG")})


@pytest.fixture(scope="module")
def r():
    exp = pd.read_csv(REF / "bds_expected.csv", keep_default_na=False, dtype={"term": str})
    exp["value"] = pd.to_numeric(exp["value"])
    return exp.set_index(["paramcd", "analysis", "quantity", "term"])["value"]


def _near(ours, theirs, rtol):
    return ours == pytest.approx(theirs, rel=rtol, abs=0)


def _near_se(ours, theirs, se):
    """An optimiser-limited estimate: within GLS standard errors of R's."""
    return abs(ours - theirs) <= GLS * se


@pytest.fixture(scope="module")
def slopes(data):
    return {code: fit_slopes(data[data["PARAMCD"] == code]) for code in ("ALSFRST", "SVCPP")}


@pytest.fixture(scope="module")
def mmrms(data):
    out = {}
    for code in ("ALSFRST", "SVCPP"):
        d = data[(data["PARAMCD"] == code) & (data["ABLFL"] != "Y")]
        out[code] = fit_mmrm(d, visits=VISITS)
    return out


@pytest.mark.parametrize("code", ["ALSFRST", "SVCPP"])
def test_random_slope_model_agrees_with_lme(slopes, r, code):
    fit = slopes[code]
    assert fit.converged
    for name, term in (("Intercept", "(Intercept)"), ("months", "months"), ("treated", "treated"),
                       ("months:treated", "months:treated")):
        assert _near(fit.params[name], r[code, "slope", "coef", term], LME)
        assert _near(np.sqrt(fit.cov.loc[name, name]), r[code, "slope", "se", term], LME)
    assert _near(fit.reml_loglik, r[code, "slope", "loglik", ""], LOGLIK)
    diff = fit.linear({"months:treated": 1})
    assert _near(diff["ci_lower"], r[code, "slope", "diff_lcl", ""], LME)
    assert _near(diff["ci_upper"], r[code, "slope", "diff_ucl", ""], LME)
    assert _near(diff["p"], r[code, "slope", "diff_p", ""], LME)
    active = fit.linear({"months": 1, "months:treated": 1})
    assert _near(active["estimate"], r[code, "slope", "slope_active", ""], LME)
    assert _near(active["se"], r[code, "slope", "slope_active_se", ""], LME)
    assert _near(fit.re_cov[0, 0], r[code, "slope", "G11", ""], VARIANCE)
    assert _near(fit.re_cov[1, 0], r[code, "slope", "G21", ""], VARIANCE)
    assert _near(fit.re_cov[1, 1], r[code, "slope", "G22", ""], VARIANCE)
    assert _near(fit.scale, r[code, "slope", "sigma2", ""], VARIANCE)


@pytest.mark.parametrize("code", ["ALSFRST", "SVCPP"])
def test_mmrm_agrees_with_gls_and_satterthwaite(mmrms, data, r, code):
    fit = mmrms[code]
    assert fit.converged
    # R's own REML function (used for its Satterthwaite df) is gls's likelihood: the R side checks itself
    assert _near(r[code, "mmrm", "deviance_own", ""], r[code, "mmrm", "deviance", ""], LOGLIK)
    assert _near(fit.reml_deviance, r[code, "mmrm", "deviance", ""], LOGLIK)
    assert fit.reml_deviance <= r[code, "mmrm", "deviance", ""] + 1e-6  # our optimum is at least as good
    for term, beta, var in zip(fit.terms, fit.beta, np.diag(fit.cov_beta)):
        assert _near_se(beta, r[code, "mmrm", "coef", term], np.sqrt(var)), term
    d = data[(data["PARAMCD"] == code) & (data["ABLFL"] != "Y")]
    base_mean = d.drop_duplicates("USUBJID")["BASE"].mean()
    from cdisc_mirocals.analysis.secondary import _weights
    for visit in VISITS:
        for trt in (0, 1):
            c = fit.contrast(_weights(fit.terms, visit, VISITS, base_mean, float(trt)))
            assert _near_se(c["estimate"], r[code, "mmrm", f"lsmean_{trt}", visit], c["se"])
            assert _near(c["se"], r[code, "mmrm", f"lsmean_se_{trt}", visit], GLS)
        w = _weights(fit.terms, visit, VISITS, base_mean, 1.0) - _weights(fit.terms, visit, VISITS, base_mean, 0.0)
        c = fit.contrast(w)
        for ours, quantity in (("se", "diff_se"), ("df", "diff_df"), ("p", "diff_p")):
            assert _near(c[ours], r[code, "mmrm", quantity, visit], GLS), (visit, quantity)
        for ours, quantity in (("estimate", "diff"), ("ci_lower", "diff_lcl")):
            assert _near_se(c[ours], r[code, "mmrm", quantity, visit], c["se"]), (visit, quantity)


def test_cafs_agrees_with_wilcox_test(data, r):
    from scipy import stats
    os_ = data[data["PARAMCD"] == "OS640"]
    q = data[(data["PARAMCD"] == "ALSFRST") & (data["ABLFL"] != "Y") & data["CHG"].notna()]
    change = q.sort_values(["USUBJID", "AVISITN"]).groupby("USUBJID")["CHG"].last()
    scores = cafs_scores(os_["AVAL"], os_["CHG"], os_["USUBJID"].map(change))
    placebo = (os_["TRT01P"] == "Placebo").to_numpy()
    assert _near(scores[placebo].mean(), r["CAFS", "cafs", "mean_0", ""], EXACT)
    assert _near(scores[~placebo].mean(), r["CAFS", "cafs", "mean_1", ""], EXACT)
    test = stats.mannwhitneyu(scores[placebo], scores[~placebo], use_continuity=True, method="asymptotic")
    assert _near(test.statistic, r["CAFS", "cafs", "W", ""], EXACT)
    assert _near(test.pvalue, r["CAFS", "cafs", "p", ""], EXACT)
    assert scores.sum() == 0  # every comparison is won by one and lost by the other, or tied


def test_the_default_studys_results_are_these(default_outputs, r):
    """results.json of the default study: the same records, so the same numbers (the reference was made from
    this study: a change to the simulator or to ADQS/ADRE that moves them must remake it, saying why)."""
    _, out = default_outputs
    second = {x["key"]: x for x in json.loads((out / "analysis" / "results.json").read_text())["secondary"]}
    for code in ("ALSFRST", "SVCPP"):
        assert second[f"{code}/slope"]["notes"] == [] and second[f"{code}/mmrm"]["notes"] == []  # converged
        rows = pd.DataFrame(second[f"{code}/slope"]["summary"])
        diff = rows[rows["name"] == "slope_difference"].iloc[0]
        assert _near(diff["estimate"], r[code, "slope", "coef", "months:treated"], LME)
        rows = pd.DataFrame(second[f"{code}/mmrm"]["summary"])
        m18 = rows[(rows["name"] == "difference") & (rows["term"] == "MONTH 18")].iloc[0]
        assert _near_se(m18["estimate"], r[code, "mmrm", "diff", "MONTH 18"], m18["se"])
        assert _near(m18["df"], r[code, "mmrm", "diff_df", "MONTH 18"], GLS)
    rows = pd.DataFrame(second["CAFS/wilcoxon"]["summary"])
    w = rows[rows["name"] == "wilcoxon"].iloc[0]
    assert _near(w["statistic"], r["CAFS", "cafs", "W", ""], EXACT) and _near(w["p"], r["CAFS", "cafs", "p", ""], EXACT)
    assert second["CAFS/wilcoxon"]["result_oid"] == "AR.CAFS.WILCOXON"
