"""Define-XML 2.1 (+ ARM 1.0): valid against the CDISC schemas, complete with respect to specs/, nothing
dangling, lengths equal to the data's, rendered by the CDISC stylesheet, safe to read, reproducible, and
built in the patterns of the CDISC examples."""

import math
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.submission.define import (DefineError, build_define, parse_define, render_define_html,
                                              validate_define, where_mask, xpt_length)
from cdisc_mirocals.submission.define.safe_xml import NS

from conftest import REFERENCE

EXAMPLES = REFERENCE / "define-xml-2.1-examples"
PILOT = REFERENCE / "cdiscpilot01_tdf"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"


@pytest.fixture(scope="session")
def frames(sdtm, adam):
    return {"SDTM": sdtm, "ADaM": adam}


@pytest.fixture(scope="session")
def documents(spec, frames):
    return {std: build_define(spec, std, frames[std]) for std in ("SDTM", "ADaM")}


@pytest.fixture(scope="session")
def trees(documents):
    return {std: parse_define(xml).getroot() for std, xml in documents.items()}


def _standard(spec, name):
    return spec.sdtm if name == "SDTM" else spec.adam


def _by_oid(root, path, key="OID"):
    return {e.get(key): e for e in root.iterfind(path, NS)}


def _text(element, path="odm:Description/odm:TranslatedText"):
    found = element.find(path, NS)
    return None if found is None else found.text


# --------------------------------------------------------------------------- schema validity


def test_both_documents_validate_against_the_define_xml_schemas(documents):
    assert validate_define(documents["SDTM"], arm=False) == []
    assert validate_define(documents["ADaM"], arm=True) == []


def test_the_validator_finds_schema_errors(documents):
    broken = documents["SDTM"].replace(b'Name="STUDYID" DataType="text"', b'Name="STUDYID" DataType="txt"', 1)
    errors = validate_define(broken, arm=False)
    assert errors and all(e.startswith("line ") for e in errors)
    assert any("DataType" in e and "txt" in e for e in errors), errors
    # ARM elements need the ARM schema: the ADaM document is invalid against plain Define-XML 2.1
    plain = validate_define(documents["ADaM"], arm=False)
    assert plain and all("AnalysisResultDisplays" in e for e in plain), plain


def test_cdisc_examples_validate_with_the_vendored_schemas():
    if not EXAMPLES.exists():
        pytest.skip("the CDISC Define-XML 2.1 examples are not beside the project")
    assert validate_define((EXAMPLES / "defineV21-SDTM.xml").read_bytes(), arm=False) == []
    assert validate_define((EXAMPLES / "defineV21-ADaM.xml").read_bytes(), arm=True) == []


def test_pilot_define_files_parse_with_the_safe_parser():
    if not PILOT.exists():
        pytest.skip("the CDISC pilot reference data is not beside the project")
    for part in ("sdtm", "adam"):
        root = parse_define((PILOT / part / "define.xml").read_bytes()).getroot()
        assert root.tag == "{http://www.cdisc.org/ns/odm/v1.3}ODM"
        assert len(root.findall(".//odm:ItemGroupDef", NS)) >= 4


