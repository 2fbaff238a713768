"""All survival analyses of one PARAMCD: KM per arm, log-rank, Cox models, the biomarker analyses, RMST.

The result is built once, as plain objects; the writers in tables.py and figures.py render it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from lifelines.exceptions import ConvergenceError

from cdisc_mirocals.analysis.cox import CoxResult, cox
from cdisc_mirocals.analysis.data import LOG_TERM, AnalysisData
from cdisc_mirocals.analysis.km import ArmSurvival, at_risk, kaplan_meier
from cdisc_mirocals.analysis.logrank import LogRank, logrank, stratified_logrank
from cdisc_mirocals.analysis.rmst import RMST, rmst

COX_MODELS = ("unadjusted", "stratified", "adjusted", "pnfh_low", "pnfh_high", "pnfh_interaction", "pnfh_adjusted")


@dataclass
class ParamResults:
    data: AnalysisData = field(repr=False)
    arms: list[ArmSurvival]
    logrank: dict[str, LogRank | None]
    cox: dict[str, CoxResult | None]
    rmst: RMST | None
    at_risk: pd.DataFrame = field(repr=False)
    subgroups: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.data.paramcd}: {self.data.param} ({self.data.options.population} = 'Y')"]
        lines += [f"  {a}" for a in self.arms]
        lines += [f"  {r}" for r in self.logrank.values() if r is not None]
        lines += [f"  {r}" for r in self.cox.values() if r is not None]
        if self.rmst is not None:
            lines.append(f"  {self.rmst}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        o = self.data.options

        def cox_entry(result: CoxResult | None):
            if result is None:
                return None
            return {"hr": result.hr, "ci_lower": result.ci_lower, "ci_upper": result.ci_upper, "p": result.p,
                    "p_lr": result.p_lr, "ph_p": result.ph_p, "n": result.n, "events": result.events,
                    "ties": result.ties, "strata": result.strata, "terms": result.terms,
                    "comparisons": [asdict(c) for c in result.comparisons]}

        return _plain({
            "paramcd": self.data.paramcd, "param": self.data.param, "population": o.population,
            "treatment_var": o.treatment_var, "reference": o.reference, "ci_transform": o.ci_transform,
            "confidence_level": 1 - o.alpha, "ties": o.ties,
            "arms": [{"arm": a.arm, "n": a.n, "events": a.events, "median": a.median, "median_ci": list(a.median_ci),
                      "survival_at": a.survival_at} for a in self.arms],
            "logrank": {k: (None if v is None else {"chisq": v.chisq, "df": v.df, "p": v.p, "strata": v.strata})
                        for k, v in self.logrank.items()},
            "cox": {k: cox_entry(v) for k, v in self.cox.items()},
            "rmst": None if self.rmst is None else asdict(self.rmst),
            "at_risk": {"times": [float(t) for t in self.at_risk.columns],
                        "counts": {arm: [int(v) for v in row] for arm, row in self.at_risk.iterrows()}},
            "subgroups": self.subgroups, "notes": self.data.notes,
        })


def _plain(value):
    """JSON-ready: NaN and infinities become None (null), numpy numbers plain numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _covariates_available(data: AnalysisData) -> list[str] | None:
    needed = [LOG_TERM.sub(r"\1", c) for c in data.options.covariates]
    missing = [v for v in needed if not data.has(v)]
    if missing or not needed:
        if needed:
            data.notes.append(f"adjusted Cox model skipped: no {', '.join(missing)}")
        return None
    return list(data.options.covariates)


def _safe(fit, note: str, data: AnalysisData, **kwargs) -> CoxResult | None:
    try:
        return fit(**kwargs)
    except (ConvergenceError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # lifelines and statsmodels refuse degenerate data, e.g. no events in one arm of a subgroup
        data.notes.append(f"{note} not estimable: {exc}")
        return None


def analyse(data: AnalysisData, at_risk_times=None) -> ParamResults:
    o, frame, arms = data.options, data.frame, data.arms
    times = o.survival_times
    km = [kaplan_meier(frame, arm, times, o.ci_transform, o.alpha) for arm in arms]
    strata = o.strata_var if data.has(o.strata_var) else None
    if o.strata_var and strata is None:
        data.notes.append(f"stratified analyses skipped: no {o.strata_var}")
    tests = {"unstratified": logrank(frame), "stratified": stratified_logrank(frame, strata) if strata else None}

    def fit(model, subset=None, **kw):
        sub = frame if subset is None else frame[subset]
        return _safe(lambda **k: cox(sub, arms, model=model, ties=o.ties, alpha=o.alpha, **k), f"Cox {model}", data, **kw)

    models: dict[str, CoxResult | None] = dict.fromkeys(COX_MODELS)
    models["unadjusted"] = fit("unadjusted")
    models["stratified"] = fit("stratified", strata=strata) if strata else None
    covariates = _covariates_available(data)
    models["adjusted"] = fit("adjusted", terms=covariates) if covariates else None
    levels = _subgroup_levels(data)
    if len(levels) == 2:
        low, high = levels
        models["pnfh_low"] = fit("pnfh_low", frame[o.subgroup_var] == low)
        models["pnfh_high"] = fit("pnfh_high", frame[o.subgroup_var] == high)
        flagged = frame.assign(_HIGH=(frame[o.subgroup_var] == high).astype(float).where(frame[o.subgroup_var].notna()))
        models["pnfh_interaction"] = _safe(lambda: cox(flagged, arms, model="pnfh_interaction", terms=["_HIGH"],
                                                       interaction="_HIGH", ties=o.ties, alpha=o.alpha),
                                           "Cox pnfh_interaction", data)
    if data.has(o.biomarker_var):
        models["pnfh_adjusted"] = fit("pnfh_adjusted", terms=[f"log({o.biomarker_var})"])
    tau = o.tau or max(times)
    return ParamResults(data, km, tests, models, rmst(frame, arms, tau, o.alpha),
                        at_risk(frame, arms, at_risk_times or [0, *times]), levels)


def _subgroup_levels(data: AnalysisData) -> list[str]:
    var = data.options.subgroup_var
    if not data.has(var):
        if var:
            data.notes.append(f"subgroup analyses skipped: no {var}")
        return []
    values = data.frame[var].dropna()
    if values.nunique() != 2:
        return []
    order = f"{var}N"  # the numeric companion (PNFHGR1N) orders the groups: low first
    if order in data.frame.columns:
        return data.frame.dropna(subset=[var]).groupby(var)[order].min().sort_values().index.tolist()
    return sorted(values.unique())
