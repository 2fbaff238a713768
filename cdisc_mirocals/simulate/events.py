"""Log forms: INJ (injection log), AE, MH and CM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.dates import blur_raw, days_to_raw
from cdisc_mirocals.simulate.assessments import fmt
from cdisc_mirocals.simulate.catalogue import (AE_TERMS, CM_TERMS, FATAL_AE, MH_TERMS, RILUZOLE, RILUZOLE_VERBATIM,
                                               RUNIN_TERMS, meddra)
from cdisc_mirocals.simulate.subjects import IL2, NONE, YEAR, Calibration, stream

SEVERITY = ("Mild", "Moderate", "Severe")
RELATION = ("Not related", "Unlikely related", "Possibly related", "Probably related", "Related")
MISSED_REASONS = (("Forgot", 0.6), ("Adverse event", 0.2), ("Hospitalisation", 0.1), ("Other", 0.1))


def injections(s: pd.DataFrame, seed: int, study) -> pd.DataFrame:
    """One row per planned injection of every cycle that started before treatment ended (days as numbers)."""
    rng = stream(seed, "injections")
    tr = study["treatment"]
    cal = Calibration(study)
    r = s[s["randomised"]]
    length, per = tr["cycle_length_days"], tr["injections_per_cycle"]
    offset = (np.arange(tr["cycles"])[:, None] * length + np.arange(per)[None, :]).ravel()
    cycle = np.repeat(np.arange(1, tr["cycles"] + 1), per)
    day = np.tile(np.arange(1, per + 1), tr["cycles"])
    started = ((r["treatment_stop"] - r["rand"]).to_numpy()[:, None] > offset[None, ::per]).sum(axis=1)
    # No log entries after a death; after a discontinuation the rest of that cycle is logged as not given.
    n_rows = np.where(r["treatment_reason"] == "Death", np.minimum(started * per,
                      np.clip((r["death"] - r["rand"]).to_numpy(), 0, None)), started * per)
    idx = np.repeat(np.arange(len(r)), n_rows)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    date = r["rand"].to_numpy()[idx] + offset[k]
    after_stop = date >= r["treatment_stop"].to_numpy()[idx]
    missed = ~after_stop & (rng.random(len(idx)) < cal.missed_dose_share) & (k > 0)
    reasons, weights = zip(*MISSED_REASONS)
    reason = np.where(after_stop, "Treatment discontinued", np.where(missed, rng.choice(reasons, len(idx), p=weights), ""))
    return pd.DataFrame({"SUBJID": r["subjid"].to_numpy()[idx], "_cycle": cycle[k], "_injday": day[k],
                         "_day": date, "_given": ~after_stop & ~missed, "INJREAS": reason})


def injection_log(inj: pd.DataFrame, study) -> pd.DataFrame:
    """The INJ form of `injections()`: rendered as text apart, since most runs need only the days."""
    tr, given = study["treatment"], inj["_given"].to_numpy()
    return pd.DataFrame({
        "SUBJID": inj["SUBJID"], "CYCLE": inj["_cycle"].astype(str), "INJDAY": inj["_injday"].astype(str),
        "INJDAT": days_to_raw(inj["_day"].to_numpy()), "INJDONE": np.where(given, "Yes", "No"),
        "INJDOSE": np.where(given, fmt(np.full(len(inj), tr["dose"]), 1), ""),
        "INJDOSU": np.where(given, tr["dose_unit"], ""), "INJREAS": inj["INJREAS"],
    })


def last_dose(inj: pd.DataFrame) -> pd.Series:
    """Day of the last injection given, by subject (absent when none was given)."""
    return inj[inj["_given"]].groupby("SUBJID")["_day"].max()


def _pick(rng, options, weights, size):
    w = np.asarray(weights, float)
    return rng.choice(len(options), size=size, p=w / w.sum())


def adverse_events(s: pd.DataFrame, inj: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "ae")
    r = s[s["randomised"]]
    first = inj[inj["_given"]].groupby("SUBJID")["_day"].min()
    last = inj[inj["_given"]].groupby("SUBJID")["_day"].max()
    end = np.where(r["death"] != NONE, np.minimum(r["death"], r["eos"]), r["eos"]).astype(np.int64)
    years = np.maximum(end - r["rand"].to_numpy(), 0) / YEAR
    il2 = (r["arm"] == IL2).to_numpy()
    frames = []
    for pt, verbatims, rate_p, rate_a, p_ser, sev, rel, dur in AE_TERMS:
        counts = rng.poisson(np.where(il2, rate_a, rate_p) * years)
        idx = np.repeat(np.arange(len(r)), counts)
        start = r["rand"].to_numpy()[idx] + (rng.random(len(idx)) * (end[idx] - r["rand"].to_numpy()[idx])).astype(np.int64)
        if pt in ("Injection site reaction", "Influenza like illness"):
            start = _on_an_injection_day(rng, r["subjid"].to_numpy()[idx], inj, start)
        frames.append(_ae_frame(rng, r, idx, verbatims, start, dur, p_ser, sev,
                                np.where(il2[idx][:, None], rel, _placebo_relation(rel)), end[idx]))
    # Run-in: on riluzole, before the first injection.
    for pt, verbatims, p in RUNIN_TERMS:
        idx = np.flatnonzero(rng.random(len(r)) < p)
        span = (r["rand"] - r["screen"]).to_numpy()[idx]
        start = r["screen"].to_numpy()[idx] + (rng.random(len(idx)) * span).astype(np.int64)
        frames.append(_ae_frame(rng, r, idx, verbatims, start, 10, 0.0, (0.7, 0.3, 0.0),
                                np.tile((0.9, 0.1, 0, 0, 0), (len(idx), 1)), end[idx], runin=True))
    frames.append(_fatal(rng, r))
    ae = _coded(pd.concat(frames, ignore_index=True))
    ae = _action_taken(ae, r, first, last)
    ae = ae.sort_values(["_row", "_start", "AEDECOD"], kind="stable").reset_index(drop=True)
    ae["AESPID"] = (ae.groupby("_row").cumcount() + 1).astype(str)
    _blur_dates(ae, rng)
    return ae.drop(columns=["_row", "_start", "_end", "_runin"])


def _placebo_relation(rel):
    """Investigators are blinded, so placebo events are judged related less often, not never."""
    return (0.4, 0.25, 0.25, 0.07, 0.03) if rel[0] < 0.3 else rel


def _on_an_injection_day(rng, subjids, inj, fallback):
    """Move each start to a random day on which that subject injected (injection log is grouped by subject)."""
    days = inj.loc[inj["_given"], ["SUBJID", "_day"]]
    count = days.groupby("SUBJID", sort=False).size()
    first = count.cumsum() - count
    c = pd.Series(subjids).map(count).to_numpy()
    o = pd.Series(subjids).map(first).to_numpy()
    has = ~np.isnan(c)
    pick = np.where(has, np.nan_to_num(o) + np.floor(rng.random(len(subjids)) * np.nan_to_num(c)), 0).astype(np.int64)
    return np.where(has, days["_day"].to_numpy()[pick] if len(days) else fallback, fallback)


# The raw AE columns of the coding export, from the MedDRA extract's columns.
CODING_EXPORT = {"AELLT": "LLT", "AELLTCD": "LLTCD", "AEDECOD": "PT", "AEPTCD": "PTCD", "AEHLT": "HLT",
                 "AEHLTCD": "HLTCD", "AEHLGT": "HLGT", "AEHLGTCD": "HLGTCD", "AEBODSYS": "SOC", "AESOCCD": "SOCCD"}


def _coded(ae: pd.DataFrame) -> pd.DataFrame:
    """What the coding module exports beside each verbatim: the LLT it was coded to and its primary path."""
    extract = meddra()
    unknown = sorted(set(ae["_LLT"]) - set(extract.index))
    if unknown:
        raise ValueError(f"catalogue.py codes verbatims to LLTs that meddra.csv lacks: {unknown}")
    hierarchy = extract.loc[ae["_LLT"]]
    return ae.drop(columns="_LLT").assign(**{col: hierarchy[src].to_numpy() for col, src in CODING_EXPORT.items()})


def _ae_frame(rng, r, idx, verbatims, start, dur, p_ser, sev, rel_w, end_of_obs, runin=False):
    n = len(idx)
    term = rng.integers(len(verbatims), size=n)
    stop = start + np.maximum(np.round(rng.exponential(dur, n)), 0).astype(np.int64)
    ongoing = stop > end_of_obs
    serious = rng.random(n) < p_ser
    sev_i = _pick(rng, SEVERITY, sev, n)
    sev_i = np.where(serious, np.maximum(sev_i, 1), sev_i)
    u = rng.random((n, 1))
    rel_i = (u > np.cumsum(np.atleast_2d(rel_w), axis=1) / np.atleast_2d(rel_w).sum(axis=1, keepdims=True)).sum(axis=1)
    outcome = np.where(ongoing, "Not recovered/not resolved",
                       np.where(rng.random(n) < 0.05, "Recovered/resolved with sequelae", "Recovered/resolved"))
    return pd.DataFrame({
        "SUBJID": r["subjid"].to_numpy()[idx], "AETERM": np.array([v for v, _ in verbatims], dtype=object)[term],
        "_LLT": np.array([llt for _, llt in verbatims], dtype=object)[term],
        "_start": start, "_end": np.where(ongoing, NONE, stop),
        "AEONGO": np.where(ongoing, "Yes", "No"), "AESER": np.where(serious, "Yes", "No"),
        "AESEV": np.array(SEVERITY)[sev_i], "AEREL": np.array(RELATION)[np.minimum(rel_i, 4)],
        "AEACN": "Not applicable" if runin else "Dose not changed", "AEOUT": outcome,
        "AESDTH": np.where(serious, "No", ""), "AESHOSP": np.where(serious, "Yes", ""),
        "_row": r.index.to_numpy()[idx], "_runin": runin,
    })


def _fatal(rng, r: pd.DataFrame) -> pd.DataFrame:
    on_study = (r["death"] != NONE).to_numpy() & (r["death"].to_numpy() <= r["eos"].to_numpy())
    d = r[on_study]
    coded = [FATAL_AE[c] for c in d["death_cause"]]
    start = d["death"].to_numpy() - rng.integers(0, 10, len(d))
    return pd.DataFrame({
        "SUBJID": d["subjid"].to_numpy(), "AETERM": [c[0] for c in coded], "_LLT": [c[1] for c in coded],
        "_start": start, "_end": d["death"].to_numpy(), "AEONGO": "No",
        "AESER": "Yes", "AESEV": "Severe", "AEREL": "Not related", "AEACN": "Not applicable", "AEOUT": "Fatal",
        "AESDTH": "Yes", "AESHOSP": "Yes", "_row": d.index.to_numpy(), "_runin": False,
    })


def _action_taken(ae: pd.DataFrame, r: pd.DataFrame, first: pd.Series, last: pd.Series) -> pd.DataFrame:
    """Before the first or after the last injection nothing can be done to the drug; an AE that stopped
    treatment is the one nearest before the last injection."""
    ae = ae.copy()
    f, l_ = ae["SUBJID"].map(first), ae["SUBJID"].map(last)
    off = f.isna() | (ae["_start"] < f) | (ae["_start"] > l_ + 28)
    ae.loc[off & (ae["AEOUT"] != "Fatal"), "AEACN"] = "Not applicable"
    stopped = set(r.loc[r["treatment_reason"] == "Adverse event", "subjid"])
    cand = ae[ae["SUBJID"].isin(stopped) & ~off & (ae["_start"] <= l_)]
    chosen = cand.sort_values("_start").groupby("SUBJID").tail(1).index
    ae.loc[chosen, "AEACN"] = "Drug withdrawn"
    return ae


def _blur_dates(ae: pd.DataFrame, rng) -> None:
    n = len(ae)
    start = days_to_raw(ae["_start"].to_numpy())
    ae["AESTDAT"] = blur_raw(start, (rng.random(n) < 0.02) & (ae["AEOUT"] != "Fatal"), np.zeros(n, bool))
    has_end = ae["_end"].to_numpy() != NONE
    end = np.where(has_end, days_to_raw(np.where(has_end, ae["_end"], 0)), "")
    blur = has_end & (rng.random(n) < 0.03) & (ae["AEOUT"] != "Fatal").to_numpy()
    end[blur] = blur_raw(end[blur], np.ones(blur.sum(), bool), np.zeros(blur.sum(), bool))
    ae["AEENDAT"] = end


def medical_history(s: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "mh")
    frames = []
    for pt, soc, verbatim, prevalence in MH_TERMS:
        idx = np.flatnonzero(rng.random(len(s)) < prevalence)
        years_before = rng.uniform(0.5, 25, len(idx))
        start = (s["screen"].to_numpy()[idx] - years_before * YEAR).astype(np.int64)
        u = rng.random(len(idx))
        text = blur_raw(days_to_raw(start), u < 0.8, u < 0.45)  # history is mostly recalled to the year
        text = np.where(rng.random(len(idx)) < 0.05, "", text)
        frames.append(pd.DataFrame({
            "SUBJID": s["subjid"].to_numpy()[idx], "MHTERM": verbatim, "MHDECOD": pt, "MHBODSYS": soc,
            "MHSTDAT": text, "MHONGO": np.where(soc == "Surgical and medical procedures", "No", "Yes"),
            "_row": idx, "_order": start,
        }))
    mh = pd.concat(frames, ignore_index=True).sort_values(["_row", "_order", "MHDECOD"], kind="stable")
    mh["MHSPID"] = (mh.groupby("_row").cumcount() + 1).astype(str)
    return mh.drop(columns=["_row", "_order"]).reset_index(drop=True)


def medications(s: pd.DataFrame, seed: int, study) -> pd.DataFrame:
    rng = stream(seed, "cm")
    tr = study["treatment"]
    r = s[s["randomised"]]
    n = len(r)
    end_obs = np.where(r["death"] != NONE, r["death"], r["eos"]).astype(np.int64)
    ril_end = np.where(r["death"].to_numpy() != NONE, r["death"].to_numpy(), NONE)
    frames = [pd.DataFrame({
        "SUBJID": r["subjid"].to_numpy(), "CMTRT": rng.choice(RILUZOLE_VERBATIM, n), "CMDECOD": RILUZOLE[0],
        "CMATCCD": RILUZOLE[1], "CMATC": RILUZOLE[2], "CMINDC": "ALS", "CMDOSE": fmt(np.full(n, tr["riluzole_dose_mg"]), 0), "CMDOSU": "mg",
        "CMDOSFRQ": "Twice daily", "CMROUTE": "Oral", "_start": r["screen"].to_numpy(), "_end": ril_end,
        "_pre": False, "_row": r.index.to_numpy(),
    })]
    for verbatim, coded, atc_code, atc, indication, dose, unit, freq, route, prevalence, pre_share in CM_TERMS:
        idx = np.flatnonzero(rng.random(n) < prevalence)
        pre = rng.random(len(idx)) < pre_share
        span = end_obs[idx] - r["screen"].to_numpy()[idx]
        start = np.where(pre, r["screen"].to_numpy()[idx] - rng.integers(30, 3000, len(idx)),
                         r["screen"].to_numpy()[idx] + (rng.random(len(idx)) * span).astype(np.int64))
        stop = start + rng.integers(14, 900, len(idx))
        frames.append(pd.DataFrame({
            "SUBJID": r["subjid"].to_numpy()[idx], "CMTRT": verbatim, "CMDECOD": coded, "CMATCCD": atc_code,
            "CMATC": atc, "CMINDC": indication,
            "CMDOSE": fmt(np.full(len(idx), dose), 1 if dose % 1 else 0), "CMDOSU": unit, "CMDOSFRQ": freq,
            "CMROUTE": route, "_start": start, "_end": np.where(stop < end_obs[idx], stop, NONE), "_pre": pre,
            "_row": r.index.to_numpy()[idx],
        }))
    cm = pd.concat(frames, ignore_index=True).sort_values(["_row", "_start", "CMDECOD"], kind="stable")
    cm["CMSPID"] = (cm.groupby("_row").cumcount() + 1).astype(str)
    u = rng.random(len(cm))
    pre = cm["_pre"].to_numpy()
    cm["CMSTDAT"] = blur_raw(days_to_raw(cm["_start"].to_numpy()), pre & (u < 0.6), pre & (u < 0.25))
    has_end = cm["_end"].to_numpy() != NONE
    cm["CMENDAT"] = np.where(has_end, days_to_raw(np.where(has_end, cm["_end"], 0)), "")
    cm["CMONGO"] = np.where(has_end, "No", "Yes")
    return cm.drop(columns=["_start", "_end", "_pre", "_row"]).reset_index(drop=True)