# --------------------------------------------------------------------------- completeness


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_every_dataset_and_variable_of_the_spec_is_described(name, spec, trees):
    std, root = _standard(spec, name), trees[name]
    groups = _by_oid(root, ".//odm:ItemGroupDef")
    items = _by_oid(root, ".//odm:ItemDef")
    assert list(groups) == [f"IG.{d}" for d in std.datasets]
    for ds in std.datasets.values():
        group = groups[f"IG.{ds.name}"]
        assert (group.get("Name"), group.get("Purpose"), group.get(f"{DEF}Structure")) == (ds.name, ds.purpose, ds.structure)
        assert group.get("Repeating") == ("Yes" if ds.repeating else "No")
        assert group.get("IsReferenceData") == ("Yes" if ds.reference_data else "No")
        assert group.get(f"{DEF}CommentOID") == (ds.comment or None)
        assert _text(group) == ds.description
        assert group.find("def:Class", NS).get("Name") == ds.class_
        sub = group.find("def:Class/def:SubClass", NS)
        assert (sub.get("Name") if sub is not None else "") == ds.subclass
        leaf = group.find("def:leaf", NS)
        assert leaf.get("{http://www.w3.org/1999/xlink}href") == f"{ds.name.lower()}.xpt"
        assert leaf.get("ID") == group.get(f"{DEF}ArchiveLocationID")
        refs = group.findall("odm:ItemRef", NS)
        assert [r.get("ItemOID") for r in refs] == [f"IT.{ds.name}.{v.name}" for v in ds.variables]
        keys = {r.get("ItemOID").split(".")[-1]: int(r.get("KeySequence")) for r in refs if r.get("KeySequence")}
        assert sorted(keys, key=keys.get) == list(ds.keys)
        for var, ref in zip(ds.variables, refs):
            assert ref.get("Mandatory") == ("Yes" if var.mandatory else "No")
            assert ref.get("MethodOID") == (var.method or None)
            assert ref.get("Role") == (var.role if name == "SDTM" and var.role else None)
            item = items[ref.get("ItemOID")]
            assert (item.get("Name"), item.get("DataType"), _text(item)) == (var.name, var.data_type, var.label)
            assert item.get(f"{DEF}DisplayFormat") == (var.format or None)
            assert item.get("SignificantDigits") == (str(var.significant_digits) if var.significant_digits is not None else None)
            assert item.get(f"{DEF}CommentOID") == (var.comment or None)
            cl = item.find("odm:CodeListRef", NS)
            assert (cl.get("CodeListOID") if cl is not None else "") == (f"CL.{var.codelist}" if var.codelist else "")
            origin = item.find("def:Origin", NS)
            assert (origin.get("Type"), origin.get("Source")) == (var.origin, var.source or None)
            assert _text(origin) == (var.predecessor if var.origin == "Predecessor" else None)


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_every_value_level_row_is_a_value_list_item_with_its_where_clause(name, spec, trees):
    std, root = _standard(spec, name), trees[name]
    items, wheres = _by_oid(root, ".//odm:ItemDef"), _by_oid(root, ".//def:WhereClauseDef")
    lists = _by_oid(root, ".//def:ValueListDef")
    assert std.valuelevel
    for row in std.valuelevel:
        vld = lists[f"VL.{row.dataset}.{row.variable}"]
        parent = items[f"IT.{row.dataset}.{row.variable}"]
        assert parent.find("def:ValueListRef", NS).get("ValueListOID") == vld.get("OID")
        matches = []
        for ref in vld.findall("odm:ItemRef", NS):
            wc = wheres[ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")]
            conditions = tuple((rc.get("Comparator"), rc.get(f"{DEF}ItemOID"),
                                tuple(c.text for c in rc.findall("odm:CheckValue", NS)))
                               for rc in wc.findall("odm:RangeCheck", NS))
            if conditions == tuple((c.comparator, f"IT.{row.dataset}.{c.variable}", c.values) for c in row.where):
                matches.append(ref)
        assert len(matches) == 1, (row.dataset, row.variable, row.where)
        ref = matches[0]
        assert int(ref.get("OrderNumber")) == row.order
        assert ref.get("Mandatory") == ("Yes" if row.mandatory else "No")
        assert ref.get("MethodOID") == (row.method or None)
        item = items[ref.get("ItemOID")]
        assert (item.get("Name"), item.get("DataType")) == (row.variable, row.data_type)
        assert item.get(f"{DEF}CommentOID") == (row.comment or None)
        cl = item.find("odm:CodeListRef", NS)
        assert (cl.get("CodeListOID") if cl is not None else "") == (f"CL.{row.codelist}" if row.codelist else "")
        origin = item.find("def:Origin", NS)
        assert (origin.get("Type"), origin.get("Source")) == (row.origin, row.source or None)


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_every_codelist_method_and_comment_of_the_spec_is_defined(name, spec, trees):
    std, root = _standard(spec, name), trees[name]
    codelists = _by_oid(root, ".//odm:CodeList")
    assert set(codelists) == {f"CL.{c}" for c in std.codelists}
    for cl in std.codelists.values():
        element = codelists[f"CL.{cl.id}"]
        assert (element.get("Name"), element.get("DataType")) == (cl.name, cl.data_type)
        alias = element.find("odm:Alias", NS)
        assert (alias.get("Name") if alias is not None else "") == cl.nci_code
        external = element.find("odm:ExternalCodeList", NS)
        if cl.is_external:
            assert external.get("Dictionary") == cl.terminology
            assert external.get("Version") == spec.study["standards"][cl.terminology.lower()]
            continue
        terms = element.findall("odm:CodeListItem", NS) or element.findall("odm:EnumeratedItem", NS)
        assert [t.get("CodedValue") for t in terms] == list(cl.values)
        for term, spec_term in zip(terms, cl.terms):
            decode = _text(term, "odm:Decode/odm:TranslatedText")
            assert decode == (spec_term.decode or None)
            code = term.find("odm:Alias", NS)
            assert (code.get("Name") if code is not None else "") == spec_term.nci_code
            extended = cl.terminology == "CDISC/NCI" and cl.extensible and not spec_term.nci_code
            assert term.get(f"{DEF}ExtendedValue") == ("Yes" if extended else None)
    methods = _by_oid(root, ".//odm:MethodDef")
    assert set(methods) == set(std.methods)
    for m in std.methods.values():
        element = methods[m.id]
        assert (element.get("Name"), element.get("Type"), _text(element)) == (m.name, m.type, m.description)
        expression = element.find("odm:FormalExpression", NS)
        assert (expression.get("Context"), expression.text) == (m.expression_context, m.expression_code) \
            if m.expression_code else expression is None
    comments = _by_oid(root, ".//def:CommentDef")
    for c in std.comments.values():
        assert _text(comments[c.id]) == c.description


def test_sponsor_extensions_and_external_dictionaries(spec, trees):
    """The spec's extensions of extensible CDISC codelists, and its dictionaries with their study.toml versions."""
    codelists = _by_oid(trees["SDTM"], ".//odm:CodeList")
    extended = {(cl, t.get("CodedValue")) for cl, el in codelists.items()
                for t in el if t.get(f"{DEF}ExtendedValue") == "Yes"}
    assert {("CL.OTHEVENT", "DEATH"), ("CL.QSCAT", "ALSFRS-R"), ("CL.DICTNAM", "ISO 8601")} <= extended
    meddra = codelists["CL.MEDDRA"].find("odm:ExternalCodeList", NS)
    whodrug = codelists["CL.WHODRUG"].find("odm:ExternalCodeList", NS)
    assert (meddra.get("Dictionary"), meddra.get("Version")) == ("MedDRA", spec.study["standards"]["meddra"])
    assert (whodrug.get("Dictionary"), whodrug.get("Version")) == ("WHODrug", spec.study["standards"]["whodrug"])
    # the ADaM CT codelists point at the ADaM CT package, the other CDISC codelists at SDTM CT
    adam = _by_oid(trees["ADaM"], ".//odm:CodeList")
    assert adam["CL.DATEFL"].get(f"{DEF}StandardOID") == "STD.CT.ADAM"
    assert adam["CL.NY"].get(f"{DEF}StandardOID") == "STD.CT.SDTM"
    assert adam["CL.PARAMCD"].get(f"{DEF}IsNonStandard") == "Yes"
    standards = {s.get("OID"): (s.get("Name"), s.get("PublishingSet"), s.get("Version"))
                 for s in trees["ADaM"].iterfind(".//def:Standard", NS)}
    versions = spec.study["standards"]
    assert standards == {"STD.ADAMIG": ("ADaMIG", None, versions["adamig"]),
                         "STD.CT.ADAM": ("CDISC/NCI", "ADaM", versions["adam_ct"]),
                         "STD.CT.SDTM": ("CDISC/NCI", "SDTM", versions["sdtm_ct"]),
                         "STD.CT.DEFINE-XML": ("CDISC/NCI", "DEFINE-XML", versions["define_ct"])}


def test_adam_ct_codelists_of_study_toml_are_adam_ct(spec):
    """adam_ct_codelists names codelists that the ADaM CT package publishes, and that specs/adam uses."""
    path = REFERENCE / "controlled-terminology" / "ADaM Terminology.odm.xml"
    if not path.exists():
        pytest.skip("the CDISC ADaM CT reference is not beside the project")
    nci = "{http://ncicb.nci.nih.gov/xml/odm/EVS/CDISC}ExtCodeID"
    published = {cl.get(nci) for cl in etree.parse(str(path)).iterfind(".//odm:CodeList", NS)}
    listed = set(spec.study["standards"]["adam_ct_codelists"])
    assert listed <= published
    assert listed <= {cl.nci_code for cl in spec.adam.codelists.values()}


# --------------------------------------------------------------------------- nothing dangles

REFERENCES = [  # (xpath of the referring attribute's element, attribute, kind referred to)
    (".//odm:ItemRef", "ItemOID", "ItemDef"),
    (".//odm:ItemRef", "MethodOID", "MethodDef"),
    (".//odm:CodeListRef", "CodeListOID", "CodeList"),
    (".//def:ValueListRef", "ValueListOID", "ValueListDef"),
    (".//def:WhereClauseRef", "WhereClauseOID", "WhereClauseDef"),
    (".//*[@def:CommentOID]", f"{DEF}CommentOID", "CommentDef"),
    (".//*[@def:StandardOID]", f"{DEF}StandardOID", "Standard"),
    (".//odm:ItemGroupDef", f"{DEF}ArchiveLocationID", "leaf"),
    (".//def:DocumentRef", "leafID", "leaf"),
    (".//odm:RangeCheck", f"{DEF}ItemOID", "ItemDef"),
    (".//arm:AnalysisDataset", "ItemGroupOID", "ItemGroupDef"),
    (".//arm:AnalysisVariable", "ItemOID", "ItemDef"),
    (".//arm:AnalysisResult", "ParameterOID", "ItemDef"),
]
DEFINITIONS = {"ItemGroupDef": (".//odm:ItemGroupDef", "OID"), "ItemDef": (".//odm:ItemDef", "OID"),
               "CodeList": (".//odm:CodeList", "OID"), "MethodDef": (".//odm:MethodDef", "OID"),
               "CommentDef": (".//def:CommentDef", "OID"), "ValueListDef": (".//def:ValueListDef", "OID"),
               "WhereClauseDef": (".//def:WhereClauseDef", "OID"), "Standard": (".//def:Standard", "OID"),
               "leaf": (".//def:leaf", "ID")}


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_every_reference_is_defined_and_every_definition_is_used(name, trees):
    root = trees[name]
    defined = {}
    for kind, (path, attr) in DEFINITIONS.items():
        oids = [e.get(attr) for e in root.iterfind(path, NS)]
        assert len(oids) == len(set(oids)), f"{kind} defined twice"
        defined[kind] = set(oids)
    used = {kind: set() for kind in DEFINITIONS}
    for path, attr, kind in REFERENCES:
        for element in root.iterfind(path, NS):
            if element.get(attr):
                used[kind].add(element.get(attr))
    for kind in DEFINITIONS:
        assert used[kind] <= defined[kind], f"dangling {kind} references: {sorted(used[kind] - defined[kind])}"
    for kind in ("ItemDef", "CodeList", "MethodDef", "CommentDef", "ValueListDef", "WhereClauseDef", "leaf"):
        assert defined[kind] <= used[kind], f"{kind} defined but never referenced: {sorted(defined[kind] - used[kind])}"
    assert used["CommentDef"] and used["WhereClauseDef"] and used["MethodDef"]


# --------------------------------------------------------------------------- lengths from the data


def _bytes(values) -> int:
    """The XPT length worked out independently: longest UTF-8 value, 1 when every value is empty."""
    return max([1] + [len(v.encode("utf-8")) for v in values])


def _selected(frame: pd.DataFrame, where) -> np.ndarray:
    """Value by value, without where_mask: the records a value-level where clause selects."""
    keep = np.ones(len(frame), dtype=bool)
    for cond in where:
        numeric = frame[cond.variable].dtype.kind == "f"
        wanted = {float(v) for v in cond.values} if numeric else set(cond.values)
        hit = np.array([value in wanted for value in frame[cond.variable].tolist()], dtype=bool)
        keep &= hit if cond.comparator in ("EQ", "IN") else ~hit
    return keep


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_lengths_are_the_longest_value_in_the_data(name, spec, trees, frames):
    std, items = _standard(spec, name), _by_oid(trees[name], ".//odm:ItemDef")
    shorter_than_spec = 0
    for ds in std.datasets.values():
        frame = frames[name][ds.name]
        for var in ds.variables:
            length = int(items[f"IT.{ds.name}.{var.name}"].get("Length"))
            if var.is_numeric:
                assert length == 8, (ds.name, var.name)
            else:
                assert length == _bytes(frame[var.name]) == xpt_length(frame[var.name]), (ds.name, var.name)
                shorter_than_spec += length < (var.length or 0)
    assert shorter_than_spec >= 10  # the data, not the spec's ceiling, give the length (e.g. USUBJID)
    for row in std.valuelevel:
        frame = frames[name][row.dataset]
        values = frame.loc[_selected(frame, row.where), row.variable]
        matching = [i for oid, i in items.items() if oid.startswith(f"IT.{row.dataset}.{row.variable}.")
                    and i.get("DataType") == row.data_type]
        lengths = {int(i.get("Length")) for i in matching}
        parent = std[row.dataset].variable(row.variable)
        expected = 8 if parent.is_numeric else _bytes(values)
        assert expected in lengths, (row.dataset, row.variable, row.where, expected, lengths)


def test_value_level_lengths_differ_by_where_clause(trees):
    items = _by_oid(trees["SDTM"], ".//odm:ItemDef")
    assert int(items["IT.SUPPDM.QVAL"].get("Length")) == len("PROBABLE LABORATORY-SUPPORTED")  # ELESCAT
    assert int(items["IT.SUPPDM.QVAL.STRCNTRY"].get("Length")) == len("UNITED KINGDOM")
    assert int(items["IT.SUPPDM.QVAL.STRONSET"].get("Length")) == len("BULBAR")
    assert int(items["IT.TS.TSVAL.ACTSUB"].get("Length")) == 3  # 220 randomised subjects, as text


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_variables_without_data_say_so(name, spec, trees, frames):
    std = _standard(spec, name)
    flagged = 0
    for ds in std.datasets.values():
        frame = frames[name][ds.name]
        for ref in trees[name].find(f".//odm:ItemGroupDef[@OID='IG.{ds.name}']", NS).iterfind("odm:ItemRef", NS):
            column = frame[ref.get("ItemOID").split(".")[-1]]
            empty = column.isna().all() if column.dtype.kind == "f" else (column == "").all()
            assert ref.get(f"{DEF}HasNoData") == ("Yes" if empty else None)
            flagged += bool(empty)
    if name == "SDTM":
        assert flagged >= 8  # the Expected MedDRA variables kept as null columns (COM.AE.NULLMED)


def test_xpt_length_worked_by_hand():
    assert xpt_length(["", "abc", "de"]) == 3
    assert xpt_length(["", ""]) == 1
    assert xpt_length([]) == 1
    assert xpt_length(["caf\u00e9"]) == 5  # bytes, not characters
    assert xpt_length(pd.Series(["a", None, np.nan, "xyz"], dtype=object)) == 3
    with pytest.raises(TypeError, match="text values"):
        xpt_length(["a", 3.5])


def test_where_mask_worked_by_hand():
    from cdisc_mirocals.spec import Condition
    frame = pd.DataFrame({"TESTCD": ["A", "B", "C", "A"], "VISITNUM": [1.0, 2.0, 3.01, np.nan]})
    mask = where_mask(frame, [Condition("TESTCD", "IN", ("A", "C"))])
    assert mask.tolist() == [True, False, True, True]
    mask = where_mask(frame, [Condition("TESTCD", "NE", ("A",)), Condition("VISITNUM", "GE", ("2",))])
    assert mask.tolist() == [False, True, True, False]
    assert where_mask(frame, [Condition("VISITNUM", "EQ", ("1",))]).tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match="VISITNUM is numeric"):
        where_mask(frame, [Condition("VISITNUM", "EQ", ("ONE",))])


