"""The admiral-style derivation toolkit on small frames worked by hand."""

import pandas as pd
import pytest

from cdisc_mirocals.adam.derive import (censor_source, derive_param_tte, derive_var_extreme_flag, derive_var_trtemfl,
                                        derive_vars_dt, derive_vars_duration, derive_vars_dy, derive_vars_merged,
                                        event_source)

D = pd.Timestamp


def test_partial_dates_are_imputed_by_rule_and_flagged():
    ae = pd.DataFrame({"AESTDTC": ["2019-03-05", "2019-03", "2019", "", "2020-02"]})
    first = derive_vars_dt(ae, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="M")
    assert first["ASTDT"].tolist()[:3] == [D("2019-03-05"), D("2019-03-01"), D("2019-01-01")]
    assert pd.isna(first["ASTDT"].iloc[3])
    assert first["ASTDTF"].tolist() == ["", "D", "M", "", "D"]
    last = derive_vars_dt(ae, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="M", date_imputation="last")
    assert last["ASTDT"].tolist()[1:3] == [D("2019-03-31"), D("2019-12-31")]
    assert last["ASTDT"].iloc[4] == D("2020-02-29")  # leap year
    mid = derive_vars_dt(ae, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="D", date_imputation="mid")
    assert mid["ASTDT"].iloc[1] == D("2019-03-15") and pd.isna(mid["ASTDT"].iloc[2])  # month not imputed at level D


def test_imputed_start_is_clamped_to_first_dose_in_the_same_month():
    ae = pd.DataFrame({"AESTDTC": ["2019-03", "2019-03", "2019-02"], "TRTSDT": [D("2019-03-10"), D("2019-04-02"), D("2019-03-10")]})
    out = derive_vars_dt(ae, new_vars_prefix="AST", dtc="AESTDTC", highest_imputation="M", min_dates=["TRTSDT"])
    # first dose inside March: the AE cannot be imputed to before it; outside March: plain imputation
    assert out["ASTDT"].tolist() == [D("2019-03-10"), D("2019-03-01"), D("2019-02-01")]


def test_imputed_end_is_capped_at_death():
    ae = pd.DataFrame({"AEENDTC": ["2019-03"], "DTHDT": [D("2019-03-12")]})
    out = derive_vars_dt(ae, new_vars_prefix="AEN", dtc="AEENDTC", highest_imputation="M", date_imputation="last",
                         max_dates=["DTHDT"])
    assert out["AENDT"].tolist() == [D("2019-03-12")]


def test_study_day_and_duration_have_no_day_zero():
    d = pd.DataFrame({"TRTSDT": [D("2019-03-10")] * 3, "ADT": [D("2019-03-09"), D("2019-03-10"), D("2019-03-12")]})
    out = derive_vars_dy(d, reference_date="TRTSDT", source_vars={"ADY": "ADT"})
    assert out["ADY"].tolist() == [-1, 1, 3]
    dur = derive_vars_duration(d, new_var="ADURN", start_date="TRTSDT", end_date="ADT")
    assert dur["ADURN"].tolist() == [0, 1, 3]
    no_add = derive_vars_duration(d, new_var="ADURN", start_date="TRTSDT", end_date="ADT", add_one=False)
    assert no_add["ADURN"].tolist() == [-1, 0, 2]


def test_derivations_never_mutate_their_input():
    d = pd.DataFrame({"TRTSDT": [D("2019-03-10")], "ADT": [D("2019-03-12")]})
    before = d.copy()
    derive_vars_dy(d, reference_date="TRTSDT", source_vars={"ADY": "ADT"})
    derive_vars_duration(d, new_var="X", start_date="TRTSDT", end_date="ADT")
    pd.testing.assert_frame_equal(d, before)


def test_inputs_are_checked_first_with_clear_messages():
    with pytest.raises(ValueError, match=r"derive_vars_dy\(\): `dataset` lacks required variable\(s\) TRTSDT"):
        derive_vars_dy(pd.DataFrame({"ADT": []}), reference_date="TRTSDT", source_vars={"ADY": "ADT"})
    with pytest.raises(ValueError, match="date_imputation"):
        derive_vars_dt(pd.DataFrame({"X": []}), new_vars_prefix="A", dtc="X", date_imputation="random")


