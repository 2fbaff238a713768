"""Define-XML 2.1 (+ ARM 1.0): valid against the CDISC schemas, complete with respect to specs/, nothing
dangling, lengths equal to the data's, rendered by the CDISC stylesheet, safe to read, reproducible, and
built in the patterns of the CDISC examples."""

import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import Condition, load_spec
from cdisc_mirocals.submission.define import (DefineError, build_define, parse_define, render_define_html,
                                              validate_define, where_mask, xpt_length)
from cdisc_mirocals.submission.define.safe_xml import NS

from conftest import REFERENCE
from ct_reference import adam_ct, adam_ct_path

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
            if var.data_type != "float":  # a float's digits also answer to its data: see below
                assert item.get("SignificantDigits") == (str(var.significant_digits)
                                                         if var.significant_digits is not None else None)
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
    assert {("CL.DSSCAT", "SURVIVAL FOLLOW-UP"), ("CL.QSCAT", "ALSFRS-R")} <= extended
    meddra = codelists["CL.MEDDRA"].find("odm:ExternalCodeList", NS)
    whodrug = codelists["CL.WHODRUG"].find("odm:ExternalCodeList", NS)
    assert (meddra.get("Dictionary"), meddra.get("Version")) == ("MedDRA", spec.study["standards"]["meddra"])
    assert (whodrug.get("Dictionary"), whodrug.get("Version")) == ("WHODrug", spec.study["standards"]["whodrug"])
    # MedDRA codes are integers: their codelist is integer too, with the same dictionary and version; in
    # ADaM as in SDTM, so that a machine reads the MedDRA version of ADAE's terms and codes
    items = {name: _by_oid(trees[name], ".//odm:ItemDef") for name in trees}
    for name, prefix in (("SDTM", "IT.AE."), ("ADaM", "IT.ADAE.")):
        lists = _by_oid(trees[name], ".//odm:CodeList")
        coded = [i for oid, i in items[name].items() if oid.startswith(prefix) and oid.count(".") == 2
                 and i.find("odm:CodeListRef", NS) is not None
                 and i.find("odm:CodeListRef", NS).get("CodeListOID").startswith("CL.MEDDRA")]
        assert len(coded) == 12, (name, len(coded))  # LLT, PT, HLT, HLGT, SOC (twice) terms and codes
        for item in coded:
            codelist = lists[item.find("odm:CodeListRef", NS).get("CodeListOID")]
            assert codelist.get("DataType") == item.get("DataType"), item.get("OID")
            external = codelist.find("odm:ExternalCodeList", NS)
            assert (external.get("Dictionary"), external.get("Version")) == ("MedDRA", spec.study["standards"]["meddra"])
        assert {i.get("DataType") for i in coded} == {"integer", "text"}
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
    """adam_ct_codelists names codelists that the ADaM CT release the study cites publishes, and that specs/adam
    uses."""
    release = spec.study["standards"]["adam_ct"]
    if not adam_ct_path(release).exists():
        pytest.skip(f"the CDISC ADaM CT {release} reference is not beside the project")
    listed = set(spec.study["standards"]["adam_ct_codelists"])
    assert listed <= set(adam_ct(release))
    assert listed <= {cl.nci_code for cl in spec.adam.codelists.values()}


def test_no_sponsor_codelist_of_adam_is_a_codelist_of_adam_ct(spec, trees):
    """A codelist that ADaM CT publishes (PARAMTYP, C81225, term DERIVED) is declared as CDISC's, with its NCI
    codes and the CT package, not as a sponsor codelist: no def:IsNonStandard codelist of the ADaM define.xml
    bears the name of a codelist of the ADaM CT reference."""
    release = spec.study["standards"]["adam_ct"]
    if not adam_ct_path(release).exists():
        pytest.skip(f"the CDISC ADaM CT {release} reference is not beside the project")
    ct = {name: (code, terms) for code, (name, terms) in adam_ct(release).items()}
    assert "Parameter Type" in ct
    for cl in trees["ADaM"].iterfind(".//odm:CodeList", NS):
        name = cl.get("Name")
        if cl.get(f"{DEF}IsNonStandard") == "Yes":
            assert name not in ct, (cl.get("OID"), name, ct.get(name, ("",))[0])
        elif name in ct:
            code, terms = ct[name]
            assert cl.find("odm:Alias", NS).get("Name") == code, cl.get("OID")
            assert cl.get(f"{DEF}StandardOID") == "STD.CT.ADAM", cl.get("OID")
            for item in [*cl.iterfind("odm:EnumeratedItem", NS), *cl.iterfind("odm:CodeListItem", NS)]:
                if item.get("CodedValue") in terms:
                    assert item.find("odm:Alias", NS).get("Name") == terms[item.get("CodedValue")], cl.get("OID")
    paramtyp = trees["ADaM"].find(".//odm:CodeList[@OID='CL.PARAMTYP']", NS)
    assert paramtyp.find("odm:Alias", NS).get("Name") == "C81225"

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


