"""Mixed model for repeated measures: change from baseline by visit with an unstructured covariance
between visits, fitted by REML, with Satterthwaite degrees of freedom for the treatment contrast at one
visit (as R's nlme::gls with corSymm and varIdent per visit fits it; docs/analyses.md).

The model is CHG ~ BASE + AVISIT + treatment + treatment:AVISIT, each subject's visits correlated by a
free covariance matrix Sigma (one variance per visit and one covariance per pair). Subjects contribute
the visits they have (observed cases: missing at random given the model, deaths included).

REML: -2 l_R = sum_i log|V_i| + log|X'V^-1 X| + r'V^-1 r (+ a constant), V_i the rows and columns of
Sigma for subject i's visits. Sigma = L L' with log-diagonal L is optimised with the analytic gradient.
Satterthwaite: df = 2 (l'C l)^2 / (g' A g), C = (X'V^-1 X)^-1, g the gradient of l'C l in the
covariance parameters theta = the distinct elements of Sigma, A = 2 H^-1 with H the Hessian of -2 l_R
in theta (central differences of the analytic gradient); df does not depend on how theta is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cdisc_mirocals.analysis.reml import GLS, gls_reml, group_rows, newton_polish


@dataclass
class MMRMFit:
    beta: np.ndarray
    cov_beta: np.ndarray
    sigma: np.ndarray  # visits x visits
    terms: list[str]
    visits: list[str]
    reml_deviance: float  # -2 REML log-likelihood, constant included (as R's -2 * logLik(gls))
    n_subjects: int
    n_obs: int
    converged: bool
    _problem: _Problem = field(repr=False, default=None)

    def contrast(self, weights: np.ndarray, alpha: float = 0.05) -> dict:
        """Estimate, SE, Satterthwaite df, CI and p of the contrast weights . beta."""
        est = float(weights @ self.beta)
        var = float(weights @ self.cov_beta @ weights)
        df = self._satterthwaite(weights)
        se = float(np.sqrt(var))
        q = stats.t.ppf(1 - alpha / 2, df)
        return {"estimate": est, "se": se, "df": df, "ci_lower": est - q * se, "ci_upper": est + q * se,
                "statistic": est / se, "p": float(2 * stats.t.sf(abs(est / se), df))}

    def _satterthwaite(self, weights: np.ndarray) -> float:
        g = self._problem.contrast_gradient(self.sigma, weights)
        phi = float(weights @ self.cov_beta @ weights)
        return float(2 * phi ** 2 / (g @ self.theta_cov @ g))

    @cached_property
    def theta_cov(self) -> np.ndarray:
        """Asymptotic covariance of theta = vech(Sigma): 2 H^-1, H the Hessian of -2 l_R (central
        differences of the analytic gradient, step 1e-4 relative)."""
        theta = _vech(self.sigma)
        step = 1e-4 * np.maximum(np.abs(theta), 1e-3 * np.abs(np.diag(self.sigma)).mean())
        k = len(theta)
        hess = np.empty((k, k))
        for j in range(k):
            up, down = theta.copy(), theta.copy()
            up[j] += step[j]
            down[j] -= step[j]
            hess[:, j] = (self._problem.gradient_theta(_unvech(up)) - self._problem.gradient_theta(_unvech(down))) \
                / (2 * step[j])
        return 2 * np.linalg.inv((hess + hess.T) / 2)


def _vech(m: np.ndarray) -> np.ndarray:
    return m[np.tril_indices(len(m))]


def _unvech(v: np.ndarray) -> np.ndarray:
    t = int((np.sqrt(8 * len(v) + 1) - 1) / 2)
    m = np.zeros((t, t))
    m[np.tril_indices(t)] = v
    return m + np.tril(m, -1).T


class _Problem:
    """The data grouped by subject: per subject the visit positions, X rows and y."""

    def __init__(self, X: np.ndarray, y: np.ndarray, visit: np.ndarray, subject: np.ndarray, t: int):
        self.t, self.p, self.n = t, X.shape[1], len(y)
        self.groups = group_rows(subject, visit, X, y)

    def _gls(self, sigma: np.ndarray) -> GLS:
        return gls_reml([x for _, x, _ in self.groups], [y for _, _, y in self.groups],
                        [sigma[np.ix_(v, v)] for v, _, _ in self.groups])

    def deviance(self, sigma: np.ndarray) -> float:
        return self._gls(sigma).deviance

    def gradient_sigma(self, sigma: np.ndarray) -> np.ndarray:
        """d(-2 l_R)/d Sigma as a symmetric matrix S: d(-2 l_R) = tr(S dSigma)."""
        s = np.zeros((self.t, self.t))
        for (v, _, _), block in zip(self.groups, self._gls(sigma).scores()):
            s[np.ix_(v, v)] += block
        return s

    def gradient_theta(self, sigma: np.ndarray) -> np.ndarray:
        s = self.gradient_sigma(sigma)
        return _vech(2 * s - np.diag(np.diag(s)))

    def contrast_gradient(self, sigma: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """d(l'C l)/d theta: dC = C X'W dV W X C, so d(l'Cl) = sum_i z_i' dV_i z_i, z_i = W_i X_i C l."""
        fit = self._gls(sigma)
        g = np.zeros((self.t, self.t))
        for (v, x, _), w in zip(self.groups, fit.inverses):
            z = w @ x @ fit.cov @ weights
            g[np.ix_(v, v)] += np.outer(z, z)
        return _vech(2 * g - np.diag(np.diag(g)))


def _from_chol(params: np.ndarray, t: int) -> np.ndarray:
    low = np.zeros((t, t))
    low[np.tril_indices(t)] = params
    low[np.diag_indices(t)] = np.exp(np.diag(low))
    return low


def fit_mmrm(frame: pd.DataFrame, *, response: str = "CHG", visits: list[str], treatment: str = "treated",
             covariates: tuple[str, ...] = ("BASE",)) -> MMRMFit:
    """Fit the MMRM to `frame` (one row per subject and visit: USUBJID, AVISIT, the response, the
    0/1 treatment indicator and the covariates). The first of `visits` is the reference level."""
    data = frame[frame["AVISIT"].isin(visits)].dropna(subset=[response, *covariates])
    t = len(visits)
    pos = data["AVISIT"].map({v: i for i, v in enumerate(visits)}).to_numpy()
    trt = data[treatment].to_numpy(float)
    columns, terms = [np.ones(len(data))], ["(Intercept)"]
    for c in covariates:
        columns.append(data[c].to_numpy(float))
        terms.append(c)
    for i, v in enumerate(visits[1:], 1):
        columns.append((pos == i).astype(float))
        terms.append(f"AVISIT{v}")
    columns.append(trt)
    terms.append(treatment)
    for i, v in enumerate(visits[1:], 1):
        columns.append(trt * (pos == i))
        terms.append(f"AVISIT{v}:{treatment}")
    X = np.column_stack(columns)
    problem = _Problem(X, data[response].to_numpy(float), pos, data["USUBJID"].to_numpy(), t)
    resid_var = np.array([np.nanvar(data.loc[pos == i, response]) for i in range(t)])
    init = np.diag(np.log(np.sqrt(np.where(resid_var > 0, resid_var, 1.0))))[np.tril_indices(t)]

    def objective(params):
        low = _from_chol(params, t)
        sigma = low @ low.T
        s = problem.gradient_sigma(sigma)
        grad_low = 2 * s @ low
        grad_low[np.diag_indices(t)] *= np.diag(low)
        return problem.deviance(sigma), grad_low[np.tril_indices(t)]

    res = optimize.minimize(objective, init, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    x, converged = newton_polish(objective, res.x)
    low = _from_chol(x, t)
    sigma = low @ low.T
    gls = problem._gls(sigma)
    fit = MMRMFit(gls.beta, gls.cov, sigma, terms, list(visits), gls.deviance,
                  int(data["USUBJID"].nunique()), len(data), converged, problem)
    return fit
