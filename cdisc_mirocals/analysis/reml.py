"""Generalised least squares under a REML fit, shared by the mixed models (lmm.py, mmrm.py): given each
subject's design rows X_i, responses y_i and covariance V_i, the GLS estimate, its covariance and
-2 times the REML log-likelihood, constant included as R's nlme reports it:

    -2 l_R = sum_i log|V_i| + log|X'V^-1 X| + r'V^-1 r + (n - p) log(2 pi),   r = y - X beta
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class GLS:
    beta: np.ndarray
    cov: np.ndarray  # (X'V^-1 X)^-1
    deviance: float  # -2 REML log-likelihood
    inverses: list[np.ndarray]  # V_i^-1
    residuals: list[np.ndarray]  # y_i - X_i beta
    xs: list[np.ndarray]

    def scores(self) -> list[np.ndarray]:
        """S_i such that d(-2 l_R) = sum_i tr(S_i dV_i): from d log|V_i| = tr(W_i dV_i),
        d log|X'WX| = -tr(C X'W dV W X) and, beta being optimal, d(r'Wr) = -r'W dV W r
        (W = V^-1, C = (X'WX)^-1)."""
        out = []
        for x, w, r in zip(self.xs, self.inverses, self.residuals):
            wx, u = w @ x, w @ r
            out.append(w - wx @ self.cov @ wx.T - np.outer(u, u))
        return out


def group_rows(subject: np.ndarray, *arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """The rows of each array per subject, subjects in the order they first appear (rows kept in order)."""
    codes, first = np.unique(subject, return_index=True)
    order = np.argsort(first)
    index = {codes[k]: [] for k in order}
    for i, s in enumerate(subject):
        index[s].append(i)
    return [tuple(a[rows] for a in arrays) for rows in map(np.asarray, index.values())]


def gls_reml(xs: list[np.ndarray], ys: list[np.ndarray], covs: list[np.ndarray]) -> GLS:
    p = xs[0].shape[1]
    xwx, xwy, logdet, inverses = np.zeros((p, p)), np.zeros(p), 0.0, []
    for x, y, v in zip(xs, ys, covs):
        chol = np.linalg.cholesky(v)
        w = np.linalg.inv(v)
        logdet += 2 * np.log(np.diag(chol)).sum()
        xwx += x.T @ w @ x
        xwy += x.T @ w @ y
        inverses.append(w)
    cov = np.linalg.inv(xwx)
    beta = cov @ xwy
    residuals = [y - x @ beta for x, y in zip(xs, ys)]
    quad = sum(float(r @ w @ r) for r, w in zip(residuals, inverses))
    n = sum(len(y) for y in ys)
    deviance = logdet + np.linalg.slogdet(xwx)[1] + quad + (n - p) * np.log(2 * np.pi)
    return GLS(beta, cov, float(deviance), inverses, residuals, list(xs))


def newton_polish(objective, x: np.ndarray, *, max_steps: int = 5, tol: float = 1e-8) -> tuple[np.ndarray, bool]:
    """Finish a quasi-Newton fit with Newton steps, and say whether it reached the optimum.

    `objective(x)` returns -2 l_R and its analytic gradient. BFGS on a deviance of several thousand
    units stops ("precision loss") where a further step changes the deviance by less than its rounding,
    a few 1e-8 from the optimum in x with a gradient near 1e-4: its own test cannot tell that point from
    a stall. Here the Hessian is taken by central differences of the analytic gradient, and the fit is
    converged when the Hessian is positive definite and a Newton step would lower the deviance by at
    most `tol` (the decrement g'H^-1 g / 2). A step is kept only if it does not raise the deviance."""
    f, g = objective(x)
    for _ in range(max_steps):
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        hess = np.array([(objective(x + e)[1] - objective(x - e)[1]) / (2 * e[i])
                         for i, e in enumerate(np.diag(h))])
        hess = (hess + hess.T) / 2
        if not np.all(np.isfinite(hess)):
            return x, False
        try:
            low = np.linalg.cholesky(hess)
        except np.linalg.LinAlgError:  # not a minimum, or too flat to tell
            return x, False
        step = -np.linalg.solve(low.T, np.linalg.solve(low, g))
        gain = float(-g @ step) / 2
        f_new, g_new = objective(x + step)
        if f_new <= f:
            x, f, g = x + step, f_new, g_new
        if gain <= tol:
            return x, True
    return x, False