# --------------------------------------------------------------------------- define.html


class _Nesting(HTMLParser):
    """Well-formedness of the HTML the stylesheet writes: every element closed, in order."""

    VOID = {"br", "meta", "img", "hr", "input", "link", "col", "area", "base", "wbr", "param"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.fixture(scope="session")
def pages(documents):
    return {std: render_define_html(xml) for std, xml in documents.items()}


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_define_html_shows_every_dataset_and_is_well_formed(name, spec, pages):
    html = pages[name].decode("utf-8")
    checker = _Nesting()
    checker.feed(html)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors[:5], checker.stack[-5:])
    tree = etree.fromstring(pages[name], etree.HTMLParser())
    titles = [" ".join(e.text_content().split()) if hasattr(e, "text_content") else "".join(e.itertext())
              for e in tree.iter("h1", "div")]
    assert any(f"{spec.study.studyid}" in t for t in titles)
    links = {a.get("href") for a in tree.iter("a")}
    for ds in _standard(spec, name).datasets.values():
        assert f"{ds.name.lower()}.xpt" in links, ds.name
        assert f"{ds.name} ({ds.description})" in unescape(" ".join(html.split())), ds.name  # its table title
    if name == "ADaM":
        text = unescape(" ".join(html.split()))
        for r in spec.adam.analysis_results:
            assert r.description in text


