"""ADCM and ADMH (OCCDS): traceability to CM and MH, and the imputations and flags on cases worked by hand."""

import pandas as pd
import pytest

from cdisc_mirocals.adam.adcm import derive_adcm
from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.admh import derive_admh

from conftest import sas_date


@pytest.mark.parametrize("dataset, domain", [("ADCM", "CM"), ("ADMH", "MH")])
def test_occds_has_one_record_per_sdtm_record_traceable_by_seq(adam, sdtm, spec, dataset, domain):
    ours, theirs = adam[dataset], sdtm[domain]
    seq = f"{domain}SEQ"
    assert len(ours) == len(theirs) and not ours.duplicated(["USUBJID", seq]).any()
    merged = ours.merge(theirs, on=["USUBJID", seq], suffixes=("", "_SDTM"), validate="one_to_one")
    assert len(merged) == len(theirs)
    for var, source in predecessors(spec, dataset, domain).items():
        if var not in ("USUBJID", seq):
            a = merged[var].astype(str).replace({"nan": ""})
            b = merged[f"{source}_SDTM" if f"{source}_SDTM" in merged else source].astype(str).replace({"nan": ""})
            assert (a == b).all(), var
    adsl = adam["ADSL"].set_index("USUBJID")
    assert (ours["TRTA"] == ours["USUBJID"].map(adsl["TRT01A"])).all()


def test_adcm_flags_riluzole_taken_throughout_treatment(adam, sdtm, spec):
    adcm = adam["ADCM"]
    background = spec.study["trial_summary"]["CURTRT"]
    riluzole = adcm[adcm["CQ01NAM"] == background]
    assert (riluzole["CMDECOD"].str.upper() == background).all()
    assert set(riluzole["CMCAT"]) == {"BACKGROUND THERAPY"} and (adcm["CMCAT"] == "BACKGROUND THERAPY").sum() == len(riluzole)
    # every randomised subject is on riluzole from the run-in: a prior medication, concomitant too
    treated = adam["ADSL"].loc[adam["ADSL"]["SAFFL"] == "Y", "USUBJID"]
    per_subject = riluzole[riluzole["USUBJID"].isin(treated)].groupby("USUBJID")
    assert set(per_subject.groups) == set(treated)
    assert (per_subject["PREFL"].max() == "Y").all() and (per_subject["ONTRTFL"].max() == "Y").all()
    throughout = riluzole[riluzole["THRTRTFL"] == "Y"]
    assert len(throughout) > 0.8 * len(treated)
    assert ((throughout["ASTDT"] <= throughout["TRTSDT"]) &
            ((throughout["AENDT"] >= throughout["TRTEDT"]) | (throughout["CMENRTPT"] == "ONGOING"))).all()


# --------------------------------------------------------------------------- hand-worked


