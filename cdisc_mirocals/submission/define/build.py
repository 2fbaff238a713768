"""build_define(): the Define-XML 2.1 document of one standard, from the Spec and the datasets as written.

Element order follows the Define-XML 2.1 schema; within each kind, the specification's order. The
same spec and data give the same bytes when SOURCE_DATE_EPOCH fixes the creation time (else the run's time).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
from lxml import etree

from cdisc_mirocals import __version__
from cdisc_mirocals.simulated import notice
from cdisc_mirocals.spec import Spec, Standard
from cdisc_mirocals.submission.define import oids
from cdisc_mirocals.submission.define.arm import analysis_result_displays, analysis_where_clauses
from cdisc_mirocals.submission.define.codelists import codelist_comment, codelist_def
from cdisc_mirocals.submission.define.elements import attribute, described, document_ref, qname, sub
from cdisc_mirocals.submission.define.items import (CrfPages, ValueItem, value_items, value_list_defs, variable_item_defs,
                                                    where_clause_def)
from cdisc_mirocals.metadata.where import has_data
from cdisc_mirocals.submission.define.safe_xml import ARM, NSMAP, DefineError
from cdisc_mirocals.submission.timestamp import build_time

STANDARDS = {"SDTM": ("SDTMIG", "sdtmig"), "ADaM": ("ADaMIG", "adamig")}  # IG name, study.toml key
DEFINE_COMMENT = "COM.DEFINE"  # comments.csv: the comment on the whole define.xml (MetaDataVersion)


def build_define(spec: Spec, standard: str, datasets: dict[str, pd.DataFrame], *, arm: bool | None = None,
                 created: datetime | None = None, extension: str = "xpt", simulated: bool = False,
                 crf_pages: dict[str, str] | None = None, display_pages: dict[str, str] | None = None) -> bytes:
    """define.xml of `standard` ('SDTM' or 'ADaM') for `datasets`, the conformed frames exactly as written
    to XPT. ADaM includes Analysis Results Metadata unless arm=False. Simulated data say so first in the
    study description. `crf_pages` (ItemDef OID -> pages, as the annotated CRF was laid out) gives each
    Collected origin its def:DocumentRef to the aCRF; without it, the pages the specification carries.
    `display_pages` gives the pages of the analysis displays PDF as laid out (see define/arm.py); without
    it, the displays it would cite link no document."""
    if standard not in STANDARDS:
        raise DefineError(f"standard must be one of {sorted(STANDARDS)}, not {standard!r}")
    std = spec.sdtm if standard == "SDTM" else spec.adam
    arm = (standard == "ADaM") if arm is None else arm
    _check_datasets(std, datasets)
    std = _submitted(std, datasets)
    arm = arm and bool(std.analysis_results)
    root, mdv = _skeleton(spec, std, standard, arm, _timestamp(created), simulated)
    versions = spec.study["standards"]
    ct = _standards(mdv, standard, versions)
    crf_leaf = crf_document(std)
    if crf_leaf:  # def:AnnotatedCRF names the aCRF among the documents, as Define-XML 2.1 provides
        document_ref(sub(mdv, "def:AnnotatedCRF"), crf_leaf)
    _supplemental_docs(mdv, std, standard)
    values = value_items(std, datasets)
    value_list_defs(mdv, values)
    _where_clauses(mdv, values, analysis_where_clauses(std) if arm else [])
    for ds in std.datasets.values():
        _item_group(mdv, std, ds.name, datasets[ds.name], standard, extension)
    crf = _crf(std, values, crf_pages)
    for ds in std.datasets.values():
        variable_item_defs(mdv, ds, datasets[ds.name], [v for v in values if v.row.dataset == ds.name], std, crf)
    adam_ct = set(versions.get("adam_ct_codelists", []))
    for cl in std.codelists.values():
        codelist_def(mdv, cl, ct["ADAM"] if standard == "ADaM" and cl.nci_code in adam_ct else ct["SDTM"], versions)
    _methods(mdv, std)
    _comments(mdv, std)
    _document_leaves(mdv, std)
    if arm:
        analysis_result_displays(mdv, std, display_pages)
    _prune_unreferenced(mdv)
    _prune_unreferenced_leaves(mdv)
    tree = etree.ElementTree(root)
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", 'type="text/xsl" href="define2-1.xsl"'))
    root.addprevious(etree.Comment(f" {spec.study.studyid} {standard} define.xml, written by cdisc-mirocals from "
                                   f"the study's specification and the datasets as submitted. "))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, encoding="UTF-8", pretty_print=True)


def crf_document(std: Standard) -> str | None:
    """The def:leaf ID of the annotated CRF: the document whose file is the CRF (acrf.pdf, or the blankcrf.pdf
    of older submissions)."""
    found = [d.id for d in std.documents.values() if d.href.lower().endswith("crf.pdf")]
    return found[0] if found else None


def _crf(std: Standard, values: list[ValueItem], given: dict[str, str] | None) -> CrfPages | None:
    pages = {oids.item(ds.name, v.name): v.pages for ds in std.datasets.values() for v in ds.variables if v.pages}
    pages.update({v.oid: v.row.pages for v in values if v.row.pages})
    pages.update(given or {})
    if not pages:
        return None
    leaf = crf_document(std)
    if leaf is None:
        raise DefineError(f"collected origins cite annotated CRF pages, but specs/{std.name.lower()}/documents.csv "
                          f"lists no annotated CRF (a document whose Href is acrf.pdf)")
    return CrfPages(leaf, pages)


def _skeleton(spec: Spec, std: Standard, standard: str, arm: bool, stamp: str,
              simulated: bool) -> tuple[etree._Element, etree._Element]:
    """ODM, Study and its global variables, and the (empty) MetaDataVersion."""
    studyid, about, versions = spec.study.studyid, spec.study["study"], spec.study["standards"]
    root = etree.Element(qname("ODM"), nsmap={**NSMAP, **({"arm": ARM} if arm else {})}, attrib={
        "FileType": "Snapshot", "FileOID": f"{studyid}.{standard}.define", "ODMVersion": "1.3.2",
        "CreationDateTime": stamp, "AsOfDateTime": stamp, "Originator": about["sponsor"],
        "SourceSystem": "cdisc-mirocals", "SourceSystemVersion": __version__, qname("def:Context"): "Submission"})
    study = sub(root, "Study", {"OID": oids.study(studyid)})
    globals_ = sub(study, "GlobalVariables")
    sub(globals_, "StudyName", text=studyid)
    sub(globals_, "StudyDescription", text=f"{notice(studyid)}. {about['title']}" if simulated else about["title"])
    sub(globals_, "ProtocolName", text=about["protocol"])
    ig_name, ig_key = STANDARDS[standard]
    mdv = sub(study, "MetaDataVersion", {
        "OID": metadata_version_oid(spec, standard), "Name": f"{studyid} {standard} data definitions",
        "Description": f"{studyid} {ig_name} {versions[ig_key]} datasets", "def:DefineVersion": versions["define_xml"],
        "def:CommentOID": DEFINE_COMMENT if DEFINE_COMMENT in std.comments else None})
    return root, mdv


def metadata_version_oid(spec: Spec, standard: str) -> str:
    """The MetaDataVersion OID of `standard`'s define.xml, which its Dataset-JSON files refer to."""
    ig_name, ig_key = STANDARDS[standard]
    return oids.metadata_version(spec.study.studyid, ig_name, spec.study["standards"][ig_key])


