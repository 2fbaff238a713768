"""Study days and epochs: --DY, --STDY and --ENDY recomputed from RFSTDTC (no day 0), and EPOCH
consistent with the subject's elements in SE. (ISO 8601 formats are schema checks; start after end
is a plausibility rule shared with the raw edit checks.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.validate.rules import Hit, rows, rule

DY_PAIRS = {"SD1086": ("DTC", "DY"), "SD1090": ("STDTC", "STDY"), "SD1094": ("ENDTC", "ENDY")}


def study_day(date: pd.Series, reference: pd.Series) -> pd.Series:
    delta = (date - reference).dt.days
    return pd.Series(np.where(delta >= 0, delta + 1, delta), index=date.index).where(delta.notna())


def _wrong_day(study, dtc_suffix: str, dy_suffix: str):
    dm = study.get("DM")
    if dm is None or "RFSTDTC" not in dm.frame:
        return
    for d in study.observations():
        dtc, dy = d.var(dtc_suffix), d.var(dy_suffix)
        if d.domain == "DM" or dtc is None or dy is None:
            continue
        expected = study_day(study.date(d, dtc), study.subject_date(d, dm, "RFSTDTC"))
        actual = d.frame[dy]
        bad = expected.notna() & actual.notna() & expected.ne(actual)
        if bad.any():
            yield Hit(d.name, rows(bad), (dtc, dy), detail=("expected " + expected[bad].astype("int64").astype(str)).to_numpy())


def _dy_rule(rule_id: str, dtc_suffix: str, dy_suffix: str):
    @rule(rule_id, "Error", "dates")
    def check(study):
        return _wrong_day(study, dtc_suffix, dy_suffix)
    return check


for _id, (_dtc, _dy) in DY_PAIRS.items():
    _dy_rule(_id, _dtc, _dy)


@rule("SD0038", "Error", "dates")
def day_zero(study):
    for d in study.datasets.values():
        for name in d.frame.columns:
            if d.file.columns[name].type == "Num" and (name.endswith("DY") and (d.prefix and name.startswith(d.prefix)
                                                                                or name == "VISITDY")):
                bad = d.frame[name].eq(0)
                if bad.any():
                    yield Hit(d.name, rows(bad), (name,))


@rule("MC0401", "Warning", "dates", message="EPOCH does not match the subject's element in SE on that date",
      description="EPOCH of a dated record should be the EPOCH of the Subject Element (SE) the subject was in on "
                  "that date (SESTDTC <= date <= SEENDTC; either element on a boundary day). DS is exempt: its "
                  "EPOCH is the epoch a disposition concerns.",
      category="Consistency", publisher=("FDAB022",))
def epoch_matches_se(study):
    se = study.get("SE")
    if se is None or not se.has("SESTDTC", "SEENDTC", "EPOCH"):
        return
    elements = pd.DataFrame({"USUBJID": se.frame["USUBJID"], "start": study.date(se, "SESTDTC"),
                             "end": study.date(se, "SEENDTC"), "SEEPOCH": se.frame["EPOCH"]})
    elements = elements[elements["start"].notna()]
    elements["end"] = elements["end"].fillna(elements["start"])
    for d in study.observations():
        # DS gives the epoch a disposition concerns (completion of TREATMENT), not the date's element
        if d.domain in ("SE", "DM", "SV", "DS") or "EPOCH" not in d.frame:
            continue
        dtc = d.var("STDTC") or d.var("DTC")
        if dtc is None:
            continue
        recs = pd.DataFrame({"row": np.arange(len(d.frame)), "USUBJID": d.frame["USUBJID"].to_numpy(),
                             "date": study.date(d, dtc).to_numpy(), "EPOCH": d.frame["EPOCH"].to_numpy()})
        recs = recs[recs["date"].notna() & recs["EPOCH"].ne("")]
        m = recs.merge(elements, on="USUBJID")
        m = m[(m["start"] <= m["date"]) & (m["date"] <= m["end"])]
        if m.empty:
            continue
        matched = m.assign(ok=m["EPOCH"].eq(m["SEEPOCH"])).groupby("row")["ok"].any()
        bad = matched.index[~matched.to_numpy()].to_numpy()
        if len(bad):
            expected = m[m["row"].isin(bad)].drop_duplicates("row").set_index("row")["SEEPOCH"].reindex(bad)
            yield Hit(d.name, bad, (dtc, "EPOCH"), detail=("SE has " + expected.astype(str)).to_numpy())


GENERAL_CLASSES = ("Interventions", "Events", "Findings", "Findings About")


@rule("SD1339", "Warning", "dates")
def epoch_when_dated(study):
    for d in study.observations():
        if d.model is None or d.model.cls not in GENERAL_CLASSES:
            continue
        dated = pd.Series(False, index=d.frame.index)
        for suffix in ("STDTC", "DTC"):
            if d.var(suffix):
                dated |= d.present(d.var(suffix))
        if not dated.any():
            continue
        if "EPOCH" not in d.frame:
            yield Hit(d.name, None, ("EPOCH",), detail=f"no EPOCH variable; {int(dated.sum())} records are dated")
            continue
        bad = dated & ~d.present("EPOCH")
        if bad.any():
            yield Hit(d.name, rows(bad), ("EPOCH",))
