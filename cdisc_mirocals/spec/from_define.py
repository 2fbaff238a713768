"""`specs import-define`: a Define-XML 2.0 or 2.1 document read into the specs/ tables of its standard
(datasets, variables, value-level metadata, codelists, methods, comments, documents and, for ADaM,
Analysis Results Metadata), with the study.toml values it holds. It is read with the package's safe XML
reader (no DTD, no entity, no network).

What define.xml cannot carry is not invented: study.toml's parameters, schedule and design; the raw CRF
forms; the CT map; each variable's Core; whether a CDISC codelist is extensible (only its sponsor
extensions say so); the name of a non-CDISC terminology that lists its terms; an analysis result's
key (its ID stands in). docs/specs.md lists them, and the Define-XML 2.0 mappings (origin CRF ->
Collected, eDT -> Collected from a Vendor)."""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.spec.define_arm import arm_tables
from cdisc_mirocals.spec.define_doc import ODM, ORIGINS_20, XLINK, DefineDoc, read_define_doc, standard_of
from cdisc_mirocals.spec.memory import MemorySource

def import_define(path: str | Path) -> tuple[MemorySource, list[str]]:
    """The specification a define.xml holds, and notes on what it gave that specs/ has no place for."""
    doc = read_define_doc(path)
    family, _, _ = standard_of(doc)
    codelist_comments = {c.get(doc.q("def:CommentOID")) for c in doc.findall("CodeList")}
    comments = {c.get("OID"): c for c in doc.findall("def:CommentDef")}
    tables = {
        "datasets.csv": [_dataset(doc, ig) for ig in doc.findall("ItemGroupDef")],
        "variables.csv": [row for ig in doc.findall("ItemGroupDef") for row in _variables(doc, ig, comments)],
        "valuelevel.csv": _valuelevel(doc),
        "codelists.csv": [row for cl in doc.findall("CodeList") for row in _codelist(doc, cl, comments)],
        "methods.csv": [_method(doc, m) for m in doc.findall("MethodDef")],
        "comments.csv": [dict(ID=oid, Description=doc.text(c), **_doc_columns(doc, c))
                         for oid, c in comments.items() if oid not in codelist_comments],
        "documents.csv": [dict(ID=leaf.get("ID", ""), Title=doc.text(leaf, "def:title") or _title(doc, leaf),
                               Href=leaf.get(f"{{{XLINK}}}href", "")) for leaf in doc.findall("def:leaf")],
    }
    if family == "adam":
        tables.update(arm_tables(doc))
    study = _study(doc, family)
    return MemorySource(study, {f"{family}/{k}": v for k, v in tables.items()}), doc.notes


def _title(doc: DefineDoc, leaf) -> str:
    t = leaf.find(doc.q("def:title"))
    return (t.text or "").strip() if t is not None else ""


def _doc_columns(doc: DefineDoc, el) -> dict[str, str]:
    leaf, pages = doc.document(el)
    return {"Document": leaf, "Pages": pages}


def _study(doc: DefineDoc, family: str) -> dict:
    gv = doc.root.find(f"{{{ODM}}}Study/{{{ODM}}}GlobalVariables")

    def gtext(tag: str) -> str:
        el = gv.find(f"{{{ODM}}}{tag}") if gv is not None else None
        return (el.text or "").strip() if el is not None else ""

    _, _, ig_version = standard_of(doc)
    standards = {f"{family}ig": ig_version, "define_xml": doc.attr(doc.mdv, "def:DefineVersion")}
    adam_ct = ""
    for std in doc.mdv.iter(doc.q("def:Standard")):
        if std.get("Type") == "CT" and std.get("PublishingSet"):
            standards[f"{std.get('PublishingSet').lower().replace('-xml', '')}_ct"] = std.get("Version", "")
            adam_ct = std.get("OID", "") if std.get("PublishingSet") == "ADaM" else adam_ct
    for ext in doc.mdv.iter(doc.q("ExternalCodeList")):
        standards[ext.get("Dictionary", "").lower()] = ext.get("Version", "")
    adam_codes = [_nci(doc, cl) for cl in doc.findall("CodeList") if adam_ct and cl.get(doc.q("def:StandardOID")) == adam_ct]
    if adam_codes:
        standards["adam_ct_codelists"] = adam_codes
    study = {"studyid": gtext("StudyName"), "title": gtext("StudyDescription"), "protocol": gtext("ProtocolName"),
             "sponsor": doc.root.get("Originator", "")}
    return {"study": study, "standards": standards}


