"""Visit-based forms: VISIT, ALSFRS, SVC, VS, LAB, TREG, CSF."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.dates import days_to_raw
from cdisc_mirocals.simulate.draws import field_limits, truncated_lognormal, truncated_normal
from cdisc_mirocals.simulate.subjects import IL2, MONTH, NONE, Calibration, predicted_svc_litres, stream
from cdisc_mirocals.spec import RawForm

UNSCHEDULED = "Unscheduled"
# Share of the ALSFRS-R points lost that falls on each item, by site of onset.
ITEM_SHARE = {
    "Limb": [0.05, 0.04, 0.05, 0.11, 0.12, 0.11, 0.10, 0.12, 0.13, 0.07, 0.05, 0.05],
    "Bulbar": [0.16, 0.12, 0.15, 0.06, 0.07, 0.06, 0.06, 0.07, 0.08, 0.07, 0.05, 0.05],
}
# code: (category, unit, decimals, mean male, mean female, sd, ref low, ref high)
LAB_TESTS = {
    "HGB": ("Haematology", "g/L", 0, 146, 133, 10, 120, 170),
    "WBC": ("Haematology", "10^9/L", 1, 6.6, 6.4, 1.5, 4.0, 10.0),
    "NEUT": ("Haematology", "10^9/L", 2, 4.0, 3.9, 1.1, 2.0, 7.5),
    "LYM": ("Haematology", "10^9/L", 2, 1.8, 1.9, 0.5, 1.0, 4.0),
    "EOS": ("Haematology", "10^9/L", 2, 0.16, 0.15, 0.07, 0.0, 0.5),
    "PLAT": ("Haematology", "10^9/L", 0, 245, 265, 50, 150, 400),
    "ALT": ("Chemistry", "U/L", 0, 26, 21, 8, 0, 45),
    "AST": ("Chemistry", "U/L", 0, 25, 22, 6, 0, 40),
    "BILI": ("Chemistry", "umol/L", 0, 10, 8, 3.5, 0, 21),
    "CREAT": ("Chemistry", "umol/L", 0, 72, 58, 11, 45, 110),
}
TREG_VISITS = ("BASELINE", "MONTH 2", "MONTH 6", "MONTH 12", "MONTH 18")
# Reasons a test was not done, with their shares (raw LAB.LBREASND, CSF.LPREASND).
LAB_NOT_DONE = (("Sample haemolysed", 0.35), ("Insufficient sample", 0.25), ("Sample lost", 0.15),
                ("Sample not received", 0.15), ("Other", 0.10))
CSF_NOT_DONE = (("Subject refused", 0.5), ("Contraindicated", 0.2), ("Technical failure", 0.2), ("Other", 0.1))


def _reasons(rng, choices, not_done: np.ndarray) -> np.ndarray:
    """A reason for each test not done, blank otherwise. Drawn from a stream of its own, so that adding
    reasons left every other simulated value unchanged."""
    names, weights = zip(*choices)
    return np.where(not_done, rng.choice(names, len(not_done), p=weights), "")


def fmt(values, decimals: int) -> np.ndarray:
    """Numbers as CRF text with a fixed number of decimals; NaN becomes an empty field.

    Formats each distinct value once: far faster than numpy's string formatting on millions of rows.
    """
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, "", dtype=object)
    ok = ~np.isnan(v)
    scaled = np.round(v[ok] * 10**decimals).astype(np.int64)
    uniq, inverse = np.unique(scaled, return_inverse=True)
    text = np.array([f"{u / 10**decimals:.{decimals}f}" for u in uniq], dtype=object)
    out[ok] = text[inverse]
    return out


def visits(s: pd.DataFrame, seed: int, study) -> pd.DataFrame:
    """One row per visit that took place: subject row, VISIT (CRF name), date and kind."""
    rng = stream(seed, "visits")
    cal = Calibration(study)
    plan = study["schedule"]["visits"]
    rnd = s[s["randomised"]]
    rows = [pd.DataFrame({"row": s.index[~s["randomised"]], "visit": plan[0]["crf"], "name": plan[0]["visit"],
                          "date": s.loc[~s["randomised"], "screen"]})]
    stop = np.where(rnd["death"] != NONE, rnd["death"] - 1, rnd["eos"])
    for v in plan:
        n = len(rnd)
        if v["visit"] == "SCREENING":
            date = rnd["screen"].to_numpy()
        elif v["day"] == study.primary_window_days:
            date = rnd["eos"].to_numpy()  # end of study, or the early termination visit of a withdrawal
        else:
            jitter = np.round(truncated_normal(rng, 0, v["window"] / 3, -v["window"], v["window"], size=n)) \
                if v["window"] else np.zeros(n)
            late = rng.random(n) < (cal.out_of_window_share if v["window"] else 0)
            jitter = np.where(late, np.sign(rng.random(n) - 0.3) * (v["window"] + rng.integers(3, 22, n)), jitter)
            date = rnd["rand"].to_numpy() + v["day"] - 1 + jitter.astype(np.int64)
        keep = date <= stop
        if v["day"] == study.primary_window_days:
            keep = rnd["eos_status"].isin(["Completed", "Withdrawal by subject"]).to_numpy()
        elif v["day"] > 1:
            keep &= date < rnd["eos"].to_numpy()
        rows.append(pd.DataFrame({"row": rnd.index[keep], "visit": v["crf"], "name": v["visit"], "date": date[keep]}))
    extra = rng.random(len(rnd)) < cal.unscheduled_share
    span = np.maximum(stop - rnd["rand"].to_numpy(), 1)
    udate = rnd["rand"].to_numpy() + 1 + (rng.random(len(rnd)) * span).astype(np.int64)
    unscheduled = pd.DataFrame({"row": rnd.index[extra], "visit": UNSCHEDULED, "name": "UNSCHEDULED",
                                "date": udate[extra]})
    # Between scheduled visits: one falling on a scheduled visit's day is that visit, not another one.
    scheduled = pd.concat(rows, ignore_index=True)[["row", "date"]]
    clash = unscheduled.merge(scheduled, on=["row", "date"], how="left", indicator=True)["_merge"] == "both"
    rows.append(unscheduled[~clash.to_numpy() & (udate[extra] <= stop[extra])])
    out = pd.concat(rows, ignore_index=True)
    out["subjid"] = s.loc[out["row"], "subjid"].to_numpy()
    return out.sort_values(["row", "date", "visit"], kind="stable").reset_index(drop=True)


def visit_form(v: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"SUBJID": v["subjid"], "VISIT": v["visit"], "VISDAT": days_to_raw(v["date"])})


def _scheduled(v: pd.DataFrame) -> pd.DataFrame:
    return v[v["visit"] != UNSCHEDULED]


def alsfrs_lost(subj: pd.DataFrame, dates: np.ndarray, cal: Calibration) -> np.ndarray:
    """ALSFRS-R points lost by each date: at the subject's rate from onset to randomisation (the pre-trial
    progression rate, which sets the baseline score), then faster by alsfrs_trial_slope_median /
    alsfrs_slope_median, so that placebo patients lose about a point a month in the trial, as in ALS
    trials, with baselines as before. No random draw: every other simulated value is unchanged."""
    rate = subj["alsfrs_slope"].to_numpy()
    rand = np.where(subj["randomised"].to_numpy(), subj["rand"].to_numpy(), dates)  # a screen failure: no trial
    before = (np.minimum(dates, rand) - subj["onset"].to_numpy()) / MONTH
    after = np.maximum(dates - rand, 0) / MONTH
    return rate * before + rate * cal.alsfrs_trial_slope_median / cal.alsfrs_slope_median * after


def alsfrs(s: pd.DataFrame, v: pd.DataFrame, seed: int, cal: Calibration) -> pd.DataFrame:
    rng = stream(seed, "alsfrs")
    a = _scheduled(v)
    subj = s.loc[a["row"]]
    lost = alsfrs_lost(subj, a["date"].to_numpy(), cal)
    share = np.array([ITEM_SHARE[o] for o in subj["onset_site"]]).reshape(len(a), 12)
    # A subject-level multiplier per item: patients differ in which functions go first.
    item_speed = np.exp(stream(seed, "alsfrs-items").normal(0, 0.3, (len(s), 12)))[a["row"].to_numpy()]
    latent = 4 - share * lost[:, None] * item_speed + rng.normal(0, 0.25, (len(a), 12))
    scores = np.clip(np.round(latent), 0, 4)
    scores[rng.random(scores.shape) < 0.01] = np.nan
    total = scores.sum(axis=1)  # NaN when an item is missing: the CRF total is left blank
    out = pd.DataFrame({"SUBJID": a["subjid"].to_numpy(), "VISIT": a["visit"].to_numpy(),
                        "QSDAT": days_to_raw(a["date"])})
    for i in range(12):
        out[f"ALSFRS{i + 1:02d}"] = fmt(scores[:, i], 0)
    out["ALSFRSTO"] = fmt(total, 0)
    return out


def svc(s: pd.DataFrame, v: pd.DataFrame, seed: int, cal: Calibration, form: RawForm) -> pd.DataFrame:
    """Percent predicted falls from the screening value at the subject's rate, levelling off towards 0
    instead of crossing it; visit noise is multiplicative and bounded so that neither the percentage
    nor the litres it gives leave the ranges of specs/raw."""
    rng = stream(seed, "svc")
    a = _scheduled(v)
    subj = s.loc[a["row"]]
    months = (a["date"].to_numpy() - subj["screen"].to_numpy()) / MONTH
    rate = 2.0 * subj["alsfrs_slope"].to_numpy() / cal.alsfrs_slope_median
    start = subj["svc_screen"].to_numpy()
    trend = start * np.exp(-rate * np.maximum(months, 0) / start)
    predicted = predicted_svc_litres(subj["height"], subj["age"], subj["sex"])
    cap = np.minimum(field_limits(form, "SVCPP")[1], 100 * field_limits(form, "SVCL")[1] / predicted)
    pp = truncated_lognormal(rng, trend, 0.03, high=cap)
    pp[(months == 0)] = start[months == 0]  # screening value as assessed for eligibility
    litres = pp / 100 * predicted
    miss = rng.random(len(a)) < 0.02
    pp[miss], litres[miss] = np.nan, np.nan
    return pd.DataFrame({"SUBJID": a["subjid"].to_numpy(), "VISIT": a["visit"].to_numpy(),
                         "REDAT": days_to_raw(a["date"]), "SVCL": fmt(litres, 2), "SVCPP": fmt(pp, 1)})


# field: mean and SD of the subject's usual value, SD of a visit around it
VITALS = {"SYSBP": (128, 13, 8), "DIABP": (78, 8, 6), "PULSE": (74, 9, 6), "TEMP": (36.6, 0.0, 0.3)}


def vs(s: pd.DataFrame, v: pd.DataFrame, seed: int, form: RawForm) -> pd.DataFrame:
    """Subject-level usual values and visit noise, both drawn inside the field's range in specs/raw."""
    rng = stream(seed, "vs")
    subj = s.loc[v["row"]]
    n = len(v)
    months = (v["date"].to_numpy() - subj["screen"].to_numpy()) / MONTH
    base = stream(seed, "vs-base")
    limits = {f: field_limits(form, f) for f in ("HEIGHT", "WEIGHT", *VITALS)}
    usual = {f: truncated_normal(base, m, sd, *limits[f], size=len(s))[v["row"].to_numpy()] if sd else np.full(n, m)
             for f, (m, sd, _) in VITALS.items()}
    # ALS wasting: about 0.4% of body weight a month at the median rate of decline, levelling off at 30%
    wasting = 0.7 + 0.3 * np.exp(-0.0065 / 0.3 * subj["alsfrs_slope"].to_numpy() * np.maximum(months, 0))
    vals = {
        "HEIGHT": np.where(v["name"].to_numpy() == "SCREENING", subj["height"].to_numpy(), np.nan),
        "WEIGHT": truncated_normal(rng, subj["weight"].to_numpy() * wasting, 0.8, *limits["WEIGHT"]),
        **{f: truncated_normal(rng, usual[f], visit_sd, *limits[f]) for f, (_, _, visit_sd) in VITALS.items()},
    }
    out = pd.DataFrame({"SUBJID": v["subjid"].to_numpy(), "VISIT": v["visit"].to_numpy(),
                        "VSDAT": days_to_raw(v["date"])})
    for col, dec in (("HEIGHT", 1), ("WEIGHT", 1), ("SYSBP", 0), ("DIABP", 0), ("PULSE", 0), ("TEMP", 1)):
        x = vals[col].copy()
        x[rng.random(n) < 0.02] = np.nan
        out[col] = fmt(x, dec)
    return out