def _adsl(spec, dataset, rows):
    names = [v for v in predecessors(spec, dataset, "ADSL").values()]
    base = {n: "" for n in names} | {"STUDYID": "S", "AGE": 50, "SAFFL": "Y", "ITTFL": "Y", "TRT01A": "Placebo",
                                      "TRT01AN": 0.0, "DTHDT": None, "EOSDT": None}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for col in ("TRTSDT", "TRTEDT", "DTHDT", "EOSDT"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _sdtm(spec, dataset, domain, rows):
    names = list(predecessors(spec, dataset, domain).values())
    frame = pd.DataFrame([{**{n: "" for n in names}, "STUDYID": "S", **r} for r in rows])
    frame[f"{domain}SEQ"] = frame.groupby("USUBJID").cumcount() + 1.0
    return frame


def test_adcm_dates_and_flags_by_hand(spec):
    # first injection 2018-01-10, last 2018-06-30; subject B dies on 2019-02-10; C was never treated
    adsl = _adsl(spec, "ADCM", [{"USUBJID": "A", "TRTSDT": "2018-01-10", "TRTEDT": "2018-06-30"},
                                {"USUBJID": "B", "TRTSDT": "2018-01-10", "TRTEDT": "2018-06-30",
                                 "DTHDT": "2019-02-10", "EOSDT": "2019-02-10"},
                                {"USUBJID": "C", "SAFFL": "N", "TRT01A": "", "TRTSDT": None, "TRTEDT": None}])
    cm = _sdtm(spec, "ADCM", "CM", [
        {"USUBJID": "A", "CMDECOD": "PARACETAMOL", "CMSTDTC": "2018-01", "CMENDTC": "2018-01-20"},  # 1
        {"USUBJID": "A", "CMDECOD": "BACLOFEN", "CMSTDTC": "2017", "CMENDTC": "2017-12"},           # 2
        {"USUBJID": "A", "CMDECOD": "Riluzole", "CMSTDTC": "2017-10-01", "CMENRTPT": "ONGOING"},    # 3
        {"USUBJID": "A", "CMDECOD": "OMEPRAZOLE", "CMSTDTC": "2018-03-01", "CMENDTC": "2018-08-01"},  # 4
        {"USUBJID": "A", "CMDECOD": "SERTRALINE", "CMSTDTC": "2018-09-01", "CMENDTC": "2018-10-01"},  # 5
        {"USUBJID": "A", "CMDECOD": "RILUZOLE", "CMSTDTC": "2017-10-01", "CMENDTC": "2018-05-01"},   # 6
        {"USUBJID": "B", "CMDECOD": "MORPHINE", "CMSTDTC": "2019-01-15", "CMENDTC": "2019-02"},      # B 1
        {"USUBJID": "C", "CMDECOD": "RILUZOLE", "CMSTDTC": "2017-10-01", "CMENRTPT": "ONGOING"},     # C 1
    ])
    adcm = derive_adcm(adsl, {"CM": cm}, spec).set_index(["USUBJID", "CMSEQ"])
    row = lambda s, n: adcm.loc[(s, float(n))]  # noqa: E731
    # start in the month of first dose: imputed to the first dose (not 2018-01-01), so concomitant
    assert (row("A", 1)["ASTDT"], row("A", 1)["ASTDTF"]) == (pd.Timestamp("2018-01-10"), "D")
    assert (row("A", 1)["PREFL"], row("A", 1)["ONTRTFL"], row("A", 1)["ASTDY"]) == ("", "Y", 1)
    # year only: 1 January; month only: last day of the month; ended before the first dose: prior only
    assert (row("A", 2)["ASTDT"], row("A", 2)["ASTDTF"]) == (pd.Timestamp("2017-01-01"), "M")
    assert (row("A", 2)["AENDT"], row("A", 2)["AENDTF"]) == (pd.Timestamp("2017-12-31"), "D")
    assert (row("A", 2)["PREFL"], row("A", 2)["ONTRTFL"], row("A", 2)["THRTRTFL"]) == ("Y", "", "")
    # riluzole from the run-in, ongoing: prior, concomitant and throughout; the query name whatever the case
    r = row("A", 3)
    assert (r["PREFL"], r["ONTRTFL"], r["THRTRTFL"], r["CQ01NAM"]) == ("Y", "Y", "Y", "RILUZOLE")
    assert pd.isna(r["AENDT"]) and r["AENDTF"] == ""
    # riluzole stopped before the last injection: not throughout
    assert (row("A", 6)["ONTRTFL"], row("A", 6)["THRTRTFL"], row("A", 6)["CQ01NAM"]) == ("Y", "", "RILUZOLE")
    assert (row("A", 4)["PREFL"], row("A", 4)["ONTRTFL"], row("A", 4)["THRTRTFL"]) == ("", "Y", "")
    assert (row("A", 5)["ONTRTFL"], row("A", 5)["CQ01NAM"], row("A", 5)["AENDY"]) == ("", "", 265)
    # a partial end in the month of death is not imputed past it
    assert (row("B", 1)["AENDT"], row("B", 1)["AENDTF"]) == (pd.Timestamp("2019-02-10"), "D")
    # never treated: neither prior nor concomitant, no study day
    c = row("C", 1)
    assert (c["PREFL"], c["ONTRTFL"], c["THRTRTFL"], c["CQ01NAM"]) == ("", "", "", "RILUZOLE") and pd.isna(c["ASTDY"])


def test_admh_dates_category_and_occurrence_by_hand(spec):
    adsl = _adsl(spec, "ADMH", [{"USUBJID": "A", "TRTSDT": "2018-01-10", "TRTEDT": "2018-06-30"}])
    mh = _sdtm(spec, "ADMH", "MH", [
        {"USUBJID": "A", "MHCAT": "PRIMARY DIAGNOSIS", "MHEVDTYP": "SYMPTOM ONSET", "MHSTDTC": "2016-07", "MHOCCUR": "Y"},
        {"USUBJID": "A", "MHCAT": "PRIMARY DIAGNOSIS", "MHEVDTYP": "DIAGNOSIS", "MHSTDTC": "2017-05-04", "MHOCCUR": "Y"},
        {"USUBJID": "A", "MHCAT": "GENERAL MEDICAL HISTORY", "MHSTDTC": "2001"},
        {"USUBJID": "A", "MHCAT": "GENERAL MEDICAL HISTORY", "MHSTDTC": ""},
        {"USUBJID": "A", "MHCAT": "GENERAL MEDICAL HISTORY", "MHSTDTC": "", "MHPRESP": "Y", "MHOCCUR": "N"},
    ])
    admh = derive_admh(adsl, {"MH": mh}, spec).set_index("MHSEQ")
    assert admh["ACAT1"].tolist() == ["ALS HISTORY"] * 2 + ["OTHER MEDICAL HISTORY"] * 3
    assert admh["ASTDT"].tolist()[:3] == [pd.Timestamp("2016-07-01"), pd.Timestamp("2017-05-04"),
                                          pd.Timestamp("2001-01-01")]
    assert admh["ASTDTF"].tolist() == ["D", "", "M", "", ""] and admh["ASTDT"].isna().tolist()[3:] == [True, True]
    assert admh.loc[2.0, "ASTDY"] == -251  # 2017-05-04 is 251 days before 2018-01-10 (no day 0)
    assert admh["ANL01FL"].tolist() == ["Y", "Y", "Y", "Y", ""]
    unknown = _sdtm(spec, "ADMH", "MH", [{"USUBJID": "A", "MHCAT": "SURGICAL HISTORY", "MHSTDTC": "2001"}])
    with pytest.raises(ValueError, match="SURGICAL HISTORY.*ACAT1.ADMH"):
        derive_admh(adsl, {"MH": unknown}, spec)


def test_adcm_and_admh_dates_in_the_study_match_their_sdtm_text(adam):
    for name, dtc in (("ADCM", "CMSTDTC"), ("ADMH", "MHSTDTC")):
        frame = adam[name]
        complete = frame[frame[dtc].str.len() == 10]
        assert (complete["ASTDT"] == complete[dtc].map(sas_date)).all() and (complete["ASTDTF"] == "").all()
        month = frame[frame[dtc].str.len() == 7]
        assert len(month) > 0 and (month["ASTDTF"] == "D").all()
        year = frame[frame[dtc].str.len() == 4]
        assert len(year) > 0 and (year["ASTDTF"] == "M").all()
