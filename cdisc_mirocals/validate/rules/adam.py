"""ADaM: ADSL one record per subject and consistent with DM, flags, PARAM/PARAMCD, analysis dates,
time-to-event records (CNSR, AVAL, ADT and STARTDT, SRCDOM/SRCVAR/SRCSEQ traceability) and ADAE's
treatment-emergent flag."""

from __future__ import annotations

import re

import pandas as pd

from cdisc_mirocals.validate.context import as_text, iso_date, sas_date
from cdisc_mirocals.validate.rules import Hit, rows, rule
from cdisc_mirocals.validate.rules.arms import assigned
from cdisc_mirocals.validate.rules.terminology import odd_ones_out

ADAM = ("ADaM",)
DM_COPIES = {"AD0204": "AGE", "AD0205": "AGEU", "AD0206": "SEX", "AD0207": "RACE", "AD0208": "SUBJID",
             "AD0209": "SITEID", "AD0210": "ARM", "AD0367": "ACTARM"}


def _dm(study):
    return study.sdtm.get("DM") if study.sdtm is not None else None


@rule("AD1024", "Notice", "adam", ADAM)
def no_dm(study):
    if study.get("ADSL") is not None and _dm(study) is None:
        yield Hit("ADSL", None, (), detail="no SDTM DM found beside the ADaM folder; give --sdtm")


@rule("AD0054", "Error", "adam", ADAM)
def adsl_one_record_per_subject(study):
    adsl = study.get("ADSL")
    if adsl is not None and "USUBJID" in adsl.frame:
        dup = adsl.frame.duplicated("USUBJID", keep="first")
        if dup.any():
            yield Hit("ADSL", rows(dup), ("USUBJID",))


@rule("AD0053", "Error", "adam", ADAM)
def adsl_subject_in_dm(study):
    adsl, dm = study.get("ADSL"), _dm(study)
    if adsl is not None and dm is not None:
        keys = ["STUDYID", "USUBJID"]
        known = pd.MultiIndex.from_frame(dm.frame[keys])
        bad = ~pd.Series(pd.MultiIndex.from_frame(adsl.frame[keys]).isin(known), index=adsl.frame.index)
        if bad.any():
            yield Hit("ADSL", rows(bad), tuple(keys))


@rule("AD2001", "Error", "adam", ADAM)
def dm_subject_in_adsl(study):
    # ADaMIG 1.3 leaves screen failures out of ADSL or in it, as the sponsor's analyses need (the R Consortium
    # pilot's ADSL has none of DM's 52): a subject assigned to an arm and missing from ADSL is the defect
    adsl, dm = study.get("ADSL"), _dm(study)
    if adsl is not None and dm is not None:
        bad = ~dm.frame["USUBJID"].isin(set(adsl.frame["USUBJID"])) & assigned(dm.frame)
        if bad.any():
            yield Hit("ADSL", None, ("USUBJID",), values=", ".join(dm.frame["USUBJID"][bad].head(20)),
                      detail=f"{int(bad.sum())} DM subject(s) assigned to an arm not in ADSL")


@rule("AD0256", "Error", "adam", ADAM)
def subject_in_adsl(study):
    adsl = study.get("ADSL")
    if adsl is None:
        return
    subjects = set(adsl.frame["USUBJID"])
    for d in study.datasets.values():
        if d.name != "ADSL" and "USUBJID" in d.frame:
            bad = ~d.frame["USUBJID"].isin(subjects)
            if bad.any():
                yield Hit(d.name, rows(bad), ("USUBJID",))


def _copy_rule(rule_id: str, variable: str):
    @rule(rule_id, "Error", "adam", ADAM)
    def check(study):
        adsl, dm = study.get("ADSL"), _dm(study)
        if adsl is None or dm is None or variable not in adsl.frame or variable not in dm.frame:
            return
        theirs = adsl.frame["USUBJID"].map(dm.frame.drop_duplicates("USUBJID").set_index("USUBJID")[variable])
        known = theirs.notna()
        ours = as_text(adsl.frame[variable])
        bad = known & ours.ne(as_text(theirs))
        if bad.any():
            yield Hit("ADSL", rows(bad), (variable,), detail=("DM." + variable + " " + as_text(theirs[bad])).to_numpy())
    return check


for _id, _var in DM_COPIES.items():
    _copy_rule(_id, _var)


