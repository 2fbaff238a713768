"""The submitted datasets read the same in every reader a reviewer might use: pyreadstat, pandas,
R's haven (when R is on the machine) and the Dataset-JSON files written beside the XPT files."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_mirocals.dates import SAS_EPOCH
from cdisc_mirocals.submission.datasetjson import read_dataset_json

HAVEN = """
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(haven))
for (path in list.files(args[1], pattern = "[.]xpt$", full.names = TRUE)) {
  d <- read_xpt(path)
  out <- lapply(d, function(x) {
    if (inherits(x, "Date")) x <- as.numeric(x - as.Date("1960-01-01"))
    if (is.numeric(x)) ifelse(is.na(x), "", sprintf("%.17g", x)) else ifelse(is.na(x), "", x)
  })
  write.csv(as.data.frame(out, check.names = FALSE), file.path(args[2], sub("[.]xpt$", ".csv", basename(path))),
            row.names = FALSE, na = "")
}
"""


def _sas_days(values: pd.Series) -> np.ndarray:
    """A reader's numbers as SAS day numbers where it turned a DATE format into dates."""
    if pd.api.types.is_datetime64_any_dtype(values) or values.map(type).isin([pd.Timestamp]).any():
        return (pd.to_datetime(values) - SAS_EPOCH).dt.days.to_numpy(float)
    if values.dtype == object and values.dropna().map(lambda v: hasattr(v, "toordinal")).all() and values.notna().any():
        return (pd.to_datetime(values) - SAS_EPOCH).dt.days.to_numpy(float)
    return values.to_numpy(float)


def _folders(converted):
    return [converted.sdtm_dir, converted.adam_dir]


def _readers(path):
    ours, meta = pyreadstat.read_xport(str(path))
    yield "pandas", pd.read_sas(str(path), format="xport", encoding="ascii")
    yield "dataset-json", read_dataset_json(path.with_suffix(".json"))[0]
    yield "pyreadstat", ours


# pandas reads an IBM zero as the smallest IBM number, 16**-65 (pandas-dev/pandas#50670, open): the
# file holds eight zero bytes (SAS's zero), which pyreadstat, haven and SAS read as 0.
PANDAS_ZERO = 16.0 ** -65


def _assert_same(name, reader, frame, reference, numeric):
    assert list(frame.columns) == list(reference.columns), (name, reader)
    for column in reference.columns:
        if numeric[column]:
            theirs, ours = _sas_days(frame[column]), _sas_days(reference[column])
            if reader == "pandas":
                assert (theirs[ours == 0] == PANDAS_ZERO).all(), f"{name}.{column}: pandas' zero"
                theirs = np.where(ours == 0, 0.0, theirs)
            np.testing.assert_array_equal(theirs, ours, err_msg=f"{name}.{column} ({reader})")
        else:
            assert frame[column].fillna("").tolist() == reference[column].tolist(), f"{name}.{column} ({reader})"


def test_pyreadstat_pandas_and_dataset_json_agree_value_for_value(converted):
    checked = 0
    for folder in _folders(converted):
        for path in sorted(folder.glob("*.xpt")):
            reference, meta = pyreadstat.read_xport(str(path))
            numeric = {c: meta.readstat_variable_types[c] == "double" for c in reference.columns}
            for reader, frame in _readers(path):
                _assert_same(path.stem, reader, frame, reference, numeric)
            checked += len(reference) * len(reference.columns)
    assert checked > 500_000


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (apt-get install r-base-core r-cran-haven)")
def test_r_haven_reads_the_same_values(converted, tmp_path):
    script = tmp_path / "read.R"
    script.write_text(HAVEN)
    for folder in _folders(converted):
        out = tmp_path / folder.name
        out.mkdir()
        run = subprocess.run(["Rscript", str(script), str(folder), str(out)], capture_output=True, text=True)
        if "there is no package called" in run.stderr:
            pytest.skip("R's haven is not installed (apt-get install r-cran-haven)")
        assert run.returncode == 0, run.stderr
        for path in sorted(folder.glob("*.xpt")):
            reference, meta = pyreadstat.read_xport(str(path))
            theirs = pd.read_csv(out / f"{path.stem}.csv", dtype=str, keep_default_na=False)
            assert list(theirs.columns) == list(reference.columns), path.name
            for column in reference.columns:
                if meta.readstat_variable_types[column] == "double":
                    mine = _sas_days(reference[column])
                    # Python's float() rounds correctly; pandas' fast text-to-float parser may not, by an ulp.
                    r = np.array([float(v) if v else np.nan for v in theirs[column]])
                    np.testing.assert_array_equal(r, mine, err_msg=f"{path.stem}.{column} (haven)")
                else:
                    assert theirs[column].tolist() == reference[column].tolist(), f"{path.stem}.{column} (haven)"


def test_dataset_json_names_the_define_items_and_keys(converted, spec):
    _, doc = read_dataset_json(converted.sdtm_dir / "ae.json")
    assert doc["datasetJSONVersion"].startswith("1.1") and doc["itemGroupOID"] == "IG.AE"
    assert doc["records"] == len(converted.sdtm.datasets["AE"])
    columns = {c["name"]: c for c in doc["columns"]}
    assert list(columns) == spec.sdtm["AE"].names
    assert columns["USUBJID"]["itemOID"] == "IT.AE.USUBJID" and columns["USUBJID"]["keySequence"] == 2
    assert columns["AESTDY"]["dataType"] == "integer" and columns["AETERM"]["dataType"] == "string"
    adsl = {c["name"]: c for c in read_dataset_json(converted.adam_dir / "adsl.json")[1]["columns"]}
    assert adsl["RANDDT"]["dataType"] == "date" and adsl["RANDDT"]["targetDataType"] == "integer"
    assert adsl["RANDDT"]["displayFormat"] == "DATE9."
    assert doc["datasetJSONCreationDateTime"] == "2026-01-01T12:34:56Z"  # SOURCE_DATE_EPOCH of the session


def test_dataset_json_oids_are_those_of_the_define(converted):
    """Every Dataset-JSON file names its define.xml's Study OID and MetaDataVersion OID, read from the
    define.xml written beside it (not from the code that writes both)."""
    from lxml import etree
    for folder in (converted.sdtm_dir, converted.adam_dir):
        root = etree.parse(str(folder / "define.xml")).getroot()
        ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
        study = root.find("odm:Study", ns)
        mdv = study.find("odm:MetaDataVersion", ns)
        groups = {g.get("OID") for g in mdv.iterfind("odm:ItemGroupDef", ns)}
        files = sorted(folder.glob("*.json"))
        assert len(files) == len(groups) >= 3
        for path in files:
            doc = read_dataset_json(path)[1]
            assert (doc["studyOID"], doc["metaDataVersionOID"]) == (study.get("OID"), mdv.get("OID")), path.name
            assert doc["itemGroupOID"] in groups and doc["metaDataRef"] == "define.xml"
