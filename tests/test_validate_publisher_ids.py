"""Every finding carries every ID it answers to: its Pinnacle 21 ID, the FDA's (business rules FDABnnn, validator
rules FDACnnn, Technical Conformance Guide sections) and CDISC's (SDTMIG conformance rules CGnnnn, ADaM checks), in
every report format, so that a sponsor can match it with any engine's report. The IDs are checked against P21's
published catalogues and the Rules sheet of P21's report on the pilot (../shared/reference), not against the copy
the package vendors."""

from __future__ import annotations

import csv
import json
import warnings

import openpyxl
import pandas as pd
import pytest
from conftest import REFERENCE
from validate_helpers import TODAY, sdtm

from cdisc_mirocals.validate.engine import validate_files
from cdisc_mirocals.validate.rules import load_all, publisher_kind
from cdisc_mirocals.validate.writers import write_report
from cdisc_mirocals.validate.writers.html_ import render as render_html
from cdisc_mirocals.validate.writers.text import render as render_text

STANDARDS = REFERENCE / "standards"
REPORTS = REFERENCE / "cdiscpilot_phuse_update" / "p21-reports"
P21_RULES_SHEET = REPORTS / "pinnacle21-report-TDF_SDTM.xlsx"
P21_ADAM_RULES_SHEET = REPORTS / "pinnacle21-report-TDF_ADaM.xlsx"


def _need(*paths):
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"the shared reference folder (../shared/reference) is not here: {missing[0].name} is needed")


@pytest.fixture(scope="module")
def published() -> dict[str, set[str]]:
    """P21 ID -> every publisher ID P21 publishes for it: its SDTM and ADaM catalogues (CDISC CG and ADaM IDs,
    FDA business rules) and its FDA configuration's Rules sheet (the FDA validator rule IDs, FDACnnn)."""
    sdtm_csv, adam_csv = STANDARDS / "p21_sdtm_rules.csv", STANDARDS / "p21_adam_rules.csv"
    _need(sdtm_csv, adam_csv, P21_RULES_SHEET, P21_ADAM_RULES_SHEET)
    out: dict[str, set[str]] = {}
    with sdtm_csv.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            out.setdefault(row["Pinnacle 21 ID"], set()).update(p.strip() for p in row["Publisher ID"].split(",")
                                                               if p.strip())
    with adam_csv.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            ids = [p.strip() for p in row["Publisher ID"].split(",") if p.strip() not in ("", "+")]
            # the ADaM catalogue numbers CDISC's ADaM checks bare (5, 33+) and names other publishers' IDs
            out.setdefault(row["Pinnacle 21 ID"], set()).update(f"ADaM {p}" if p[0].isdigit() else p for p in ids)
    for path in (P21_RULES_SHEET, P21_ADAM_RULES_SHEET):  # P21 2.2.0's configurations, FDA IDs and all
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: "Workbook contains no default style"
            sheet = pd.read_excel(path, "Rules")
        for rid, pid in zip(sheet["Pinnacle 21 ID"], sheet["Publisher ID"].astype(str)):
            ids = [p.strip() for p in pid.split(",") if p.strip() not in ("", "+", "nan")]
            out.setdefault(rid, set()).update(f"ADaM {p}" if p[0].isdigit() else p for p in ids)
    return out


def test_every_rule_carries_the_ids_p21_publishes_for_it(published):
    checked = 0
    for rule in load_all().values():
        assert set(rule.fda) | set(rule.cdisc) == set(rule.publisher), rule.id  # every ID is the FDA's or CDISC's
        assert not set(rule.fda) & set(rule.cdisc)
        if not rule.p21:
            assert rule.p21_id == "" and rule.id.startswith("MC")
            continue
        assert rule.p21_id == rule.id
        assert published[rule.id] <= set(rule.publisher), (rule.id, sorted(published[rule.id] - set(rule.publisher)))
        checked += 1
    assert checked > 150