FL_EXCEPTIONS = re.compile(r"^(ABLFL|ANL\d\dFL)$")


@rule("AD0005B", "Error", "adam", ADAM)
def flag_values(study):
    for d in study.datasets.values():
        for name, col in d.file.columns.items():
            if col.type == "Char" and name.endswith("FL") and not FL_EXCEPTIONS.match(name):
                bad = ~d.frame[name].isin(["Y", "N", ""])
                if bad.any():
                    yield Hit(d.name, rows(bad), (name,))


@rule("AD0141", "Error", "adam", ADAM)
def param_within_paramcd(study):
    for d in study.datasets.values():
        if d.has("PARAMCD", "PARAM"):
            yield from odd_ones_out(d, "PARAMCD", "PARAM")


@rule("AD0142", "Error", "adam", ADAM)
def paramcd_within_param(study):
    for d in study.datasets.values():
        if d.has("PARAMCD", "PARAM"):
            yield from odd_ones_out(d, "PARAM", "PARAMCD")


@rule("AD0169", "Error", "adam", ADAM)
def cnsr_integer(study):
    for d in study.datasets.values():
        if "CNSR" in d.frame:
            c = d.frame["CNSR"]
            bad = c.notna() & ((c < 0) | (c != c.round()))
            if bad.any():
                yield Hit(d.name, rows(bad), ("CNSR",))


def _date_pairs(d, start_suffix: str, end_suffix: str):
    for name in d.frame.columns:
        if name.endswith(start_suffix) and d.file.columns[name].type == "Num":
            end = name[: -len(start_suffix)] + end_suffix
            if end in d.frame and d.file.columns[end].type == "Num":
                yield name, end


@rule("AD0121", "Error", "adam", ADAM)
def start_after_end_dates(study):
    for d in study.datasets.values():
        for start, end in _date_pairs(d, "SDT", "EDT"):
            bad = d.frame[start] > d.frame[end]
            if bad.any():
                yield Hit(d.name, rows(bad), (start, end))


@rule("AD0361", "Error", "adam", ADAM)
def astdt_after_aendt(study):
    for d in study.datasets.values():
        if d.has("ASTDT", "AENDT"):
            bad = d.frame["ASTDT"] > d.frame["AENDT"]
            if bad.any():
                yield Hit(d.name, rows(bad), ("ASTDT", "AENDT"))


@rule("AD0046", "Error", "adam", ADAM)
def adam_day_zero(study):
    for d in study.datasets.values():
        for name, col in d.file.columns.items():
            if col.type == "Num" and name.endswith("DY"):
                bad = d.frame[name].eq(0)
                if bad.any():
                    yield Hit(d.name, rows(bad), (name,))


def _tte(study):
    return [d for d in study.datasets.values() if d.has("CNSR", "AVAL")]


@rule("MC0201", "Error", "adam", ADAM, message="Time-to-event AVAL is negative",
      description="In a time-to-event dataset (one with CNSR), AVAL is a time from STARTDT and cannot be negative.",
      category="Limit")
def tte_aval_not_negative(study):
    for d in _tte(study):
        bad = d.frame["AVAL"] < 0
        if bad.any():
            yield Hit(d.name, rows(bad), ("AVAL",))


@rule("MC0202", "Error", "adam", ADAM, message="ADT is before STARTDT",
      description="In a time-to-event dataset, the event or censoring date (ADT) cannot precede the start date "
                  "(STARTDT) of the time measured.", category="Limit")
def tte_adt_after_start(study):
    for d in _tte(study):
        if d.has("ADT", "STARTDT"):
            bad = d.frame["ADT"] < d.frame["STARTDT"]
            if bad.any():
                yield Hit(d.name, rows(bad), ("STARTDT", "ADT"))


def _source_dataset(study, srcdom: str):
    if srcdom.startswith("AD"):
        return study.get(srcdom)
    if study.sdtm is None:
        return None
    parts = study.sdtm.by_domain(srcdom)
    return parts[0] if len(parts) == 1 else study.sdtm.get(srcdom)


