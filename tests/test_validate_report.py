"""One report model, five writers: each holds every finding, none can attack its reader (spreadsheet
formulas neutralised, HTML escaped), and the same report gives the same bytes."""

import csv
import json

import openpyxl
import pandas as pd
import pytest
from validate_helpers import TODAY, sdtm

from cdisc_mirocals.validate.engine import validate_files
from cdisc_mirocals.validate.writers import FORMATS, write_report, write_reports
from cdisc_mirocals.textsafe import csv_cell as cell, html_text as text, script_json
from cdisc_mirocals.validate.writers.html_ import render as render_html
from cdisc_mirocals.validate.writers.text import render as render_text

EVIL = ["=HYPERLINK(\"http://x.invalid\",\"click\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
        "</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture(scope="module")
def report():
    """Findings whose values are the attacks: each AETERM coded twice as Headache, then once as Migraine (SD1440)."""
    terms = [t for t in EVIL for _ in range(3)]
    n = len(terms)
    ae = sdtm("AE", USUBJID=["S1"] * n, AESEQ=list(range(1, n + 1)), AETERM=terms,
              AEDECOD=["Headache", "Headache", "Migraine"] * len(EVIL), AESTDTC=["2020-01-01"] * (n - 1) + ["2020-13-01"])
    dm = sdtm("DM", USUBJID=["S1"], SEX=["X"])
    return validate_files({"AE": ae, "DM": dm}, "sdtmig-3.4", today=TODAY, folder="<b>folder</b>")


def test_safe_cell_and_text():
    assert [cell(v) for v in EVIL[:7]] == ["'" + v for v in EVIL[:7]]
    assert cell("Headache") == "Headache" and cell(-2.5) == -2.5 and cell(None) is None
    assert text("<a href='x'>&</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"
    assert "<" not in script_json(["</script>"]) and json.loads(script_json(["</script>"])) == ["</script>"]


def test_the_report_counts_and_exit_codes(report):
    counts = report.counts
    assert counts["Reject"] >= 1 and counts["Error"] >= 1  # DD0101, SD1020-type; CT2001 on SEX, SD0003
    assert report.exit_code("reject") == 1 and report.exit_code("never") == 0
    quiet = report.findings[report.findings["severity"] == "Notice"]
    clean = type(report)(**{**report.__dict__, "findings": quiet})
    assert clean.exit_code("warning") == 0 and clean.exit_code("error") == 0
    with pytest.raises(ValueError):
        report.exit_code("fatal")


def test_text_summary_groups_by_rule_and_dataset(report):
    out = render_text(report)
    issues = report.issue_summary()
    assert len(issues) == report.findings.groupby(["rule", "dataset"]).ngroups
    for r in issues.itertuples():
        assert any(line.split()[:4] == [r.severity, r.rule, r.dataset, str(r.found)] for line in out.splitlines())
    assert out.splitlines()[-1].endswith(", ".join(f"{report.count(s):,} {s}" for s in
                                                   ("Reject", "Error", "Warning", "Notice")))


def test_json_holds_every_finding(report, tmp_path):
    doc = json.loads(write_report(report, tmp_path / "r.json", "json").read_text())
    assert len(doc["findings"]) == len(report.findings) and doc["counts"] == report.counts
    assert {f["values"] for f in doc["findings"] if f["rule"] == "SD1440"} == {f"{v}, Migraine" for v in EVIL}


def test_csv_cells_are_neutralised(report, tmp_path):
    rows = list(csv.reader(write_report(report, tmp_path / "r.csv", "csv").open(newline="")))
    assert rows[0][:4] == ["Dataset", "Record", "Count", "USUBJID"] and len(rows) == len(report.findings) + 1
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_xlsx_is_laid_out_like_pinnacle_21_and_neutralised(report, tmp_path):
    wb = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    assert wb.sheetnames == ["Dataset Summary", "Issue Summary", "Details", "Rules"]
    details = wb["Details"]
    assert details.max_row == len(report.findings) + 1
    values = [c.value for row in details.iter_rows(min_row=2) for c in row]
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r"))) for v in values)
    assert all(c.data_type != "f" for row in details.iter_rows() for c in row)  # no formula cell anywhere
    summary = {r[0].value: r for r in wb["Dataset Summary"].iter_rows(min_row=2) if r[0].value in ("AE", "DM")}
    assert summary["AE"][3].value == 3 * len(EVIL) and sum(c.value for c in summary["AE"][4:8]) == \
        int((report.findings["dataset"] == "AE").sum())


def test_xlsx_details_stop_at_the_rows_excel_opens_and_say_so(report, tmp_path, monkeypatch):
    from cdisc_mirocals.validate.writers import xlsx
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 4)  # Excel's 1,048,576, scaled down to this report
    wb = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    assert len(report.findings) > 3 and wb["Details"].max_row == 4
    firsts = [row[0].value for row in wb["Details"].iter_rows(min_row=2)]
    assert firsts == report.findings["dataset"].iloc[:3].tolist()
    notes = [r[1].value for r in wb["Dataset Summary"].iter_rows() if r[0].value == "note"]
    assert f"the Details sheet holds the first 3 of {len(report.findings):,} findings" in " ".join(notes)
    header = [c.value for c in next(wb["Issue Summary"].iter_rows(max_row=1))]
    found = header.index("Found")
    assert sum(r[found].value for r in wb["Issue Summary"].iter_rows(min_row=2)) == len(report.findings)


def test_html_is_escaped_self_contained_and_filterable(report):
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<b>folder</b>" not in page
    assert "&lt;b&gt;folder&lt;/b&gt;" in page
    assert 'id="severity"' in page and 'id="rule"' in page and 'id="dataset"' in page and 'id="search"' in page
    # self-contained: no stylesheet, script or image fetched from anywhere
    assert "http://" not in page.replace("http://x.invalid", "") and "<link" not in page and "<script src" not in page
    data = page.split('<script type="application/json" id="findings">')[1].split("</script>")[0]
    assert len(json.loads(data)) == len(report.findings)


def test_the_same_report_gives_the_same_bytes(report, tmp_path):
    first = write_reports(report, tmp_path / "a", FORMATS)
    second = write_reports(report, tmp_path / "b", FORMATS)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert sorted(p.name for p in first) == ["validation.csv", "validation.html", "validation.json", "validation.txt",
                                            "validation.xlsx"]


def test_an_empty_report_renders(tmp_path):
    dm = sdtm("DM", USUBJID=["S1"], SEX=["M"])
    report = validate_files({"DM": dm}, "sdtmig-3.4", rule_ids={"SD0084"}, today=TODAY)
    assert report.findings.empty and report.exit_code("warning") == 0
    for fmt in FORMATS:
        assert write_report(report, tmp_path / f"r.{fmt}", fmt).stat().st_size > 0
    assert pd.read_csv(tmp_path / "r.csv").empty


def _with_findings(report, **columns):
    import dataclasses

    findings = report.findings.head(len(next(iter(columns.values())))).copy()
    for name, values in columns.items():
        findings[name] = values
    return dataclasses.replace(report, findings=findings.reset_index(drop=True))


AWKWARD = dict(values=["  lead", "a&b<c>d", "=HYPER()", "-5", "", None, "é ü", "tab\tin", "x\ny", "emoji 😀"],
               seq=[1.0, 2.5, float("nan"), 1e20, 0.1, -3.0, 123456789.123, 7.0, 1e-7, 2.0 ** 60],
               record=pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"))


def test_the_json_writer_writes_what_json_dump_writes(report):
    """The findings are encoded a column at a time; the bytes are those of json.dumps on the whole document."""
    from cdisc_mirocals.validate.writers import json_
    from cdisc_mirocals.validate.writers.rows import plain

    awkward = _with_findings(report, **AWKWARD)
    for r in (report, awkward, _with_findings(report, values=[None])):
        doc = json_.document(r)
        doc["findings"] = [{c: plain(v) for c, v in row.items()} for row in r.findings.to_dict("records")]
        assert json_.text(r) == json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)


def test_the_xlsx_details_are_the_cells_openpyxl_writes(report):
    """The Details rows are written as XML a column at a time: the sheet is byte for byte openpyxl's."""
    import io
    import zipfile

    from cdisc_mirocals.validate.writers import xlsx
    from cdisc_mirocals.validate.writers.rows import DETAIL_HEADERS, plain

    awkward = _with_findings(report, **AWKWARD)
    for r in (report, awkward):
        wb = openpyxl.Workbook(write_only=True)
        rows = [[plain(v) for v in row] for row in r.findings[list(DETAIL_HEADERS)].itertuples(index=False)]
        xlsx._sheet(wb, "Details", list(DETAIL_HEADERS.values()), rows, xlsx.DETAIL_WIDTHS)
        raw = io.BytesIO()
        wb.save(raw)
        expected = zipfile.ZipFile(raw).read("xl/worksheets/sheet1.xml")
        assert zipfile.ZipFile(io.BytesIO(xlsx.workbook_bytes(r))).read("xl/worksheets/sheet3.xml") == expected


def test_every_format_states_what_checked_the_data(report, tmp_path):
    """Validator version, profile, severities, standard, CT and define.xml: what a reviewer's guide cites, in each
    format."""
    from cdisc_mirocals import __version__

    context = report.context()
    assert context["validator"] == f"cdisc-mirocals {__version__}" and context["standard"] == "sdtmig-3.4"
    assert "FDA configuration" in context["severities"] and context["define.xml"] == "none"
    assert context["controlled terminology"] == report.ct and report.ct
    wanted = list(context.values())
    text_ = render_text(report)
    doc = json.loads(write_report(report, tmp_path / "r.json", "json").read_text())
    page = render_html(report)
    wb = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    sheet = [str(c.value) for row in wb["Dataset Summary"].iter_rows() for c in row if c.value is not None]
    rows = list(csv.reader(write_report(report, tmp_path / "r.csv", "csv").open(newline="")))
    for value in wanted:
        assert value in text_ and value in doc["header"].values() and text(value) in page and value in sheet, value
    assert rows[0][-6:] == ["Validator", "Profile", "Severities", "Standard", "Controlled terminology", "Define.xml"]
    assert all(row[-6:] == wanted for row in rows[1:]) and len(rows) > 1
    assert context["profile"].startswith("FDA")  # the default profile
