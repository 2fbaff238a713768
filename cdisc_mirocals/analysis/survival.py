"""All survival analyses of one PARAMCD, each a Result under a stable key '<PARAMCD>/<name>':

    km                    Kaplan-Meier per arm: median and survival at the requested days
    logrank               log-rank test
    logrank_stratified    log-rank test stratified by the randomisation strata
    cox_unadjusted        Cox model, treatment only
    cox_stratified        Cox model stratified by the randomisation strata
    cox_adjusted          Cox model adjusted for the pre-specified covariates
    cox_pnfh_low          Cox model within the low biomarker group (the first level of the subgroup variable)
    cox_pnfh_high         Cox model within the high biomarker group
    cox_pnfh_interaction  Cox model with the treatment by biomarker-group interaction
    cox_log_pnfh          Cox model adjusted for the log biomarker
    rmst                  restricted mean survival time to tau

An analysis the data cannot support is a skipped Result carrying its reason. The results are built
once; tables.py, figures.py and report.py only render them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from cdisc_mirocals.analysis import fmt
from cdisc_mirocals.analysis.cox import CoxError, cox
from cdisc_mirocals.analysis.data import LOG_TERM, AnalysisData
from cdisc_mirocals.analysis.km import ArmSurvival, at_risk, km
from cdisc_mirocals.analysis.logrank import logrank, stratified_logrank
from cdisc_mirocals.analysis.result import Result
from cdisc_mirocals.analysis.rmst import rmst

ANALYSES = ("km", "logrank", "logrank_stratified", "cox_unadjusted", "cox_stratified", "cox_adjusted", "cox_pnfh_low",
            "cox_pnfh_high", "cox_pnfh_interaction", "cox_log_pnfh", "rmst")
COX = tuple(a for a in ANALYSES if a.startswith("cox_"))


@dataclass
class ParamResults:
    data: AnalysisData
    results: dict[str, Result]  # by analysis name, in ANALYSES order
    curves: list[ArmSurvival]
    at_risk: pd.DataFrame

    def __getitem__(self, name: str) -> Result:
        return self.results[name]

    def describe(self) -> dict:
        o = self.data.options
        return {"paramcd": self.data.paramcd, "param": self.data.param, "population": o.population,
                "population_label": self.data.population_label, "treatment_var": o.treatment_var,
                "reference": o.reference, "arms": self.data.arms, "n": len(self.data.frame),
                "events": int(self.data.frame["event"].sum()),
                "at_risk": {"times": [float(t) for t in self.at_risk.columns],
                            "counts": {arm: [int(v) for v in row] for arm, row in self.at_risk.iterrows()}},
                "notes": self.data.notes}

    def __str__(self) -> str:
        lines = [f"{self.data.paramcd}: {self.data.param} ({self.data.population_label})"]
        return "\n".join(lines + [f"  {headline(r)}" for r in self.results.values()])


def headline(r: Result) -> str:
    """One console line per analysis: its main numbers, or why it was not done."""
    if not r.done:
        return f"{r.title}: not done: {r.skipped}"
    s = r.summary

    def est(row, digits=3):
        return f"{fmt.num(row['estimate'], digits)} {fmt.ci(row['ci_lower'], row['ci_upper'], digits)}"

    if r.key.endswith("/km"):
        meds = s[s["name"] == "median"]
        return "Median (95% CI): " + "; ".join(f"{m['group']} {est(m, 0)}" for _, m in meds.iterrows())
    if "/logrank" in r.key:
        lr = r.row("logrank")
        return f"{r.title}: chi-square {lr['statistic']:.3f} on {lr['df']:g} df, {fmt.pvalue(lr['p'], 'p ')}"
    if r.key.endswith("/rmst"):
        parts = [f"{x['group']} {x['estimate']:.1f}" for _, x in s[s["name"] == "rmst"].iterrows()]
        parts += [f"{x['group']} {est(x, 1)}, {fmt.pvalue(x['p'], 'p ')}" for _, x in
                  s[s["name"] == "difference"].iterrows()]
        return f"{r.title}: " + "; ".join(parts)
    parts = []
    for name in ("hr", "hr_low", "hr_high"):
        for _, x in s[s["name"] == name].iterrows():
            where = f" in {x['term']}" if name != "hr" else ""
            parts.append(f"HR {x['group']}{where} {est(x)}, {fmt.pvalue(x['p'], 'p ')}")
    parts += [f"interaction {fmt.pvalue(x['p'], 'p ')}" for _, x in s[s["name"] == "interaction"].iterrows()]
    parts.append(f"PH test (global) {fmt.pvalue(r.get('ph_global', 'p'), 'p ')}")
    return f"{r.title} (n = {r.n}, events = {r.events}): " + "; ".join(parts)


def _subgroup_levels(data: AnalysisData) -> list[str]:
    var = data.options.subgroup_var
    if not data.has(var):
        return []
    values = data.frame[var].dropna()
    order = f"{var}N"  # the numeric companion (PNFHGR1N) orders the groups: low first
    if order in data.frame.columns:
        return data.frame.dropna(subset=[var]).groupby(var)[order].min().sort_values().index.tolist()
    return sorted(values.unique())


def _subgroup_name(data: AnalysisData) -> str:
    """'Baseline CSF pNFH Group 1' -> 'baseline CSF pNFH': the label without its grouping suffix."""
    var = data.options.subgroup_var or "subgroup"
    text = re.sub(r"\s+Group\s*\d*$", "", data.label(var)).strip()
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _said(data: AnalysisData, term: str) -> str:
    """A model term as a reader reads it, from its variable's label: 'log(PNFHBL)' -> 'log baseline CSF pNFH
    (pg/mL)'. A variable without a label stays its name."""
    match = LOG_TERM.match(term)
    var = match.group(1) if match else term
    label = data.label(var)
    if label != var:  # in a sentence: words lowercased, acronyms and units ('CSF', 'pNFH', '(pg/mL)') kept
        label = " ".join(w.lower() if w[:1].isupper() and w[1:] == w[1:].lower() else w for w in label.split())
    return f"log {label}" if match and label != var else (f"log({var})" if match else label)


