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


# A note to the sponsor's own staff, or the trail of how the text was made, is no rule for a reviewer: a to-do
# ("replace with the verbatim text", "to be confirmed"), validator talk (rule IDs of CDISC, Pinnacle 21 or
# this validator), the conversion's own records (the reconciliation, "valuelevel"), the sources a code was
# looked up in, and the R packages a rule was modelled on.
UNFINISHED = re.compile(
    r"\breplaced?\b|\bto be confirmed\b|\bto confirm\b|\bbefore submission\b|\bnot confirmed\b"
    r"|\breconciliation\b|\bvaluelevel\b|\bdata error\b|\bsearched for\b"
    r"|\bPinnacle\b|\bP21\b|\b(?:CG|SD|MC)\d{4}\b|\badmiral\b|\bderive_var"
    r"|MyChem|Monarch|DrugBank|Disease Ontology|cross-referenced", re.IGNORECASE)


def test_the_scan_finds_unfinished_and_developer_narrative():
    for text in ["Criterion text summarises the protocol; replace with the verbatim protocol text before submission",
                 "must be replaced by the verbatim protocol text", "to be confirmed with the IMP dossier",
                 "an assumption to confirm with the central laboratory manual", "as CDISC rule CG0534 asks",
                 "(Pinnacle 21 SD0042)", "listed as excluded in the reconciliation", "units of valuelevel LBSTRESU",
                 "as cross-referenced by MyChem.info", "admiral derive_var_ontrtfl with span_period",
                 "reported as a data error", "the CT file was searched for 'ALSFRS'"]:
        assert UNFINISHED.search(text), text
    for text in ["ADSL.LSTALVDT (see its method)", "SDTMIG 3.4 DM (assumption 9)", "TSPARMCD of C66738",
                 "CD3+CD4+CD25+FOXP3+", "Replacement therapy"]:
        assert not UNFINISHED.search(text), text


def test_define_text_has_no_unfinished_note_nor_developer_narrative(defines):
    found = [(name, oid, UNFINISHED.findall(text)) for name, root in defines.items()
             for oid, text in reviewer_texts(root) if UNFINISHED.search(text)]
    assert not found, "\n".join(map(str, found))


def _raw_only_names(spec):
    """Raw CRF forms and fields whose names no SDTM or ADaM variable, dataset or codelist term shares: a
    reviewer has the annotated CRF, which labels them in words, not the raw data. (CSF, ALSFRS and CYCLE are
    words of the study's language as well.)"""
    raw = {f for form in spec.raw.values() for f in [form.name, *(field.name for field in form.fields)]}
    known = {"CSF", "ALSFRS", "CYCLE"}
    for std in (spec.sdtm, spec.adam):
        known |= set(std.datasets) | {v.name for ds in std.datasets.values() for v in ds.variables}
        known |= {t.term for cl in std.codelists.values() for t in cl.terms} | set(std.codelists)
    return raw - known


def test_define_text_cites_the_crf_as_the_acrf_labels_it_not_raw_names(defines, spec):
    names = _raw_only_names(spec)
    assert {"CONSDAT", "INJDONE", "ENROL", "EOSDAT"} <= names  # so that the scan below can fail
    pattern = re.compile(r"\b(?:%s)\b" % "|".join(sorted(names)))
    found = [(name, oid, sorted(set(pattern.findall(text)))) for name, root in defines.items()
             for oid, text in reviewer_texts(root) if pattern.search(text)]
    assert not found, "\n".join(map(str, found))


def test_no_comment_or_method_is_longer_than_a_reviewer_reads(defines):
    for name, root in defines.items():
        for el in [*root.iterfind(".//def:CommentDef", NS), *root.iterfind(".//odm:MethodDef", NS)]:
            text = "".join(el.find("odm:Description", NS).itertext())
            assert len(text) <= 1200, (name, el.get("OID"), len(text))


def test_a_method_refers_to_another_variables_rule_instead_of_repeating_it(defines):
    """ADSL.LSTALVDT is defined once, by its own method; the time-to-event methods censor at it by name, in
    one sentence (the OS640 method once had its definition spliced into the middle of its censoring rule)."""
    methods = {m.get("OID"): "".join(m.find("odm:Description", NS).itertext())
               for m in defines["ADaM"].iterfind(".//odm:MethodDef", NS)}
    definition = methods["MT.ADSL.LSTALVDT"]
    sources = definition[definition.index("(1)"):definition.index("(2)")]
    assert [oid for oid, text in methods.items() if sources in text] == ["MT.ADSL.LSTALVDT"]
    for parameter in ("OS640", "OS", "DTHTRV"):
        assert "ADT = ADSL.LSTALVDT" in methods[f"MT.ADTTE.{parameter}"] or \
            "ADT = LSTALVDT" in methods[f"MT.ADTTE.{parameter}"], parameter
    assert "if LSTALVDT is on or before RANDDT + 639, ADT = LSTALVDT" in methods["MT.ADTTE.OS640"]


