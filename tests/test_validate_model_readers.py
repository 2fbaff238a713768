"""The vendored standard model (built from the public CDISC tables, checked against them) and the
folder reader (XPT and Dataset-JSON 1.1 give the same frames)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from conftest import REFERENCE

from cdisc_mirocals.validate.engine import choose_standard, find_sdtm
from cdisc_mirocals.validate.model import load_model
from cdisc_mirocals.validate.readers import InputError, read_folder

ROOT = Path(__file__).resolve().parents[1]


def test_the_vendored_model_is_what_the_build_script_makes_from_the_reference():
    if not (REFERENCE / "standards").is_dir():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_standards.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_sdtmig_model_has_the_ig_variables_cores_and_codelists():
    m = load_model("sdtmig-3.4")
    dm = m.domains["DM"]
    assert [v.name for v in dm.variables[:4]] == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID"]
    assert dm.find("ARMNRS").core == "Exp" and dm.find("SEX").core == "Req" and dm.find("AGE").type == "Num"
    assert m.codelist(dm.find("SEX").codelists).values == {"F", "M", "U", "INTERSEX"}
    assert not m.codelist(dm.find("SEX").codelists).extensible
    assert m.domain_for("LBCH", "LB").name == "LB" and m.domain_for("SUPPAE").name == "SUPPQUAL"
    assert m.domain_for("XYZ", "XY") is None
    ds = m.codelist(m.domains["DS"].find("DSDECOD").codelists)  # three codelists: their union, extensible
    assert ds.extensible and {"COMPLETED", "DEATH", "RANDOMIZED"} <= ds.values


def test_adamig_model_matches_indexed_names():
    m = load_model("adamig-1.3")
    adsl = m.domains["ADSL"]
    assert adsl.find("TRT01P").name == "TRTxxP" and adsl.find("TRT1P") is None
    assert adsl.find("AGEGR1").name == "AGEGRy" and adsl.find("AGE").core == "Req"
    assert m.domain_for("ADTTE", columns=["PARAMCD", "AVAL"]).name == "BDS"
    assert m.domain_for("ADAE", columns=["AETERM"]) is None  # OCCDS is not in ADaMIG 1.3
    assert "Y" in m.codelist(m.domains["BDS"].find("STARTDTF").codelists).values


def test_unknown_standard():
    with pytest.raises(KeyError, match="unknown standard"):
        load_model("sdtmig-3.9")


def _dm_frame():
    return pd.DataFrame({"STUDYID": ["T1", "T1"], "DOMAIN": ["DM", "DM"], "USUBJID": ["S1", "S2"], "AGE": [61.0, None],
                         "RFSTDTC": ["2020-01-02", ""]})


def test_xpt_and_dataset_json_read_the_same(tmp_path):
    frame = _dm_frame()
    xpt, js, nd = tmp_path / "xpt", tmp_path / "json", tmp_path / "ndjson"
    for d in (xpt, js, nd):
        d.mkdir()
    pyreadstat.write_xport(frame, str(xpt / "dm.xpt"), table_name="DM", file_label="Demographics",
                           column_labels=["Study Identifier", "Domain Abbreviation", "Unique Subject Identifier", "Age",
                                          "Subject Reference Start Date/Time"], file_format_version=5)
    columns = [{"itemOID": f"IT.DM.{c}", "name": c, "label": c.title(), "dataType": "double" if c == "AGE" else "string",
                "length": 8 if c == "AGE" else 10} for c in frame.columns]
    meta = {"datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0", "itemGroupOID": "IG.DM",
            "records": 2, "name": "DM", "label": "Demographics", "columns": columns}
    rows = [["T1", "DM", "S1", 61, "2020-01-02"], ["T1", "DM", "S2", None, None]]
    (js / "dm.json").write_text(json.dumps({**meta, "rows": rows}))
    (nd / "dm.ndjson").write_text("\n".join(json.dumps(x) for x in [meta, *rows]) + "\n")
    read = {name: read_folder(d)["DM"] for name, d in (("xpt", xpt), ("json", js), ("ndjson", nd))}
    for name, f in read.items():
        pd.testing.assert_frame_equal(f.frame, read["xpt"].frame, check_dtype=True, obj=name)
        assert f.columns["AGE"].type == "Num" and f.columns["USUBJID"].type == "Char"
        assert f.label == "Demographics" and f.domain == "DM"
    assert read["xpt"].format == "XPT" and read["json"].format == "Dataset-JSON"


def _dm_files(folder: Path, json_name: str | None = "dm.json") -> None:
    frame = _dm_frame()
    pyreadstat.write_xport(frame, str(folder / "dm.xpt"), table_name="DM", file_label="Demographics",
                           file_format_version=5)
    if json_name:
        columns = [{"itemOID": f"IT.DM.{c}", "name": c, "label": c, "dataType": "double" if c == "AGE" else "string"}
                   for c in frame.columns]
        rows = [["T1", "DM", "S1", 61, "2020-01-02"], ["T1", "DM", "S2", None, None]]
        (folder / json_name).write_text(json.dumps({"name": "DM", "label": "Demographics", "columns": columns,
                                                    "rows": rows}))


def test_a_dataset_json_copy_beside_its_xpt_file_is_left_aside_and_named(tmp_path):
    """convert --format both writes ae.xpt and ae.json: the XPT file is validated, and the report says so."""
    from cdisc_mirocals.validate.engine import validate_folder

    _dm_files(tmp_path)
    read = read_folder(tmp_path)
    assert list(read) == ["DM"] and read["DM"].format == "XPT"
    report = validate_folder(tmp_path, standard="sdtmig-3.4")
    assert any("1 Dataset-JSON file(s)" in n and n.endswith(": dm.json") for n in report.notes), report.notes
    assert list(report.datasets["file"]) == ["dm.xpt"]


def test_two_files_of_one_dataset_under_other_names_are_refused(tmp_path):
    _dm_files(tmp_path, json_name="demog.json")  # not the XPT file's name: not a copy, a second DM
    with pytest.raises(InputError, match="dataset DM is also in"):
        read_folder(tmp_path)


def test_dataset_json_dates_with_a_numeric_target_are_sas_numbers(tmp_path):
    columns = [{"itemOID": "a", "name": "USUBJID", "label": "x", "dataType": "string"},
               {"itemOID": "b", "name": "TRTSDT", "label": "x", "dataType": "date", "targetDataType": "integer"},
               {"itemOID": "c", "name": "ADTM", "label": "x", "dataType": "datetime", "targetDataType": "integer"}]
    doc = {"datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1", "itemGroupOID": "IG",
           "records": 1, "name": "adsl", "label": "ADSL", "columns": columns,
           "rows": [["S1", "1960-01-02", "1960-01-01T00:01:00"]]}
    (tmp_path / "adsl.json").write_text(json.dumps(doc))
    f = read_folder(tmp_path)["ADSL"]
    assert f.frame["TRTSDT"].tolist() == [1.0] and f.frame["ADTM"].tolist() == [60.0]


@pytest.mark.parametrize("content, expected", [
    ('{"name": "DM"}', "lacks columns"),
    ('{"name": "DM", "columns": [{"name": "A", "dataType": "string"}], "rows": [["x", "y"]]}', "row 1 has 2 values"),
    ("{not json", "cannot be read as Dataset-JSON"),
])
def test_unreadable_dataset_json_names_the_file(tmp_path, content, expected):
    (tmp_path / "dm.json").write_text(content)
    with pytest.raises(InputError, match=expected) as exc:
        read_folder(tmp_path)
    assert "dm.json" in str(exc.value)


def test_a_broken_xpt_and_a_missing_folder_are_input_errors(tmp_path):
    (tmp_path / "dm.xpt").write_bytes(b"not a transport file")
    with pytest.raises(InputError, match="dm.xpt: cannot be read as XPT"):
        read_folder(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        read_folder(tmp_path / "nothing")


def test_windows_1252_xpt_is_read_and_noted():
    ts = REFERENCE / "cdiscpilot01_tdf" / "sdtm" / "ts.xpt"
    if not ts.is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    f = read_folder(ts.parent)["TS"]
    assert f.encoding == "windows-1252" and f.notes
    assert f.frame["TSVAL"].str.contains("Alzheimer\u2019s").any()


def _files(**names):
    out = {}
    for name, cols in names.items():
        out[name.upper()] = type("F", (), {"columns": {c: None for c in cols}})()
    return out


def test_the_standard_is_detected_from_the_data():
    assert choose_standard(_files(dm=["DOMAIN"], ae=["DOMAIN"]), None, None)[0] == "sdtmig-3.4"
    assert choose_standard(_files(adsl=["USUBJID"], adtte=["PARAMCD"]), None, None)[0] == "adamig-1.3"
    assert choose_standard(_files(adsl=["USUBJID"]), None, "SDTMIG-3.4") == ("sdtmig-3.4", "given")
    with pytest.raises(InputError, match="cannot tell SDTM from ADaM"):
        choose_standard(_files(adsl=["USUBJID"], dm=["DOMAIN"]), None, None)
    with pytest.raises(InputError, match="unknown standard"):
        choose_standard(_files(dm=["DOMAIN"]), None, "sdtmig-9")


def test_every_ig_version_is_vendored_with_its_own_tables():
    """SDTMIG 3.2, 3.3, 3.4 and ADaMIG 1.1, 1.2, 1.3, each as the CDISC Library publishes it: ARMNRS came with 3.3,
    EPOCH entered AE's table after 3.2; 3.2's --DTC variables keep 3.4's ISO 8601 value domain."""
    v32, v33, v34 = (load_model(f"sdtmig-{v}") for v in ("3.2", "3.3", "3.4"))
    assert (v32.version, v33.version, v34.version) == ("3.2", "3.3", "3.4")
    assert v32.domains["DM"].find("ARMNRS") is None and v33.domains["DM"].find("ARMNRS") is not None
    assert v32.domains["AE"].find("EPOCH") is None and v34.domains["AE"].find("EPOCH") is not None
    assert v32.domains["AE"].find("AESTDTC").value_domain.startswith("ISO 8601")
    assert v32.domains["AE"].find("AEDECOD").value_domain == "MedDRA"
    assert len(v32.domains) == 46 and len(v33.domains) == 59
    a11, a12 = load_model("adamig-1.1"), load_model("adamig-1.2")
    assert a11.domains["BDS"].find("PARAMCD").core == "Req" and a11.domains["ADSL"].find("TRT01P") is not None
    # 1.2 added the stratification and toxicity-grade variables, and retired PARAMTYP
    assert a11.domains["ADSL"].find("STRAT1R") is None and a12.domains["ADSL"].find("STRAT1R") is not None
    assert a11.domains["BDS"].find("PARAMTYP") is not None and a12.domains["BDS"].find("PARAMTYP") is None