def _decimals(values: pd.Series) -> int:
    """Decimals of the most precise value, from Python's shortest repr read by Decimal (independent of
    the package's own count)."""
    numbers = pd.to_numeric(values.replace("", None), errors="coerce").dropna()
    return max((max(0, -Decimal(repr(float(x))).normalize().as_tuple().exponent) for x in numbers), default=0)


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_every_float_states_significant_digits_agreeing_with_its_data(name, spec, trees, frames):
    """SignificantDigits on every float ItemDef, variable or value level: at least what the spec says and
    never fewer decimals than its values show."""
    std, items = _standard(spec, name), _by_oid(trees[name], ".//odm:ItemDef")
    checked = 0
    for ds in std.datasets.values():
        frame = frames[name][ds.name]
        for var in ds.variables:
            if var.data_type == "float" and frame[var.name].notna().any():
                digits = int(items[f"IT.{ds.name}.{var.name}"].get("SignificantDigits"))
                assert digits >= max(var.significant_digits or 0, _decimals(frame[var.name])), (ds.name, var.name)
                checked += 1
    for row in std.valuelevel:
        frame = frames[name][row.dataset]
        values = frame.loc[_selected(frame, row.where), row.variable]
        if row.data_type == "float" and values.replace("", None).notna().any():
            digits = [int(i.get("SignificantDigits")) for oid, i in items.items()
                      if oid.startswith(f"IT.{row.dataset}.{row.variable}.") and i.get("DataType") == "float"
                      and int(i.get("Length")) == (8 if std[row.dataset].variable(row.variable).is_numeric
                                                   else _bytes(values))]
            assert digits and max(digits) >= max(row.significant_digits or 0, _decimals(values)), row
            checked += 1
    assert checked >= (40 if name == "SDTM" else 5)
    if name == "SDTM":
        assert items["IT.VS.VSSTRESN.HEIGHT"].get("SignificantDigits") == "1"  # 189 of 210 heights have decimals
        assert items["IT.LB.LBSTRESN"].get("SignificantDigits") == "2"  # the spec gives none: the data's


def test_derived_values_are_rounded_as_their_spec_says(spec, frames):
    """A Derived float with Significant Digits in its spec carries no more decimals (ADSL.DURSYMP, RDI)."""
    for name in ("SDTM", "ADaM"):
        std = _standard(spec, name)
        for ds in std.datasets.values():
            for var in ds.variables:
                if var.data_type == "float" and var.origin == "Derived" and var.significant_digits is not None:
                    assert _decimals(frames[name][ds.name][var.name]) <= var.significant_digits, (ds.name, var.name)
    adsl = frames["ADaM"]["ADSL"]
    exact = ((adsl["RANDDT"] - adsl["ONSETDT"]) / 30.4375).dropna()
    assert len(exact) >= 200
    expected = [float(Decimal(repr(x)).quantize(Decimal("0.1"), ROUND_HALF_UP)) for x in exact]
    assert adsl["DURSYMP"].dropna().tolist() == expected


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_value_level_descriptions_name_what_their_where_clause_selects(name, trees):
    """Not the variable's label repeated on every row: the label and the decoded terms of the where clause."""
    items = _by_oid(trees[name], ".//odm:ItemDef")
    values = {oid: i.findtext("odm:Description/odm:TranslatedText", namespaces=NS) for oid, i in items.items()
              if i.get("SASFieldName") is None}
    assert len(values) > 100 and len(set(values.values())) == len(values)
    if name == "SDTM":
        assert values["IT.LB.LBSTRESN.HGB.BLOOD"] == "Numeric Result/Finding in Standard Units: Hemoglobin, Blood"
        assert values["IT.VS.VSSTRESN.SYSBP"] == "Numeric Result/Finding in Standard Units: Systolic Blood Pressure"
    else:
        assert values["IT.ADQS.AVAL.ALSFRST"].startswith("Analysis Value: ALSFRS-R Total Score")


def test_value_level_lengths_differ_by_where_clause(trees):
    items = _by_oid(trees["SDTM"], ".//odm:ItemDef")
    assert int(items["IT.SUPPDM.QVAL"].get("Length")) == len("UNITED KINGDOM")  # STRCNTRY, the longest
    assert int(items["IT.SUPPMH.QVAL.ELESCAT"].get("Length")) == len("PROBABLE LABORATORY-SUPPORTED")
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
        xpt_length(pd.Series([1.5, 2.0]))


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
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767270896")
    first = build_define(spec, "ADaM", adam)
    second = build_define(spec, "ADaM", {k: v.copy() for k, v in adam.items()})
    assert first == second
    assert b'CreationDateTime="2026-01-01T12:34:56"' in first and b'AsOfDateTime="2026-01-01T12:34:56"' in first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767270956")
    later = build_define(spec, "ADaM", adam)
    assert later != first and later.replace(b"12:35:56", b"12:34:56") == first


def test_bad_source_date_epoch_is_a_clear_error(monkeypatch, spec, adam):
    from cdisc_mirocals.errors import MirocalsError
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(MirocalsError, match="SOURCE_DATE_EPOCH must be a whole number"):
        build_define(spec, "ADaM", adam)


# --------------------------------------------------------------------------- inputs refused


