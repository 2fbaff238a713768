"""Cox proportional hazards by Newton-Raphson on the partial likelihood (riskset.py), Efron or Breslow
ties, optionally stratified, as R's coxph does it; converged far tighter than coxph's default so that
the two agree to 1e-8 (tests/reference/r).

`cox()` returns a Result whose summary has, per non-reference arm, the treatment hazard ratio (Wald
CI and p); each covariate's hazard ratio; the likelihood-ratio test of the treatment terms (of the
interaction terms in an interaction model); and the proportional-hazards test of every term and the
global one (coxzph.py, R's cox.zph). An interaction model names its numbers apart: `hr_low` and
`hr_high` (the treatment HR in each subgroup) and `interaction` (the ratio of the two, Wald p).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from cdisc_mirocals.analysis.coxzph import cox_zph
from cdisc_mirocals.analysis.result import Result, summary_frame
from cdisc_mirocals.analysis.riskset import TIES, blocks

LOG_TERM = re.compile(r"^log\((\w+)\)$")
MAX_ITER = 60
# how a method names the time scale of the proportional-hazards test (coxzph.py), for a reader
TRANSFORM_NAMES = {"km": "Kaplan-Meier", "rank": "rank", "identity": "identity", "log": "log"}
DIVERGED = 20.0  # |log HR| beyond this is a monotone likelihood, not an estimate


class CoxError(ValueError):
    """A model that has no finite estimate (no events in a group, collinear or constant terms)."""


@dataclass
class Design:
    x: pd.DataFrame  # the model matrix
    terms: dict[str, list[str]]  # model term -> its columns, in model order (as R's fit$assign)
    treatment: list[str]  # the treatment columns, one per non-reference arm


def design(frame: pd.DataFrame, arms: list[str], terms=()) -> Design:
    """Treatment dummies (reference arm omitted), then each term: 'log(X)' logs X, a number stays a
    number, text is coded with one dummy per level but the first (R's treatment contrasts)."""
    x = pd.DataFrame(index=frame.index)
    treatment = [f"trt{i}" for i in range(1, len(arms))]
    for column, arm in zip(treatment, arms[1:]):
        x[column] = (frame["arm"] == arm).astype(float)
    model_terms = {"treatment": treatment}
    for term in terms:
        match = LOG_TERM.match(term)
        var = match.group(1) if match else term
        values = frame[var]
        if match:
            x[term] = np.log(pd.to_numeric(values, errors="coerce").where(lambda v: v > 0))
            model_terms[term] = [term]
        elif pd.api.types.is_numeric_dtype(values):
            x[term] = values.astype(float)
            model_terms[term] = [term]
        else:
            levels = sorted(values.dropna().unique())
            names = [f"{var}={level}" for level in levels[1:]]
            for name, level in zip(names, levels[1:]):
                x[name] = (values == level).astype(float).where(values.notna())
            model_terms[term] = names
    return Design(x, model_terms, treatment)


@dataclass
class CoxFit:
    columns: list[str]
    beta: np.ndarray
    cov: np.ndarray
    loglik: float
    loglik_null: float  # at beta = 0: the model with strata only
    iterations: int
    ties: str
    time: np.ndarray
    event: np.ndarray
    strata: np.ndarray | None
    x: np.ndarray

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def fit_cox(time, event, x, strata=None, ties: str = "efron", columns: list[str] | None = None) -> CoxFit:
    """Newton-Raphson with step halving from beta = 0 (as coxph), until the log partial likelihood
    changes by less than 1e-13 relative and the step is below 1e-10."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, not {ties!r}")
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    x = np.asarray(x, dtype=float)
    columns = columns or [f"x{i}" for i in range(x.shape[1])]
    if event.sum() == 0:
        raise CoxError("no events")
    constant = [c for c, col in zip(columns, x.T) if np.ptp(col) == 0]
    if constant:
        raise CoxError(f"{', '.join(constant)} takes a single value in these data")
    beta = np.zeros(x.shape[1])
    b = blocks(time, event, strata, x, beta, ties)
    loglik = loglik_null = float(b.loglik.sum())
    for iteration in range(1, MAX_ITER + 1):
        try:
            step = np.linalg.solve(b.info.sum(axis=0), b.score.sum(axis=0))
        except np.linalg.LinAlgError:
            raise CoxError(f"the information matrix is singular: {', '.join(columns)} are collinear") from None
        for _ in range(40):  # halve the step until the likelihood does not fall
            new = blocks(time, event, strata, x, beta + step, ties)
            new_loglik = float(new.loglik.sum())
            if new_loglik >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        beta, b, change, loglik = beta + step, new, new_loglik - loglik, new_loglik
        if abs(change) <= 1e-13 * abs(loglik) and np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise CoxError(f"no convergence in {MAX_ITER} iterations")
    diverged = [c for c, v in zip(columns, beta) if abs(v) > DIVERGED]
    if diverged:
        raise CoxError(f"the coefficient of {', '.join(diverged)} tends to infinity "
                       f"(monotone likelihood: no events in one group)")
    try:
        cov = np.linalg.inv(b.info.sum(axis=0))
    except np.linalg.LinAlgError:
        raise CoxError(f"the information matrix is singular: {', '.join(columns)} are collinear") from None
    return CoxFit(list(columns), beta, cov, loglik, loglik_null, iteration, ties, time, event, strata, x)


def _strata_codes(values: pd.Series | None) -> np.ndarray | None:
    return None if values is None else pd.factorize(values, sort=True)[0]


def _wald(beta: float, se: float, z: float) -> dict:
    return {"estimate": float(np.exp(beta)), "ci_lower": float(np.exp(beta - z * se)),
            "ci_upper": float(np.exp(beta + z * se)), "se": float(se), "statistic": float(beta / se),
            "p": float(2 * norm.sf(abs(beta / se)))}


def cox(frame: pd.DataFrame, arms: list[str], *, key: str, title: str, terms=(), strata: str | None = None,
        ties: str = "efron", alpha: float = 0.05, interaction: tuple[str, str, str] | None = None,
        population: str | None = None, transform: str = "km", labels: Mapping[str, str] | None = None) -> Result:
    """Fit treatment (+ terms) [stratified by `strata`]. With `interaction` = (column, low label, high
    label), `column` is a 0/1 subgroup indicator added with its treatment interaction. `labels` name the
    variables as a reader reads them (the method's strata, the note on subjects left out)."""
    labels = labels or {}
    d = design(frame, arms, [*terms, *([interaction[0]] if interaction else [])])
    extra = [strata] if strata else []
    data = pd.concat([d.x, frame[["time", "event", *extra]]], axis=1).dropna()
    model_terms = dict(d.terms)
    tested = d.treatment
    if interaction is not None:
        inter = [f"{t}:{interaction[0]}" for t in d.treatment]
        for t, name in zip(d.treatment, inter):
            data[name] = data[t] * data[interaction[0]]
        model_terms["treatment:subgroup"] = tested = inter
    columns = [c for cols in model_terms.values() for c in cols]
    codes = _strata_codes(data[strata]) if strata else None
    time, event = data["time"].to_numpy(), data["event"].to_numpy()
    for arm, col in zip(arms[1:], d.treatment):
        for name, sel in ((arms[0], data[d.treatment].sum(axis=1) == 0), (arm, data[col] == 1)):
            if not sel.any():
                raise CoxError(f"no subjects of arm {name} with complete data")
            if not data.loc[sel, "event"].any():
                raise CoxError(f"no events in arm {name}")
    fit = fit_cox(time, event, data[columns].to_numpy(), codes, ties, columns)
    reduced_cols = [c for c in columns if c not in tested]
    reduced = fit_cox(time, event, data[reduced_cols].to_numpy(), codes, ties, reduced_cols) if reduced_cols else None
    lr = 2 * (fit.loglik - (reduced.loglik if reduced else fit.loglik_null))
    z = norm.ppf(1 - alpha / 2)
    index = {c: i for i, c in enumerate(columns)}
    rows = []
    if interaction is None:
        for arm, col in zip(arms[1:], d.treatment):
            rows.append({"name": "hr", "group": arm, **_wald(fit.beta[index[col]], fit.se[index[col]], z)})
    else:
        _, low, high = interaction
        for arm, col, icol in zip(arms[1:], d.treatment, tested):
            i, j = index[col], index[icol]
            both = fit.beta[i] + fit.beta[j]
            se_both = np.sqrt(fit.cov[i, i] + fit.cov[j, j] + 2 * fit.cov[i, j])
            rows += [{"name": "hr_low", "group": arm, "term": low, **_wald(fit.beta[i], fit.se[i], z)},
                     {"name": "hr_high", "group": arm, "term": high, **_wald(both, se_both, z)},
                     {"name": "interaction", "group": arm, "term": f"{high} vs {low}",
                      **_wald(fit.beta[j], fit.se[j], z)}]
    for col in columns:
        if col not in d.treatment and col not in tested:
            rows.append({"name": "covariate_hr", "term": col, **_wald(fit.beta[index[col]], fit.se[index[col]], z)})
    rows.append({"name": "lr", "term": "treatment:subgroup" if interaction else "treatment", "statistic": lr,
                 "df": len(tested), "p": float(chi2.sf(lr, len(tested)))})
    zph = cox_zph(fit, model_terms, transform)
    rows += [{"name": "ph_global" if term == "GLOBAL" else "ph", "term": None if term == "GLOBAL" else term,
              "statistic": chisq, "df": df, "p": p} for term, chisq, df, p in zph]
    n, events = len(data), int(data["event"].sum())
    notes = _left_out(frame, d, strata, labels) if n < len(frame) else []
    for r in rows:
        r.setdefault("n", n)
        r.setdefault("events", events)
    method = (f"Cox proportional hazards, {ties.capitalize()} ties{', stratified by ' + labels.get(strata, strata) if strata else ''}; "
              f"Wald {100 * (1 - alpha):g}% CI; likelihood-ratio test; PH test: Grambsch-Therneau score test of "
              f"beta(t) = beta + theta g(t), g the {TRANSFORM_NAMES.get(transform, transform)} time transform")
    parameters = {"ties": ties, "strata": strata, "terms": list(terms), "columns": columns,
                  "subgroup": interaction[0] if interaction else None, "confidence_level": 1 - alpha,
                  "ph_transform": transform, "loglik": fit.loglik, "loglik_null": fit.loglik_null,
                  "iterations": fit.iterations}
    return Result(key, title, method, summary_frame(rows), population, n, events, parameters, notes)


def _left_out(frame: pd.DataFrame, d: Design, strata: str | None, labels: Mapping[str, str]) -> list[str]:
    """The note a model fitted to complete cases needs: how many subjects it leaves out, and for want of what."""
    missing = {}
    for term, columns in d.terms.items():
        if term == "treatment":
            continue
        match = LOG_TERM.match(term)
        var = match.group(1) if match else term.split("=")[0]
        said = labels.get(term) or labels.get(var, var)
        count = int(d.x[columns].isna().any(axis=1).sum())
        if match and count > int(frame[var].isna().sum()):
            said += " (missing, or not positive for its log)"
        missing[said] = count
    if strata:
        missing[labels.get(strata, strata)] = int(frame[strata].isna().sum())
    lacking = "; ".join(f"{what}: {k}" for what, k in missing.items() if k)
    out = int((d.x.isna().any(axis=1) | (frame[strata].isna() if strata else False)).sum())
    return [f"complete cases: {out} of {len(frame)} subjects left out for a missing covariate ({lacking})"]
