"""The analysis displays PDF (m5 .../analysis/adam/datasets/analysis-displays.pdf) and the links define.xml
makes into the submission: read back with pypdf, an independent reader, as the FDA's PDF specifications ask
(PDF 1.4 to 1.7, fonts embedded, bookmarks, no security); every ARM ResultDisplay's def:PDFPageRef lands on
the pages that show it; every def:leaf of either define.xml stays inside the m5 tree and exists."""

from __future__ import annotations

import dataclasses
import io
import re
from types import SimpleNamespace

import pytest
from lxml import etree

from cdisc_mirocals.analysis import tables
from cdisc_mirocals.analysis.report import secondary_table
from cdisc_mirocals.analysis.displays import render_displays
from cdisc_mirocals.spec.model import AnalysisDisplay
from cdisc_mirocals.submission.define.safe_xml import NS

pypdf = pytest.importorskip("pypdf")
XLINK = "{http://www.w3.org/1999/xlink}href"


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def report(converted):
    """The run's analyses, their files where convert published them (it wrote them into its build folder)."""
    folder = converted.out / "analysis"
    return dataclasses.replace(converted.analysis, files=[folder / p.name for p in converted.analysis.files])


@pytest.fixture(scope="module")
def adam_define(converted):
    return etree.parse(str(converted.adam_dir / "define.xml")).getroot()


@pytest.fixture(scope="module")
def displays_pdf(converted, adam_define):
    leaf = adam_define.find(".//def:leaf[@ID='LF.DISPLAYS']", NS)
    path = converted.adam_dir / leaf.get(XLINK)
    assert path.name == "analysis-displays.pdf" and path.parent == converted.adam_dir
    return path


@pytest.fixture(scope="module")
def reader(displays_pdf):
    return pypdf.PdfReader(str(displays_pdf))


@pytest.fixture(scope="module")
def page_text(reader):
    return [_words(page.extract_text()) for page in reader.pages]


def test_the_pdf_follows_the_fda_pdf_specifications(reader):
    assert reader.pdf_header in {f"%PDF-1.{n}" for n in range(4, 8)}
    assert not reader.is_encrypted
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():  # Type0 (CID) fonts: the descriptor is on the descendant
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{name} is not embedded"


def test_one_bookmark_per_display_at_its_first_page(reader, spec, adam_define):
    top = [o for o in reader.outline if not isinstance(o, list)]
    displays = adam_define.findall(".//arm:ResultDisplay", NS)
    names = [d.get("Name") for d in displays]
    assert [o.title for o in top][1:] == names  # after the contents page's own
    for display, outline in zip(displays, top[1:]):
        pages = display.find("def:DocumentRef/def:PDFPageRef", NS).get("PageRefs").split()
        assert reader.get_destination_page_number(outline) + 1 == int(pages[0])


def test_each_result_display_cites_the_pages_that_show_it(adam_define, page_text, converted, spec):
    displays = adam_define.findall(".//arm:ResultDisplay", NS)
    assert len(displays) == len(spec.adam.displays) >= 1
    seen = set()
    for display in displays:
        ref = display.find("def:DocumentRef", NS)
        assert ref.get("leafID") == "LF.DISPLAYS"
        page_ref = ref.find("def:PDFPageRef", NS)
        assert page_ref.get("Type") == "PhysicalRef"
        pages = [int(p) for p in page_ref.get("PageRefs").split()]
        assert pages == list(range(pages[0], pages[-1] + 1)) and not seen & set(pages)
        seen |= set(pages)
        first = page_text[pages[0] - 1]
        title = _words(display.find("odm:Description/odm:TranslatedText", NS).text)
        assert display.get("Name") in first and title in first, display.get("OID")
        # the numbers of its results, as tables.md prints them, stand on its pages
        text = " ".join(page_text[p - 1] for p in pages)
        keys = {r.key for r in spec.adam.analysis_results if r.display == display.get("OID")}
        for param in converted.analysis.results:
            rows = tables.comparison_table(param)
            for _, row in rows[rows["Key"].isin(keys)].iterrows():
                assert row["Estimate (95% CI)"] in text and row["p"] in text, (display.get("OID"), row["Key"])
        # every result the run made is shown, whichever part of the analyses made it
        assert "not among the results of this run" not in text, display.get("OID")
        for res in converted.analysis.secondary.values():
            if res.key in keys and (table := secondary_table(res)) is not None:
                for cell in table.iloc[:3].to_numpy().ravel():
                    assert _words(str(cell)) in _words(text), (display.get("OID"), res.key, cell)
    assert max(seen) == len(page_text)  # the last display runs to the last page


