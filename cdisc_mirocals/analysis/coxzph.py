"""The proportional-hazards test of R's cox.zph (survival 3.x): a score test, per model term and global.

Grambsch and Therneau (1994), as revised in survival 3.0 (Therneau, "The cox.zph function", survival
package vignette): extend each coefficient to beta(t) = beta + theta g(t), where g is a transform of
time centred on the events, and test theta = 0 with the score test at (beta_hat, 0). With the
per-event-time blocks of riskset.py (the same Efron or Breslow weighting as the fit),

    U     = sum_j g_j score_j                       (the theta part; the beta part is 0 at beta_hat)
    I     = [[sum_j info_j,      sum_j g_j info_j],
             [sum_j g_j info_j,  sum_j g_j^2 info_j]]

A term with columns J is tested with U and I restricted to all beta and theta_J: chi-square
U_J' I^-1 U_J on |J| df; the global test uses every theta, on p df. Strata separate the risk sets
(the pre-3.0 approximation numbered deaths across strata, which is wrong for stratified models);
the "km" transform is 1 - S(t-) of the Kaplan-Meier curve of all subjects pooled, as cox.zph does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import chi2, rankdata

from cdisc_mirocals.analysis.riskset import blocks

if TYPE_CHECKING:
    from cdisc_mirocals.analysis.cox import CoxFit

TRANSFORMS = ("km", "rank", "identity", "log")


def _left_km(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """S(t-), the pooled Kaplan-Meier survival just before each subject's time."""
    times = np.unique(time[event == 1])
    at_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    deaths = np.bincount(np.searchsorted(times, time[event == 1]), minlength=len(times))
    surv = np.cumprod(1 - deaths / at_risk)
    before = np.searchsorted(times, time, side="left")  # event times strictly before t
    return np.concatenate([[1.0], surv])[before]


def transform_time(time: np.ndarray, event: np.ndarray, transform: str = "km") -> np.ndarray:
    if transform == "km":
        return 1 - _left_km(time, event)
    if transform == "rank":
        return rankdata(time)
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        return np.log(time)
    raise ValueError(f"transform must be one of {TRANSFORMS}, not {transform!r}")


def cox_zph(fit: CoxFit, terms: dict[str, list[str]], transform: str = "km") -> list[tuple[str, float, int, float]]:
    """(term, chi-square, df, p) for each model term, then ('GLOBAL', ...)."""
    g_obs = transform_time(fit.time, fit.event, transform)
    g_obs = g_obs - g_obs[fit.event == 1].mean()
    b = blocks(fit.time, fit.event, fit.strata, fit.x, fit.beta, fit.ties)
    by_time = dict(zip(fit.time, g_obs))  # g depends on time only
    g = np.array([by_time[t] for t in b.time])
    p = len(fit.beta)
    u = np.concatenate([np.zeros(p), np.einsum("j,jk->k", g, b.score)])
    i0, i1, i2 = (np.einsum("j,jkl->kl", g ** power, b.info) for power in (0, 1, 2))
    imat = np.block([[i0, i1], [i1, i2]])
    index = {c: i for i, c in enumerate(fit.columns)}
    out = []
    for term, columns in [*terms.items(), ("GLOBAL", fit.columns)]:
        keep = list(range(p)) + [p + index[c] for c in columns]
        uk = u[keep]
        stat = float(uk @ np.linalg.solve(imat[np.ix_(keep, keep)], uk))
        out.append((term, stat, len(columns), float(chi2.sf(stat, len(columns)))))
    return out
