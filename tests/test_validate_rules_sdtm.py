"""Each SDTM rule fires on a dataset that breaks it, on exactly the records that do, and stays quiet on
one that keeps it (often a near miss). Rules run alone, so a test needs only the data its rule reads."""

import pytest

from validate_helpers import ds, findings, fired, sdtm

from cdisc_mirocals.validate.rules.trial_summary import TS_CONDITIONS, TS_REQUIRED
from cdisc_mirocals.validate.rules.terminology import CODING_PAIRS


def dm(**cols):
    base = dict(USUBJID=["S1", "S2", "S3"], SUBJID=["1", "2", "3"], RFSTDTC=["2020-01-10", "2020-02-01", ""],
                RFICDTC=["2020-01-01", "2020-01-15", "2020-01-20"], BRTHDTC=["1960-05-01", "1970", "1980-01-01"],
                DTHDTC=["", "2020-06-01", ""], DTHFL=["", "Y", ""], AGE=[59, 49, 40],
                ARMCD=["A", "B", ""], ARM=["Drug", "Placebo", ""], ACTARMCD=["A", "B", ""], ACTARM=["Drug", "Placebo", ""],
                ARMNRS=["", "", "SCREEN FAILURE"], RACE=["WHITE", "ASIAN", "WHITE"])
    base.update(cols)
    return sdtm("DM", **base)


def ta(**cols):
    base = dict(ARMCD=["A", "A", "B", "B"], ARM=["Drug", "Drug", "Placebo", "Placebo"], TAETORD=[1, 2, 1, 2],
                ETCD=["SCRN", "DRUG", "SCRN", "PBO"], EPOCH=["SCREENING", "TREATMENT", "SCREENING", "TREATMENT"])
    base.update(cols)
    return sdtm("TA", **base)


# ------------------------------------------------------------------------------------- presence

@pytest.mark.parametrize("rule, name", [("SD1020", "DM"), ("SD1115", "TS")])
def test_required_datasets(rule, name):
    ae = sdtm("AE", USUBJID=["S1"])
    assert fired(rule, ae) == [(name, None)]
    assert fired(rule, ae, sdtm(name, USUBJID=["S1"])) == []


def test_sd0001_empty_dataset():
    assert fired("SD0001", sdtm("AE", USUBJID=[]), dm()) == [("AE", None)]
    assert fired("SD0001", sdtm("AE", USUBJID=["S1"])) == []


def test_sd0056_required_variable_missing():
    f = findings("SD0056", sdtm("AE", USUBJID=["S1"], AESEQ=[1], AETERM=["Headache"]))
    assert list(f["variables"]) == ["AEDECOD"]
    assert fired("SD0056", sdtm("AE", USUBJID=["S1"], AESEQ=[1], AETERM=["Headache"], AEDECOD=["Headache"])) == []


def test_sd0057_expected_variable_missing():
    se = dict(USUBJID=["S1"], SESEQ=[1], ETCD=["SCRN"], SESTDTC=["2020-01-01"])
    assert list(findings("SD0057", sdtm("SE", **se))["variables"]) == ["SEENDTC"]
    assert fired("SD0057", sdtm("SE", **se, SEENDTC=["2020-01-05"])) == []


def test_sd0058_and_sd1076_variables_outside_the_domain():
    ae = dict(USUBJID=["S1"], AESEQ=[1], AETERM=["Headache"])
    assert list(findings("SD0058", sdtm("AE", **ae, AEFOO=["x"]))["variables"]) == ["AEFOO"]
    assert fired("SD0058", sdtm("AE", **ae, AEDTC=["2020-01-01"])) == []  # an Events class timing variable
    assert list(findings("SD1076", sdtm("AE", **ae, AEDTC=["2020-01-01"]))["variables"]) == ["AEDTC"]
    assert fired("SD1076", sdtm("AE", **ae)) == []


def test_sd1079_variable_order():
    f = findings("SD1079", ds("AE", STUDYID=["T1"], DOMAIN=["AE"], USUBJID=["S1"], AETERM=["x"], AESEQ=[1]))
    assert len(f) == 1 and f["variables"].iloc[0] in ("AETERM", "AESEQ")
    assert fired("SD1079", sdtm("AE", USUBJID=["S1"], AESEQ=[1], AETERM=["x"])) == []


def test_sd0055_type_mismatch():
    assert list(findings("SD0055", sdtm("AE", USUBJID=["S1"], AESEQ=["1"]))["variables"]) == ["AESEQ"]
    assert fired("SD0055", sdtm("AE", USUBJID=["S1"], AESEQ=[1])) == []


def test_sd0002_required_value_null():
    assert fired("SD0002", sdtm("AE", USUBJID=["S1", "S1"], AESEQ=[1, 2], AETERM=["x", " "])) == [("AE", 2)]
    assert fired("SD0002", sdtm("AE", USUBJID=["S1"], AESEQ=[1], AETERM=["x"])) == []


def test_sd1476_race_missing():
    assert fired("SD1476", dm(RACE=["WHITE", "", "ASIAN"])) == [("DM", 2)]
    assert fired("SD1476", dm()) == []