def test_datasets_must_be_those_of_the_spec(spec, adam):
    # A dataset with no records is not submitted: define.xml leaves it out, with what only it used.
    without = build_define(spec, "ADaM", {k: v for k, v in adam.items() if k != "ADAE"})
    assert validate_define(without, arm=True) == []
    root = etree.fromstring(without)
    assert root.find(".//odm:ItemGroupDef[@OID='IG.ADAE']", NS) is None
    assert root.find(".//odm:CodeList[@OID='CL.AREL']", NS) is None  # ADAE's alone
    # the results that use no ADAE stay (the OS640 ones and those of ADLB and ADVS)
    kept = [r for r in spec.adam.analysis_results if all(d.dataset != "ADAE" for d in r.datasets)]
    assert len(kept) >= 9
    assert root.find(".//odm:CodeList[@OID='CL.NY']", NS) is not None and len(root.findall(".//arm:AnalysisResult", NS)) == len(kept)
    with pytest.raises(DefineError, match=r"datasets \['XX'\] are not in the ADaM specification"):
        build_define(spec, "ADaM", dict(adam, XX=adam["ADSL"]))
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
    # the sheets that quote the version are refused by the loader first, naming it
    with pytest.raises(SpecError, match=r"standards.whodrug is not one"):
        load_spec(specs_copy)
    for sheet in specs_copy.glob("*/*.csv"):  # a spec that never quotes it reaches the define builder
        sheet.write_text(sheet.read_text(encoding="utf-8").replace("{standards.whodrug}", "(version?)"), encoding="utf-8")
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


# --------------------------------------------------------------------------- the CDISC examples' patterns

def _shape(root) -> tuple[set, set]:
    """(element, attribute) and (parent, child) pairs, by local name."""
    attrs, children = set(), set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        attrs |= {(tag, etree.QName(k).localname) for k in element.attrib}
        parent = element.getparent()
        if parent is not None:
            children.add((etree.QName(parent).localname, tag))
    return attrs, children


@pytest.mark.parametrize("name", ["SDTM", "ADaM"])
def test_everything_written_has_a_precedent_in_the_cdisc_examples(name, trees):
    if not EXAMPLES.exists():
        pytest.skip("the CDISC Define-XML 2.1 examples are not beside the project")
    attrs, children = set(), set()
    for example in ("defineV21-SDTM.xml", "defineV21-ADaM.xml"):
        a, c = _shape(parse_define((EXAMPLES / example).read_bytes()).getroot())
        attrs, children = attrs | a, children | c
    ours_attrs, ours_children = _shape(trees[name])
    # Define-XML 2.1 and ODM features the two examples happen not to use
    assert ours_attrs - attrs <= {("MetaDataVersion", "CommentOID"), ("ODM", "AsOfDateTime")}
    # def:AnnotatedCRF: in the Define-XML 2.1 schema and rendered by define2-1.xsl, used by the CDISC pilot
    assert ours_children - children <= {("CodeListItem", "Description"), ("MetaDataVersion", "AnnotatedCRF"),
                                        ("AnnotatedCRF", "DocumentRef")}


def _canon(element, blank=(), ignore=()):
    """Tag, attributes, whitespace-normalised text and children; `blank` attributes keep only their presence."""
    attrs = tuple(sorted((etree.QName(k).localname, "*" if etree.QName(k).localname in blank else v)
                         for k, v in element.attrib.items() if etree.QName(k).localname not in ignore))
    return (etree.QName(element).localname, attrs, " ".join((element.text or "").split()),
            tuple(_canon(c, blank, ignore) for c in element if isinstance(c.tag, str)))


def _without_description(element):
    copy = etree.fromstring(etree.tostring(element))
    for description in copy.findall("odm:Description", NS):
        copy.remove(description)
    return _canon(copy, ignore=("Length",))


