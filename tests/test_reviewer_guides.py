"""The reviewer's guides (csdrg.pdf beside the SDTM datasets, adrg.pdf beside the ADaM datasets), read back
with pypdf, an independent reader: they open, meet the FDA's PDF specifications, carry the PHUSE template's
sections as bookmarks, list every finding of the validation report with its count and explanation (an
unexplained one as unexplained, which convert says too), are linked from define.xml, speak to a reviewer,
and are reproducible."""

import dataclasses
import re
from io import BytesIO

import pandas as pd
import pytest
from lxml import etree

pypdf = pytest.importorskip("pypdf")

from cdisc_mirocals.errors import SpecError  # noqa: E402
from cdisc_mirocals.simulated import notice  # noqa: E402
from cdisc_mirocals.spec import load_spec  # noqa: E402
from cdisc_mirocals.spec.explanations import Explanation, explain  # noqa: E402
from cdisc_mirocals.submission.guides import GUIDES, Guides, write_guides  # noqa: E402
from cdisc_mirocals.submission.guides.conformance import conformance_rows  # noqa: E402
from cdisc_mirocals.submission.guides.sections import UNEXPLAINED  # noqa: E402
from cdisc_mirocals.validate.report import FINDING_COLUMNS, Report  # noqa: E402
from test_define_reviewer import DEVELOPER_TEXT, NS  # noqa: E402

XLINK = "{http://www.w3.org/1999/xlink}href"
SECTIONS = {
    "SDTM": ["1 Introduction", "2 Protocol Description", "3 Subject Data Description", "4 Data Conformance Summary"],
    "ADaM": ["1 Introduction", "2 Protocol Description", "3 Analysis Considerations Related to Multiple Analysis "
             "Datasets", "4 Analysis Data Creation and Processing Issues", "5 Analysis Datasets",
             "6 Data Conformance Summary", "7 Submission of Programs"],
}


def _folder(converted, standard):
    return converted.sdtm_dir if standard == "SDTM" else converted.adam_dir


def _reader(path):
    return pypdf.PdfReader(BytesIO(path.read_bytes()))


def _text(reader) -> str:
    """The text of every page, with runs of white space made one, as a reviewer's search sees it."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _titles(outline) -> list[str]:
    out = []
    for item in outline:
        out += _titles(item) if isinstance(item, list) else [item.title]
    return out


@pytest.fixture(scope="module", params=["SDTM", "ADaM"])
def guide(request, converted):
    standard = request.param
    path = _folder(converted, standard) / GUIDES[standard]
    reader = _reader(path)
    return standard, path, reader, _text(reader)


def test_each_guide_opens_as_the_fda_pdf_specifications_ask(guide):
    standard, path, reader, text = guide
    assert reader.pdf_header in {"%PDF-1.4", "%PDF-1.5", "%PDF-1.6", "%PDF-1.7"}
    assert not reader.is_encrypted
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), (path.name, font)
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_bookmarks_follow_the_phuse_template_sections(guide, spec):
    standard, path, reader, text = guide
    titles = _titles(reader.outline)
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top[1:] == SECTIONS[standard], top
    submitted = {p.stem.upper() for p in path.parent.glob("*.xpt")}
    # a bookmark per dataset submitted, under the subject data or analysis datasets section
    for name in submitted:
        std = spec.sdtm if standard == "SDTM" else spec.adam
        assert any(t.endswith(f" {name} - {std[name].description}") for t in titles), name
    for page in range(len(reader.pages)):
        assert f"Page {page + 1} of {len(reader.pages)}" in reader.pages[page].extract_text()


def test_a_dataset_section_carries_the_sponsors_notes_on_its_data(converted, spec):
    """An explanation with no rule (deaths with no fatal AE) stands in the section of its dataset."""
    text = _text(_reader(converted.sdtm_dir / GUIDES["SDTM"]))
    notes = [e for e in spec.explanations if not e.rule]
    assert notes
    for e in notes:
        section = text[text.index(f" {e.dataset} - {spec.sdtm[e.dataset].description}"):]
        section = section[:re.search(r" \d\.\d\.\d+ [A-Z]", section[5:]).start() + 5]
        assert re.sub(r"\s+", " ", e.text) in section, e


def test_the_first_page_says_the_data_are_simulated(guide, spec):
    standard, path, reader, text = guide
    first = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert f"{notice(spec.study.studyid)}." in first
    assert spec.study["study"]["protocol"] in first and spec.study["study"]["sponsor"] in first


def test_every_finding_of_the_validation_report_is_in_the_conformance_summary(guide, converted):
    """Each rule, dataset and variables of the report's findings, with the records they stand for and the text of
    the spec's explanation that the guide names for them."""
    standard, path, reader, text = guide
    report = converted.validation.reports["sdtm" if standard == "SDTM" else "adam"]
    spec = load_spec()
    f = report.findings
    summary = text[text.index("Conformance Inputs"):]
    groups = f.groupby(["rule", "dataset", "variables"])["count"].sum()
    for (rule, dataset, variables), records in groups.items():
        e = explain(spec.explanations, rule, dataset, tuple(v.strip() for v in variables.split(",")))
        assert e is not None, (rule, dataset, variables)  # the default study leaves nothing unexplained
        row = re.escape(f"{rule}") + r".{0,200}?" + re.escape(dataset) + r".{0,120}?" + re.escape(f"{records:,}")
        assert re.search(row, summary), (rule, dataset, variables, records)
        assert re.sub(r"\s+", " ", e.text)[:60] in summary, (rule, dataset)
    if standard == "SDTM":
        assert len(groups) >= 10  # the default study's findings, so that the loop above proves something
    assert ("Every finding that remains is explained above." if len(groups)
            else "The validation report has no finding") in summary
    assert "UNEXPLAINED" not in summary
    assert converted.guides.summary() is None


