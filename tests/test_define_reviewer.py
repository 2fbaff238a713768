"""define.xml as a reviewer receives it: every link stays inside the submission (m5) folder, and the text
speaks of the study, not of this repository."""

import re

import pytest
from lxml import etree

from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.submission.package import _check_leaves_stay_in_m5

XLINK = "{http://www.w3.org/1999/xlink}href"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "arm": "http://www.cdisc.org/ns/arm/v1.0"}


@pytest.fixture(scope="module")
def defines(converted):
    return {name: etree.parse(str(folder / "define.xml")).getroot()
            for name, folder in (("SDTM", converted.sdtm_dir), ("ADaM", converted.adam_dir))}


def test_no_leaf_leaves_the_m5_tree(converted, defines):
    m5 = next(p for p in converted.sdtm_dir.resolve().parents if p.name == "m5")
    for name, root in defines.items():
        folder = (converted.sdtm_dir if name == "SDTM" else converted.adam_dir).resolve()
        leaves = root.iterfind(".//def:leaf", NS)
        for leaf in leaves:
            target = (folder / leaf.get(XLINK)).resolve()
            assert target.is_relative_to(m5) and target.is_file(), (name, leaf.get("ID"), leaf.get(XLINK))
        # every document reference names a leaf of this define.xml
        ids = {leaf.get("ID") for leaf in root.iterfind(".//def:leaf", NS)}
        for ref in root.iterfind(".//def:DocumentRef", NS):
            assert ref.get("leafID") in ids, (name, ref.get("leafID"))


@pytest.mark.parametrize("href", ["../../../../../../analysis/report.html", "https://example.org/report.pdf"])
def test_a_link_outside_m5_is_refused(tmp_path, href):
    folder = tmp_path / "m5" / "datasets" / "study" / "analysis" / "adam" / "datasets"
    folder.mkdir(parents=True)
    with pytest.raises(MirocalsError, match="outside the submission's m5 folder.*LF.X"):
        _check_leaves_stay_in_m5({"LF.X": href}, folder, "ADaM")
    _check_leaves_stay_in_m5({"LF.ACRF": "../../../tabulations/sdtm/acrf.pdf"}, folder, "ADaM")  # inside: fine


# What a reviewer must not meet: a repository path or file, a spec sheet's name, the study settings file,
# a TOML section, an unfilled placeholder, or an internal OID (MT., COM., CL., IT., ... followed by a name).
DEVELOPER_TEXT = re.compile(
    r"\b(?:MT|COM|CL|IT|VL|WC|LF|RD|AR|IG|STD|MDV|STDY)\.[A-Z0-9]"
    r"|study\.toml|\.(?:csv|py|md|toml)\b|\b(?:specs|docs|tests|tools)/|cdisc_mirocals"
    r"|\[[a-z_]+(?:\.[a-z_]+)*\]|\{[a-z_]+(?:\.[a-z_]+)*\}|\bfrom here\b")
CODE = {"{%s}FormalExpression" % NS["odm"], "{%s}Code" % NS["arm"]}  # program text, read as code


def reviewer_texts(root):
    """Every text define.html shows a reviewer, with the OID of the element it belongs to; and the XML
    comments. Program code (FormalExpression, arm:Code) is code and is left out."""
    for el in root.iter():
        if isinstance(el, etree._Comment):
            yield "XML comment", el.text or ""
        elif isinstance(el.tag, str) and el.tag not in CODE and (el.text or "").strip():
            owner = next((a for a in el.iterancestors() if a.get("OID")), el)
            yield owner.get("OID") or el.tag, el.text
    for comment in root.getroottree().getroot().itersiblings(preceding=True):
        yield "XML comment", comment.text or ""


def test_the_scan_finds_developer_text():
    for text in ["see MT.STUDYDAY", "from study.toml [schedule]", "(datasets.csv)", "see docs/conformance-decisions.md",
                 "specs/sdtm", "cdisc_mirocals.analysis.logrank", "COM.TS.DICT", "{standards.meddra}"]:
        assert DEVELOPER_TEXT.search(text), text
    for text in ["MedDRA 26.0", "DS.DSSTDTC where DSDECOD EQ DEATH", "ADSL.LSTALVDT", "SDTMIG 3.4 section 4.5.3.2",
                 "LBTESTCD 'NFHP' (C172501)", "Lymphocyte Growth Factor [EPC]", "AE.AEENDTC"]:
        assert not DEVELOPER_TEXT.search(text), text


def test_define_text_speaks_to_a_reviewer(defines):
    found = []
    for name, root in defines.items():
        texts = list(reviewer_texts(root))
        assert len(texts) > 200
        found += [(name, oid, DEVELOPER_TEXT.findall(text)) for oid, text in texts if DEVELOPER_TEXT.search(text)]
    assert not found, "\n".join(map(str, found))


def test_no_comment_is_repeated_on_every_value_level_row(defines):
    """One comment on the variable serves where every value-level item of its value list would repeat it."""
    for name, root in defines.items():
        items = {i.get("OID"): i for i in root.iterfind(".//odm:ItemDef", NS)}
        for vld in root.iterfind(".//def:ValueListDef", NS):
            comments = [items[ref.get("ItemOID")].get("{%s}CommentOID" % NS["def"])
                        for ref in vld.iterfind("odm:ItemRef", NS)]
            if len(comments) > 2:
                assert len(set(comments)) > 1 or comments[0] is None, (name, vld.get("OID"), comments[0])


def test_deaths_without_a_fatal_ae_are_explained_and_are_follow_up_deaths(converted, defines):
    """What the DTHFL comment tells the reviewer holds in the data: a death with no fatal AE is one found
    by the survival follow-up after AEs were no longer collected; a death during participation has one."""
    sdtm = converted.sdtm.datasets
    dm, ae, ds = sdtm["DM"], sdtm["AE"], sdtm["DS"]
    dead = set(dm.loc[dm["DTHFL"] == "Y", "USUBJID"])
    fatal = set(ae.loc[(ae["AEOUT"] == "FATAL") | (ae["AESDTH"] == "Y"), "USUBJID"])
    follow_up = set(ds.loc[(ds["DSSCAT"] == "SURVIVAL FOLLOW-UP") & (ds["DSDECOD"] == "DEATH"), "USUBJID"])
    assert len(dead - fatal) >= 10 and dead - fatal <= follow_up
    assert dead & fatal == dead - follow_up
    item = defines["SDTM"].find(".//odm:ItemDef[@OID='IT.DM.DTHFL']", NS)
    comment = defines["SDTM"].find(f".//def:CommentDef[@OID='{item.get('{%s}CommentOID' % NS['def'])}']", NS)
    assert "SURVIVAL FOLLOW-UP" in "".join(comment.itertext())