def _hand_made_adam():
    """A small ADaM specification written after the CDISC ADaM example (ADQSADAS and Table 14-3.01)."""
    from cdisc_mirocals.spec import (AnalysisDataset, AnalysisDisplay, AnalysisResult, Codelist, Condition, Dataset,
                                     Document, Method, Spec, Standard, Study, Term, ValueLevel, Variable)

    def var(order, name, label, data_type, origin, source="Sponsor", **kw):
        fields = dict(length=8 if data_type == "integer" else 20, significant_digits=None, format="", mandatory=False,
                      codelist="", method="", predecessor="", comment="", role="", core="Req")
        fields.update(kw)
        return Variable(data_type=data_type, origin=origin, source=source, dataset="ADQSADAS", name=name,
                        order=order, label=label, **fields)

    items = [f"ACITM{i:02d}" for i in range(1, 15)]
    variables = (
        var(1, "USUBJID", "Unique Subject Identifier", "text", "Predecessor", "", predecessor="ADSL.USUBJID"),
        var(2, "TRTSDT", "Date of First Exposure to Treatment", "integer", "Predecessor", "", format="date9.",
            predecessor="ADSL.TRTSDT"),
        var(3, "PARAMCD", "Parameter Code", "text", "Assigned", codelist="PARAMCD"),
        var(4, "AVISIT", "Analysis Visit", "text", "Derived"),
        var(5, "AVAL", "Analysis Value", "integer", "Derived"),
        var(6, "CHG", "Change from Baseline", "integer", "Derived"),
        var(7, "EFFFL", "Efficacy Population Flag", "text", "Predecessor", "", predecessor="ADSL.EFFFL"),
        var(8, "ANL01FL", "Analysis Record Flag 01", "text", "Derived"),
        var(9, "DTF", "Date Imputation Flag", "text", "Derived", codelist="DATEFL"),
        var(10, "AGEGR1N", "Age Group (N)", "integer", "Derived", codelist="AGEGR1N"))
    dataset = Dataset("ADQSADAS", "ADAS-Cog Analysis", "BASIC DATA STRUCTURE", "one record per subject per parameter",
                      "Analysis", ("USUBJID", "PARAMCD"), True, False, "", variables)
    vlm = dict(significant_digits=None, format="", codelist="", origin="Derived", source="Sponsor", predecessor="",
               comment="", dataset="ADQSADAS", variable="AVAL", data_type="integer", length=3, mandatory=False)
    valuelevel = (ValueLevel(order=1, where=(Condition("PARAMCD", "IN", tuple(items)),), method="", **vlm),
                  ValueLevel(order=2, where=(Condition("PARAMCD", "EQ", ("ACTOT",)),),
                             method="MT.ADQSADAS.AVAL.ACTOT", **vlm))
    codelists = {
        "PARAMCD": Codelist("PARAMCD", "Parameter Code", "", "text", "Sponsor", False,
                            tuple(Term(t, "", "", i) for i, t in enumerate(items + ["ACTOT"], 1))),
        "DATEFL": Codelist("DATEFL", "Date Imputation Flag", "C81223", "text", "CDISC/NCI", False, (
            Term("D", "C81212", "Day Imputed: Day is imputed", 1),
            Term("M", "C81211", "Month Imputed: Month and day are imputed", 2),
            Term("Y", "C81210", "Year Imputed: Entire date (year, month and day) is imputed", 3))),
        "AGEGR1N": Codelist("AGEGR1N", "Age Group (N)", "", "integer", "Sponsor", False, (
            Term("1", "", "<65", 1), Term("2", "", "65-80", 2), Term("3", "", ">80", 3)))}
    methods = {"MT.ADQSADAS.AVAL.ACTOT": Method("MT.ADQSADAS.AVAL.ACTOT", "Algorithm to derive AVAL", "Computation",
                                                 "Sum of ADAS scores for items 1, 2, 4, 5, 6, 7, 8, 11, 12, 13, and 14")}
    example = parse_define((EXAMPLES / "defineV21-ADaM.xml").read_bytes()).getroot()
    display = example.find(".//arm:ResultDisplay", NS)
    result = display.find("arm:AnalysisResult", NS)
    where = (("PARAMCD", "ACTOT"), ("AVISIT", "Week 24"), ("EFFFL", "Y"), ("ANL01FL", "Y"))
    displays = {"RD.Table_14-3.01": AnalysisDisplay("RD.Table_14-3.01", "Table 14-3.01", _text(display), "LF.CSR", "2")}
    results = (AnalysisResult(
        id="AR.Table_14-3.01.R.1", display="RD.Table_14-3.01", key="ADAS/dose_response", description=_text(result),
        reason="SPECIFIED IN SAP", purpose="PRIMARY OUTCOME MEASURE", parameter="ADQSADAS.PARAMCD",
        datasets=(AnalysisDataset("ADQSADAS", tuple(Condition(v, "EQ", (x,)) for v, x in where), ("CHG",)),),
        join_comment="", documentation=_text(result, "arm:Documentation/odm:Description/odm:TranslatedText"),
        document="LF.CSR", pages="4", code_context="SAS version 9.2", code=result.find(".//arm:Code", NS).text),)
    adam = Standard("ADaM", {"ADQSADAS": dataset}, codelists, valuelevel, methods, {}, {},
                    {"LF.CSR": Document("LF.CSR", "Clinical Study Report", "../dummy-csr/dummy-csr.pdf")},
                    displays, results)
    empty = Standard("SDTM", {}, {}, (), {}, {})
    study = Study("CDISC-Sample", {"study": {"sponsor": "CDISC", "title": "CDISC-Sample Data Definition",
                                             "protocol": "CDISC-Sample"},
                                   "standards": {"adamig": "1.1", "adam_ct": "2017-09-29", "sdtm_ct": "2018-06-29",
                                                 "define_ct": "2021-12-17", "define_xml": "2.1.0",
                                                 "adam_ct_codelists": ["C81223"]}})
    frame = pd.DataFrame({"USUBJID": ["01-701-1015"] * 2, "TRTSDT": [19725.0, 19725.0], "PARAMCD": ["ACITM01", "ACTOT"],
                          "AVISIT": ["Week 24"] * 2, "AVAL": [2.0, 26.0], "CHG": [0.0, -3.0], "EFFFL": ["Y"] * 2,
                          "ANL01FL": ["Y"] * 2, "DTF": ["D", ""], "AGEGR1N": [2.0, 2.0]})
    return Spec(Path("."), study, empty, adam, {}), {"ADQSADAS": frame}, example


