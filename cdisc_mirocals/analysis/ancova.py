"""Analysis of covariance by ordinary least squares: the response on the treatment arm, continuous
covariates and categorical factors, with least-squares means per arm and each arm's difference from the
reference arm (t-based CI and test on the residual degrees of freedom).

LS means are taken as SAS's LSMEANS and R's emmeans take them by default: each continuous covariate at
its mean over the analysed records, each factor's levels weighted equally. In a model without
interactions the difference of two LS means is the treatment coefficient, whatever those choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import t as t_dist


@dataclass(frozen=True)
class AncovaFit:
    columns: tuple[str, ...]  # the design's columns: intercept, arm indicators, covariates, factor indicators
    coef: np.ndarray
    vcov: np.ndarray
    df: int
    sigma: float
    n: int
    means: np.ndarray  # the design row of the LS means, before the arm is set


def _design(frame: pd.DataFrame, arm_var: str, arms: Sequence[str], covariates: Sequence[str],
            factors: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Treatment contrasts (first level the reference, as R's default); factor levels sorted."""
    columns, parts, grid = ["(Intercept)"], [np.ones(len(frame))], [1.0]
    for arm in arms[1:]:
        columns.append(f"{arm_var}{arm}")
        parts.append((frame[arm_var] == arm).to_numpy(float))
        grid.append(0.0)
    for var in covariates:
        x = frame[var].to_numpy(float)
        columns.append(var)
        parts.append(x)
        grid.append(float(x.mean()))
    for var in factors:
        levels = sorted(frame[var].unique())
        for level in levels[1:]:
            columns.append(f"{var}{level}")
            parts.append((frame[var] == level).to_numpy(float))
            grid.append(1.0 / len(levels))
    return np.column_stack(parts), columns, np.array(grid)


def fit_ancova(frame: pd.DataFrame, *, response: str, arm_var: str, arms: Sequence[str],
               covariates: Sequence[str] = (), factors: Sequence[str] = ()) -> AncovaFit:
    """OLS fit of `response` on the arm (reference `arms[0]`), `covariates` and `factors`, on the records
    with every variable present. A factor with one level among them is left out (it is the intercept)."""
    data = frame.dropna(subset=[response, *covariates])
    data = data[data[arm_var].isin(arms)]
    for var in factors:
        data = data[data[var].notna() & (data[var].astype(str) != "")]
    factors = [f for f in factors if data[f].nunique() > 1]
    x, columns, grid = _design(data, arm_var, arms, covariates, factors)
    y = data[response].to_numpy(float)
    df = len(y) - x.shape[1]
    if df <= 0 or np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError(f"{len(y)} records cannot estimate the {x.shape[1]} terms of the model")
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y
    resid = y - x @ coef
    sigma2 = float(resid @ resid / df)
    return AncovaFit(tuple(columns), coef, sigma2 * xtx_inv, df, float(np.sqrt(sigma2)), len(y), grid)


def _estimate(fit: AncovaFit, contrast: np.ndarray, alpha: float) -> dict:
    est = float(contrast @ fit.coef)
    se = float(np.sqrt(contrast @ fit.vcov @ contrast))
    q = t_dist.ppf(1 - alpha / 2, fit.df)
    stat = est / se
    return {"estimate": est, "se": se, "ci_lower": est - q * se, "ci_upper": est + q * se, "statistic": stat,
            "df": float(fit.df), "p": float(2 * t_dist.sf(abs(stat), fit.df))}


def lsmeans(fit: AncovaFit, arms: Sequence[str], alpha: float = 0.05) -> list[dict]:
    """Per arm: the LS mean (rows name 'lsmean'); per other arm: its difference from the reference
    ('difference', group 'arm - reference')."""
    rows = []
    for i, arm in enumerate(arms):
        c = fit.means.copy()
        if i:
            c[i] = 1.0
        rows.append({"name": "lsmean", "group": arm, **_estimate(fit, c, alpha)})
    for i, arm in enumerate(arms[1:], start=1):
        c = np.zeros(len(fit.coef))
        c[i] = 1.0
        rows.append({"name": "difference", "group": f"{arm} - {arms[0]}", **_estimate(fit, c, alpha)})
    return rows
