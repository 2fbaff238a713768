"""The PDF writer meets the FDA's PDF specifications, read back with pypdf (an independent reader): PDF 1.4
to 1.7, no security, every font embedded, searchable text, bookmarks by level; and it is reproducible."""

from datetime import datetime, timezone
from io import BytesIO

import pytest

pypdf = pytest.importorskip("pypdf")

from cdisc_mirocals.pdfdoc import PdfDocument  # noqa: E402

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _document(notice=None, created=WHEN, rows=120) -> bytes:
    doc = PdfDocument("Study Data Reviewer's Guide", notice=notice, created=created)
    doc.heading("1 Introduction", 0)
    doc.paragraph("Values such as 3.5 \u00b5mol/L and \u2265 3 grades print as written.")
    doc.heading("1.1 Purpose", 1)
    doc.table(["Variable", "Label"], [[f"VAR{i:03d}", f"Label {i}"] for i in range(rows)], widths=(40, 100))
    doc.heading("2 Datasets", 0, new_page=True)
    doc.bullets(["DM", "AE"])
    return doc.render()


def _reader(data: bytes):
    return pypdf.PdfReader(BytesIO(data))


def test_version_security_and_fonts_follow_the_fda_pdf_specifications():
    reader = _reader(_document())
    assert reader.pdf_header in {"%PDF-1.4", "%PDF-1.5", "%PDF-1.6", "%PDF-1.7"}
    assert not reader.is_encrypted
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), font["/BaseFont"]


def test_text_is_searchable_and_long_tables_repeat_their_header():
    reader = _reader(_document())
    text = [page.extract_text() for page in reader.pages]
    assert "3.5 \u00b5mol/L" in text[0] and "\u2265 3 grades" in text[0]
    assert "VAR119" in "".join(text)
    table_pages = [t for t in text if "VAR0" in t or "VAR1" in t]
    assert len(table_pages) >= 2
    assert all("Variable" in t and "Label" in t for t in table_pages)
    assert f"Page 1 of {len(reader.pages)}" in text[0]


def test_bookmarks_nest_by_level_and_point_at_their_pages():
    reader = _reader(_document())
    top = reader.outline
    assert [item.title for item in top if not isinstance(item, list)] == ["1 Introduction", "2 Datasets"]
    assert [item.title for item in top[1]] == ["1.1 Purpose"]
    assert reader.get_destination_page_number(top[2]) == len(reader.pages) - 1
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_the_notice_stands_on_every_page_when_given():
    notice = "SIMULATED DATA: not the results of the MIROCALS trial"
    with_notice = _reader(_document(notice=notice))
    assert all(notice in page.extract_text() for page in with_notice.pages)
    assert not any("SIMULATED" in page.extract_text() for page in _reader(_document()).pages)


def test_same_content_and_time_give_the_same_bytes_and_a_new_time_new_bytes():
    assert _document() == _document()
    later = _document(created=datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert later != _document()
    assert _reader(later).metadata.creation_date.date().isoformat() == "2026-03-02"


def test_the_identifier_follows_the_content():
    a, b = _reader(_document(rows=10)), _reader(_document(rows=11))
    assert a.trailer["/ID"][0] != b.trailer["/ID"][0]


def _png(width: int, height: int) -> bytes:
    """A white RGB PNG of width x height pixels, written by hand (no imaging library)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff" * (3 * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _image_boxes(data: bytes) -> list[tuple[int, float, float]]:
    """(page, width, height) in points of every image drawn, from the page's content stream."""
    import re
    boxes = []
    for n, page in enumerate(_reader(data).pages, 1):
        content = page.get_contents().get_data().decode("latin-1")
        boxes += [(n, float(w), float(h)) for w, h in re.findall(r"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I", content)]
    return boxes


def test_figures_keep_their_shape_fit_the_page_and_start_a_page_when_they_do_not_fit():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="150pt" viewBox="0 0 300 150">'
           b'<rect x="10" y="10" width="100" height="50" fill="blue"/></svg>')
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Figures", 0)
    doc.image(_png(400, 200))   # wide: the text width, half as tall
    doc.image(_png(100, 400))   # tall: shrunk to the height of a page, on a page of its own
    doc.image(svg)
    data = doc.render()
    boxes = _image_boxes(data)
    assert len(boxes) == 2  # the SVG is drawn as vector paths, not as an image
    (p1, w1, h1), (p2, w2, h2) = boxes
    text_width = (297 - 2 * 18) / 25.4 * 72
    assert p1 == 1 and w1 == pytest.approx(text_width, abs=0.1) and h1 == pytest.approx(w1 / 2, abs=0.1)
    assert p2 == 2 and h2 == pytest.approx(4 * w2, abs=0.1) and h2 < 210 / 25.4 * 72 - 2 * 18
    assert len(_reader(data).pages) == 3  # the SVG (half as tall as wide) does not fit under the tall one


def test_a_titled_table_says_which_table_it_is_on_every_page_it_continues_on():
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Regulatory T cells", 0)
    doc.table(["Visit", "n"], [[f"VISIT {i:02d}", str(i)] for i in range(60)], title="Treg count by visit")
    doc.table(["Term", "n"], [[f"TERM {i:02d}", str(i)] for i in range(60)])  # no title: nothing added
    text = [page.extract_text() for page in _reader(doc.render()).pages]
    with_visits = [n for n, t in enumerate(text) if "VISIT" in t]
    assert len(with_visits) >= 2 and "(continued)" not in text[with_visits[0]]
    for n in with_visits[1:]:
        assert "Treg count by visit (continued)" in text[n]
        assert text[n].index("(continued)") < text[n].index("Visit")  # above the repeated header row
    for t in text:
        if "TERM" in t and "VISIT" not in t:
            assert "continued" not in t
    # the guides and the aCRF pass no title: their pages are as before
    assert not any("continued" in page.extract_text() for page in _reader(_document()).pages)


