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