def test_sd1321_and_sd1097_treatment_emergent_flag():
    ae = sdtm("AE", USUBJID=["S1", "S1"], AESEQ=[1, 2])
    supp = ds("SUPPAE", STUDYID=["T1"], RDOMAIN=["AE"], USUBJID=["S1"], IDVAR=["AESEQ"], IDVARVAL=["1"],
              QNAM=["AETRTEM"], QLABEL=["Treatment Emergent Flag"], QVAL=["Y"])
    assert fired("SD1321", ae) == [("AE", None)]
    assert fired("SD1321", ae, supp) == []
    assert fired("SD1097", ae, supp) == [("AE", 2)]
    assert fired("SD1097", sdtm("AE", USUBJID=["S1"], AESEQ=[1]), supp) == []


def test_sd1123_result_when_not_done():
    lb = sdtm("LB", USUBJID=["S1", "S1"], LBSEQ=[1, 2], LBORRES=["5", "6"], LBSTAT=["", "NOT DONE"])
    assert fired("SD1123", lb) == [("LB", 2)]
    assert fired("SD1123", sdtm("LB", USUBJID=["S1"], LBSEQ=[1], LBORRES=[""], LBSTAT=["NOT DONE"])) == []


def test_sd0023_stat_when_reason_not_done():
    lb = sdtm("LB", USUBJID=["S1", "S1"], LBSEQ=[1, 2], LBSTAT=["NOT DONE", ""], LBREASND=["Lost", "Haemolysed"])
    assert fired("SD0023", lb) == [("LB", 2)]
    assert fired("SD0023", sdtm("LB", USUBJID=["S1"], LBSEQ=[1], LBSTAT=["NOT DONE"], LBREASND=["Lost"])) == []


# ------------------------------------------------------------------------------------- identity

def test_sd0004_domain_value():
    assert fired("SD0004", sdtm("AE", USUBJID=["S1", "S1"], DOMAIN=["AE", "XX"])) == [("AE", 2)]
    assert fired("SD0004", sdtm("LBCH", domain="LB", USUBJID=["S1"])) == []  # a split LB dataset


def test_sd0005_duplicate_seq():
    assert fired("SD0005", sdtm("AE", USUBJID=["S1", "S1", "S2"], AESEQ=[1, 1, 1])) == [("AE", 2)]
    assert fired("SD0005", sdtm("AE", USUBJID=["S1", "S1", "S2"], AESEQ=[1, 2, 1])) == []


def test_sd0064_subject_in_dm():
    assert fired("SD0064", dm(), sdtm("AE", USUBJID=["S1", "S9"])) == [("AE", 2)]
    assert fired("SD0064", dm(), sdtm("AE", USUBJID=["S1", "S3"])) == []


def test_sd0083_one_dm_record_per_subject():
    assert fired("SD0083", dm(USUBJID=["S1", "S2", "S1"])) == [("DM", 3)]
    assert fired("SD0083", dm()) == []


def test_sd0065_visit_in_sv():
    sv = sdtm("SV", USUBJID=["S1", "S1"], VISITNUM=[1, 2], VISIT=["SCREENING", "WEEK 1"])
    lb = sdtm("LB", USUBJID=["S1"] * 4, VISITNUM=[1, 2, 3, 3], VISIT=["SCREENING", "WEEK 2", "WEEK 3", "WEEK 3"],
              LBSTAT=["", "", "", "NOT DONE"])
    assert fired("SD0065", sv, lb) == [("LB", 2), ("LB", 3)]  # the NOT DONE record is exempt
    assert fired("SD0065", sv, sdtm("LB", USUBJID=["S1"], VISITNUM=[2], VISIT=["WEEK 1"])) == []


def _supp(**cols):
    base = dict(STUDYID=["T1"], RDOMAIN=["AE"], USUBJID=["S1"], IDVAR=["AESEQ"], IDVARVAL=["1"], QNAM=["AETRTEM"],
                QLABEL=["Treatment Emergent Flag"], QVAL=["Y"])
    base.update(cols)
    return ds("SUPPAE", **base)


AE1 = dict(USUBJID=["S1"], AESEQ=[1])


def test_sd0072_rdomain():
    assert fired("SD0072", sdtm("AE", **AE1), _supp(RDOMAIN=["CM"])) == [("SUPPAE", 1)]
    assert fired("SD0072", sdtm("AE", **AE1), _supp()) == []


def test_sd0075_idvar():
    assert fired("SD0075", sdtm("AE", **AE1), _supp(IDVAR=["AEGRPID"])) == [("SUPPAE", 1)]
    assert fired("SD0075", sdtm("AE", **AE1), _supp()) == []


def test_sd0077_referenced_record():
    assert fired("SD0077", sdtm("AE", **AE1), _supp(IDVARVAL=["2"])) == [("SUPPAE", 1)]
    assert fired("SD0077", sdtm("AE", **AE1), _supp()) == []
    suppdm = ds("SUPPDM", STUDYID=["T1", "T1"], RDOMAIN=["DM", "DM"], USUBJID=["S1", "S9"], IDVAR=["", ""],
                IDVARVAL=["", ""], QNAM=["X", "X"], QLABEL=["X", "X"], QVAL=["1", "1"])
    assert fired("SD0077", dm(), suppdm) == [("SUPPDM", 2)]  # a subject-level qualifier of a subject not in DM


def test_sd0086_supp_duplicates():
    two = _supp(**{k: v * 2 for k, v in dict(STUDYID=["T1"], RDOMAIN=["AE"], USUBJID=["S1"], IDVAR=["AESEQ"],
                                             IDVARVAL=["1"], QNAM=["AETRTEM"], QLABEL=["x"], QVAL=["Y"]).items()})
    assert fired("SD0086", two) == [("SUPPAE", 2)]
    assert fired("SD0086", _supp()) == []


