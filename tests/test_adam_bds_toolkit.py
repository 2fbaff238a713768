"""The BDS verbs of the toolkit on small frames worked by hand: baseline and change, indicators,
visit windows and derived records. (Toxicity grades and the spec tables: test_adam_bds_tables.py; the CDISC pilot:
test_adam_bds_pilot.py.)"""

import warnings

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.adam.derive import (derive_extreme_records, derive_locf_records, derive_param_computed,
                                        derive_var_analysis_ratio, derive_var_anl_flag, derive_var_anrind,
                                        derive_var_base, derive_var_chg, derive_var_ontrtfl, derive_var_pchg,
                                        derive_var_shift, derive_vars_crit_flag, derive_vars_visit_window, desc)

D = pd.Timestamp
NA = np.nan


@pytest.fixture
def svc():
    """Two subjects' SVC (% predicted): A has a baseline, B's baseline was not done."""
    return pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B", "B"], "PARAMCD": "SVCPP",
        "AVISITN": [0, 2, 4, 2, 4], "AVAL": [80.0, 72.0, 0.0, 90.0, 85.0],
        "ABLFL": ["Y", "", "", "", ""], "ANRIND": ["NORMAL", "LOW", "LOW", "NORMAL", "NORMAL"]})


def test_base_is_copied_from_the_baseline_record_and_null_without_one(svc):
    out = derive_var_base(svc, by_vars=["USUBJID", "PARAMCD"])
    assert out["BASE"].tolist()[:3] == [80.0, 80.0, 80.0]
    assert out["BASE"].iloc[3:].isna().all()
    text = derive_var_base(svc, by_vars=["USUBJID", "PARAMCD"], source_var="ANRIND", new_var="BNRIND")
    assert text["BNRIND"].tolist() == ["NORMAL"] * 3 + ["", ""]


def test_two_baseline_records_in_a_group_are_refused(svc):
    twice = svc.assign(ABLFL=["Y", "Y", "", "", ""])
    with pytest.raises(ValueError, match=r"derive_var_base\(\): 2 baseline records share their USUBJID, PARAMCD"):
        derive_var_base(twice, by_vars=["USUBJID", "PARAMCD"])


def test_change_percent_change_and_ratios(svc):
    out = derive_var_base(svc, by_vars=["USUBJID", "PARAMCD"])
    out = derive_var_pchg(derive_var_chg(out))
    assert out["CHG"].tolist()[:3] == [0.0, -8.0, -80.0]
    assert out["PCHG"].tolist()[:3] == [0.0, -10.0, -100.0]
    assert out[["CHG", "PCHG"]].iloc[3:].isna().all().all()  # no baseline, no change
    post = derive_var_chg(out, filter=lambda d: d["AVISITN"] > 0)
    assert pd.isna(post["CHG"].iloc[0]) and post["CHG"].iloc[1] == -8.0
    zero = pd.DataFrame({"AVAL": [5.0, 3.0], "BASE": [0.0, -4.0]})
    assert pd.isna(derive_var_pchg(zero)["PCHG"].iloc[0])  # division by a zero baseline
    assert derive_var_pchg(zero)["PCHG"].iloc[1] == 175.0  # a rise from a negative baseline is positive
    ratio = derive_var_analysis_ratio(out, numer_var="AVAL", denom_var="BASE")
    assert ratio["R2BASE"].tolist()[:3] == [1.0, 0.9, 0.0]
    lab = pd.DataFrame({"AVAL": [90.0, 30.0], "ANRHI": [45.0, 0.0]})
    assert derive_var_analysis_ratio(lab, numer_var="AVAL", denom_var="ANRHI")["R2ANRHI"].tolist()[0] == 2.0
    assert pd.isna(derive_var_analysis_ratio(lab, numer_var="AVAL", denom_var="ANRHI")["R2ANRHI"].iloc[1])