def test_the_conformance_inputs_name_the_validator_and_what_it_checked_against(guide, converted):
    standard, path, reader, text = guide
    report = converted.validation.reports["sdtm" if standard == "SDTM" else "adam"]
    context = report.context()
    for value in (context["validator"], context["controlled terminology"]):
        assert value in text
    assert ("SDTMIG 3.4" if standard == "SDTM" else "ADaMIG 1.3") in text


def test_the_adrg_gives_population_counts_and_lists_the_submitted_programs(converted, spec):
    text = _text(_reader(converted.adam_dir / GUIDES["ADaM"]))
    adsl = pd.read_sas(converted.adam_dir / "adsl.xpt", format="xport", encoding="utf-8")
    for flag in ("ITTFL", "SAFFL"):
        total = int((adsl[flag] == "Y").sum())
        assert re.search(rf"\({flag}\)( \S+)* {total:,}", text), flag
    programs = sorted(p.name for p in (converted.out / "m5/datasets/mirocals/analysis/adam/programs").glob("*.txt"))
    assert programs and all(name in text for name in programs)


def test_a_guide_says_nothing_for_developers(guide):
    standard, path, reader, text = guide
    found = sorted({m.group(0) for m in DEVELOPER_TEXT.finditer(text)})
    assert not found, (path.name, found)


# a note to the sponsor's staff or the trail of how a text was made; rule IDs are the guide's matter
TODO = re.compile(r"\breplaced?\b|\bto be confirmed\b|\bto confirm\b|\bbefore submission\b|\breconciliation\b"
                  r"|\bvaluelevel\b|\bsearched for\b|\badmiral\b|MyChem|Monarch|DrugBank|the validator's own",
                  re.IGNORECASE)


def test_a_guide_has_no_unfinished_note(guide):
    standard, path, reader, text = guide
    assert TODO.search("Criterion texts summarise the protocol and must be replaced by the verbatim protocol text")
    found = sorted({m.group(0) for m in TODO.finditer(text)})
    assert not found, (path.name, found)


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def test_the_csdrg_states_the_assumptions_of_the_simulated_study_once(converted, spec):
    reader = _reader(converted.sdtm_dir / GUIDES["SDTM"])
    text = _text(reader)
    assumptions = spec.study["study"]["assumptions"]
    assert len(assumptions) >= 4
    assert "1.4 Assumptions of the Simulated Study" in _titles(reader.outline)
    section = _section(text, "1.4 Assumptions of the Simulated Study", "2 Protocol Description")
    for assumption in assumptions:
        assert re.sub(r"\s+", " ", assumption) in section, assumption


def test_the_csdrg_prints_the_trial_summary_as_a_table(converted):
    text = _text(_reader(converted.sdtm_dir / GUIDES["SDTM"]))
    section = _section(text, "TS - Trial Summary", "3 Subject Data Description")
    assert "TSPARMCD TSPARM TSVAL" in section
    ts = pd.read_sas(converted.sdtm_dir / "ts.xpt", format="xport", encoding="utf-8")
    at = -1
    for _, row in ts.iterrows():  # every record, in the order of TS, with its value or its null flavor
        at = section.index(f"{row['TSPARMCD']} ", at + 1)
        value = row["TSVAL"].strip() or f"null flavor {row['TSVALNF'].strip()}"
        assert re.sub(r"\s+", " ", value)[:30].split(" ")[0] in section[at:at + 400], row["TSPARMCD"]


