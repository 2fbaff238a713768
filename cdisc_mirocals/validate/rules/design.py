"""DM against the trial design (ARM/ARMCD/ACTARM/ACTARMCD in TA, ARMNRS, EPOCH, ETCD), and death flags
and dates consistent across DM, DS, DD, SS and AE. (The Trial Summary rules are in trial_summary.py.)"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.validate.rules import Hit, declare, rows, rule
from cdisc_mirocals.validate.rules.arms import NULL_ACTARMCD, NULL_ARMCD, code_in, randomised


def _dm_ta(study):
    dm, ta = study.get("DM"), study.get("TA")
    return (dm, ta) if dm is not None and ta is not None and ta.has("ARMCD", "ARM") else (None, None)


def _pair_not_in_ta(dm, ta, code: str, decode: str, exempt: set[str]) -> pd.Series:
    f = dm.frame
    known = pd.MultiIndex.from_frame(ta.frame[["ARMCD", "ARM"]].drop_duplicates())
    mine = pd.MultiIndex.from_arrays([f[code], f[decode]])
    return ~code_in(f[code], exempt) & ~pd.Series(mine.isin(known), index=f.index)


@rule("SD0071", "Error", "design")
def arm_in_ta(study):
    dm, ta = _dm_ta(study)
    if dm is not None and dm.has("ARMCD", "ARM"):
        bad = _pair_not_in_ta(dm, ta, "ARMCD", "ARM", NULL_ARMCD)
        if bad.any():
            yield Hit("DM", rows(bad), ("ARMCD", "ARM"), detail="no such ARMCD/ARM pair in TA")


@rule("SD2002", "Error", "design")
def actarmcd_in_ta(study):
    dm, ta = _dm_ta(study)
    if dm is not None and "ACTARMCD" in dm.frame:
        bad = ~code_in(dm.frame["ACTARMCD"], NULL_ACTARMCD) & ~dm.frame["ACTARMCD"].isin(set(ta.frame["ARMCD"]))
        if bad.any():
            yield Hit("DM", rows(bad), ("ACTARMCD",), detail="not an ARMCD of TA")


@rule("SD2003", "Error", "design")
def actarm_in_ta(study):
    dm, ta = _dm_ta(study)
    if dm is not None and dm.has("ACTARMCD", "ACTARM"):
        bad = dm.frame["ACTARMCD"].isin(set(ta.frame["ARMCD"])) & _pair_not_in_ta(dm, ta, "ACTARMCD", "ACTARM", NULL_ACTARMCD)
        if bad.any():
            yield Hit("DM", rows(bad), ("ACTARMCD", "ACTARM"), detail="ACTARM is not the TA.ARM of ACTARMCD")


def _dm_with(study, *names):
    dm = study.get("DM")
    return dm if dm is not None and dm.has(*names) else None


def _dm_rule(rule_id: str, severity: str, variables: tuple[str, ...], breaks):
    """A rule on DM records alone: `breaks(study, DM frame)` selects the records that break it."""
    def check(study):
        dm = _dm_with(study, *variables)
        if dm is not None:
            bad = breaks(study, dm.frame)
            if bad.any():
                yield Hit("DM", rows(bad), variables)
    declare(rule_id, severity, "design", check=check)


# DM's arm logic (SDTMIG 3.4): (variables it needs and reports, records that break it)
ARM_LOGIC = {
    "SD1358": (("ACTARMCD", "ACTARM", "ARMNRS"),  # both actual arm variables null and no reason why
               lambda _, f: f["ACTARMCD"].eq("") & f["ACTARM"].eq("") & f["ARMNRS"].eq("")),
    "SD1359": (("ARMCD", "ARM", "ARMNRS"), lambda _, f: f["ARMCD"].eq("") & f["ARM"].eq("") & f["ARMNRS"].eq("")),
    "SD1360": (("ARMNRS", "ARMCD", "ACTARMCD"),
               lambda _, f: f["ARMNRS"].ne("") & f["ARMCD"].ne("") & f["ACTARMCD"].ne("")),
    "SD1361": (("ARMCD", "ARM"), lambda _, f: f["ARMCD"].eq("") ^ f["ARM"].eq("")),  # one without the other
    "SD1362": (("ACTARMCD", "ACTARM"), lambda _, f: f["ACTARMCD"].eq("") ^ f["ACTARM"].eq("")),
}

for _id, (_vars, _breaks) in ARM_LOGIC.items():
    _dm_rule(_id, "Error", _vars, _breaks)


# ------------------------------------------------------------------------------------------ reference dates
# For a subject randomised and never treated (ARMNRS 'ASSIGNED, NOT TREATED') P21's rules contradict one
# another: SD0087/SD0088 want RFSTDTC/RFENDTC for every randomised subject, SD1373/SD1366 want them null
# whenever ARMNRS is populated. No data can satisfy both, so all four are Warnings, and the reviewer's guide
# says which one a study follows (docs/conformance-decisions.md for this study's).

def _ongoing(study) -> bool:
    ts = study.get("TS")
    return ts is not None and ts.has("TSPARMCD", "TSVAL") and \
        (ts.frame["TSPARMCD"].eq("ONGOSIND") & ts.frame["TSVAL"].eq("Y")).any()


REFERENCE_DATES = {
    "SD0087": (("ARMCD", "RFSTDTC"), lambda study, f: randomised(f) & f["RFSTDTC"].eq("")),
    "SD0088": (("ARMCD", "RFENDTC"), lambda study, f: randomised(f) & f["RFENDTC"].eq("") & (not _ongoing(study))),
    "SD1366": (("ARMNRS", "RFENDTC"), lambda study, f: f["ARMNRS"].ne("") & f["RFENDTC"].ne("")),
    "SD1373": (("ARMNRS", "RFSTDTC"), lambda study, f: f["ARMNRS"].ne("") & f["ARMNRS"].ne("UNPLANNED TREATMENT")
               & f["RFSTDTC"].ne("")),
}


for _id, (_vars, _breaks) in REFERENCE_DATES.items():
    _dm_rule(_id, "Warning", _vars, _breaks)


@rule("SD1015", "Error", "design")
def epoch_in_ta(study):
    ta = study.get("TA")
    if ta is None or "EPOCH" not in ta.frame:
        return
    epochs = set(ta.frame["EPOCH"])
    for d in study.datasets.values():
        if d.name != "TA" and "EPOCH" in d.frame:
            bad = d.frame["EPOCH"].ne("") & ~d.frame["EPOCH"].isin(epochs)
            if bad.any():
                yield Hit(d.name, rows(bad), ("EPOCH",), detail="not an EPOCH of TA")


@rule("SD0067", "Error", "design")
def etcd_in_te(study):
    te = study.get("TE")
    if te is None or "ETCD" not in te.frame:
        return
    for name in ("SE", "TA"):
        d = study.get(name)
        if d is not None and "ETCD" in d.frame:
            bad = ~d.frame["ETCD"].isin(set(te.frame["ETCD"]) | {"UNPLAN", ""})
            if bad.any():
                yield Hit(name, rows(bad), ("ETCD",), detail="not an ETCD of TE")


# ------------------------------------------------------------------------------------------ death

def _dthfl_not_y(study, subjects: pd.Series):
    dm = _dm_with(study, "DTHFL")
    if dm is None:
        return
    bad = dm.frame["USUBJID"].isin(set(subjects)) & dm.frame["DTHFL"].ne("Y")
    if bad.any():
        yield Hit("DM", rows(bad), ("USUBJID", "DTHFL"))


def _subjects_where(study, domain: str, variable: str, value: str) -> pd.Series:
    frames = [d.frame.loc[d.frame[variable] == value, "USUBJID"] for d in study.by_domain(domain) if variable in d.frame]
    return pd.concat(frames) if frames else pd.Series([], dtype=object)


@rule("SD1252", "Warning", "design")
def dthfl_when_ss_dead(study):
    return _dthfl_not_y(study, _subjects_where(study, "SS", "SSSTRESC", "DEAD"))


@rule("SD1253", "Warning", "design")
def dthfl_when_dd(study):
    return _dthfl_not_y(study, pd.concat([d.frame["USUBJID"] for d in study.by_domain("DD")] or [pd.Series([], dtype=object)]))


@rule("SD1254", "Warning", "design")
def dthfl_when_fatal_ae(study):
    return _dthfl_not_y(study, _subjects_where(study, "AE", "AEOUT", "FATAL"))


@rule("SD1255", "Warning", "design")
def dthfl_when_aesdth(study):
    return _dthfl_not_y(study, _subjects_where(study, "AE", "AESDTH", "Y"))


@rule("SD1256", "Warning", "design")
def dthfl_when_ds_death(study):
    return _dthfl_not_y(study, _subjects_where(study, "DS", "DSDECOD", "DEATH"))


_dm_rule("SD2004", "Error", ("DTHDTC", "DTHFL"), lambda _, f: f["DTHDTC"].ne("") & f["DTHFL"].ne("Y"))
_dm_rule("SD2005", "Warning", ("DTHFL", "DTHDTC"), lambda _, f: f["DTHFL"].ne("") & f["DTHDTC"].eq(""))


@rule("SD1316", "Warning", "design")
def ds_death_when_ss_dead(study):
    dead = set(_subjects_where(study, "SS", "SSSTRESC", "DEAD"))
    in_ds = set(_subjects_where(study, "DS", "DSDECOD", "DEATH"))
    for d in study.by_domain("SS"):
        if "SSSTRESC" in d.frame:
            bad = d.frame["SSSTRESC"].eq("DEAD") & d.frame["USUBJID"].isin(dead - in_ds)
            bad &= ~d.frame.duplicated("USUBJID")  # one finding per subject
            if bad.any():
                yield Hit(d.name, rows(bad), ("USUBJID", "SSSTRESC"), detail="no DS record with DSDECOD = DEATH")


@rule("MC0402", "Warning", "design", message="Subject with DTHFL = 'Y' has no DEATH record in DS",
      description="A subject who died (DM.DTHFL = 'Y') should have a disposition record with DSDECOD = 'DEATH'.",
      category="Consistency", publisher=("CG0067",))
def ds_death_when_dthfl(study):
    dm = _dm_with(study, "DTHFL")
    if dm is None or not study.by_domain("DS"):
        return
    bad = dm.frame["DTHFL"].eq("Y") & ~dm.frame["USUBJID"].isin(set(_subjects_where(study, "DS", "DSDECOD", "DEATH")))
    if bad.any():
        yield Hit("DM", rows(bad), ("USUBJID", "DTHFL"), detail="no DS record with DSDECOD = DEATH")


def _date_differs(study, d, variable: str, mask: pd.Series):
    """Records selected by mask whose date part of `variable` is not DM.DTHDTC's."""
    dm = _dm_with(study, "DTHDTC")
    if dm is None:
        return pd.Series(False, index=d.frame.index)
    death = d.frame["USUBJID"].map(dm.frame.drop_duplicates("USUBJID").set_index("USUBJID")["DTHDTC"]).fillna("")
    mine = d.frame[variable].str.slice(0, 10)
    return mask & death.ne("") & mine.ne(death.str.slice(0, 10))