def _timestamp(created: datetime | None) -> str:
    when = created or build_time()
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _submitted(std: Standard, datasets: dict[str, pd.DataFrame]) -> Standard:
    """The standard as submitted: a specified dataset with no records is not written (FDA TCG), so it is
    left out with its value-level rows, and so is an analysis result that would analyse it."""
    keep = {name: ds for name, ds in std.datasets.items() if name in datasets}
    results = tuple(r for r in std.analysis_results if all(d.dataset in keep for d in r.datasets))
    shown = {r.display for r in results}
    return replace(std, datasets=keep, valuelevel=tuple(v for v in std.valuelevel if v.dataset in keep),
                   analysis_results=results, displays={k: d for k, d in std.displays.items() if k in shown})


REFERENCES = {"CodeList": "CodeListOID", "MethodDef": "MethodOID", "def:CommentDef": "def:CommentOID"}


def _prune_unreferenced_leaves(mdv: etree._Element) -> None:
    """A document nothing cites (the analysis displays PDF of a run that wrote none) is not listed: a
    def:leaf is there to be followed, and this one would lead nowhere."""
    cited = {e.get("leafID") for e in mdv.iter(qname("def:DocumentRef"))}
    for leaf in mdv.findall(qname("def:leaf")):
        if leaf.get("ID") not in cited:
            mdv.remove(leaf)