def test_the_numbers_are_those_of_tables_md(converted, page_text):
    markdown = (converted.out / "analysis" / "tables.md").read_text()
    text = " ".join(page_text)
    primary = converted.analysis.results[0]
    hr = primary["cox_unadjusted"].row("hr")
    shown = f"HR {hr['estimate']:.2f} ({hr['ci_lower']:.2f}, {hr['ci_upper']:.2f})"
    assert shown in markdown and shown in text
    km = tables.survival_table(primary)
    for cell in km.iloc[:, 0]:
        assert cell in markdown and cell in text


def test_simulated_data_say_so_on_every_page_and_real_data_do_not(report, page_text, spec):
    notice = report.provenance["data_notice"]
    assert notice and all(notice in text for text in page_text)
    real = dataclasses.replace(report, provenance={**report.provenance, "data_notice": None})
    pdf, _ = render_displays(real, spec.adam.displays, spec.adam.analysis_results, title="t", notice=None)
    again = pypdf.PdfReader(io.BytesIO(pdf.render()))
    assert not any("SIMULATED" in page.extract_text() for page in again.pages)


def test_the_layout_is_generic_over_the_displays_of_the_spec(report):
    """A display of a safety result, and one of a result this run does not have: nothing is written per display."""
    displays = {"RD.AE": AnalysisDisplay("RD.AE", "TEAE overview display", "Overview of treatment-emergent adverse "
                                         "events, safety population", "LF.DISPLAYS", ""),
                "RD.NEW": AnalysisDisplay("RD.NEW", "Another display", "A result still to come", "LF.DISPLAYS", "")}
    results = [SimpleNamespace(display="RD.AE", key="SAFETY/overview", description="overview"),
               SimpleNamespace(display="RD.AE", key="SAFETY/soc_pt", description="by SOC and PT"),
               SimpleNamespace(display="RD.NEW", key="XYZ/none", description="A result still to come")]
    pdf, pages = render_displays(report, displays, results, title="t")
    reader = pypdf.PdfReader(io.BytesIO(pdf.render()))
    text = [_words(p.extract_text()) for p in reader.pages]
    first, last = pages["RD.AE"]
    shown = " ".join(text[first - 1:last])
    overview = report.safety["overview"]
    assert "TEAE overview display" in text[first - 1] and overview.title in shown
    for cell in tables.overview_table(overview).iloc[:, 0]:
        assert cell in shown
    assert "Figure: Most frequent treatment-emergent adverse events" in shown  # the dot plot of SOC/PT
    first, _ = pages["RD.NEW"]
    assert "Another display" in text[first - 1] and "not among the results of this run" in text[first - 1]
    assert pages["RD.NEW"][0] > pages["RD.AE"][1]


@pytest.mark.parametrize("standard", ["SDTM", "ADaM"])
def test_no_leaf_leaves_the_m5_tree_and_every_leaf_exists(converted, standard):
    folder = converted.sdtm_dir if standard == "SDTM" else converted.adam_dir
    m5 = (converted.out / "m5").resolve()
    root = etree.parse(str(folder / "define.xml")).getroot()
    leaves = root.findall(".//def:leaf", NS)
    assert leaves
    for leaf in leaves:
        href = leaf.get(XLINK)
        target = (folder / href).resolve()
        assert "://" not in href and target.is_relative_to(m5), href
        assert target.is_file(), href
    cited = {ref.get("leafID") for ref in root.iter("{%s}DocumentRef" % NS["def"])}
    assert cited <= {leaf.get("ID") for leaf in leaves}


def test_without_the_analyses_the_displays_cite_no_document(converted, spec):
    """convert --no-analysis writes no displays PDF: its define.xml then links none (a link would lead nowhere)."""
    from cdisc_mirocals.submission.define import build_define
    from cdisc_mirocals.submission.xport_reader import read_xpt_file

    frames = {p.stem.upper(): read_xpt_file(p).frame for p in sorted(converted.adam_dir.glob("*.xpt"))}
    root = etree.fromstring(build_define(spec, "ADaM", frames))
    assert root.findall(".//arm:ResultDisplay", NS)
    assert root.find(".//arm:ResultDisplay/def:DocumentRef", NS) is None
    assert root.find(".//def:leaf[@ID='LF.DISPLAYS']", NS) is None
    assert root.find(".//def:leaf[@ID='LF.PGM.SURVIVAL']", NS) is not None  # the programs are always written