def _nci(doc: DefineDoc, el) -> str:
    alias = next((a for a in el.findall(doc.q("Alias")) if a.get("Context") == "nci:ExtCodeID"), None)
    return alias.get("Name", "") if alias is not None else ""


def _dataset(doc: DefineDoc, ig) -> dict[str, str]:
    klass = ig.find(doc.q("def:Class"))
    sub = klass.find(doc.q("def:SubClass")) if klass is not None else None
    refs = [r for r in ig.findall(doc.q("ItemRef")) if r.get("KeySequence")]
    keys = [doc.items[r.get("ItemOID")].get("Name", "") for r in sorted(refs, key=lambda r: int(r.get("KeySequence")))
            if r.get("ItemOID") in doc.items]
    return {"Dataset": ig.get("Name", ""), "Description": doc.text(ig),
            "Class": doc.attr(ig, "def:Class") or (klass.get("Name", "") if klass is not None else ""),
            "Structure": doc.attr(ig, "def:Structure"), "Purpose": ig.get("Purpose", ""),
            "Key Variables": ", ".join(keys), "Repeating": ig.get("Repeating", "No"),
            "Reference Data": ig.get("IsReferenceData", "No"),
            "Comment": doc.ref("def:CommentDef", doc.attr(ig, "def:CommentOID"), ig.get("OID")),
            "Subclass": sub.get("Name", "") if sub is not None else ""}


def _item_columns(doc: DefineDoc, item, ref) -> dict[str, str]:
    origin = item.find(doc.q("def:Origin"))
    kind = origin.get("Type", "") if origin is not None else ""
    kind, source = ORIGINS_20.get(kind, (kind, origin.get("Source", "") if origin is not None else ""))
    if not kind:
        doc.notes.append(f"{item.get('OID')}: no def:Origin; its Origin is given as Not Available")
        kind = "Not Available"
    cl = item.find(doc.q("CodeListRef"))
    return {"Data Type": item.get("DataType", ""), "Length": item.get("Length", ""),
            "Significant Digits": item.get("SignificantDigits", ""), "Format": doc.attr(item, "def:DisplayFormat"),
            "Mandatory": ref.get("Mandatory", "No"),
            "Codelist": doc.codelist_id(doc.ref("CodeList", cl.get("CodeListOID"), item.get("OID"))) if cl is not None
            else "", "Origin": kind, "Source": source, "Method": doc.ref("MethodDef", ref.get("MethodOID"), item.get("OID")),
            "Predecessor": doc.text(origin) if kind == "Predecessor" else "",
            "Pages": doc.document(origin)[1] if kind == "Collected" else "",
            "Comment": doc.ref("def:CommentDef", doc.attr(item, "def:CommentOID"), item.get("OID"))}


def _variables(doc: DefineDoc, ig, comments) -> list[dict[str, str]]:
    rows = []
    for pos, ref in enumerate(ig.findall(doc.q("ItemRef")), start=1):
        item = doc.items.get(ref.get("ItemOID"))
        if item is None:
            raise MirocalsError(f"{doc.path}: {ig.get('Name')} refers to ItemDef {ref.get('ItemOID')}, which is "
                                f"not defined")
        rows.append({"Order": ref.get("OrderNumber") or str(pos), "Dataset": ig.get("Name", ""),
                     "Variable": item.get("Name", ""), "Label": doc.text(item), **_item_columns(doc, item, ref),
                     "Role": ref.get("Role", ""), "Core": ""})
    return rows


def where_text(doc: DefineDoc, wc) -> str:
    """The where clause as specs/ writes it; '' (and a note) when it names an ItemDef the define lacks."""
    parts = []
    for rc in wc.findall(doc.q("RangeCheck")):
        item = doc.items.get(rc.get(doc.q("def:ItemOID")))
        if item is None:
            doc.notes.append(f"where clause {wc.get('OID')} tests ItemDef {rc.get(doc.q('def:ItemOID'))}, which the "
                             f"define.xml does not define; what it selects is left out")
            return ""
        values = [(cv.text or "").strip() for cv in rc.findall(doc.q("CheckValue"))]
        parts.append(f"{item.get('Name', '') if item is not None else ''} {rc.get('Comparator', 'EQ')} "
                     + "|".join(values))
    return " AND ".join(parts)