def test_on_treatment_flag_follows_admiral_rules():
    d = pd.DataFrame({
        "ADT": [D("2019-01-01"), D("2019-01-10"), D("2019-03-01"), D("2019-03-29"), D("2019-03-30"), pd.NaT, D("2019-02-01")],
        "TRTSDT": [D("2019-01-10")] * 6 + [pd.NaT], "TRTEDT": [D("2019-03-01")] * 7})
    out = derive_var_ontrtfl(d, start_date="ADT", ref_start_date="TRTSDT", ref_end_date="TRTEDT", ref_end_window=28)
    # before first dose no; first dose day yes; last dose + 28 yes, + 29 no; unknown date yes; no first dose: null
    assert out["ONTRTFL"].tolist() == ["", "Y", "Y", "Y", "", "Y", ""]
    open_ended = derive_var_ontrtfl(d, start_date="ADT", ref_start_date="TRTSDT")
    assert open_ended["ONTRTFL"].tolist()[4] == "Y"
    pre = d.assign(ATPT=["", "PRE-DOSE", "", "", "", "", ""])
    out = derive_var_ontrtfl(pre, start_date="ADT", ref_start_date="TRTSDT", filter_pre_timepoint=lambda x: x["ATPT"] == "PRE-DOSE")
    assert out["ONTRTFL"].iloc[1] == ""  # the pre-dose assessment on the first dose day is baseline, not on treatment


def test_on_treatment_flag_for_records_with_an_end_date():
    cm = pd.DataFrame({"ASTDT": [D("2018-03-15"), D("2018-03-15"), D("2020-04-30")],
                       "AENDT": [D("2022-12-01"), D("2018-06-01"), pd.NaT], "TRTSDT": [D("2019-01-01")] * 3,
                       "TRTEDT": [D("2021-01-01")] * 3})
    plain = derive_var_ontrtfl(cm, start_date="ASTDT", end_date="AENDT", ref_start_date="TRTSDT", ref_end_date="TRTEDT")
    assert plain["ONTRTFL"].tolist() == ["", "", "Y"]
    span = derive_var_ontrtfl(cm, start_date="ASTDT", end_date="AENDT", ref_start_date="TRTSDT", ref_end_date="TRTEDT",
                              span_period=True)
    assert span["ONTRTFL"].tolist() == ["Y", "", "Y"]  # started before, still running at first dose


def test_reference_range_indicator_with_open_ranges_and_exact_limits():
    d = pd.DataFrame({"AVAL": [0.3, 0.2, 0.5, 5.0, NA, 7.0, 1.0, 0.05, 60.0],
                      "ANRLO": [0.1 * 3, 0.3, 0.1, NA, 0.1, NA, NA, 0.1, 0.1],
                      "ANRHI": [1.0, 1.0, 0.4, 6.0, 1.0, 6.0, NA, 1.0, 1.0],
                      "A1LO": [NA] * 7 + [0.08, NA], "A1HI": [NA] * 8 + [50.0]})
    out = derive_var_anrind(d)
    # 0.1 * 3 is 0.30000000000000004: equal to 0.3 at 15 significant digits
    assert out["ANRIND"].tolist() == ["NORMAL", "LOW", "HIGH", "NORMAL", "", "HIGH", "", "LOW", "HIGH"]
    extreme = derive_var_anrind(d, use_a1hia1lo=True)
    assert extreme["ANRIND"].tolist()[7:] == ["LOW LOW", "HIGH HIGH"]


def test_shift_names_a_missing_side():
    d = pd.DataFrame({"BNRIND": ["NORMAL", "", "LOW"], "ANRIND": ["HIGH", "HIGH", ""], "ABLFL": ["", "", "Y"]})
    out = derive_var_shift(d, new_var="SHIFT1", from_var="BNRIND", to_var="ANRIND")
    assert out["SHIFT1"].tolist() == ["NORMAL to HIGH", "NULL to HIGH", "LOW to NULL"]
    post = derive_var_shift(d, new_var="SHIFT1", from_var="BNRIND", to_var="ANRIND", filter=lambda x: x["ABLFL"] != "Y")
    assert post["SHIFT1"].iloc[2] == ""