# ------------------------------------------------------------------------------------- terminology

def test_sd0040_and_sd1043_test_and_code_one_to_one():
    lb = sdtm("LB", LBTESTCD=["ALT", "ALT", "ALT", "AST"], LBTEST=["Alanine Aminotransferase"] * 2 + ["ALT x", "ALT x"])
    assert fired("SD0040", lb) == [("LB", 3)]  # the odd one out, not the majority
    assert fired("SD1043", lb) == [("LB", 4)]
    good = sdtm("LB", LBTESTCD=["ALT", "AST"], LBTEST=["Alanine Aminotransferase", "Aspartate Aminotransferase"])
    assert fired("SD0040", good) == [] and fired("SD1043", good) == []


def test_sd0046_qlabel_within_qnam():
    supp = _supp(**{k: v * 2 for k, v in dict(STUDYID=["T1"], RDOMAIN=["AE"], USUBJID=["S1"], IDVAR=["AESEQ"],
                                              QNAM=["AETRTEM"], QVAL=["Y"]).items()},
                 IDVARVAL=["1", "2"], QLABEL=["Treatment Emergent Flag", "TE flag"])
    assert len(fired("SD0046", supp)) == 1
    assert fired("SD0046", _supp()) == []


def test_ct2003_code_and_decode_of_one_term():
    assert fired("CT2003", sdtm("LB", LBTESTCD=["ALT", "ALT"], LBTEST=["Alanine Aminotransferase", "Albumin"])) == [("LB", 2)]
    assert fired("CT2003", sdtm("LB", LBTESTCD=["ALT", "XYZ"], LBTEST=["Alanine Aminotransferase", "Sponsor test"])) == []


@pytest.mark.parametrize("rule", sorted(CODING_PAIRS))
def test_meddra_coding_consistent(rule):
    key, value = CODING_PAIRS[rule]
    codes = {"TERM": "Headache", "DECOD": "Headache", "PTCD": 10019211, "BODSYS": "Nervous system disorders",
             "BDSYCD": 10029205}
    other = {"TERM": "Head ache", "DECOD": "Migraine", "PTCD": 10027599, "BODSYS": "Vascular disorders",
             "BDSYCD": 10047065}
    cols = {f"AE{s}": [v] * 3 for s, v in codes.items()}
    cols[f"AE{value}"] = [codes[value], codes[value], other[value]]
    assert fired(rule, sdtm("AE", USUBJID=["S1"] * 3, **cols)) == [("AE", 3)]
    assert fired(rule, sdtm("AE", USUBJID=["S1"] * 3, **{f"AE{s}": [v] * 3 for s, v in codes.items()})) == []


def test_ct2001_non_extensible_codelist():
    assert fired("CT2001", dm(SEX=["M", "F", "MALE"])) == [("DM", 3)]
    assert fired("CT2001", dm(SEX=["M", "F", ""])) == []


def test_ct2002_extensible_codelist_and_numeric_results():
    assert fired("CT2002", sdtm("LB", LBSTRESC=["NEGATIVE", "4.5", "<2.2", "TRACE"])) == [("LB", 3)]
    assert fired("CT2002", sdtm("LB", LBSTRESC=["NEGATIVE", "4.5", ""])) == []


# ------------------------------------------------------------------------------------- dates

def test_sd0003_iso8601():
    assert fired("SD0003", sdtm("AE", AESTDTC=["2020-01-01", "2020-02-30", "01-JAN-2020", "2020-01"])) == [("AE", 2), ("AE", 3)]
    assert fired("SD0003", sdtm("AE", AESTDTC=["2020-01-01T10:30", "2020", "", "2020---15"])) == []


def test_sd1011_iso8601_duration():
    assert fired("SD1011", sdtm("AE", AEDUR=["P2D", "2 days", "PT"])) == [("AE", 2), ("AE", 3)]
    assert fired("SD1011", sdtm("AE", AEDUR=["P2D", "PT1H30M", "P1Y2M", "P3W", ""])) == []


@pytest.mark.parametrize("rule, dtc, dy", [("SD1086", "LBDTC", "LBDY"), ("SD1090", "AESTDTC", "AESTDY"),
                                           ("SD1094", "AEENDTC", "AEENDY")])
def test_study_days(rule, dtc, dy):
    name = dtc[:2]
    # RFSTDTC 2020-01-10: the 9th is day -1, the 10th day 1, the 11th day 2 (no day 0)
    bad = sdtm(name, USUBJID=["S1"] * 4, **{dtc: ["2020-01-09", "2020-01-10", "2020-01-11", "2020-01"],
                                              dy: [-1, 1, 1, 5]})
    assert fired(rule, dm(), bad) == [(name, 3)]  # a partial date has no study day to compare
    good = sdtm(name, USUBJID=["S1"] * 3, **{dtc: ["2020-01-09", "2020-01-10", "2020-01-11"], dy: [-1, 1, 2]})
    assert fired(rule, dm(), good) == []


def test_sd0038_day_zero():
    assert fired("SD0038", sdtm("AE", AESTDY=[1, 0, -1])) == [("AE", 2)]
    assert fired("SD0038", sdtm("AE", AESTDY=[1, -1])) == []