def test_define_html_is_reproducible(documents):
    assert render_define_html(documents["ADaM"]) == render_define_html(documents["ADaM"])


# --------------------------------------------------------------------------- safety

XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&xxe;</ODM>')
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']>\n<lolz>&lol9;</lolz>')


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_documents_with_a_dtd_are_refused(document):
    for read in (parse_define, lambda d: validate_define(d, arm=False), render_define_html):
        with pytest.raises(DefineError, match="DOCTYPE declaration is refused") as info:
            read(document)
        assert "root:" not in str(info.value)


def test_the_xxe_document_is_a_real_attack():
    """Read by a parser that resolves entities, the XXE test document discloses a local file."""
    if not Path("/etc/passwd").exists():
        pytest.skip("no /etc/passwd to read")
    assert "root:" in etree.tostring(etree.fromstring(XXE, etree.XMLParser(resolve_entities=True))).decode()


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(DefineError, match="define.xml: not well-formed XML"):
        parse_define(b"<ODM><unclosed></ODM>")


# --------------------------------------------------------------------------- reproducible


def test_same_inputs_give_the_same_bytes(monkeypatch, spec, adam):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_define(spec, "ADaM", adam)
    second = build_define(spec, "ADaM", {k: v.copy() for k, v in adam.items()})
    assert first == second
    assert b'CreationDateTime="2023-11-14T22:13:20"' in first and b'AsOfDateTime="2023-11-14T22:13:20"' in first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000060")
    later = build_define(spec, "ADaM", adam)
    assert later != first and later.replace(b"22:14:20", b"22:13:20") == first


