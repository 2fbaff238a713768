"""Cox proportional hazards: lifelines (Efron ties), statsmodels PHReg for Breslow ties.

Each fit reports, per non-reference arm, the hazard ratio with its confidence interval and Wald p;
for the treatment as a whole, the likelihood-ratio p (against the same model without treatment) and
the Schoenfeld-residual test of proportional hazards (lifelines, rank time transform).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import proportional_hazard_test
from scipy.stats import chi2, norm
from statsmodels.duration.hazard_regression import PHReg

TIES = ("efron", "breslow")
LOG_TERM = re.compile(r"^log\((\w+)\)$")


@dataclass
class Comparison:
    arm: str
    hr: float
    ci_lower: float
    ci_upper: float
    p: float


@dataclass
class CoxResult:
    model: str
    comparisons: list[Comparison]
    p_lr: float | None
    ph_p: float | None
    n: int
    events: int
    ties: str
    terms: list[str] = field(default_factory=list)
    strata: str | None = None
    interaction_p: float | None = None

    def _only(self, name: str):
        return getattr(self.comparisons[0], name) if len(self.comparisons) == 1 else None

    @property
    def hr(self):
        return self._only("hr")

    @property
    def ci_lower(self):
        return self._only("ci_lower")

    @property
    def ci_upper(self):
        return self._only("ci_upper")

    @property
    def p(self):
        return self.interaction_p if self.interaction_p is not None else self._only("p")

    def __str__(self) -> str:
        parts = [f"{c.arm}: HR {c.hr:.3f} ({c.ci_lower:.3f}-{c.ci_upper:.3f}), Wald p {c.p:.4g}" for c in self.comparisons]
        if self.interaction_p is not None:
            parts.append(f"interaction p {self.interaction_p:.4g}")
        return f"Cox {self.model} ({self.ties}; n={self.n}, events={self.events}): " + "; ".join(parts)


def design(frame: pd.DataFrame, arms: list[str], terms=()) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Treatment dummies (reference arm omitted) and covariate columns; 'log(X)' logs X, text is one-hot coded."""
    x = pd.DataFrame(index=frame.index)
    treatment = []
    for i, arm in enumerate(arms[1:], start=1):
        x[f"trt{i}"] = (frame["arm"] == arm).astype(float)
        treatment.append(f"trt{i}")
    covariates = []
    for term in terms:
        match = LOG_TERM.match(term)
        var = match.group(1) if match else term
        values = frame[var]
        if match:
            x[term] = np.log(pd.to_numeric(values, errors="coerce").where(lambda v: v > 0))
            covariates.append(term)
        elif pd.api.types.is_numeric_dtype(values):
            x[term] = values.astype(float)
            covariates.append(term)
        else:
            levels = sorted(values.dropna().unique())
            for level in levels[1:]:
                name = f"{var}={level}"
                x[name] = (values == level).astype(float).where(values.notna())
                covariates.append(name)
    return x, treatment, covariates


def _fit_lifelines(data: pd.DataFrame, columns: list[str], strata: str | None, alpha: float) -> CoxPHFitter:
    cols = [*columns, "time", "event"] + ([strata] if strata else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter(alpha=alpha).fit(data[cols], "time", "event", strata=[strata] if strata else None)


def _null_loglik(data: pd.DataFrame, strata: str | None, ties: str) -> float:
    """Log partial likelihood at beta = 0 (the model with no covariates), same strata and ties."""
    model = PHReg(data["time"].to_numpy(), np.zeros((len(data), 1)), status=data["event"].to_numpy(), ties=ties,
                  strata=data[strata].to_numpy() if strata else None)
    return float(model.loglike(np.zeros(1)))


def _loglik(data, columns, strata, ties, alpha):
    if not columns:
        return _null_loglik(data, strata, ties), None
    if ties == "efron":
        fit = _fit_lifelines(data, columns, strata, alpha)
        return float(fit.log_likelihood_), fit
    model = PHReg(data["time"].to_numpy(), data[columns].to_numpy(), status=data["event"].to_numpy(), ties=ties,
                  strata=data[strata].to_numpy() if strata else None)
    return float(model.fit().llf), model


def cox(frame: pd.DataFrame, arms: list[str], *, model: str, terms=(), strata: str | None = None,
        ties: str = "efron", alpha: float = 0.05, interaction: str | None = None) -> CoxResult:
    """Fit treatment (+ terms) [stratified]; with `interaction`, add treatment x that binary term and
    report its p (Wald; LR in p_lr)."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}")
    x, treatment, covariates = design(frame, arms, terms)
    data = pd.concat([x, frame[["time", "event"] + ([strata] if strata else [])]], axis=1).dropna()
    columns = treatment + covariates
    tested = treatment
    if interaction is not None:
        inter = [f"{t}:{interaction}" for t in treatment]
        for t, name in zip(treatment, inter):
            data[name] = data[t] * data[interaction]
        columns, tested = columns + inter, inter
    ll_full, fitted = _loglik(data, columns, strata, ties, alpha)
    ll_reduced, _ = _loglik(data, [c for c in columns if c not in tested], strata, ties, alpha)
    p_lr = float(chi2.sf(2 * (ll_full - ll_reduced), len(tested)))
    if ties == "efron":
        params, se = fitted.params_, fitted.standard_errors_
    else:
        result = fitted.fit()
        params, se = pd.Series(result.params, index=columns), pd.Series(result.bse, index=columns)
    z = norm.ppf(1 - alpha / 2)
    comparisons = [Comparison(arm, float(np.exp(params[t])), float(np.exp(params[t] - z * se[t])),
                              float(np.exp(params[t] + z * se[t])), float(2 * norm.sf(abs(params[t] / se[t]))))
                   for arm, t in zip(arms[1:], treatment)]
    ph = _schoenfeld_p(data, columns, strata, alpha, treatment)
    interaction_p = None
    if interaction is not None:
        t = tested[0]
        interaction_p = float(2 * norm.sf(abs(params[t] / se[t])))
    return CoxResult(model, comparisons, p_lr, ph, len(data), int(data["event"].sum()), ties,
                     covariates, strata, interaction_p)


def _schoenfeld_p(data, columns, strata, alpha, treatment) -> float | None:
    """Proportional-hazards test of the treatment term(s); the smallest p when there are several arms."""
    try:
        fit = _fit_lifelines(data, columns, strata, alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test = proportional_hazard_test(fit, data[[*columns, "time", "event"] + ([strata] if strata else [])],
                                            time_transform="rank")
        return float(test.summary.loc[treatment, "p"].min())
    except (ConvergenceError, ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        return None  # a degenerate fit (e.g. no events in a subgroup) has no PH test
