"""Load specs/ into typed, immutable objects.

The layout of the sheets is documented in docs/specs.md. Every problem found is collected and
raised together as one SpecError naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from cdisc_mirocals.errors import Problem, SpecError

DATA_TYPES = {
    "text", "integer", "float", "date", "datetime", "time", "partialDate", "partialTime",
    "partialDatetime", "incompleteDatetime", "durationDatetime",
}
ORIGINS = {"Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available"}
SOURCES = {"Investigator", "Sponsor", "Subject", "Vendor"}  # Define-XML 2.1 def:Origin/@Source
# Analysis Results Metadata terms of the Define-XML CT (C117744 Analysis Reason, C117745 Analysis Purpose)
ANALYSIS_REASONS = {"SPECIFIED IN PROTOCOL", "SPECIFIED IN SAP", "DATA DRIVEN", "REQUESTED BY REGULATORY AGENCY"}
ANALYSIS_PURPOSES = {"PRIMARY OUTCOME MEASURE", "SECONDARY OUTCOME MEASURE", "EXPLORATORY OUTCOME MEASURE"}
RAW_TYPES = {"text", "integer", "float", "date", "partial date", "time"}
COMPARATORS = {"EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE"}


@dataclass(frozen=True)
class Term:
    term: str
    nci_code: str
    decode: str
    order: int
    comment: str = ""


@dataclass(frozen=True)
class Codelist:
    id: str
    name: str
    nci_code: str
    data_type: str
    terminology: str
    extensible: bool
    terms: tuple[Term, ...]
    comment: str = ""

    @property
    def is_external(self) -> bool:
        """A dictionary such as MedDRA: values are checked against it elsewhere, not listed here."""
        return not self.terms and self.terminology not in ("CDISC/NCI", "Sponsor")

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(t.term for t in self.terms)

    def decode(self, term: str) -> str:
        return next(t.decode for t in self.terms if t.term == term)


@dataclass(frozen=True)
class ItemMetadata:
    """What variables.csv and valuelevel.csv both say of an item."""

    data_type: str
    length: int | None
    significant_digits: int | None
    format: str
    mandatory: bool
    codelist: str
    origin: str
    source: str
    method: str
    predecessor: str
    comment: str

    @property
    def is_numeric(self) -> bool:
        return self.data_type in ("integer", "float")


@dataclass(frozen=True)
class Variable(ItemMetadata):
    dataset: str
    name: str
    order: int
    label: str
    role: str
    core: str


@dataclass(frozen=True)
class Condition:
    variable: str
    comparator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ValueLevel(ItemMetadata):
    dataset: str
    variable: str
    order: int
    where: tuple[Condition, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    class_: str
    structure: str
    purpose: str
    keys: tuple[str, ...]
    repeating: bool
    reference_data: bool
    comment: str
    variables: tuple[Variable, ...]
    subclass: str = ""  # ADaM: e.g. TIME-TO-EVENT within BASIC DATA STRUCTURE

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name} has no variable {name} in specs")

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


@dataclass(frozen=True)
class Method:
    id: str
    name: str
    type: str
    description: str
    expression_context: str = ""
    expression_code: str = ""
    document: str = ""
    pages: str = ""


@dataclass(frozen=True)
class Comment:
    id: str
    description: str
    document: str = ""
    pages: str = ""


@dataclass(frozen=True)
class Document:
    """A document that define.xml links to (def:leaf); Href is relative to the define.xml folder."""

    id: str
    title: str
    href: str


@dataclass(frozen=True)
class AnalysisDisplay:
    """An ARM result display (a table or figure of analysis results)."""

    id: str
    name: str
    title: str
    document: str = ""
    pages: str = ""


@dataclass(frozen=True)
class AnalysisDataset:
    dataset: str
    where: tuple[Condition, ...]
    variables: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisResult:
    """One ARM analysis result; `key` names it in the analysis code and its results."""

    id: str
    display: str
    key: str
    description: str
    reason: str
    purpose: str
    parameter: str  # DATASET.VARIABLE holding the parameter code, e.g. ADTTE.PARAMCD
    datasets: tuple[AnalysisDataset, ...]
    join_comment: str
    documentation: str
    document: str
    pages: str
    code_context: str
    code: str


@dataclass(frozen=True)
class Standard:
    """One standard's sheets: SDTM or ADaM."""

    name: str
    datasets: dict[str, Dataset]
    codelists: dict[str, Codelist]
    valuelevel: tuple[ValueLevel, ...]
    methods: dict[str, Method]
    comments: dict[str, Comment]
    ctmap: dict[str, dict[str, str]] = field(default_factory=dict)  # codelist -> collected value -> term
    documents: dict[str, Document] = field(default_factory=dict)
    displays: dict[str, AnalysisDisplay] = field(default_factory=dict)
    analysis_results: tuple[AnalysisResult, ...] = ()

    def __getitem__(self, dataset: str) -> Dataset:
        try:
            return self.datasets[dataset]
        except KeyError:
            raise KeyError(f"{self.name} specs define no dataset {dataset}") from None


