"""Parity with Pinnacle 21: our report on the CDISC pilot SDTM against the real Pinnacle 21 Community 2.2.0
reports on the same data (../shared/reference/cdiscpilot_phuse_update/p21-reports/), rule by rule and domain by
domain (P21 reports a split domain as one: LB for LBCH, LBHE and LBUR).

Every (rule, domain) pair either side reports is either reproduced (the same number of records, or within 1%) or
an entry of tests/reference/p21_parity.csv, which says why they differ, with both counts. Each entry's kind is
checked where it can be: `p21-lacks-rule` against the rules of P21's configuration (the report's Rules sheet),
`ours-only` against our rule IDs (MCnnnn: P21 has no such check), `not-in-folder` against the datasets of the
folder. An entry that no longer matches (its counts moved, or the pair is now reproduced) fails the test too, so the
table stays true. The count-weighted recall (the share of P21's findings in reproduced pairs) is asserted."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import REFERENCE

from cdisc_mirocals.validate.context import domain_of
from cdisc_mirocals.validate.engine import validate_folder
from cdisc_mirocals.validate.readers import read_folder

REPORTS = REFERENCE / "cdiscpilot_phuse_update" / "p21-reports"
FOLDERS = {  # name: (folder, P21's report on it)
    "tdf": (REFERENCE / "cdiscpilot01_tdf" / "sdtm", "pinnacle21-report-TDF_SDTM.xlsx"),
    "update": (REFERENCE / "cdiscpilot_phuse_update" / "sdtm", "SDTM_pinnacle21-report-2018-10-08T09-48.xlsx"),
    # P21 ran on the whole TDF ADaM (11 datasets); this folder holds its ADSL, ADAE and ADTTE (byte-identical) and
    # the R Consortium's ADCIBC (another file, whose dataset is named ADQSCIBC), checked against the SDTM beside it
    "tdf-adam": (REFERENCE / "cdiscpilot01_tdf" / "adam", "pinnacle21-report-TDF_ADaM.xlsx"),
}
EXPLAINED = Path(__file__).parent / "reference" / "p21_parity.csv"
KINDS = {"version", "p21-lacks-rule", "ours-only", "not-in-folder", "p21-differs", "other-file"}
# the share of P21's findings we reproduce, at least (measured: see the assertion); None: P21 reports nothing on
# the datasets of the folder (every one of its findings is on a dataset the folder does not hold)
RECALL = {"tdf": 0.991, "update": 0.998, "tdf-adam": None}


def within(ours: int, theirs: int) -> bool:
    return ours > 0 and theirs > 0 and abs(ours - theirs) <= 0.01 * theirs


def p21_counts(path: Path) -> dict[tuple[str, str], int]:
    """(rule, domain) -> records, from the Issue Summary's Found column (the Details stop at 1,000 per rule)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Workbook contains no default style"
        sheet = pd.read_excel(path, "Issue Summary", header=None)
    sheet = sheet.iloc[sheet.index[sheet[1].eq("Pinnacle 21 ID")][0] + 1:]  # below the table's header row
    sheet.columns = ["domain", "rule", "publisher", "message", "severity", "found"]
    sheet["domain"] = sheet["domain"].ffill()
    sheet = sheet.dropna(subset=["rule"])
    return {k: int(v) for k, v in sheet.groupby(["rule", "domain"])["found"].sum().items()}


