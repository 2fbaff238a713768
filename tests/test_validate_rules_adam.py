"""Each ADaM rule, and each transport rule (both standards), fires on the records that break it and stays
quiet on data that keeps it."""

import pytest

from validate_helpers import ds, findings, fired, sdtm

from cdisc_mirocals.validate.rules.adam import DM_COPIES

ADAM = "adamig-1.3"
# SAS dates: 21915 is 2020-01-01
JAN1, JAN2, JAN3, JAN10 = 21915.0, 21916.0, 21917.0, 21924.0


def dm(**cols):
    base = dict(USUBJID=["S1", "S2"], SUBJID=["1", "2"], SITEID=["01", "01"], AGE=[60, 50], AGEU=["YEARS", "YEARS"],
                SEX=["M", "F"], RACE=["WHITE", "ASIAN"], ARM=["Drug", "Placebo"], ACTARM=["Drug", "Placebo"],
                DSSTDTC=["", ""])
    base.update(cols)
    return sdtm("DM", **base)


def adsl(**cols):
    base = dict(STUDYID=["T1", "T1"], USUBJID=["S1", "S2"], SUBJID=["1", "2"], SITEID=["01", "01"], AGE=[60, 50],
                AGEU=["YEARS", "YEARS"], SEX=["M", "F"], RACE=["WHITE", "ASIAN"], ARM=["Drug", "Placebo"],
                ACTARM=["Drug", "Placebo"], TRT01P=["Drug", "Placebo"], SAFFL=["Y", "Y"], TRTSDT=[JAN1, JAN1],
                TRTEDT=[JAN10, JAN10])
    base.update(cols)
    return ds("ADSL", **base)


def adam(rule, *datasets, sdtm_files=None, **kw):
    return fired(rule, *datasets, standard=ADAM, sdtm_files=sdtm_files, **kw)


def with_dm(**dm_cols):
    d = dm(**dm_cols)
    return {"sdtm_files": {d.name: d}}


def test_ad0001_adsl_missing():
    adtte = ds("ADTTE", STUDYID=["T1"], USUBJID=["S1"], PARAMCD=["OS"])
    assert adam("AD0001", adtte) == [("ADSL", None)]
    assert adam("AD0001", adsl(), adtte) == []


def test_ad0047_required_variable_missing():
    lacking = ds("ADSL", STUDYID=["T1"], USUBJID=["S1"], SUBJID=["1"], SITEID=["01"], AGEU=["YEARS"], SEX=["M"],
                 RACE=["WHITE"], ARM=["Drug"], TRT01P=["Drug"])
    assert list(findings("AD0047", lacking, standard=ADAM)["variables"]) == ["AGE"]
    assert adam("AD0047", adsl()) == []


def test_ad0196_required_value_null():
    assert adam("AD0196", adsl(RACE=["WHITE", ""])) == [("ADSL", 2)]
    assert adam("AD0196", adsl()) == []


def test_ad1024_no_dm_to_trace_to():
    assert adam("AD1024", adsl()) == [("ADSL", None)]
    assert adam("AD1024", adsl(), **with_dm()) == []


def test_ad0054_one_adsl_record_per_subject():
    assert adam("AD0054", adsl(USUBJID=["S1", "S1"])) == [("ADSL", 2)]
    assert adam("AD0054", adsl()) == []


def test_ad0053_and_ad2001_adsl_and_dm_subjects():
    assert adam("AD0053", adsl(USUBJID=["S1", "S9"]), **with_dm()) == [("ADSL", 2)]
    assert adam("AD0053", adsl(), **with_dm()) == []
    assert adam("AD2001", adsl(USUBJID=["S1", "S9"]), **with_dm()) == [("ADSL", None)]
    assert adam("AD2001", adsl(), **with_dm()) == []
    # a screen failure or an unassigned subject may stay out of ADSL (SDTMIG 3.4 ARMNRS, or an older ARMCD)
    only_s1 = ds("ADSL", STUDYID=["T1"], USUBJID=["S1"])
    for arms in (dict(ARMCD=["A", ""], ARMNRS=["", "SCREEN FAILURE"]), dict(ARMCD=["A", ""], ARMNRS=["", "NOT ASSIGNED"]),
                 dict(ARMCD=["A", "Scrnfail"]), dict(ARMCD=["A", "NOTASSGN"])):
        assert adam("AD2001", only_s1, **with_dm(**arms)) == [], arms
    # but a subject randomised and never treated belongs in ADSL
    assert adam("AD2001", only_s1, **with_dm(ARMCD=["A", "B"], ARMNRS=["", "ASSIGNED, NOT TREATED"])) == [("ADSL", None)]