def test_merge_picks_one_record_by_order_or_refuses_duplicates():
    adsl = pd.DataFrame({"USUBJID": ["A", "B"]})
    vs = pd.DataFrame({"USUBJID": ["A", "A", "B"], "ADT": [D("2019-01-01"), D("2019-02-01"), D("2019-01-05")],
                       "AVAL": [70.0, 68.0, 80.0]})
    last = derive_vars_merged(adsl, vs, by_vars=["USUBJID"], new_vars={"WTLAST": "AVAL"}, order=["ADT"], mode="last")
    assert last["WTLAST"].tolist() == [68.0, 80.0]
    with pytest.raises(ValueError, match="several records"):
        derive_vars_merged(adsl, vs, by_vars=["USUBJID"], new_vars=["AVAL"])


def test_first_occurrence_flags_within_groups_among_filtered_records():
    ae = pd.DataFrame({"USUBJID": ["A"] * 4, "AEBODSYS": ["X", "X", "Y", "X"], "AESEQ": [1, 2, 3, 4],
                       "ASTDT": [D("2019-01-05"), D("2019-01-03"), D("2019-01-04"), D("2019-01-01")],
                       "TRTEMFL": ["Y", "Y", "Y", ""]})
    out = derive_var_extreme_flag(ae, by_vars=["USUBJID", "AEBODSYS"], order=["ASTDT", "AESEQ"], new_var="AOCCSFL",
                                  filter=lambda d: d["TRTEMFL"] == "Y")
    assert out["AOCCSFL"].tolist() == ["", "Y", "Y", ""]


def test_treatment_emergence_respects_first_dose_and_the_window_after_last_dose():
    ae = pd.DataFrame({"ASTDT": [D("2019-01-01"), D("2019-01-10"), D("2019-03-01"), D("2019-03-02"), pd.NaT],
                       "TRTSDT": [D("2019-01-10")] * 5, "TRTEDT": [D("2019-02-01")] * 5})
    out = derive_var_trtemfl(ae, trt_end_date="TRTEDT", end_window=28)
    # before first dose (an AE in the run-in) is not emergent; day 28 after the last dose is, day 29 is not
    assert out["TRTEMFL"].tolist() == ["", "Y", "Y", "", ""]


@pytest.fixture
def survival_inputs():
    """Four subjects randomised on 2019-01-01 (day 640 is 2020-10-01), worked by hand."""
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["DIES640", "DIES700", "LOST", "ALIVE"],
                         "RANDDT": [D("2019-01-01")] * 4,
                         "LSTALVDT": [D("2020-10-01"), D("2020-12-01"), D("2019-06-30"), D("2021-06-30")],
                         "DTHDT": [D("2020-10-01"), D("2020-12-01"), pd.NaT, pd.NaT]})
    adsl["DAY640"] = adsl["RANDDT"] + pd.Timedelta(days=639)
    adsl["CENSDT"] = adsl[["LSTALVDT", "DAY640"]].min(axis=1)
    ds = pd.DataFrame({"STUDYID": "S", "USUBJID": ["DIES640", "DIES700"], "DSSEQ": [3.0, 4.0],
                       "DSDECOD": "DEATH", "DSSTDT": [D("2020-10-01"), D("2020-12-01")]})
    return adsl, ds


def _os640(adsl, ds):
    return derive_param_tte(
        adsl, start_date="RANDDT", paramcd="OS640", param="Time to Death up to Day 640 (days)",
        source_datasets={"ADSL": adsl, "DS": ds},
        event_sources=[event_source("DS", date="DSSTDT", description="DEATH", srcvar="DSSTDTC", srcseq="DSSEQ",
                                    filter=lambda d: d["DSSTDT"] <= d["USUBJID"].map(adsl.set_index("USUBJID")["DAY640"]))],
        censor_sources=[censor_source("ADSL", date="CENSDT", description="LAST KNOWN ALIVE OR DAY 640",
                                      srcvar="LSTALVDT")])


def test_tte_death_on_day_640_is_an_event_and_after_it_is_censored_at_640(survival_inputs):
    out = _os640(*survival_inputs).set_index("USUBJID")
    assert out.loc["DIES640", ["AVAL", "CNSR", "EVNTDESC", "SRCDOM", "SRCSEQ"]].tolist() == [640, 0, "DEATH", "DS", 3.0]
    assert out.loc["DIES700", ["AVAL", "CNSR", "CNSDTDSC", "SRCDOM"]].tolist() == [640, 1, "LAST KNOWN ALIVE OR DAY 640", "ADSL"]
    assert pd.isna(out.loc["DIES700", "SRCSEQ"])