def _valuelevel(doc: DefineDoc) -> list[dict[str, str]]:
    wheres = {w.get("OID"): w for w in doc.findall("def:WhereClauseDef")}
    parents = {}  # ValueListDef OID -> (dataset, variable)
    for oid, item in doc.items.items():
        vlr = item.find(doc.q("def:ValueListRef"))
        if vlr is not None and oid in doc.owner:
            parents[vlr.get("ValueListOID")] = doc.owner[oid]
    rows = []
    for vld in doc.findall("def:ValueListDef"):
        if vld.get("OID") not in parents:
            doc.notes.append(f"{vld.get('OID')}: a value list no variable refers to; left out")
            continue
        dataset, variable = parents[vld.get("OID")]
        for pos, ref in enumerate(vld.findall(doc.q("ItemRef")), start=1):
            item = doc.items.get(ref.get("ItemOID"))
            wcrs = ref.findall(doc.q("def:WhereClauseRef"))
            if item is None or not wcrs:
                continue
            if len(wcrs) > 1:
                doc.notes.append(f"{ref.get('ItemOID')}: {len(wcrs)} where clauses (OR); only the first is kept")
            wc = wheres.get(wcrs[0].get("WhereClauseOID"))
            text = where_text(doc, wc) if wc is not None else ""
            if not text:
                continue
            rows.append(((dataset, vld.get("OID"), wc.get("OID"), ref.get("ItemOID")), {
                "Order": ref.get("OrderNumber") or str(pos), "Dataset": dataset, "Variable": variable,
                "Where Clause": text, **_item_columns(doc, item, ref)}))
    return _spec_order(doc, rows)


def _spec_order(doc: DefineDoc, rows: list) -> list[dict[str, str]]:
    """The value-level rows in the specification's order as far as define.xml shows it: each dataset's
    rows together, datasets in the order their first value list appears, and a dataset's rows in the order
    of their ItemDefs (written in the specification's order)."""
    item_pos = {oid: n for n, oid in enumerate(doc.items)}
    first: dict[str, int] = {}
    for n, ((dataset, _, _, _), _) in enumerate(rows):
        first.setdefault(dataset, n)
    return [row for (dataset, _, _, item), row in sorted(rows, key=lambda r: (first[r[0][0]], item_pos.get(r[0][3], 0)))]


def _codelist(doc: DefineDoc, cl, comments) -> list[dict[str, str]]:
    external = cl.find(doc.q("ExternalCodeList"))
    terminology = (external.get("Dictionary", "") if external is not None
                   else "CDISC/NCI" if cl.get(doc.q("def:StandardOID")) or _nci(doc, cl) else "Sponsor")
    comment_oid = cl.get(doc.q("def:CommentOID"))
    comment = doc.text(comments.get(comment_oid)) if comment_oid else ""
    terms = cl.findall(doc.q("CodeListItem")) + cl.findall(doc.q("EnumeratedItem"))
    base = {"ID": doc.codelist_id(cl.get("OID", "")), "Name": cl.get("Name", ""), "NCI Codelist Code": _nci(doc, cl),
            "Data Type": cl.get("DataType", ""), "Terminology": terminology,
            "Extensible": "Yes" if any(t.get(doc.q("def:ExtendedValue")) == "Yes" for t in terms) else "No"}
    if not terms:
        return [{**base, "Comment": comment}]
    terms = sorted(terms, key=lambda t: cl.index(t))
    return [{**base, "Order": t.get("OrderNumber") or str(n), "Term": t.get("CodedValue", ""),
             "NCI Term Code": _nci(doc, t), "Decoded Value": doc.text(t, "Decode"),
             "Comment": comment or doc.text(t)} for n, t in enumerate(terms, start=1)]


def _method(doc: DefineDoc, m) -> dict[str, str]:
    expr = m.find(doc.q("FormalExpression"))
    return {"ID": m.get("OID", ""), "Name": m.get("Name", ""), "Type": m.get("Type", ""), "Description": doc.text(m),
            "Expression Context": expr.get("Context", "") if expr is not None else "",
            "Expression Code": (expr.text or "") if expr is not None else "", **_doc_columns(doc, m)}


def write_imported(define: str | Path, out: str | Path) -> tuple[Path, list[str]]:
    """import_define, written as a specs/ folder, or as a P21 workbook when `out` ends in .xlsx, then loaded:
    a define.xml whose metadata this package refuses (a label over 40 characters) is reported as any bad
    specification is, located in the files written, for the user to correct there."""
    from cdisc_mirocals.spec.export import export_workbook
    from cdisc_mirocals.spec.memory import write_folder

    source, notes = import_define(define)
    out = Path(out)
    heading = (f"Imported from {Path(define).name} by cdisc-mirocals specs import-define: only what define.xml "
               f"carries (see docs/specs.md).")
    from cdisc_mirocals.spec.load import load_spec

    written = export_workbook(source, out) if out.suffix.lower() == ".xlsx" else write_folder(source, out, heading)
    load_spec(written)
    return written, notes