def _se():
    return sdtm("SE", USUBJID=["S1", "S1"], SESEQ=[1, 2], ETCD=["SCRN", "DRUG"], EPOCH=["SCREENING", "TREATMENT"],
                SESTDTC=["2020-01-01", "2020-01-10"], SEENDTC=["2020-01-10", "2020-03-01"])


def test_mc0401_epoch_matches_se():
    ae = sdtm("AE", USUBJID=["S1"] * 4, AESTDTC=["2020-01-05", "2020-01-10", "2020-01-10", "2020-02-01"],
              EPOCH=["SCREENING", "SCREENING", "TREATMENT", "SCREENING"])
    assert fired("MC0401", _se(), ae) == [("AE", 4)]  # on the boundary day either element is right
    assert fired("MC0401", _se(), sdtm("AE", USUBJID=["S1"], AESTDTC=["2020-05-01"], EPOCH=["FOLLOW-UP"])) == []


def test_sd1339_epoch_missing_on_a_dated_record():
    assert fired("SD1339", sdtm("AE", USUBJID=["S1", "S1"], AESTDTC=["2020-01-05", "2020-01-06"], EPOCH=["SCREENING", ""])) \
        == [("AE", 2)]
    assert fired("SD1339", sdtm("DD", USUBJID=["S1"], DDDTC=["2020-06-01"])) == [("DD", None)]  # no EPOCH at all
    assert fired("SD1339", sdtm("AE", USUBJID=["S1"], AESTDTC=[""], EPOCH=[""])) == []


# ------------------------------------------------------------------------------------- DM and trial design

def test_sd0071_arm_in_ta():
    assert fired("SD0071", dm(ARM=["Drug", "Drug", ""]), ta()) == [("DM", 2)]
    assert fired("SD0071", dm(ARMCD=["A", "SCRNFAIL", ""], ARM=["Drug", "Screen Failure", ""]), ta()) == []


def test_sd2002_and_sd2003_actual_arm_in_ta():
    assert fired("SD2002", dm(ACTARMCD=["A", "C", ""]), ta()) == [("DM", 2)]
    assert fired("SD2002", dm(ACTARMCD=["A", "NOTTRT", ""]), ta()) == []
    assert fired("SD2003", dm(ACTARM=["Drug", "Drug", ""]), ta()) == [("DM", 2)]
    assert fired("SD2003", dm(), ta()) == []


@pytest.mark.parametrize("rule, cols, record", [
    ("SD1358", dict(ACTARMCD=["A", "", ""], ACTARM=["Drug", "", ""]), 2),
    ("SD1359", dict(ARMCD=["A", "", ""], ARM=["Drug", "", ""]), 2),
    ("SD1359", dict(ARMCD=["A", "", "SCRNFAIL"], ARM=["Drug", "", "Screen Failure"], ARMNRS=["", "", ""]), 2),
    ("SD1360", dict(ARMNRS=["NOT ASSIGNED", "", "SCREEN FAILURE"]), 1),
    ("SD1361", dict(ARM=["Drug", "", ""]), 2),
    ("SD1362", dict(ACTARMCD=["A", "", ""]), 2),
])
def test_armnrs_and_arm_pairs(rule, cols, record):
    assert fired(rule, dm(**cols)) == [("DM", record)]
    assert fired(rule, dm()) == []


ENDS = ["2020-06-01", "2020-06-01", ""]
NOT_TREATED = dict(ACTARMCD=["A", "", ""], ACTARM=["Drug", "", ""], ARMNRS=["", "ASSIGNED, NOT TREATED", "SCREEN FAILURE"])


def test_sd0087_and_sd0088_reference_dates_of_randomised_subjects():
    assert fired("SD0087", dm(RFSTDTC=["2020-01-10", "", ""])) == [("DM", 2)]  # S3, a screen failure, needs none
    assert fired("SD0087", dm(ARMCD=["A", "B", "SCRNFAIL"], ARM=["Drug", "Placebo", "Screen Failure"])) == []
    assert fired("SD0088", dm(RFENDTC=["2020-06-01", "", ""])) == [("DM", 2)]
    assert fired("SD0088", dm(RFENDTC=ENDS)) == []
    ongoing = sdtm("TS", TSPARMCD=["ONGOSIND"], TSVAL=["Y"])
    assert fired("SD0088", dm(RFENDTC=["2020-06-01", "", ""]), ongoing) == []  # an ongoing study says so in TS


def test_sd1366_and_sd1373_reference_dates_when_armnrs_is_populated():
    assert fired("SD1366", dm(RFENDTC=["2020-06-01", "", "2020-01-25"])) == [("DM", 3)]
    assert fired("SD1366", dm(RFENDTC=ENDS)) == []
    assert fired("SD1373", dm(RFSTDTC=["2020-01-10", "2020-02-01", "2020-01-25"])) == [("DM", 3)]
    unplanned = dict(ARMNRS=["", "UNPLANNED TREATMENT", "SCREEN FAILURE"])
    assert fired("SD1373", dm(**unplanned)) == []  # an unplanned treatment was a treatment: RFSTDTC stays


