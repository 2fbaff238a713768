"""The safety summary, from ADAE and ADSL on disk: treatment-emergent adverse events (TRTEMFL = 'Y') of
the safety population (ADSL SAFFL = 'Y'), by actual treatment (ADSL TRT01A).

    SAFETY/overview   any, related, serious, severe, leading to discontinuation of study treatment,
                      fatal, and injection- (or application-) site TEAEs
    SAFETY/soc_pt     TEAEs by system organ class and preferred term
    SAFETY/severity   subjects by the maximum severity of their TEAEs, overall and by SOC and PT
    SAFETY/serious    serious TEAEs by SOC and PT
    SAFETY/exposure   cycles started, injections given, relative dose intensity, treatment duration

Subjects are counted once per row (n, % of the arm's safety population) and events are records.
Every non-reference arm is compared with the reference: risk difference in percentage points with
the Newcombe hybrid score 95% CI, and, for the dot plot, the relative risk (proportions.py). SOCs are
sorted by the number of subjects with the SOC in all arms, PTs likewise within their SOC, ties
alphabetically. A characteristic ADAE does not collect (missing or empty variable) is skipped with a
note rather than shown as zero.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.baseline import population
from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.proportions import relative_risk, risk_difference
from cdisc_mirocals.analysis.result import Result, summary_frame
from cdisc_mirocals.analysis.summaries import CONTINUOUS_COLUMNS, continuous_rows, whole_numbers

COLUMNS = ("name", "label", "soc", "pt", "severity", "group", "measure", "n", "denominator", "pct", "events", "estimate",
           "ci_lower", "ci_upper")
NOT_RELATED = {"NOT RELATED", "UNLIKELY RELATED", "UNLIKELY", "NONE", "REMOTE"}
SEVERITY_ORDER = ("MILD", "MODERATE", "SEVERE")
ANY = "Any TEAE"


def _collected(adae: pd.DataFrame, var: str) -> bool:
    return var in adae.columns and (adae[var].astype(str).str.strip() != "").any()


def _flags(adae: pd.DataFrame, options: Options) -> tuple[dict[str, tuple[str, pd.Series]], list[str]]:
    """The overview's characteristics: name -> (label, record mask), and notes for those not collected."""
    flags, notes = {"any": (ANY, pd.Series(True, index=adae.index))}, []

    def add(name, label, var, mask):
        if _collected(adae, var):
            flags[name] = (label, mask())
        else:
            notes.append(f"{label}: ADAE has no {var} values, so the row is left out")

    if _collected(adae, "AREL"):
        flags["related"] = ("Related TEAE", adae["AREL"] == "RELATED")
    else:
        add("related", "Related TEAE", "AEREL", lambda: ~adae["AEREL"].str.upper().isin(NOT_RELATED | {""}))
    add("serious", "Serious TEAE", "AESER", lambda: adae["AESER"] == "Y")
    severity = "ASEV" if _collected(adae, "ASEV") else "AESEV"
    add("severe", "Severe TEAE", severity, lambda: adae[severity] == "SEVERE")
    add("discontinued", "TEAE leading to discontinuation of study treatment", "AEACN",
        lambda: adae["AEACN"] == "DRUG WITHDRAWN")
    died = adae["AESDTH"].eq("Y") if "AESDTH" in adae.columns else pd.Series(False, index=adae.index)
    add("fatal", "TEAE with a fatal outcome", "AESDTH" if _collected(adae, "AESDTH") else "AEOUT",
        lambda: died | (adae["AEOUT"] == "FATAL") if "AEOUT" in adae.columns else died)
    pattern = re.compile(options.site_reaction_pattern, re.IGNORECASE)
    flags["site_reaction"] = ("Injection- or application-site reaction",
                              adae["AEDECOD"].astype(str).map(lambda t: bool(pattern.search(t))))
    return flags, notes


def _counts(teae: pd.DataFrame, mask: pd.Series, arms: list[str], denominators: dict[str, int], alpha: float,
            name: str, soc: str | None = None, pt: str | None = None, severity: str | None = None,
            compare: bool = True) -> list[dict]:
    rows, hits = [], teae[mask]
    n = {arm: hits.loc[hits["arm"] == arm, "USUBJID"].nunique() for arm in arms}
    for arm in arms:
        rows.append({"name": name, "soc": soc, "pt": pt, "severity": severity, "group": arm, "measure": "subjects",
                     "n": n[arm], "denominator": denominators[arm],
                     "pct": 100 * n[arm] / denominators[arm] if denominators[arm] else np.nan,
                     "events": int((hits["arm"] == arm).sum())})
    if compare:
        ref = arms[0]
        for arm in arms[1:]:
            base = {"name": name, "soc": soc, "pt": pt, "severity": severity}
            d, lo, hi = risk_difference(n[arm], denominators[arm], n[ref], denominators[ref], alpha)
            rows.append({**base, "group": f"{arm} - {ref}", "measure": "risk_difference", "estimate": 100 * d,
                         "ci_lower": 100 * lo, "ci_upper": 100 * hi})
            rr, lo, hi = relative_risk(n[arm], denominators[arm], n[ref], denominators[ref], alpha)
            rows.append({**base, "group": f"{arm} / {ref}", "measure": "relative_risk", "estimate": rr,
                         "ci_lower": lo, "ci_upper": hi})
    return rows


