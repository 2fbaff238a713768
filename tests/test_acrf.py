"""The annotated CRF (acrf.pdf), read back with pypdf, an independent reader: a PDF the FDA's specifications
accept (1.4 to 1.7, no security, fonts embedded, bookmarks by form and by domain), annotated as the CDISC
Metadata Submission Guidelines ask, and cited by define.xml at the pages where each annotation stands."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from io import BytesIO

import pytest
from lxml import etree

from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.submission.acrf import ACRF_FILE, build_acrf, crf_pages
from cdisc_mirocals.submission.acrf.annotations import field_annotations
from cdisc_mirocals.submission.define import DefineError, build_define

pypdf = pytest.importorskip("pypdf")

NOTICE = "SIMULATED DATA: not the results of the MIROCALS trial"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}


def _reader(data: bytes):
    return pypdf.PdfReader(BytesIO(data))


def _word(pattern: str) -> str:
    """`pattern` standing as a name: no capital, digit or underscore on either side. pypdf may join text drawn
    on one line without a space ("OtherECREASOC": a tick box's value, then the annotation), so a word
    boundary is too strict, while LBORRESU must not count as LBORRES."""
    return rf"(?<![A-Z0-9_]){pattern}(?![A-Z0-9_])"


def _flat(text: str) -> str:
    """Page text with line breaks and runs of spaces as one space: pypdf breaks lines where the PDF does."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def acrf(converted):
    path = converted.sdtm_dir / ACRF_FILE
    reader = _reader(path.read_bytes())
    return reader, [_flat(page.extract_text()) for page in reader.pages]


@pytest.fixture(scope="module")
def define(converted):
    return etree.parse(str(converted.sdtm_dir / "define.xml")).getroot()


def _outline(reader, items=None, depth=0):
    """[(depth, title, page index)] of the whole outline, in order."""
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += _outline(reader, item, depth + 1)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item)))
    return out


def test_the_acrf_is_a_pdf_the_fda_specifications_accept(acrf):
    reader, _ = acrf
    assert reader.pdf_header in {"%PDF-1.4", "%PDF-1.5", "%PDF-1.6", "%PDF-1.7"}
    assert not reader.is_encrypted
    fonts = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
            fonts += 1
    assert fonts >= len(reader.pages)


def test_bookmarks_by_form_and_by_domain(acrf, spec):
    reader, text = acrf
    outline = _outline(reader)
    tops = [title for depth, title, _ in outline if depth == 0]
    assert tops[-2:] == ["Forms", "Domains"]
    forms_at = [t for _, t, _ in outline].index("Forms")
    domains_at = [t for _, t, _ in outline].index("Domains")
    forms = [(title, page) for depth, title, page in outline[forms_at + 1:domains_at] if depth == 1]
    # one section per form, in the order of the CRF book, each on the page that shows its title
    assert [t for t, _ in forms] == [f.description for f in spec.raw.values()]
    assert all(title in text[page] for title, page in forms)
    domains = [(title, page) for depth, title, page in outline[domains_at + 1:] if depth == 1]
    assert [t.split(" ")[0] for t, _ in domains] == sorted({"DM", "SE", "MH", "IE", "DS", "SV", "EX", "EC", "CM",
                                                             "QS", "RE", "VS", "LB", "CP", "AE", "PR", "DD", "SS"})
    assert ("DM (Demographics)", forms[0][1]) in domains
    for title, page in domains:  # each domain bookmark lands on a page with that domain's box
        assert title in text[page], title