def _labels(data: AnalysisData) -> dict[str, str]:
    """The variables of the models by the names `_said` gives them."""
    o = data.options
    names = [o.strata_var, o.subgroup_var, o.biomarker_var, *(LOG_TERM.sub(r"\1", c) for c in o.covariates)]
    return {v: _said(data, v) for v in names if v}


def _titles(data: AnalysisData, levels: list[str]) -> dict[str, str]:
    o = data.options
    sub = _subgroup_name(data)
    low, high = levels if len(levels) == 2 else ("low", "high")
    return {
        "cox_unadjusted": "Cox: unadjusted",
        "cox_stratified": f"Cox: stratified by {_said(data, o.strata_var) if o.strata_var else 'the randomisation strata'}",
        "cox_adjusted": f"Cox: adjusted for {', '.join(_said(data, c) for c in o.covariates) or 'pre-specified covariates'}",
        "cox_pnfh_low": f"Cox: {sub} {low}",
        "cox_pnfh_high": f"Cox: {sub} {high}",
        "cox_pnfh_interaction": f"Cox: treatment by {sub} interaction",
        "cox_log_pnfh": f"Cox: adjusted for {_said(data, f'log({o.biomarker_var})') if o.biomarker_var else 'log(biomarker)'}",
    }


def _why_not(data: AnalysisData, name: str, levels: list[str]) -> tuple[str | None, str | None]:
    """Why a model cannot be fitted for want of a variable, or None; and the option naming that variable
    when it is absent from the data (None when it is there, or not needed)."""
    o = data.options
    if name in ("cox_stratified", "logrank_stratified"):
        if not o.strata_var:
            return "no strata variable given", None
        if not data.has(o.strata_var):
            return f"the strata variable {o.strata_var} is missing or empty", "strata_var"
    if name == "cox_adjusted":
        needed = [LOG_TERM.sub(r"\1", c) for c in o.covariates]
        if not needed:
            return "no covariates given", None
        missing = [v for v in needed if not data.has(v)]
        if missing:
            return f"covariate {', '.join(missing)} missing or empty", "covariates"
    if name.startswith("cox_pnfh"):
        if not o.subgroup_var:
            return "no subgroup variable given", None
        if not data.has(o.subgroup_var):
            return f"the subgroup variable {o.subgroup_var} is missing or empty", "subgroup_var"
        if len(levels) != 2:
            return f"{o.subgroup_var} has {len(levels)} levels; the subgroup analyses need 2", None
    if name == "cox_log_pnfh":
        if not o.biomarker_var:
            return "no biomarker variable given", None
        if not data.has(o.biomarker_var):
            return f"the biomarker variable {o.biomarker_var} is missing or empty", "biomarker_var"
    return None, None


def _absent(data: AnalysisData, option: str) -> str:
    """The variables an option names that the data lack, as a reader reads them."""
    o = data.options
    names = [LOG_TERM.sub(r"\1", c) for c in o.covariates] if option == "covariates" else [getattr(o, option)]
    return ", ".join(v for v in names if not data.has(v))


