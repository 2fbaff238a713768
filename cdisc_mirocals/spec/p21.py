"""The Pinnacle 21 define spec workbook layout, and the translation between its sheets and the specs/ tables.

P21's sheets in P21's order, each with P21's columns first and this package's further ones after them
(docs/specs.md lists them): Study, Datasets, Variables, ValueLevel, WhereClauses, Codelists, Dictionaries,
Methods, Comments, Documents, Analysis Displays, Analysis Results; then the sheets P21 has no place for:
CT Map, Raw Forms, Raw Fields. One workbook holds both standards: a Standard column (SDTM or ADaM) routes
each row of a shared sheet to its specs/ folder. Where clauses are rows of WhereClauses, named by an ID
that ValueLevel and Analysis Results cite, as in P21; external dictionaries (MedDRA, WHODrug) are rows of
Dictionaries, whose Version is study.toml's, not a value of its own."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Callable

from cdisc_mirocals.spec.model import COMPARATORS
from cdisc_mirocals.spec.sheets import parse_where

STANDARDS = {"SDTM": "sdtm", "ADaM": "adam"}
WHERE_COLUMNS = ["ID", "Dataset", "Variable", "Comparator", "Value"]
ITEM = ["Data Type", "Length", "Significant Digits", "Format", "Mandatory", "Codelist", "Origin", "Source", "Pages", "Method",
        "Predecessor"]


@dataclass(frozen=True)
class Layout:
    sheet: str
    table: str                 # the specs/ table: "variables.csv" under each standard, or "raw/forms.csv"
    columns: tuple[str, ...]   # workbook columns, in order (Standard last where the sheet is shared)
    rename: dict[str, str] = field(default_factory=dict)  # workbook column -> specs/ column
    derived: tuple[str, ...] = ()  # workbook columns written for the reader, not read back (checked instead)

    @property
    def per_standard(self) -> bool:
        return "/" not in self.table

    def table_column(self, column: str) -> str:
        return self.rename.get(column, column)


LAYOUTS = [
    Layout("Datasets", "datasets.csv", ("Dataset", "Description", "Class", "Structure", "Purpose", "Key Variables",
                                        "Repeating", "Reference Data", "Comment", "Subclass", "Standard")),
    Layout("Variables", "variables.csv", ("Order", "Dataset", "Variable", "Label", *ITEM, "Role", "Comment", "Core",
                                          "Standard")),
    Layout("ValueLevel", "valuelevel.csv", ("Order", "Dataset", "Variable", "Where Clause", *ITEM, "Comment",
                                            "Standard")),
    Layout("Codelists", "codelists.csv", ("ID", "Name", "NCI Codelist Code", "Data Type", "Terminology", "Comment",
                                          "Order", "Term", "NCI Term Code", "Decoded Value", "Extensible",
                                          "Standard")),
    Layout("Dictionaries", "codelists.csv", ("ID", "Name", "Data Type", "Dictionary", "Version", "NCI Codelist Code",
                                             "Extensible", "Comment", "Standard"),
           {"Dictionary": "Terminology"}, ("Version",)),
    Layout("Methods", "methods.csv", ("ID", "Name", "Type", "Description", "Expression Context", "Expression Code",
                                      "Document", "Pages", "Standard")),
    Layout("Comments", "comments.csv", ("ID", "Description", "Document", "Pages", "Standard")),
    Layout("Documents", "documents.csv", ("ID", "Title", "Href", "Standard")),
    Layout("Analysis Displays", "adam/analysis_displays.csv", ("ID", "Name", "Title", "Document", "Pages")),
    Layout("Analysis Results", "adam/analysis_results.csv", (
        "Display", "ID", "Analysis Key", "Description", "Reason", "Purpose", "Parameter", "Dataset", "Where Clause",
        "Variables", "Join Comment", "Documentation", "Document", "Pages", "Code Context", "Code", "Code Document")),
    Layout("CT Map", "ctmap.csv", ("Codelist", "Collected Value", "Term", "Comment", "Standard")),
    Layout("Raw Forms", "raw/forms.csv", ("Form", "File", "Description", "Key Variables", "Parent", "Required")),
    Layout("Raw Fields", "raw/fields.csv", ("Form", "Order", "Field", "Label", "Type", "Length", "Required",
                                            "Allowed Values", "Min", "Max", "Target", "Test Code",
                                            "Other Targets", "When", "Preset", "Comment")),
    Layout("Visit Windows", "adam/visit_windows.csv", ("Dataset", "AVISITN", "AVISIT", "AWLO", "AWHI", "AWTARGET",
                                                       "AWU")),
    Layout("CTCAE Grades", "adam/ctcae_v5.csv", ("Term", "Direction", "Unit", "Order", "Grade", "Criterion", "CTCAE")),
    Layout("Toxicity Terms", "adam/toxicity_terms.csv", ("PARAMCD", "Low Term", "High Term")),
    Layout("Findings Explanations", "review/findings_explanations.csv", ("Rule", "Dataset", "Variable", "Explanation")),
]
SHEET_ORDER = ["Study", "Datasets", "Variables", "ValueLevel", "WhereClauses", "Codelists", "Dictionaries", "Methods",
               "Comments", "Documents", "Analysis Displays", "Analysis Results", "CT Map", "Raw Forms", "Raw Fields",
               "Visit Windows", "CTCAE Grades", "Toxicity Terms", "Findings Explanations"]
# sheets a workbook may leave out, as specs/ may leave out the tables they hold
OPTIONAL_SHEETS = {"WhereClauses", "Dictionaries", "Documents", "Analysis Displays", "Analysis Results", "CT Map",
                   "Visit Windows", "CTCAE Grades", "Toxicity Terms", "Findings Explanations"}
WHERE_TABLES = ("valuelevel.csv", "analysis_results.csv")


def is_dictionary(row: dict[str, str]) -> bool:
    """As the loader reads it: no terms, and a terminology other than CDISC/NCI or Sponsor."""
    return not row.get("Term") and row.get("Terminology", "") not in ("CDISC/NCI", "Sponsor")


def dictionary_version(study: dict[str, Any], terminology: str) -> str:
    return str(study.get("standards", {}).get(terminology.lower(), ""))


def layouts_of(table: str) -> list[Layout]:
    """The sheets a specs/ table ("sdtm/codelists.csv") is written to."""
    part, _, file = table.partition("/")
    return [lay for lay in LAYOUTS if lay.table == table or (lay.per_standard and lay.table == file and part != "raw")]


# --- where clauses -------------------------------------------------------------------------------------------

def values_cell(values: tuple[str, ...]) -> str:
    """IN / NOTIN values as P21 lists them: comma-separated, each in double quotes if one holds a comma."""
    if not any("," in v or '"' in v for v in values):
        return ", ".join(values)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="", quoting=csv.QUOTE_ALL).writerow(values)
    return buf.getvalue()


def split_values(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in next(csv.reader([cell], skipinitialspace=True), []))


class WhereIds:
    """Where clause text <-> WhereClauses rows, one ID per distinct clause of a dataset."""

    def __init__(self):
        self.ids: dict[tuple[str, str], str] = {}
        self.rows: list[list[str]] = []

    def id_for(self, dataset: str, text: str) -> str:
        conditions = parse_where(text)
        key = (dataset, " AND ".join(f"{c.variable} {c.comparator} {'|'.join(c.values)}" for c in conditions))
        if key in self.ids:
            return self.ids[key]
        parts = [c.variable + ("" if c.comparator == "EQ" else f".{c.comparator}") + "." + "_".join(c.values)
                 for c in conditions]
        wid, n = f"WC.{dataset}." + ".".join(parts), 1
        while wid in self.ids.values():
            n += 1
            wid = f"WC.{dataset}." + ".".join(parts) + f".{n}"
        self.ids[key] = wid
        self.rows += [[wid, dataset, c.variable, c.comparator, values_cell(c.values)] for c in conditions]
        return wid


def read_where_clauses(rows, fail: Callable) -> dict[str, tuple[str, str]]:
    """WhereClauses rows -> {ID: (dataset, where text as specs/ writes it)}."""
    clauses: dict[str, tuple[str, list[str]]] = {}
    for line, row in rows:
        wid = row["ID"]
        bad = [c for c in ("ID", "Dataset", "Variable", "Comparator", "Value") if not row[c]]
        for column in bad:
            fail(line, column, "", "a value is required")
        if row["Comparator"] and row["Comparator"] not in COMPARATORS:
            fail(line, "Comparator", row["Comparator"], f"one of {sorted(COMPARATORS)}")
            bad.append("Comparator")
        values = split_values(row["Value"]) if row["Value"] else ()
        if len(values) > 1 and row["Comparator"] not in ("IN", "NOTIN"):
            fail(line, "Value", row["Value"], f"one value for {row['Comparator']} (several only for IN and NOTIN)")
            bad.append("Value")
        if wid in clauses and clauses[wid][0] != row["Dataset"]:
            fail(line, "Dataset", row["Dataset"], f"{clauses[wid][0]}, as on the other rows of {wid}")
            bad.append("Dataset")
        if bad:
            continue
        clauses.setdefault(wid, (row["Dataset"], []))[1].append(f"{row['Variable']} {row['Comparator']} "
                                                               + "|".join(values))
    return {wid: (ds, " AND ".join(conds)) for wid, (ds, conds) in clauses.items()}
