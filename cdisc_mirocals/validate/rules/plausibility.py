"""Plausibility: impossible dates and ages. The date rules are written once (cdisc_mirocals/plausibility.py)
and applied at two levels: to SDTM by the checks below, and to the raw CRF forms by the edit checks
of check-raw (validate/edit_checks.py), each level binding the rule to its own variables."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.plausibility import (AFTER_DEATH, BEFORE_1900, BIRTH_AFTER_CONSENT, DEATH_BEFORE_RANDOMISATION,
                                         END_OF_STUDY_DEATH, FUTURE, START_AFTER_END, VISIT_BEFORE_CONSENT, PlausibilityRule,
                                         after, before_1900, in_future)
from cdisc_mirocals.validate.distinct import per_value
from cdisc_mirocals.validate.rules import Hit, declare, rows, rule
from cdisc_mirocals.validate.rules.arms import randomised


def shared(date_rule: PlausibilityRule):
    """Register the decorated SDTM check under a shared date rule's ID, severity and message."""
    def wrap(fn):
        declare(date_rule.id, date_rule.severity, "plausibility" if date_rule.id.startswith("MC") else "dates",
                message=date_rule.message if date_rule.id.startswith("MC") else "",
                description=date_rule.description if date_rule.id.startswith("MC") else "",
                category=date_rule.category, publisher=date_rule.publisher, check=fn)
        return fn
    return wrap


def _date_variables(study):
    for d in study.datasets.values():
        if d.model is not None and d.model.cls == "Trial Design":
            continue
        for name, col in d.file.columns.items():
            if col.type == "Char" and name.endswith("DTC") and d.present(name).any():
                yield d, name


@shared(FUTURE)
def future_dates(study):
    for d, name in _date_variables(study):
        bad = per_value(d.frame[name], lambda u: in_future(u, study.today), d.distinct)
        if bad.any():
            yield Hit(d.name, rows(bad), (name,), detail=f"after {study.today.isoformat()}")


@shared(BEFORE_1900)
def dates_before_1900(study):
    for d, name in _date_variables(study):
        bad = per_value(d.frame[name], before_1900, d.distinct)
        if bad.any():
            yield Hit(d.name, rows(bad), (name,))


@shared(BIRTH_AFTER_CONSENT)
def birth_after_consent(study):
    dm = study.get("DM")
    if dm is not None and dm.has("BRTHDTC", "RFICDTC"):
        bad = after(dm.frame["BRTHDTC"], dm.frame["RFICDTC"])
        if bad.any():
            yield Hit("DM", rows(bad), ("BRTHDTC", "RFICDTC"))


@shared(START_AFTER_END)
def start_after_end(study):
    for d in study.observations():
        start, end = d.var("STDTC"), d.var("ENDTC")
        if start and end:
            bad = after(d.frame[start], d.frame[end])
            if bad.any():
                yield Hit(d.name, rows(bad), (start, end))


NOT_AFTER_DEATH_EXEMPT = ("DM", "DS", "DD", "SS", "CO")


def _observed(d) -> pd.Series:
    """Records of something that took place: not --OCCUR 'N' (a planned dose missed) nor --STAT 'NOT DONE',
    which raw edit checks leave out too (only an injection given is checked against the death date)."""
    out = pd.Series(True, index=d.frame.index)
    for suffix, value in (("OCCUR", "N"), ("STAT", "NOT DONE")):
        name = d.var(suffix)
        if name is not None:
            out &= d.frame[name].ne(value)
    return out


@shared(AFTER_DEATH)
def after_death(study):
    dm = study.get("DM")
    if dm is None or not dm.has("DTHDTC") or not dm.present("DTHDTC").any():
        return
    death = dm.frame.drop_duplicates("USUBJID").set_index("USUBJID")["DTHDTC"]
    for d in study.observations():
        date = d.var("STDTC") or d.var("DTC")
        if d.domain in NOT_AFTER_DEATH_EXEMPT or date is None:
            continue
        bad = after(d.frame[date], d.frame["USUBJID"].map(death)) & _observed(d)
        if bad.any():
            yield Hit(d.name, rows(bad), (date,), detail="DM.DTHDTC " + d.frame["USUBJID"][bad].map(death).to_numpy())


def randomisation_dates(study) -> pd.Series:
    """DSSTDTC of each subject's DS record with DSDECOD = 'RANDOMIZED', by USUBJID."""
    parts = [d.frame.loc[d.frame["DSDECOD"].eq("RANDOMIZED"), ["USUBJID", "DSSTDTC"]]
             for d in study.by_domain("DS") if d.has("DSDECOD", "DSSTDTC")]
    if not parts:
        return pd.Series([], dtype=object)
    return pd.concat(parts).drop_duplicates("USUBJID").set_index("USUBJID")["DSSTDTC"]


@shared(DEATH_BEFORE_RANDOMISATION)
def death_before_randomisation(study):
    dm = study.get("DM")
    if dm is None or not dm.has("DTHDTC"):
        return
    randomised = dm.frame["USUBJID"].map(randomisation_dates(study))
    bad = after(randomised, dm.frame["DTHDTC"])
    if bad.any():
        yield Hit("DM", rows(bad), ("DTHDTC",), detail="randomised " + randomised[bad].to_numpy())