def _prune_unreferenced(mdv: etree._Element) -> None:
    """Codelists, methods and comments only a left-out dataset used; repeated, since a codelist's
    comment is used by that codelist alone."""
    while True:
        used = {attr: {e.get(attribute(attr)) for e in mdv.iter() if e.get(attribute(attr))}
                for attr in REFERENCES.values()}
        unused = [e for tag, attr in REFERENCES.items() for e in mdv.iterfind(qname(tag)) if e.get("OID") not in used[attr]]
        if not unused:
            return
        for element in unused:
            mdv.remove(element)


def _check_datasets(std: Standard, datasets: dict[str, pd.DataFrame]) -> None:
    problems = []
    extra = set(datasets) - set(std.datasets)
    if extra:
        problems.append(f"datasets {sorted(extra)} are not in the {std.name} specification")
    for name in sorted(set(std.datasets) & set(datasets)):
        frame, spec_ds = datasets[name], std.datasets[name]
        if list(frame.columns) != spec_ds.names:
            problems.append(f"{name}: the columns {list(frame.columns)} are not the specification's "
                            f"variables in order {spec_ds.names}")
            continue
        wrong = [v.name for v in spec_ds.variables
                 if v.is_numeric != pd.api.types.is_numeric_dtype(frame[v.name])]
        if wrong:
            problems.append(f"{name}: {wrong} are not stored as the specification's data type says "
                            f"(numbers as float, text as text): conform the frame before building define.xml")
    if problems:
        raise DefineError("define.xml needs the datasets exactly as written:\n  " + "\n  ".join(problems))


def _standards(mdv: etree._Element, standard: str, versions: dict) -> dict[str, str]:
    """def:Standards: the implementation guide and the CT packages; returns CT OIDs by publishing set."""
    ig_name, ig_key = STANDARDS[standard]
    element = sub(mdv, "def:Standards")
    sub(element, "def:Standard", {"OID": f"STD.{ig_name.upper()}", "Name": ig_name, "Type": "IG",
                                  "Version": versions[ig_key], "Status": "Final"})
    sets = [("ADaM", "adam_ct")] if standard == "ADaM" else []
    sets += [("SDTM", "sdtm_ct"), ("DEFINE-XML", "define_ct")]
    ct = {}
    for publishing_set, key in sets:
        oid = f"STD.CT.{publishing_set.upper()}"
        sub(element, "def:Standard", {"OID": oid, "Name": "CDISC/NCI", "Type": "CT", "PublishingSet": publishing_set,
                                      "Version": versions[key], "Status": "Final"})
        ct[publishing_set.upper()] = oid
    return ct


def _where_clauses(mdv: etree._Element, values: list[ValueItem], analysis: list) -> None:
    done = set()
    for oid, dataset, where in [(v.where_oid, v.row.dataset, v.row.where) for v in values] + analysis:
        if oid not in done:
            where_clause_def(mdv, oid, dataset, where)
            done.add(oid)


