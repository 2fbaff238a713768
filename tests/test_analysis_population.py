"""Table 1 and disposition on small ADSL and SDTM frames built by hand, and the CONSORT diagram."""

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.analysis.baseline import table1
from cdisc_mirocals.analysis.consort import consort_figure
from cdisc_mirocals.analysis.data import Dataset, OptionError, Options
from cdisc_mirocals.analysis.disposition import disposition
from cdisc_mirocals.analysis.tables import disposition_table, table1_table

P, A = "Placebo", "Active"
LABELS = {"AGE": "Age", "SEX": "Sex", "ELESCAT": "El Escorial Category", "ITTFL": "Intent-To-Treat Population Flag"}
ADSL = pd.DataFrame({
    "USUBJID": ["R1", "R2", "R3", "R4", "X1"],
    "ITTFL": ["Y", "Y", "Y", "Y", "N"],
    "SAFFL": ["Y", "Y", "Y", "N", "N"],
    "TRT01P": [P, P, A, A, ""],
    "TRT01PN": [0, 0, 1, 1, np.nan],
    "AGE": [50.0, 60.0, 70.0, 80.0, 99.0],
    "SEX": ["F", "M", "F", "F", "M"],
    "ELESCAT": ["PROBABLE", "DEFINITE", "", "PROBABLE", "POSSIBLE"],
    "ELESCATN": [2, 1, np.nan, 2, 4],
    "EOSSTT": ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "COMPLETED", ""],
    "DCSREAS": ["", "WITHDRAWAL BY SUBJECT", "DEATH", "", ""],
    "DTHFL": ["", "", "Y", "", ""],
})
OPTIONS = Options(reference=P, baseline_vars=("AGE", "SEX", "ELESCAT", "NOTHERE"))


def _ds(name, frame, standard="ADaM"):
    return Dataset(name, frame, LABELS, None, "", standard)


@pytest.fixture(scope="module")
def t1():
    return table1(_ds("ADSL", ADSL), OPTIONS)


def test_table1_continuous_by_arm_and_total_by_hand(t1):
    age = t1.summary[t1.summary["name"] == "AGE"].set_index("group")
    assert age.loc[P, ["n", "mean", "median", "min", "max"]].tolist() == [2, 55, 55, 50, 60]
    assert age.loc[P, "sd"] == pytest.approx(np.sqrt(50))  # (25 + 25) / 1
    assert age.loc["Total", ["mean", "q1", "q3"]].tolist() == [65, 57.5, 72.5]  # R type 7; X1 is not ITT
    assert age.loc["Total", "sd"] == pytest.approx(np.std([50, 60, 70, 80], ddof=1))


def test_table1_categories_in_the_order_of_their_numeric_companion_with_missing(t1):
    el = t1.summary[(t1.summary["name"] == "ELESCAT")]
    assert el["category"].drop_duplicates().tolist() == ["DEFINITE", "PROBABLE", "Missing"]
    counts = el.set_index(["category", "group"])
    assert counts.loc[("PROBABLE", A), "n"] == 1 and counts.loc[("PROBABLE", A), "pct"] == 50
    assert counts.loc[("Missing", A), "n"] == 1 and counts.loc[("PROBABLE", "Total"), "n"] == 2
    sex = t1.summary[t1.summary["name"] == "SEX"].set_index(["category", "group"])["n"]
    assert sex[("F", P)] == 1 and sex[("M", P)] == 1 and sex[("F", A)] == 2 and sex[("M", A)] == 0


def test_table1_labels_from_the_xpt_and_a_missing_variable_is_a_note(t1):
    assert t1.summary["label"].drop_duplicates().tolist() == ["Age", "Sex", "El Escorial Category"]
    assert t1.notes == ["not in ADSL, so not in Table 1: NOTHERE"]
    table = table1_table(t1)
    assert table.columns.tolist() == [f"{P} (N = 2)", f"{A} (N = 2)", "Total (N = 4)"]
    assert table.loc["    Mean (SD)"].iloc[0] == "55.0 (7.1)"


DM = pd.DataFrame({"USUBJID": ["R1", "R2", "R3", "R4", "F1", "F2"]})
DS = pd.DataFrame({  # R4 was randomised and withdrew before any dose (SAFFL N): not a treatment discontinuation
    "USUBJID": ["F1", "F2", "R1", "R2", "R3", "R4"],
    "DSCAT": ["DISPOSITION EVENT"] * 6, "DSSCAT": ["STUDY PARTICIPATION"] * 2 + ["STUDY TREATMENT"] * 4,
    "DSDECOD": ["SCREEN FAILURE", "SCREEN FAILURE", "COMPLETED", "ADVERSE EVENT", "DEATH", "WITHDRAWAL BY SUBJECT"],
    "DSTERM": ["SCREEN FAILURE"] * 2 + ["COMPLETED", "ADVERSE EVENT", "DEATH", "WITHDREW BEFORE THE FIRST DOSE"],
    "DSSTDTC": ["2020-01-01"] * 6,
})
IE = pd.DataFrame({
    "USUBJID": ["F1", "F1", "F2", "R1"], "IECAT": ["INCLUSION", "EXCLUSION", "INCLUSION", "INCLUSION"],
    "IETEST": ["Aged 18 to 75", "Tracheostomy", "Aged 18 to 75", "Aged 18 to 75"], "IEORRES": ["N", "Y", "N", "N"],
})


