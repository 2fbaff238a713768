"""Define-XML against the data: every dataset and variable in both, with the same labels, types,
lengths and order, and value-level where-clauses that select records. (Codelist and value-level
value checks run in the schema layer, from the same metadata.)"""

from __future__ import annotations

from cdisc_mirocals.validate.rules import Hit, rule
from cdisc_mirocals.validate.schemas import selected, where_text

BOTH = ("SDTM", "ADaM")


@rule("DD0101", "Reject", "define", BOTH)
def define_missing(study):
    if study.define is None:
        yield Hit("define.xml", None, (), detail="no define.xml beside the datasets and none given (--define)")


def _pairs(study):
    """(data, define dataset) for every dataset both hold."""
    if study.define is None:
        return
    meta = study.define.metadata.datasets
    for d in study.datasets.values():
        if d.name in meta:
            yield d, meta[d.name]


@rule("SD0061", "Warning", "define", BOTH)
def dataset_missing(study):
    if study.define is None:
        return
    for name in study.define.metadata.datasets:
        if name not in study.datasets:
            yield Hit(name, None, (), detail=f"define.xml describes {name} ({study.define.files.get(name, '')}); "
                                             "the folder has no such dataset")


@rule("SD1063", "Error", "define", BOTH)
def dataset_not_in_define(study):
    if study.define is None:
        return
    for name in study.datasets:
        if name not in study.define.metadata.datasets:
            yield Hit(name, None, (), detail="define.xml does not describe this dataset")


@rule("SD0054", "Warning", "define", BOTH)
def define_variable_missing(study):
    for d, meta in _pairs(study):
        for var in meta.variables:
            if var.name not in d.frame:
                yield Hit(d.name, None, (var.name,), detail="in define.xml, not in the dataset")


@rule("SD0060", "Error", "define", BOTH)
def variable_not_in_define(study):
    for d, meta in _pairs(study):
        names = set(meta.names)
        for name in d.frame.columns:
            if name not in names:
                yield Hit(d.name, None, (name,), detail="in the dataset, not in define.xml")


@rule("SD1324", "Warning", "define", BOTH)
def label_mismatch(study):
    for d, meta in _pairs(study):
        for var in meta.variables:
            col = d.file.columns.get(var.name)
            if col is not None and col.label != var.label:
                yield Hit(d.name, None, (var.name,), values=col.label, detail=f"define.xml: {var.label!r}")


@rule("SD1325", "Warning", "define", BOTH)
def description_mismatch(study):
    for d, meta in _pairs(study):
        if d.file.label != meta.description:
            yield Hit(d.name, None, (), values=d.file.label, detail=f"define.xml: {meta.description!r}")


@rule("SD0059", "Error", "define", BOTH)
def type_mismatch(study):
    for d, meta in _pairs(study):
        for var in meta.variables:
            col = d.file.columns.get(var.name)
            expected = "Num" if var.data_type in ("integer", "float") else "Char"
            if col is not None and col.type != expected:
                yield Hit(d.name, None, (var.name,), values=col.type,
                          detail=f"define.xml DataType {var.data_type} needs {expected}")


@rule("MC0306", "Warning", "define", BOTH, message="Define.xml/dataset variable length mismatch",
      description="The Length of a character variable in define.xml should be its length in the dataset.",
      category="Metadata", publisher=("TCG 4.1.4.5",))
def length_mismatch(study):
    for d, meta in _pairs(study):
        for var in meta.variables:
            col = d.file.columns.get(var.name)
            if col is not None and col.type == "Char" and not var.is_numeric and var.length and col.length \
                    and col.length != var.length:
                yield Hit(d.name, None, (var.name,), values=str(col.length), detail=f"define.xml Length {var.length}")


@rule("MC0307", "Warning", "define", BOTH, message="Define.xml/dataset variable order mismatch",
      description="Variables should be in the dataset in the order of their OrderNumber in define.xml.",
      category="Metadata", publisher=("TCG 4.1.4.5",))
def order_mismatch(study):
    for d, meta in _pairs(study):
        defined = [v.name for v in meta.variables if v.name in d.frame]
        actual = [c for c in d.frame.columns if c in set(defined)]
        for position, (mine, theirs) in enumerate(zip(actual, defined), start=1):
            if mine != theirs:
                yield Hit(d.name, None, (mine,), detail=f"position {position}; define.xml has {theirs} there")
                break


@rule("MC0308", "Notice", "define", BOTH, message="Value-level where-clause selects no record",
      description="Each value-level definition in define.xml should describe records that exist: a where-clause "
                  "that selects none is stale or mistyped.", category="Metadata")
def where_clause_selects(study):
    if study.define is None:
        return
    for vlm in study.define.metadata.valuelevel:
        d = study.get(vlm.dataset)
        if d is None or vlm.variable not in d.frame or not all(c.variable in d.frame for c in vlm.where):
            continue
        if not selected(d.frame, vlm).any():
            yield Hit(d.name, None, (vlm.variable,), values=where_text(vlm), detail="no record matches")
