"""define.xml: read safely (XXE and entity expansion refused), read right (pilot 2.0 and CDISC 2.1
examples), and every Define-XML-versus-data rule fires on what breaks it."""

import pytest
from conftest import REFERENCE
from validate_helpers import ds, findings, fired, sdtm

from cdisc_mirocals.validate.define_reader import read_define
from cdisc_mirocals.validate.readers import InputError

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
     xmlns:xlink="http://www.w3.org/1999/xlink" ODMVersion="1.3.2" FileType="Snapshot" FileOID="F">
 <Study OID="S"><GlobalVariables><StudyName>T1</StudyName><StudyDescription>x</StudyDescription>
 <ProtocolName>T1</ProtocolName></GlobalVariables>
 <MetaDataVersion OID="MDV" Name="x" def:DefineVersion="2.1.0">
  <def:Standards><def:Standard OID="STD.1" Name="SDTMIG" Type="IG" Version="3.4" Status="Final"/></def:Standards>
"""
AE_VARS = [("STUDYID", "text", 2, "Study Identifier", "Yes", ""), ("DOMAIN", "text", 2, "Domain Abbreviation", "Yes", ""),
           ("USUBJID", "text", 2, "Unique Subject Identifier", "Yes", ""), ("AESEQ", "integer", 8, "Sequence Number", "Yes", ""),
           ("AETERM", "text", 10, "Reported Term for the Adverse Event", "Yes", ""),
           ("AESEV", "text", 8, "Severity/Intensity", "No", "CL.AESEV")]
LB_VARS = [("STUDYID", "text", 2, "Study Identifier", "Yes", ""), ("USUBJID", "text", 2, "Unique Subject Identifier", "Yes", ""),
           ("LBTESTCD", "text", 4, "Lab Test or Examination Short Name", "Yes", ""),
           ("LBORRES", "text", 20, "Result or Finding in Original Units", "No", "")]


def _group(name, label, variables, keys=("STUDYID", "USUBJID"), vlm=None):
    refs = "".join(f'<ItemRef ItemOID="IT.{name}.{v}" OrderNumber="{i}" Mandatory="{m}"'
                   + (f' KeySequence="{keys.index(v) + 1}"' if v in keys else "") + "/>"
                   for i, (v, _, _, _, m, _) in enumerate(variables, start=1))
    items = "".join(f'<ItemDef OID="IT.{name}.{v}" Name="{v}" DataType="{t}" Length="{n}">'
                    f'<Description><TranslatedText xml:lang="en">{lab}</TranslatedText></Description>'
                    + (f'<CodeListRef CodeListOID="{cl}"/>' if cl else "")
                    + (f'<def:ValueListRef ValueListOID="VL.{name}.{v}"/>' if vlm and v == vlm else "") + "</ItemDef>"
                    for v, t, n, lab, _, cl in variables)
    group = (f'<ItemGroupDef OID="IG.{name}" Name="{name}" Domain="{name}" Repeating="Yes" IsReferenceData="No" '
             f'Purpose="Tabulation" def:Structure="x" def:ArchiveLocationID="LF.{name}">'
             f'<Description><TranslatedText xml:lang="en">{label}</TranslatedText></Description>{refs}'
             f'<def:Class Name="EVENTS"/><def:leaf ID="LF.{name}" xlink:href="{name.lower()}.xpt"><def:title>x</def:title>'
             f'</def:leaf></ItemGroupDef>')
    return group, items


VALUE_LEVEL = """
<def:ValueListDef OID="VL.LB.LBORRES">
 <ItemRef ItemOID="IT.LB.LBORRES.ALT" OrderNumber="1" Mandatory="Yes"><def:WhereClauseRef WhereClauseOID="WC.ALT"/></ItemRef>
 <ItemRef ItemOID="IT.LB.LBORRES.UPH" OrderNumber="2" Mandatory="No"><def:WhereClauseRef WhereClauseOID="WC.UPH"/></ItemRef>
 <ItemRef ItemOID="IT.LB.LBORRES.XYZ" OrderNumber="3" Mandatory="No"><def:WhereClauseRef WhereClauseOID="WC.XYZ"/></ItemRef>
