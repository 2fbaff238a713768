"""The secondary efficacy analyses as Results: for each parameter of [analysis.longitudinal] (ALSFRS-R
total, SVC % predicted) the difference in rate of decline (lmm.py) and the change from baseline at the
last visit by MMRM (mmrm.py), and CAFS (cafs.py). Records are ANL01FL = 'Y' of the population."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.cafs import cafs_test
from cdisc_mirocals.analysis.data import Dataset, Options, arm_order, population_label
from cdisc_mirocals.analysis.lmm import fit_slopes
from cdisc_mirocals.analysis.mmrm import fit_mmrm
from cdisc_mirocals.analysis.result import Result, summary_frame


def visit_records(dataset: Dataset, paramcd: str, options: Options) -> tuple[pd.DataFrame, list[str], str | None]:
    """The analysis records of one parameter with arm, treated (0/1) and months since randomisation."""
    f = dataset.frame
    cfg = options.longitudinal
    keep = (f["PARAMCD"] == paramcd) & (f[options.population] == "Y") & (f["ANL01FL"] == "Y") & f["AVAL"].notna()
    records = f[keep].copy()
    arms, cannot = arm_order(records, options.treatment_var, options)
    records["arm"] = records[options.treatment_var].astype(str)
    records["treated"] = (records["arm"] != options.reference).astype(float)
    days = (pd.to_datetime(records["ADT"]) - pd.to_datetime(records["RANDDT"])).dt.days
    records["months"] = days / float(cfg["days_per_month"])
    last = records.loc[records["AVISIT"] == cfg["last_visit"], "AVISITN"]
    last_n = float(last.iloc[0]) if len(last) else np.nan
    records["_POST"] = (records["ABLFL"] != "Y") & (records["AVISITN"] > 0) & (records["AVISITN"] <= last_n)
    return records, arms, cannot


def _param_label(dataset: Dataset, paramcd: str) -> str:
    f = dataset.frame
    return str(f.loc[f["PARAMCD"] == paramcd, "PARAM"].iloc[0]) if (f["PARAMCD"] == paramcd).any() else paramcd


def slope_result(dataset: Dataset, paramcd: str, options: Options) -> Result:
    key, param = f"{paramcd}/slope", _param_label(dataset, paramcd)
    title = f"{param}: rate of decline per month, random intercept and slope model"
    method = ("Linear mixed model of AVAL on months since randomisation, treatment and their interaction, with a "
              "random intercept and slope per subject (unstructured), REML; the slope difference is the interaction, "
              f"with a Wald {100 * (1 - options.alpha):g}% CI. Records: baseline and analysis visits up to "
              f"{options.longitudinal['last_visit']} (ANL01FL = 'Y').")
    records, arms, cannot = visit_records(dataset, paramcd, options)
    if cannot:
        return Result.skip(key, title, method, cannot)
    data = records[(records["ABLFL"] == "Y") | records["_POST"]]
    fit = fit_slopes(data)
    rows = []
    for arm, weights in ((arms[0], {"months": 1}), (arms[1], {"months": 1, "months:treated": 1})):
        est = fit.linear(weights, options.alpha)
        rows.append({"name": "slope", "group": arm, "n": float((data.drop_duplicates("USUBJID")["arm"] == arm).sum()),
                     **{k: est[k] for k in ("estimate", "se", "ci_lower", "ci_upper")}})
    diff = fit.linear({"months:treated": 1}, options.alpha)
    rows.append({"name": "slope_difference", "group": arms[1], "term": f"vs {arms[0]}", **diff})
    notes = [] if fit.converged else ["the REML optimiser did not report convergence"]
    return Result(key, title, method, summary_frame(rows), population_label(dataset.labels, options.population),
                  fit.n_subjects, None, {"paramcd": paramcd, "n_records": fit.n_obs, "reml_loglik": fit.reml_loglik,
                                         "random_effects_cov": fit.re_cov.tolist(), "residual_variance": fit.scale},
                  notes)


def mmrm_result(dataset: Dataset, paramcd: str, options: Options) -> Result:
    key, param = f"{paramcd}/mmrm", _param_label(dataset, paramcd)
    last = options.longitudinal["last_visit"]
    title = f"{param}: change from baseline to {last.lower()}, MMRM"
    method = ("MMRM of CHG on BASE, analysis visit, treatment and treatment by visit, unstructured covariance "
              "between visits, REML; Satterthwaite degrees of freedom. Observed cases: a subject contributes the "
              "visits they attended (missing at random, deaths included, no imputation).")
    records, arms, cannot = visit_records(dataset, paramcd, options)
    if cannot:
        return Result.skip(key, title, method, cannot)
    data = records[records["_POST"] & records["CHG"].notna() & records["BASE"].notna()]
    visits = data.sort_values("AVISITN").drop_duplicates("AVISIT")["AVISIT"].tolist()
    if last not in visits:
        return Result.skip(key, title, method, f"no {last} records")
    try:
        fit = fit_mmrm(data, visits=visits)
        base_mean = float(data.drop_duplicates("USUBJID")["BASE"].mean())
        rows = _mmrm_rows(fit, data, visits, arms, base_mean, options)
    except np.linalg.LinAlgError:
        return Result.skip(key, title, method, "the unstructured covariance between visits is not positive definite "
                           "at or near the REML optimum (too few subjects at some visits to estimate it), so "
                           "its standard errors and degrees of freedom cannot be computed")
    notes = [] if fit.converged else ["the REML optimiser did not report convergence"]
    # n counts the subjects the model has, not the population: those with a baseline and a change at a visit
    population = (f"{population_label(dataset.labels, options.population)}, subjects with a baseline and at least "
                  f"one post-baseline value up to {last}")
    return Result(key, title, method, summary_frame(rows), population,
                  fit.n_subjects, None, {"paramcd": paramcd, "visits": visits, "n_records": fit.n_obs,
                                         "reml_deviance": fit.reml_deviance, "base_mean": base_mean,
                                         "covariance": fit.sigma.tolist()}, notes)


def _mmrm_rows(fit, data: pd.DataFrame, visits: list[str], arms: list[str], base_mean: float,
               options: Options) -> list[dict]:
    """The LS mean change per arm and the difference at each visit."""
    rows = []
    for visit in visits:
        for arm, treated in ((arms[0], 0.0), (arms[1], 1.0)):
            w = _weights(fit.terms, visit, visits, base_mean, treated)
            c = fit.contrast(w, options.alpha)
            n = float(((data["AVISIT"] == visit) & (data["arm"] == arm)).sum())
            rows.append({"name": "lsmean_change", "group": arm, "term": visit, "n": n,
                         **{k: c[k] for k in ("estimate", "se", "df", "ci_lower", "ci_upper")}})
        w = _weights(fit.terms, visit, visits, base_mean, 1.0) - _weights(fit.terms, visit, visits, base_mean, 0.0)
        rows.append({"name": "difference", "group": arms[1], "term": visit, **fit.contrast(w, options.alpha)})
    return rows


def _weights(terms: list[str], visit: str, visits: list[str], base_mean: float, treated: float) -> np.ndarray:
    """The least-squares mean of an arm at a visit, BASE at its mean over the subjects analysed."""
    w = np.zeros(len(terms))
    w[terms.index("(Intercept)")] = 1.0
    w[terms.index("BASE")] = base_mean
    w[terms.index("treated")] = treated
    if visit != visits[0]:
        w[terms.index(f"AVISIT{visit}")] = 1.0
        w[terms.index(f"AVISIT{visit}:treated")] = treated
    return w


def cafs_result(function: Dataset, adtte: Dataset, options: Options) -> Result:
    cfg = options.longitudinal["cafs"]
    key = "CAFS/wilcoxon"
    title = "Combined Assessment of Function and Survival (CAFS)"
    method = (f"Each pair of subjects compared on survival ({cfg['survival']}: the later death wins; a subject known "
              "alive at the other's death wins), else on the change from baseline in the ALSFRS-R total at "
              f"{options.longitudinal['last_visit']} or, if missing, the last one observed before it (larger wins; a "
              "tie if either is missing); score = wins - losses; Wilcoxon rank-sum test of the scores (normal "
              "approximation, tie and continuity corrections).")
    records, arms, cannot = visit_records(function, cfg["function"], options)
    if cannot:
        return Result.skip(key, title, method, cannot)
    t = adtte.frame
    tte = t[(t["PARAMCD"] == cfg["survival"]) & (t[options.population] == "Y")]
    post = records[records["_POST"] & records["CHG"].notna()].sort_values(["USUBJID", "AVISITN"])
    change = post.groupby("USUBJID")["CHG"].last()
    frame = pd.DataFrame({"USUBJID": tte["USUBJID"], "arm": tte[options.treatment_var].astype(str),
                          "time": tte["AVAL"].astype(float), "died": (tte["CNSR"] == 0).astype(float)})
    frame["change"] = frame["USUBJID"].map(change)
    test = cafs_test(frame, arms)
    rows = [{"name": "mean_score", "group": a, "estimate": test.mean_by_arm[a], "n": float(test.n_by_arm[a])}
            for a in arms[:2]]
    rows.append({"name": "wilcoxon", "group": arms[1], "term": f"vs {arms[0]}", "statistic": test.w, "p": test.p,
                 "n": float(len(frame))})
    return Result(key, title, method, summary_frame(rows), population_label(adtte.labels, options.population),
                  len(frame), int(frame["died"].sum()), {"survival": cfg["survival"], "function": cfg["function"],
                                                         "with_change": int(frame["change"].notna().sum())})


def secondary(datasets: dict[str, Dataset | None], adtte: Dataset, options: Options) -> dict[str, Result]:
    """Every secondary analysis, by key. Without the dataset (another study's ADaM) there is no such result
    at all, as for this study's survival analyses another ADTTE cannot support; a dataset that lacks a
    variable or the parameter gives a skipped result saying why."""
    out: dict[str, Result] = {}
    cfg = options.longitudinal
    needed = {"PARAMCD", "PARAM", "AVAL", "BASE", "CHG", "ABLFL", "ANL01FL", "ADT", "RANDDT", "AVISIT", "AVISITN",
              "USUBJID", options.population, options.treatment_var}
    for item in cfg.get("parameters", ()):
        ds, code = datasets.get(item["dataset"]), item["paramcd"]
        if ds is None:
            continue
        lacking = sorted(needed - set(ds.frame.columns))
        for make, name in ((slope_result, "slope"), (mmrm_result, "mmrm")):
            key = f"{code}/{name}"
            if lacking or not (ds.frame["PARAMCD"] == code).any():
                why = f"{item['dataset'].lower()} lacks {', '.join(lacking)}" if lacking else \
                    f"no {item['dataset'].lower()} records of {code}"
                out[key] = Result.skip(key, key, "", why)
            else:
                out[key] = make(ds, code, options)
    if "cafs" in cfg:
        ds = datasets.get(next((p["dataset"] for p in cfg.get("parameters", ()) if p["paramcd"] == cfg["cafs"]["function"]),
                               ""))
        function = cfg["cafs"]["function"]
        if ds is not None and f"{function}/slope" in out and out[f"{function}/slope"].done:
            out["CAFS/wilcoxon"] = cafs_result(ds, adtte, options)
        elif ds is not None:
            out["CAFS/wilcoxon"] = Result.skip("CAFS/wilcoxon", "CAFS", "", f"no analysable {function} records")
    for r in out.values():
        r.display_oid, r.result_oid = options.arm.get(r.key, (None, None))
    return out
