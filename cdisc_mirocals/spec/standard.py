"""One standard's sheets (SDTM or ADaM): codelists, documents, methods, comments, variables, datasets,
value-level metadata, the CT map and, for ADaM, the analysis results metadata."""

from __future__ import annotations

from typing import Any

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.arm import load_arm
from cdisc_mirocals.spec.model import (DATA_TYPES, ORIGINS, SOURCES, Codelist, Comment, Dataset, Document, Method,
                                       Standard, Term, ValueLevel, Variable)
from cdisc_mirocals.spec.sheets import Sheet, one_of, parse_keys, parse_where, yes_no

DATASET_COLUMNS = ["Dataset", "Description", "Class", "Structure", "Purpose", "Key Variables",
                   "Repeating", "Reference Data"]
VARIABLE_COLUMNS = ["Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits",
                    "Format", "Mandatory", "Codelist", "Origin", "Source", "Method", "Predecessor",
                    "Role", "Comment", "Core"]
VALUELEVEL_COLUMNS = ["Order", "Dataset", "Variable", "Where Clause", "Data Type", "Length",
                      "Significant Digits", "Format", "Mandatory", "Codelist", "Origin", "Source",
                      "Method", "Predecessor", "Comment"]
CODELIST_COLUMNS = ["ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Extensible", "Order",
                    "Term", "NCI Term Code", "Decoded Value"]
METHOD_COLUMNS = ["ID", "Name", "Type", "Description"]
COMMENT_COLUMNS = ["ID", "Description"]
DOCUMENT_COLUMNS = ["ID", "Title", "Href"]


def _item_fields(sheet: Sheet, line: int, row: dict) -> dict[str, Any]:
    """The columns variables.csv and valuelevel.csv share."""
    g = sheet.get
    item = dict(
        data_type=g(line, row, "Data Type", one_of(DATA_TYPES), True, f"one of {sorted(DATA_TYPES)}"),
        length=g(line, row, "Length", int, expected="a whole number of bytes"),
        significant_digits=g(line, row, "Significant Digits", int, expected="a whole number"),
        format=g(line, row, "Format"),
        mandatory=g(line, row, "Mandatory", yes_no, True, "Yes or No"),
        codelist=g(line, row, "Codelist"),
        origin=g(line, row, "Origin", one_of(ORIGINS), True, f"one of {sorted(ORIGINS)}"),
        source=g(line, row, "Source", one_of(SOURCES), expected=f"empty or one of {sorted(SOURCES)}") or "",
        method=g(line, row, "Method"),
        predecessor=g(line, row, "Predecessor"),
        comment=g(line, row, "Comment"),
        pages=row.get("Pages", "").strip(),
    )
    if item["pages"] and item["origin"] != "Collected":
        sheet.fail(line, "Pages", item["pages"], "empty: only a Collected origin cites annotated CRF pages")
    if item["origin"] == "Predecessor" and not item["predecessor"]:
        sheet.fail(line, "Predecessor", "", "the predecessor variable (e.g. DM.AGE) when Origin is Predecessor")
    return item