</def:ValueListDef>
<def:WhereClauseDef OID="WC.ALT"><RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.LB.LBTESTCD"><CheckValue>ALT</CheckValue></RangeCheck></def:WhereClauseDef>
<def:WhereClauseDef OID="WC.UPH"><RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.LB.LBTESTCD"><CheckValue>UPH</CheckValue></RangeCheck></def:WhereClauseDef>
<def:WhereClauseDef OID="WC.XYZ"><RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.LB.LBTESTCD"><CheckValue>XYZ</CheckValue></RangeCheck></def:WhereClauseDef>
<ItemDef OID="IT.LB.LBORRES.ALT" Name="LBORRES" DataType="text" Length="3"/>
<ItemDef OID="IT.LB.LBORRES.UPH" Name="LBORRES" DataType="text" Length="8"><CodeListRef CodeListOID="CL.PH"/></ItemDef>
<ItemDef OID="IT.LB.LBORRES.XYZ" Name="LBORRES" DataType="text" Length="8"/>
"""
CODELISTS = """
<CodeList OID="CL.AESEV" Name="Severity" DataType="text"><EnumeratedItem CodedValue="MILD" OrderNumber="1"/>
 <EnumeratedItem CodedValue="MODERATE" OrderNumber="2"/><EnumeratedItem CodedValue="SEVERE" OrderNumber="3"/></CodeList>