def test_the_csdrg_describes_every_qualifier_suppae_holds(converted):
    text = _text(_reader(converted.sdtm_dir / GUIDES["SDTM"]))
    section = _section(text, "SUPPAE - Supplemental Qualifiers for AE", "DS - Disposition")
    suppae = converted.sdtm.datasets["SUPPAE"]
    assert len(suppae) and set(suppae["QNAM"]) == {"AETRTEM"}
    for qnam in set(suppae["QNAM"]):
        assert qnam in section
    assert "TRTEMFL" in section and "Derived" in section


def test_the_conformance_summary_says_what_ran_and_what_each_further_check_checks(guide):
    standard, path, reader, text = guide
    summary = _section(text, "Conformance Inputs", "Issues Summary")
    assert "Pinnacle 21 itself was not run" in summary
    for rule in sorted(set(re.findall(r"\bMC\d{4}\b", text[text.index("Issues Summary"):]))):
        assert re.search(rf"{rule}: [A-Z][\w-]* [\w-]+ ", summary), rule  # described in words


def test_the_adrg_shows_titles_not_internal_keys_and_one_row_per_derivation(converted, spec):
    text = _text(_reader(converted.adam_dir / GUIDES["ADaM"]))
    programs = text[text.index("7 Submission of Programs"):]
    for result in spec.adam.analysis_results:
        assert result.key not in text, result.key
        assert re.sub(r"\s+", " ", spec.adam.displays[result.display].name) in programs, result.display
    for variables, derivation in (("TRT01P, TRT01PN", "TRT01P = DM.ARM"), ("TRT01A, TRT01AN", "TRT01A = DM.ACTARM")):
        assert variables in text and text.count(derivation) == 1, derivation


def test_a_short_table_is_not_split_over_two_pages(guide, spec):
    """The planned visits stand on one page, their introduction with them."""
    standard, path, reader, text = guide
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in reader.pages]
    visits = [v["visit"] for v in spec.study["schedule"]["visits"]]
    page = next(p for p in pages if "Planned visits (study day 1" in p)
    assert all(re.search(rf"\b{v}\b", page) for v in visits), standard

def test_define_xml_links_its_guide_as_a_supplemental_document(converted):
    for standard in ("SDTM", "ADaM"):
        folder = _folder(converted, standard)
        root = etree.parse(str(folder / "define.xml")).getroot()
        mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
        children = [etree.QName(c).localname for c in mdv]
        assert children.index("SupplementalDoc") == children.index("Standards") + 1 + ("AnnotatedCRF" in children)
        refs = mdv.findall("def:SupplementalDoc/def:DocumentRef", NS)
        leaves = {leaf.get("ID"): leaf.get(XLINK) for leaf in mdv.iterfind("def:leaf", NS)}
        assert [leaves[r.get("leafID")] for r in refs] == [GUIDES[standard]]
        assert (folder / GUIDES[standard]).is_file()
        text = " ".join(root.itertext())
        assert "No Clinical Study Data Reviewer's Guide" not in text and "No Analysis Data Reviewer's Guide" not in text


def test_guides_are_byte_identical_for_the_same_inputs(converted, spec, tmp_path):
    reports = {"SDTM": converted.validation.reports["sdtm"], "ADaM": converted.validation.reports["adam"]}
    for n in (1, 2):
        folders = {"SDTM": tmp_path / str(n) / "sdtm", "ADaM": tmp_path / str(n) / "adam"}
        for folder in folders.values():
            folder.mkdir(parents=True)
        (folders["ADaM"] / "adsl.xpt").write_bytes((converted.adam_dir / "adsl.xpt").read_bytes())
        (folders["SDTM"] / "ts.xpt").write_bytes((converted.sdtm_dir / "ts.xpt").read_bytes())
        write_guides(folders, reports, spec, simulated=True)
    for standard, folder in (("SDTM", "sdtm"), ("ADaM", "adam")):
        first = (tmp_path / "1" / folder / GUIDES[standard]).read_bytes()
        assert first == (tmp_path / "2" / folder / GUIDES[standard]).read_bytes()
        assert first == (_folder(converted, standard) / GUIDES[standard]).read_bytes()  # and as convert wrote it


# --- an unexplained finding -----------------------------------------------------------------------------------