def test_criterion_flags_leave_unevaluable_records_null():
    d = pd.DataFrame({"PCHG": [-25.0, -10.0, NA]})

    def condition(x):
        return (x["PCHG"] <= -20).astype("boolean").mask(x["PCHG"].isna())

    out = derive_vars_crit_flag(d, condition=condition, description="PCHG <= -20", crit_nr=2, values_yn=True,
                                create_numeric_flag=True)
    assert out["CRIT2"].tolist() == ["PCHG <= -20"] * 3
    assert out["CRIT2FL"].tolist() == ["Y", "N", ""]
    assert out["CRIT2FN"].tolist()[:2] == [1.0, 0.0] and pd.isna(out["CRIT2FN"].iloc[2])
    plain = derive_vars_crit_flag(d, condition=condition, description="PCHG <= -20")
    assert plain["CRIT1FL"].tolist() == ["Y", "", ""]


WINDOWS = [
    {"AVISIT": "BASELINE", "AVISITN": 0, "AWLO": None, "AWHI": 1, "AWTARGET": 1},
    {"AVISIT": "MONTH 2", "AVISITN": 2, "AWLO": 2, "AWHI": 85, "AWTARGET": 57},
    {"AVISIT": "MONTH 4", "AVISITN": 4, "AWLO": 86, "AWHI": 141, "AWTARGET": 113},
]


def test_visit_windows_assign_by_day_whatever_the_nominal_visit():
    d = pd.DataFrame({"VISIT": ["Screening", "Baseline", "Unscheduled", "Month 2", "Month 4", "Month 4", "Month 6"],
                      "ADY": [-100, 1, 60, 85, 86, NA, 200]})
    out = derive_vars_visit_window(d, windows=WINDOWS)
    assert out["AVISIT"].tolist() == ["BASELINE", "BASELINE", "MONTH 2", "MONTH 2", "MONTH 4", "", ""]
    assert out["AVISITN"].tolist()[:5] == [0, 0, 2, 2, 4]
    assert out["AWTARGET"].tolist()[:5] == [1, 1, 57, 57, 113]
    assert out["AWLO"].isna().tolist()[:2] == [True, True] and out["AWHI"].tolist()[4] == 141
    assert out["AWTDIFF"].tolist()[:5] == [100, 0, 3, 28, 27]  # day -100 is 100 days before day 1: no day 0
    assert out["AWU"].tolist() == ["DAYS"] * 5 + ["", ""]
    assert out[["AVISITN", "AWTDIFF"]].iloc[5:].isna().all().all()


def test_overlapping_windows_are_refused():
    bad = WINDOWS + [{"AVISIT": "MONTH 3", "AVISITN": 3, "AWLO": 80, "AWHI": 90, "AWTARGET": 85}]
    with pytest.raises(ValueError, match="overlaps"):
        derive_vars_visit_window(pd.DataFrame({"ADY": [1]}), windows=bad)


def test_windows_by_parameter():
    windows = [dict(w, PARAMCD="TREG") for w in WINDOWS[:2]] + [dict(WINDOWS[2], PARAMCD="HGB", AWLO=2)]
    d = pd.DataFrame({"PARAMCD": ["TREG", "HGB", "HGB"], "ADY": [60, 60, 1]})
    out = derive_vars_visit_window(d, windows=windows, by_vars=["PARAMCD"])
    assert out["AVISIT"].tolist() == ["MONTH 2", "MONTH 4", ""]


def test_analysis_flag_takes_the_nearest_to_target_and_the_later_of_two_as_near():
    d = pd.DataFrame({"USUBJID": "A", "PARAMCD": "P", "AVISIT": ["MONTH 2"] * 4 + ["", "MONTH 4"],
                      "ADY": [50, 64, 60, 54, 200, 120], "AWTDIFF": [7, 7, 3, 3, NA, 7],
                      "AVAL": [1.0, 2.0, 3.0, 4.0, 5.0, NA]})
    out = derive_var_anl_flag(d, by_vars=["USUBJID", "PARAMCD", "AVISIT"], order=["AWTDIFF", desc("ADY")])
    # days 60 and 54 are both 3 days from target: the later (60) wins; no flag outside a window or without AVAL
    assert out["ANL01FL"].tolist() == ["", "", "Y", "", "", ""]