<CodeList OID="CL.PH" Name="pH" DataType="text"><EnumeratedItem CodedValue="ACID"/><EnumeratedItem CodedValue="BASIC"/></CodeList>
"""


@pytest.fixture(scope="module")
def define(tmp_path_factory):
    ae_group, ae_items = _group("AE", "Adverse Events", AE_VARS, keys=("STUDYID", "USUBJID", "AESEQ"))
    lb_group, lb_items = _group("LB", "Laboratory Test Results", LB_VARS, keys=("STUDYID", "USUBJID", "LBTESTCD"),
                                vlm="LBORRES")
    path = tmp_path_factory.mktemp("define") / "define.xml"
    path.write_text(HEAD + ae_group + lb_group + VALUE_LEVEL + ae_items + lb_items + CODELISTS
                    + "</MetaDataVersion></Study></ODM>\n", encoding="utf-8")
    return read_define(path)


LABELS = {v: lab for v, _, _, lab, _, _ in AE_VARS + LB_VARS}


def ae(**cols):
    base = dict(USUBJID=["S1", "S1"], AESEQ=[1, 2], AETERM=["Headache", "Nausea"], AESEV=["MILD", "SEVERE"])
    base.update(cols)
    return sdtm("AE", labels=LABELS, label="Adverse Events", lengths={"STUDYID": 2, "USUBJID": 2, "AETERM": 10,
                                                                      "AESEV": 8}, **base)


def lb(**cols):
    base = dict(STUDYID=["T1"] * 3, USUBJID=["S1"] * 3, LBTESTCD=["ALT", "UPH", "GLUC"], LBORRES=["25", "ACID", "5.2"])
    base.update(cols)
    return ds("LB", labels=LABELS, label="Laboratory Test Results", lengths={"STUDYID": 2, "USUBJID": 2,
                                                                             "LBTESTCD": 4, "LBORRES": 20}, **base)


def test_the_small_define_reads_as_study_metadata(define):
    assert define.version == "2.1" and (define.standard_name, define.standard_version) == ("SDTMIG", "3.4")
    assert define.metadata["AE"].keys == ("STUDYID", "USUBJID", "AESEQ")
    assert [v.name for v in define.metadata["LB"].variables] == ["STUDYID", "USUBJID", "LBTESTCD", "LBORRES"]
    assert [(v.variable, v.where[0].values, v.length) for v in define.metadata.valuelevel] == \
        [("LBORRES", ("ALT",), 3), ("LBORRES", ("UPH",), 8), ("LBORRES", ("XYZ",), 8)]
    assert define.metadata.codelists["CL.AESEV"].values == ("MILD", "MODERATE", "SEVERE")
    assert define.files == {"AE": "ae.xpt", "LB": "lb.xpt"}


def test_a_clean_pair_of_datasets_passes_every_define_rule(define):
    from cdisc_mirocals.validate.engine import validate_files
    rules = {"SD0061", "SD1063", "SD0054", "SD0060", "SD1324", "SD1325", "SD0059", "MC0306", "MC0307", "SD0037",
             "SD1228", "SD1229", "SD1231", "MC0301", "MC0302", "SD1152", "DD0101"}
    report = validate_files({"AE": ae(), "LB": lb()}, "sdtmig-3.4", define=define, rule_ids=rules)
    assert report.findings.empty, report.findings[["rule", "dataset", "variables", "detail"]]


def test_dd0101_define_missing():
    assert fired("DD0101", ae()) == [("define.xml", None)]


def test_sd0061_and_sd1063_datasets_on_one_side_only(define):
    assert fired("SD0061", ae(), define=define) == [("LB", None)]
    assert fired("SD1063", ae(), lb(), sdtm("CM", USUBJID=["S1"]), define=define) == [("CM", None)]


def test_sd0054_and_sd0060_variables_on_one_side_only(define):
    assert list(findings("SD0054", ae().__class__("AE", "Adverse Events", ae().path, "XPT", 1, {
        k: v for k, v in ae().columns.items() if k != "AESEV"}, ae().frame.drop(columns="AESEV")), lb(),
        define=define)["variables"]) == ["AESEV"]
    assert list(findings("SD0060", ae(AEOUT=["FATAL", ""]), lb(), define=define)["variables"]) == ["AEOUT"]


def test_sd1324_sd1325_sd0059_mc0306_metadata_mismatches(define):
    relabelled = ae()
    relabelled.columns["AETERM"] = relabelled.columns["AETERM"].__class__("AETERM", "Reported Term", "Char", 10)
    assert list(findings("SD1324", relabelled, define=define)["variables"]) == ["AETERM"]
    renamed = ae()
    renamed.label = "AE"
    assert fired("SD1325", renamed, define=define) == [("AE", None)]
    assert list(findings("SD0059", ae(AESEQ=["1", "2"]), define=define)["variables"]) == ["AESEQ"]
    longer = sdtm("AE", labels=LABELS, label="Adverse Events", lengths={"AETERM": 12}, USUBJID=["S1"], AESEQ=[1],
                  AETERM=["Headache"], AESEV=["MILD"])
    assert "AETERM" in list(findings("MC0306", longer, define=define)["variables"])


def test_mc0307_order(define):
    swapped = ds("AE", labels=LABELS, label="Adverse Events", STUDYID=["T1"], DOMAIN=["AE"], AESEQ=[1], USUBJID=["S1"],
                 AETERM=["x"], AESEV=["MILD"])
    assert list(findings("MC0307", swapped, define=define)["variables"]) == ["AESEQ"]


def test_mc0308_where_clause_that_selects_nothing(define):
    assert list(findings("MC0308", ae(), lb(), define=define)["values"]) == ["LBTESTCD EQ XYZ"]
    assert fired("MC0308", ae(), lb(LBTESTCD=["ALT", "UPH", "XYZ"]), define=define) == []


def test_value_level_where_clauses_compare_numbers_as_numbers(define):
    """The where-clause evaluator define.xml is written with (metadata.where_mask): VISITNUM EQ 1 selects the
    records whose numeric VISITNUM is 1.0 (compared as text, "1.0" would never equal "1"), and GT compares."""
    import dataclasses
    from cdisc_mirocals.spec import Condition

    alt = define.metadata.valuelevel[0]  # LBORRES where LBTESTCD EQ ALT: Length 3, Mandatory

    def on(*conditions):
        meta = dataclasses.replace(define.metadata, valuelevel=(dataclasses.replace(alt, where=conditions),))
        return dataclasses.replace(define, metadata=meta)

    visit_one = on(Condition("VISITNUM", "EQ", ("1",)))
    data = lb(VISITNUM=[1.0, 2.0, 1.0], LBORRES=["25", "5000", "5000"])
    assert fired("SD1231", data, define=visit_one) == [("LB", 3)]  # record 2 is VISITNUM 2: not selected
    assert fired("MC0308", data, define=visit_one) == []
    assert fired("SD1231", data, define=on(Condition("VISITNUM", "GT", ("1",)))) == [("LB", 2)]
    assert list(findings("MC0308", data, define=on(Condition("VISITNUM", "GT", ("2",))))["values"]) == ["VISITNUM GT 2"]


def test_sd0037_user_defined_codelist(define):
    assert fired("SD0037", ae(AESEV=["MILD", "MEDIUM"]), define=define) == [("AE", 2)]


def test_value_level_rules(define):
    assert fired("SD1228", lb(LBORRES=["25", "NEUTRAL", "5.2"]), define=define) == [("LB", 2)]
    assert fired("SD1231", lb(LBORRES=["2500", "ACID", "5.2"]), define=define) == [("LB", 1)]
    assert fired("SD1229", lb(LBORRES=["", "", ""]), define=define) == [("LB", 1)]  # only ALT is Mandatory


def test_mandatory_length_and_keys(define):
    assert fired("MC0301", ae(AETERM=["Headache", ""]), define=define) == [("AE", 2)]
    too_long = sdtm("AE", labels=LABELS, label="Adverse Events", USUBJID=["S1"], AESEQ=[1], AETERM=["Headache, severe"],
                    AESEV=["MILD"], fmt="Dataset-JSON", file="ae.json")
    assert fired("MC0302", too_long, define=define) == [("AE", 1)]
    assert fired("SD1152", ae(AESEQ=[1, 1]), define=define) == [("AE", 2)]


# ------------------------------------------------------------------------------------- safe parsing

XXE = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study><GlobalVariables><StudyName>&xxe;</StudyName></GlobalVariables></Study></ODM>
"""
NETWORK = """<?xml version="1.0"?>
<!DOCTYPE ODM SYSTEM "http://example.invalid/odm.dtd">
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study><GlobalVariables><StudyName>&lol9;</StudyName></GlobalVariables></Study></ODM>
"""