def _report(findings: list[dict]) -> Report:
    rows = [{**{c: "" for c in FINDING_COLUMNS}, "record": 1, "count": 1, "category": "Consistency", **f}
            for f in findings]
    datasets = pd.DataFrame([{"dataset": "DM", "label": "Demographics", "class": "SPECIAL PURPOSE", "records": 3,
                              "variables": 5, "file": "dm.xpt", "format": "XPT", "model": "DM"}])
    return Report("sdtm", "sdtmig-3.4", "define.xml (SDTMIG 3.4)", "define.xml", "specs", "SDTM CT 2025-03-28",
                  datasets, pd.DataFrame(columns=["rule"]), pd.DataFrame(rows), version="9.9")


FINDINGS = [
    {"rule": "SD9999", "severity": "Error", "dataset": "DM", "variables": "AGE", "message": "Age is odd"},
    {"rule": "SD9999", "severity": "Error", "dataset": "DM", "variables": "AGE", "message": "Age is odd"},
    {"rule": "SD1339", "severity": "Warning", "dataset": "DM", "variables": "EPOCH", "message": "Missing EPOCH"},
    {"rule": "CT2002", "severity": "Warning", "dataset": "DM", "variables": "RACE", "message": "Not in codelist",
     "count": 4},
]
EXPLANATIONS = (Explanation("SD1339", "", "", "Any EPOCH finding."), Explanation("SD1339", "DM", "EPOCH", "DM's own."),
                Explanation("", "DM", "RACE", "Race as collected."))


def test_the_most_specific_explanation_wins_and_a_blank_key_matches_any():
    rows = conformance_rows(_report(FINDINGS), EXPLANATIONS)
    by_rule = {r.rule: r for r in rows}
    assert [r.rule for r in rows] == ["SD9999", "CT2002", "SD1339"]  # Errors first
    assert by_rule["SD9999"].findings == 2 and by_rule["SD9999"].explanation is None
    assert by_rule["SD1339"].explanation == "DM's own."
    assert by_rule["CT2002"].explanation == "Race as collected." and by_rule["CT2002"].records == 4
    assert explain(EXPLANATIONS, "SD1339", "AE", ("EPOCH",)).text == "Any EPOCH finding."


def test_an_unexplained_finding_is_listed_as_unexplained_and_convert_says_so(tmp_path, spec, capsys):
    from cdisc_mirocals.cli import _echo_converted

    small = dataclasses.replace(spec, explanations=EXPLANATIONS)
    folders = {"SDTM": tmp_path / "sdtm", "ADaM": tmp_path / "adam"}
    for folder in folders.values():
        folder.mkdir()
    reports = {"SDTM": _report(FINDINGS), "ADaM": _report([])}
    guides = write_guides(folders, reports, small)
    assert [r.rule for r in guides.unexplained] == ["SD9999"]
    assert guides.summary() == ("1 validation finding remains without an explanation for the reviewer's guide: "
                                "SD9999 on DM (AGE)")
    text = _text(_reader(folders["SDTM"] / GUIDES["SDTM"]))
    assert re.sub(r"\s+", " ", UNEXPLAINED) in text
    assert "1 finding has no explanation yet: \u2022 SD9999 (Error) on DM, AGE: Age is odd; 2 records" in text
    assert "DM's own." in text and "SIMULATED" not in text  # data not marked as simulated say nothing of it
    adrg = _text(_reader(folders["ADaM"] / GUIDES["ADaM"]))
    assert "The validation report has no finding" in adrg

    class Result:  # what convert hands the CLI, reduced to what it prints
        simulated, written, log, guides = False, {"SDTM": (), "ADaM": ()}, [], None
        sdtm_dir, adam_dir, reconciliation_path, log_path, validation_dir = (tmp_path,) * 5

        class sdtm:
            notes = []

            @staticmethod
            def counts():
                return pd.DataFrame()

        class validation:
            @staticmethod
            def summary():
                return []

    Result.guides = guides
    _echo_converted(Result)
    out = capsys.readouterr().out
    assert "note: 1 validation finding remains without an explanation for the reviewer's guide: SD9999 on DM (AGE)" in out
    Result.guides = Guides([], {"SDTM": []})
    _echo_converted(Result)
    assert "without an explanation" not in capsys.readouterr().out


# --- the sponsor's file -----------------------------------------------------------------------------------------

def _specs_with(tmp_path, rows: str):
    import shutil

    from cdisc_mirocals.spec import default_spec_root

    root = tmp_path / "specs"
    shutil.copytree(default_spec_root(), root)
    (root / "review" / "findings_explanations.csv").write_text("Rule,Dataset,Variable,Explanation\n" + rows,
                                                               encoding="utf-8")
    return root


