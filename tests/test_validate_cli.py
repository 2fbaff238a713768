"""cdisc-mirocals validate: exit 0/1/2 by --fail-on, every --format, the define.xml beside the data."""

import json

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main


def _xpt(folder, name, frame, labels=None):
    pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5,
                           column_labels=labels)


@pytest.fixture()
def folder(tmp_path):
    """A small SDTM folder whose only finding on the generic model is the Reject for its missing define.xml,
    and SD0084 on one DM record when asked for (AGE -12 from a birth after consent)."""
    d = tmp_path / "sdtm"
    d.mkdir()
    _xpt(d, "DM", pd.DataFrame({"STUDYID": ["T1", "T1"], "DOMAIN": ["DM", "DM"], "USUBJID": ["S1", "S2"],
                                "AGE": [61.0, -12.0]}))
    return d


def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_exit_codes_follow_fail_on(folder):
    assert run(folder, "--fail-on", "reject").exit_code == 1  # DD0101: no define.xml (and no TS: SD1115)
    assert run(folder, "--fail-on", "never").exit_code == 0
    result = run(folder)
    assert result.exit_code == 1 and "SD0084" in result.output and "DD0101" in result.output


def test_a_clean_threshold_exits_0(tmp_path):
    d = tmp_path / "adam"
    d.mkdir()
    _xpt(d, "ADSL", pd.DataFrame({"STUDYID": ["T1"], "USUBJID": ["S1"], "SAFFL": ["Y"]}))
    result = run(d, "--fail-on", "reject", "--format", "json")
    doc = json.loads(result.output)
    assert doc["header"]["standard"] == "adamig-1.3" and doc["counts"]["Reject"] == 1  # DD0101
    assert run(d, "--fail-on", "never").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/folder"], "does not exist"),
    (["{folder}", "--standard", "sdtmig-9"], "Invalid value for '--standard'"),
    (["{folder}", "--format", "xlsx"], "--format xlsx needs --output"),
    (["{folder}", "--define", "{folder}/missing.xml"], "does not exist"),
    (["{empty}"], "no XPT"),
])
def test_usage_errors_exit_2(folder, tmp_path, args, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(*[a.format(folder=folder, empty=empty) for a in args])
    assert result.exit_code == 2 and message in result.output, result.output


def test_an_unreadable_dataset_exits_1_naming_it(folder):
    (folder / "ae.xpt").write_bytes(b"garbage")
    result = run(folder)
    assert result.exit_code == 1 and "ae.xpt" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "html", "xlsx", "csv"])
def test_every_format_to_a_file(folder, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = run(folder, "--format", fmt, "--output", out, "--fail-on", "never")
    assert result.exit_code == 0 and out.stat().st_size > 0 and f"wrote the {fmt} report" in result.output
    if fmt == "xlsx":
        assert openpyxl.load_workbook(out).sheetnames[0] == "Dataset Summary"


def test_the_define_xml_beside_the_data_is_used(folder):
    (folder / "define.xml").write_text("<x")
    result = run(folder)
    assert result.exit_code == 1 and "define.xml: not well-formed XML" in result.output
