"""A Define-XML 2.0 or 2.1 document opened for import (spec/from_define.py): read with the package's safe
XML reader (no DTD, no entity, no network), with the look-ups every table needs, and the references it
leaves dangling noted rather than followed."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from cdisc_mirocals.errors import MirocalsError

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = {"2.0": "http://www.cdisc.org/ns/def/v2.0", "2.1": "http://www.cdisc.org/ns/def/v2.1"}
XLINK = "http://www.w3.org/1999/xlink"
ORIGINS_20 = {"CRF": ("Collected", ""), "eDT": ("Collected", "Vendor")}  # Define-XML 2.0 origin types


class DefineDoc:
    """One MetaDataVersion, with the look-ups every table needs."""

    def __init__(self, path: Path, root, mdv, version: str):
        self.path, self.root, self.mdv, self.version, self.d = path, root, mdv, version, DEF[version]
        self.items = {i.get("OID"): i for i in self.findall("ItemDef")}
        self.owner: dict[str, tuple[str, str]] = {}  # ItemDef OID -> (dataset, variable) of a column
        for ig in self.findall("ItemGroupDef"):
            for ref in ig.findall(self.q("ItemRef")):
                item = self.items.get(ref.get("ItemOID"))
                if item is not None:
                    self.owner.setdefault(ref.get("ItemOID"), (ig.get("Name", ""), item.get("Name", "")))
        self.notes: list[str] = []
        self.defined = {"MethodDef": {m.get("OID") for m in self.findall("MethodDef")},
                        "def:CommentDef": {c.get("OID") for c in self.findall("def:CommentDef")},
                        "CodeList": {c.get("OID") for c in self.findall("CodeList")},
                        "def:leaf": {leaf.get("ID") for leaf in self.findall("def:leaf")}}

    def ref(self, kind: str, oid: str | None, by: str) -> str:
        """`oid` if the document defines that element; else '' and a note (the define's own defect)."""
        if not oid or oid in self.defined[kind]:
            return oid or ""
        self.notes.append(f"{by} refers to {kind} {oid}, which the define.xml does not define; left out")
        return ""

    def q(self, tag: str) -> str:
        prefix, _, name = tag.rpartition(":")
        ns = {"def": self.d, "arm": "http://www.cdisc.org/ns/arm/v1.0", "xlink": XLINK}.get(prefix, ODM)
        return f"{{{ns}}}{name}"

    def findall(self, tag: str):
        return self.mdv.findall(self.q(tag))

    def attr(self, el, name: str) -> str:
        return (el.get(self.q(name)) if ":" in name else el.get(name)) or "" if el is not None else ""

    def text(self, el, tag: str = "Description") -> str:
        if el is None:
            return ""
        t = el.find(f"{self.q(tag)}/{self.q('TranslatedText')}")
        return (t.text or "").strip() if t is not None else ""

    def document(self, el) -> tuple[str, str]:
        """(leaf ID, pages) of an element's def:DocumentRef."""
        ref = el.find(self.q("def:DocumentRef")) if el is not None else None
        if ref is None:
            return "", ""
        page = ref.find(self.q("def:PDFPageRef"))
        pages = ""
        if page is not None:
            pages = page.get("PageRefs") or "-".join(p for p in (page.get("FirstPage"), page.get("LastPage")) if p)
        return self.ref("def:leaf", ref.get("leafID", ""), el.get("OID") or etree.QName(el).localname), pages

    def codelist_id(self, oid: str) -> str:
        return oid.removeprefix("CL.")


def read_define_doc(path: str | Path) -> DefineDoc:
    from cdisc_mirocals.validate.define_reader import parse_xml_safely
    from cdisc_mirocals.validate.readers import InputError

    path = Path(path)
    try:
        root = parse_xml_safely(path).getroot()
    except InputError as exc:
        raise MirocalsError(str(exc)) from None
    mdv = root.find(f"{{{ODM}}}Study/{{{ODM}}}MetaDataVersion")
    if etree.QName(root).namespace != ODM or mdv is None:
        raise MirocalsError(f"{path}: not a Define-XML 2.0 or 2.1 document (an ODM 1.3 root with a "
                            f"Study/MetaDataVersion); Define-XML 1.0 is ODM 1.2, which is not read")
    version = next((v for v, ns in DEF.items() if any(k.startswith(f"{{{ns}}}") for k in mdv.attrib)), None)
    if version is None:
        raise MirocalsError(f"{path}: not a Define-XML 2.0 or 2.1 document (no def:DefineVersion)")
    return DefineDoc(path, root, mdv, version)


def standard_of(doc: DefineDoc) -> tuple[str, str, str]:
    """(family 'sdtm' or 'adam', IG name, IG version)."""
    if doc.version == "2.0":
        name, version = doc.attr(doc.mdv, "def:StandardName"), doc.attr(doc.mdv, "def:StandardVersion")
    else:
        ig = next((s for s in doc.mdv.iter(doc.q("def:Standard")) if s.get("Type") == "IG"), None)
        name, version = (ig.get("Name", ""), ig.get("Version", "")) if ig is not None else ("", "")
    return ("adam" if "ADAM" in name.upper() else "sdtm"), name, version