def test_every_collected_origin_cites_the_pages_where_its_annotation_stands(acrf, define):
    _, text = acrf
    leaves = {leaf.get("ID"): leaf.get(f"{{{NS['xlink']}}}href") for leaf in define.iterfind(".//def:leaf", NS)}
    wheres = {w.get("OID"): w for w in define.iterfind(".//def:WhereClauseDef", NS)}
    where_of = {ref.get("ItemOID"): ref.find("def:WhereClauseRef", NS).get("WhereClauseOID")
                for ref in define.iterfind(".//def:ValueListDef/odm:ItemRef", NS)}
    names = {i.get("OID"): i.get("Name") for i in define.iterfind(".//odm:ItemDef", NS)}
    everything = " ".join(text)
    collected = [i for i in define.iterfind(".//odm:ItemDef", NS)
                 if i.find("def:Origin", NS) is not None and i.find("def:Origin", NS).get("Type") == "Collected"]
    assert len(collected) >= 66
    for item in collected:
        oid, name = item.get("OID"), item.get("Name")
        refs = item.findall("def:Origin/def:DocumentRef", NS)
        assert len(refs) == 1, f"{oid} cites no aCRF page"
        assert leaves[refs[0].get("leafID")] == ACRF_FILE
        page_ref = refs[0].find("def:PDFPageRef", NS)
        assert page_ref.get("Type") == "PhysicalRef"
        expected = [_word(name)]
        if oid in where_of:
            check = wheres[where_of[oid]].find("odm:RangeCheck", NS)
            on, values = names[check.get(f"{{{NS['def']}}}ItemOID")], [v.text for v in check.iterfind("odm:CheckValue", NS)]
            if on == "QNAM":
                expected = [_word(f"{re.escape(v)} in {item.get('OID').split('.')[1]}") for v in values]
            else:
                specific = [_word(f"{name} when {on} = {re.escape(v)}") for v in values]
                # a result whose test is a field of its own (the laboratory form's LBTESTCD) stands alone
                expected = specific if any(re.search(p, everything) for p in specific) else [_word(name) + "(?! when)"]
        elif name == "QVAL":
            expected = [_word(f"[A-Z0-9]+ in {item.get('OID').split('.')[1]}")]
        for page in page_ref.get("PageRefs").split():
            assert any(re.search(p, text[int(page) - 1]) for p in expected), (oid, page, expected)


def test_pages_come_from_the_layout(spec):
    """The pages define.xml cites are those the drawing recorded, and differ when the layout does."""
    acrf = build_acrf(spec)
    pages = crf_pages(acrf.placed, spec.sdtm)
    text = [_flat(p.extract_text()) for p in _reader(acrf.pdf).pages]
    weight = pages["IT.VS.VSORRES.WEIGHT"]
    assert len(weight.split()) == 1 and "VSORRES when VSTESTCD = WEIGHT" in text[int(weight) - 1]
    assert "ONSETSIT in SUPPMH" in text[int(pages["IT.SUPPMH.QVAL.ONSETSIT"]) - 1]
    # every form on a page of its own: SUBJID, on every form, cites one page per form at least
    assert len(set(pages["IT.DM.SUBJID"].split())) >= len(spec.raw) - 2


def test_findings_supplemental_and_not_submitted_annotations(acrf, spec):
    _, text = acrf
    everything = " ".join(text)
    for code in ("WEIGHT", "HEIGHT", "SYSBP"):
        assert f"VSORRES when VSTESTCD = {code}" in everything
    assert "QSORRES when QSTESTCD = ALSFRS01" in everything and "LBORRES when LBTESTCD = NFHP" in everything
    assert "DDORRES when DDTESTCD = PRCDTH" in everything
    assert "RANDNO in SUPPDM" in everything and "AETERM1 in SUPPAE" in everything
    not_submitted = [f for form in spec.raw.values() for f in form.fields if not f.targets]
    assert not_submitted, "the study collects fields it does not submit (the eligibility summary)"
    for f in not_submitted:
        page = next(t for t in text if spec.raw[f.form].description in t and f.label in t)
        assert "NOT SUBMITTED" in page, f.name
    # each field shows its label, its format and its allowed values
    for form in spec.raw.values():
        pages = " ".join(t for t in text if spec.raw[form.name].description in t)
        for f in form.fields:
            assert f.label in pages and f"[{f.name}]" in pages, f.name
            assert all(value in pages for value in f.allowed), f.name
            assert all(a.text in pages for a in field_annotations(f, spec.sdtm)), f.name


