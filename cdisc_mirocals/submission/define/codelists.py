"""CodeLists: CDISC/NCI codes as Alias at codelist and term level, decodes as CodeListItems, sponsor
extensions of extensible CDISC codelists flagged def:ExtendedValue, dictionaries as ExternalCodeList.
A CDISC codelist points at its CT package (def:StandardOID); any other is def:IsNonStandard.

A comment that is the same on every term of a codelist describes the codelist (a def:CommentDef);
otherwise each term's comment becomes that term's Description (Define-XML 2.1).
"""

from __future__ import annotations

from lxml import etree

from cdisc_mirocals.spec import Codelist, Term
from cdisc_mirocals.submission.define import oids
from cdisc_mirocals.submission.define.elements import described, sub
from cdisc_mirocals.submission.define.safe_xml import DefineError

CDISC = "CDISC/NCI"


def codelist_comment(cl: Codelist) -> str:
    """The codelist-level comment, '' when comments differ from term to term."""
    if cl.is_external or len({t.comment for t in cl.terms}) == 1:
        return cl.comment
    return ""


def dictionary_version(cl: Codelist, standards: dict) -> str:
    key = cl.terminology.lower()
    if key not in standards:
        raise DefineError(f"codelist {cl.id} refers to the dictionary {cl.terminology}: specs/study.toml "
                          f"[standards] needs its version as {key} = \"...\"")
    return str(standards[key])


def codelist_def(parent: etree._Element, cl: Codelist, standard_oid: str | None, standards: dict) -> None:
    comment = codelist_comment(cl)
    element = sub(parent, "CodeList", {
        "OID": oids.codelist(cl.id), "Name": cl.name, "DataType": cl.data_type,
        "def:StandardOID": standard_oid if cl.terminology == CDISC else None,
        # as in the CDISC ADaM example: a codelist that is not CDISC CT is flagged non-standard
        "def:IsNonStandard": None if cl.terminology == CDISC else "Yes",
        "def:CommentOID": oids.codelist_comment(cl.id) if comment else None})
    if cl.is_external:
        sub(element, "ExternalCodeList", {"Dictionary": cl.terminology, "Version": dictionary_version(cl, standards)})
    else:
        decoded = [bool(t.decode) for t in cl.terms]
        if any(decoded) and not all(decoded):
            missing = [t.term for t in cl.terms if not t.decode]
            raise DefineError(f"codelist {cl.id} decodes some terms but not {missing}: give every term a "
                              f"Decoded Value, or none")
        per_term = not comment
        for term in cl.terms:
            _term(element, cl, term, all(decoded), per_term)
    if cl.nci_code:
        sub(element, "Alias", {"Context": "nci:ExtCodeID", "Name": cl.nci_code})


def _term(parent: etree._Element, cl: Codelist, term: Term, decoded: bool, described_here: bool) -> None:
    extended = cl.terminology == CDISC and cl.extensible and not term.nci_code
    item = sub(parent, "CodeListItem" if decoded else "EnumeratedItem", {
        "CodedValue": term.term, "OrderNumber": term.order, "def:ExtendedValue": "Yes" if extended else None})
    if decoded:
        described(item, term.decode, "Decode")
    if term.nci_code:
        sub(item, "Alias", {"Context": "nci:ExtCodeID", "Name": term.nci_code})
    if described_here and term.comment:
        described(item, term.comment)