def test_analysis_flag_reports_ties_the_order_cannot_break():
    d = pd.DataFrame({"USUBJID": "A", "PARAMCD": "P", "AVISIT": "MONTH 2", "AWTDIFF": [3, 3], "AVAL": [1.0, 2.0]})
    with pytest.warns(UserWarning, match=r"in 1 group\(s\), the record chosen shares its USUBJID, PARAMCD, AVISIT, AWTDIFF"):
        derive_var_anl_flag(d, by_vars=["USUBJID", "PARAMCD", "AVISIT"], order=["AWTDIFF"])
    with pytest.raises(ValueError, match="add a variable to `order`"):
        derive_var_anl_flag(d, by_vars=["USUBJID", "PARAMCD", "AVISIT"], order=["AWTDIFF"], check_type="error")
    with pytest.raises(ValueError, match="add a variable to `order`"):
        derive_var_anl_flag(d, by_vars=["USUBJID", "PARAMCD", "AVISIT"], order=["AWTDIFF"], mode="last",
                            check_type="error")
    # ties behind the chosen record do not matter
    three = pd.DataFrame({"USUBJID": "A", "PARAMCD": "P", "AVISIT": "MONTH 2", "AWTDIFF": [3, 1, 3], "AVAL": 1.0})
    out = derive_var_anl_flag(three, by_vars=["USUBJID", "PARAMCD", "AVISIT"], order=["AWTDIFF"], check_type="error")
    assert out["ANL01FL"].tolist() == ["", "Y", ""]


@pytest.fixture
def vitals():
    return pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B", "B", "C"],
        "PARAMCD": ["HEIGHT", "WEIGHT", "WEIGHT", "HEIGHT", "WEIGHT", "WEIGHT", "WEIGHT"],
        "AVISIT": ["SCREENING", "BASELINE", "MONTH 2", "MONTH 2", "BASELINE", "MONTH 2", "BASELINE"],
        "AVAL": [180.0, 81.0, 77.76, NA, 64.0, NA, 70.0]})


def test_computed_parameter_joins_a_constant_parameter(vitals):
    out = derive_param_computed(
        vitals, by_vars=["USUBJID", "AVISIT"], parameters=["WEIGHT"], constant_parameters=["HEIGHT"],
        constant_by_vars=["USUBJID"], filter=lambda d: (d["PARAMCD"] == "WEIGHT") | (d["AVISIT"] == "SCREENING"),
        set_values_to={"PARAMCD": "BMI", "AVAL": lambda w: w["AVAL.WEIGHT"] / (w["AVAL.HEIGHT"] / 100) ** 2})
    assert out.iloc[:len(vitals)].equals(vitals)  # the input records first, unchanged
    bmi = out[out["PARAMCD"] == "BMI"].set_index(["USUBJID", "AVISIT"])["AVAL"]
    # A: 81 / 1.8^2 = 25, 77.76 / 3.24 = 24; B has no height and C none either, B's month 2 weight is null
    assert bmi.round(10).to_dict() == {("A", "BASELINE"): 25.0, ("A", "MONTH 2"): 24.0}


def test_computed_parameter_with_missing_items_lets_the_rule_decide():
    items = pd.DataFrame({"USUBJID": "A", "AVISIT": ["M2"] * 3 + ["M4"] * 2, "PARAMCD": ["Q1", "Q2", "Q3", "Q1", "Q2"],
                          "AVAL": [4.0, 3.0, NA, 2.0, 1.0]})

    def total(w):  # prorated when at most one item is missing
        values = w[["AVAL.Q1", "AVAL.Q2", "AVAL.Q3"]]
        return (values.mean(axis=1) * 3).where(values.notna().sum(axis=1) >= 2)

    strict = derive_param_computed(items, by_vars=["USUBJID", "AVISIT"], parameters=["Q1", "Q2", "Q3"],
                                   set_values_to={"PARAMCD": "TOTAL", "AVAL": total})
    assert (strict["PARAMCD"] == "TOTAL").sum() == 0
    kept = derive_param_computed(items, by_vars=["USUBJID", "AVISIT"], parameters=["Q1", "Q2", "Q3"],
                                 set_values_to={"PARAMCD": "TOTAL", "AVAL": total}, keep_nas=True)
    assert kept[kept["PARAMCD"] == "TOTAL"]["AVAL"].tolist() == [10.5, 4.5]