def load_standard(name: str, source, problems: list[Problem], study: dict[str, Any]) -> Standard:
    part = name.lower()

    def sheet(file: str, columns: list[str]) -> Sheet:
        return Sheet(source.table(f"{part}/{file}"), columns, problems, study)

    codelists: dict[str, dict] = {}
    s = sheet("codelists.csv", CODELIST_COLUMNS)
    for line, row in s.rows():
        cid = s.get(line, row, "ID", required=True)
        cl = codelists.setdefault(cid, dict(
            id=cid, name=row["Name"], nci_code=row["NCI Codelist Code"], data_type=row["Data Type"],
            terminology=row["Terminology"], comment=row.get("Comment", ""),
            extensible=s.get(line, row, "Extensible", yes_no, True, "Yes or No"), terms=[]))
        if not row["Term"] and cl["terminology"] not in ("CDISC/NCI", "Sponsor"):
            continue  # an external dictionary (MedDRA, WHODrug, ISO 3166) lists no terms
        term = s.get(line, row, "Term", required=True)
        if term in {t.term for t in cl["terms"]}:
            s.fail(line, "Term", term, f"each term once per codelist; {term} repeats in {cid}")
        cl["terms"].append(Term(term, row["NCI Term Code"], row["Decoded Value"],
                                s.get(line, row, "Order", int, True, "a whole number") or 0, row.get("Comment", "")))
    codelist_objs = {k: Codelist(**{**v, "terms": tuple(sorted(v["terms"], key=lambda t: t.order))})
                     for k, v in codelists.items()}
    # external dictionaries after the codelists, as a P21 workbook keeps them on a sheet of their own, so that
    # define.xml lists them in the same order from either source
    codelist_objs = dict(sorted(codelist_objs.items(), key=lambda kv: kv[1].is_external))

    documents = {}
    if source.has(f"{part}/documents.csv"):
        s = sheet("documents.csv", DOCUMENT_COLUMNS)
        for line, row in s.rows():
            did = s.get(line, row, "ID", required=True)
            documents[did] = Document(did, s.get(line, row, "Title", required=True), s.get(line, row, "Href", required=True))

    def check_document(sheet_: Sheet, line: int, row: dict, column: str = "Document") -> None:
        if row.get("Document") and row["Document"] not in documents:
            sheet_.fail(line, column, row["Document"], "an ID defined in documents.csv")

    methods = {}
    s = sheet("methods.csv", METHOD_COLUMNS)
    for line, row in s.rows():
        mid = s.get(line, row, "ID", required=True)
        check_document(s, line, row)
        methods[mid] = Method(mid, row["Name"], row["Type"], s.get(line, row, "Description", required=True),
                              row.get("Expression Context", ""), row.get("Expression Code", ""),
                              row.get("Document", ""), row.get("Pages", ""))
    comments = {}
    s = sheet("comments.csv", COMMENT_COLUMNS)
    for line, row in s.rows():
        cid = s.get(line, row, "ID", required=True)
        check_document(s, line, row)
        comments[cid] = Comment(cid, s.get(line, row, "Description", required=True),
                                row.get("Document", ""), row.get("Pages", ""))

    def check_refs(sheet_: Sheet, line: int, item: dict) -> None:
        for column, key, table in (("Codelist", "codelist", codelist_objs), ("Method", "method", methods),
                                   ("Comment", "comment", comments)):
            if item.get(key) and item[key] not in table:
                sheet_.fail(line, column, item[key], f"an ID defined in {column.lower()}s sheet")

    variables: dict[str, list[Variable]] = {}
    s = vs = sheet("variables.csv", VARIABLE_COLUMNS)
    for line, row in s.rows():
        item = _item_fields(s, line, row)
        var = s.get(line, row, "Variable", required=True)
        if len(var) > 8:
            s.fail(line, "Variable", var, "a name of at most 8 characters")
        label = s.get(line, row, "Label", required=True)
        if len(label) > 40:
            s.fail(line, "Label", label, "a label of at most 40 characters")
        if item["data_type"] not in ("integer", "float") and (item["length"] or 0) > 200:
            s.fail(line, "Length", str(item["length"]), "at most 200 bytes (SAS transport v5; longer text goes "
                                                        "to SUPP-- records, SDTMIG 3.4 section 4.5.3.2)")
        check_refs(s, line, item)
        variables.setdefault(row["Dataset"], []).append(Variable(
            dataset=s.get(line, row, "Dataset", required=True), name=var, label=label,
            order=s.get(line, row, "Order", int, True, "a whole number") or 0,
            role=row["Role"], core=row["Core"], **item))

    datasets = {}
    s = sheet("datasets.csv", DATASET_COLUMNS)
    for line, row in s.rows():
        ds = s.get(line, row, "Dataset", required=True)
        vars_ = sorted(variables.pop(ds, []), key=lambda v: v.order)
        if not vars_:
            s.fail(line, "Dataset", ds, "at least one variable in variables.csv")
        keys = parse_keys(row["Key Variables"])
        unknown = [k for k in keys if k not in {v.name for v in vars_}]
        if unknown:
            s.fail(line, "Key Variables", row["Key Variables"], f"variables of {ds}; unknown: {unknown}")
        datasets[ds] = Dataset(ds, row["Description"], row["Class"], row["Structure"], row["Purpose"], keys,
                               bool(s.get(line, row, "Repeating", yes_no, True, "Yes or No")),
                               bool(s.get(line, row, "Reference Data", yes_no, True, "Yes or No")),
                               row.get("Comment", ""), tuple(vars_), row.get("Subclass", ""))
    for ds in variables:
        vs.fail(None, "Dataset", ds, "a dataset listed in datasets.csv")

    valuelevel = []
    s = sheet("valuelevel.csv", VALUELEVEL_COLUMNS)
    for line, row in s.rows():
        item = _item_fields(s, line, row)
        check_refs(s, line, item)
        where = s.get(line, row, "Where Clause", parse_where, True, "VAR EQ value [AND ...]")
        valuelevel.append(ValueLevel(dataset=row["Dataset"], variable=row["Variable"],
                                     order=s.get(line, row, "Order", int, True, "a whole number") or 0,
                                     where=where or (), **item))
    ctmap: dict[str, dict[str, str]] = {}
    if source.has(f"{part}/ctmap.csv"):
        s = sheet("ctmap.csv", ["Codelist", "Collected Value", "Term"])
        for line, row in s.rows():
            cl = codelist_objs.get(row["Codelist"])
            if cl is None:
                s.fail(line, "Codelist", row["Codelist"], "an ID defined in codelists sheet")
            elif row["Term"] not in cl.values:
                s.fail(line, "Term", row["Term"], f"a term of codelist {cl.id}: {' | '.join(cl.values)}")
            else:
                ctmap.setdefault(cl.id, {})[s.get(line, row, "Collected Value", required=True).casefold()] = row["Term"]
    displays, results = {}, ()
    if source.has(f"{part}/analysis_displays.csv"):
        displays, results = load_arm(sheet, datasets, codelist_objs, comments, documents, check_document)
    return Standard(name, datasets, codelist_objs, tuple(valuelevel), methods, comments, ctmap, documents,
                    displays, results)