def test_the_reference_date_rules_contradict_one_another_for_a_subject_never_treated():
    """S2 randomised, never treated: whichever way RFSTDTC and RFENDTC go, one rule of each pair fires (so
    they are Warnings; this study follows SD1373 and SD0088)."""
    as_this_study = dm(RFSTDTC=["2020-01-10", "", ""], RFENDTC=ENDS, **NOT_TREATED)
    assert [fired(r, as_this_study) for r in ("SD0087", "SD1373", "SD0088", "SD1366")] == \
        [[("DM", 2)], [], [], [("DM", 2)]]
    the_other_way = dm(RFSTDTC=["2020-01-10", "2020-02-01", ""], RFENDTC=["2020-06-01", "", ""], **NOT_TREATED)
    assert [fired(r, the_other_way) for r in ("SD0087", "SD1373", "SD0088", "SD1366")] == \
        [[], [("DM", 2)], [("DM", 2)], []]


def test_sd1015_epoch_in_ta():
    assert fired("SD1015", ta(), sdtm("AE", EPOCH=["TREATMENT", "RUN-IN", ""])) == [("AE", 2)]
    assert fired("SD1015", ta(), sdtm("AE", EPOCH=["TREATMENT", "SCREENING"])) == []


def test_sd0067_etcd_in_te():
    te = sdtm("TE", ETCD=["SCRN", "DRUG", "PBO"])
    assert fired("SD0067", te, sdtm("SE", USUBJID=["S1", "S1"], ETCD=["SCRN", "RUNIN"])) == [("SE", 2)]
    assert fired("SD0067", te, sdtm("SE", USUBJID=["S1", "S1"], ETCD=["SCRN", "UNPLAN"]), ta()) == []


@pytest.mark.parametrize("rule, other", [
    ("SD1252", sdtm("SS", USUBJID=["S1"], SSSTRESC=["DEAD"])),
    ("SD1253", sdtm("DD", USUBJID=["S1"], DDTESTCD=["PRCDTH"])),
    ("SD1254", sdtm("AE", USUBJID=["S1"], AEOUT=["FATAL"])),
    ("SD1255", sdtm("AE", USUBJID=["S1"], AESDTH=["Y"])),
    ("SD1256", sdtm("DS", USUBJID=["S1"], DSDECOD=["DEATH"])),
])
def test_dthfl_when_death_is_recorded_elsewhere(rule, other):
    assert fired(rule, dm(), other) == [("DM", 1)]  # S1 has DTHFL empty
    assert fired(rule, dm(DTHFL=["Y", "Y", ""]), other) == []


def test_sd2004_and_sd2005_death_flag_and_date():
    assert fired("SD2004", dm(DTHFL=["", "", ""])) == [("DM", 2)]
    assert fired("SD2004", dm()) == []
    assert fired("SD2005", dm(DTHDTC=["", "", ""])) == [("DM", 2)]
    assert fired("SD2005", dm()) == []


def test_sd1316_and_mc0402_death_record_in_ds():
    ss = sdtm("SS", USUBJID=["S2", "S2"], SSSTRESC=["DEAD", "DEAD"])
    assert fired("SD1316", dm(), ss, sdtm("DS", USUBJID=["S2"], DSDECOD=["COMPLETED"])) == [("SS", 1)]
    assert fired("SD1316", dm(), ss, sdtm("DS", USUBJID=["S2"], DSDECOD=["DEATH"])) == []
    assert fired("MC0402", dm(), sdtm("DS", USUBJID=["S2"], DSDECOD=["COMPLETED"])) == [("DM", 2)]
    assert fired("MC0402", dm(), sdtm("DS", USUBJID=["S2"], DSDECOD=["DEATH"])) == []


def test_sd1317_and_sd1347_death_dates():
    ds_ = sdtm("DS", USUBJID=["S2", "S2"], DSDECOD=["DEATH", "COMPLETED"], DSSTDTC=["2020-05-30", "2020-05-30"])
    assert fired("SD1317", dm(), ds_) == [("DS", 1)]
    assert fired("SD1317", dm(), sdtm("DS", USUBJID=["S2"], DSDECOD=["DEATH"], DSSTDTC=["2020-06-01"])) == []
    ae = sdtm("AE", USUBJID=["S2", "S2"], AEOUT=["FATAL", "FATAL"], AEENDTC=["2020-06-01T10:00", "2020-05-31"])
    assert fired("SD1347", dm(), ae) == [("AE", 2)]
    assert fired("SD1347", dm(), sdtm("AE", USUBJID=["S2"], AEOUT=["FATAL"], AEENDTC=["2020-06-01"])) == []


def test_sd0090_and_sd0091_fatal_outcome_and_death():
    ae = sdtm("AE", AEOUT=["FATAL", "RECOVERED/RESOLVED", "FATAL"], AESDTH=["N", "Y", "Y"])
    assert fired("SD0090", ae) == [("AE", 1)]
    assert fired("SD0091", ae) == [("AE", 2)]
    good = sdtm("AE", AEOUT=["FATAL", "RECOVERED/RESOLVED"], AESDTH=["Y", "N"])
    assert fired("SD0090", good) == [] and fired("SD0091", good) == []


def _ts(params):
    values = {"SSTDTC": "2019-01-01", "ADDON": "Y", "HLTSUBJI": "N", "STYPE": "INTERVENTIONAL"}
    return sdtm("TS", TSSEQ=[1] * len(params), TSPARMCD=list(params), TSVAL=[values.get(p, "X") for p in params])


