"""read_raw and check-raw: clean exports load typed; each kind of corruption gets its own located error."""

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main
from cdisc_mirocals.errors import RawDataError
from cdisc_mirocals.raw import LINE, read_raw


@pytest.fixture(scope="module")
def raw(default_raw_dir, spec):
    return read_raw(default_raw_dir, spec)


def test_clean_export_loads_every_record_of_every_form(raw, default_forms, spec):
    assert set(raw.forms) == set(spec.raw)
    for name, form in default_forms.items():
        assert len(raw[name]) == len(form), name
        assert raw[name][LINE].tolist() == list(range(2, len(form) + 2)), name


def test_values_are_typed_and_dates_are_iso_8601(raw, default_forms):
    ae = raw["AE"]
    assert str(ae["AESPID"].dtype) == "Int64"
    assert str(raw["LAB"]["LBORRES"].dtype) == "Float64"
    first = default_forms["ENROL"].iloc[0]
    row = raw["ENROL"].iloc[0]
    day, mon, year = first["CONSDAT"].split("-")
    assert row["CONSDAT"] == f"{year}-{pd.Timestamp(f'{mon} 1 2000').month:02d}-{day}"
    partial = raw["MH"]["MHSTDAT"].dropna()
    assert partial.str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?").all()
    assert (partial.str.len() == 4).any() and (partial.str.len() == 7).any()


def test_coded_text_is_kept_exactly_as_exported(raw, default_forms):
    assert raw["ENROL"]["SEX"].fillna("").tolist() == default_forms["ENROL"]["SEX"].tolist()


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _edit_line(path, line_no, edit):
    lines = path.read_text().splitlines(keepends=True)
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_text("".join(lines))


def _set_field(path, line_no, column, value):
    header = path.read_text().splitlines()[0].split(",")
    def edit(line):
        cells = line.rstrip("\n").split(",")
        cells[header.index(column)] = value
        return ",".join(cells) + "\n"
    _edit_line(path, line_no, edit)


def _corrupt_bad_date(d):
    _set_field(d / "ae.csv", 4, "AESTDAT", "32-JAN-2019")
    return ["ae.csv:4", "column AESTDAT", "'32-JAN-2019'", "a date that exists"]


def _corrupt_missing_required(d):
    _set_field(d / "enrol.csv", 3, "SEX", "")
    return ["enrol.csv:3", "column SEX", "a value is required"]


def _corrupt_unknown_subject(d):
    _set_field(d / "ae.csv", 5, "SUBJID", "99-9999")
    return ["ae.csv:5", "column SUBJID", "'99-9999'", "a subject enrolled in enrol.csv"]


def _corrupt_duplicate_row(d):
    path = d / "cm.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3] + [lines[2]] + lines[3:]))
    return ["cm.csv:4", "column SUBJID, CMSPID", "unique key", "line 3"]


def _corrupt_truncated_file(d):
    path = d / "lab.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    n = data[: len(data) // 2].count(b"\n") + 1
    fields = data.split(b"\n", 1)[0].count(b",") + 1
    return [f"lab.csv:{n}", f"{fields} fields as in the header", "truncated"]


def _corrupt_empty_file(d):
    (d / "death.csv").write_bytes(b"")
    return ["death.csv", "the file is empty", "DTHDAT"]


def _corrupt_missing_form(d):
    (d / "vs.csv").unlink()
    return ["vs.csv", "form is missing", "expected a file named vs.csv"]


def _corrupt_not_csv(d):
    (d / "rand.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00binary workbook")
    return ["rand.csv", "not a CSV file"]


def _corrupt_renamed_column(d):
    path = d / "svc.csv"
    text = path.read_text()
    path.write_text(text.replace("SVCPP", "SVC_PP", 1))
    return ["svc.csv:1", "missing SVCPP", "unexpected SVC_PP"]


def _corrupt_value_outside_codelist(d):
    _set_field(d / "enrol.csv", 2, "SEX", "Unknown")
    return ["enrol.csv:2", "column SEX", "'Unknown'", "one of Male | Female"]


def _corrupt_out_of_range_score(d):
    _set_field(d / "alsfrs.csv", 2, "ALSFRS05", "7")
    return ["alsfrs.csv:2", "column ALSFRS05", "'7'", "at most 4"]


FAULTS = [_corrupt_bad_date, _corrupt_missing_required, _corrupt_unknown_subject, _corrupt_duplicate_row,
          _corrupt_truncated_file, _corrupt_empty_file, _corrupt_missing_form, _corrupt_not_csv,
          _corrupt_renamed_column, _corrupt_value_outside_codelist, _corrupt_out_of_range_score]


@pytest.mark.parametrize("corrupt", FAULTS, ids=lambda f: f.__name__.removeprefix("_corrupt_"))
def test_each_corruption_gets_its_own_located_error(corrupt, default_raw_dir, tmp_path, spec):
    d = _copy(default_raw_dir, tmp_path / "raw")
    expected = corrupt(d)
    with pytest.raises(RawDataError) as info:
        read_raw(d, spec)
    assert len(info.value.problems) == 1, str(info.value)
    message = str(info.value.problems[0])
    for part in expected:
        assert part in message, message

    result = CliRunner().invoke(main, ["check-raw", str(d)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert message in result.output


def test_all_problems_are_reported_together(default_raw_dir, tmp_path, spec):
    d = _copy(default_raw_dir, tmp_path / "raw")
    expectations = [f(d) for f in (_corrupt_bad_date, _corrupt_missing_form, _corrupt_value_outside_codelist)]
    with pytest.raises(RawDataError) as info:
        read_raw(d, spec)
    text = str(info.value)
    assert len(info.value.problems) == 3
    assert all(part in text for parts in expectations for part in parts)


def test_header_only_form_is_a_valid_export_with_no_records(default_raw_dir, tmp_path, spec):
    d = _copy(default_raw_dir, tmp_path / "raw")
    header = (d / "trach.csv").read_text().splitlines()[0]
    (d / "trach.csv").write_text(header + "\n")
    assert len(read_raw(d, spec)["TRACH"]) == 0


def test_quoted_fields_with_commas_keep_their_line_numbers(default_raw_dir, tmp_path, spec):
    d = _copy(default_raw_dir, tmp_path / "raw")
    _set_field(d / "ae.csv", 2, "AETERM", '"Headache, frontal"')
    _set_field(d / "ae.csv", 6, "AESTDAT", "31-FEB-2019")
    with pytest.raises(RawDataError) as info:
        read_raw(d, spec)
    assert [p.line for p in info.value.problems] == [6]


def test_check_raw_passes_a_clean_export(default_raw_dir):
    result = CliRunner().invoke(main, ["check-raw", str(default_raw_dir)])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
