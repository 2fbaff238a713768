"""The typed, immutable objects that specs/ loads into (docs/specs.md describes the sheets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # a Collected origin's pages in the annotated CRF: written by convert from the aCRF's layout; read back
    # by `specs import-define`, so that define.xml round-trips
    pages: str = field(default="", kw_only=True)

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
    code_document: str = ""  # the def:leaf of the program file that holds the code


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
    test_code: str = ""  # a findings result: the --TESTCD it is tabulated under (the aCRF's "when --TESTCD = ...")
    other_targets: tuple[str, ...] = ()  # further SDTM variables (or SUPP-- QNAMs) the collected value feeds
    # "DS.VAR = VALUE" entries: what tells this field's records of DS apart from those of the form's other fields
    when: tuple[str, ...] = ()
    preset: tuple[str, ...] = ()  # "DS.VAR = VALUE" entries: a value every record the field feeds is given

    @property
    def targets(self) -> tuple[str, ...]:
        """Every SDTM variable the field feeds, the Target first; none for a field collected but not submitted."""
        return ((self.target,) if self.target else ()) + self.other_targets


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
    windows: tuple[Any, ...] = ()  # spec.windows.VisitWindow, from specs/adam/visit_windows.csv
    grading: Any = None  # spec.grading.GradingTable, from specs/adam/ctcae_v5.csv and toxicity_terms.csv
    explanations: tuple[Any, ...] = ()  # spec.explanations.Explanation, from specs/review/findings_explanations.csv