@pytest.mark.parametrize("rule", sorted(TS_REQUIRED))
def test_ts_parameter_required(rule):
    everything = list(TS_REQUIRED.values())
    missing = [p for p in everything if p != TS_REQUIRED[rule]]
    f = findings(rule, _ts(missing))
    assert list(f["values"]) == [TS_REQUIRED[rule]] and f["severity"].iloc[0] == ("Reject" if rule == "SD2232" else "Warning")
    assert fired(rule, _ts(everything)) == []


@pytest.mark.parametrize("rule", sorted(TS_CONDITIONS))
def test_conditional_ts_parameters(rule):
    parameter, value = TS_CONDITIONS[rule]
    others = [p for p in TS_REQUIRED.values() if p != TS_REQUIRED[rule]]
    ts = _ts(others)
    ts.frame.loc[ts.frame["TSPARMCD"] == parameter, "TSVAL"] = "N" if value != "N" else "Y"
    assert fired(rule, ts) == []  # e.g. no CURTRT is needed when the treatment is not an add-on


def test_sd2247_study_start_date():
    ts = sdtm("TS", TSPARMCD=["SSTDTC", "TITLE"], TSVAL=["01JAN2019", "x"])
    assert fired("SD2247", ts) == [("TS", 1)]
    assert fired("SD2247", sdtm("TS", TSPARMCD=["SSTDTC"], TSVAL=["2019-01-01"])) == []
    assert fired("SD2247A", sdtm("TS", TSPARMCD=["SSTDTC"], TSVAL=["2019-01"])) == [("TS", 1)]
    assert fired("SD2247A", sdtm("TS", TSPARMCD=["SSTDTC"], TSVAL=["2019-01-01"])) == []


# ------------------------------------------------------------------------------------- plausibility

def test_mc0101_future_dates():
    assert fired("MC0101", sdtm("AE", AESTDTC=["2024-06-01", "2024-06-02", "2025", "2024"])) == [("AE", 2), ("AE", 3)]
    assert fired("MC0101", sdtm("AE", AESTDTC=["2024-05-31", "2024-06", ""])) == []


def test_mc0102_before_1900():
    assert fired("MC0102", dm(BRTHDTC=["1899-12-31", "1900", "1818-03"])) == [("DM", 1), ("DM", 3)]
    assert fired("MC0102", dm()) == []


def test_mc0103_birth_after_consent():
    assert fired("MC0103", dm(BRTHDTC=["2030-03-12", "2020", "2020-01-21"])) == [("DM", 1), ("DM", 3)]
    assert fired("MC0103", dm(BRTHDTC=["1960", "2020-01", "2020-01-20"])) == []  # same day / precision: not after


def test_sd0013_start_after_end():
    ae = sdtm("AE", USUBJID=["S1"] * 4, AESTDTC=["2020-03-01", "2020-03-01", "2020-03", "2020-03-05T10:00"],
              AEENDTC=["2003-03-01", "2020-03-01", "2020-02-15", "2020-03-05T08:00"])
    assert fired("SD0013", ae) == [("AE", 1), ("AE", 3)]  # the same day at another time is not compared
    assert fired("SD0013", sdtm("AE", USUBJID=["S1"] * 2, AESTDTC=["2020-03-01", "2020-03"],
                                AEENDTC=["2020-03-02", "2020-03-15"])) == []


def test_mc0104_record_after_death():
    after = dict(USUBJID=["S2", "S2", "S1"], AESTDTC=["2020-06-01", "2020-06-02", "2020-07-01"])
    assert fired("MC0104", dm(), sdtm("AE", **after)) == [("AE", 2)]
    assert fired("MC0104", dm(), sdtm("SV", USUBJID=["S2"], SVSTDTC=["2020-07-01"])) == [("SV", 1)]
    assert fired("MC0104", dm(), sdtm("DS", USUBJID=["S2"], DSSTDTC=["2020-07-01"])) == []  # disposition may follow
    # a planned injection missed, a test not done: nothing took place after the death
    ec = sdtm("EC", USUBJID=["S2"] * 3, ECOCCUR=["Y", "N", "Y"], ECSTDTC=["2020-06-02", "2020-06-03", "2020-05-30"])
    assert fired("MC0104", dm(), ec) == [("EC", 1)]
    lb = sdtm("LB", USUBJID=["S2"] * 2, LBSTAT=["NOT DONE", ""], LBDTC=["2020-06-02", "2020-06-02"])
    assert fired("MC0104", dm(), lb) == [("LB", 2)]


def test_mc0105_death_before_randomisation():
    ds_ = sdtm("DS", USUBJID=["S1", "S2"], DSDECOD=["RANDOMIZED", "RANDOMIZED"], DSSTDTC=["2020-01-10", "2020-06-02"])
    assert fired("MC0105", dm(), ds_) == [("DM", 2)]
    ds_ok = sdtm("DS", USUBJID=["S1", "S2"], DSDECOD=["RANDOMIZED", "RANDOMIZED"], DSSTDTC=["2020-01-10", "2020-06-01"])
    assert fired("MC0105", dm(), ds_ok) == []


def test_mc0106_visit_before_consent():
    assert fired("MC0106", dm(), sdtm("SV", USUBJID=["S1", "S1"], SVSTDTC=["2019-12-31", "2020-01-01"])) == [("SV", 1)]
    assert fired("MC0106", dm(), sdtm("SV", USUBJID=["S1"], SVSTDTC=["2020-01-01"])) == []


