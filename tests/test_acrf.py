"""The annotated CRF (acrf.pdf), read back with pypdf, an independent reader: a PDF the FDA's specifications
accept (1.4 to 1.7, no security, fonts embedded, bookmarks by form and by domain), annotated as the CDISC
Metadata Submission Guidelines ask, and cited by define.xml at the pages where each annotation stands."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from io import BytesIO

import pandas as pd
import pytest
from lxml import etree

from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.submission.acrf import ACRF_FILE, build_acrf, crf_pages
from cdisc_mirocals.submission.acrf.annotations import book_annotations
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
    # the DM bookmark lists the forms that feed DM beyond the subject identifier every form carries
    dm_at = [t for _, t, _ in outline].index("DM (Demographics)")
    dm_forms = [t for depth, t, _ in outline[dm_at + 1:] if depth == 2]
    dm_forms = dm_forms[:next((i for i, (d, _, _) in enumerate(outline[dm_at + 1:]) if d < 2), len(dm_forms))]
    feeding = [form.description for form in spec.raw.values()
               if any(t.startswith("DM.") and t != "DM.SUBJID" for f in form.fields for t in f.targets + f.preset)]
    assert dm_forms == feeding and len(feeding) < len(spec.raw)
    assert [d.description for d in spec.raw.values()][:1] == feeding[:1]  # the first form: SUBJID and USUBJID


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
    # the subject identifier is annotated once, on the first form, though every form collects it
    first = next(iter(spec.raw.values()))
    assert all(any(f.target == "DM.SUBJID" for f in form.fields) for form in spec.raw.values())
    assert pages["IT.DM.SUBJID"] == pages["IT.DM.USUBJID"] == str(text.index(next(
        t for t in text if f"CRF form {first.name} " in t)) + 1)
    assert "USUBJID = STUDYID || '-' || SUBJID" in text[int(pages["IT.DM.SUBJID"]) - 1]


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
    # each field shows its label, its format, its allowed values and its annotations
    annotated = book_annotations(spec.raw, spec.sdtm)
    for form in spec.raw.values():
        pages = " ".join(t for t in text if spec.raw[form.name].description in t)
        for f in form.fields:
            assert f.label in pages and f"[{f.name}]" in pages, f.name
            assert all(value in pages for value in f.allowed), f.name
            assert all(a.text in pages for a in annotated[(form.name, f.name)]), f.name


def test_a_domain_box_heads_every_page_of_a_form(acrf, spec):
    """Every page of a form, continuation pages included, carries the boxes of the domains the form feeds; the
    DM box only where the form feeds DM, not for the subject identifier every form repeats."""
    from cdisc_mirocals.submission.acrf.annotations import domain_label, form_domains

    _, text = acrf
    annotated = book_annotations(spec.raw, spec.sdtm)
    for form in spec.raw.values():
        pages = [t for t in text if f"CRF form {form.name} " in t]
        domains = form_domains(form, annotated)
        assert pages and domains, form.name
        for page in pages:
            assert all(domain_label(d, spec.sdtm) in page for d in domains), form.name
            if "DM" not in domains:
                assert "DM (Demographics)" not in page, form.name
        if "DM" not in domains:
            assert "Subject identifier: annotated on the first form only" in pages[0], form.name


def test_no_variable_is_annotated_twice_on_a_form_without_what_tells_the_records_apart(acrf, spec):
    """Two fields of a form annotated with the same words would leave a reviewer guessing which records each
    feeds (MHSTDTC for the date of first symptom and for the date of diagnosis): each carries its condition.
    The one exception is the end-of-treatment status and its reason, which code the same record (a
    discontinuation is coded by its reason)."""
    _, text = acrf
    annotated = book_annotations(spec.raw, spec.sdtm)
    repeated = {}
    for form in spec.raw.values():
        seen = {}
        for f in form.fields:
            for a in annotated[(form.name, f.name)]:
                if a.value is None:  # a preset may stand beside each field it applies to
                    seen.setdefault(a.text, []).append(f.name)
        repeated.update({(form.name, t): names for t, names in seen.items() if len(names) > 1})
    assert repeated == {("EOS", "DSDECOD when DSSCAT = STUDY TREATMENT"): ["EOTSTAT", "EOTREAS"],
                        ("EOS", "DSTERM when DSSCAT = STUDY TREATMENT"): ["EOTSTAT", "EOTREAS"]}
    everything = " ".join(text)
    for annotation in ("MHSTDTC when MHEVDTYP = SYMPTOM ONSET", "MHSTDTC when MHEVDTYP = DIAGNOSIS",
                       "MHTERM = AMYOTROPHIC LATERAL SCLEROSIS", "DSSTDTC when DSDECOD = INFORMED CONSENT OBTAINED",
                       "DSSTDTC when DSDECOD = RANDOMIZED", "SESTDTC when ETCD = SCRN", "SESTDTC when ETCD = RUNIN",
                       "SSDTC when SSTESTCD = SURVSTAT", "DSSTDTC when DSSCAT = SURVIVAL FOLLOW-UP", "DTHFL = Y",
                       "DSSTDTC when DSSCAT = STUDY PARTICIPATION", "DSDECOD when DSSCAT = STUDY PARTICIPATION"):
        assert annotation in everything, annotation


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
    ("When", "DS.DSSCAT = STUDY TREATMENT", "VAR a variable of a dataset that VS.WEIGHT feeds"),
    ("When", "VS.VSTESTCD = HEIGHT", "none beside the Test Code"),
    ("Preset", "VS.VSORRESU = parsecs", "a term of codelist VSRESU"),
    ("Preset", "VS.VSORRESU", "DS.VAR = VALUE"),
])
def test_a_wrong_test_code_or_other_target_is_refused(tmp_path, spec, column, value, expected):
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


def _normal(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper()


def test_each_condition_and_preset_is_what_the_mapping_writes(converted, spec, raw_study):
    """`DSSTDTC when DSSCAT = STUDY TREATMENT` tells a reviewer which records hold the field: the records meeting
    the condition hold the field's values (or the field's values are held there) in the main, and more so than
    for any other value of the condition variable
    (the mapping writes its categories in its own code, fields.csv's When in the spec: this holds them together).
    A preset (`MHCAT = PRIMARY DIAGNOSIS`) is the value of every record the field feeds."""
    from cdisc_mirocals.spec.raw import parse_assignment

    studyid = spec.study.studyid
    claims = {}  # (dataset, variable) -> [(preset value, the subjects whose records the field feeds)]
    for form in spec.raw.values():
        raw = raw_study[form.name]
        for f in form.fields:
            given = raw[raw[f.name].astype("string").str.strip().fillna("") != ""]
            for dataset, var, value in map(parse_assignment, f.preset):
                claims.setdefault((dataset, var), []).append((value, set(studyid + "-" + given["SUBJID"].str.strip())))
    checked = 0
    for form in spec.raw.values():
        raw = raw_study[form.name]
        for f in form.fields:
            given = raw[raw[f.name].astype("string").str.strip().fillna("") != ""]
            subjects = set(studyid + "-" + given["SUBJID"].str.strip())
            pairs = set(zip(studyid + "-" + given["SUBJID"].str.strip(), _normal(given[f.name])))
            when = {ds: (var, value) for ds, var, value in map(parse_assignment, f.when)}
            for target in f.targets:
                dataset, _, name = target.partition(".")
                if dataset not in when or name == when[dataset][0]:
                    continue
                var, value = when[dataset]
                sdtm = converted.sdtm.datasets[dataset]

                def share(records):
                    """The larger of: the records holding a value of the field; the field's values held there."""
                    held = set(zip(records["USUBJID"], _normal(records[name])))
                    return max(len(held & pairs) / max(len(held), 1), len(held & pairs) / len(pairs))
                mine = share(sdtm[sdtm[var] == value])
                others = [share(sdtm[sdtm[var] == v]) for v in sdtm[var].dropna().unique() if v != value]
                assert mine >= 0.5 and all(mine > o for o in others), (form.name, f.name, target, mine, others)
                checked += 1
            for dataset, var, value in map(parse_assignment, f.preset):
                sdtm = converted.sdtm.datasets[dataset]
                records = sdtm[sdtm["USUBJID"].isin(subjects)]
                if dataset in when:
                    records = records[records[when[dataset][0]] == when[dataset][1]]
                if f.test_code and dataset == f.target.partition(".")[0]:  # LBSPEC of the NFHP records
                    records = records[records[f"{dataset}TESTCD"] == f.test_code]
                # a record another field's preset gives another value comes from that field, for its subjects:
                # the DEAD status of a subject with a death report, not the last-known-alive date's ALIVE
                for other, other_subjects in claims.get((dataset, var), []):
                    if other != value:
                        records = records[~(records["USUBJID"].isin(other_subjects) & (records[var] == other))]
                assert len(records) and (records[var] == value).all(), (form.name, f.name, var, value)
                checked += 1
    assert checked >= 30


def test_the_coding_notes_speak_to_a_reviewer(acrf):
    _, text = acrf
    ae = " ".join(t for t in text if "CRF form AE " in t)
    assert "From the MedDRA coding" in ae and "AESOC equals AEBODSYS" in ae
    assert not any("Coding export" in t or "also AE." in t for t in text)


def _filled_texts(page) -> list[tuple[str, tuple | None]]:
    """[(text, fill)] of a page in drawing order, each text with the colour of the rectangle filled last before
    it: a domain box's or an annotation's words follow their own box. Read from the content stream's operators
    (rg, re, f/B, q/Q), not from our writer."""
    state, stack, out = {"rg": None, "fill": None, "rect": False}, [], []

    def before(op, args, cm, tm):
        if op == b"q":
            stack.append(state["rg"])
        elif op == b"Q":
            state["rg"] = stack.pop() if stack else None
        elif op == b"rg":
            state["rg"] = tuple(round(float(v) * 255) for v in args)
        elif op == b"re":
            state["rect"] = True
        elif op in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*") and state["rect"]:
            state["fill"], state["rect"] = state["rg"], False
        elif op in (b"S", b"s", b"n"):
            state["rect"] = False

    def text(t, cm, tm, font, size):
        if t.strip():
            out.append((" ".join(t.split()), state["fill"]))

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return out


def test_each_domain_has_one_colour_on_every_page(acrf, spec):
    """A domain's box and its annotations have one fill on every page of the aCRF (the cover says the
    annotations have 'the colour of their domain'), and the domains of a page differ in colour."""
    from cdisc_mirocals.submission.acrf.annotations import domain_label, form_domains
    from cdisc_mirocals.submission.acrf.layout import domain_fills

    reader, _ = acrf
    annotated = book_annotations(spec.raw, spec.sdtm)
    words = {}  # form -> {a domain box's or a one-line annotation's words: its domain}
    for form in spec.raw.values():
        mine = {domain_label(d, spec.sdtm): d for d in form_domains(form, annotated)}
        for f in form.fields:
            mine.update({a.text: a.domain for a in annotated[(form.name, f.name)]})
        words[form.name] = mine
    seen: dict[str, set] = {}
    boxes = 0
    for page in reader.pages:
        drawn = _filled_texts(page)
        form = next((t.removeprefix("CRF form ") for t, _ in drawn if t.startswith("CRF form ")), None)
        if form is None:
            continue  # the cover
        on_page: dict[str, set] = {}
        for t, fill in drawn:
            domain = words[form].get(t)
            if domain is not None:
                on_page.setdefault(domain, set()).add(fill)
                seen.setdefault(domain, set()).add(fill)
                boxes += t == domain_label(domain, spec.sdtm)
        assert all(len(fills) == 1 for fills in on_page.values()), (form, on_page)
        colours = [next(iter(fills)) for fills in on_page.values()]
        assert len(set(colours)) == len(colours), (form, on_page)
    assert boxes >= len(spec.raw)
    assert {d: fills for d, fills in seen.items() if len(fills) > 1} == {}
    assert set(seen) == {d for form in spec.raw.values() for d in form_domains(form, annotated)}
    # the colours are those the assignment gives, and the same inputs give the same colours
    fills = domain_fills(spec.raw, annotated)
    assert {d: next(iter(f)) for d, f in seen.items()} == fills == domain_fills(spec.raw, annotated)
    assert len(set(fills.values())) >= 6  # spread over the palette, not one colour for every single-domain form


def test_the_presets_of_a_page_stand_on_it(acrf, spec):
    """The values the mapping gives a form's records whatever was entered are annotated on that form's pages."""
    _, text = acrf
    expected = {
        "ENROL": ["MHENRTPT = ONGOING", "MHENTPT"],
        "CSF": ["LBCAT = BIOMARKER", "LBSPEC = CEREBROSPINAL FLUID", "LBORRES when LBTESTCD = NFHP"],
        "DEATH": ["DSCAT = DISPOSITION EVENT", "DSDECOD = DEATH", "SSORRES = DEAD"],
        "EOS": ["SSORRES = ALIVE", "CMENTPT when CMENRTPT = ONGOING", "AEENTPT when AEENRTPT = ONGOING"],
        "TREG": ["CPORRESU = 10^6/L", "Entered in cells/uL, tabulated in 10^6/L"],
    }
    for form, annotations in expected.items():
        pages = " ".join(t for t in text if f"CRF form {form} " in t)
        for annotation in annotations:
            assert re.search(_word(re.escape(annotation)), pages), (form, annotation)