def test_ad0256_subject_in_adsl():
    adae = ds("ADAE", STUDYID=["T1", "T1"], USUBJID=["S1", "S7"], AESEQ=[1, 1])
    assert adam("AD0256", adsl(), adae) == [("ADAE", 2)]
    assert adam("AD0256", adsl(), ds("ADAE", STUDYID=["T1"], USUBJID=["S2"], AESEQ=[1])) == []


@pytest.mark.parametrize("rule", sorted(DM_COPIES))
def test_adsl_copies_dm(rule):
    variable = DM_COPIES[rule]
    other = {"AGE": [60, 51], "AGEU": ["YEARS", "MONTHS"], "SEX": ["M", "M"], "RACE": ["WHITE", "WHITE"],
             "SUBJID": ["1", "9"], "SITEID": ["01", "09"], "ARM": ["Drug", "Drug"], "ACTARM": ["Drug", "Drug"]}
    assert adam(rule, adsl(**{variable: other[variable]}), **with_dm()) == [("ADSL", 2)]
    assert adam(rule, adsl(), **with_dm()) == []


def test_ad0005b_flag_values():
    assert adam("AD0005B", adsl(SAFFL=["Y", "YES"])) == [("ADSL", 2)]
    assert adam("AD0005B", adsl(SAFFL=["Y", "N"]), ds("ADLB", STUDYID=["T1"], USUBJID=["S1"], ABLFL=["X"])) == []


def test_ad0141_and_ad0142_param_and_paramcd():
    adtte = ds("ADTTE", STUDYID=["T1"] * 4, USUBJID=["S1", "S2", "S1", "S2"], PARAMCD=["OS", "OS", "OS", "PFS"],
               PARAM=["Overall Survival", "Overall Survival", "Survival", "Survival"])
    assert adam("AD0141", adsl(), adtte) == [("ADTTE", 3)]
    assert adam("AD0142", adsl(), adtte) == [("ADTTE", 4)]
    good = ds("ADTTE", STUDYID=["T1"], USUBJID=["S1"], PARAMCD=["OS"], PARAM=["Overall Survival"])
    assert adam("AD0141", adsl(), good) == [] and adam("AD0142", adsl(), good) == []


def _adtte(**cols):
    base = dict(STUDYID=["T1", "T1"], USUBJID=["S1", "S2"], PARAMCD=["OS", "OS"], PARAM=["Overall Survival"] * 2,
                AVAL=[10.0, 3.0], CNSR=[0, 1], STARTDT=[JAN1, JAN1], ADT=[JAN10, JAN3])
    base.update(cols)
    return ds("ADTTE", **base)


def test_ad0169_cnsr_integer():
    assert adam("AD0169", _adtte(CNSR=[0, -1])) == [("ADTTE", 2)]
    assert adam("AD0169", _adtte(CNSR=[0.5, 1])) == [("ADTTE", 1)]
    assert adam("AD0169", _adtte(CNSR=[0, 2])) == []  # a censoring reason code above 1 is allowed


def test_mc0201_and_mc0202_time_to_event():
    assert adam("MC0201", _adtte(AVAL=[10.0, -3.0])) == [("ADTTE", 2)]
    assert adam("MC0201", _adtte()) == []
    assert adam("MC0202", _adtte(ADT=[JAN10, JAN1 - 1])) == [("ADTTE", 2)]
    assert adam("MC0202", _adtte(ADT=[JAN10, JAN1])) == []


def test_ad0121_and_ad0361_start_after_end_dates():
    assert adam("AD0121", adsl(TRTEDT=[JAN10, JAN1 - 1])) == [("ADSL", 2)]
    assert adam("AD0121", adsl()) == []
    adae = ds("ADAE", STUDYID=["T1", "T1"], USUBJID=["S1", "S1"], ASTDT=[JAN2, JAN3], AENDT=[JAN2, JAN2])
    assert adam("AD0361", adsl(), adae) == [("ADAE", 2)]
    assert adam("AD0361", adsl(), ds("ADAE", STUDYID=["T1"], USUBJID=["S1"], ASTDT=[JAN2], AENDT=[JAN3])) == []


def test_ad0046_day_zero():
    assert adam("AD0046", _adtte(ADY=[1, 0])) == [("ADTTE", 2)]
    assert adam("AD0046", _adtte(ADY=[1, -1])) == []


def _sdtm_ds():
    d = sdtm("DS", USUBJID=["S1", "S2"], DSSEQ=[1, 1], DSDECOD=["DEATH", "COMPLETED"],
             DSSTDTC=["2020-01-10", "2020-01-03"])
    return {"DS": d, "DM": dm()}