def _display_pages(adam_define) -> dict[str, list[int]]:
    return {d.get("OID"): [int(p) for p in d.find("def:DocumentRef/def:PDFPageRef", NS).get("PageRefs").split()]
            for d in adam_define.findall(".//arm:ResultDisplay", NS)}


def test_a_page_a_table_continues_on_names_the_table(converted, adam_define, page_text, spec):
    """Every page of a display after its first starts a result, holds a figure, or names the table it
    continues with '(continued)'; that name is one of the display's own results or tables."""
    titles = {r.key: r.title for r in converted.analysis.all_results()}
    survival = {x.key: p.data.paramcd for p in converted.analysis.results for x in p.results.values()}
    continued = 0
    for oid, pages in _display_pages(adam_define).items():
        keys = [r.key for r in spec.adam.analysis_results if r.display == oid]
        own = {titles[k] for k in keys if k in titles} | {f"{survival[k]}: " for k in keys if k in survival}
        for page in pages[1:]:
            text = page_text[page - 1]
            if "(continued)" in text:
                continued += 1
                assert any(title in text.split(" (continued)")[0] for title in own), (oid, page)
            else:
                assert "Figure:" in text or any(title in text for title in own), (oid, page)
    assert continued >= 5  # the Treg, SOC/PT, lab, vital-sign and exposure tables run over pages
    treg = next(p for p, t in enumerate(page_text, 1) if "Change from baseline in Regulatory T Cells (10^6/L): "
                "ANCOVA by visit (continued)" in t)
    assert "MONTH 18" in page_text[treg - 1]


def test_population_labels_numbers_and_methods_read_as_a_reviewer_reads_them(page_text, adam_define):
    text = " ".join(page_text)
    assert not re.findall(r"\b[A-Z0-9]{2,8}FL[;:] n =", text)  # 'ITTFL; n = 216' before
    assert "Safety population: n = 219" in text and "Intent-to-treat population: n = 216" in text
    assert not re.findall(r"-0\.0+(?![0-9])", text)  # a value that rounds to zero has no sign
    documentation = " ".join(d.text or "" for d in adam_define.iter("{%s}Documentation" % NS["arm"]))
    for said in (text, documentation):
        for r_words in ("cox.zph", "R type 7", "R quantile", "survival 3.x", "survdiff"):
            assert r_words not in said, r_words
    assert "Hyndman-Fan type 7" in text and "Grambsch-Therneau score test" in text
    assert "Log-rank test Aldesleukin 2 MIU vs Placebo chi-square" in text and "all arms" not in text


def _drawn_images(page) -> list[str]:
    """The sha256 of each image the page's content stream draws ("/name Do"). Not pypdf's page.images:
    fpdf2 before 2.8 gives every page one resource dictionary holding all the document's images, so that
    each page would list them all."""
    import hashlib

    xobjects = page["/Resources"].get("/XObject", {})
    names = re.findall(rb"/([^\s/]+)\s+Do\b", page.get_contents().get_data())
    return [hashlib.sha256(xobjects[f"/{n.decode()}"].get_object().get_data()).hexdigest() for n in names
            if f"/{n.decode()}" in xobjects]


def test_each_display_shows_the_forest_plot_of_its_own_cox_models(converted, adam_define, reader, spec):
    from cdisc_mirocals.analysis.figures import _forest_rows
    from cdisc_mirocals.analysis.survival import COX

    shown = {}
    for oid, pages in _display_pages(adam_define).items():
        keys = {r.key for r in spec.adam.analysis_results if r.display == oid}
        cox = [(p, n) for p in converted.analysis.results for n, x in p.results.items() if x.key in keys and n in COX]
        captions = sum(reader.pages[p - 1].extract_text().count("Hazard ratios of the Cox models") for p in pages)
        assert captions == (1 if cox else 0), oid
        if cox:
            images = [digest for p in pages for digest in _drawn_images(reader.pages[p - 1])]
            shown[oid] = set(images)
            param = cox[0][0]
            own = dataclasses.replace(param, results={n: param.results[n] for _, n in cox})
            labels = [r.get("label") for r in _forest_rows([own])[0] if "label" in r]
            assert len(labels) == sum(len(param.results[n].rows("hr")) + len(param.results[n].rows("interaction"))
                                      for _, n in cox if param.results[n].done), oid
    assert len(shown) >= 3
    # no forest plot is printed under two displays: each display has an image no other display has
    figures = list(shown.values())
    for a, images in enumerate(figures):
        elsewhere = set().union(*(f for b, f in enumerate(figures) if b != a))
        assert images - elsewhere, list(shown)[a]