def test_mc0109_death_disposition_without_death_date():
    ds_ = sdtm("DS", USUBJID=["S1", "S2"], DSDECOD=["DEATH", "DEATH"])
    assert fired("MC0109", dm(), ds_) == [("DS", 1)]
    assert fired("MC0109", dm(), sdtm("DS", USUBJID=["S2"], DSDECOD=["DEATH"])) == []


def test_sd0084_age_positive():
    assert fired("SD0084", dm(AGE=[59, -12, 0])) == [("DM", 2), ("DM", 3)]
    assert fired("SD0084", dm()) == []


def test_mc0107_age_in_protocol_range():
    ts = sdtm("TS", TSPARMCD=["AGEMIN", "AGEMAX"], TSVAL=["P18Y", "P75Y"])
    assert fired("MC0107", ts, dm(AGE=[80, 17, 90])) == [("DM", 1), ("DM", 2)]  # S3 is a screen failure
    assert fired("MC0107", ts, dm(AGE=[18, 75, 90])) == []


def test_mc0108_visit_window(spec):
    windows = {v["visit"]: v for v in spec.study["schedule"]["visits"]}
    rand = sdtm("DS", USUBJID=["S1", "S2"], DSDECOD=["RANDOMIZED", "RANDOMIZED"], DSSTDTC=["2020-01-01", "2020-01-01"])
    m2 = windows["MONTH 2"]
    on_time = f"2020-{1 + (m2['day'] - 1 + m2['window']) // 31:02d}-{1 + (m2['day'] - 1 + m2['window']) % 31:02d}"
    late = "2020-04-15"  # far outside any MONTH 2 window
    sv = sdtm("SV", USUBJID=["S1", "S2", "S1"], VISIT=["MONTH 2", "MONTH 2", "END OF STUDY"],
              SVSTDTC=[on_time, late, "2020-03-01"])
    assert fired("MC0108", dm(), rand, sv, specs=spec) == [("SV", 2)]  # S1 did not complete: its early end is fine
    assert fired("MC0108", dm(), rand, sdtm("SV", USUBJID=["S1"], VISIT=["MONTH 2"], SVSTDTC=[on_time]), specs=spec) == []


# ------------------------------------------------------------------------------------- study days present

@pytest.mark.parametrize("missing, unpopulated, imputed, no_date, dtc, dy", [
    ("SD1083", "SD1084", "SD1085", "SD2270", "LBDTC", "LBDY"),
    ("SD1087", "SD1088", "SD1089", "SD2271", "AESTDTC", "AESTDY"),
    ("SD1091", "SD1092", "SD1093", "SD2272", "AEENDTC", "AEENDY")])
def test_study_days_present_and_populated(missing, unpopulated, imputed, no_date, dtc, dy):
    name = dtc[:2]
    dated = {dtc: ["2020-01-11", "2020-01-12"]}
    # the day variable missing where its date is present (a dataset-level finding), and not where the date is empty
    assert fired(missing, dm(), sdtm(name, USUBJID=["S1", "S1"], **dated)) == [(name, None)]
    assert fired(missing, dm(), sdtm(name, USUBJID=["S1", "S1"], **{dtc: ["", ""]})) == []
    assert fired(no_date, dm(), sdtm(name, USUBJID=["S1"], **{dy: [2]})) == [(name, None)]
    assert fired(no_date, dm(), sdtm(name, USUBJID=["S1"], **{dtc: ["2020-01-11"], dy: [2]})) == []
    # S1 starts on 2020-01-10, S3 has no RFSTDTC: a day is owed only where both dates are complete
    data = sdtm(name, USUBJID=["S1", "S1", "S1", "S3", "S1"],
                **{dtc: ["2020-01-11", "2020-01-12", "2020-01", "2020-01-25", "2020-01-13"], dy: [2, None, None, None, 4]})
    assert fired(unpopulated, dm(), data) == [(name, 2)]
    # a day where either date is partial or missing was imputed
    data = sdtm(name, USUBJID=["S1", "S1", "S3"], **{dtc: ["2020-01-11", "2020-01", "2020-01-25"], dy: [2, 1, 16]})
    assert fired(imputed, dm(), data) == [(name, 2), (name, 3)]
    assert fired(imputed, dm(), sdtm(name, USUBJID=["S1"], **{dtc: ["2020-01-11"], dy: [2]})) == []


def test_sd1083_only_where_the_ig_has_the_study_day():
    """SDTMIG 3.2's SE has no SESTDY: a 3.2 SE without it breaks nothing, a 3.4 SE does."""
    se = sdtm("SE", USUBJID=["S1"], SESTDTC=["2020-01-10"], SEENDTC=["2020-01-12"], SESTDY=[1], SEENDY=[3])
    no_day = sdtm("SE", USUBJID=["S1"], SESTDTC=["2020-01-10"], SEENDTC=["2020-01-12"], SEENDY=[3])
    assert fired("SD1087", dm(), se) == []
    assert fired("SD1087", dm(), no_day) == [("SE", None)]
    assert fired("SD1087", dm(), no_day, standard="sdtmig-3.2") == []