def test_mc0203_source_record_exists():
    src = dict(SRCDOM=["DS", "DS"], SRCVAR=["DSSTDTC", "DSSTDTC"])
    assert adam("MC0203", adsl(), _adtte(**src, SRCSEQ=[1, 2]), sdtm_files=_sdtm_ds()) == [("ADTTE", 2)]
    assert adam("MC0203", adsl(), _adtte(SRCDOM=["DS", "XX"], SRCVAR=["DSSTDTC", "XXDTC"], SRCSEQ=[1, 1]),
                sdtm_files=_sdtm_ds()) == [("ADTTE", 2)]
    assert adam("MC0203", adsl(), _adtte(SRCDOM=["DS", "DS"], SRCVAR=["DSSTDTC", "DSFOO"], SRCSEQ=[1, 1]),
                sdtm_files=_sdtm_ds()) == [("ADTTE", 2)]
    assert adam("MC0203", adsl(), _adtte(**src, SRCSEQ=[1, 1]), sdtm_files=_sdtm_ds()) == []


def test_mc0204_source_record_holds_adt():
    src = dict(SRCDOM=["DS", "ADSL"], SRCVAR=["DSSTDTC", "TRTEDT"], SRCSEQ=[1, None])
    assert adam("MC0204", adsl(), _adtte(**src, ADT=[JAN10, JAN3]), sdtm_files=_sdtm_ds()) == [("ADTTE", 2)]
    assert adam("MC0204", adsl(), _adtte(**src, ADT=[JAN10, JAN10]), sdtm_files=_sdtm_ds()) == []


def test_mc0204_compares_no_date_when_srcvar_names_the_value():
    """A BDS record's SRCVAR names the value it copies (ADaMIG 1.3: LBSTRESN), not a date: ADT is then not
    compared with it, though MC0203 still checks that the record exists."""
    lb = sdtm("LB", USUBJID=["S1", "S2"], LBSEQ=[1, 1], LBTESTCD=["HGB", "HGB"], LBSTRESN=[140.0, 21915.0],
              LBDTC=["2020-01-10", "2020-01-03"])
    adlb = ds("ADLB", STUDYID=["T1", "T1"], USUBJID=["S1", "S2"], PARAMCD=["HGB", "HGB"], AVAL=[140.0, 21915.0],
              ADT=[JAN3, JAN10], SRCDOM=["LB", "LB"], SRCVAR=["LBSTRESN", "LBSTRESN"], SRCSEQ=[1, 2])
    files = {"LB": lb, "DM": dm()}
    assert adam("MC0204", adsl(), adlb, sdtm_files=files) == []
    assert adam("MC0203", adsl(), adlb, sdtm_files=files) == [("ADLB", 2)]


def test_mc0205_treatment_emergent_flag():
    adae = ds("ADAE", STUDYID=["T1"] * 4, USUBJID=["S1"] * 4, TRTEMFL=["Y", "", "Y", ""],
              ASTDT=[JAN1 - 5, JAN3, JAN3, JAN10 + 30], TRTSDT=[JAN1] * 4, TRTEDT=[JAN10] * 4)
    assert adam("MC0205", adsl(), adae) == [("ADAE", 1), ("ADAE", 2)]
    good = ds("ADAE", STUDYID=["T1"] * 3, USUBJID=["S1"] * 3, TRTEMFL=["", "Y", "Y"], ASTDT=[JAN1 - 5, JAN3, JAN10 + 30],
              TRTSDT=[JAN1] * 3, TRTEDT=[JAN10] * 3)  # after the last dose: either, by the study's definition
    assert adam("MC0205", adsl(), good) == []


# ------------------------------------------------------------------------------------- transport

def test_sd1474_variable_name():
    bad = ds("AE", STUDYID=["T1"], **{"AETERMLONG": ["x"], "1AE": ["x"], "ae_x": ["x"]})
    assert sorted(findings("SD1474", bad)["variables"]) == ["1AE", "AETERMLONG", "ae_x"]
    assert fired("SD1474", ds("AE", STUDYID=["T1"], AE_X1=["x"])) == []


def test_sd1475_label_length():
    assert fired("SD1475", ds("AE", STUDYID=["T1"], labels={"STUDYID": "S" * 41})) == [("AE", None)]
    assert fired("SD1475", ds("AE", STUDYID=["T1"], labels={"STUDYID": "S" * 40})) == []


def test_sd1457_dataset_name():
    assert fired("SD1457", ds("SUPPAEXYZ", STUDYID=["T1"])) == [("SUPPAEXYZ", None)]
    assert fired("SD1457", ds("SUPPAE", STUDYID=["T1"])) == []


