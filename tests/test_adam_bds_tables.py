"""The two tables of specs/adam the BDS toolkit reads: laboratory toxicity grades from the CTCAE v5.0
table, on values worked by hand from the CTCAE v5.0 criteria; the analysis visit windows against the
protocol's schedule; and the checks made when both tables load."""

import shutil

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.adam.derive import derive_var_atoxgr, derive_var_atoxgr_dir, toxicity_terms
from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.spec.grading import parse_criterion

NA = np.nan


def grade(spec, term, direction, aval, anrlo=NA, anrhi=NA, base=NA, bnrind="", unit=""):
    d = pd.DataFrame({"TERM": term, "AVAL": aval, "ANRLO": anrlo, "ANRHI": anrhi, "BASE": base, "BNRIND": bnrind,
                      "UNIT": unit})
    out = derive_var_atoxgr_dir(d, new_var="G", tox_description_var="TERM", grading=spec.grading,
                                criteria_direction=direction, unit_var="UNIT")
    return out["G"].tolist()


def test_anaemia_by_absolute_limits_and_the_lower_limit(spec):
    # g/L: <80 grade 3, <100 grade 2, <LLN grade 1; 80 itself is grade 2, 100 itself grade 1
    values = [75, 80, 99, 100, 119, 120, 130, NA]
    assert grade(spec, "Anemia", "L", values, anrlo=120, unit="g/L") == ["3", "2", "2", "1", "1", "0", "0", ""]
    # without a lower limit, grades 2 and 3 still hold; grade 1 or 0 cannot be told
    assert grade(spec, "Anemia", "L", [75, 95, 115], unit="g/L") == ["3", "2", ""]
    # an absolute limit in g/L does not grade a value in g/dL
    assert grade(spec, "Anemia", "L", [7.5], anrlo=12, unit="g/dL") == [""]


def test_haemoglobin_increase_above_the_upper_limit_or_a_high_baseline(spec):
    term = "Hemoglobin increased"
    # 2 g/dL is 20 g/L: above a ULN of 170, 171 is grade 1, 191 grade 2, 211 grade 3
    assert grade(spec, term, "H", [170, 171, 190, 191, 211], anrhi=170, bnrind="NORMAL", unit="g/L") == \
        ["0", "1", "1", "2", "3"]
    # a baseline of 180 above the ULN: the increase counts from the baseline (CTCAE v5.0's definition)
    assert grade(spec, term, "H", [175, 181, 201], anrhi=170, base=180, bnrind="HIGH", unit="g/L") == ["0", "1", "2"]


def test_alt_against_the_upper_limit_or_an_abnormal_baseline(spec):
    alt = "Alanine aminotransferase increased"
    # normal baseline: >ULN 1, >3 ULN 2, >5 ULN 3, >20 ULN 4 (ULN 40)
    assert grade(spec, alt, "H", [40, 41, 120, 121, 200, 201, 800, 801], anrhi=40, bnrind="NORMAL") == \
        ["0", "1", "1", "2", "2", "3", "3", "4"]
    # abnormal (high) baseline of 60: grade 1 from 1.5 x baseline (90, inclusive), 2 above 3 x (180)
    assert grade(spec, alt, "H", [80, 90, 180, 181], anrhi=40, base=60, bnrind="HIGH") == ["0", "1", "1", "2"]
    # no baseline: graded as a normal baseline, as admiral does; no upper limit: not gradable
    assert grade(spec, alt, "H", [130], anrhi=40) == ["2"]
    assert grade(spec, alt, "H", [130], bnrind="NORMAL") == [""]


def test_creatinine_against_the_upper_limit_or_the_baseline(spec):
    term = "Creatinine increased"
    # ULN 110, baseline 60: 85 is normal; 95 > 1.5 x baseline (90) is grade 2 even below the ULN,
    # 181 > 3 x baseline grade 3, 661 > 6 x ULN grade 4
    assert grade(spec, term, "H", [85, 95, 181, 661], anrhi=110, base=60) == ["0", "2", "3", "4"]
    # without a baseline the baseline criteria are simply not met
    assert grade(spec, term, "H", [120, 170, 340], anrhi=110) == ["1", "2", "3"]


def test_haematology_counts(spec):
    assert grade(spec, "Neutrophil count decreased", "L", [0.4, 0.5, 0.99, 1.49, 1.9, 2.0], anrlo=2.0,
                 unit="10^9/L") == ["4", "3", "3", "2", "1", "0"]
    assert grade(spec, "Platelet count decreased", "L", [24, 49, 74, 149, 150], anrlo=150, unit="10^9/L") == \
        ["4", "3", "2", "1", "0"]
    assert grade(spec, "Lymphocyte count increased", "H", [3.9, 4.1, 20.5], anrhi=4.0, unit="10^9/L") == \
        ["0", "2", "3"]
    assert grade(spec, "Eosinophilia", "H", [0.6, 0.6, 0.4], anrhi=0.5, base=[0.3, 0.7, 0.3]) == ["1", "0", "0"]


