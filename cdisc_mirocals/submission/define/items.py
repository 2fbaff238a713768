"""ItemDefs of variables and of value-level rows, their ValueListDefs and WhereClauseDefs.

Lengths come from the data: a character item's Length is `xpt_length` of the values it describes
(all records for a variable, the records its where clause selects for a value-level item); a numeric
item's Length is 8. A float's SignificantDigits is the spec's, or the most decimals its values show when
they show more (a collected value more precise than specified is stated as it is; a derived value is
rounded to the spec's digits by its derivation). Date/time numerics (SAS dates) are DataType integer with their SAS format as
def:DisplayFormat (DATE9.), as the CDISC examples and Pinnacle 21 write them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from lxml import etree

from cdisc_mirocals.spec import Condition, Dataset, ItemMetadata, Standard, ValueLevel
from cdisc_mirocals.submission.define import oids
from cdisc_mirocals.submission.define.elements import described, document_ref, sub
from cdisc_mirocals.metadata.numbers import decimals
from cdisc_mirocals.metadata.steps import xpt_length
from cdisc_mirocals.metadata.where import NUMERIC_LENGTH, has_data, where_mask
from cdisc_mirocals.submission.define.safe_xml import DefineError


@dataclass(frozen=True)
class ValueItem:
    """A value-level row with what the data say of it."""

    row: ValueLevel
    oid: str
    where_oid: str
    length: int
    has_data: bool
    digits: int | None


def item_length(meta: ItemMetadata, values: pd.Series) -> int:
    return NUMERIC_LENGTH if meta.is_numeric else xpt_length(values)


def significant_digits(meta: ItemMetadata, values: pd.Series) -> int | None:
    """SignificantDigits of an integer or float item: the spec's, raised to what the data show."""
    if meta.data_type == "integer":
        return meta.significant_digits
    if meta.data_type != "float":
        return None
    shown = decimals(values)
    given = [d for d in (meta.significant_digits, shown) if d is not None]
    return max(given) if given else None


def value_items(std: Standard, datasets: dict[str, pd.DataFrame]) -> list[ValueItem]:
    out, seen = [], {}
    for row in std.valuelevel:
        frame, parent = datasets[row.dataset], std[row.dataset].variable(row.variable)
        try:
            selected = frame.loc[where_mask(frame, row.where), row.variable]
        except (KeyError, ValueError) as exc:
            raise DefineError(f"{std.name} value-level metadata of {row.dataset}.{row.variable} "
                              f"({_where_text(row.where)}): {exc}") from None
        oid = oids.value_item(row.dataset, row.variable, row.where)
        if oid in seen:
            raise DefineError(f"{std.name} value-level rows of {row.dataset}.{row.variable} where "
                              f"{_where_text(seen[oid])} and where {_where_text(row.where)} get the same OID {oid}")
        seen[oid] = row.where
        out.append(ValueItem(row, oid, oids.where_clause(row.dataset, row.where),
                             item_length(parent, selected), has_data(selected),
                             significant_digits(row, selected)))
    return out


def _where_text(where: tuple[Condition, ...]) -> str:
    return " AND ".join(f"{c.variable} {c.comparator} {'|'.join(c.values)}" for c in where)


@dataclass(frozen=True)
class CrfPages:
    """The annotated CRF of a Collected origin: its def:leaf ID and, by ItemDef OID, the pages where each
    item's annotation stands."""

    leaf: str
    pages: dict[str, str]


