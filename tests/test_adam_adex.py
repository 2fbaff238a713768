"""ADEX: per-cycle and overall exposure, against ADSL subject by subject, the raw injection log, and cases
worked by hand."""

import pandas as pd
import pytest

from cdisc_mirocals.adam.adex import derive_adex

OVERALL_IN_ADSL = {"NCYCLE": "NCYCLE", "TNINJ": "NINJ", "TNINJPL": "NINJPL", "TRTDURD": "TRTDURD", "RDI": "RDI"}


def _wide(adex: pd.DataFrame) -> pd.DataFrame:
    overall = adex[adex["AVISIT"].fillna("") == ""]
    return overall.pivot(index="USUBJID", columns="PARAMCD", values="AVAL")


def test_adex_overall_parameters_equal_adsl_subject_by_subject(adam):
    adsl = adam["ADSL"].set_index("USUBJID")
    adex = adam["ADEX"]
    wide = _wide(adex)
    treated = adsl.index[adsl["SAFFL"] == "Y"]
    assert sorted(wide.index) == sorted(treated) and len(treated) > 200
    for paramcd, var in OVERALL_IN_ADSL.items():
        ours, theirs = wide.loc[treated, paramcd], adsl.loc[treated, var].astype(float)
        mismatch = ours[ours != theirs]
        assert mismatch.empty, (paramcd, mismatch.head().to_dict(), theirs[mismatch.index].head().to_dict())
    # the totals are the sums of the per-cycle rows a reviewer sees
    cycles = adex[adex["AVISIT"] != ""]
    for per_cycle, total in (("NINJ", "TNINJ"), ("DOSE", "TDOSE")):
        sums = cycles[cycles["PARAMCD"] == per_cycle].groupby("USUBJID")["AVAL"].sum()
        assert (sums.loc[treated] == wide.loc[treated, total]).all(), total
    # overall records span the treatment period; a per-cycle record lies inside it
    overall = adex[adex["AVISIT"] == ""]
    assert (overall["ASTDT"] == overall["TRTSDT"]).all() and (overall["AENDT"] == overall["TRTEDT"]).all()
    dated = cycles.dropna(subset=["ASTDT"])
    assert ((dated["ASTDT"] >= dated["TRTSDT"]) & (dated["AENDT"] <= dated["TRTEDT"])).all()


def test_adex_cycles_count_the_injections_and_dose_of_the_raw_injection_log(adam, raw_study, spec):
    inj = raw_study["INJ"].assign(USUBJID=lambda f: "MIROCALS-" + f["SUBJID"].str.strip())
    given = inj[inj["INJDONE"].str.strip() == "Yes"].assign(AVISITN=lambda f: f["CYCLE"].astype(int).astype(float))
    arm = adam["ADSL"].set_index("USUBJID")["TRT01A"]
    tr = spec.study["treatment"]
    active = given["USUBJID"].map(arm) == tr["active_arm"]
    dose = pd.to_numeric(given["INJDOSE"], errors="coerce").fillna(tr["dose"]).where(active, 0.0)
    raw = given.assign(DOSE=dose).groupby(["USUBJID", "AVISITN"]).agg(NINJ=("DOSE", "size"), DOSE=("DOSE", "sum"))
    adex = adam["ADEX"]
    for paramcd in ("NINJ", "DOSE"):
        ours = adex[adex["PARAMCD"] == paramcd].set_index(["USUBJID", "AVISITN"])["AVAL"]
        started = ours[ours > 0] if paramcd == "NINJ" else ours.loc[raw.index]
        assert started.sort_index().to_dict() == pytest.approx(raw[paramcd].sort_index().to_dict()), paramcd
    # AVISIT names its cycle, and EXGRPID links the record to the EX records of that cycle
    cycles = adex[adex["AVISIT"] != ""]
    assert (cycles["AVISIT"] == "CYCLE " + cycles["AVISITN"].astype(int).astype(str)).all()
    linked = cycles[cycles["EXGRPID"] != ""]
    assert (linked["EXGRPID"].str[-2:].astype(int) == linked["AVISITN"]).all()


def test_adex_units_and_parameters_come_from_the_specs(adam, spec):
    adex = adam["ADEX"]
    decodes = {t.term: t.decode for t in spec.adam.codelists["PARAMCD.ADEX"].terms}
    assert (adex["PARAM"] == adex["PARAMCD"].map(decodes)).all()
    units = adex.groupby("PARAMCD")["AVALU"].agg(lambda u: set(u))
    assert units.to_dict() == {"DOSE": {"10^6 IU"}, "TDOSE": {"10^6 IU"}, "TRTDURD": {"DAYS"}, "RDI": {"%"},
                               "NINJ": {""}, "NCYCLE": {""}, "TNINJ": {""}, "TNINJPL": {""}}


