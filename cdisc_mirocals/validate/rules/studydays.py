"""Study days present, populated and in order, and records within the subject's participation: the FDA business
rules on study days (FDAB016, FDAB034, FDAB036, FDAB038) as P21 states them. (Whether a study day is the right
number is rules/dates.py.)

Severities are those of P21 2.2.0's FDA configuration (its Rules sheet) where it has the rule; the rules it did
not have take the severity it gives the same check on another variable (SD1330 as SD0012) or, for the FDA
business rules it added later (SD1135, SD1202-SD1204, SD2270-SD2272), Warning: docs/validation.md says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.plausibility import after
from cdisc_mirocals.validate.rules import Hit, rows, rule

# (date suffix, day suffix): the day variable missing (rule), not populated, imputed; the date variable missing
DAYS = {("DTC", "DY"): ("SD1083", "SD1084", "SD1085", "SD2270", "Warning"),
        ("STDTC", "STDY"): ("SD1087", "SD1088", "SD1089", "SD2271", "Error"),
        ("ENDTC", "ENDY"): ("SD1091", "SD1092", "SD1093", "SD2272", "Error")}


def _day_model_has(d, name: str) -> bool:
    """The IG of the checked version has this study day in the domain (SE has no SESTDY in SDTMIG 3.2)."""
    return d.model is not None and d.model.find(name) is not None


def _dated(study):
    """(dataset, its RFSTDTC date per record) of each observation dataset, DM excepted (RFSTDTC's own)."""
    dm = study.get("DM")
    if dm is None or "RFSTDTC" not in dm.frame:
        return
    for d in study.observations():
        if d.domain != "DM":
            yield d, study.subject_date(d, dm, "RFSTDTC")


def _missing_day_variable(study, dtc_suffix: str, dy_suffix: str):
    for d in study.observations():
        dtc, dy = d.var(dtc_suffix), d.prefix + dy_suffix
        if dtc and dy not in d.frame and _day_model_has(d, dy) and d.present(dtc).any():
            yield Hit(d.name, None, (dy,), detail=f"{dtc} is present, {dy} is not")


def _missing_date_variable(study, dtc_suffix: str, dy_suffix: str):
    for d in study.observations():
        dy, dtc = d.var(dy_suffix), d.prefix + dtc_suffix
        if dy and dtc not in d.frame:
            yield Hit(d.name, None, (dtc,), detail=f"{dy} is present, {dtc} is not")


def _day_not_populated(study, dtc_suffix: str, dy_suffix: str):
    for d, reference in _dated(study):
        dtc, dy = d.var(dtc_suffix), d.var(dy_suffix)
        if dtc and dy:
            bad = study.date(d, dtc).notna() & reference.notna() & d.frame[dy].isna()
            if bad.any():
                yield Hit(d.name, rows(bad), (dtc, dy),
                          detail=("DM.RFSTDTC " + reference[bad].dt.strftime("%Y-%m-%d")).to_numpy())


def _day_imputed(study, dtc_suffix: str, dy_suffix: str):
    for d, reference in _dated(study):
        dtc, dy = d.var(dtc_suffix), d.var(dy_suffix)
        if dtc and dy:
            complete = study.date(d, dtc).notna()
            bad = d.frame[dy].notna() & ~(complete & reference.notna())
            if bad.any():
                why = np.where(complete[bad], "the subject has no complete DM.RFSTDTC", f"{dtc} has no complete date")
                yield Hit(d.name, rows(bad), (dtc, dy), detail=why)


def _declare(dates: tuple[str, str], ids: tuple[str, str, str, str, str]):
    missing, unpopulated, imputed, no_date, severity = ids
    rule(missing, severity, "presence")(lambda study: _missing_day_variable(study, *dates))
    rule(unpopulated, severity, "presence")(lambda study: _day_not_populated(study, *dates))
    rule(imputed, severity, "presence")(lambda study: _day_imputed(study, *dates))
    rule(no_date, "Warning", "presence")(lambda study: _missing_date_variable(study, *dates))


for _dates, _ids in DAYS.items():
    _declare(_dates, _ids)


def _day_after(study, first: str, last: str, classes=None):
    for d in study.observations():
        if classes and (d.model is None or d.model.cls not in classes):
            continue
        a, b = d.var(first), d.var(last)
        if a and b:
            x, y = pd.to_numeric(d.frame[a], errors="coerce"), pd.to_numeric(d.frame[b], errors="coerce")
            bad = x.notna() & y.notna() & (x > y)
            if bad.any():
                yield Hit(d.name, rows(bad), (a, b))


@rule("SD0012", "Error", "dates")
def start_day_after_end_day(study):
    return _day_after(study, "STDY", "ENDY")


@rule("SD1330", "Error", "dates")
def day_after_end_day(study):
    """--DY is the "Study Day of Observation" of P21's rule text in the Findings classes only: in an Events or
    Interventions domain it is the day the record was collected, which follows the event's end by design (the
    CDISC pilot's AE has 447 such records)."""
    return _day_after(study, "DY", "ENDY", ("Findings", "Findings About"))


@rule("SD1135", "Warning", "dates")
def negative_exposure_day(study):
    """A dose before the first dose: RFSTDTC is the first exposure, so EX and EC have no negative study day."""
    for d in study.observations():
        if d.domain in ("EX", "EC"):
            for name in (d.var("STDY"), d.var("ENDY"), d.var("DY")):
                if name:
                    bad = pd.to_numeric(d.frame[name], errors="coerce") < 0
                    if bad.any():
                        yield Hit(d.name, rows(bad), (name,))


def _ongoing(study) -> bool:
    """TS says the study is ongoing (ONGOSIND Y): its participation has not ended, RFPENDTC is provisional."""
    ts = study.get("TS")
    if ts is None or not ts.has("TSPARMCD", "TSVAL"):
        return False
    return bool((ts.frame["TSPARMCD"].eq("ONGOSIND") & ts.frame["TSVAL"].astype(str).str.upper().eq("Y")).any())


def _after_participation(study, suffix: str):
    dm = study.get("DM")
    if dm is None or "RFPENDTC" not in dm.frame or _ongoing(study):
        return
    for d in study.observations():
        dtc = d.var(suffix)
        if d.domain == "DM" or not dtc:
            continue
        end = study.subject_value(d, dm.frame, "RFPENDTC").fillna("")
        bad = after(d.frame[dtc], end)
        if bad.any():
            yield Hit(d.name, rows(bad), (dtc,), detail=("DM.RFPENDTC " + end[bad].astype(str)).to_numpy())


@rule("SD1202", "Warning", "dates")
def start_after_participation(study):
    return _after_participation(study, "STDTC")


@rule("SD1203", "Warning", "dates")
def collected_after_participation(study):
    return _after_participation(study, "DTC")


@rule("SD1204", "Warning", "dates")
def end_after_participation(study):
    return _after_participation(study, "ENDTC")