def test_an_id_of_neither_publisher_is_refused():
    with pytest.raises(ValueError, match="neither the FDA's nor CDISC's"):
        publisher_kind("SD0029")


@pytest.fixture(scope="module")
def report():
    """SD0029 (a numeric LBSTRESC without LBSTRESU): P21 publishes it as CG0425 (SDTMIG conformance rule) and
    FDAC169 (the FDA validator rule) in its catalogue and FDA configuration."""
    lb = sdtm("LB", USUBJID=["S1", "S1"], LBSEQ=[1, 2], LBTESTCD=["ALB", "ALB"], LBTEST=["Albumin", "Albumin"],
              LBORRES=["41", "40"], LBORRESU=["g/L", "g/L"], LBSTRESC=["41", "40"], LBSTRESN=[41.0, 40.0],
              LBSTRESU=["", "g/L"])
    return validate_files({"LB": lb}, "sdtmig-3.4", rule_ids={"SD0029"}, today=TODAY)


def test_a_finding_of_a_known_rule_shows_its_ids_in_every_format(report, published, tmp_path):
    fda = sorted(p for p in published["SD0029"] if p.startswith("FDA"))
    cdisc = sorted(p for p in published["SD0029"] if p.startswith("CG"))
    assert fda == ["FDAC169"] and cdisc == ["CG0425"]
    f = report.findings
    assert len(f) == 1 and f.iloc[0][["p21", "fda", "cdisc"]].tolist() == ["SD0029", "FDAC169", "CG0425"]

    doc = json.loads(write_report(report, tmp_path / "r.json", "json").read_text())
    assert {k: doc["findings"][0][k] for k in ("rule", "p21", "fda", "cdisc")} == \
        {"rule": "SD0029", "p21": "SD0029", "fda": "FDAC169", "cdisc": "CG0425"}
    assert {k: doc["issues"][0][k] for k in ("p21", "fda", "cdisc")} == {"p21": "SD0029", "fda": "FDAC169",
                                                                         "cdisc": "CG0425"}

    rows = list(csv.DictReader(write_report(report, tmp_path / "r.csv", "csv").open(newline="", encoding="utf-8")))
    assert [(r["P21 ID"], r["FDA ID"], r["CDISC ID"]) for r in rows] == [("SD0029", "FDAC169", "CG0425")]

    wb = openpyxl.load_workbook(write_report(report, tmp_path / "r.xlsx", "xlsx"))
    for sheet in ("Details", "Issue Summary"):
        header, *values = [[c.value for c in row] for row in wb[sheet].iter_rows()]
        row = dict(zip(header, values[0]))
        assert (row["P21 ID"], row["FDA ID"], row["CDISC ID"]) == ("SD0029", "FDAC169", "CG0425"), sheet
    rules = {r[0].value: r for r in wb["Rules"].iter_rows(min_row=2)}
    assert (rules["SD0029"][2].value, rules["SD0029"][3].value) == ("FDAC169", "CG0425")

    page = render_html(report)
    data = json.loads(page.split('<script type="application/json" id="findings">')[1].split("</script>")[0])
    assert {"SD0029", "FDAC169", "CG0425"} <= set(data[0])
    assert "<td>FDAC169</td><td>CG0425</td>" in page  # the issue summary

    line = next(x for x in render_text(report).splitlines() if x.split()[1:2] == ["SD0029"])
    assert line.endswith("[FDA FDAC169; CDISC CG0425]")


def test_a_rule_p21_lacks_carries_no_p21_id():
    """MC0103 (birth after consent) is this package's own: no P21 ID, and the FDA business rule it answers to
    (FDAB034, dates in a logical order)."""
    dm = sdtm("DM", USUBJID=["S1"], BRTHDTC=["2001-01-01"], RFICDTC=["2000-01-01"])
    f = validate_files({"DM": dm}, "sdtmig-3.4", rule_ids={"MC0103"}, today=TODAY).findings
    assert f[["rule", "p21", "fda", "cdisc"]].values.tolist() == [["MC0103", "", "FDAB034", ""]]