def p21_datasets(path: Path) -> set[str]:
    """The datasets P21 processed (the Processed Sources of its Dataset Summary)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = pd.read_excel(path, "Dataset Summary", header=None)[0].dropna().astype(str).tolist()
    start = first.index("Processed Sources") + 2  # past its header row (Domain, Label, ...)
    return set(first[start:first.index("Total", start)]) - {"GLOBAL"}


def p21_rules(path: Path) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return set(pd.read_excel(path, "Rules")["Pinnacle 21 ID"].dropna())


def our_counts(folder: Path) -> tuple[dict[tuple[str, str], int], set[str]]:
    """(rule, domain) -> records (a finding that stands for a cause counts its records), and the domains read."""
    files = read_folder(folder)
    domains = {name: domain_of(f) for name, f in files.items()}
    report = validate_folder(folder, read=lambda where: files if where == folder else read_folder(where))
    assert not [n for n in report.notes if "could not run" in n], report.notes
    f = report.findings.assign(domain=report.findings["dataset"].map(lambda d: domains.get(d, d)))
    counts = f.groupby(["rule", "domain"])["count"].sum()
    return {k: int(v) for k, v in counts.items()}, set(domains.values())


def explained(name: str) -> dict[tuple[str, str], dict]:
    with EXPLAINED.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["folder"] == name]
    out = {}
    for r in rows:
        assert r["kind"] in KINDS and r["reason"].strip(), r
        key = (r["rule"], r["domain"])
        assert key not in out, f"{name} {key} is explained twice"
        out[key] = {**r, "ours": int(r["ours"]), "p21": int(r["p21"])}
    return out


@pytest.fixture(scope="module", params=sorted(FOLDERS))
def parity(request):
    folder, report = FOLDERS[request.param]
    if not ((folder / "dm.xpt").is_file() or (folder / "adsl.xpt").is_file()) or not (REPORTS / report).is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here: the pilot SDTM and P21's "
                    "reports on it are needed")
    ours, domains = our_counts(folder)
    return (request.param, ours, p21_counts(REPORTS / report), p21_rules(REPORTS / report), domains,
            p21_datasets(REPORTS / report))


def test_every_difference_from_p21_is_explained(parity):
    name, ours, theirs, p21_config, domains, p21_processed = parity
    table = explained(name)
    pairs = set(ours) | set(theirs)
    differ = {k for k in pairs if not within(ours.get(k, 0), theirs.get(k, 0))}
    # an entry for a single pair, or for every other differing pair of a rule (domain "*")
    covered, wildcard = {}, {}
    for key in differ:
        if key in table:
            covered.setdefault(key, []).append(key)
        elif (key[0], "*") in table:
            wildcard.setdefault((key[0], "*"), []).append(key)
    unexplained = sorted((k, ours.get(k, 0), theirs.get(k, 0)) for k in differ if k not in table
                         and (k[0], "*") not in table)
    assert not unexplained, f"{name}: differences from P21 with no entry in {EXPLAINED.name}: {unexplained}"
    stale = []
    for key, entry in table.items():
        found = covered.get(key) or wildcard.get(key) or []
        got = (sum(ours.get(k, 0) for k in found), sum(theirs.get(k, 0) for k in found))
        if not found or got != (entry["ours"], entry["p21"]):
            stale.append((key, "table", (entry["ours"], entry["p21"]), "now", got))
        rule, kind = key[0], entry["kind"]
        if kind == "p21-lacks-rule":
            assert rule not in p21_config, f"{name} {key}: P21 2.2.0's configuration has {rule}"
        elif kind == "ours-only":
            assert rule.startswith("MC"), f"{name} {key}: {rule} is a P21 rule"
        elif kind == "other-file":  # a dataset of the folder that P21 did not process (its copy had another name)
            assert all(k[1] in domains and k[1] not in p21_processed for k in found), f"{name} {key}"
        elif kind == "not-in-folder":
            assert all(k[1] not in domains for k in found if theirs.get(k, 0)) and \
                all(not ours.get(k, 0) or k[0] == "SD0061" for k in found), f"{name} {key}: the domain is here"
    assert not stale, f"{name}: entries of {EXPLAINED.name} that no longer hold: {stale}"


def test_count_weighted_recall(parity):
    name, ours, theirs, _, domains, _ = parity
    if RECALL[name] is None:
        outside = {k: n for k, n in theirs.items() if k[1] not in domains}
        assert outside == theirs, f"{name}: P21 reports on datasets of the folder: {set(theirs) - set(outside)}"
        print(f"{name}: P21's {sum(theirs.values()):,} findings are all on datasets this folder does not hold; "
              f"none of ours on its datasets is unexplained")
        return
    reproduced = sum(n for k, n in theirs.items() if within(ours.get(k, 0), n))
    recall = reproduced / sum(theirs.values())
    print(f"{name}: {reproduced:,} of P21's {sum(theirs.values()):,} findings reproduced, recall {recall:.1%}")
    assert recall >= RECALL[name], f"{name}: recall {recall:.3%}"


def test_p21s_five_most_frequent_rules_are_reproduced_exactly(parity):
    name, ours, theirs, _, _, _ = parity
    if name == "tdf-adam":
        return
    for key in (("SD0029", "LB"), ("SD0021", "AE"), ("SD0026", "LB"), ("SD2236", "DM"), ("SD0006", "DM")):
        assert ours.get(key) == theirs[key], (name, key)


def test_the_two_adam_reports_agree():
    """P21's two reports on the pilot ADaM (the TDF's and the PHUSE update's) have the same findings: the parity
    test compares with one."""
    paths = [REPORTS / "pinnacle21-report-TDF_ADaM.xlsx", REPORTS / "ADaM_pinnacle21-report-2018-10-08T10-27.xlsx"]
    if not all(p.is_file() for p in paths):
        pytest.skip("the shared reference folder (../shared/reference) is not here: P21's ADaM reports are needed")
    assert p21_counts(paths[0]) == p21_counts(paths[1])
    assert p21_counts(paths[0])[("AD0161", "ADADAS")] == 6260
