"""The exposure summary (EXPOSURE/summary): a case worked by hand, the study's numbers against ADEX read
back, and its ARM entry."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.analysis.data import Dataset, Options
from cdisc_mirocals.analysis.exposure import KEY, exposure_summary
from cdisc_mirocals.analysis.tables import exposure_table

OPTIONS = Options(reference="Placebo", safety_population="SAFFL", safety_treatment_var="TRT01A",
                  exposure_params=("TDOSE", "RDI", "NCYCLE"))


def _dataset(name, frame):
    return Dataset(name, frame, {c: c for c in frame.columns}, Path(f"{name.lower()}.xpt"), "")


def _hand_case():
    adsl = pd.DataFrame({"USUBJID": ["P1", "P2", "P3", "A1", "A2", "X"],
                         "SAFFL": ["Y", "Y", "Y", "Y", "Y", "N"],
                         "TRT01A": ["Placebo"] * 3 + ["Aldesleukin 2 MIU"] * 2 + [""]})
    overall = [("P1", "RDI", 100.0), ("P2", "RDI", 80.0), ("P3", "RDI", 90.0), ("A1", "RDI", 50.0),
               ("P1", "TDOSE", 0.0), ("P2", "TDOSE", 0.0), ("P3", "TDOSE", 0.0), ("A1", "TDOSE", 38.0),
               ("A2", "TDOSE", 190.0), ("X", "RDI", 10.0)]
    adex = pd.DataFrame([{"USUBJID": s, "PARAMCD": p, "PARAM": f"param {p}", "AVAL": v, "AVISIT": ""}
                         for s, p, v in overall])
    # a per-cycle record is not an overall one, whatever its PARAMCD
    adex = pd.concat([adex, pd.DataFrame([{"USUBJID": "P1", "PARAMCD": "RDI", "PARAM": "param RDI", "AVAL": 0.0,
                                           "AVISIT": "CYCLE 1"}])], ignore_index=True)
    return _dataset("ADSL", adsl), _dataset("ADEX", adex)


def test_exposure_summary_by_hand():
    adsl, adex = _hand_case()
    result = exposure_summary(adex, adsl, OPTIONS)
    assert result.done and result.key == KEY and result.n == 5  # X is not in the safety population
    assert result.parameters["n_by_arm"] == {"Placebo": 3, "Aldesleukin 2 MIU": 2}
    assert result.parameters["parameters"] == ["TDOSE", "RDI"]
    assert result.notes == ["not in ADEX, so not in the exposure summary: NCYCLE"]
    rdi = result.summary[result.summary["name"] == "RDI"].set_index("group")
    # placebo 100, 80, 90: mean 90, SD sqrt((100 + 100 + 0) / 2) = 10, quartiles (type 7) 85 and 95
    p = rdi.loc["Placebo"]
    assert (p["n"], p["mean"], p["sd"], p["median"], p["q1"], p["q3"], p["min"], p["max"]) == \
        (3, 90, 10, 90, 85, 95, 80, 100)
    # A2 has no RDI record: counted in N = 2, not in n = 1; one value has no SD
    a = rdi.loc["Aldesleukin 2 MIU"]
    assert (a["n"], a["mean"], a["median"], a["min"], a["max"]) == (1, 50, 50, 50, 50) and math.isnan(a["sd"])
    dose = result.summary[result.summary["name"] == "TDOSE"].set_index("group").loc["Aldesleukin 2 MIU"]
    # 38 and 190: mean 114, SD = |190 - 38| / sqrt(2)
    assert (dose["n"], dose["mean"], dose["median"]) == (2, 114, 114)
    assert dose["sd"] == pytest.approx(152 / math.sqrt(2), rel=1e-12)
    assert rdi.loc["Placebo", "label"] == "param RDI"


def test_counts_print_their_minimum_and_maximum_as_whole_numbers():
    """A parameter whose every value is a whole number prints min and max without decimals; one that is not
    keeps one decimal; the derived statistics (mean, median, quartiles) keep one decimal either way."""
    adsl, adex = _hand_case()
    adex.frame.loc[(adex.frame["USUBJID"] == "P2") & (adex.frame["PARAMCD"] == "RDI"), "AVAL"] = 80.5
    result = exposure_summary(adex, adsl, OPTIONS)
    assert result.parameters["whole_numbers"] == ["TDOSE"]
    table = exposure_table(result)
    dose = table.index.get_loc("param TDOSE")
    assert table.iloc[dose + 4].tolist() == ["0, 0", "38, 190"]  # Min, max
    assert table.iloc[dose + 3].tolist() == ["0.0 (0.0, 0.0)", "114.0 (76.0, 152.0)"]  # Median (Q1, Q3)
    rdi = table.index.get_loc("param RDI")
    assert table.iloc[rdi + 4].tolist() == ["80.5, 100.0", "50.0, 50.0"]


def test_exposure_summary_skips_with_its_reason():
    adsl, adex = _hand_case()
    assert "no adex.xpt" in exposure_summary(None, adsl, OPTIONS).skipped
    assert "ADEX has no AVAL" in exposure_summary(_dataset("ADEX", adex.frame.drop(columns="AVAL")), adsl,
                                                  OPTIONS).skipped
    none = Options(reference="Placebo", exposure_params=("NOPE",))
    assert "none of the overall parameters NOPE" in exposure_summary(adex, adsl, none).skipped
    twice = _dataset("ADEX", pd.concat([adex.frame, adex.frame.iloc[:1]]))
    assert "several overall records" in exposure_summary(twice, adsl, OPTIONS).skipped


def test_study_exposure_summary_equals_adex_read_back(converted, spec):
    from cdisc_mirocals.analysis.data import read_dataset
    result = converted.analysis.exposure
    assert result.done and (result.display_oid, result.result_oid) == ("RD.EXPOSURE", "AR.EXPOSURE.SUMMARY")
    adex, adsl = (read_dataset(converted.adam_dir, n).frame for n in ("ADEX", "ADSL"))
    wanted = spec.study["analysis"]["safety"]["exposure_params"]
    assert result.parameters["parameters"] == wanted
    safety = adsl[adsl["SAFFL"] == "Y"].set_index("USUBJID")["TRT01A"]
    overall = adex[adex["AVISIT"] == ""]
    for paramcd in wanted:
        values = overall[overall["PARAMCD"] == paramcd].set_index("USUBJID")["AVAL"]
        for arm, rows in values.groupby(safety.reindex(values.index)):
            row = result.summary[(result.summary["name"] == paramcd) & (result.summary["group"] == arm)].iloc[0]
            assert row["n"] == len(rows) == (safety == arm).sum()
            np.testing.assert_allclose([row["mean"], row["sd"], row["median"], row["min"], row["max"]],
                                       [rows.mean(), rows.std(), rows.median(), rows.min(), rows.max()], rtol=1e-12)
    # the exposure summary of ADEX agrees with the one of ADSL (SAFETY/exposure) where they share a variable
    adsl_rows = converted.analysis.safety["exposure"].summary.set_index(["name", "group"])
    ours = result.summary.set_index(["name", "group"])
    for ours_name, adsl_name in (("NCYCLE", "NCYCLE"), ("TNINJ", "NINJ"), ("RDI", "RDI"), ("TRTDURD", "TRTDURD")):
        for arm in safety.unique():
            assert ours.loc[(ours_name, arm), "mean"] == pytest.approx(adsl_rows.loc[(adsl_name, arm), "mean"], rel=1e-12)


def test_exposure_summary_is_in_results_json_tables_and_report(converted):
    import json
    out = converted.out / "analysis"
    results = json.loads((out / "results.json").read_text())["results"]
    exposure = [r for r in results if r["key"] == KEY]
    assert len(exposure) == 1 and exposure[0]["result_oid"] == "AR.EXPOSURE.SUMMARY"
    assert set(exposure[0]) == set(results[0])  # the one shape of every result
    assert "# Exposure to study treatment" in (out / "tables.md").read_text()
    html = (out / "report.html").read_text()
    assert 'id="exposure"' in html and 'data-result-oid="AR.EXPOSURE.SUMMARY"' in html
    assert (out / "exposure.csv").read_text().startswith("key,name,label,group,n,mean,sd,median")
