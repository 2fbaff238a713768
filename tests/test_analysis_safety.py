"""The safety summary on a small ADSL and ADAE built by hand, with every expected count worked out;
and the proportion estimators against Newcombe (1998) and R's prop.test."""

import math

import pandas as pd
import pytest

from cdisc_mirocals.analysis.data import Dataset, Options
from cdisc_mirocals.analysis.proportions import relative_risk, risk_difference, wilson
from cdisc_mirocals.analysis.report import SAFETY_TABLES
from cdisc_mirocals.analysis.safety import safety

# Newcombe RG. Interval estimation for the difference between independent proportions: comparison of
# eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (score, no continuity correction)
NEWCOMBE_METHOD_10 = [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
                      ((6, 7, 2, 7), (0.0582, 0.8062)), ((5, 56, 0, 29), (-0.0381, 0.1926)),
                      ((0, 10, 0, 20), (-0.1611, 0.2775)), ((0, 10, 0, 10), (-0.2775, 0.2775)),
                      ((10, 10, 0, 20), (0.6791, 1.0000)), ((10, 10, 0, 10), (0.6075, 1.0000))]


@pytest.mark.parametrize("counts,limits", NEWCOMBE_METHOD_10)
def test_risk_difference_ci_reproduces_newcombe_table_ii(counts, limits):
    d, lo, hi = risk_difference(*counts)
    assert d == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (lo, hi) == pytest.approx(limits, abs=5e-5)


def test_wilson_matches_r_prop_test_without_correction():
    # R: prop.test(56, 70, correct = FALSE)$conf.int; prop.test(5, 56, correct = FALSE)$conf.int
    assert wilson(56, 70) == pytest.approx((0.6918335550, 0.8769526075), abs=1e-9)
    assert wilson(5, 56) == pytest.approx((0.03874214845, 0.19256001386), abs=1e-10)


def test_relative_risk_by_hand_with_the_zero_cell_correction():
    rr, lo, hi = relative_risk(10, 50, 5, 50)
    se = math.sqrt(1 / 10 - 1 / 50 + 1 / 5 - 1 / 50)
    assert (rr, lo, hi) == pytest.approx((2.0, 2 * math.exp(-1.959964 * se), 2 * math.exp(1.959964 * se)), rel=1e-6)
    rr, _, _ = relative_risk(3, 20, 0, 20)  # 0.5 added to each count of both arms
    assert rr == pytest.approx((3.5 / 21) / (0.5 / 21))
    assert all(math.isnan(v) for v in relative_risk(0, 20, 0, 20))


P, A = "Placebo", "Active"
ADSL = pd.DataFrame({
    "USUBJID": [f"S{i}" for i in range(1, 8)],
    "SAFFL": ["Y"] * 6 + ["N"],
    "TRT01A": [P, P, P, A, A, A, A],
    "TRT01AN": [0, 0, 0, 1, 1, 1, 1],
    "NCYCLE": [19, 10, 1, 19, 5, 19, 2.0],
})
GEN, NER, CAR, GI = ("General disorders and administration site conditions", "Nervous system disorders",
                     "Cardiac disorders", "Gastrointestinal disorders")
