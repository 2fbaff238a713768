"""The shared SDTM derivations on small frames worked by hand."""

import pandas as pd
import pytest

from cdisc_mirocals.sdtm.common import (assign_visits, derive_var_epoch, derive_var_lobxfl, derive_var_seq,
                                        ongoing_at_study_end)

SE = pd.DataFrame({
    "USUBJID": ["S1"] * 4,
    "ETCD": ["SCRN", "RUNIN", "IL2", "FU"], "TAETORD": [1, 2, 3, 4],
    "EPOCH": ["SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP"],
    "SESTDTC": ["2019-01-10", "2019-01-10", "2019-04-15", "2020-09-01"],  # consent on the screening day
    "SEENDTC": ["2019-01-10", "2019-04-15", "2020-09-01", "2021-01-31"],
})


def test_epoch_of_complete_partial_and_pre_dose_dates():
    records = pd.DataFrame({"USUBJID": "S1", "DTC": ["2019-02-01", "2019-04-15", "2019-04-15", "2019-03", "2019-04",
                                                     "2019-01-10", "2021-01-31", "2021-02-01", "2018"]})
    predose = pd.Series([False, False, True, False, False, True, False, False, False])
    out = derive_var_epoch(records, SE, dtc_var="DTC", predose=predose)
    assert [None if pd.isna(e) else e for e in out["EPOCH"]] == [
        "RUN-IN",       # inside the run-in
        "TREATMENT",    # day of first dose, after dosing
        "RUN-IN",       # day of first dose, before dosing
        "RUN-IN",       # a partial date wholly inside one element
        None,           # a partial month that spans run-in and treatment
        "SCREENING",    # pre-dose on the screening day: the element that lasts no day
        "FOLLOW-UP",    # the last element includes its end date
        None,           # after the last element
        None,           # a year before consent
    ]


def test_last_observation_before_exposure_is_flagged_once_per_test():
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "RFXSTDTC": ["2019-04-15", ""]})
    lb = pd.DataFrame({
        "USUBJID": ["S1"] * 5 + ["S2"],
        "LBTESTCD": ["ALT", "ALT", "ALT", "ALT", "AST", "ALT"],
        "LBDTC": ["2019-01-10", "2019-04-15", "2019-04-14", "2019-05-01", "2019-01-10", "2019-01-10"],
        "LBORRES": ["20", "", "22", "30", "18", "25"],
    })
    out = derive_var_lobxfl(lb, dm, by_vars=["LBTESTCD"], dtc_var="LBDTC", result_var="LBORRES", new_var="LBLOBXFL")
    # S1 ALT: the day-of-dose sample has no result, so the day before wins; never-dosed S2 gets no flag
    assert out["LBLOBXFL"].tolist() == ["", "", "Y", "", "Y", ""]


def test_sequence_numbers_follow_the_order_within_subject():
    ae = pd.DataFrame({"USUBJID": ["B", "A", "A", "B"], "AEDECOD": ["X", "Y", "X", "A"]})
    out = derive_var_seq(ae, new_var="AESEQ", order=["AEDECOD"])
    assert out["AESEQ"].tolist() == [2, 2, 1, 1] and out.index.equals(ae.index)


def test_planned_visits_by_name_and_unscheduled_ones_by_date():
    tv = pd.DataFrame({"VISITNUM": [1.0, 2.0, 3.0], "VISIT": ["SCREENING", "BASELINE", "MONTH 2"]})
    sv = pd.DataFrame({"USUBJID": ["S1"] * 2, "VISITNUM": [2.01, 3.01], "VISIT": ["UNSCHEDULED 2.01", "UNSCHEDULED 3.01"],
                       "SVSTDTC": ["2019-05-01", "2019-07-01"]})
    rec = pd.DataFrame({"USUBJID": "S1", "V": [" month 2", "Unscheduled", "Unscheduled", "Baseline"],
                        "DTC": ["2019-06-20", "2019-07-01", "2019-05-01", "2019-04-15"]})
    out = assign_visits(rec, tv, sv, visit_var="V", dtc_var="DTC")
    assert out["VISITNUM"].tolist() == [3.0, 3.01, 2.01, 2.0]
    assert out["VISIT"].tolist() == ["MONTH 2", "UNSCHEDULED 3.01", "UNSCHEDULED 2.01", "BASELINE"]


def test_ongoing_records_end_relative_to_the_end_of_study():
    enrtpt, entpt = ongoing_at_study_end(pd.Series([True, True, False]), pd.Series([None, "2019-05-01", None]),
                                         pd.Series(["2020-01-01"] * 3))
    assert enrtpt.tolist()[0] == "ONGOING" and pd.isna(enrtpt.iloc[1]) and pd.isna(enrtpt.iloc[2])
    assert entpt.iloc[0] == "2020-01-01"


def test_shared_derivations_check_their_input_first():
    with pytest.raises(ValueError, match=r"derive_var_epoch\(\): `se` lacks required variable\(s\) EPOCH"):
        derive_var_epoch(pd.DataFrame({"USUBJID": [], "DTC": []}), SE.drop(columns="EPOCH"), dtc_var="DTC")