# --------------------------------------------------------------------------- hand-worked


def _adsl(rows):
    base = {"STUDYID": "S", "SITEID": "01", "AGE": 50, "SEX": "F", "SAFFL": "Y", "TRT01AN": 1.0}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["SUBJID"] = frame["USUBJID"]
    for col in ("TRTSDT", "TRTEDT"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _ex(rows):
    ex = pd.DataFrame([{"STUDYID": "S", "EXDOSU": "10^6 IU", "EXENDTC": r[2], **dict(zip(("USUBJID", "EXGRPID",
                                                                                         "EXSTDTC", "EXDOSE"), r))}
                       for r in rows])
    return ex.assign(EXSEQ=ex.groupby("USUBJID").cumcount() + 1.0)


def test_adex_by_hand_skipped_cycle_partial_cycle_and_rounding(spec):
    # A (active): cycle 1 in full, cycle 2 skipped entirely, 3 injections of cycle 3. Planned: 3 cycles x 5 = 15;
    # received 8 = 16 MIU; RDI 100 * 8 / 15 = 53.33 -> 53.3; duration 2018-01-01 .. 2018-03-02 = 61 days.
    # B (placebo): one injection, in cycle 16: planned 80, RDI 1.25 -> 1.3 (halves away from zero, not to even).
    ex = _ex([("A", "CYCLE01", f"2018-01-0{d}", 2.0) for d in range(1, 6)]
             + [("A", "CYCLE03", day, 2.0) for day in ("2018-02-26", "2018-02-27", "2018-03-02")]
             + [("B", "CYCLE16", "2019-05-01", 0.0)])
    adsl = _adsl([{"USUBJID": "A", "TRT01A": "Aldesleukin 2 MIU", "TRTSDT": "2018-01-01", "TRTEDT": "2018-03-02"},
                  {"USUBJID": "B", "TRT01A": "Placebo", "TRT01AN": 0.0, "TRTSDT": "2019-05-01",
                   "TRTEDT": "2019-05-01"},
                  {"USUBJID": "C", "TRT01A": "", "SAFFL": "N", "TRTSDT": None, "TRTEDT": None}])
    adex = derive_adex(adsl, {"EX": ex}, spec)
    assert set(adex["USUBJID"]) == {"A", "B"}  # C, never treated, has no exposure record
    a = adex[adex["USUBJID"] == "A"]
    ninj = a[a["PARAMCD"] == "NINJ"].set_index("AVISITN")
    assert ninj["AVAL"].to_dict() == {1.0: 5.0, 2.0: 0.0, 3.0: 3.0}
    assert ninj.loc[2.0, "EXGRPID"] == "" and pd.isna(ninj.loc[2.0, "ASTDT"])
    assert ninj.loc[3.0, "ASTDT"] == pd.Timestamp("2018-02-26") and ninj.loc[3.0, "AENDT"] == pd.Timestamp("2018-03-02")
    assert (ninj.loc[3.0, "ASTDY"], ninj.loc[3.0, "AENDY"]) == (57, 61)
    dose = a[a["PARAMCD"] == "DOSE"].set_index("AVISITN")["AVAL"].to_dict()
    assert dose == {1.0: 10.0, 2.0: 0.0, 3.0: 6.0}
    assert _wide(a).loc["A"].to_dict() == {"NCYCLE": 2.0, "TNINJ": 8.0, "TNINJPL": 15.0, "TDOSE": 16.0,
                                           "TRTDURD": 61.0, "RDI": 53.3}
    assert _wide(adex[adex["USUBJID"] == "B"]).loc["B"].to_dict() == {
        "NCYCLE": 1.0, "TNINJ": 1.0, "TNINJPL": 80.0, "TDOSE": 0.0, "TRTDURD": 1.0, "RDI": 1.3}
    b_cycles = adex[(adex["USUBJID"] == "B") & (adex["PARAMCD"] == "NINJ")]
    assert len(b_cycles) == 16 and b_cycles["AVAL"].sum() == 1


def test_adex_refuses_an_injection_outside_every_cycle(spec):
    adsl = _adsl([{"USUBJID": "A", "TRT01A": "Placebo", "TRTSDT": "2018-01-01", "TRTEDT": "2018-01-02"}])
    ex = _ex([("A", "CYCLE01", "2018-01-01", 0.0), ("A", "UNPLANNED", "2018-01-02", 0.0)])
    with pytest.raises(ValueError, match=r"ADEX: 1 EX record\(s\) with no cycle number.*'UNPLANNED'"):
        derive_adex(adsl, {"EX": ex}, spec)