@shared(END_OF_STUDY_DEATH)
def death_reported(study):
    dm = study.get("DM")
    if dm is None or not dm.has("DTHDTC"):
        return
    no_date = set(dm.frame.loc[~dm.present("DTHDTC"), "USUBJID"])
    for d in study.by_domain("DS"):
        if d.has("DSDECOD"):
            bad = d.frame["DSDECOD"].eq("DEATH") & d.frame["USUBJID"].isin(no_date)
            if bad.any():
                yield Hit(d.name, rows(bad), ("USUBJID", "DSDECOD"), detail="DM.DTHDTC is empty")


@shared(VISIT_BEFORE_CONSENT)
def visit_before_consent(study):
    dm, sv = study.get("DM"), study.get("SV")
    if dm is None or sv is None or not dm.has("RFICDTC") or not sv.has("SVSTDTC"):
        return
    consent = sv.frame["USUBJID"].map(dm.frame.drop_duplicates("USUBJID").set_index("USUBJID")["RFICDTC"])
    bad = after(consent, sv.frame["SVSTDTC"])
    if bad.any():
        yield Hit("SV", rows(bad), ("SVSTDTC",), detail="RFICDTC " + consent[bad].to_numpy())


# --------------------------------------------------------------------------- ages and visit windows

@rule("SD0084", "Error", "plausibility")
def age_positive(study):
    dm = study.get("DM")
    if dm is not None and "AGE" in dm.frame:
        bad = dm.frame["AGE"] <= 0
        if bad.any():
            yield Hit("DM", rows(bad), ("AGE",))


def ts_years(study, parameter: str) -> float | None:
    """A TS age limit in years: TSVAL is an ISO 8601 duration (P18Y), or a number of years."""
    ts = study.get("TS")
    if ts is None or not ts.has("TSPARMCD", "TSVAL"):
        return None
    values = ts.frame.loc[ts.frame["TSPARMCD"] == parameter, "TSVAL"]
    if values.empty:
        return None
    text = str(values.iloc[0]).strip().upper()
    number = text[1:-1] if text.startswith("P") and text.endswith("Y") else text
    try:
        return float(number)
    except ValueError:
        return None


@rule("MC0107", "Warning", "plausibility", message="AGE is outside the protocol's age range",
      description="AGE in DM of an assigned subject should lie within the eligibility range of the protocol, TS "
                  "AGEMIN to AGEMAX (screen failures and unassigned subjects excepted).",
      category="Limit", publisher=("FDAB040",))
def age_in_protocol_range(study):
    dm = study.get("DM")
    low, high = ts_years(study, "AGEMIN"), ts_years(study, "AGEMAX")
    if dm is None or "AGE" not in dm.frame or (low is None and high is None):
        return
    age = dm.frame["AGE"]
    bad = ((age < low) if low is not None else False) | ((age > high) if high is not None else False)
    bad = pd.Series(bad, index=dm.frame.index) & age.notna()
    if "ARMCD" in dm.frame:  # a screen failure may be one because of age: eligibility binds the others
        bad &= randomised(dm.frame)
    if bad.any():
        yield Hit("DM", rows(bad), ("AGE",), detail=f"protocol range {low:g} to {high:g} years"
                  if low is not None and high is not None else "outside the TS age limit")


@rule("MC0108", "Warning", "plausibility", message="Visit is outside its protocol window",
      description="A planned visit should take place within its window: the planned day after randomisation "
                  "plus or minus the visit's protocol window, as the study specification gives it. The last planned "
                  "visit (end of study) is exempt for a subject who did not complete the study: it happens at "
                  "discontinuation.",
      category="Limit")
def visit_window(study):
    sv, dm = study.get("SV"), study.get("DM")
    if not study.windows or sv is None or dm is None or not sv.has("VISIT", "SVSTDTC"):
        return
    start = pd.to_datetime(sv.frame["USUBJID"].map(randomisation_dates(study)).str.slice(0, 10),
                           format="%Y-%m-%d", errors="coerce")
    day = (study.date(sv, "SVSTDTC") - start).dt.days
    day = day.where(day < 0, day + 1)
    planned = sv.frame["VISIT"].map({k: v[0] for k, v in study.windows.items()})
    width = sv.frame["VISIT"].map({k: v[1] for k, v in study.windows.items()})
    bad = planned.notna() & day.notna() & ((day - planned).abs() > width)
    # the last planned visit closes the study early for a subject who did not complete it
    last = max(study.windows, key=lambda v: study.windows[v][0])
    completed = set(pd.concat([d.frame.loc[d.frame["DSDECOD"].eq("COMPLETED"), "USUBJID"]
                               for d in study.by_domain("DS") if "DSDECOD" in d.frame] or [pd.Series([], dtype=object)]))
    bad &= ~(sv.frame["VISIT"].eq(last) & ~sv.frame["USUBJID"].isin(completed))
    if bad.any():
        yield Hit("SV", rows(bad), ("VISIT", "SVSTDTC"),
                  detail=("day " + day[bad].astype("int64").astype(str) + ", planned " + planned[bad].astype("int64")
                          .astype(str) + " +/- " + width[bad].astype("int64").astype(str)).to_numpy())