def test_study_days_in_order():
    assert fired("SD0012", sdtm("AE", USUBJID=["S1"] * 4, AESTDY=[1, 5, 3, None], AEENDY=[2, 4, 3, 1])) == [("AE", 2)]
    assert fired("SD1330", sdtm("LB", USUBJID=["S1"] * 3, LBDY=[1, 5, 3], LBENDY=[2, 4, 3])) == [("LB", 2)]
    # an AE's --DY is the day it was collected, after its end by design: not a Findings observation
    assert fired("SD1330", sdtm("AE", USUBJID=["S1"], AEDY=[15], AEENDY=[10])) == []


def test_sd1135_negative_exposure_day():
    assert fired("SD1135", sdtm("EX", USUBJID=["S1"] * 3, EXSTDY=[1, -2, 3], EXENDY=[1, 1, 3])) == [("EX", 2)]
    assert fired("SD1135", sdtm("EC", USUBJID=["S1"], ECSTDY=[1], ECENDY=[-1])) == [("EC", 1)]
    assert fired("SD1135", sdtm("CM", USUBJID=["S1"], CMSTDY=[-20], CMENDY=[-1])) == []  # prior medication


@pytest.mark.parametrize("rule, dtc", [("SD1202", "ECSTDTC"), ("SD1203", "LBDTC"), ("SD1204", "ECENDTC")])
def test_records_after_the_end_of_participation(rule, dtc):
    """S1 ends participation on 2020-06-01: the 2nd is after it; 2020-06 and the day itself are not (the precision
    both dates have); S2 has no RFPENDTC."""
    people = dm(RFPENDTC=["2020-06-01T10:00", "", "2020-02-01"])
    data = sdtm(dtc[:2], USUBJID=["S1", "S1", "S1", "S1", "S2"],
                **{dtc: ["2020-05-30", "2020-06-02", "2020-06", "2020-06-01T23:00", "2021-01-01"]})
    assert fired(rule, people, data) == [(dtc[:2], 2)]
    # an ongoing study's end of participation is not yet known
    ts = sdtm("TS", TSSEQ=[1], TSPARMCD=["ONGOSIND"], TSPARM=["Ongoing Study Indicator"], TSVAL=["Y"])
    assert fired(rule, people, data, ts) == []


# ------------------------------------------------------------------------------------- values in pairs

@pytest.mark.parametrize("rule", sorted(__import__("cdisc_mirocals.validate.rules.pairs", fromlist=["x"]).VALUE_WHEN))
def test_a_value_missing_where_its_partner_is_given(rule):
    from cdisc_mirocals.validate.rules.pairs import VALUE_WHEN

    _, needed, given = VALUE_WHEN[rule]
    # record 2 has the partner and lacks the value; 1 has both; 3 has neither
    cols = {f"LB{needed}": ["x", "", ""], **{f"LB{g}": ["1", "1", ""] for g in given}}
    assert fired(rule, sdtm("LB", USUBJID=["S1"] * 3, **cols)) == [("LB", 2)]
    assert fired(rule, sdtm("LB", USUBJID=["S1"], **{f"LB{g}": ["1"] for g in given})) == []  # no such variable


@pytest.mark.parametrize("rule", ["SD1099", "SD1101", "SD1102"])
def test_a_variable_missing_where_its_partner_is(rule):
    from cdisc_mirocals.validate.rules.pairs import VARIABLE_WHEN

    _, needed, given = VARIABLE_WHEN[rule]
    assert fired(rule, sdtm("AE", USUBJID=["S1"], **{f"AE{given}": ["X"]})) == [("AE", None)]
    assert fired(rule, sdtm("AE", USUBJID=["S1"], **{f"AE{given}": ["X"], f"AE{needed}": [""]})) == []


def test_sd0028_range_and_sd0014_dose():
    assert fired("SD0028", sdtm("LB", USUBJID=["S1"] * 3, LBSTNRLO=[1, 5, None], LBSTNRHI=[2, 4, 1])) == [("LB", 2)]
    assert fired("SD0014", sdtm("EX", USUBJID=["S1"] * 3, EXDOSE=[2, -2, 0])) == [("EX", 2)]


def test_reference_dates_in_order_and_complete():
    people = dm(RFENDTC=["2020-01-09", "2020-03-01", ""], RFXSTDTC=["2020-01-10", "2020-02-01", "2020-03"],
                RFXENDTC=["2020-01-10", "2020-01-31", ""])
    assert fired("SD1002", people) == [("DM", 1)]  # S1 ends the day before it starts
    assert fired("SD1208", people) == [("DM", 2)]
    assert fired("SD1209", people) == [("DM", 3)]


def test_sd1001_subjid_and_sd1038_tsseq_unique():
    assert fired("SD1001", dm(SUBJID=["1", "1", "3"])) == [("DM", 1), ("DM", 2)]
    assert fired("SD1001", dm()) == []
    ts = sdtm("TS", TSSEQ=[1, 2, 1, 1], TSPARMCD=["TRT", "TRT", "AGEMIN", "TRT"], TSVAL=["a", "b", "18", "c"])
    assert fired("SD1038", ts) == [("TS", 4)]


def test_sd1121_age_and_sd1129_age_variables():
    # S3 is a screen failure: P21 lets it go without an age
    assert fired("SD1121", dm(AGE=[None, 49, None])) == [("DM", 1)]
    assert fired("SD1121", dm(AGE=[None, 49, None], AGETXT=["50-60", "", ""])) == []
    no_age = sdtm("DM", USUBJID=["S1"], SEX=["M"])
    assert fired("SD1129", no_age) == [("DM", None)] and fired("SD1129", dm()) == []