def test_codelist_items_do_not_repeat_that_the_codelist_is_sponsor_defined(defines):
    """def:IsNonStandard says a codelist is the sponsor's; an item's Description says only what is its own."""
    for name, root in defines.items():
        for cl in root.iterfind(".//odm:CodeList", NS):
            for item in [*cl.iterfind("odm:CodeListItem", NS), *cl.iterfind("odm:EnumeratedItem", NS)]:
                description = item.find("odm:Description", NS)
                if description is not None:
                    text = "".join(description.itertext()).strip()
                    assert not text.startswith("Sponsor-defined"), (name, cl.get("OID"), item.get("CodedValue"))


def test_a_codelist_that_lists_its_terms_is_not_called_external(defines):
    """CL.COUNTRY and CL.NULLFLAVOR enumerate their terms: their comments (and COUNTRY's) say so, and only a
    codelist with an ExternalCodeList is called external terminology."""
    for name, root in defines.items():
        comments = {c.get("OID"): "".join(c.itertext()) for c in root.iterfind(".//def:CommentDef", NS)}
        for cl in root.iterfind(".//odm:CodeList", NS):
            comment = comments.get(cl.get("{%s}CommentOID" % NS["def"]), "")
            if cl.find("odm:ExternalCodeList", NS) is None:
                assert "external terminology" not in comment.lower(), (name, cl.get("OID"), comment)
    country = defines["SDTM"].find(".//odm:ItemDef[@OID='IT.DM.COUNTRY']", NS)
    comment = defines["SDTM"].find(f".//def:CommentDef[@OID='{country.get('{%s}CommentOID' % NS['def'])}']", NS)
    assert "external" not in "".join(comment.itertext()).lower()


def test_no_codelist_comment_only_repeats_that_it_is_the_sponsors(defines):
    """def:IsNonStandard says a codelist is the sponsor's: a codelist's CommentDef saying only that (47 ADaM
    and 15 SDTM codelists did) is boilerplate define.html shows on every codelist."""
    for name, root in defines.items():
        comments = {c.get("OID"): " ".join("".join(c.itertext()).split()) for c in root.iterfind(".//def:CommentDef", NS)}
        for cl in root.iterfind(".//odm:CodeList", NS):
            text = comments.get(cl.get("{%s}CommentOID" % NS["def"]), "")
            assert not text.startswith("Sponsor-defined"), (name, cl.get("OID"), text)


def test_a_long_comment_is_attached_once(defines):
    """A comment longer than a short note (the MedDRA coding one, about 550 characters, was on 11 AE
    variables) stands on the dataset or on a few variables it is about (at most three: e.g. a test's
    result, unit and standard result); the others point to it."""
    for name, root in defines.items():
        comments = {c.get("OID"): " ".join("".join(c.itertext()).split()) for c in root.iterfind(".//def:CommentDef", NS)}
        users: dict[str, list[str]] = {}
        for el in root.iter():
            oid = el.get("{%s}CommentOID" % NS["def"]) if isinstance(el.tag, str) else None
            if oid and el.get("OID"):  # datasets, variables and codelists (not the ARM's analysis datasets)
                users.setdefault(oid, []).append(el.get("OID"))
        for oid, owners in users.items():
            if len(comments[oid]) > 300:
                assert len(owners) <= 3, (name, owners, comments[oid][:80])


def test_comments_name_codelists_as_define_html_shows_them(defines):
    """A codelist is named by its Name, not by the end of its OID ('codelist QNAM_DM')."""
    for name, root in defines.items():
        texts = [text for _, text in reviewer_texts(root)]
        for cl in root.iterfind(".//odm:CodeList", NS):
            short = cl.get("OID").split(".", 1)[1]
            if short != cl.get("Name"):
                pattern = re.compile(rf"\bcodelists? (?:\S+ and )?{re.escape(short)}\b|\b{re.escape(short)} external code list")
                assert not [t for t in texts if pattern.search(t)], (name, short, cl.get("Name"))


GARBLED = ["of two as near the later", "of two on that date the one", "the per-cycle records of NINJ",
           "e.g. ACTARM 'Not Treated'", "null for subjects not randomised", "as for ADSL.ALSFRSBL"]


def test_no_method_or_comment_keeps_a_garbled_or_untrue_sentence_of_the_review(defines):
    for name, root in defines.items():
        for oid, text in reviewer_texts(root):
            text = " ".join(text.split())
            assert not [g for g in GARBLED if g in text], (name, oid, text)


def test_each_death_has_one_ds_death_record_ending_participation(converted):
    """COM.DS: one DSDECOD 'DEATH' record ending participation per death, dated DTHDTC; the other DEATH
    records are in STUDY TREATMENT (death also ended treatment), on the same date."""
    ds, dm = converted.sdtm.datasets["DS"], converted.sdtm.datasets["DM"]
    death = ds[ds["DSDECOD"] == "DEATH"].merge(dm[["USUBJID", "DTHDTC"]], on="USUBJID")
    assert (death["DSSTDTC"] == death["DTHDTC"]).all()
    ending = death[death["DSSCAT"].isin(["STUDY PARTICIPATION", "SURVIVAL FOLLOW-UP"])]
    assert ending["USUBJID"].is_unique and set(ending["USUBJID"]) == set(dm.loc[dm["DTHFL"] == "Y", "USUBJID"])
    assert set(death["DSSCAT"]) - set(ending["DSSCAT"]) <= {"STUDY TREATMENT"}