def test_a_hand_made_spec_gives_the_cdisc_adam_example_structures():
    if not EXAMPLES.exists():
        pytest.skip("the CDISC Define-XML 2.1 examples are not beside the project")
    spec, frames, example = _hand_made_adam()
    xml = build_define(spec, "ADaM", frames)
    assert validate_define(xml, arm=True) == []
    ours = parse_define(xml).getroot()

    def one(root, path):
        found = root.findall(path, NS)
        assert len(found) == 1, path
        return found[0]

    # ARM: the analysis result, its where clause (same OID, by the same convention) and its display
    ar = ".//arm:AnalysisResult[@OID='AR.Table_14-3.01.R.1']"
    assert _canon(one(ours, ar), ignore=("Title",)) == _canon(one(example, ar), ignore=("Title",))
    wc = ".//def:WhereClauseDef[@OID='WC.Table_14-3.01.R.1.ADQSADAS']"
    assert _canon(one(ours, wc)) == _canon(one(example, wc))
    rd = ".//arm:ResultDisplay[@OID='RD.Table_14-3.01']"
    head = lambda d: _canon(d, ignore=("Title",))[:3] + (_canon(d, ignore=("Title",))[3][:2],)  # noqa: E731
    assert head(one(ours, rd)) == head(one(example, rd))
    # value-level metadata: the same ValueListDef shape and where clauses (OIDs are named differently)
    oid_attrs = ("OID", "ItemOID", "WhereClauseOID", "ValueListOID")
    assert _canon(one(ours, ".//def:ValueListDef"), blank=oid_attrs) == \
        _canon(one(example, ".//def:ValueListDef[@OID='VL.ADQSADAS.AVAL']"), blank=oid_attrs)
    for theirs in ("WC.ADQSADAS.AVAL.ACITM01-ACITM14", "WC.ADQSADAS.AVAL.ACTOT"):
        expected = _canon(one(example, f".//def:WhereClauseDef[@OID='{theirs}']"), blank=("OID",))
        assert expected in [_canon(w, blank=("OID",)) for w in ours.iterfind(".//def:WhereClauseDef", NS)]
    # a value-level ItemDef, and a Predecessor origin on a date numeric with its display format
    # (its Description names what the where clause selects, as the CDISC SDTM example's value-level items
    # do, where this ADaM example repeats the variable's label: the rest of the ItemDef is the example's)
    ours_vl, theirs_vl = (one(r, ".//odm:ItemDef[@OID='IT.ADQSADAS.AVAL.ACTOT']") for r in (ours, example))
    assert ours_vl.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "Analysis Value: ACTOT"
    assert theirs_vl.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "Analysis Value"
    assert _without_description(ours_vl) == _without_description(theirs_vl)
    assert _canon(one(ours, ".//odm:ItemDef[@OID='IT.ADQSADAS.TRTSDT']"), blank=("OID",), ignore=("Length",)) == \
        _canon(one(example, ".//odm:ItemDef[@OID='IT.ADAE.TRTSDT']"), blank=("OID",), ignore=("Length",))
    # codelists: a CDISC one with NCI codes as Alias, a sponsor one flagged non-standard
    assert _canon(one(ours, ".//odm:CodeList[@OID='CL.DATEFL']"), blank=("StandardOID",)) == \
        _canon(one(example, ".//odm:CodeList[@OID='CL.DATEFL']"), blank=("StandardOID",))
    assert _canon(one(ours, ".//odm:CodeList[@OID='CL.AGEGR1N']")) == \
        _canon(one(example, ".//odm:CodeList[@OID='CL.AGEGR1N']"))


# --------------------------------------------------------------------------- analysis results metadata

# where each ARM analysis key's numbers are in the analysis results (analysis/survival.py)
KEYS = {"OS640/logrank": ("logrank", "unstratified"), "OS640/logrank_stratified": ("logrank", "stratified"),
        "OS640/cox_unadjusted": ("cox", "unadjusted"), "OS640/cox_stratified": ("cox", "stratified"),
        "OS640/cox_adjusted": ("cox", "adjusted"), "OS640/cox_pnfh_low": ("cox", "pnfh_low"),
        "OS640/cox_pnfh_high": ("cox", "pnfh_high"), "OS640/cox_pnfh_interaction": ("cox", "pnfh_interaction"),
        "OS640/cox_log_pnfh": ("cox", "pnfh_adjusted"), "OS640/rmst": ("rmst", "to day 640")}


def test_arm_describes_the_prespecified_analyses(spec, trees):
    everything = {r.key: r for r in spec.adam.analysis_results}
    # the survival analyses; the secondary ones (ADQS, ADRE, CAFS) are test_arm_describes_the_secondary_analyses'
    results = {k: r for k, r in everything.items() if k.startswith("OS640/")}
    assert set(results) == set(KEYS)
    a = spec.study["analysis"]
    for r in results.values():
        adtte = next(d for d in r.datasets if d.dataset == "ADTTE")
        where = {(c.variable, c.comparator, c.values) for c in adtte.where}
        assert {("PARAMCD", "EQ", ("OS640",)), (a["population"], "EQ", ("Y",))} <= where, r.key
        assert {"AVAL", "CNSR", a["treatment_var"]} <= set(adtte.variables), r.key
        assert [d.dataset for d in r.datasets] == ["ADTTE", "ADSL"]
    for key in ("OS640/logrank_stratified", "OS640/cox_stratified"):
        assert a["strata_var"] in results[key].datasets[0].variables
    covariates = {c.removeprefix("log(").removesuffix(")") for c in a["covariates"]}
    assert covariates <= set(results["OS640/cox_adjusted"].datasets[0].variables)
    levels = [t.term for t in spec.adam.codelists[spec.adam["ADTTE"].variable(a["subgroup_var"]).codelist].terms]
    for key, level in (("OS640/cox_pnfh_low", levels[0]), ("OS640/cox_pnfh_high", levels[1])):
        assert (a["subgroup_var"], "EQ", (level,)) in {(c.variable, c.comparator, c.values)
                                                       for c in results[key].datasets[0].where}
    assert {results[k].purpose for k in KEYS if "pnfh" in k} == {"EXPLORATORY OUTCOME MEASURE"}
    assert {results[k].purpose for k in ("OS640/logrank", "OS640/cox_unadjusted")} == {"PRIMARY OUTCOME MEASURE"}
    # the secondary time-to-event endpoints have their own displays, as the plan's secondary outcome measures
    for code in ("OS", "DTHTRV"):
        for kind in ("logrank", "cox_unadjusted"):
            r = everything[f"{code}/{kind}"]
            assert (r.display, r.purpose) == (f"RD.{code}", "SECONDARY OUTCOME MEASURE")
            assert ("PARAMCD", "EQ", (code,)) in {(c.variable, c.comparator, c.values) for c in r.datasets[0].where}
    # in the document: one arm:AnalysisResult per result, under its display, with its where clauses
    root = trees["ADaM"]
    for r in results.values():
        element = root.find(f".//arm:ResultDisplay[@OID='{r.display}']/arm:AnalysisResult[@OID='{r.id}']", NS)
        assert element is not None and element.get("ParameterOID") == "IT.ADTTE.PARAMCD"
        assert (element.get("AnalysisReason"), element.get("AnalysisPurpose")) == (r.reason, r.purpose)
        code = element.find("arm:ProgrammingCode", NS)
        assert code.get("Context") == r.code_context and code.find("arm:Code", NS).text == r.code
        assert code.find("def:DocumentRef", NS).get("leafID") == r.code_document == "LF.PGM.SURVIVAL"
        refs = [ds.find("def:WhereClauseRef", NS).get("WhereClauseOID")
                for ds in element.iterfind(".//arm:AnalysisDataset", NS)]
        assert refs == [f"WC.{r.id.removeprefix('AR.')}.ADTTE", f"WC.{r.id.removeprefix('AR.')}.ADSL"]


