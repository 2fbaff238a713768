"""Forms with at most one record per subject (or per procedure): ENROL, ELIG, RAND, TRACH, DEATH, EOS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.dates import blur_raw, days_to_raw
from cdisc_mirocals.simulate.subjects import COUNTRY_NAMES, IL2, NONE, stream

CRITERION_CATEGORY = {"IN": "Inclusion", "EX": "Exclusion"}


def enrol(s: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "enrol")
    n = len(s)
    onset = days_to_raw(s["onset"])
    unknown_day = rng.random(n) < 0.25  # patients rarely recall the day their first symptom began
    birth = days_to_raw(s["birth"])
    return pd.DataFrame({
        "SITEID": s["site"], "SUBJID": s["subjid"], "COUNTRY": s["country"].map(COUNTRY_NAMES),
        "CONSDAT": days_to_raw(s["consent"]), "SCRNDAT": days_to_raw(s["screen"]),
        "BRTHDAT": blur_raw(birth, rng.random(n) < 0.1, np.zeros(n, bool)),
        "SEX": s["sex"], "RACE": s["race"], "ETHNIC": s["ethnic"],
        "ONSETDAT": blur_raw(onset, unknown_day, rng.random(n) < 0.02),
        "DIAGDAT": days_to_raw(s["diagnosis"]), "ONSETSIT": s["onset_site"], "ELESCAT": s["el_escorial"],
    })


def elig(s: pd.DataFrame) -> pd.DataFrame:
    crit = s["criterion"]
    return pd.DataFrame({
        "SUBJID": s["subjid"], "IEDAT": days_to_raw(s["screen"]),
        "ELIGYN": np.where(crit == "", "Yes", "No"),
        "IECAT": crit.str[:2].map(CRITERION_CATEGORY).fillna(""), "IETESTCD": crit,
    })


def rand(s: pd.DataFrame, study) -> pd.DataFrame:
    r = s[s["randomised"]]
    tr = study["treatment"]
    return pd.DataFrame({
        "SUBJID": r["subjid"], "RANDNO": r["randno"], "RANDDAT": days_to_raw(r["rand"]),
        "STRCNTRY": r["country"].map(COUNTRY_NAMES), "STRONSET": r["onset_site"],
        "RANDTRT": np.where(r["arm"] == IL2, tr["active_arm"], tr["placebo_arm"]),
    })


def trach(s: pd.DataFrame) -> pd.DataFrame:
    r = s[s["trv"] != NONE]
    return pd.DataFrame({"SUBJID": r["subjid"], "PRTRT": r["trv_type"], "PRSTDAT": days_to_raw(r["trv"])})


def death(s: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "death")
    r = s[s["death"] != NONE]
    return pd.DataFrame({
        "SUBJID": r["subjid"], "DTHDAT": days_to_raw(r["death"]), "DTHCAUS": r["death_cause"],
        "AUTOPSY": rng.choice(["No", "Yes", ""], size=len(r), p=[0.85, 0.05, 0.1]),
    })


def eos(s: pd.DataFrame, last_dose: pd.Series) -> pd.DataFrame:
    """last_dose: day of the last injection given, by subject (absent when none was given). A subject
    randomised but never dosed has the day treatment was stopped as EOTDAT, as the CRF asks."""
    rnd = s["randomised"].to_numpy()
    last = s["subjid"].map(last_dose)
    completed = rnd & (s["treatment_reason"] == "")
    ended = last.where(last.notna(), s["treatment_stop"].where(rnd))
    eot_date = np.where(ended.notna(), days_to_raw(ended.fillna(0).astype(np.int64)), "")
    return pd.DataFrame({
        "SUBJID": s["subjid"],
        "EOTSTAT": np.where(rnd, np.where(completed, "Completed", "Discontinued"), ""),
        "EOTDAT": np.where(rnd, eot_date, ""),
        "EOTREAS": np.where(rnd, s["treatment_reason"], ""),
        "EOSSTAT": s["eos_status"], "EOSDAT": days_to_raw(s["eos"]), "LSTALVDT": days_to_raw(s["lstalv"]),
    })