@rule("SD1317", "Warning", "design")
def ds_death_date(study):
    for d in study.by_domain("DS"):
        if d.has("DSDECOD", "DSSTDTC"):
            bad = _date_differs(study, d, "DSSTDTC", d.frame["DSDECOD"].eq("DEATH"))
            if bad.any():
                yield Hit(d.name, rows(bad), ("DSSTDTC",), detail="DM.DTHDTC differs")


@rule("SD1347", "Warning", "design")
def fatal_ae_end_date(study):
    for d in study.by_domain("AE"):
        if d.has("AEOUT", "AEENDTC"):
            bad = _date_differs(study, d, "AEENDTC", d.frame["AEOUT"].eq("FATAL"))
            if bad.any():
                yield Hit(d.name, rows(bad), ("AEOUT", "AEENDTC"), detail="DM.DTHDTC differs")


@rule("SD0090", "Warning", "design")
def aesdth_when_fatal(study):
    for d in study.by_domain("AE"):
        if d.has("AEOUT", "AESDTH"):
            bad = d.frame["AEOUT"].eq("FATAL") & d.frame["AESDTH"].ne("Y")
            if bad.any():
                yield Hit(d.name, rows(bad), ("AEOUT", "AESDTH"))


@rule("SD0091", "Warning", "design")
def fatal_when_aesdth(study):
    for d in study.by_domain("AE"):
        if d.has("AEOUT", "AESDTH"):
            bad = d.frame["AESDTH"].eq("Y") & d.frame["AEOUT"].ne("FATAL")
            if bad.any():
                yield Hit(d.name, rows(bad), ("AESDTH", "AEOUT"))