def item_def(parent: etree._Element, oid: str, name: str, meta: ItemMetadata, length: int, label: str,
             digits: int | None, value_list: str | None = None, column: bool = True,
             crf: CrfPages | None = None) -> etree._Element:
    """A variable's ItemDef (column=True), or a value-level one: no SASFieldName, as it is no column."""
    item = sub(parent, "ItemDef", {
        "OID": oid, "Name": name, "DataType": meta.data_type, "Length": length, "SignificantDigits": digits,
        "SASFieldName": name if column else None, "def:DisplayFormat": meta.format, "def:CommentOID": meta.comment})
    described(item, label)
    if meta.codelist:
        sub(item, "CodeListRef", {"CodeListOID": oids.codelist(meta.codelist)})
    origin = sub(item, "def:Origin", {"Type": meta.origin, "Source": meta.source})
    if meta.origin == "Predecessor":
        described(origin, meta.predecessor)
    if meta.origin == "Collected" and crf is not None and crf.pages.get(oid):
        document_ref(origin, crf.leaf, crf.pages[oid])
    if value_list:
        sub(item, "def:ValueListRef", {"ValueListOID": value_list})
    return item


def _term_text(std: Standard, dataset: Dataset, variable: str, value: str) -> str:
    """A where-clause value as a reviewer reads it: its decode when its codelist gives one (HGB: Hemoglobin)."""
    codelist = std.codelists.get(dataset.variable(variable).codelist or "")
    decode = next((t.decode for t in codelist.terms if t.term == value), "") if codelist else ""
    return decode or value


def value_label(std: Standard, dataset: Dataset, row: ValueLevel) -> str:
    """The Description of a value-level ItemDef: the variable's label and what its where clause selects,
    e.g. 'Numeric Result/Finding in Standard Units: Hemoglobin, Blood', not the label alone on every row."""
    parts = []
    for cond in row.where:
        terms = " or ".join(_term_text(std, dataset, cond.variable, v) for v in cond.values)
        if cond.comparator in ("EQ", "IN"):
            parts.append(terms)
        elif cond.comparator in ("NE", "NOTIN"):
            parts.append(f"{cond.variable} not {terms}")
        else:  # a range: the variable must be named
            parts.append(f"{cond.variable} {cond.comparator} {terms}")
    return f"{dataset.variable(row.variable).label}: {', '.join(parts)}" if parts else dataset.variable(row.variable).label


def variable_item_defs(parent: etree._Element, dataset: Dataset, frame: pd.DataFrame,
                       values: list[ValueItem], std: Standard, crf: CrfPages | None = None) -> None:
    with_vl = {v.row.variable for v in values}
    for var in dataset.variables:
        item_def(parent, oids.item(dataset.name, var.name), var.name, var, item_length(var, frame[var.name]),
                 var.label, significant_digits(var, frame[var.name]),
                 oids.value_list(dataset.name, var.name) if var.name in with_vl else None, crf=crf)
    for v in values:
        item_def(parent, v.oid, v.row.variable, v.row, v.length, value_label(std, dataset, v.row), v.digits,
                 column=False, crf=crf)


def value_list_defs(parent: etree._Element, values: list[ValueItem]) -> None:
    lists: dict[tuple[str, str], list[ValueItem]] = {}
    for v in values:
        lists.setdefault((v.row.dataset, v.row.variable), []).append(v)
    for (dataset, variable), members in lists.items():
        vld = sub(parent, "def:ValueListDef", {"OID": oids.value_list(dataset, variable)})
        for v in sorted(members, key=lambda m: m.row.order):
            ref = sub(vld, "ItemRef", {"ItemOID": v.oid, "OrderNumber": v.row.order,
                                       "Mandatory": "Yes" if v.row.mandatory else "No", "MethodOID": v.row.method,
                                       "def:HasNoData": None if v.has_data else "Yes"})
            sub(ref, "def:WhereClauseRef", {"WhereClauseOID": v.where_oid})


def where_clause_def(parent: etree._Element, oid: str, dataset: str, where: tuple[Condition, ...]) -> None:
    wc = sub(parent, "def:WhereClauseDef", {"OID": oid})
    for cond in where:
        check = sub(wc, "RangeCheck", {"Comparator": cond.comparator, "SoftHard": "Soft",
                                       "def:ItemOID": oids.item(dataset, cond.variable)})
        for value in cond.values:
            sub(check, "CheckValue", text=value)