def test_computed_parameter_refuses_two_records_of_a_parameter_in_a_group(vitals):
    twice = pd.concat([vitals, vitals.iloc[[1]]])
    with pytest.raises(ValueError, match="share their USUBJID, AVISIT and PARAMCD"):
        derive_param_computed(twice, by_vars=["USUBJID", "AVISIT"], parameters=["WEIGHT"],
                              set_values_to={"PARAMCD": "X", "AVAL": lambda w: w["AVAL.WEIGHT"]})


@pytest.fixture
def alt():
    return pd.DataFrame({"USUBJID": ["A"] * 5 + ["B"], "PARAMCD": "ALT",
                         "AVISITN": [0, 2, 4, 6, 9, 0], "ADT": pd.to_datetime(["2019-01-01", "2019-03-01", "2019-05-01",
                                                                               "2019-07-01", "2019-10-01", "2019-01-01"]),
                         "AVAL": [30.0, 60.0, 90.0, 90.0, 40.0, 25.0], "AVISIT": ["BASELINE", "M2", "M4", "M6", "M9", "BASELINE"]})


def test_worst_and_last_post_baseline_records(alt):
    post = lambda d: d["AVISITN"] > 0  # noqa: E731
    worst = derive_extreme_records(alt, by_vars=["USUBJID", "PARAMCD"], order=[desc("AVAL"), "ADT"], mode="first",
                                   filter_add=post, set_values_to={"AVISIT": "WORST POST-BASELINE", "DTYPE": "MAXIMUM",
                                                                   "AVISITN": np.nan})
    new = worst.iloc[len(alt):]
    # two values of 90: the earliest (month 4) is the one kept; B has no post-baseline value, so no record
    assert new[["USUBJID", "AVAL", "ADT", "AVISIT", "DTYPE"]].values.tolist() == [
        ["A", 90.0, D("2019-05-01"), "WORST POST-BASELINE", "MAXIMUM"]]
    assert worst["DTYPE"].iloc[:len(alt)].tolist() == [""] * len(alt)  # the observed records have no DTYPE
    last = derive_extreme_records(alt, by_vars=["USUBJID", "PARAMCD"], order=["ADT"], mode="last", filter_add=post,
                                  set_values_to={"AVISIT": "LAST POST-BASELINE"})
    assert last.iloc[len(alt):]["AVAL"].tolist() == [40.0]


def test_extreme_records_report_ties(alt):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        derive_extreme_records(alt, by_vars=["USUBJID", "PARAMCD"], order=[desc("AVAL")], mode="first",
                               set_values_to={"DTYPE": "MAXIMUM"})
    assert any("in 1 group(s), the record chosen shares" in str(w.message) for w in caught)