def _by_frequency(teae: pd.DataFrame, by: list[str]) -> list:
    counts = teae.groupby(by)["USUBJID"].nunique().reset_index(name="n")
    counts = counts.sort_values(["n", *by], ascending=[False, *[True] * len(by)], kind="stable")
    return [tuple(r) if len(by) > 1 else r[0] for r in counts[by].itertuples(index=False)]


def _groups(frame: pd.DataFrame, by: str | list[str]) -> dict:
    """{key: the records of that key, in their order}: each table row counts its own records, not masks
    over the whole table (one pass, where a mask per SOC and PT grows with their number times the records)."""
    return dict(tuple(frame.groupby(by, sort=False)))


def _all(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=frame.index)


def soc_pt_rows(teae: pd.DataFrame, arms, denominators, alpha, compare: bool) -> list[dict]:
    rows = _counts(teae, _all(teae), arms, denominators, alpha, "any", compare=compare)
    socs = _groups(teae, "AEBODSYS")
    for soc in _by_frequency(teae, ["AEBODSYS"]):
        in_soc = socs[soc]
        rows += _counts(in_soc, _all(in_soc), arms, denominators, alpha, "soc", soc, compare=compare)
        pts = _groups(in_soc, "AEDECOD")
        for pt in _by_frequency(in_soc, ["AEDECOD"]):
            rows += _counts(pts[pt], _all(pts[pt]), arms, denominators, alpha, "pt", soc, pt, compare=compare)
    return rows


def _max_severity(teae: pd.DataFrame, by: list[str], order: list[str]) -> pd.DataFrame:
    rank = teae["_SEV"].map({s: i for i, s in enumerate(order)})
    worst = teae.assign(_RANK=rank).sort_values("_RANK").groupby(["USUBJID", *by], as_index=False).tail(1)
    return worst


def severity_rows(teae: pd.DataFrame, arms, denominators, alpha) -> list[dict]:
    """Each subject once per row, at the worst severity of their TEAEs in that row; rows in the order
    of the SOC/PT table."""
    order = [s for s in SEVERITY_ORDER if s in set(teae["_SEV"])] + sorted(set(teae["_SEV"]) - set(SEVERITY_ORDER))
    worst = {"any": {None: _max_severity(teae, [], order)},
             "soc": _groups(_max_severity(teae, ["AEBODSYS"], order), "AEBODSYS"),
             "pt": _groups(_max_severity(teae, ["AEBODSYS", "AEDECOD"], order), ["AEBODSYS", "AEDECOD"])}

    def block(name, key, soc=None, pt=None):
        w = worst[name][key]
        return [r for sev in order for r in _counts(w, w["_SEV"] == sev, arms, denominators, alpha, name,
                                                      soc, pt, sev, compare=False)]

    rows = block("any", None)
    socs = _groups(teae, "AEBODSYS")
    for soc in _by_frequency(teae, ["AEBODSYS"]):
        rows += block("soc", soc, soc)
        for pt in _by_frequency(socs[soc], ["AEDECOD"]):
            rows += block("pt", (soc, pt), soc, pt)
    return rows