@pytest.mark.parametrize("row, expected", [
    ('SD1339,MH,EPOCH,"See specs/sdtm/comments.csv"', "no repository path, spec file name or internal identifier"),
    ("SD1339,MH,EPOCH,Set by MT.EPOCH", "no repository path"),
    ("SD1339,MH,EPOCH,One\nSD1339,MH,EPOCH,Two", "one explanation per rule, dataset and variable; line 2"),
    ("not a rule,MH,EPOCH,Text", "a rule ID such as SD1339"),
    (",,EPOCH,Text", "a rule or a dataset"),
    ("SD1339,mh,,Text", "a dataset name"),
    ("SD1339,MH,EPOCH,", "a value is required"),
])
def test_the_explanations_file_refuses_what_a_reviewer_should_not_read(tmp_path, row, expected):
    with pytest.raises(SpecError) as err:
        load_spec(_specs_with(tmp_path, row + "\n"))
    assert "review/findings_explanations.csv" in str(err.value) and expected in str(err.value)


def test_the_adrg_gives_the_visit_windows_record_selection_and_imputations_of_define(converted, spec):
    """ADRG 3.5 and 3.6 (PHUSE template): every analysis visit window of the spec, each dataset's rule for
    AVISIT, ABLFL and ANL01FL, and every imputation method, in define.xml's words; 4.1 and 4.3 say nothing
    is split or intermediate, and 7.2 says the dataset programs are not submitted."""
    text = _text(_reader(converted.adam_dir / GUIDES["ADaM"]))
    windows = _section(text, "3.5 Visit Windowing", "3.6 Imputation Methods")
    assert spec.windows
    for w in spec.windows:
        assert re.search(rf"\b{w.avisitn:g} {w.avisit} {w.awlo:g} {w.awhi:g}\b", windows), w
    std = spec.adam
    rules = [std.methods[v.method] for ds in std.datasets.values() for v in ds.variables
             if v.name in ("AVISIT", "ABLFL", "ANL01FL") and v.method in std.methods]
    assert len(rules) >= 8
    for method in rules:
        assert " ".join(method.description.split()[:12]) in windows, method.id
    imputations = _section(text, "3.6 Imputation Methods", "4 Analysis Data Creation")
    imputed = [m for m in std.methods.values() if m.type == "Imputation"]
    assert len(imputed) >= 5 and all(" ".join(m.description.split()[:12]) in imputations for m in imputed)
    assert "4.1 Split Datasets" in text and "4.3 Intermediate Datasets" in text
    assert "7.2 ADaM Programs" in _section(text, "7 Submission of Programs", "7.3 Analysis Output Programs")


def test_the_adrg_of_simulated_data_states_the_survival_model_behind_the_pnfh_results(converted, spec):
    """Every high-pNFH subject may die in the default study: the ADRG says it is the simulation's assumption,
    in the calibration's own numbers."""
    text = _text(_reader(converted.adam_dir / GUIDES["ADaM"]))
    sim = spec.study["simulation"]
    note = _section(text, "1.4 The Simulated Data", "2 Protocol Description")
    assert f"{100 * sim['death_640_placebo_high']:.0f}% of those above it" in note
    assert f"{100 * sim['death_640_placebo_low']:.0f}% of the patients" in note and "pg/mL" in note


def test_the_csdrg_names_the_annotated_crf_in_a_sentence_that_reads(converted):
    text = _text(_reader(converted.sdtm_dir / GUIDES["SDTM"]))
    section = _section(text, "3.2 Annotated CRFs", "3.3 SDTM Subject Domains")
    assert "is Annotated Case Report Form" not in section
    assert "submitted with the datasets as acrf.pdf" in section


def test_the_adrg_says_how_the_adqs_baseline_and_adsl_alsfrsbl_differ(converted):
    """ADSL.ALSFRSBL is the CRF total, ADQS's baseline the total computed from the items (prorated): the
    guide says what each is, and the data show they differ only where ADQS prorated the baseline."""
    text = _text(_reader(converted.adam_dir / GUIDES["ADaM"]))
    assert "as for ADSL.ALSFRSBL" not in text
    assert "prorated" in text and "written on the CRF" in text
    adsl = pd.read_sas(converted.adam_dir / "adsl.xpt", format="xport", encoding="utf-8")
    adqs = pd.read_sas(converted.adam_dir / "adqs.xpt", format="xport", encoding="utf-8")
    base = adqs[(adqs["PARAMCD"] == "ALSFRST") & (adqs["ABLFL"] == "Y")]
    both = adsl[["USUBJID", "ALSFRSBL"]].merge(base[["USUBJID", "AVAL", "DTYPE"]], on="USUBJID")
    differ = both[both["ALSFRSBL"].ne(both["AVAL"])]
    assert len(differ) and (differ["DTYPE"] == "AVERAGE").all()