def test_runs_of_rows_are_kept_on_one_page_when_they_fit():
    """A parameter and its four statistics stay together: a run that would be split starts the next page, with
    the header row again; each run is still one table with the others (one header row per page)."""
    rows, runs = [], []
    for p in range(20):
        block = [[f"PARAM {p:02d}", "", ""]] + [[f"    stat {p:02d}.{k}", str(k), str(k)] for k in range(4)]
        rows += block
        runs.append(len(block))
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Exposure", 0)
    doc.table(["Variable", "Placebo", "Active"], rows, title="Exposure", keep=runs)
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    assert len(pages) >= 2
    for p in range(20):
        where = {n for n, t in enumerate(pages) for k in range(4) if f"stat {p:02d}.{k}" in t}
        where |= {n for n, t in enumerate(pages) if f"PARAM {p:02d}" in t}
        assert len(where) == 1, (p, where)
    for t in pages:
        assert t.count("Variable") == 1
    # without `keep` the same rows split a run across pages (else this test would prove nothing)
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Exposure", 0)
    doc.table(["Variable", "Placebo", "Active"], rows)
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    split = [p for p in range(20) if len({n for n, t in enumerate(pages) if f" {p:02d}" in t}) > 1]
    assert split


def _page_of(pages: list[str], text: str) -> set[int]:
    return {n for n, t in enumerate(pages) if text in t}


def _filled(doc: PdfDocument, room: float) -> None:
    """Lines of text until less than `room` mm are left on the page."""
    n = 0
    while not doc.pdf.will_page_break(room):
        doc.paragraph(f"filler line {n}", after=0)
        n += 1


def test_a_heading_or_label_is_never_the_last_thing_on_a_page():
    for room in (12.0, 15.0, 18.0):  # room for the heading, but not for it and three lines under it
        doc = PdfDocument("Guide", created=WHEN)
        doc.heading("Start", 0)
        _filled(doc, room)
        doc.heading("2.1 The heading", 1)
        doc.paragraph("The text under the heading. " * 3)
        doc.bullets(["the first method, a short line", "the second"], size=8, title="Methods label")
        pages = [page.extract_text() for page in _reader(doc.render()).pages]
        assert _page_of(pages, "2.1 The heading") == _page_of(pages, "The text under the heading"), room
        assert _page_of(pages, "Methods label") == _page_of(pages, "the first method"), room
    # without the rule a heading this low would stand alone: the filler leaves room for it
    doc = PdfDocument("Guide", created=WHEN)
    doc.heading("Start", 0)
    _filled(doc, 12.0)
    assert not doc.pdf.will_page_break(doc.heading_height("2.1 The heading", 1))


def test_a_label_over_bullets_stays_with_the_first_bullet_and_a_short_bullet_is_not_split():
    bullet = "a method that runs over several lines of text, " * 8  # about three lines
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Start", 0)
    _filled(doc, 9.0)  # room for the label and a line or two: not for the whole bullet
    doc.bullets([bullet + "END OF BULLET"], size=8, title="Methods")
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    assert _page_of(pages, "Methods") == _page_of(pages, "a method that runs") == _page_of(pages, "END OF BULLET")
    assert _page_of(pages, "Methods") == {1}
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Start", 0)
    _filled(doc, 6.0)
    doc.paragraph(bullet + "END OF PARAGRAPH", size=8)
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    assert _page_of(pages, "a method that runs") == _page_of(pages, "END OF PARAGRAPH") == {1}


def test_a_table_does_not_start_with_its_header_and_one_row_at_the_foot_of_a_page():
    rows, runs = [["Any serious TEAE", "45", "44"]], [1]
    for s in range(6):
        block = [[f"SOC {s}", "3", "4"]] + [[f"    PT {s}.{k}", "1", "2"] for k in range(3)]
        rows += block
        runs.append(len(block))
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Start", 0)
    _filled(doc, 16.0)  # room for the header and the first row, not for the first SOC under it
    doc.table(["Term", "Placebo", "Active"], rows, title="Serious TEAEs", keep=runs)
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    assert _page_of(pages, "Any serious TEAE") == _page_of(pages, "SOC 0") == {1}
    assert "Term" not in pages[0] and "(continued)" not in pages[1]


def test_a_page_that_starts_inside_a_labelled_block_repeats_the_label():
    rows, runs = [], []
    for p in range(3):
        rows.append([f"PARAMETER {p}", "", ""])
        for v in range(20):
            rows += [[f"VISIT {v:02d}", "Placebo", str(v)], ["", "Active", str(v)]]
        runs += [3] + [2] * 19  # the label with the first visit's two rows, then each visit's
    doc = PdfDocument("Displays", created=WHEN, landscape=True)
    doc.heading("Vital signs", 0)
    doc.table(["Parameter, visit", "Arm", "n"], rows, title="Vital signs by visit", keep=runs)
    pages = [page.extract_text() for page in _reader(doc.render()).pages]
    assert len(pages) >= 3
    import re
    continued = 0
    for text in pages[1:]:
        first = re.search(r"PARAMETER \d( \(continued\))?|VISIT \d\d", text).group()
        assert first.startswith("PARAMETER"), first  # never a visit with no parameter over it
        continued += first.endswith("(continued)")
    assert continued >= 1
    # a label repeated only where its block runs on: each parameter is printed plainly once
    assert sum(len(re.findall(r"PARAMETER \d(?! \(continued)", t)) for t in pages) == 3
