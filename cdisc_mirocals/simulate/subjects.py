"""The latent study: who was screened, who was randomised to what, and what happened to them.

One row per screened subject. Dates are integer days since 1970-01-01; NaN-free integer columns use
-1 for "did not happen". The forms are rendered from this frame by the other modules.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.dates import iso_to_days
from cdisc_mirocals.simulate.draws import field_limits, truncated_gamma, truncated_normal
from cdisc_mirocals.spec import RawForm, Study

NONE = -1
YEAR = 365.25
MONTH = YEAR / 12
IL2, PBO = 1, 0
COUNTRY_NAMES = {"FRA": "France", "GBR": "United Kingdom"}


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so adding one never shifts another."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


@dataclass(frozen=True)
class Calibration:
    """specs/study.toml [simulation] and the study parameters the simulator needs."""

    study: Study

    def __getattr__(self, name: str):
        sim = self.study["simulation"]
        if name in sim:
            return sim[name]
        raise AttributeError(name)

    @property
    def pnfh_log_sd(self) -> float:
        z = NormalDist().inv_cdf(self.pnfh_low_share)
        return float(np.log(self.study.pnfh_threshold / self.pnfh_median) / z)


def predicted_svc_litres(height_cm, age, sex) -> np.ndarray:
    """ECSC reference equations for vital capacity (litres), height in centimetres."""
    h, age = np.asarray(height_cm, float) / 100, np.asarray(age, float)
    return np.where(np.asarray(sex) == "Male", 6.10 * h - 0.028 * age - 4.65, 4.66 * h - 0.026 * age - 3.28)


def simulate_subjects(n: int, seed: int, study: Study, raw: dict[str, RawForm] | None = None) -> pd.DataFrame:
    """`raw` (specs/raw forms, default: the packaged specs) bounds height and screening vital capacity."""
    if raw is None:
        from cdisc_mirocals.spec import load_spec
        raw = load_spec().raw
    cal = Calibration(study)
    rec = study["recruitment"]
    n_screened = int(round(n / (1 - rec["screen_failure_rate"]))) if n else 0
    s = pd.DataFrame(index=pd.RangeIndex(n_screened))
    s["randomised"] = np.arange(n_screened) < n
    _strata(s, n, seed, rec)
    _sites_and_ids(s, seed, rec)
    _demography(s, seed, study, raw)
    _randomise(s, seed, study)
    _outcomes(s, seed, study, cal)
    return s


def _strata(s: pd.DataFrame, n: int, seed: int, rec: dict) -> None:
    rng = stream(seed, "strata")
    countries = sorted(rec["country_share"])
    p = np.array([rec["country_share"][c] for c in countries])
    bulbar = rec["bulbar_share"]
    cells = [(c, o) for c in countries for o in ("Bulbar", "Limb")]
    probs = np.array([pc * (bulbar if o == "Bulbar" else 1 - bulbar) for pc, (_, o) in zip(np.repeat(p, 2), cells)])
    counts = rng.multinomial(n, probs / probs.sum())
    # Even stratum sizes let permuted blocks of 2 and 4 close in every stratum: an exact 1:1 split.
    odd = [i for i, c in enumerate(counts) if c % 2]
    for a, b in zip(odd[::2], odd[1::2]):
        counts[a] += 1
        counts[b] -= 1
    labels = np.repeat(np.arange(len(cells)), counts)
    rng.shuffle(labels)
    n_sf = len(s) - n
    sf_labels = rng.choice(len(cells), size=n_sf, p=probs / probs.sum())
    allc = np.concatenate([labels, sf_labels]).astype(int)
    s["country"] = [cells[i][0] for i in allc]
    s["onset_site"] = [cells[i][1] for i in allc]
    s["stratum"] = allc


def _sites_and_ids(s: pd.DataFrame, seed: int, rec: dict) -> None:
    rng = stream(seed, "sites")
    site_ids, start = {}, 1
    for country in sorted(rec["sites"]):
        k = rec["sites"][country]
        site_ids[country] = [f"{i:02d}" for i in range(start, start + k)]
        start += k
    site = np.empty(len(s), dtype=object)
    for country, ids in site_ids.items():
        mask = (s["country"] == country).to_numpy()
        weights = rng.dirichlet(np.full(len(ids), 3.0))
        site[mask] = rng.choice(ids, size=mask.sum(), p=weights)
    s["site"] = site
    first = iso_to_days(rec["first_screening"])
    last_rand = iso_to_days(rec["last_randomisation"])
    s["screen"] = np.sort(rng.integers(first, last_rand - 84, len(s)))[rng.permutation(len(s))]
    order = np.lexsort((s.index.to_numpy(), s["screen"].to_numpy()))
    seq = pd.Series(0, index=s.index)
    seq.iloc[order] = s.iloc[order].groupby("site").cumcount().to_numpy() + 1
    width = max(4, len(str(int(seq.max()) if len(s) else 0)))
    s["subjid"] = s["site"] + "-" + seq.astype(str).str.zfill(width)


def _demography(s: pd.DataFrame, seed: int, study: Study, raw: dict[str, RawForm]) -> None:
    """Eligible values are drawn inside the eligibility limits (truncated, not clipped: no pile of
    patients aged exactly 75 or with exactly 70% SVC); screen failures then fail one criterion."""
    rng = stream(seed, "demography")
    n = len(s)
    p = study["parameters"]
    lo, hi = p["age_range"]
    bulbar = (s["onset_site"] == "Bulbar").to_numpy()
    s["sex"] = np.where(rng.random(n) < np.where(bulbar, 0.5, 0.63), "Male", "Female")
    s["age"] = np.round(truncated_normal(rng, 58 + 4 * bulbar, 9.5, lo - 0.49, hi + 0.49)).astype(int)
    s["symptom_months"] = 2.5 + truncated_gamma(rng, 3.0, 3.2, 0.5, p["max_symptom_duration_months"] - 3.0, n)
    s["height"] = np.round(truncated_normal(rng, np.where(s["sex"] == "Male", 176, 163), 7,
                                            *field_limits(raw["VS"], "HEIGHT")), 1)
    # Screening SVC (% predicted) of an eligible patient, below the CRF's ranges in % and in litres.
    predicted = predicted_svc_litres(s["height"], s["age"], s["sex"])
    cap = np.minimum.reduce([np.full(n, 135.0), np.full(n, field_limits(raw["SVC"], "SVCPP")[1]),
                             100 * field_limits(raw["SVC"], "SVCL")[1] / predicted])
    s["svc_screen"] = np.round(truncated_normal(rng, 93, 13, p["min_svc_percent_predicted"], cap), 1)
    s["criterion"] = ""
    _screen_failures(s, rng, study)
    s["consent"] = s["screen"] - rng.integers(0, 15, n)
    s["birth"] = (s["screen"] - (s["age"] + rng.random(n)) * YEAR).astype(np.int64)
    s["onset"] = (s["screen"] - s["symptom_months"] * MONTH).astype(np.int64)
    delay = rng.uniform(0.45, 0.9, n)
    s["diagnosis"] = np.minimum(s["onset"] + (s["screen"] - s["onset"]) * delay, s["screen"] - 7).astype(np.int64)
    s["el_escorial"] = rng.choice(["Definite", "Probable", "Probable laboratory-supported", "Possible"],
                                  size=n, p=[0.3, 0.4, 0.15, 0.15])
    s["weight"] = np.round(truncated_normal(rng, np.where(s["sex"] == "Male", 78, 64), 11, 42, 140), 1)
    s["race"], s["ethnic"] = _race(s, rng)
    cal = Calibration(study)
    s["pnfh_z"] = rng.normal(0, 1, n)
    s["pnfh"] = np.round(np.exp(np.log(cal.pnfh_median) + cal.pnfh_log_sd * s["pnfh_z"]), 0)
    s["pnfh_low"] = s["pnfh"] <= study.pnfh_threshold
    # Faster functional decline goes with higher neurofilament.
    s["alsfrs_slope"] = np.exp(np.log(cal.alsfrs_slope_median) + 0.35 * s["pnfh_z"] + 0.15 * bulbar
                               + rng.normal(0, 0.35, n))


def _screen_failures(s: pd.DataFrame, rng: np.random.Generator, study: Study) -> None:
    sf = (~s["randomised"]).to_numpy()
    n_sf = int(sf.sum())
    lo, hi = study["parameters"]["age_range"]
    reasons = rng.choice(["IN01", "IN03", "IN04", "EX01", "EX02", "EX03", "IN06"], size=n_sf,
                         p=[0.15, 0.3, 0.2, 0.1, 0.1, 0.1, 0.05])
    s.loc[sf, "criterion"] = reasons
    idx = s.index[sf]
    age_fail = idx[reasons == "IN01"]
    s.loc[age_fail, "age"] = np.where(rng.random(len(age_fail)) < 0.9, rng.integers(hi + 1, hi + 8, len(age_fail)),
                                      lo - 1)
    dur_fail = idx[reasons == "IN03"]
    s.loc[dur_fail, "symptom_months"] = rng.uniform(24.5, 60, len(dur_fail))
    svc_fail = idx[reasons == "IN04"]
    s.loc[svc_fail, "svc_screen"] = rng.uniform(50, 69.4, len(svc_fail))


def _race(s: pd.DataFrame, rng: np.random.Generator):
    n = len(s)
    uk = (s["country"] == "GBR").to_numpy()
    race_uk = rng.choice(["White", "Asian", "Black or African American", "Other", "Not reported"],
                         size=n, p=[0.9, 0.04, 0.02, 0.02, 0.02])
    # French sites may not record race or ethnicity: left blank or "Not reported".
    race_fr = np.where(rng.random(n) < 0.5, "", "Not reported")
    race = np.where(uk, race_uk, race_fr)
    ethnic = np.where(uk, np.where(rng.random(n) < 0.97, "Not Hispanic or Latino", "Not reported"), race_fr)
    return race, ethnic


def _randomise(s: pd.DataFrame, seed: int, study: Study) -> None:
    """Permuted blocks of 2 and 4 within each stratum, in order of randomisation date."""
    rng = stream(seed, "randomisation")
    n = len(s)
    runin = study["parameters"]["runin_weeks"]
    s["rand"] = np.where(s["randomised"], s["screen"] + rng.integers(runin[0] * 7, runin[1] * 7 + 1, n), NONE)
    s["arm"] = NONE
    rand_idx = s.index[s["randomised"]]
    order = rand_idx[np.lexsort((rand_idx.to_numpy(), s.loc[rand_idx, "rand"].to_numpy()))]
    s.loc[order, "randno"] = [f"R{i:05d}" for i in range(1, len(order) + 1)]
    for stratum, members in s.loc[order].groupby("stratum", sort=True).groups.items():
        arms, left = [], len(members)
        while left > 0:
            size = 2 if left == 2 or rng.random() < 0.3 else 4
            arms.extend(rng.permutation([IL2, PBO] * (size // 2)))
            left -= size
        s.loc[members, "arm"] = arms[: len(members)]
    s["randno"] = s["randno"].fillna("")


def _weibull(rng, h640: np.ndarray, shape: float) -> np.ndarray:
    """Days to event when the cumulative hazard at day 640 is h640: H(t) = h640 (t/640)^shape."""
    return 640.0 * (rng.exponential(1.0, len(h640)) / h640) ** (1.0 / shape)


def _outcomes(s: pd.DataFrame, seed: int, study: Study, cal: Calibration) -> None:
    rng = stream(seed, "outcomes")
    n = len(s)
    low = s["pnfh_low"].to_numpy()
    il2 = (s["arm"] == IL2).to_numpy()
    bulbar = (s["onset_site"] == "Bulbar").to_numpy()
    z = s["pnfh_z"].to_numpy()
    z_centre = np.where(low, z[low].mean() if low.any() else 0, z[~low].mean() if (~low).any() else 0)
    h = np.where(low, -np.log(1 - cal.death_640_placebo_low), -np.log(1 - cal.death_640_placebo_high))
    h = h * np.exp(cal.within_group_pnfh_effect * (z - z_centre) + cal.bulbar_log_hr * (bulbar - (bulbar.mean() if n else 0)))
    h = h * np.where(il2, np.where(low, cal.hr_il2_low_pnfh, cal.hr_il2_high_pnfh), 1.0)
    t_death = _weibull(rng, h, cal.hazard_shape)
    t_trv = _weibull(rng, -np.log(1 - cal.trv_640) * np.exp(0.5 * z), 1.3)
    t_withdraw = rng.exponential(YEAR / cal.withdrawal_per_year, n)
    t_lost = rng.exponential(YEAR / cal.lost_per_year, n)
    t_stop = rng.exponential(YEAR / cal.treatment_stop_per_year, n)

    rand = s["rand"].to_numpy()
    window = study.primary_window_days
    cutoff = iso_to_days(study["recruitment"]["data_cutoff"])
    drop = np.minimum(t_withdraw, t_lost)
    dropped = drop < np.minimum(t_death, window - 1)
    died_on_study = ~dropped & (t_death < window - 1)
    eos = np.where(dropped, rand + np.floor(drop), np.where(died_on_study, rand + np.floor(t_death), rand + window - 1))
    followed_to = np.where(dropped, eos, cutoff)
    death = np.where(~dropped & (rand + np.floor(t_death) <= followed_to), rand + np.floor(t_death), NONE)
    trv = np.where((t_trv < t_death) & (rand + np.floor(t_trv) <= np.minimum(eos, followed_to)),
                   rand + np.floor(t_trv), NONE)
    status = np.where(dropped, np.where(t_withdraw < t_lost, "Withdrawal by subject", "Lost to follow-up"),
                      np.where(died_on_study, "Death", "Completed"))
    lstalv = np.where(death != NONE, death, np.where(dropped, eos, np.maximum(cutoff, eos)))

    rnd = s["randomised"].to_numpy()
    s["death"] = np.where(rnd, death, NONE).astype(np.int64)
    s["death_cause"] = np.where(rnd, rng.choice(
        ["Respiratory failure due to ALS", "Progression of ALS", "Aspiration pneumonia", "Cardiac arrest",
         "Pulmonary embolism"], size=n, p=[0.62, 0.15, 0.12, 0.06, 0.05]), "")
    s["trv"] = np.where(rnd, trv, NONE).astype(np.int64)
    s["trv_type"] = rng.choice(["Tracheostomy", "Permanent assisted ventilation"], size=n, p=[0.35, 0.65])
    s["eos"] = np.where(rnd, eos, s["screen"]).astype(np.int64)
    s["eos_status"] = np.where(rnd, status, "Screen failure")
    s["lstalv"] = np.where(rnd, lstalv, s["screen"]).astype(np.int64)
    _treatment_end(s, rng, study, t_stop, t_death, drop, dropped)


def _treatment_end(s, rng, study, t_stop, t_death, drop, dropped) -> None:
    """The day after which no injection is given, and why treatment ended."""
    tr = study["treatment"]
    last_planned = tr["cycle_length_days"] * (tr["cycles"] - 1) + tr["injections_per_cycle"]
    stop_reason = rng.choice(["Adverse event", "Physician decision", "Withdrawal by subject", "Progressive disease"],
                             size=len(s), p=[0.5, 0.15, 0.2, 0.15])
    ends = np.vstack([np.full(len(s), float(last_planned)), t_stop, t_death, np.where(dropped, drop, np.inf)])
    which = ends.argmin(axis=0)
    reason = np.select([which == 0, which == 1, which == 2],
                       ["", stop_reason, "Death"],
                       np.where(s["eos_status"] == "Lost to follow-up", "Lost to follow-up", "Withdrawal by subject"))
    rnd = s["randomised"].to_numpy()
    s["treatment_stop"] = np.where(rnd, s["rand"] + np.floor(ends.min(axis=0)), NONE).astype(np.int64)
    s["treatment_reason"] = np.where(rnd, reason, "")