def _item_group(mdv: etree._Element, std: Standard, name: str, frame: pd.DataFrame, standard: str,
                extension: str) -> None:
    ds = std.datasets[name]
    group = sub(mdv, "ItemGroupDef", {
        "OID": oids.item_group(name), "Domain": _domain(name) if standard == "SDTM" else None, "Name": name,
        "Repeating": "Yes" if ds.repeating else "No", "IsReferenceData": "Yes" if ds.reference_data else "No",
        "SASDatasetName": name, "Purpose": ds.purpose, "def:Structure": ds.structure,
        "def:StandardOID": f"STD.{STANDARDS[standard][0].upper()}", "def:ArchiveLocationID": oids.leaf(name),
        "def:HasNoData": "Yes" if frame.empty else None, "def:CommentOID": ds.comment})
    described(group, ds.description)
    for var in ds.variables:
        sub(group, "ItemRef", {
            "ItemOID": oids.item(name, var.name), "OrderNumber": var.order,
            "Mandatory": "Yes" if var.mandatory else "No",
            "KeySequence": ds.keys.index(var.name) + 1 if var.name in ds.keys else None,
            "MethodOID": var.method, "Role": var.role if standard == "SDTM" else None,
            "def:HasNoData": None if has_data(frame[var.name]) else "Yes"})
    klass = sub(group, "def:Class", {"Name": ds.class_})
    if ds.subclass:
        sub(klass, "def:SubClass", {"Name": ds.subclass})
    leaf = sub(group, "def:leaf", {"ID": oids.leaf(name), "xlink:href": f"{name.lower()}.{extension}"})
    sub(leaf, "def:title", text=f"{name.lower()}.{extension}")


def _domain(name: str) -> str:
    """SDTM Domain: a SUPP-- dataset belongs to its parent domain, as in the CDISC SDTM example."""
    return name[4:] if name.startswith("SUPP") else name


def _methods(mdv: etree._Element, std: Standard) -> None:
    for m in std.methods.values():
        method = sub(mdv, "MethodDef", {"OID": m.id, "Name": m.name, "Type": m.type})
        described(method, m.description)
        if m.expression_code:
            if not m.expression_context:
                raise DefineError(f"method {m.id} gives an Expression Code without its Expression Context")
            sub(method, "FormalExpression", {"Context": m.expression_context}, m.expression_code)
        if m.document:
            document_ref(method, m.document, m.pages)


def _comments(mdv: etree._Element, std: Standard) -> None:
    for c in std.comments.values():
        comment = sub(mdv, "def:CommentDef", {"OID": c.id})
        described(comment, c.description)
        if c.document:
            document_ref(comment, c.document, c.pages)
    for cl in std.codelists.values():
        text = codelist_comment(cl)
        if text:
            oid = oids.codelist_comment(cl.id)
            if oid in std.comments:
                raise DefineError(f"comment ID {oid} of comments.csv is the OID of codelist {cl.id}'s comment")
            described(sub(mdv, "def:CommentDef", {"OID": oid}), text)


def _supplemental_docs(mdv: etree._Element, std: Standard, standard: str) -> None:
    """def:SupplementalDoc: the reviewer's guide of the standard, which convert writes beside define.xml
    (after def:Standards and def:AnnotatedCRF, as the Define-XML 2.1 schema orders them)."""
    from cdisc_mirocals.submission.guides import GUIDES

    guides = [doc.id for doc in std.documents.values() if doc.href == GUIDES[standard]]
    if guides:
        element = sub(mdv, "def:SupplementalDoc")
        for leaf in guides:
            document_ref(element, leaf)


def _document_leaves(mdv: etree._Element, std: Standard) -> None:
    for doc in std.documents.values():
        leaf = sub(mdv, "def:leaf", {"ID": doc.id, "xlink:href": doc.href})
        sub(leaf, "def:title", text=doc.title)