def _source_records(study, d):
    """For the records of d with SRCDOM: whether the record SRCDOM/SRCVAR/SRCSEQ points at exists (missing),
    and its date where it does and SRCVAR is a date variable (checked), aligned on d's rows."""
    f = d.frame
    missing = pd.Series(False, index=f.index)
    date = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    checked = pd.Series(False, index=f.index)
    with_src = f["SRCDOM"].ne("")
    for (srcdom, srcvar), idx in f[with_src].groupby(["SRCDOM", "SRCVAR"]).groups.items():
        src = _source_dataset(study, srcdom)
        if src is None:
            if srcdom.startswith("AD") or study.sdtm is not None:
                missing[idx] = True
            continue
        # a BDS record's SRCVAR names the value (LBSTRESN), an ADTTE record's the date: only a date is compared
        is_date = srcvar.endswith(("DTC", "DT"))
        checked[idx] = is_date
        if srcvar not in src.frame:
            missing[idx] = True
            continue
        seq = src.seq
        values = src.frame[srcvar]
        as_date = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]") if not is_date else \
            sas_date(values) if src.file.columns[srcvar].type == "Num" else iso_date(values)
        sub = f.loc[idx]
        if seq and seq in src.frame and "SRCSEQ" in f:
            keys = pd.DataFrame({"USUBJID": src.frame["USUBJID"], "SRCSEQ": src.frame[seq], "_date": as_date})
        else:
            keys = pd.DataFrame({"USUBJID": src.frame["USUBJID"], "_date": as_date}).drop_duplicates("USUBJID")
        on = [c for c in keys.columns if c != "_date"]
        m = sub[on].reset_index().merge(keys.drop_duplicates(on), on=on, how="left", indicator=True).set_index("index")
        missing[m.index] = (m["_merge"] == "left_only").to_numpy()
        date[m.index] = m["_date"].to_numpy()
    return missing, date, checked


@rule("MC0203", "Error", "adam", ADAM, message="SRCDOM/SRCVAR/SRCSEQ do not point at an existing record",
      description="The source named by SRCDOM, SRCVAR and SRCSEQ must exist: a dataset SRCDOM of the study with a "
                  "variable SRCVAR and, when SRCSEQ is given, a record of the subject with that --SEQ.",
      category="Cross-reference")
def source_record_exists(study):
    for d in study.datasets.values():
        if d.has("SRCDOM", "SRCVAR"):
            missing, _, _ = _source_records(study, d)
            if missing.any():
                yield Hit(d.name, rows(missing), tuple(v for v in ("SRCDOM", "SRCVAR", "SRCSEQ") if v in d.frame))


@rule("MC0204", "Error", "adam", ADAM, message="ADT is not the date held by the source record",
      description="When SRCDOM/SRCVAR/SRCSEQ name the record a time-to-event date came from, that record's SRCVAR "
                  "must hold ADT (compared where the source date is complete; a SRCVAR that is no date variable, "
                  "such as a BDS result --STRESN, is not compared).", category="Cross-reference")
def source_record_date(study):
    for d in study.datasets.values():
        if d.has("SRCDOM", "SRCVAR", "ADT"):
            missing, date, checked = _source_records(study, d)
            adt = sas_date(d.frame["ADT"])
            bad = checked & ~missing & date.notna() & adt.notna() & date.ne(adt)
            if bad.any():
                yield Hit(d.name, rows(bad), ("ADT", "SRCDOM", "SRCVAR"),
                          detail=("source date " + date[bad].dt.strftime("%Y-%m-%d")).to_numpy())


@rule("MC0205", "Error", "adam", ADAM, message="TRTEMFL is inconsistent with ASTDT and the treatment dates",
      description="An adverse event starting before the first dose (ASTDT < TRTSDT) cannot be treatment-emergent, "
                  "and one starting between the first and the last dose (TRTSDT <= ASTDT <= TRTEDT) must be.",
      category="Consistency")
def trtemfl_consistent(study):
    for d in study.datasets.values():
        if not d.has("TRTEMFL", "ASTDT", "TRTSDT"):
            continue
        f = d.frame
        flagged = f["TRTEMFL"].eq("Y")
        before = f["ASTDT"] < f["TRTSDT"]
        during = (f["ASTDT"] >= f["TRTSDT"]) & (f["ASTDT"] <= f["TRTEDT"] if "TRTEDT" in f else False)
        bad = (flagged & before) | (~flagged & pd.Series(during, index=f.index))
        if bad.any():
            yield Hit(d.name, rows(bad), ("TRTEMFL", "ASTDT", "TRTSDT") + (("TRTEDT",) if "TRTEDT" in f else ()))

