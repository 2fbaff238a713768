"""Read a Define-XML 2.0 or 2.1 document into the same metadata objects as specs/ (spec.Standard),
so that one schema builder checks data against either.

The parser never fetches anything: external entities are not resolved, network access is off, and
a document that declares a DTD at all (which is how XXE and entity-expansion attacks arrive; a
Define-XML document has no DTD) is refused before any of its content is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from cdisc_mirocals.spec import Codelist, Condition, Dataset, Standard, Term, ValueLevel, Variable
from cdisc_mirocals.validate.readers import InputError

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = {"2.0": "http://www.cdisc.org/ns/def/v2.0", "2.1": "http://www.cdisc.org/ns/def/v2.1"}
NCI = "http://ncicb.nci.nih.gov/xml/odm/EVS/CDISC"
XLINK = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class Define:
    path: Path
    version: str  # 2.0 | 2.1
    standard_name: str  # e.g. "CDISC SDTM", "SDTMIG", "ADaMIG"
    standard_version: str
    metadata: Standard  # datasets, variables, codelists and value-level metadata
    files: dict[str, str]  # dataset name -> archive location (def:leaf xlink:href)
    ct: tuple[tuple[str, str], ...] = ()  # the CT releases it names (Define-XML 2.1): (publishing set, version)

    @property
    def family(self) -> str:
        return "ADaM" if "ADAM" in self.standard_name.upper() else "SDTM"


REFUSED = ("refused: the document declares a DTD ({what}). A Define-XML document has none, and entity declarations "
           "are how external-entity (XXE) and entity-expansion ('billion laughs') attacks arrive; external entities "
           "and network access are disabled")


def _declares_dtd(path: Path) -> str | None:
    """'<!DOCTYPE' or '<!ENTITY' in the prolog (before the root element), read before any XML parsing."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    for encoding in ("utf-16", "utf-8") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8",):
        text = head.decode(encoding, errors="replace")
        for token in ("<!DOCTYPE", "<!ENTITY"):
            if token in text and text.index(token) < _root_start(text):
                return token
    return None


def _root_start(text: str) -> int:
    """Where the root element starts: the first '<' not followed by '?', '!' or another markup declaration."""
    i = text.find("<")
    while i != -1 and text[i + 1:i + 2] in ("?", "!"):
        if text.startswith("<!--", i):
            end = text.find("-->", i)
        elif text.startswith("<!DOCTYPE", i):
            end = text.find("]>", i)
            end = text.find(">", i) if end == -1 else end + 1
        else:
            end = text.find(">", i)
        i = text.find("<", end) if end != -1 else -1
    return len(text) if i == -1 else i


