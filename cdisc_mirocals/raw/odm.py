"""The raw CRF export as one CDISC ODM 1.3.2 file, as an EDC (Medidata Rave, REDCap, OpenClinica, Castor)
exports it: the MetaDataVersion made from specs/raw, and the ClinicalData of every subject.

The layout maps specs/raw one to one, so that a record reads back exactly: each form is a FormDef
(F.<form>) holding one repeating ItemGroupDef (IG.<form>) whose ItemRefs are the form's fields
(IT.<form>.<field>, Name the field's name); all forms sit in one StudyEventDef (SE.<study>), the visit
being a field of the forms that have one, as in the CSV export. A record is an ItemGroupData whose
ItemGroupRepeatKey is its place in the form (1, 2, ...), under the SubjectData of its SUBJID; a blank
value has no ItemData. The file is a snapshot (FileType Snapshot, no audit trail). Collected dates stay
the text the site entered (DataType text): the checks of check-raw read them as the CSV route does."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from lxml import etree

from cdisc_mirocals import __version__
from cdisc_mirocals.simulated import notice
from cdisc_mirocals.spec import Spec

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DATA_TYPES = {"integer": "integer", "float": "float"}  # others (dates as entered, text): text


def event_oid(spec: Spec) -> str:
    return f"SE.{spec.study.studyid}"


def form_oid(form: str) -> str:
    return f"F.{form}"


def group_oid(form: str) -> str:
    return f"IG.{form}"


def item_oid(form: str, field: str) -> str:
    return f"IT.{form}.{field}"


def _sub(parent, tag: str, attrs: dict | None = None, text: str | None = None):
    el = etree.SubElement(parent, f"{{{ODM_NS}}}{tag}", {k: str(v) for k, v in (attrs or {}).items() if v not in (None, "")})
    if text is not None:
        el.text = text
    return el


def _translated(parent, tag: str, text: str) -> None:
    t = _sub(_sub(parent, tag), "TranslatedText", text=text)
    t.set("{http://www.w3.org/XML/1998/namespace}lang", "en")


def _metadata(study, spec: Spec) -> None:
    mdv = _sub(study, "MetaDataVersion", {"OID": f"MDV.{spec.study.studyid}.RAW",
                                          "Name": f"{spec.study.studyid} CRF export"})
    protocol = _sub(mdv, "Protocol")
    _sub(protocol, "StudyEventRef", {"StudyEventOID": event_oid(spec), "OrderNumber": 1, "Mandatory": "Yes"})
    event = _sub(mdv, "StudyEventDef", {"OID": event_oid(spec), "Name": spec.study.studyid, "Repeating": "No",
                                        "Type": "Common"})
    for n, form in enumerate(spec.raw.values(), start=1):
        _sub(event, "FormRef", {"FormOID": form_oid(form.name), "OrderNumber": n,
                                "Mandatory": "Yes" if form.required else "No"})
    for form in spec.raw.values():
        fd = _sub(mdv, "FormDef", {"OID": form_oid(form.name), "Name": form.name, "Repeating": "No"})
        _sub(fd, "ItemGroupRef", {"ItemGroupOID": group_oid(form.name), "Mandatory": "Yes"})
    for form in spec.raw.values():
        ig = _sub(mdv, "ItemGroupDef", {"OID": group_oid(form.name), "Name": form.name, "Repeating": "Yes",
                                        "SASDatasetName": form.name[:8]})
        _translated(ig, "Description", form.description)
        for f in form.fields:
            _sub(ig, "ItemRef", {"ItemOID": item_oid(form.name, f.name), "OrderNumber": f.order,
                                 "Mandatory": "Yes" if f.required else "No"})
    for form in spec.raw.values():
        for f in form.fields:
            item = _sub(mdv, "ItemDef", {"OID": item_oid(form.name, f.name), "Name": f.name,
                                         "DataType": DATA_TYPES.get(f.type, "text"), "Length": f.length})
            _translated(item, "Question", f.label or f.name)
            if f.allowed:
                _sub(item, "CodeListRef", {"CodeListOID": f"CL.{form.name}.{f.name}"})
    for form in spec.raw.values():
        for f in form.fields:
            if f.allowed:
                cl = _sub(mdv, "CodeList", {"OID": f"CL.{form.name}.{f.name}", "Name": f"{form.name} {f.name}",
                                            "DataType": DATA_TYPES.get(f.type, "text")})
                for value in f.allowed:
                    _sub(cl, "EnumeratedItem", {"CodedValue": value})


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text != "" else None


def odm_bytes(forms: dict[str, pd.DataFrame], spec: Spec, created: str) -> bytes:
    """The study's forms (text frames, as the simulator makes them) as one ODM 1.3.2 document."""
    studyid = spec.study.studyid
    root = etree.Element(f"{{{ODM_NS}}}ODM", nsmap={None: ODM_NS}, attrib={
        "FileType": "Snapshot", "Granularity": "All", "FileOID": f"{studyid}.RAW", "CreationDateTime": created,
        "ODMVersion": "1.3.2", "Originator": spec.study["study"]["sponsor"], "SourceSystem": "cdisc-mirocals",
        "SourceSystemVersion": __version__})
    study = _sub(root, "Study", {"OID": f"STDY.{studyid}"})
    gv = _sub(study, "GlobalVariables")
    _sub(gv, "StudyName", text=studyid)
    _sub(gv, "StudyDescription", text=f"{notice(studyid)}. {spec.study['study']['title']}")
    _sub(gv, "ProtocolName", text=spec.study["study"]["protocol"])
    _metadata(study, spec)
    clinical = _sub(root, "ClinicalData", {"StudyOID": f"STDY.{studyid}", "MetaDataVersionOID": f"MDV.{studyid}.RAW"})
    subjects: dict[str, dict[str, list]] = {}
    for name, form in spec.raw.items():
        frame = forms[name]
        for key, record in enumerate(frame.itertuples(index=False), start=1):
            row = dict(zip(frame.columns, record))
            subject = (_text(row.get("SUBJID")) or "").strip()
            subjects.setdefault(subject, {}).setdefault(name, []).append((key, row))
    for subject, by_form in subjects.items():
        sd = _sub(clinical, "SubjectData", {"SubjectKey": subject or "UNKNOWN"})
        event = _sub(sd, "StudyEventData", {"StudyEventOID": event_oid(spec)})
        for name, records in by_form.items():
            fd = _sub(event, "FormData", {"FormOID": form_oid(name)})
            for key, row in records:
                ig = _sub(fd, "ItemGroupData", {"ItemGroupOID": group_oid(name), "ItemGroupRepeatKey": key})
                for field in spec.raw[name].fields:
                    value = _text(row.get(field.name))
                    if value is not None:
                        _sub(ig, "ItemData", {"ItemOID": item_oid(name, field.name), "Value": value})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def write_odm(forms: dict[str, pd.DataFrame], out: str | Path, spec: Spec) -> Path:
    from cdisc_mirocals.submission.atomic import atomic_write
    from cdisc_mirocals.submission.timestamp import build_time

    data = odm_bytes(forms, spec, build_time().strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    with atomic_write(out, "wb", encoding=None) as fh:
        fh.write(data)
    return Path(out)