def test_tte_a_censoring_date_no_record_holds_has_no_source(survival_inputs):
    """A window end is no record's date: srcdom='' and srcvar='' leave SRCDOM, SRCVAR and SRCSEQ null."""
    adsl, ds = survival_inputs
    out = derive_param_tte(
        adsl, start_date="RANDDT", paramcd="OS640", param="Time to Death up to Day 640 (days)",
        source_datasets={"ADSL": adsl, "DS": ds},
        event_sources=[event_source("DS", date="DSSTDT", description="DEATH", srcvar="DSSTDTC", srcseq="DSSEQ")],
        censor_sources=[censor_source("ADSL", date="DAY640", description="DAY 640", srcdom="", srcvar="")],
    ).set_index("USUBJID")
    assert out.loc["ALIVE", ["CNSR", "SRCDOM", "SRCVAR"]].tolist() == [1, "", ""]
    assert pd.isna(out.loc["ALIVE", "SRCSEQ"])
    assert out.loc["DIES640", ["SRCDOM", "SRCVAR"]].tolist() == ["DS", "DSSTDTC"]


def test_tte_lost_to_follow_up_is_censored_at_the_last_known_alive_date(survival_inputs):
    out = _os640(*survival_inputs).set_index("USUBJID")
    assert out.loc["LOST", ["ADT", "AVAL", "CNSR"]].tolist() == [D("2019-06-30"), 181, 1]
    assert out.loc["ALIVE", ["AVAL", "CNSR"]].tolist() == [640, 1]
    assert out.loc["LOST", "STARTDT"] == D("2019-01-01")


def test_tte_earliest_event_wins_else_latest_censoring():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "B"], "RANDDT": [D("2019-01-01")] * 2})
    events = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "A"], "ADT": [D("2019-05-01"), D("2019-03-01")],
                           "SEQ": [1.0, 2.0]})
    trach = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A"], "ADT": [D("2019-04-01")], "SEQ": [7.0]})
    visits = pd.DataFrame({"STUDYID": "S", "USUBJID": ["B", "B"], "ADT": [D("2019-02-01"), D("2019-08-01")],
                           "SEQ": [1.0, 2.0]})
    out = derive_param_tte(
        adsl, start_date="RANDDT", paramcd="DTHTRV", param="x",
        source_datasets={"DS": events, "PR": trach, "SV": visits},
        event_sources=[event_source("DS", date="ADT", description="DEATH", srcseq="SEQ"),
                       event_source("PR", date="ADT", description="TRACHEOSTOMY", srcseq="SEQ")],
        censor_sources=[censor_source("SV", date="ADT", description="LAST VISIT", srcseq="SEQ")]).set_index("USUBJID")
    assert out.loc["A", ["ADT", "EVNTDESC", "SRCDOM", "SRCSEQ", "AVAL"]].tolist() == [D("2019-03-01"), "DEATH", "DS", 2.0, 60]
    assert out.loc["B", ["ADT", "CNSDTDSC", "SRCSEQ", "CNSR"]].tolist() == [D("2019-08-01"), "LAST VISIT", 2.0, 1]


def test_tte_refuses_a_censor_source_with_cnsr_zero():
    with pytest.raises(ValueError, match="positive"):
        censor_source("ADSL", date="X", description="x", censor=0)


def test_datetimes_are_imputed_with_date_and_time_flags():
    from cdisc_mirocals.adam.derive import derive_vars_dtm
    d = pd.DataFrame({"X": ["2019-03-05T10:30:15", "2019-03-05T10:30", "2019-03-05T10", "2019-03-05", "2019-03"]})
    first = derive_vars_dtm(d, new_vars_prefix="A", dtc="X", highest_imputation="D")
    assert first["ADTM"].tolist() == [D("2019-03-05 10:30:15"), D("2019-03-05 10:30"), D("2019-03-05 10:00"),
                                      D("2019-03-05 00:00"), D("2019-03-01 00:00")]
    assert first["ATMF"].tolist() == ["", "S", "M", "H", "H"] and first["ADTF"].tolist() == ["", "", "", "", "D"]
    last = derive_vars_dtm(d, new_vars_prefix="A", dtc="X", highest_imputation="h", time_imputation="last")
    assert last["ADTM"].iloc[3] == D("2019-03-05 23:59:59") and pd.isna(last["ADTM"].iloc[4])  # day not imputed at h
    only_seconds = derive_vars_dtm(d, new_vars_prefix="A", dtc="X", highest_imputation="s")
    assert only_seconds["ADTM"].notna().tolist() == [True, True, False, False, False]