def test_bad_source_date_epoch_is_a_clear_error(monkeypatch, spec, adam):
    from cdisc_mirocals.errors import MirocalsError
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(MirocalsError, match="SOURCE_DATE_EPOCH must be a whole number"):
        build_define(spec, "ADaM", adam)


# --------------------------------------------------------------------------- inputs refused


def test_datasets_must_be_those_of_the_spec(spec, adam):
    with pytest.raises(DefineError, match=r"no data for the ADaM datasets \['ADAE'\]"):
        build_define(spec, "ADaM", {k: v for k, v in adam.items() if k != "ADAE"})
    reordered = dict(adam, ADSL=adam["ADSL"][list(reversed(adam["ADSL"].columns))])
    with pytest.raises(DefineError, match="ADSL: the columns"):
        build_define(spec, "ADaM", reordered)
    as_text = dict(adam, ADSL=adam["ADSL"].assign(AGE=adam["ADSL"]["AGE"].astype(str)))
    with pytest.raises(DefineError, match=r"ADSL: \['AGE'\] are not stored as the specification"):
        build_define(spec, "ADaM", as_text)
    with pytest.raises(DefineError, match="standard must be one of"):
        build_define(spec, "SEND", adam)


@pytest.fixture
def specs_copy(tmp_path, spec):
    dst = tmp_path / "specs"
    shutil.copytree(spec.root, dst)
    return dst