def test_an_exposure_parameter_stays_on_one_page_with_its_statistics(converted, page_text):
    table = tables.exposure_table(converted.analysis.exposure)
    labels = [i for i in table.index if not i.startswith(" ")]
    for label in labels:
        page = next(t for t in page_text if label in t)
        assert "Min, max" in page.split(label, 1)[1], label
    cycles = table.iloc[table.index.get_loc("Number of Treatment Cycles Started") + 4].tolist()
    assert all(re.fullmatch(r"\d+, \d+", c) for c in cycles)  # counts: "1, 19", not "1.0, 19.0"


def test_the_sponsor_is_the_author_as_in_the_other_pdfs(reader, spec):
    assert reader.metadata.author == spec.study["study"]["sponsor"]


def test_no_methods_label_ends_a_page_and_no_table_starts_with_one_row_at_a_foot(reader, converted):
    pages = [[line.strip() for line in page.extract_text().splitlines() if line.strip()] for page in reader.pages]
    for n, lines in enumerate(pages, 1):
        body = [x for x in lines if not re.fullmatch(r"Page \d+ of \d+", x)]
        assert body[-1] != "Methods", n
    # the serious-TEAE table: its first row ("Any serious TEAE") on the page of the first SOC under it
    serious = tables.serious_table(converted.analysis.safety["serious"])
    first_soc = serious.index[1]
    assert any("Any serious TEAE" in " ".join(p) and first_soc in " ".join(p) for p in pages)


def test_models_say_what_they_leave_out_and_what_their_numbers_count(converted, page_text):
    text = " ".join(page_text)
    for p in converted.analysis.results:
        everyone = len(p.data.frame)
        for name, res in p.results.items():
            if name in ("cox_adjusted", "cox_log_pnfh") and res.done and res.n < everyone:
                assert f"complete cases: {everyone - res.n} of {everyone} subjects left out for a missing covariate" \
                    in text, res.key
    mmrm = [r for r in converted.analysis.secondary.values() if r.key.endswith("/mmrm") and r.done]
    assert mmrm
    for res in mmrm:
        said = f"subjects with a baseline and at least one post-baseline value up to MONTH 18: n = {res.n}"
        assert said in text, res.key
    assert "Intent-to-treat population: n = 198" not in text
    # model labels read as the variables' labels, not as their names
    for name in ("STRATAR", "log(PNFHBL)", "PNFHBL"):
        assert f"stratified by {name}" not in text and f"adjusted for {name}" not in text
    assert "Cox: stratified by strata used for randomization" in text


def test_tables_head_their_columns_as_a_reader_needs(converted, page_text):
    text = " ".join(page_text)
    n = converted.analysis.safety["severity"].parameters["n_by_arm"]
    for arm, count in n.items():
        for severity in ("Mild", "Moderate", "Severe"):
            assert f"{arm} (N = {count}): {severity}" in text
    # the relative risk is in the dot plot only, and the methods say so
    assert "the relative risk, with a log-scale CI, is shown in the dot plot" in text
    from cdisc_mirocals.analysis.secondary_tables import cafs_table

    cafs = next(r for r in converted.analysis.secondary.values() if r.key == "CAFS/wilcoxon")
    table = cafs_table(cafs)
    test = table.iloc[-1]
    assert test["Mean CAFS score"] == "" and test["Wilcoxon rank-sum test: W"] and test["p"]
    assert (table.iloc[:-1]["Wilcoxon rank-sum test: W"] == "").all()


def test_a_significant_proportional_hazards_test_is_noted_under_its_table(converted, adam_define, page_text, spec):
    from cdisc_mirocals.analysis.survival import COX

    noted = 0
    for oid, pages in _display_pages(adam_define).items():
        keys = {r.key for r in spec.adam.analysis_results if r.display == oid}
        shown = " ".join(page_text[p - 1] for p in pages)
        for p in converted.analysis.results:
            for name, res in p.results.items():
                if res.key in keys and name in COX and res.done:
                    significant = res.get("ph_global", "p") < p.data.options.alpha
                    if significant:
                        noted += 1
                        assert f"proportional-hazards test is significant at the 5% level" in shown, oid
                        assert res.title in shown.split("proportional-hazards test is significant")[1], oid
                        rmst = f"{p.data.paramcd}/rmst" in keys
                        assert ("see the restricted mean survival time" in shown) == rmst, oid
    assert noted  # OS640's PH test is significant in these data (p = 0.023)