def test_a_domain_box_heads_every_page_of_a_form(acrf, spec):
    _, text = acrf
    for page in text[1:]:
        assert "DM (Demographics)" in page  # every form identifies its subject


def test_the_notice_stands_on_every_page_of_simulated_data_only(acrf, spec):
    _, text = acrf
    assert all(NOTICE in page for page in text)
    real = _reader(build_acrf(spec).pdf)
    assert not any("SIMULATED" in page.extract_text() for page in real.pages)


def test_same_inputs_and_time_give_the_same_bytes(spec, converted):
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert build_acrf(spec, created=when).pdf == build_acrf(spec, created=when).pdf
    written = _reader((converted.sdtm_dir / ACRF_FILE).read_bytes())
    assert written.metadata.creation_date.timestamp() == 1767270896  # SOURCE_DATE_EPOCH of the session


def test_pages_without_an_acrf_document_are_refused(spec, converted):
    from dataclasses import replace
    from cdisc_mirocals.submission.xport_reader import read_xpt_file

    frames = {p.stem.upper(): read_xpt_file(p).frame for p in sorted(converted.sdtm_dir.glob("*.xpt"))}
    no_documents = replace(spec, sdtm=replace(spec.sdtm, documents={}))
    with pytest.raises(DefineError, match="lists no annotated CRF"):
        build_define(no_documents, "SDTM", frames, crf_pages={"IT.DM.SEX": "2"})


@pytest.mark.parametrize("column, value, expected", [
    ("Test Code", "NOSUCH", "a --TESTCD term of the findings dataset"),
    ("Other Targets", "VS.NOSUCH", "an SDTM variable (DS.VAR) or SUPP-- QNAM"),
])
def test_a_wrong_test_code_or_other_target_is_refused(tmp_path, spec, column, value, expected):
    import pandas as pd

    specs = tmp_path / "specs"
    shutil.copytree(spec.root, specs)
    path = specs / "raw" / "fields.csv"
    fields = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = (fields["Form"] == "VS") & (fields["Field"] == "WEIGHT")
    fields.loc[row, column] = value
    fields.to_csv(path, index=False)
    line = int(row.to_numpy().nonzero()[0][0]) + 2  # the header is line 1
    with pytest.raises(SpecError) as info:
        load_spec(specs)
    assert any(str(p).startswith(f"specs/raw/fields.csv:{line}, column {column}") and expected in str(p)
               and "VS.WEIGHT" in str(p) for p in info.value.problems), info.value.problems


def test_each_test_code_is_the_test_the_mapping_gives_the_field(converted, spec, raw_study):
    """An annotation `VSORRES when VSTESTCD = WEIGHT` says where a reviewer finds the weights: the records of
    that test hold exactly the values of that field (the mappers take the test codes from their own code,
    fields.csv's Test Code from the spec: this holds the two together)."""
    import pandas as pd

    checked = 0
    for form in spec.raw.values():
        for f in form.fields:
            if not f.test_code or not f.target.endswith("ORRES"):
                continue
            dataset, _, result = f.target.partition(".")
            sdtm = converted.sdtm.datasets[dataset]
            records = sdtm[sdtm[f"{dataset}TESTCD"] == f.test_code]
            subjects = set(sdtm["USUBJID"].str.removeprefix(f"{spec.study.studyid}-"))
            raw = raw_study[form.name]
            raw = raw[raw["SUBJID"].str.strip().isin(subjects)][f.name]
            collected = records[result].dropna()
            collected = collected[collected.astype(str).str.strip() != ""]
            if f.type in ("integer", "float"):
                expected = sorted(pd.to_numeric(raw, errors="coerce").dropna().round(6))
                assert sorted(collected.astype(float).round(6)) == expected, (form.name, f.name, f.test_code)
            else:
                assert len(collected) == raw.dropna().astype(str).str.strip().ne("").sum(), (form.name, f.name)
            checked += 1
    assert checked >= 25