def parse_xml_safely(path: str | Path) -> etree._ElementTree:
    path = Path(path)
    try:
        token = _declares_dtd(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    if token:
        raise InputError(f"{path}: " + REFUSED.format(what=token))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{path}: not well-formed XML ({exc})") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise InputError(f"{path}: " + REFUSED.format(what=tree.docinfo.doctype or "<!DOCTYPE"))
    return tree


def read_define(path: str | Path) -> Define:
    path = Path(path)
    root = parse_xml_safely(path).getroot()
    if etree.QName(root).localname != "ODM" or etree.QName(root).namespace != ODM:
        raise InputError(f"{path}: not a Define-XML 2.0 or 2.1 document: the root element is {root.tag}, not an ODM "
                         f"1.3 ODM element (Define-XML 1.0 is ODM 1.2, which this validator does not read)")
    mdv = root.find(f"{{{ODM}}}Study/{{{ODM}}}MetaDataVersion")
    if mdv is None:
        raise InputError(f"{path}: not a Define-XML 2.0 or 2.1 document: no Study/MetaDataVersion")
    version = next((v for v, ns in DEF.items() if any(k.startswith(f"{{{ns}}}") for k in mdv.attrib)), None)
    if version is None:
        raise InputError(f"{path}: not a Define-XML 2.0 or 2.1 document (no def:DefineVersion)")
    return _Reader(path, mdv, version).define()


class _Reader:
    def __init__(self, path: Path, mdv, version: str):
        self.path, self.mdv, self.version, self.d = path, mdv, version, DEF[version]

    def q(self, tag: str) -> str:
        prefix, _, name = tag.rpartition(":")
        return f"{{{self.d if prefix == 'def' else ODM}}}{name}"

    def text(self, el) -> str:
        if el is None:
            return ""
        t = el.find(f"{self.q('Description')}/{self.q('TranslatedText')}")
        return (t.text or "").strip() if t is not None else ""

    def define(self) -> Define:
        items = {i.get("OID"): i for i in self.mdv.iter(self.q("ItemDef"))}
        codelists = {c.get("OID"): self.codelist(c) for c in self.mdv.iter(self.q("CodeList"))}
        wheres = {w.get("OID"): self.where(w, items) for w in self.mdv.iter(self.q("def:WhereClauseDef"))}
        vlds = {v.get("OID"): v for v in self.mdv.iter(self.q("def:ValueListDef"))}
        datasets, valuelevel, files = {}, [], {}
        for ig in self.mdv.iter(self.q("ItemGroupDef")):
            name = ig.get("Name", "")
            refs = ig.findall(self.q("ItemRef"))
            variables = []
            for pos, ref in enumerate(refs, start=1):
                item = items.get(ref.get("ItemOID"))
                if item is None:
                    raise InputError(f"{self.path}: {name} refers to ItemDef {ref.get('ItemOID')}, which is not defined")
                variables.append(Variable(dataset=name, name=item.get("Name", ""), order=int(ref.get("OrderNumber") or pos),
                                          label=self.text(item), role=ref.get("Role", ""), core="",
                                          **self.item_fields(item, ref)))
                vlr = item.find(self.q("def:ValueListRef"))
                if vlr is not None and vlr.get("ValueListOID") in vlds:
                    valuelevel.extend(self.valuelevel(name, item.get("Name", ""), vlds[vlr.get("ValueListOID")],
                                                      items, wheres))
            keys = tuple(v.name for _, v in sorted((int(r.get("KeySequence")), v) for r, v in zip(refs, variables)
                                                   if r.get("KeySequence")))
            leaf = ig.find(self.q("def:leaf"))
            if leaf is not None:
                files[name] = leaf.get(f"{{{XLINK}}}href", "")
            datasets[name] = Dataset(name, self.text(ig), ig.get(self.q("def:Class")) or self.class21(ig),
                                     ig.get(self.q("def:Structure"), ""), ig.get("Purpose", ""), keys,
                                     ig.get("Repeating") == "Yes", ig.get("IsReferenceData") == "Yes",
                                     ig.get(self.q("def:CommentOID"), ""), tuple(sorted(variables, key=lambda v: v.order)))
        std_name, std_version = self.standard()
        metadata = Standard(std_name, datasets, codelists, tuple(valuelevel), {}, {})
        return Define(self.path, self.version, std_name, std_version, metadata, files, self.ct())

    def ct(self) -> tuple[tuple[str, str], ...]:
        """The CDISC CT releases a Define-XML 2.1 document names (def:Standard Type="CT"); 2.0 has no place for them."""
        if self.version == "2.0":
            return ()
        return tuple(sorted({(std.get("PublishingSet", ""), std.get("Version", ""))
                             for std in self.mdv.iter(self.q("def:Standard")) if std.get("Type") == "CT"}))

    def class21(self, ig) -> str:
        cls = ig.find(self.q("def:Class"))
        return cls.get("Name", "") if cls is not None else ""

    def standard(self) -> tuple[str, str]:
        if self.version == "2.0":
            return self.mdv.get(self.q("def:StandardName"), ""), self.mdv.get(self.q("def:StandardVersion"), "")
        for std in self.mdv.iter(self.q("def:Standard")):
            if std.get("Type") == "IG":
                return std.get("Name", ""), std.get("Version", "")
        return "", ""

    def item_fields(self, item, ref) -> dict:
        origin = item.find(self.q("def:Origin"))
        cl = item.find(self.q("CodeListRef"))
        return dict(
            data_type=item.get("DataType", ""), length=_int(item.get("Length")),
            significant_digits=_int(item.get("SignificantDigits")), format=item.get(self.q("def:DisplayFormat"), ""),
            mandatory=ref.get("Mandatory") == "Yes", codelist=cl.get("CodeListOID", "") if cl is not None else "",
            origin=origin.get("Type", "") if origin is not None else "", source=origin.get("Source", "") if origin is not None else "",
            method=ref.get("MethodOID", ""), predecessor="", comment=item.get(self.q("def:CommentOID"), ""))

    def codelist(self, cl) -> Codelist:
        terms = []
        for order, el in enumerate(list(cl.iter(self.q("CodeListItem"))) + list(cl.iter(self.q("EnumeratedItem"))), 1):
            alias = el.find(self.q("Alias"))
            decode = el.find(f"{self.q('Decode')}/{self.q('TranslatedText')}")  # Decode holds TranslatedText itself
            terms.append(Term(el.get("CodedValue", ""), alias.get("Name", "") if alias is not None else "",
                              (decode.text or "").strip() if decode is not None else "",
                              int(el.get("OrderNumber") or order)))
        external = cl.find(self.q("ExternalCodeList"))
        alias = cl.find(self.q("Alias"))
        terminology = (external.get("Dictionary", "External") if external is not None
                       else "CDISC/NCI" if alias is not None and alias.get("Context") == "nci:ExtCodeID" else "Sponsor")
        return Codelist(cl.get("OID", ""), cl.get("Name", ""), alias.get("Name", "") if alias is not None else "",
                        cl.get("DataType", ""), terminology, False, tuple(terms))

    def where(self, wc, items) -> tuple[Condition, ...]:
        out = []
        for rc in wc.findall(self.q("RangeCheck")):
            item = items.get(rc.get(self.q("def:ItemOID")))
            out.append(Condition(item.get("Name", "") if item is not None else "", rc.get("Comparator", "EQ"),
                                 tuple((cv.text or "").strip() for cv in rc.findall(self.q("CheckValue")))))
        return tuple(out)

    def valuelevel(self, dataset: str, variable: str, vld, items, wheres) -> list[ValueLevel]:
        out = []
        for pos, ref in enumerate(vld.findall(self.q("ItemRef")), start=1):
            item = items.get(ref.get("ItemOID"))
            wcr = ref.find(self.q("def:WhereClauseRef"))
            if item is None or wcr is None:
                continue
            out.append(ValueLevel(dataset=dataset, variable=variable, order=int(ref.get("OrderNumber") or pos),
                                  where=wheres.get(wcr.get("WhereClauseOID"), ()), **self.item_fields(item, ref)))
        return out


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