def analyse(data: AnalysisData, at_risk_times=None) -> ParamResults:
    o, frame, arms = data.options, data.frame, data.arms
    pop = data.population_label
    key = f"{data.paramcd}/{{}}".format
    levels = _subgroup_levels(data)
    titles = _titles(data, levels)
    results: dict[str, Result] = {}
    if frame.empty:
        results["km"], curves = Result.skip(key("km"), "Kaplan-Meier estimates", "Kaplan-Meier",
                                            data.cannot_compare or "no subjects", population=pop), []
    else:
        results["km"], curves = km(frame, arms, o.survival_times, key=key("km"), transform=o.ci_transform,
                                   alpha=o.alpha, population=pop)

    left_out: dict[str, list[str]] = {}  # the study's default analyses whose variables these data lack

    def run(name: str, title: str, fit: Callable[[], Result]) -> None:
        reason, absent = _why_not(data, name, levels)
        if absent is not None and absent not in o.explicit:
            # a default of this study (specs/study.toml) that another study's ADTTE does not carry: not a
            # result of these data at all, so it is left out, and said once, rather than shown as "not done"
            left_out.setdefault(_absent(data, absent), []).append(title)
            return
        reason = data.cannot_compare or reason
        if reason is None:
            try:
                results[name] = fit()
                return
            except CoxError as exc:  # data that give no finite estimate, e.g. no events in one arm of a subgroup
                reason = str(exc)
        results[name] = Result.skip(key(name), title, "", reason, population=pop)

    run("logrank", "Log-rank test", lambda: logrank(frame, key=key("logrank"), population=pop))
    labels = _labels(data)
    run("logrank_stratified", f"Log-rank test stratified by {labels.get(o.strata_var, o.strata_var)}",
        lambda: stratified_logrank(frame, o.strata_var, key=key("logrank_stratified"), population=pop,
                                   label=labels.get(o.strata_var)))

    def model(name, subset=None, **kwargs):
        sub = frame if subset is None else frame[subset]
        return lambda: cox(sub, arms, key=key(name), title=titles[name], ties=o.ties, alpha=o.alpha,
                           population=pop, transform=o.ph_transform, labels=labels, **kwargs)

    run("cox_unadjusted", titles["cox_unadjusted"], model("cox_unadjusted"))
    run("cox_stratified", titles["cox_stratified"], model("cox_stratified", strata=o.strata_var))
    run("cox_adjusted", titles["cox_adjusted"], model("cox_adjusted", terms=list(o.covariates)))
    if len(levels) == 2:
        low, high = levels
        group = frame[o.subgroup_var]
        run("cox_pnfh_low", titles["cox_pnfh_low"], model("cox_pnfh_low", group == low))
        run("cox_pnfh_high", titles["cox_pnfh_high"], model("cox_pnfh_high", group == high))
        indicator = f"{o.subgroup_var}={high}"
        flagged = frame.assign(**{indicator: (group == high).astype(float).where(group.notna())})
        run("cox_pnfh_interaction", titles["cox_pnfh_interaction"],
            lambda: cox(flagged, arms, key=key("cox_pnfh_interaction"), title=titles["cox_pnfh_interaction"],
                        ties=o.ties, alpha=o.alpha, population=pop, transform=o.ph_transform,
                        interaction=(indicator, low, high), labels={**labels, indicator: _subgroup_name(data)}))
    else:
        for name in ("cox_pnfh_low", "cox_pnfh_high", "cox_pnfh_interaction"):
            run(name, titles[name], lambda: None)
    run("cox_log_pnfh", titles["cox_log_pnfh"], model("cox_log_pnfh", terms=[f"log({o.biomarker_var})"]))
    tau = o.tau or max(o.survival_times)
    if frame.empty:
        results["rmst"] = Result.skip(key("rmst"), f"Restricted mean survival time to day {tau:g}", "",
                                      data.cannot_compare or "no subjects", population=pop)
    else:
        results["rmst"] = rmst(frame, arms, tau, key=key("rmst"), alpha=o.alpha, population=pop)
    for name, result in results.items():
        result.display_oid, result.result_oid = o.arm.get(result.key, (None, None))
        if name in COX and result.done and len(arms) > 2:
            result.notes.append(f"{len(arms)} arms: one model with an indicator for each arm but {arms[0]}, so each "
                                f"hazard ratio compares that arm with {arms[0]} within the same model")
    lacked = dict.fromkeys(v.strip() for names in left_out for v in names.split(","))
    notes = [f"not applicable to these data, which have no {', '.join(lacked)}: "
             + "; ".join(t for titles_ in left_out.values() for t in titles_)] if left_out else []
    times = at_risk_times or [0, *o.survival_times]
    ordered = {name: results[name] for name in ANALYSES if name in results}
    data = dataclasses.replace(data, notes=[*data.notes, *notes])
    return ParamResults(data, ordered, curves, at_risk(frame, arms, times))