@pytest.fixture(scope="module")
def disp():
    sdtm = {"DM": _ds("DM", DM, "SDTM"), "DS": _ds("DS", DS, "SDTM"), "IE": _ds("IE", IE, "SDTM")}
    return disposition(_ds("ADSL", ADSL), sdtm, OPTIONS)


def _n(result, name, group, category=None):
    t = result.summary
    sel = (t["name"] == name) & (t["group"] == group)
    if category is not None:
        sel &= t["category"] == category
    return t[sel]["n"].tolist()


def test_disposition_counts_by_hand(disp):
    assert _n(disp, "screened", "Total") == [6] and _n(disp, "screen_failure", "Total") == [2]
    assert _n(disp, "screen_failure_group", "Total", "Did not meet an inclusion criterion") == [2]
    assert _n(disp, "screen_failure_group", "Total", "Met an exclusion criterion") == [1]
    assert _n(disp, "screen_failure_reason", "Total", "Aged 18 to 75") == [2]  # R1's IE record is not a failure
    expected = {"randomised": (2, 2, 4), "treated": (2, 1, 3), "not_treated": (0, 1, 1),
                "completed_treatment": (1, 0, 1), "discontinued_treatment": (1, 1, 2), "completed_study": (1, 1, 2),
                "discontinued_study": (1, 1, 2), "died": (0, 1, 1), "analysed": (2, 2, 4)}
    for name, (p, a, total) in expected.items():
        assert (_n(disp, name, P), _n(disp, name, A), _n(disp, name, "Total")) == ([p], [a], [total]), name
    assert _n(disp, "discontinued_treatment_reason", P, "Adverse event") == [1]
    assert _n(disp, "discontinued_study_reason", A, "Death") == [1]
    t = disp.summary
    assert t[(t["name"] == "treated") & (t["group"] == A)]["pct"].tolist() == [50]


def test_treated_subjects_add_up_to_completed_and_discontinued_treatment(disp):
    for arm in (P, A, "Total"):
        assert _n(disp, "treated", arm) == [a + b for a, b in zip(_n(disp, "completed_treatment", arm),
                                                                  _n(disp, "discontinued_treatment", arm))], arm
    assert _n(disp, "discontinued_treatment_reason", A, "Withdrawal by subject") == []


def test_table1_decodes_codes_and_takes_the_variables_asked_for():
    options = Options(reference=P, baseline_vars=("SEX", "AGE"), explicit=frozenset({"baseline_vars"}),
                      decodes={"SEX": {"F": "Female", "M": "Male"}})
    result = table1(_ds("ADSL", ADSL), options)
    assert result.summary["name"].drop_duplicates().tolist() == ["SEX", "AGE"]
    sex = result.summary[result.summary["name"] == "SEX"].set_index(["category", "group"])["n"]
    assert sex[("Female", A)] == 2 and sex[("Male", P)] == 1 and result.notes == []
    with pytest.raises(OptionError, match="--table1-vars: NOTHERE is not in ADSL"):
        table1(_ds("ADSL", ADSL), Options(reference=P, baseline_vars=("AGE", "NOTHERE"),
                                          explicit=frozenset({"baseline_vars"})))


def test_another_studys_adsl_shows_its_standard_demographics():
    options = Options(reference=P, baseline_vars=("AGE", "ONSETSIT", "PNFHBL"), baseline_standard=("AGE", "SEX", "RACE"))
    result = table1(_ds("ADSL", ADSL), options)
    assert result.summary["name"].drop_duplicates().tolist() == ["AGE", "SEX"]
    assert result.notes == ["not in ADSL, so not in Table 1: ONSETSIT, PNFHBL"]


def test_disposition_without_sdtm_skips_screening_with_a_note():
    result = disposition(_ds("ADSL", ADSL), {}, OPTIONS)
    assert "screened" not in set(result.summary["name"]) and _n(result, "randomised", "Total") == [4]
    assert any("SDTM DM" in n for n in result.notes) and any("STUDY TREATMENT" in n for n in result.notes)


def test_disposition_table_and_consort_diagram(disp, tmp_path):
    table = disposition_table(disp)
    assert table.loc["Randomised"].tolist() == ["2 (100.0)", "2 (100.0)", "4 (100.0)"]
    paths = consort_figure(disp, tmp_path / "consort")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    svg = paths[1].read_text()
    for text in ("Assessed for eligibility", "Excluded", "Randomised", "Allocated to Active", "Analysed"):
        assert text in svg, text
