"""One cause, one finding (validate/causes.py): a derivation that gives one EPOCH where SE has another is one
finding per dataset and pair of epochs, with its count and its records; record-level causes stay record-level."""

import pandas as pd
from conftest import REFERENCE
import pytest
from validate_helpers import findings, sdtm

from cdisc_mirocals.validate.causes import ranges


def test_ranges():
    assert ranges([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10"
    assert ranges([]) == "" and ranges([5]) == "5"


def se():
    return sdtm("SE", USUBJID=["S1", "S1", "S2", "S2"], SESEQ=[1, 2, 1, 2], ETCD=["SCRN", "DRUG"] * 2,
                EPOCH=["SCREENING", "TREATMENT"] * 2,
                SESTDTC=["2020-01-01", "2020-01-10"] * 2, SEENDTC=["2020-01-10", "2020-03-01"] * 2)


def test_mc0401_one_finding_per_derivation():
    ae = sdtm("AE", USUBJID=["S1", "S1", "S2", "S2", "S2"], AESEQ=[1, 2, 1, 2, 3],
              AESTDTC=["2020-01-02", "2020-01-03", "2020-01-04", "2020-02-01", "2020-01-05"],
              EPOCH=["TREATMENT", "TREATMENT", "TREATMENT", "SCREENING", "SCREENING"])
    f = findings("MC0401", se(), ae)
    got = sorted((r.record, r.count, r.usubjid, r.detail) for r in f.itertuples())
    assert got == [(1, 3, "", "EPOCH TREATMENT where SE has SCREENING on that date: 3 records; records 1-3"),
                   (4, 1, "S2", "EPOCH SCREENING where SE has TREATMENT on that date: 1 record; records 4")]


@pytest.fixture(scope="module")
def update():
    folder = REFERENCE / "cdiscpilot_phuse_update" / "sdtm"
    if not (folder / "dm.xpt").is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    from cdisc_mirocals.validate.engine import validate_folder
    return validate_folder(folder).findings


def test_the_pilot_causes_are_reported_once(update):
    """The PHUSE update of the pilot: CM's define.xml keys, QS value-level items typed integer on decoded text."""
    f = update
    keys = f[f["rule"] == "SD1152"]
    assert list(zip(keys["dataset"], keys["count"])) == [("CM", 6429)]
    typed = f[f["rule"].isin(["SD1228", "SD1231"]) & f["detail"].str.startswith("define.xml types")]
    assert {(r.rule, r.dataset): r.count for r in typed.itertuples()} == {
        ("SD1228", "QSDA"): 32920, ("SD1228", "QSGI"): 562, ("SD1228", "QSHI"): 3302, ("SD1228", "QSNI"): 22213,
        ("SD1231", "QSGI"): 562, ("SD1231", "QSNI"): 5}
    # QSMM's value "0", a number outside its integer codelist, is the records' own: each is a finding
    mm = f[(f["rule"] == "SD1228") & (f["dataset"] == "QSMM")]
    assert len(mm) == 263 and set(mm["count"]) == {1} and set(mm["values"]) == {"0"}
    epochs = f[(f["rule"] == "MC0401") & (f["dataset"] == "QSHI")].iloc[0]
    assert (epochs["count"], epochs["values"]) == (3302, "2013-12-26, TREATMENT")
    assert pd.Series(f["count"]).sum() > len(f)


def test_a_long_list_of_records_is_whole_in_json_and_cut_to_a_cell_in_xlsx():
    from cdisc_mirocals.validate.writers.xlsx import CELL_LIMIT, _cell

    every_other = ranges(range(1, 40_001, 2))
    assert len(every_other) > CELL_LIMIT and every_other.endswith("39999")
    cell = _cell("records " + every_other)
    assert "(cut to what a cell holds" in cell and len(cell) < CELL_LIMIT + 200