AE_COLUMNS = ["USUBJID", "TRTEMFL", "AEBODSYS", "AEDECOD", "ASEV", "AREL", "AESER", "AEACN", "AESDTH", "AEOUT"]
ADAE = pd.DataFrame([
    ("S1", "Y", NER, "Headache", "MILD", "NOT RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),
    ("S1", "Y", NER, "Headache", "MODERATE", "NOT RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),
    ("S1", "", GI, "Nausea", "MILD", "NOT RELATED", "N", "NOT APPLICABLE", "N", "RECOVERED/RESOLVED"),  # before dosing
    ("S2", "Y", GEN, "Injection site reaction", "MILD", "RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),
    ("S4", "Y", GEN, "Injection site reaction", "MODERATE", "RELATED", "N", "DOSE NOT CHANGED", "N",
     "RECOVERED/RESOLVED"),
    ("S4", "Y", GEN, "Injection site reaction", "MILD", "RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),
    ("S4", "Y", NER, "Headache", "SEVERE", "NOT RELATED", "Y", "DRUG WITHDRAWN", "N", "RECOVERED/RESOLVED"),
    ("S5", "Y", GI, "Nausea", "MODERATE", "NOT RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),
    ("S5", "Y", CAR, "Cardiac arrest", "SEVERE", "NOT RELATED", "Y", "NOT APPLICABLE", "Y", "FATAL"),
    ("S7", "Y", NER, "Headache", "MILD", "NOT RELATED", "N", "DOSE NOT CHANGED", "N", "RECOVERED/RESOLVED"),  # not SAFFL
], columns=AE_COLUMNS)


def _dataset(name, frame):
    return Dataset(name, frame, {"SAFFL": "Safety Population Flag", "NCYCLE": "Number of Treatment Cycles Started"},
                   None, "")


@pytest.fixture(scope="module")
def summary():
    return safety(_dataset("ADSL", ADSL), _dataset("ADAE", ADAE),
                  Options(reference=P, exposure_vars=("NCYCLE",)))


def _subjects(result, name, **where):
    t = result.summary
    sel = (t["name"] == name) & (t["measure"] == "subjects")
    for k, v in where.items():
        sel &= t[k] == v
    return {r["group"]: (int(r["n"]), int(r["denominator"]), int(r["events"])) for _, r in t[sel].iterrows()}


def test_overview_counts_subjects_once_and_events_as_records(summary):
    overview = summary["overview"]
    expected = {  # (subjects, N, events) per arm, worked out from ADAE above
        "any": {P: (2, 3, 3), A: (2, 3, 5)}, "related": {P: (1, 3, 1), A: (1, 3, 2)},
        "serious": {P: (0, 3, 0), A: (2, 3, 2)}, "severe": {P: (0, 3, 0), A: (2, 3, 2)},
        "discontinued": {P: (0, 3, 0), A: (1, 3, 1)}, "fatal": {P: (0, 3, 0), A: (1, 3, 1)},
        "site_reaction": {P: (1, 3, 1), A: (1, 3, 2)},
    }
    for name, counts in expected.items():
        assert _subjects(overview, name) == counts, name
    assert overview.population == "Safety population" and overview.n == 6 and overview.events == 8


def test_risk_difference_rows_are_active_minus_reference_in_percentage_points(summary):
    t = summary["overview"].summary
    row = t[(t["name"] == "serious") & (t["measure"] == "risk_difference")].iloc[0]
    d, lo, hi = risk_difference(2, 3, 0, 3)
    assert row["group"] == f"{A} - {P}"
    assert (row["estimate"], row["ci_lower"], row["ci_upper"]) == pytest.approx((100 * d, 100 * lo, 100 * hi))


def test_soc_and_pt_sorted_by_frequency_then_alphabetically(summary):
    t = summary["soc_pt"].summary
    counts = t[t["measure"] == "subjects"]
    order = counts.drop_duplicates(["name", "soc", "pt"])[["name", "soc", "pt"]].values.tolist()
    assert order == [["any", None, None], ["soc", GEN, None], ["pt", GEN, "Injection site reaction"],
                     ["soc", NER, None], ["pt", NER, "Headache"], ["soc", CAR, None], ["pt", CAR, "Cardiac arrest"],
                     ["soc", GI, None], ["pt", GI, "Nausea"]]
    assert _subjects(summary["soc_pt"], "pt", pt="Headache") == {P: (1, 3, 2), A: (1, 3, 1)}
    assert _subjects(summary["soc_pt"], "pt", pt="Nausea") == {P: (0, 3, 0), A: (1, 3, 1)}  # S1's is pre-treatment
    rr = t[(t["pt"] == "Nausea") & (t["measure"] == "relative_risk")].iloc[0]
    assert rr["estimate"] == pytest.approx(relative_risk(1, 3, 0, 3)[0])


def test_maximum_severity_counts_each_subject_once_at_the_worst_grade(summary):
    t = summary["severity"].summary
    worst = t[t["name"] == "any"].set_index(["group", "severity"])["n"]
    assert worst[(P, "MILD")] == 1 and worst[(P, "MODERATE")] == 1 and worst[(P, "SEVERE")] == 0  # S2, S1
    assert worst[(A, "MILD")] == 0 and worst[(A, "MODERATE")] == 0 and worst[(A, "SEVERE")] == 2  # S4, S5
    headache = t[(t["name"] == "pt") & (t["pt"] == "Headache")].set_index(["group", "severity"])["n"]
    assert headache[(P, "MODERATE")] == 1 and headache[(P, "MILD")] == 0  # S1: mild then moderate


def test_serious_teaes_and_exposure(summary):
    serious = summary["serious"]
    assert _subjects(serious, "any") == {P: (0, 3, 0), A: (2, 3, 2)}
    socs = serious.summary[serious.summary["name"] == "soc"]["soc"].drop_duplicates().tolist()
    assert socs == [CAR, NER]  # one subject each: alphabetical
    table = SAFETY_TABLES["serious"](serious)
    assert table.index[0] == "Any serious TEAE" and table.iloc[0, 1].startswith("2 (66.7)")  # not "Any TEAE"
    exposure = summary["exposure"].summary.set_index("group")
    assert exposure.loc[P, "n"] == 3 and exposure.loc[P, "mean"] == pytest.approx(10)  # (19 + 10 + 1) / 3
    assert exposure.loc[A, "median"] == 19 and exposure.loc[A, "min"] == 5  # S7 is not in the safety population


def test_a_characteristic_adae_does_not_collect_is_left_out_with_a_note():
    no_action = ADAE.assign(AEACN="")
    result = safety(_dataset("ADSL", ADSL), _dataset("ADAE", no_action), Options(reference=P))["overview"]
    assert "discontinued" not in set(result.summary["name"])
    assert any("AEACN" in n for n in result.notes)


def test_no_adae_or_one_arm_is_a_reason_not_a_crash():
    without = safety(_dataset("ADSL", ADSL), None, Options(reference=P, exposure_vars=("NCYCLE",)))
    assert not without["overview"].done and "no adae.xpt" in without["overview"].skipped
    assert without["exposure"].done
    one_arm = safety(_dataset("ADSL", ADSL[ADSL["TRT01A"] == A]), _dataset("ADAE", ADAE), Options(reference=P))
    t = one_arm["overview"].summary
    assert set(t["measure"]) == {"subjects"}  # no reference arm: counts without comparisons
