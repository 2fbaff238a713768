"""The shared SDTM helpers proved on data nobody here wrote: the CDISC pilot SDTM (PHUSE TDF)."""

import pandas as pd
import pyreadstat
import pytest

from cdisc_mirocals.dates import derive_vars_dy, is_iso8601

from conftest import REFERENCE

PILOT = REFERENCE / "cdiscpilot01_tdf" / "sdtm"
DY_CHECKS = {  # dataset: {--DTC: --DY}
    "ae": {"AESTDTC": "AESTDY", "AEENDTC": "AEENDY"},
    "vs": {"VSDTC": "VSDY"},
    "lbch": {"LBDTC": "LBDY"},
    "lbhe": {"LBDTC": "LBDY"},
    "lbur": {"LBDTC": "LBDY"},
    "ex": {"EXSTDTC": "EXSTDY", "EXENDTC": "EXENDY"},
}


def _read(name: str) -> pd.DataFrame:
    path = PILOT / f"{name}.xpt"
    if not path.exists():
        pytest.skip("CDISC pilot SDTM not beside the project")
    encoding = "windows-1252" if name == "ts" else None  # ts.xpt holds byte 0x92
    return pyreadstat.read_xport(str(path), encoding=encoding)[0]


@pytest.fixture(scope="module")
def pilot_dm():
    return _read("dm")


@pytest.mark.parametrize("dataset", list(DY_CHECKS))
def test_study_day_reproduces_the_pilot_exactly(dataset, pilot_dm):
    data = _read(dataset)
    targets = DY_CHECKS[dataset]
    ours = derive_vars_dy(data.drop(columns=list(targets.values())), reference=pilot_dm, reference_date="RFSTDTC",
                          source_vars={f"_{dy}": dtc for dtc, dy in targets.items()})
    for dtc, dy in targets.items():
        theirs, mine = data[dy], ours[f"_{dy}"]
        differ = ~((theirs == mine) | (theirs.isna() & mine.isna()))
        assert not differ.any(), (
            f"{dataset}.{dy}: {int(differ.sum())} of {len(data)} records differ, e.g.\n"
            + data.loc[differ, ["USUBJID", dtc, dy]].assign(ours=mine[differ]).head(10).to_string())
        assert theirs.notna().sum() > 0


def test_study_day_has_no_day_zero(pilot_dm):
    ae = derive_vars_dy(_read("ae"), reference=pilot_dm, reference_date="RFSTDTC", source_vars={"DY": "AESTDTC"})
    assert (ae["DY"] != 0).all()
    assert (ae["DY"] < 0).any() and (ae["DY"] == 1).any()


def test_iso_8601_parser_accepts_every_date_in_the_pilot():
    if not PILOT.is_dir():
        pytest.skip("CDISC pilot SDTM not beside the project")
    checked = 0
    for path in sorted(PILOT.glob("*.xpt")):
        data = _read(path.stem)
        for column in (c for c in data.columns if c.endswith("DTC")):
            values = data[column].astype("string").fillna("")
            ok = is_iso8601(values)
            assert ok.all(), f"{path.name} {column}: {values[~ok].unique()[:10].tolist()}"
            checked += int((values != "").sum())
    assert checked > 100_000


def test_iso_8601_parser_rejects_what_is_not_iso_8601():
    bad = pd.Series(["2014-13-01", "2014-02-30", "14-01-02", "2014/01/02", "02JAN2014", "2014-01-02T24:00", "x"])
    assert not is_iso8601(bad).any()