@pytest.fixture(scope="session")
def submitted_adam(converted):
    """The ADaM XPT files in the eCTD layout, and the analyses convert ran on them, by key."""
    return converted.adam_dir, {r.key: r for r in converted.analysis.all_results()}


SECONDARY = {"ALSFRST/slope": ("ADQS", "ALSFRST"), "ALSFRST/mmrm": ("ADQS", "ALSFRST"),
             "SVCPP/slope": ("ADRE", "SVCPP"), "SVCPP/mmrm": ("ADRE", "SVCPP"), "CAFS/wilcoxon": ("ADTTE", "OS640")}


def test_arm_describes_the_secondary_analyses(spec, trees):
    results = {r.key: r for r in spec.adam.analysis_results if r.key in SECONDARY}
    assert set(results) == set(SECONDARY)
    root = trees["ADaM"]
    for key, (dataset, paramcd) in SECONDARY.items():
        r = results[key]
        assert r.purpose == "SECONDARY OUTCOME MEASURE" and r.datasets[0].dataset == dataset
        where = {(c.variable, c.comparator, c.values) for c in r.datasets[0].where}
        assert {("PARAMCD", "EQ", (paramcd,)), ("ITTFL", "EQ", ("Y",))} <= where, key
        element = root.find(f".//arm:ResultDisplay[@OID='{r.display}']/arm:AnalysisResult[@OID='{r.id}']", NS)
        assert element is not None and element.get("ParameterOID") == f"IT.{dataset}.PARAMCD"
    # CAFS reads survival from ADTTE and the ALSFRS-R change from ADQS
    assert [d.dataset for d in results["CAFS/wilcoxon"].datasets] == ["ADTTE", "ADQS"]


def test_arm_programming_code_is_the_submitted_program_that_prints_the_result(spec, submitted_adam):
    """Each result's ProgrammingCode links the submitted program that computes it (tests/test_submitted_programs.py
    runs the programs and matches their numbers with results.json), its Code runs that program, and nothing in
    it needs cdisc_mirocals, which a reviewer does not receive."""
    from cdisc_mirocals.submission.programs import programs

    folder, _ = submitted_adam
    root = etree.parse(str(folder / "define.xml")).getroot()
    leaves = {leaf.get("ID"): leaf.get("{http://www.w3.org/1999/xlink}href") for leaf in root.iter(f"{{{NS['def']}}}leaf")}
    by_file, cited = {p.file: p for p in programs(spec)}, set()
    for r in spec.adam.analysis_results:
        element = root.find(f".//arm:AnalysisResult[@OID='{r.id}']/arm:ProgrammingCode", NS)
        href = leaves[element.find("def:DocumentRef", NS).get("leafID")]
        program = folder / href
        assert program.is_file() and program.resolve().parent.name == "programs", href
        assert by_file[program.name].computes(r.key), (r.key, program.name)
        assert element.get("Context") == by_file[program.name].context  # the packages the program imports
        code = element.find("arm:Code", NS).text
        assert code.split()[:2] == ["python", program.name] and r.key in code
        assert "cdisc_mirocals" not in code and "cdisc_mirocals" not in program.read_text()
        cited.add(program.name)
    assert cited == set(by_file)  # every program submitted is the code of some result (safety.txt: RD.AE)


def test_arm_exposure_summary_reads_adex_overall_parameters_of_the_safety_population(spec, trees):
    result = next(r for r in spec.adam.analysis_results if r.key == "EXPOSURE/summary")
    safety = spec.study["analysis"]["safety"]
    adex, adsl = result.datasets
    assert (adex.dataset, adsl.dataset, result.parameter) == ("ADEX", "ADSL", "ADEX.PARAMCD")
    where = {c.variable: (c.comparator, c.values) for c in adex.where}
    assert where == {"PARAMCD": ("IN", tuple(safety["exposure_params"])), safety["population"]: ("EQ", ("Y",))}
    # its submitted program computes it with the plan's parameters
    from cdisc_mirocals.submission.programs import program_config

    assert result.code.split()[:2] == ["python", "exposure.txt"]
    assert program_config(spec, "exposure.txt") == {
        "population": safety["population"], "treatment_var": safety["treatment_var"],
        "reference": spec.study["analysis"]["reference"], "exposure_params": list(safety["exposure_params"])}
    element = trees["ADaM"].find(f".//arm:ResultDisplay[@OID='RD.EXPOSURE']/arm:AnalysisResult[@OID='{result.id}']", NS)
    assert element is not None and element.get("ParameterOID") == "IT.ADEX.PARAMCD"