def test_mc0303_values_over_200_bytes():
    f = ds("AE", STUDYID=["T1"] * 3, AETERM=["x" * 200, "x" * 201, "é" * 101], fmt="Dataset-JSON", file="ae.json")
    assert fired("MC0303", f) == [("AE", 2), ("AE", 3)]  # 202 bytes in UTF-8, though 101 characters
    assert fired("MC0303", ds("AE", STUDYID=["T1"], AETERM=["x" * 200])) == []


def test_sd1029_and_mc0304_non_ascii():
    lb = sdtm("LB", LBTESTCD=["ALT", "GGT"], LBTEST=["Alanine Aminotransferase", "γ-GT"], LBORRES=["5", "5\t"])
    assert fired("SD1029", lb) == [("LB", 2)]
    assert fired("MC0304", lb) == [("LB", 2)]
    ok = sdtm("LB", LBTESTCD=["ALT"], LBTEST=["Alanine Aminotransferase"], LBORRES=["5"])
    assert fired("SD1029", ok) == [] and fired("MC0304", ok) == []


def test_sd1082_length_fits_data():
    assert list(findings("SD1082", ds("AE", STUDYID=["T1"], AETERM=["abc"], lengths={"AETERM": 200}))["variables"]) \
        == ["AETERM"]
    assert fired("SD1082", ds("AE", STUDYID=["T1"] * 2, AETERM=["abc", ""], AESEV=["", ""], lengths={"AESEV": 1})) == []


def test_sd1071_file_size():
    assert fired("SD1071", ds("AE", STUDYID=["T1"], size=5 * 1024**3 + 1)) == [("AE", None)]
    assert fired("SD1071", ds("AE", STUDYID=["T1"], size=5 * 1024**3)) == []


def test_mc0305_file_name():
    assert fired("MC0305", ds("ADQSCIBC", STUDYID=["T1"], file="adcibc.xpt")) == [("ADQSCIBC", None)]
    assert fired("MC0305", ds("ADSL", STUDYID=["T1"], file="adsl.xpt")) == []


IG_LABELS = {"STUDYID": "Study Identifier", "USUBJID": "Unique Subject Identifier", "AGE": "Age",
             "TRT01P": "Planned Treatment for Period 01", "SAFFL": "Safety Population Flag",
             "PARAMCD": "Parameter Code", "PARAM": "Parameter", "AVAL": "Analysis Value", "ANL01FL": "Analysis Flag 01"}


def test_ad0018_labels_of_the_standard():
    """ADaMIG 1.3 labels (written out here from the IG), an indexed variable's placeholders filled in (TRTxxP:
    "Planned Treatment for Period xx")."""
    columns = dict(STUDYID=["T1"], USUBJID=["S1"], TRT01P=["Drug"], AGE=[60], SAFFL=["Y"])
    assert adam("AD0018", ds("ADSL", labels=IG_LABELS, **columns)) == []
    bad = ds("ADSL", labels={**IG_LABELS, "TRT01P": "Planned Treatment", "AGE": " Age "}, **columns)
    found = findings("AD0018", bad, standard=ADAM)
    assert found["variables"].tolist() == ["TRT01P"]  # spaces at the ends of AGE's label aside
    assert found["detail"].tolist() == ["expected Planned Treatment for Period 01"]
    # BDS: ANL01FL is "Analysis Flag 01" in ADaMIG 1.1 and later (ADaMIG 1.0 said "Analysis Record Flag")
    bds = dict(STUDYID=["T1"], USUBJID=["S1"], PARAMCD=["SYSBP"], PARAM=["Systolic BP"], AVAL=[120.0], ANL01FL=["Y"])
    assert adam("AD0018", ds("ADVS", labels=IG_LABELS, **bds)) == []
    old = ds("ADVS", labels={**IG_LABELS, "ANL01FL": "Analysis Record Flag 01"}, **bds)
    assert findings("AD0018", old, standard=ADAM)["variables"].tolist() == ["ANL01FL"]


def test_ad0161_window_unit_without_both_bounds():
    """The pilot's ADADAS, as P21 reports it: AWU DAYS with AWLO null, or AWHI null."""
    bds = ds("ADQS", STUDYID=["T1"] * 4, USUBJID=["S1"] * 4, PARAMCD=["ACTOT"] * 4, PARAM=["ADAS-Cog"] * 4,
             AVAL=[10.0] * 4, AWU=["DAYS", "DAYS", "DAYS", ""], AWLO=[None, 141.0, 2.0, None], AWHI=[1.0, None, 84.0, None])
    assert adam("AD0161", bds) == [("ADQS", 1), ("ADQS", 2)]
    assert adam("AD0161", ds("ADQS", STUDYID=["T1"], USUBJID=["S1"], AWU=["DAYS"], AWLO=[2.0], AWHI=[84.0])) == []