def test_the_signed_grade_combines_both_directions():
    d = pd.DataFrame({"ATOXDSCL": ["Anemia", "Anemia", "Anemia", "Anemia", "", "Anemia"],
                      "ATOXDSCH": ["Hemoglobin increased", "Hemoglobin increased", "Hemoglobin increased", "", "X", "Y"],
                      "ATOXGRL": ["2", "0", "0", "0", "", ""], "ATOXGRH": ["0", "1", "0", "", "", "0"]})
    out = derive_var_atoxgr(d)
    # the last: the low direction has a term it could not grade, so the record cannot be called normal
    assert out["ATOXGR"].tolist() == ["-2", "1", "0", "0", "", ""]


def test_grading_needs_the_table_of_specs():
    with pytest.raises(ValueError, match="`grading` must be the grading table of specs"):
        toxicity_terms(pd.DataFrame({"PARAMCD": [], "AVAL": []}), grading=None)


def test_terms_by_parameter_come_from_specs(spec):
    d = pd.DataFrame({"PARAMCD": ["HGB", "ALT", "NFHP", "HGB"], "AVAL": [130.0, 20.0, 900.0, NA]})
    out = toxicity_terms(d, grading=spec.grading)
    assert out["ATOXDSCL"].tolist() == ["Anemia", "", "", ""]
    assert out["ATOXDSCH"].tolist() == ["Hemoglobin increased", "Alanine aminotransferase increased", "", ""]


def test_every_graded_laboratory_test_of_the_study_has_terms(spec):
    """The chemistry and haematology tests the study collects are all graded (CSF pNFH is not a safety test)."""
    collected = set(spec.sdtm.codelists["LBTESTCD"].values) - {"NFHP"}
    assert collected <= set(spec.grading.terms_by_parameter)
    terms = spec.grading.terms
    for low, high in spec.grading.terms_by_parameter.values():
        assert (not low or terms[low] == "L") and (not high or terms[high] == "H")


def test_criterion_parser_reads_sums_products_and_text_tests():
    c = parse_criterion("BNRIND is not HIGH and AVAL > 3 * ANRHI or AVAL - BASE >= 20")
    assert len(c.alternatives) == 2 and c.variables == ("BNRIND", "AVAL", "ANRHI", "BASE")
    assert c.alternatives[1][0].left.terms == ((1.0, "AVAL"), (-1.0, "BASE"))
    with pytest.raises(ValueError):
        parse_criterion("AVAL >> ULN")


def _copy_specs(tmp_path):
    root = tmp_path / "specs"
    shutil.copytree(load_spec().root, root)
    return root


def test_a_bad_grading_row_is_reported_with_file_and_line(tmp_path):
    root = _copy_specs(tmp_path)
    sheet = root / "adam" / "ctcae_v5.csv"
    lines = sheet.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("AVAL < 100", "AVAL under 100").replace(",2,2,", ",2,7,")
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(root)
    text = str(err.value)
    assert "adam/ctcae_v5.csv:3, column Criterion" in text and "ctcae_v5.csv:3, column Grade" in text


def test_overlapping_or_untargeted_windows_are_reported(tmp_path):
    root = _copy_specs(tmp_path)
    sheet = root / "adam" / "visit_windows.csv"
    text = sheet.read_text(encoding="utf-8").replace("MONTH 4,86,141", "MONTH 4,80,141")
    text += '"ADQS",24,MONTH 24,700,800,,DAYS\n'
    sheet.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(root)
    message = str(err.value)
    assert "adam/visit_windows.csv" in message and "must not overlap" in message
    assert "planned in study.toml" in message


def test_window_targets_are_the_planned_days_of_the_schedule(spec):
    planned = {v["visit"]: v["day"] for v in spec.study["schedule"]["visits"]}
    windows = [w for w in spec.windows if w.dataset == "ADQS"]
    assert [w.avisit for w in windows][:3] == ["BASELINE", "MONTH 2", "MONTH 4"]
    for w in windows:
        assert w.awtarget == planned[w.avisit]
        assert (w.awlo is None or w.awlo <= w.awtarget) and (w.awhi is None or w.awtarget <= w.awhi)


def test_each_protocol_visit_window_lies_inside_its_analysis_window(spec):
    """A visit done on any day the protocol allows (planned day +- window, study.toml) is analysed as
    that visit: the analysis windows hold the protocol's, and cover the days between visits once."""
    from cdisc_mirocals.adam.derive import derive_vars_visit_window
    from cdisc_mirocals.spec.windows import windows_for

    planned = [v for v in spec.study["schedule"]["visits"] if v["visit"] != "SCREENING"]
    for dataset in ("ADQS", "ADRE", "ADVS", "ADLB"):
        days = pd.DataFrame([{"VISIT": v["visit"], "ADY": v["day"] + shift}
                             for v in planned for shift in range(-v["window"], v["window"] + 1)])
        out = derive_vars_visit_window(days, windows=windows_for(spec.windows, dataset))
        assert (out["AVISIT"] == out["VISIT"]).all(), dataset
        between = derive_vars_visit_window(pd.DataFrame({"ADY": range(1, 655)}),
                                           windows=windows_for(spec.windows, dataset))
        assert (between["AVISIT"] != "").all()