def lab(s: pd.DataFrame, v: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "lab")
    rng_reason = stream(seed, "lab-not-done")
    subj = s.loc[v["row"]]
    male = (subj["sex"] == "Male").to_numpy()
    on_il2 = ((subj["arm"] == IL2).to_numpy() & (v["date"].to_numpy() >= subj["rand"].to_numpy())
              & (v["date"].to_numpy() <= subj["treatment_stop"].to_numpy() + 28))
    on_riluzole = v["date"].to_numpy() > subj["screen"].to_numpy()
    frames = []
    for code, (cat, unit, dec, mm, mf, sd, lo, hi) in LAB_TESTS.items():
        # Log-normal with the tabulated mean and SD: results are positive without clipping at 0.
        mean = np.where(male, mm, mf)
        sigma = np.sqrt(np.log1p((sd / mean) ** 2))
        level = stream(seed, f"lab-{code}").normal(0, 0.8, len(s))[v["row"].to_numpy()]
        x = mean * np.exp(sigma * (level + rng.normal(0, 0.5, len(v))) - 0.445 * sigma**2)
        if code == "EOS":
            x = x * np.where(on_il2, 1.8, 1.0)  # low-dose IL-2 raises eosinophils
        if code in ("ALT", "AST"):
            x = x * np.where(on_riluzole, 1.2, 1.0)  # riluzole raises transaminases
        not_done = rng.random(len(v)) < 0.01
        x[not_done] = np.nan
        frames.append(pd.DataFrame({
            "SUBJID": v["subjid"].to_numpy(), "VISIT": v["visit"].to_numpy(), "LBDAT": days_to_raw(v["date"]),
            "LBCAT": cat, "LBTESTCD": code, "LBORRES": fmt(x, dec), "LBORRESU": unit,
            "LBORNRLO": fmt(np.full(len(v), lo), 1 if lo % 1 else 0), "LBORNRHI": fmt(np.full(len(v), hi), 1 if hi % 1 else 0),
            "LBSTAT": np.where(not_done, "Not done", ""), "LBREASND": _reasons(rng_reason, LAB_NOT_DONE, not_done),
            "_order": np.arange(len(v)),
        }))
    out = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def treg(s: pd.DataFrame, v: pd.DataFrame, seed: int, form: RawForm) -> pd.DataFrame:
    rng = stream(seed, "treg")
    a = v[v["name"].isin(TREG_VISITS)]
    subj = s.loc[a["row"]]
    pct_max = field_limits(form, "TREGPCT")[1]
    pct0 = truncated_lognormal(stream(seed, "treg-base"), 6.0, 0.21, size=len(s))[a["row"].to_numpy()]
    cd4 = truncated_lognormal(stream(seed, "cd4-base"), 730, 0.24, size=len(s))[a["row"].to_numpy()]
    # CD4+ T cells as a share of lymphocytes, per subject (~45%), for Treg % of lymphocytes (TREGLY).
    # Its own stream, so TREGLY leaves every other simulated value unchanged.
    rng_ly = stream(seed, "treg-ly")
    cd4_share = truncated_normal(rng_ly, 0.45, 0.07, 0.25, 0.65, size=len(s))[a["row"].to_numpy()]
    after_start = a["date"].to_numpy() > subj["rand"].to_numpy()
    il2 = (subj["arm"] == IL2).to_numpy()
    frames = []
    for tpt, offset, boost in (("Pre-cycle", 0, 1.15), ("End of cycle", 4, 1.6)):
        date = a["date"].to_numpy() + offset
        on_treatment = date < subj["treatment_stop"].to_numpy()
        keep = np.ones(len(a), bool) if offset == 0 else on_treatment
        factor = np.where(il2 & (after_start | (offset > 0)) & on_treatment, boost, 1.0)
        pct = truncated_lognormal(rng, pct0 * factor, 0.08, high=pct_max)
        count = cd4 * pct / 100 * np.exp(rng.normal(0, 0.08, len(a)))
        # Same sample, other denominator: Treg % of CD4+ x CD4+ share of lymphocytes (missing with TREGPCT).
        lymph_pct = pct * cd4_share * np.exp(rng_ly.normal(0, 0.03, len(a)))
        frames.append(pd.DataFrame({
            "SUBJID": a["subjid"].to_numpy()[keep], "VISIT": a["visit"].to_numpy()[keep], "TRGTPT": tpt,
            "TRGDAT": days_to_raw(date[keep]), "TREGCNT": fmt(count[keep], 1), "TREGPCT": fmt(pct[keep], 2),
            "TREGLY": fmt(lymph_pct[keep], 2),
            "_order": np.arange(len(a))[keep] * 2 + (offset > 0),
        }))
    out = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def csf(s: pd.DataFrame, v: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "csf")
    a = v[v["name"] == "BASELINE"]
    subj = s.loc[a["row"]]
    done = rng.random(len(a)) >= 0.05
    return pd.DataFrame({
        "SUBJID": a["subjid"].to_numpy(), "VISIT": a["visit"].to_numpy(),
        "LPDAT": np.where(done, days_to_raw(a["date"]), ""), "LPDONE": np.where(done, "Yes", "No"),
        "PNFH": np.where(done, fmt(subj["pnfh"].to_numpy(), 0), ""),
        "LPREASND": _reasons(stream(seed, "csf-not-done"), CSF_NOT_DONE, ~done),
    })