def test_locf_carries_the_last_observation_and_its_traceability():
    observed = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"], "PARAMCD": "P", "AVISIT": ["M2", "M4", "M4", "M4"],
                             "AVISITN": [2, 4, 4, 4], "AVAL": [5.0, 4.0, NA, 3.0], "ADY": [57, 110, 120, 113],
                             "QSSEQ": [1.0, 2.0, 3.0, 9.0], "ANL01FL": ["Y", "Y", "", "Y"]})
    expected = pd.DataFrame({"AVISIT": ["M2", "M4", "M6"], "AVISITN": [2, 4, 6]}).merge(
        pd.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": "P"}), how="cross")
    out = derive_locf_records(observed, expected, by_vars=["USUBJID", "PARAMCD"], order=["AVISITN"],
                              keep_vars=["ADY", "QSSEQ"], filter=lambda d: d["ANL01FL"] == "Y")
    new = out[out["DTYPE"] == "LOCF"].sort_values(["USUBJID", "AVISITN"])
    # A's month 6 carries month 4 (not the null record); B's month 2 precedes any value: nothing to carry
    assert new[["USUBJID", "AVISIT", "AVAL", "ADY", "QSSEQ"]].values.tolist() == [
        ["A", "M6", 4.0, 110, 2.0], ["B", "M6", 3.0, 113, 9.0]]
    assert out["DTYPE"].iloc[:4].tolist() == [""] * 4


def test_verbs_never_mutate_their_input(svc, vitals, alt):
    before = [f.copy() for f in (svc, vitals, alt)]
    derive_var_base(svc, by_vars=["USUBJID", "PARAMCD"])
    derive_var_anrind(pd.DataFrame({"AVAL": [1.0], "ANRLO": [0.0], "ANRHI": [2.0]}))
    derive_param_computed(vitals, by_vars=["USUBJID", "AVISIT"], parameters=["WEIGHT"],
                          set_values_to={"PARAMCD": "X", "AVAL": lambda w: w["AVAL.WEIGHT"]})
    derive_extreme_records(alt, by_vars=["USUBJID"], order=["ADT"], mode="last", set_values_to={"DTYPE": "X"})
    for a, b in zip((svc, vitals, alt), before):
        pd.testing.assert_frame_equal(a, b)


def test_inputs_are_checked_first():
    with pytest.raises(ValueError, match=r"derive_var_base\(\): `dataset` lacks required variable\(s\) ABLFL"):
        derive_var_base(pd.DataFrame({"USUBJID": [], "AVAL": []}), by_vars=["USUBJID"])
    with pytest.raises(ValueError, match=r"derive_var_chg\(\): `dataset` lacks required variable\(s\) BASE"):
        derive_var_chg(pd.DataFrame({"AVAL": []}))
    with pytest.raises(ValueError, match="`mode` must be one of"):
        derive_extreme_records(pd.DataFrame({"A": []}), by_vars=["A"], order=[], mode="worst", set_values_to={})
    with pytest.raises(ValueError, match="dataset_ref"):
        derive_locf_records(pd.DataFrame({"U": [], "N": [], "AVAL": []}), pd.DataFrame({"U": []}), by_vars=["U"],
                            order=["N"])


def test_baseline_of_whole_numbers_and_times_of_day():
    d = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AVAL": [3, 5, 4], "ABLFL": ["Y", "", ""]})
    out = derive_var_base(d, by_vars=["USUBJID"])
    assert out["BASE"].tolist()[:2] == [3, 3] and pd.isna(out["BASE"].iloc[2])
    # times are ignored: an assessment at 08:00 on the first dose day (dosing at 10:00) is on treatment
    t = pd.DataFrame({"ADTM": [pd.Timestamp("2019-01-10 08:00")], "TRTSDTM": [pd.Timestamp("2019-01-10 10:00")]})
    assert derive_var_ontrtfl(t, start_date="ADTM", ref_start_date="TRTSDTM")["ONTRTFL"].tolist() == ["Y"]


def test_extreme_records_quiet_when_the_order_decides(alt):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = derive_extreme_records(alt, by_vars=["USUBJID", "PARAMCD"], order=[desc("AVAL"), "ADT"], mode="first",
                                     set_values_to={"DTYPE": "MAXIMUM"})
    assert out.iloc[len(alt):]["AVAL"].tolist() == [90.0, 25.0]


def test_partial_dates_baseline_and_unscheduled_visits_end_to_end():
    """SVC records as SDTM gives them, through ADT, ADY, windows, ABLFL, BASE, CHG and ANL01FL.

    A has two pre-dose values (screening and baseline day) and an unscheduled visit near month 2; B's
    baseline is missing and one visit date is known to the month only; C's baseline day has two
    assessments, which --SEQ orders."""
    from cdisc_mirocals.adam.derive import derive_var_extreme_flag, derive_vars_dt, derive_vars_dy

    re = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B", "B", "B", "C", "C"], "PARAMCD": "SVCPP",
        "RESEQ": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 1.0, 2.0],
        "VISIT": ["SCREENING", "BASELINE", "MONTH 2", "UNSCHEDULED", "SCREENING", "MONTH 2", "MONTH 4",
                  "BASELINE", "BASELINE"],
        "REDTC": ["2018-10-01", "2019-01-10", "2019-03-20", "2019-03-05", "2018-10-01", "2019-03", "2019-05-08",
                  "2019-01-10", "2019-01-10"],
        "AVAL": [95.0, 90.0, 84.0, 86.0, 99.0, 92.0, 90.0, 70.0, 72.0]})
    re["TRTSDT"] = D("2019-01-10")
    out = derive_vars_dt(re, new_vars_prefix="A", dtc="REDTC")  # day not imputed: B's 2019-03 has no ADT
    out = derive_vars_dy(out, reference_date="TRTSDT", source_vars={"ADY": "ADT"})
    out = derive_vars_visit_window(out, windows=WINDOWS)
    out = derive_var_extreme_flag(out, by_vars=["USUBJID", "PARAMCD"], order=["ADT", "RESEQ"], new_var="ABLFL",
                                  mode="last", filter=lambda d: (d["ADT"] <= d["TRTSDT"]) & d["AVAL"].notna())
    out = derive_var_chg(derive_var_base(out, by_vars=["USUBJID", "PARAMCD"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # --SEQ breaks C's tie on the baseline day: no warning
        out = derive_var_anl_flag(out, by_vars=["USUBJID", "PARAMCD", "AVISIT"],
                                  order=["AWTDIFF", desc("ADY"), desc("RESEQ")])
    got = out.set_index(["USUBJID", "RESEQ"])
    # A: the day-1 value is the baseline (last on or before first dose), not screening
    assert got.loc[("A", 2.0), "ABLFL"] == "Y" and got.loc[("A", 1.0), "ABLFL"] == ""
    # the unscheduled visit on day 55 is 2 days from month 2's target, nearer than day 70 (13): it is analysed
    assert got.loc[("A", 4.0), ["AVISIT", "AWTDIFF", "ANL01FL", "CHG"]].tolist() == ["MONTH 2", 2, "Y", -4.0]
    assert got.loc[("A", 3.0), ["AVISIT", "ANL01FL"]].tolist() == ["MONTH 2", ""]
    # B: no value on the baseline day: screening, the last value before first dose, is the baseline
    assert got.loc[("B", 1.0), "ABLFL"] == "Y" and got.loc[("B", 3.0), "CHG"] == -9.0
    # B's month-only date: no ADT, no ADY, no window, no analysis flag, but the change is still computed
    assert pd.isna(got.loc[("B", 2.0), "ADT"]) and got.loc[("B", 2.0), ["AVISIT", "ANL01FL"]].tolist() == ["", ""]
    # C: two values on the baseline day; the later by --SEQ is the baseline
    assert got.loc[("C", 2.0), "ABLFL"] == "Y" and got.loc[("C", 1.0), "CHG"] == -2.0
    assert got.loc[("C", 2.0), "ANL01FL"] == "Y" and got.loc[("C", 1.0), "ANL01FL"] == ""


def test_one_record_per_group_with_null_keys_and_either_end():
    from cdisc_mirocals.adam.derive.order import pick, sort_by

    d = pd.DataFrame({"U": ["B", "A", None, "A", None, "B"], "V": [1.0, 2.0, 3.0, 1.0, 4.0, NA]})
    ordered = sort_by(d, ["U"], [desc("V")])
    assert pick(ordered, ["U"], "first")["V"].tolist() == [2.0, 1.0, 4.0]  # B's null V sorts last even descending
    assert pick(ordered, ["U"], "last")["V"].fillna(-1).tolist() == [1.0, -1.0, 3.0]
    typed = sort_by(d.astype({"U": "string", "V": "Float64"}), ["U"], [desc("V")])
    assert pick(typed, ["U"], "first")["V"].tolist() == [2.0, 1.0, 4.0]
