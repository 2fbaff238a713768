"""A small element writer over lxml: 'def:Origin' style names, empty attributes left out."""

from __future__ import annotations

from lxml import etree

from cdisc_mirocals.submission.define.safe_xml import ARM, DEF, ODM, XLINK, XML_LANG

_PREFIXES = {"def": DEF, "arm": ARM, "xlink": XLINK}


def qname(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{_PREFIXES[prefix] if prefix else ODM}}}{local}"


def attribute(name: str) -> str:
    return name if name.startswith("{") or ":" not in name else qname(name)


def sub(parent: etree._Element, tag: str, attrs: dict | None = None, text: str | None = None) -> etree._Element:
    """Append `tag` to `parent`; attributes whose value is None or '' are not written."""
    element = etree.SubElement(parent, qname(tag), {attribute(k): str(v) for k, v in (attrs or {}).items()
                                                    if v not in (None, "")})
    if text is not None:
        element.text = text
    return element


def described(parent: etree._Element, text: str, tag: str = "Description") -> etree._Element:
    """<Description><TranslatedText xml:lang="en">text</TranslatedText></Description>"""
    element = sub(parent, tag)
    sub(element, "TranslatedText", {XML_LANG: "en"}, text)
    return element


def document_ref(parent: etree._Element, leaf_id: str, pages: str = "") -> etree._Element:
    """A def:DocumentRef; numeric pages are physical pages, anything else a named destination."""
    ref = sub(parent, "def:DocumentRef", {"leafID": leaf_id})
    if pages:
        kind = "PhysicalRef" if pages.replace(" ", "").isdigit() else "NamedDestination"
        sub(ref, "def:PDFPageRef", {"PageRefs": pages, "Type": kind})
    return ref
