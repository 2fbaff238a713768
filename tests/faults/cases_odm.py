"""Faulty ODM 1.3.2 exports: each case edits a clean export of the corpus study (lxml, as an EDC would write
it) and states the errors `cdisc-mirocals check-raw FILE.xml` must report, located by the ClinicalData
path (SubjectKey, StudyEventOID, FormOID, ItemGroupOID, ItemGroupRepeatKey, ItemOID), with the words the
CSV route uses for the same fault. Records are found by what they hold, never by a fixed position."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lxml import etree

NS = "http://www.cdisc.org/ns/odm/v1.3"


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


@dataclass(frozen=True)
class OdmError:
    path: tuple[str, ...]  # "FormOID F.AE", "ItemOID IT.AE.AESEV": each must be in the message, in order
    says: str

    def found_in(self, message: str, book: str) -> bool:
        if not message.startswith(f"error: {book}") or self.says not in message:
            return False
        positions = [message.find(p) for p in self.path]
        return all(p >= 0 for p in positions) and positions == sorted(positions)


@dataclass(frozen=True)
class OdmCase:
    name: str
    make: Callable[[Path], tuple[OdmError, ...]]


def _edit(path: Path, change) -> tuple[OdmError, ...]:
    tree = etree.parse(str(path))
    errors = change(tree.getroot())
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return errors


def _item(root, oid: str):
    return next(i for i in root.iter(q("ItemData")) if i.get("ItemOID") == oid)


def _where(item) -> list[str]:
    group = item.getparent()
    form, subject = group.getparent(), group.getparent().getparent().getparent()
    return [f"SubjectKey {subject.get('SubjectKey')}", f"FormOID {form.get('FormOID')}",
            f"ItemGroupRepeatKey {group.get('ItemGroupRepeatKey')}", f"ItemOID {item.get('ItemOID')}"]


def _bad_value(path: Path):
    def change(root):
        item = _item(root, "IT.AE.AESEV")
        item.set("Value", "VERY SEVERE")
        return (OdmError(tuple(_where(item)), "one of"),)
    return _edit(path, change)


def _unknown_item(path: Path):
    def change(root):
        mdv = next(root.iter(q("MetaDataVersion")))
        group = next(g for g in mdv.iter(q("ItemGroupDef")) if g.get("OID") == "IG.AE")
        etree.SubElement(group, q("ItemRef"), ItemOID="IT.AE.AEGRPID", Mandatory="No")
        first_item = next(mdv.iter(q("ItemDef")))
        new = etree.Element(q("ItemDef"), OID="IT.AE.AEGRPID", Name="AEGRPID", DataType="text")
        first_item.addprevious(new)
        return (OdmError(("FormOID F.AE",), "unexpected AEGRPID"),)
    return _edit(path, change)


def _item_outside_its_group(path: Path):
    def change(root):
        item = _item(root, "IT.AE.AESEV")
        item.set("ItemOID", "IT.MH.MHTERM")
        return (OdmError(tuple(_where(item)[:-1]) + ("ItemOID IT.MH.MHTERM",), "an ItemOID of ItemGroupDef IG.AE"),)
    return _edit(path, change)


def _missing_form(path: Path):
    def change(root):
        for fd in list(root.iter(q("FormDef"))):
            if fd.get("OID") == "F.DEATH":
                fd.getparent().remove(fd)
        for ref in list(root.iter(q("FormRef"))):
            if ref.get("FormOID") == "F.DEATH":
                ref.getparent().remove(ref)
        for data in list(root.iter(q("FormData"))):
            if data.get("FormOID") == "F.DEATH":
                data.getparent().remove(data)
        return (OdmError(("FormOID F.DEATH",), "form is missing"),)
    return _edit(path, change)


def _undeclared_form(path: Path):
    def change(root):
        data = next(root.iter(q("FormData")))
        data.set("FormOID", "F.UNKNOWN")
        subject = data.getparent().getparent().get("SubjectKey")
        return (OdmError((f"SubjectKey {subject}", "FormOID F.UNKNOWN"), "a FormOID the MetaDataVersion defines"),)
    return _edit(path, change)


def _missing_subject(path: Path):
    def change(root):
        item = _item(root, "IT.VS.SUBJID")
        item.set("Value", "9999999")
        return (OdmError(tuple(_where(item)[1:]), "9999999"),)
    return _edit(path, change)


def _not_schema_valid(path: Path):
    def change(root):
        item = next(root.iter(q("ItemData")))
        del item.attrib["ItemOID"]
        return (OdmError((), "valid ODM 1.3.2"),)
    return _edit(path, change)


def _dtd(path: Path):
    data = path.read_bytes().split(b"?>", 1)[1]
    path.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + data)
    return (OdmError((), "declares a DTD"),)


CASES = [
    OdmCase("bad_value", _bad_value),
    OdmCase("unknown_item", _unknown_item),
    OdmCase("item_outside_its_group", _item_outside_its_group),
    OdmCase("missing_form", _missing_form),
    OdmCase("undeclared_form", _undeclared_form),
    OdmCase("missing_subject", _missing_subject),
    OdmCase("not_schema_valid", _not_schema_valid),
    OdmCase("dtd", _dtd),
]
