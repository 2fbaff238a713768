"""Identity and keys: DOMAIN, --SEQ, every subject in DM, visits in SV, and SUPP--/RELREC integrity."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.validate.context import as_text
from cdisc_mirocals.validate.distinct import at_precision
from cdisc_mirocals.validate.rules import Hit, rows, rule, stacked

RELATIONSHIP = ("SUPPQUAL", "RELREC")


@rule("SD0004", "Error", "identity")
def domain_value(study):
    for d in study.datasets.values():
        if "DOMAIN" not in d.frame or d.model is None:
            continue
        expected = d.model.name if len(d.model.name) == 2 else d.name[:2]
        bad = d.frame["DOMAIN"] != expected
        if bad.any():
            yield Hit(d.name, rows(bad), ("DOMAIN",), detail=f"expected {expected}")


@rule("SD0005", "Error", "identity")
def seq_unique(study):
    """--SEQ unique within a subject across the whole domain, a split domain's files together."""
    observed = {id(d) for d in study.observations()}
    for group, parts in study.groups().items():
        parts = [d for d in parts if id(d) in observed and d.var("SEQ")]
        seqs = {d.var("SEQ") for d in parts}
        if not parts or len(seqs) > 1:
            continue
        seq = seqs.pop()
        frame, back = stacked(parts, ["USUBJID", seq])
        dup = frame.duplicated(["USUBJID", seq], keep="first") & frame[seq].notna()
        for d, found in back(dup):
            yield Hit(d.name, found, ("USUBJID", seq), detail=f"{seq} repeats within USUBJID in {group}")


def _dm_subjects(study) -> set | None:
    dm = study.get("DM")
    return None if dm is None else set(dm.frame["USUBJID"])


@rule("SD0064", "Error", "identity")
def subject_in_dm(study):
    subjects = _dm_subjects(study)
    if subjects is None:
        return
    for d in study.datasets.values():
        if d.name == "DM" or "USUBJID" not in d.frame:
            continue
        bad = d.present("USUBJID") & ~d.frame["USUBJID"].isin(subjects)
        if bad.any():
            yield Hit(d.name, rows(bad), ("USUBJID",))


@rule("SD0083", "Error", "identity")
def dm_one_record_per_subject(study):
    dm = study.get("DM")
    if dm is not None:
        dup = dm.frame.duplicated(["STUDYID", "USUBJID"] if "STUDYID" in dm.frame else ["USUBJID"], keep="first")
        if dup.any():
            yield Hit("DM", rows(dup), ("USUBJID",))


def _at_precision(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns with their numbers at 12 significant digits (VISITNUM 1.3000000000000003 is 1.3)."""
    return pd.DataFrame({c: at_precision(frame[c]) for c in frame.columns}, index=frame.index)


@rule("SD0065", "Warning", "identity")
def visit_in_sv(study):
    sv = study.get("SV")
    if sv is None or "VISITNUM" not in sv.frame:
        return
    for d in study.observations():
        if d.domain in ("SV", "TV") or "VISITNUM" not in d.frame:
            continue
        keys = ["USUBJID", "VISITNUM"] + (["VISIT"] if "VISIT" in d.frame and "VISIT" in sv.frame else [])
        known = pd.MultiIndex.from_frame(_at_precision(sv.frame[keys]).drop_duplicates())
        mine = pd.MultiIndex.from_frame(_at_precision(d.frame[keys]))
        stat = d.var("STAT")
        exempt = d.present(stat) if stat else pd.Series(False, index=d.frame.index)
        if d.domain == "EC" and "ECOCCUR" in d.frame:
            exempt |= d.frame["ECOCCUR"].eq("N")
        bad = d.present("VISITNUM") & ~pd.Series(mine.isin(known), index=d.frame.index) & ~exempt
        if bad.any():
            yield Hit(d.name, rows(bad), tuple(keys), detail="no such USUBJID/VISITNUM"
                      + ("/VISIT" if "VISIT" in keys else "") + " in SV")


def _relationship(study):
    for d in study.datasets.values():
        if d.model is not None and d.model.name in RELATIONSHIP and "RDOMAIN" in d.frame:
            yield d


def _domains(study) -> dict[str, list]:
    out: dict[str, list] = {}
    for d in study.datasets.values():
        if d.model is not None and d.model.name not in RELATIONSHIP:
            out.setdefault(d.domain, []).append(d)
    return out


@rule("SD0072", "Error", "identity")
def rdomain_valid(study):
    domains = _domains(study)
    for d in _relationship(study):
        rdomain = d.frame["RDOMAIN"]
        bad = ~rdomain.isin(list(domains))
        if d.name.startswith("SUPP") and len(d.name) == 6:
            bad |= rdomain != d.name[4:]
        if bad.any():
            yield Hit(d.name, rows(bad), ("RDOMAIN",), detail="RDOMAIN must name a domain of the study"
                      + (f" ({d.name[4:]} in {d.name})" if d.name.startswith("SUPP") else ""))


@rule("SD0075", "Error", "identity")
def idvar_valid(study):
    domains = _domains(study)
    for d in _relationship(study):
        if "IDVAR" not in d.frame:
            continue
        f = d.frame
        bad = pd.Series(False, index=f.index)
        for (rdomain, idvar), idx in f[f["IDVAR"] != ""].groupby(["RDOMAIN", "IDVAR"]).groups.items():
            parents = domains.get(rdomain, [])
            if parents and not any(idvar in p.frame for p in parents):
                bad[idx] = True
        if bad.any():
            yield Hit(d.name, rows(bad), ("RDOMAIN", "IDVAR"), detail="IDVAR is not a variable of RDOMAIN")


@rule("SD0077", "Error", "identity")
def referenced_record_exists(study):
    domains = _domains(study)
    for d in _relationship(study):
        f = d.frame
        if not {"USUBJID", "IDVAR", "IDVARVAL"} <= set(f):
            continue
        bad = pd.Series(False, index=f.index)
        subject_level = f["USUBJID"].ne("")
        for (rdomain, idvar), idx in f[subject_level].groupby(["RDOMAIN", "IDVAR"]).groups.items():
            parents = [p for p in domains.get(rdomain, []) if not idvar or idvar in p.frame]
            if not parents:
                continue  # SD0072/SD0075 report it
            keys = pd.concat([pd.DataFrame({"USUBJID": p.frame["USUBJID"],
                                            "V": as_text(p.frame[idvar]) if idvar else ""}) for p in parents])
            known = pd.MultiIndex.from_frame(keys.drop_duplicates())
            sub = f.loc[idx]
            mine = pd.MultiIndex.from_arrays([sub["USUBJID"], sub["IDVARVAL"].str.strip() if idvar else
                                              pd.Series("", index=sub.index)])
            bad[idx] = ~mine.isin(known)
        if bad.any():
            yield Hit(d.name, rows(bad), ("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"),
                      detail="no record with this IDVAR value for the subject in RDOMAIN")


@rule("SD0086", "Error", "identity")
def supp_duplicates(study):
    for d in _relationship(study):
        if d.model.name != "SUPPQUAL" or "QNAM" not in d.frame:
            continue
        keys = [k for k in ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM") if k in d.frame]
        dup = d.frame.duplicated(keys, keep="first")
        if dup.any():
            yield Hit(d.name, rows(dup), ("USUBJID", "IDVAR", "IDVARVAL", "QNAM"))