@dataclass(frozen=True)
class RawField:
    form: str
    name: str
    order: int
    label: str
    type: str
    required: bool
    allowed: tuple[str, ...]
    min: float | None
    max: float | None
    comment: str
    length: int | None = None  # the EDC field's maximum, in bytes (text fields)
    target: str = ""  # the SDTM variable holding the collected value: DS.VAR, or SUPPxx.QNAM


@dataclass(frozen=True)
class RawForm:
    name: str
    file: str
    description: str
    keys: tuple[str, ...]
    parent: str
    required: bool
    fields: tuple[RawField, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class Study:
    """specs/study.toml, with the values code reads most often as attributes."""

    studyid: str
    data: dict[str, Any] = field(repr=False)

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.data[section]

    @property
    def pnfh_threshold(self) -> float:
        return float(self.data["parameters"]["pnfh_threshold"])

    @property
    def primary_window_days(self) -> int:
        return int(self.data["parameters"]["primary_window_days"])


@dataclass(frozen=True)
class Spec:
    root: Path
    study: Study
    sdtm: Standard
    adam: Standard
    raw: dict[str, RawForm]


# --------------------------------------------------------------------------- sheet reading


# {parameters.pnfh_threshold} in a sheet cell: a study.toml value, so that a fact has one home.
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\}")


def study_value(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    if isinstance(value, (dict, list)):
        raise KeyError(path)
    return f"{value:g}" if isinstance(value, float) else str(value)


def expand(text: str, data: dict[str, Any]) -> str:
    """Replace each {section.key} with its study.toml value (KeyError names an unknown one)."""
    return PLACEHOLDER.sub(lambda m: study_value(data, m.group(1)), text)


class _Sheet:
    """Reads one CSV sheet row by row, recording problems instead of stopping at the first."""

    def __init__(self, path: Path, root: Path, columns: list[str], problems: list[Problem],
                 study: dict[str, Any] | None = None):
        self.path, self.columns, self.problems, self.study = path, columns, problems, study or {}
        self.name = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)

    def _expanded(self, line: int, row: dict[str, str]) -> dict[str, str]:
        out = {}
        for column, value in row.items():
            try:
                out[column] = expand(value, self.study) if "{" in value else value
            except KeyError as exc:
                self.fail(line, column, value, f"placeholders naming study.toml values; {exc.args[0]} is not one")
                out[column] = value
        return out

    def rows(self):
        if not self.path.is_file():
            self.problems.append(Problem(self.name, None, None, None, "file is missing"))
            return
        with self.path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in self.columns if c not in (reader.fieldnames or [])]
            if missing:
                self.problems.append(Problem(self.name, 1, ", ".join(missing), None,
                                             f"header lacks required columns; expected {self.columns}"))
                return
            lines = self.path.read_text(encoding="utf-8").split("\n")
            end = reader.line_num
            for row in reader:
                # a quoted value may span lines: a record is located at its first line, not its last
                start, end = end + 1, reader.line_num
                while start < end and not lines[start - 1].strip():
                    start += 1  # blank lines the reader skipped
                if not any((v or "").strip() for v in row.values()):
                    continue
                yield start, self._expanded(start, {k: (v or "").strip() for k, v in row.items() if k})

    def fail(self, line: int, column: str, value: str | None, expected: str) -> None:
        self.problems.append(Problem(self.name, line, column, value, expected))

    def get(self, line: int, row: dict, column: str, parse: Callable[[str], Any] = str,
            required: bool = False, expected: str = "") -> Any:
        raw = row.get(column, "")
        if raw == "":
            if required:
                self.fail(line, column, raw, "a value is required")
            return None if parse is not str else ""
        try:
            return parse(raw)
        except (ValueError, KeyError):
            self.fail(line, column, raw, expected or f"a valid {getattr(parse, '__name__', 'value')}")
            return None


def _yes_no(value: str) -> bool:
    return {"yes": True, "no": False}[value.lower()]