def test_a_study_is_checked_against_the_ig_version_it_declares(tmp_path):
    from cdisc_mirocals.validate.define_reader import Define

    files = {"DM": None}
    declared = Define(tmp_path, "2.1", "SDTMIG", "3.3", None, {})
    assert choose_standard(files, declared, None) == ("sdtmig-3.3", "define.xml (SDTMIG 3.3)")
    assert choose_standard(files, declared, "SDTMIG-3.4") == ("sdtmig-3.4", "given")
    newer = Define(tmp_path, "2.1", "SDTMIG", "3.5", None, {})
    assert choose_standard(files, newer, None) == (
        "sdtmig-3.4", "define.xml (SDTMIG 3.5); no model of that version is vendored, so the latest")


def test_the_sdtm_beside_an_adam_folder_is_found(tmp_path):
    adam = tmp_path / "m5" / "datasets" / "x" / "analysis" / "adam" / "datasets"
    sdtm = tmp_path / "m5" / "datasets" / "x" / "tabulations" / "sdtm"
    adam.mkdir(parents=True)
    sdtm.mkdir(parents=True)
    assert find_sdtm(adam) is None
    (sdtm / "dm.xpt").write_bytes(b"")
    assert find_sdtm(adam) == sdtm.resolve()


def test_every_rule_is_documented_and_unit_tested():
    from cdisc_mirocals.validate.rules import load_all
    from cdisc_mirocals.validate.rules.adam import DM_COPIES
    from cdisc_mirocals.validate.rules.dates import DY_PAIRS
    from cdisc_mirocals.validate.rules.pairs import VALUE_WHEN, VARIABLE_WHEN
    from cdisc_mirocals.validate.rules.trial_summary import TS_REQUIRED
    from cdisc_mirocals.validate.rules.terminology import CODING_PAIRS

    rules = set(load_all())
    docs = (ROOT / "docs" / "validation.md").read_text()
    assert not [r for r in rules if f"| {r} |" not in docs]
    tests = "".join((ROOT / "tests" / name).read_text() for name in (
        "test_validate_rules_sdtm.py", "test_validate_rules_adam.py", "test_validate_define.py",
        "test_validate_rules_consistency.py"))
    tabled = set(DM_COPIES) | set(DY_PAIRS) | set(TS_REQUIRED) | set(CODING_PAIRS) | set(VALUE_WHEN) | set(VARIABLE_WHEN)
    # (parametrised over these)
    assert not sorted(r for r in rules - tabled if f'"{r}"' not in tests)