def test_arm_documents_resolve_from_the_adam_define_folder(spec, submitted_adam):
    folder, _ = submitted_adam
    for doc in spec.adam.documents.values():
        assert (folder / doc.href).resolve().is_file(), doc.href


@pytest.mark.parametrize("key, dataset, paramcd", [("ALSFRST/slope", "ADQS", "ALSFRST"), ("SVCPP/slope", "ADRE", "SVCPP")])
def test_arm_where_clause_selects_the_records_the_r_reference_analysed(spec, adam, key, dataset, paramcd):
    """The random-slope model's ARM where clause selects exactly the records of tests/reference/r/bds_input.csv,
    which bds_reference.R chose by its own filter (ITT, ANL01FL, the baseline and the visits to month 18) from
    the same default study: not the END OF STUDY records beyond it."""
    from cdisc_mirocals.metadata.where import where_mask

    from r_reference import REF

    result = next(r for r in spec.adam.analysis_results if r.key == key)
    frame = adam[dataset]
    selected = frame[where_mask(frame, result.datasets[0].where)]
    reference = pd.read_csv(REF / "bds_input.csv", keep_default_na=False)
    reference = reference[reference["PARAMCD"] == paramcd]
    assert len(selected) == len(reference) > 1000
    assert sorted(zip(selected["USUBJID"], selected["AVISIT"])) == sorted(zip(reference["USUBJID"], reference["AVISIT"]))


# --------------------------------------------------------------------------- origins and methods agree


def _method_texts(root):
    """MethodDef OID -> (Name, Description) as define.html shows them."""
    return {m.get("OID"): (m.get("Name"), " ".join("".join(m.find("odm:Description", NS).itertext()).split()))
            for m in root.iterfind(".//odm:MethodDef", NS)}


def _item_refs(root):
    """(owner OID, ItemRef, ItemDef) of every ItemRef of the datasets and the value lists."""
    items = _by_oid(root, ".//odm:ItemDef")
    for owner in [*root.iterfind(".//odm:ItemGroupDef", NS), *root.iterfind(f".//{DEF}ValueListDef")]:
        for ref in owner.iterfind("odm:ItemRef", NS):
            yield owner.get("OID"), ref, items[ref.get("ItemOID")]


def test_no_assigned_item_carries_a_method(trees):
    """An item with a method is Derived, and an Assigned item carries none (Define-XML 2.1: the MethodOID of
    an ItemRef describes a derivation); ADLB and ADVS PARAMCD, PARAM and PARAMN were Assigned with one."""
    for std, root in trees.items():
        for owner, ref, item in _item_refs(root):
            origin = item.find(f"{DEF}Origin", NS)
            kind = None if origin is None else origin.get("Type")
            if ref.get("MethodOID"):
                assert kind == "Derived", (std, owner, item.get("OID"), kind, ref.get("MethodOID"))
            if kind == "Derived":
                assert ref.get("MethodOID"), (std, owner, item.get("OID"), "Derived with no method")


def test_every_dtype_has_a_method_that_says_how_it_is_set(trees):
    """DTYPE of every dataset has a method that names DTYPE (ADQS.DTYPE carried the method of the item AVAL,
    which says nothing of it); and every Derived variable's method names the variable, in its text or its
    Name, so that define.html never shows a rule for another variable."""
    checked = 0
    for std, root in trees.items():
        methods = _method_texts(root)
        for owner, ref, item in _item_refs(root):
            if not ref.get("MethodOID") or not owner.startswith("IG."):
                continue
            name, text = methods[ref.get("MethodOID")]
            variable = item.get("Name")
            if variable == "DTYPE":
                checked += 1
                assert "DTYPE" in text and "AVAL =" not in text[:10], (std, owner, ref.get("MethodOID"), text)
            words = set(re.findall(r"[A-Z][A-Z0-9]*", f"{name} {text}"))
            assert variable in words or "--" + variable[2:] in f"{name} {text}", \
                (std, owner, variable, ref.get("MethodOID"), name)
    assert checked == 2  # ADLB and ADQS


def test_ts_parameters_derived_from_the_data_say_how(trees, frames):
    """TS SSTDTC, SENDTC and ACTSUB come from DM, not the protocol: Derived, with a method whose rule gives
    the TSVAL of the data."""
    root, sdtm = trees["SDTM"], frames["SDTM"]
    items, methods = _by_oid(root, ".//odm:ItemDef"), _method_texts(root)
    refs = {ref.get("ItemOID"): ref for ref in root.iterfind(f".//{DEF}ValueListDef/odm:ItemRef", NS)}
    for code in ("SSTDTC", "SENDTC", "ACTSUB"):
        oid = f"IT.TS.TSVAL.{code}"
        assert items[oid].find(f"{DEF}Origin", NS).get("Type") == "Derived"
        assert refs[oid].get("MethodOID") in methods
    dm, ts = sdtm["DM"], sdtm["TS"]
    value = dict(zip(ts["TSPARMCD"], ts["TSVAL"]))
    randomised = dm[dm["ARMCD"].fillna("") != ""]
    assert value["ACTSUB"] == str(len(randomised))
    assert value["SSTDTC"] == dm["RFICDTC"].replace("", np.nan).dropna().min()
    assert value["SENDTC"] == randomised["RFPENDTC"].replace("", np.nan).dropna().max()