def _one_of(allowed: set[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(value)
        return value
    return parse


def _where(text: str) -> tuple[Condition, ...]:
    conditions = []
    for part in text.split(" AND "):
        var, comparator, values = part.strip().split(" ", 2)
        if comparator not in COMPARATORS:
            raise ValueError(text)
        conditions.append(Condition(var, comparator, tuple(v.strip() for v in values.split("|"))))
    return tuple(conditions)


def _keys(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


# --------------------------------------------------------------------------- standards

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


def _item_fields(sheet: _Sheet, line: int, row: dict) -> dict[str, Any]:
    """The columns variables.csv and valuelevel.csv share."""
    g = sheet.get
    item = dict(
        data_type=g(line, row, "Data Type", _one_of(DATA_TYPES), True, f"one of {sorted(DATA_TYPES)}"),
        length=g(line, row, "Length", int, expected="a whole number of bytes"),
        significant_digits=g(line, row, "Significant Digits", int, expected="a whole number"),
        format=g(line, row, "Format"),
        mandatory=g(line, row, "Mandatory", _yes_no, True, "Yes or No"),
        codelist=g(line, row, "Codelist"),
        origin=g(line, row, "Origin", _one_of(ORIGINS), True, f"one of {sorted(ORIGINS)}"),
        source=g(line, row, "Source", _one_of(SOURCES), expected=f"empty or one of {sorted(SOURCES)}") or "",
        method=g(line, row, "Method"),
        predecessor=g(line, row, "Predecessor"),
        comment=g(line, row, "Comment"),
    )
    if item["origin"] == "Predecessor" and not item["predecessor"]:
        sheet.fail(line, "Predecessor", "", "the predecessor variable (e.g. DM.AGE) when Origin is Predecessor")
    return item


def _load_standard(name: str, folder: Path, root: Path, problems: list[Problem],
                   study: dict[str, Any]) -> Standard:
    def sheet(file: str, columns: list[str]) -> _Sheet:
        return _Sheet(folder / file, root, columns, problems, study)

    codelists: dict[str, dict] = {}
    s = sheet("codelists.csv", CODELIST_COLUMNS)
    for line, row in s.rows():
        cid = s.get(line, row, "ID", required=True)
        cl = codelists.setdefault(cid, dict(
            id=cid, name=row["Name"], nci_code=row["NCI Codelist Code"], data_type=row["Data Type"],
            terminology=row["Terminology"], comment=row.get("Comment", ""),
            extensible=s.get(line, row, "Extensible", _yes_no, True, "Yes or No"), terms=[]))
        if not row["Term"] and cl["terminology"] not in ("CDISC/NCI", "Sponsor"):
            continue  # an external dictionary (MedDRA, WHODrug, ISO 3166) lists no terms
        term = s.get(line, row, "Term", required=True)
        if term in {t.term for t in cl["terms"]}:
            s.fail(line, "Term", term, f"each term once per codelist; {term} repeats in {cid}")
        cl["terms"].append(Term(term, row["NCI Term Code"], row["Decoded Value"],
                                s.get(line, row, "Order", int, True, "a whole number") or 0, row.get("Comment", "")))
    codelist_objs = {k: Codelist(**{**v, "terms": tuple(sorted(v["terms"], key=lambda t: t.order))})
                     for k, v in codelists.items()}

    documents = {}
    if (folder / "documents.csv").exists():
        s = sheet("documents.csv", DOCUMENT_COLUMNS)
        for line, row in s.rows():
            did = s.get(line, row, "ID", required=True)
            documents[did] = Document(did, s.get(line, row, "Title", required=True), s.get(line, row, "Href", required=True))

    def check_document(sheet_: _Sheet, line: int, row: dict) -> None:
        if row.get("Document") and row["Document"] not in documents:
            sheet_.fail(line, "Document", row["Document"], "an ID defined in documents.csv")

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

    def check_refs(sheet_: _Sheet, line: int, item: dict) -> None:
        for column, key, table in (("Codelist", "codelist", codelist_objs), ("Method", "method", methods),
                                   ("Comment", "comment", comments)):
            if item.get(key) and item[key] not in table:
                sheet_.fail(line, column, item[key], f"an ID defined in {column.lower()}s sheet")

    variables: dict[str, list[Variable]] = {}
    s = sheet("variables.csv", VARIABLE_COLUMNS)
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
        keys = _keys(row["Key Variables"])
        unknown = [k for k in keys if k not in {v.name for v in vars_}]
        if unknown:
            s.fail(line, "Key Variables", row["Key Variables"], f"variables of {ds}; unknown: {unknown}")
        datasets[ds] = Dataset(ds, row["Description"], row["Class"], row["Structure"], row["Purpose"], keys,
                               bool(s.get(line, row, "Repeating", _yes_no, True, "Yes or No")),
                               bool(s.get(line, row, "Reference Data", _yes_no, True, "Yes or No")),
                               row.get("Comment", ""), tuple(vars_), row.get("Subclass", ""))
    for ds in variables:
        problems.append(Problem(f"{name.lower()}/variables.csv", None, "Dataset", ds,
                                "a dataset listed in datasets.csv"))

    valuelevel = []
    s = sheet("valuelevel.csv", VALUELEVEL_COLUMNS)
    for line, row in s.rows():
        item = _item_fields(s, line, row)
        check_refs(s, line, item)
        where = s.get(line, row, "Where Clause", _where, True, "VAR EQ value [AND ...]")
        valuelevel.append(ValueLevel(dataset=row["Dataset"], variable=row["Variable"],
                                     order=s.get(line, row, "Order", int, True, "a whole number") or 0,
                                     where=where or (), **item))
    ctmap: dict[str, dict[str, str]] = {}
    if (folder / "ctmap.csv").exists():
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
    if (folder / "analysis_displays.csv").exists():
        displays, results = _load_arm(sheet, datasets, codelist_objs, comments, documents, check_document)
    return Standard(name, datasets, codelist_objs, tuple(valuelevel), methods, comments, ctmap, documents,
                    displays, results)


# --------------------------------------------------------------------------- analysis results metadata

DISPLAY_COLUMNS = ["ID", "Name", "Title", "Document", "Pages"]
RESULT_COLUMNS = ["Display", "ID", "Analysis Key", "Description", "Reason", "Purpose", "Parameter", "Dataset",
                  "Where Clause", "Variables", "Join Comment", "Documentation", "Document", "Pages", "Code Context",
                  "Code"]
# given on the first row of a result; its further rows (one per further analysis dataset) leave them empty
RESULT_LEVEL = ["Display", "Analysis Key", "Description", "Reason", "Purpose", "Parameter", "Join Comment",
                "Documentation", "Document", "Pages", "Code Context", "Code"]


def _load_arm(sheet, datasets, codelists, comments, documents, check_document):
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
    if row["Code"] and not row["Code Context"]:
        s.fail(line, "Code Context", "", "the language of the Code (e.g. Python 3.11)")
    return dict(id=row["ID"], display=row["Display"], key=g(line, row, "Analysis Key", required=True),
                description=g(line, row, "Description", required=True),
                reason=g(line, row, "Reason", _one_of(ANALYSIS_REASONS), True, f"one of {sorted(ANALYSIS_REASONS)}"),
                purpose=g(line, row, "Purpose", _one_of(ANALYSIS_PURPOSES), True, f"one of {sorted(ANALYSIS_PURPOSES)}"),
                parameter=row["Parameter"], datasets=[], join_comment=row["Join Comment"],
                documentation=row["Documentation"], document=row["Document"], pages=row["Pages"],
                code_context=row["Code Context"], code=row["Code"])


def _analysis_dataset(s, line, row, datasets, codelists) -> AnalysisDataset | None:
    name = s.get(line, row, "Dataset", required=True)
    if name not in datasets:
        s.fail(line, "Dataset", name, "a dataset listed in datasets.csv")
        return None
    dataset = datasets[name]
    where = s.get(line, row, "Where Clause", _where, expected="VAR EQ value [AND ...]") or ()
    variables = _keys(row["Variables"])
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


# --------------------------------------------------------------------------- raw forms

def _number(text: str) -> float:
    return float(text)


def _load_raw(folder: Path, root: Path, problems: list[Problem]) -> dict[str, RawForm]:
    fields: dict[str, list[RawField]] = {}
    s = _Sheet(folder / "fields.csv", root,
               ["Form", "Order", "Field", "Label", "Type", "Required", "Allowed Values", "Min", "Max"], problems)
    for line, row in s.rows():
        form = s.get(line, row, "Form", required=True)
        fields.setdefault(form, []).append(RawField(
            form=form, name=s.get(line, row, "Field", required=True),
            order=s.get(line, row, "Order", int, True, "a whole number") or 0,
            label=row["Label"], type=s.get(line, row, "Type", _one_of(RAW_TYPES), True, f"one of {sorted(RAW_TYPES)}"),
            required=bool(s.get(line, row, "Required", _yes_no, True, "Yes or No")),
            allowed=tuple(v.strip() for v in row["Allowed Values"].split("|") if v.strip()),
            min=s.get(line, row, "Min", _number, expected="a number"),
            max=s.get(line, row, "Max", _number, expected="a number"),
            comment=row.get("Comment", ""),
            length=s.get(line, row, "Length", int, expected="a whole number of bytes"),
            target=row.get("Target", "")))
    forms = {}
    s = _Sheet(folder / "forms.csv", root, ["Form", "File", "Description", "Key Variables", "Parent", "Required"],
               problems)
    for line, row in s.rows():
        name = s.get(line, row, "Form", required=True)
        fs = tuple(sorted(fields.pop(name, []), key=lambda f: f.order))
        keys = _keys(row["Key Variables"])
        if not fs:
            s.fail(line, "Form", name, "at least one field in fields.csv")
        if any(k not in {f.name for f in fs} for k in keys):
            s.fail(line, "Key Variables", row["Key Variables"], f"fields of form {name}")
        forms[name] = RawForm(name, s.get(line, row, "File", required=True), row["Description"], keys,
                              row["Parent"], bool(s.get(line, row, "Required", _yes_no, True, "Yes or No")), fs)
    for line, row in s.rows():
        if row["Parent"] and row["Parent"] not in forms:
            s.fail(line, "Parent", row["Parent"], "a form listed in forms.csv")
    for form in fields:
        problems.append(Problem("raw/fields.csv", None, "Form", form, "a form listed in forms.csv"))
    return forms


# --------------------------------------------------------------------------- entry point

def _check_targets(raw: dict[str, RawForm], sdtm: Standard) -> list[Problem]:
    """Each raw field's Target names an SDTM variable, or a QNAM of a SUPP-- dataset."""
    problems = []
    for form in raw.values():
        for f in form.fields:
            if not f.target:
                continue
            dataset, _, name = f.target.partition(".")
            ds = sdtm.datasets.get(dataset)
            qnams = sdtm.codelists.get(ds.variable("QNAM").codelist) if ds and "QNAM" in ds.names else None
            known = ds is not None and (name in ds.names or (qnams is not None and name in qnams.values))
            if not known:
                problems.append(Problem("raw/fields.csv", None, "Target", f.target,
                                        f"an SDTM variable (DS.VAR) or SUPP-- QNAM, for {form.name}.{f.name}"))
    return problems


def _expand_toml(value: Any, data: dict[str, Any], where: str, problems: list[Problem]) -> Any:
    """Placeholders in study.toml text (e.g. a TS value quoting the pNFH threshold), expanded."""
    if isinstance(value, dict):
        return {k: _expand_toml(v, data, f"{where}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_toml(v, data, where, problems) for v in value]
    if isinstance(value, str) and "{" in value:
        try:
            return expand(value, data)
        except KeyError as exc:
            problems.append(Problem("study.toml", None, where, value,
                                    f"placeholders naming study.toml values; {exc.args[0]} is not one"))
    return value


def default_spec_root() -> Path:
    """specs/ inside an installed wheel, else the source tree's specs/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / "specs", here.parent / "specs"):
        if (candidate / "study.toml").is_file():
            return candidate
    raise SpecError([Problem("specs/", None, None, None,
                             "the specification folder; reinstall the package or pass --specs")])


def load_spec(root: str | Path | None = None) -> Spec:
    """Load every sheet under `root` (default: the package's own specs/)."""
    return _load_spec_cached(Path(root).resolve() if root else default_spec_root())


@lru_cache(maxsize=8)
def _load_spec_cached(root: Path) -> Spec:
    problems: list[Problem] = []
    study_path = root / "study.toml"
    try:
        data = tomllib.loads(study_path.read_text(encoding="utf-8"))
        studyid = data["study"]["studyid"]
    except FileNotFoundError:
        raise SpecError([Problem(str(study_path.name), None, None, None, "file is missing")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([Problem("study.toml", None, None, None, f"valid TOML ({exc})")]) from None
    except KeyError:
        raise SpecError([Problem("study.toml", None, "study.studyid", None, "a study identifier")]) from None
    data["trial_summary"] = _expand_toml(data.get("trial_summary", {}), data, "trial_summary", problems)
    sdtm = _load_standard("SDTM", root / "sdtm", root, problems, data)
    adam = _load_standard("ADaM", root / "adam", root, problems, data)
    raw = _load_raw(root / "raw", root, problems)
    problems += _check_targets(raw, sdtm)
    if problems:
        raise SpecError(problems)
    return Spec(root, Study(studyid, data), sdtm, adam, raw)