def test_a_dictionary_without_a_version_is_named(specs_copy, sdtm):
    toml = specs_copy / "study.toml"
    toml.write_text("\n".join(l for l in toml.read_text().splitlines() if not l.startswith("whodrug")) + "\n")
    with pytest.raises(DefineError, match=r'WHODRUG refers to the dictionary WHODrug: .*whodrug = "..."'):
        build_define(load_spec(specs_copy), "SDTM", sdtm)


def _edit(path: Path, record: int, column: str, value: str) -> int:
    """Set `column` of the record-th data record; returns the file line the record starts on."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[record - 1, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")
    text = path.read_text(encoding="utf-8")
    starts, line, quoted = [], 1, False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            line += 1
            starts.append(line)
        elif char == "\n":
            line += 1
    return starts[record - 1]


@pytest.mark.parametrize("record,column,value,expected", [
    (1, "Reason", "BECAUSE", "one of ['DATA DRIVEN'"),
    (1, "Purpose", "PRIMARY", "one of ['EXPLORATORY OUTCOME MEASURE'"),
    (1, "Display", "RD.NOPE", "an ID defined in analysis_displays.csv"),
    (3, "Variables", "AVAL, NOSUCHVAR", "a variable of ADTTE"),
    (3, "Where Clause", "PARAMCD EQ OS999", "terms of codelist PARAMCD of PARAMCD"),
    (3, "Parameter", "ADTTE.NOPE", "DATASET.VARIABLE of a variable"),
    (3, "Join Comment", "COM.NOPE", "an ID defined in comments.csv"),
    (2, "Reason", "SPECIFIED IN SAP", "empty: result AR.OS640.LOGRANK gives it on its first row"),
    (4, "Dataset", "ADXX", "a dataset listed in datasets.csv"),
])
def test_analysis_results_sheet_errors_are_located(specs_copy, record, column, value, expected):
    line = _edit(specs_copy / "adam" / "analysis_results.csv", record, column, value)
    assert record == 1 or line > record + 1  # the records before it span several lines (their Code)
    with pytest.raises(SpecError) as info:
        load_spec(specs_copy)
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"specs/adam/analysis_results.csv:{line}, column {column}") and expected in p
               for p in problems), problems


def test_documents_and_sources_are_checked(specs_copy):
    _edit(specs_copy / "adam" / "analysis_displays.csv", 1, "Document", "LF.NOPE")
    _edit(specs_copy / "sdtm" / "variables.csv", 4, "Source", "Monitor")
    _edit(specs_copy / "adam" / "variables.csv", 1, "Predecessor", "")
    with pytest.raises(SpecError) as info:
        load_spec(specs_copy)
    problems = " | ".join(str(p) for p in info.value.problems)
    assert "specs/adam/analysis_displays.csv:2, column Document, value 'LF.NOPE': an ID defined in documents.csv" in problems
    assert "specs/sdtm/variables.csv:5, column Source, value 'Monitor': empty or one of" in problems
    assert "specs/adam/variables.csv:2, column Predecessor" in problems and "when Origin is Predecessor" in problems
