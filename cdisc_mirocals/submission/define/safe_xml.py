"""Parsing define.xml safely, and finding the vendored schemas and stylesheet.

A define.xml is read from outside (a sponsor's file, a reviewer's copy), so the parser resolves no
entities, reads nothing over the network, refuses a DOCTYPE altogether (no DTD: no external entity,
no entity expansion bomb) and keeps libxml2's limits on tree size.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

from cdisc_mirocals.errors import MirocalsError

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: ODM, "def": DEF, "xlink": XLINK}
NS = {"odm": ODM, "def": DEF, "arm": ARM, "xlink": XLINK}


class DefineError(MirocalsError):
    """A define.xml that cannot be built from the inputs given, or a document refused when read."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


# a DOCTYPE in the prolog: after the XML declaration, comments and processing instructions
# (each comment or instruction ends at its first terminator, so matching never backtracks across them)
_DOCTYPE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?(?:[^?]|\?(?!>))*+\?>\s*|<!--(?:[^-]|-(?!->))*+-->\s*)*+<!DOCTYPE")


def parse_define(data: bytes, name: str = "define.xml") -> etree._ElementTree:
    """Parse a define.xml document; a DOCTYPE (the carrier of XXE and entity-expansion attacks) is refused."""
    refused = DefineError(f"{name}: a DOCTYPE declaration is refused: define.xml needs no DTD, and DTD "
                          f"entities can read local files (XXE) or expand without bound (billion laughs)")
    if _DOCTYPE.match(data):
        raise refused  # before libxml2 sees the entity declarations at all
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise DefineError(f"{name}: not well-formed XML ({exc})") from None
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise refused  # a prolog the byte check did not read, e.g. UTF-16
    return tree


def resource_root() -> Path:
    """define_xml/ inside an installed wheel, else the source tree's define_xml/ (as specs/ is found)."""
    here = Path(__file__).resolve().parents[2]
    for candidate in (here / "_data" / "define_xml", here.parent / "define_xml"):
        if (candidate / "define2-1.xsl").is_file():
            return candidate
    raise DefineError("the Define-XML schemas and stylesheet (define_xml/) are missing: reinstall the package")


def schema_path(arm: bool) -> Path:
    sub = "cdisc-arm-1.0/arm1-0-0.xsd" if arm else "cdisc-define-2.1/define2-1-0.xsd"
    return resource_root() / "schema" / sub


def stylesheet_path() -> Path:
    return resource_root() / "define2-1.xsl"


@lru_cache(maxsize=2)
def schema(arm: bool) -> etree.XMLSchema:
    # the bundle's include/import/redefine are relative paths inside define_xml/: nothing is fetched
    return etree.XMLSchema(etree.parse(str(schema_path(arm)), _parser()))


@lru_cache(maxsize=1)
def stylesheet() -> etree.XSLT:
    access = etree.XSLTAccessControl(read_file=False, write_file=False, create_dir=False, read_network=False,
                                     write_network=False)
    return etree.XSLT(etree.parse(str(stylesheet_path()), _parser()), access_control=access)