def test_no_value_level_row_is_mandatory_without_data(trees, frames):
    """A value-level row whose where clause selects no record (SUPPAE AETERM1-3: no reported term is over 200
    characters) is not Mandatory, and def:HasNoData never meets Mandatory Yes."""
    for std, root in trees.items():
        where, items = _by_oid(root, f".//{DEF}WhereClauseDef"), _by_oid(root, ".//odm:ItemDef")
        for vl in root.iterfind(f".//{DEF}ValueListDef", NS):
            dataset = vl.get("OID").split(".")[1]
            data = frames[std].get(dataset)
            for ref in vl.iterfind("odm:ItemRef", NS):
                if ref.get(f"{DEF}HasNoData") == "Yes":
                    assert ref.get("Mandatory") == "No", (std, ref.get("ItemOID"))
                wc = ref.find(f"{DEF}WhereClauseRef", NS)
                if ref.get("Mandatory") == "Yes" and data is not None and wc is not None:
                    conditions = [Condition(items[check.get(f"{DEF}ItemOID")].get("Name"), check.get("Comparator"),
                                            tuple(v.text for v in check.iterfind("odm:CheckValue", NS)))
                                  for check in where[wc.get("WhereClauseOID")].iterfind("odm:RangeCheck", NS)]
                    assert where_mask(data, conditions).any(), (std, ref.get("ItemOID"))


def _seq_order(root, domain, methods):
    """The sort order the --SEQ method of `domain` states: SE by SESTDTC then TAETORD, every other domain
    by its Keys other than STUDYID, USUBJID and --SEQ."""
    group = root.find(f".//odm:ItemGroupDef[@OID='IG.{domain}']", NS)
    items = _by_oid(root, ".//odm:ItemDef")
    refs = {items[r.get("ItemOID")].get("Name"): r for r in group.iterfind("odm:ItemRef", NS)}
    name, text = methods[refs[f"{domain}SEQ"].get("MethodOID")]
    if domain == "SE":
        assert "by SESTDTC, then TAETORD" in text
        return ["SESTDTC", "TAETORD"]
    assert "key variables other than STUDYID, USUBJID and --SEQ" in text
    keyed = sorted((int(r.get("KeySequence")), n) for n, r in refs.items() if r.get("KeySequence"))
    return [n for _, n in keyed if n not in ("STUDYID", "USUBJID", f"{domain}SEQ")]


def test_seq_follows_the_rule_its_method_states(trees, frames):
    """--SEQ recomputed from its method's words equals the data: SE follows the subject's path (708 of 823
    SESEQ differed from a sort by the SE keys), MH and DD keys hold --SEQ itself, which the rule leaves out.
    Records equal on the keys may come in any order: they are ordered by --SEQ to compare."""
    root, sdtm = trees["SDTM"], frames["SDTM"]
    methods = _method_texts(root)
    for domain in ("SE", "MH", "DD", "AE", "LB", "VS", "DS", "EX"):
        data, seq = sdtm[domain], f"{domain}SEQ"
        order = _seq_order(root, domain, methods)
        keyed = data[["USUBJID", *order, seq]].copy()
        for column in order:
            if not pd.api.types.is_numeric_dtype(keyed[column]):
                keyed[column] = keyed[column].astype("string").fillna("")
        keyed = keyed.sort_values(["USUBJID", *order, seq], kind="stable", na_position="first")
        expected = keyed.groupby("USUBJID", sort=False).cumcount() + 1
        assert (keyed[seq].to_numpy() == expected.to_numpy()).all(), domain


@pytest.mark.parametrize("dataset, by", [("ADLB", ["ATPT"]), ("ADVS", [])])
def test_anl01fl_follows_the_tie_break_its_method_states(trees, frames, dataset, by):
    """MT.ADLB/ADVS.ANL01FL: the record nearest the target day; ties: the later ADT, then the lower SRCSEQ.
    Recomputed from the data for every group with a record of SRCSEQ (BMI, with none, is left out)."""
    _, text = _method_texts(trees["ADaM"])[f"MT.{dataset}.ANL01FL"]
    assert "ties: the later ADT, then the lower SRCSEQ" in text
    data = frames["ADaM"][dataset]
    keep = data[(data["AVISIT"].fillna("") != "") & data["AVAL"].notna() & (data["DTYPE"].fillna("") == "")
                if "DTYPE" in data else (data["AVISIT"].fillna("") != "") & data["AVAL"].notna()]
    keep = keep[keep["SRCSEQ"].notna()]
    groups = ["USUBJID", "PARAMCD", "AVISIT", *by]
    ranked = keep.assign(_ADT=-keep["ADT"].astype("int64") if keep["ADT"].dtype.kind == "M" else -keep["ADT"])
    first = ranked.sort_values([*groups, "AWTDIFF", "_ADT", "SRCSEQ"], kind="stable").groupby(groups).head(1)
    assert len(first) > 100 and (first["ANL01FL"] == "Y").all()
    assert (keep["ANL01FL"] == "Y").sum() == len(first)