def safety(adsl: Dataset, adae: Dataset | None, options: Options) -> dict[str, Result]:
    o = options
    keys = {"overview": "Overview of treatment-emergent adverse events (TEAEs)",
            "soc_pt": "TEAEs by system organ class and preferred term",
            "severity": "Subjects by maximum severity of TEAEs", "serious": "Serious TEAEs by system organ class "
            "and preferred term", "exposure": "Exposure to study treatment"}
    pop_label = population_label(adsl.labels if adsl else {}, o.safety_population)
    method = ("subjects n (% of the safety population) and events; risk difference (percentage points) with the "
              f"Newcombe hybrid score {100 * (1 - o.alpha):g}% CI; the relative risk, with a log-scale CI, is "
              "shown in the dot plot of the most frequent TEAEs, not in the tables")
    frame, arms = population(adsl, o.safety_population, o.safety_treatment_var, o) if adsl else (None, [])
    results = {}
    if not arms:
        why = "no ADSL" if adsl is None else (f"no subject has {o.safety_population} = 'Y' in ADSL, or ADSL has no "
                                              f"{o.safety_population} or {o.safety_treatment_var}")
        return {k: Result.skip(f"SAFETY/{k}", t, method, why, population=pop_label) for k, t in keys.items()}
    denominators = {a: int((frame["arm"] == a).sum()) for a in arms}
    compare = len(arms) > 1 and arms[0] == o.reference
    params = {"arms": arms, "n_by_arm": denominators, "treatment_var": o.safety_treatment_var,
              "reference": o.reference if compare else None, "confidence_level": 1 - o.alpha}
    results["exposure"] = _exposure(frame, adsl, arms, o, keys["exposure"], pop_label, params)
    if adae is None:
        why = "no adae.xpt beside ADSL"
        for k, t in keys.items():
            results.setdefault(k, Result.skip(f"SAFETY/{k}", t, method, why, population=pop_label))
        return {k: results[k] for k in keys}
    ae = adae.frame
    missing = [v for v in ("USUBJID", "TRTEMFL", "AEBODSYS", "AEDECOD") if v not in ae.columns]
    if missing:
        why = f"ADAE has no {', '.join(missing)}"
        for k, t in keys.items():
            results.setdefault(k, Result.skip(f"SAFETY/{k}", t, method, why, population=pop_label))
        return {k: results[k] for k in keys}
    teae = ae[ae["TRTEMFL"] == "Y"].merge(frame[["USUBJID", "arm"]], on="USUBJID", how="inner")
    n_pop, events = len(frame), len(teae)
    flags, notes = _flags(teae, o)
    overview = []
    for name, (label, mask) in flags.items():
        overview += [{**r, "label": label} for r in _counts(teae, mask, arms, denominators, o.alpha, name, compare=compare)]
    results["overview"] = Result("SAFETY/overview", keys["overview"], method, summary_frame(overview, COLUMNS),
                                 pop_label, n_pop, events, {**params, "site_reaction_pattern": o.site_reaction_pattern},
                                 notes)
    results["soc_pt"] = Result("SAFETY/soc_pt", keys["soc_pt"], method,
                               summary_frame(soc_pt_rows(teae, arms, denominators, o.alpha, compare), COLUMNS),
                               pop_label, n_pop, events, params)
    sev_var = "ASEV" if _collected(teae, "ASEV") else "AESEV"
    if _collected(teae, sev_var):
        sev = teae.assign(_SEV=teae[sev_var].replace("", "MISSING"))
        results["severity"] = Result("SAFETY/severity", keys["severity"], "subjects n (%), each counted once at the "
                                     f"maximum severity ({sev_var}) of their TEAEs", summary_frame(
                                         severity_rows(sev, arms, denominators, o.alpha), COLUMNS),
                                     pop_label, n_pop, events, {**params, "severity_var": sev_var})
    else:
        results["severity"] = Result.skip("SAFETY/severity", keys["severity"], "", "ADAE has no ASEV or AESEV values",
                                          population=pop_label)
    if _collected(teae, "AESER"):
        serious = teae[teae["AESER"] == "Y"]
        results["serious"] = Result("SAFETY/serious", keys["serious"], method, summary_frame(
            soc_pt_rows(serious, arms, denominators, o.alpha, compare), COLUMNS), pop_label, n_pop, len(serious), params)
    else:
        results["serious"] = Result.skip("SAFETY/serious", keys["serious"], "", "ADAE has no AESER values",
                                         population=pop_label)
    return {k: results[k] for k in keys}


def _exposure(frame, adsl: Dataset, arms, o: Options, title, pop_label, params) -> Result:
    present = [v for v in o.exposure_vars if v in frame.columns]
    absent = [v for v in o.exposure_vars if v not in present]
    notes = [f"not in ADSL, so not in the exposure summary: {', '.join(absent)}"] if absent else []
    if not present:
        return Result.skip("SAFETY/exposure", title, "", "ADSL has none of the exposure variables "
                           f"{', '.join(o.exposure_vars) or '(none configured)'}", population=pop_label)
    rows = [r for v in present for r in continuous_rows(frame, v, adsl.labels.get(v, v), arms)]
    params = {**params, "whole_numbers": [v for v in present if whole_numbers(frame[v])]}
    return Result("SAFETY/exposure", title, "n, mean (SD), median (Q1, Q3), range by arm (quartiles by linear "
                  "interpolation, Hyndman-Fan type 7)",
                  summary_frame(rows, CONTINUOUS_COLUMNS), pop_label, len(frame), None, params, notes)