@pytest.mark.parametrize("text", [XXE, NETWORK, LAUGHS], ids=["xxe", "external-dtd", "billion-laughs"])
def test_documents_with_a_dtd_are_refused_with_a_clear_message(tmp_path, text):
    path = tmp_path / "define.xml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_define(path)
    message = str(exc.value)
    assert str(path) in message and "refused" in message and "DTD" in message
    assert "root:" not in message  # nothing of /etc/passwd was read


@pytest.mark.parametrize("text, expected", [
    ("<x", "not well-formed XML"),
    ('<?xml version="1.0"?><root/>', "not a Define-XML 2.0 or 2.1 document"),
    ('<?xml version="1.0"?><ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study><MetaDataVersion OID="x"/></Study></ODM>',
     "not a Define-XML 2.0 or 2.1 document"),
])
def test_documents_that_are_not_define_xml_are_refused(tmp_path, text, expected):
    path = tmp_path / "define.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=expected):
        read_define(path)


def test_the_cli_refuses_an_xxe_define_with_exit_2(tmp_path):
    from click.testing import CliRunner

    from cdisc_mirocals.cli import main
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "define.xml").write_text(XXE)
    import pyreadstat
    import pandas as pd
    pyreadstat.write_xport(pd.DataFrame({"STUDYID": ["T1"], "DOMAIN": ["DM"], "USUBJID": ["S1"]}), str(data / "dm.xpt"),
                           table_name="DM", file_format_version=5)
    result = CliRunner().invoke(main, ["validate", str(data), "--define", str(tmp_path / "define.xml")])
    assert result.exit_code == 1 and "refused" in result.output and "DTD" in result.output


# ------------------------------------------------------------------------------------- public documents

def test_the_pilot_and_cdisc_example_defines_read():
    pilot = REFERENCE / "cdiscpilot01_tdf" / "sdtm" / "define.xml"
    example = REFERENCE / "define-xml-2.1-examples" / "defineV21-SDTM.xml"
    if not pilot.is_file() or not example.is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    d = read_define(pilot)
    assert (d.version, d.standard_name, d.standard_version) == ("2.0", "CDISC SDTM", "3.2")
    assert len(d.metadata.datasets) == 31 and d.metadata["AE"].keys[:2] == ("STUDYID", "USUBJID")
    e = read_define(example)
    assert (e.version, e.standard_name, e.standard_version) == ("2.1", "SDTMIG", "3.1.2")
    assert {"DM", "TS"} <= set(e.metadata.datasets)


def test_define_1_0_is_named_as_unsupported():
    old = REFERENCE / "cdiscpilot01_original" / "sdtm" / "define.xml"
    if not old.is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    with pytest.raises(InputError, match="not a Define-XML 2.0 or 2.1 document"):
        read_define(old)


def test_keys_that_do_not_identify_records_are_one_finding(define):
    """SD1152 is define.xml's cause: one finding, its count the records, its detail every record."""
    f = findings("SD1152", ae(USUBJID=["S1"] * 5, AESEQ=[1, 1, 1, 2, 2], AETERM=["a"] * 5, AESEV=["MILD"] * 5),
                 define=define)
    assert len(f) == 1
    one = f.iloc[0]
    assert (one.record, one["count"]) == (2, 3)
    assert one.detail.startswith("define.xml's key variables (STUDYID, USUBJID, AESEQ) do not identify a record: 3 "
                                 "records repeat the key of an earlier record; records 2-3, 5")
