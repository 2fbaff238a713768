"""Analysis Results Metadata sheets: the displays and the results that define.xml's ARM section lists."""

from __future__ import annotations

from cdisc_mirocals.spec.model import (ANALYSIS_PURPOSES, ANALYSIS_REASONS, AnalysisDataset, AnalysisDisplay,
                                       AnalysisResult)
from cdisc_mirocals.spec.sheets import one_of, parse_keys, parse_where

DISPLAY_COLUMNS = ["ID", "Name", "Title", "Document", "Pages"]
RESULT_COLUMNS = ["Display", "ID", "Analysis Key", "Description", "Reason", "Purpose", "Parameter", "Dataset",
                  "Where Clause", "Variables", "Join Comment", "Documentation", "Document", "Pages", "Code Context",
                  "Code", "Code Document"]
# given on the first row of a result; its further rows (one per further analysis dataset) leave them empty
RESULT_LEVEL = ["Display", "Analysis Key", "Description", "Reason", "Purpose", "Parameter", "Join Comment",
                "Documentation", "Document", "Pages", "Code Context", "Code", "Code Document"]


def load_arm(sheet, datasets, codelists, comments, documents, check_document):
    displays = {}
    s = sheet("analysis_displays.csv", DISPLAY_COLUMNS)
    for line, row in s.rows():
        did = s.get(line, row, "ID", required=True)
        check_document(s, line, row)
        displays[did] = AnalysisDisplay(did, s.get(line, row, "Name", required=True),
                                        s.get(line, row, "Title", required=True), row["Document"], row["Pages"])
    results: dict[str, dict] = {}
    s = sheet("analysis_results.csv", RESULT_COLUMNS)
    for line, row in s.rows():
        rid = s.get(line, row, "ID", required=True)
        first = rid not in results
        if first:
            results[rid] = _result_fields(s, line, row, displays, datasets, comments)
            check_document(s, line, row)
            check_document(s, line, {"Document": row["Code Document"]}, "Code Document")
        else:
            for column in RESULT_LEVEL:
                if row[column]:
                    s.fail(line, column, row[column], f"empty: result {rid} gives it on its first row")
        ds = _analysis_dataset(s, line, row, datasets, codelists)
        if ds is not None:
            results[rid]["datasets"].append(ds)
    keys: dict[str, str] = {}
    for rid, r in results.items():
        if r["key"] in keys:
            s.fail(None, "Analysis Key", r["key"], f"a key used once; {keys[r['key']]} and {rid} share it")
        keys[r["key"]] = rid
    return displays, tuple(AnalysisResult(**{**r, "datasets": tuple(r["datasets"])}) for r in results.values())


def _result_fields(s, line, row, displays, datasets, comments) -> dict:
    g = s.get
    if row["Display"] not in displays:
        s.fail(line, "Display", row["Display"], "an ID defined in analysis_displays.csv")
    if row["Join Comment"] and row["Join Comment"] not in comments:
        s.fail(line, "Join Comment", row["Join Comment"], "an ID defined in comments.csv")
    ds, _, var = row["Parameter"].partition(".")
    if row["Parameter"] and (ds not in datasets or var not in datasets[ds].names):
        s.fail(line, "Parameter", row["Parameter"], "DATASET.VARIABLE of a variable in variables.csv (e.g. ADTTE.PARAMCD)")
    if row["Document"] and not row["Documentation"]:
        s.fail(line, "Documentation", "", "the text that the Document reference documents")
    if (row["Code"] or row["Code Document"]) and not row["Code Context"]:
        s.fail(line, "Code Context", "", "the language of the Code (e.g. Python 3.11)")
    return dict(id=row["ID"], display=row["Display"], key=g(line, row, "Analysis Key", required=True),
                description=g(line, row, "Description", required=True),
                reason=g(line, row, "Reason", one_of(ANALYSIS_REASONS), True, f"one of {sorted(ANALYSIS_REASONS)}"),
                purpose=g(line, row, "Purpose", one_of(ANALYSIS_PURPOSES), True, f"one of {sorted(ANALYSIS_PURPOSES)}"),
                parameter=row["Parameter"], datasets=[], join_comment=row["Join Comment"],
                documentation=row["Documentation"], document=row["Document"], pages=row["Pages"],
                code_context=row["Code Context"], code=row["Code"], code_document=row["Code Document"])


def _analysis_dataset(s, line, row, datasets, codelists) -> AnalysisDataset | None:
    name = s.get(line, row, "Dataset", required=True)
    if name not in datasets:
        s.fail(line, "Dataset", name, "a dataset listed in datasets.csv")
        return None
    dataset = datasets[name]
    where = s.get(line, row, "Where Clause", parse_where, expected="VAR EQ value [AND ...]") or ()
    variables = parse_keys(row["Variables"])
    for column, names in (("Where Clause", [c.variable for c in where]), ("Variables", variables)):
        for var in names:
            if var not in dataset.names:
                s.fail(line, column, var, f"a variable of {name}")
    for cond in where:
        cl = codelists.get(dataset.variable(cond.variable).codelist) if cond.variable in dataset.names else None
        bad = [v for v in cond.values if cl is not None and cl.terms and v not in cl.values]
        if bad:
            s.fail(line, "Where Clause", " | ".join(bad), f"terms of codelist {cl.id} of {cond.variable}: {' | '.join(cl.values)}")
    return AnalysisDataset(name, where, variables)
