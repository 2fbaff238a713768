"""Rate of decline: a linear mixed model with a random intercept and a random slope per subject
(unstructured 2 x 2 covariance G) and a treatment-by-time interaction, fitted by REML (as R's
nlme::lme(AVAL ~ months * treated, random = ~ months | USUBJID, method = "REML") fits it).

    AVAL_ij = b0 + b1 months_ij + b2 treated_i + b3 months_ij treated_i + u0_i + u1_i months_ij + e_ij

b1 is the reference arm's slope per month, b1 + b3 the other arm's, and b3 the difference in slope.
V_i = Z_i G Z_i' + s2 I with Z_i = [1, months]; G = L L' (log-diagonal Cholesky) and log s2 are
optimised by BFGS on the REML deviance and finished by Newton steps (reml.py). statsmodels' MixedLM
was tried first: on this model its default optimisers stop short of the optimum (docs/secondary-analyses.md). The CI is Wald's (normal
quantile); R's lme prints t-based intervals on its containment df, which the docs compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cdisc_mirocals.analysis.reml import gls_reml, group_rows, newton_polish


@dataclass
class SlopeFit:
    params: pd.Series  # Intercept, months, treated, months:treated
    cov: pd.DataFrame
    re_cov: np.ndarray  # random intercept and slope, 2 x 2
    scale: float  # residual variance
    reml_loglik: float
    n_subjects: int
    n_obs: int
    converged: bool

    def linear(self, weights: dict[str, float], alpha: float = 0.05) -> dict:
        w = pd.Series(weights).reindex(self.params.index, fill_value=0.0)
        est = float(w @ self.params)
        se = float(np.sqrt(w @ self.cov @ w))
        z = stats.norm.ppf(1 - alpha / 2)
        return {"estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
                "statistic": est / se, "p": float(2 * stats.norm.sf(abs(est / se)))}


def _covariances(params: np.ndarray, zs: list[np.ndarray]) -> tuple[np.ndarray, float, list[np.ndarray]]:
    low = np.array([[np.exp(params[0]), 0.0], [params[1], np.exp(params[2])]])
    g, s2 = low @ low.T, float(np.exp(params[3]))
    return g, s2, [z @ g @ z.T + s2 * np.eye(len(z)) for z in zs]


def _start(zs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
    """Starting values from each subject's own least-squares line: the spread of their intercepts and
    slopes for G (diagonal), their residual variance for s2."""
    lines, resid = [], []
    for z, y in zip(zs, ys):
        if len(y) >= 3 and np.ptp(z[:, 1]) > 0:
            coef, res, *_ = np.linalg.lstsq(z, y, rcond=None)
            lines.append(coef)
            resid.append(float(res[0]) / (len(y) - 2) if len(res) else 0.0)
    lines = np.array(lines) if lines else np.ones((2, 2))
    var = np.maximum(np.var(lines, axis=0), 1e-6)
    s2 = max(float(np.mean(resid)) if resid else 1.0, 1e-6)
    return np.array([np.log(np.sqrt(var[0])), 0.0, np.log(np.sqrt(var[1])), np.log(s2)])


def fit_slopes(frame: pd.DataFrame, *, response: str = "AVAL", time: str = "months",
               treatment: str = "treated") -> SlopeFit:
    """Fit the model to `frame` (USUBJID, the response, the time in months and the 0/1 treatment)."""
    data = frame.dropna(subset=[response, time])
    months, trt = data[time].to_numpy(float), data[treatment].to_numpy(float)
    X = np.column_stack([np.ones(len(data)), months, trt, months * trt])
    groups = group_rows(data["USUBJID"].to_numpy(), X, data[response].to_numpy(float))
    xs, ys = [x for x, _ in groups], [y for _, y in groups]
    zs = [x[:, :2] for x in xs]
    start = _start(zs, ys)

    def objective(params):
        g, s2, covs = _covariances(params, zs)
        try:
            fit = gls_reml(xs, ys, covs)
        except np.linalg.LinAlgError:  # a step too far for the line search: not a candidate
            return np.inf, np.zeros_like(params)
        scores = fit.scores()
        m = sum(z.T @ s @ z for z, s in zip(zs, scores))  # d(-2 l_R) = tr(M dG) + tr(S) ds2
        low = np.linalg.cholesky(g)
        d_low = 2 * m @ low
        grad = np.array([d_low[0, 0] * low[0, 0], d_low[1, 0], d_low[1, 1] * low[1, 1],
                         s2 * sum(np.trace(s) for s in scores)])
        return fit.deviance, grad

    res = optimize.minimize(objective, start, jac=True, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000})
    x, converged = newton_polish(objective, res.x)
    g, s2, covs = _covariances(x, zs)
    fit = gls_reml(xs, ys, covs)
    names = ["Intercept", "months", "treated", "months:treated"]
    return SlopeFit(pd.Series(fit.beta, index=names), pd.DataFrame(fit.cov, index=names, columns=names), g, s2,
                    -fit.deviance / 2, len(groups), len(data), converged)
