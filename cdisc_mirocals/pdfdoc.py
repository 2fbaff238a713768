"""The PDF documents a reviewer reads (the annotated CRF, the reviewer's guides, the analysis displays),
written the way the FDA's PDF specifications ask: PDF 1.4 to 1.7, text that can be searched and copied,
every font embedded, bookmarks for navigation, no security settings, pages opening at 100%.

fpdf2 writes the PDF: it embeds and subsets TrueType fonts with a ToUnicode map (so the text is searchable),
writes the outline from its sections, and breaks tables across pages; our own writer would do all of that
worse. The fonts are DejaVu Sans and DejaVu Sans Mono, vendored beside this module (licence in
fonts/LICENSE-DejaVu.txt), so a PDF looks the same on every machine. The tests read every PDF back with
pypdf, an independent reader.

A document is built with a few verbs (`heading`, `paragraph`, `table`, `image`) and rendered to bytes once.
The same content and the same time give the same bytes: the creation date is the run's (`build_time`),
and the file identifier is a hash of the content and that date. Shared by the submission writers and the analyses, so
it lives below both."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

FONTS = Path(__file__).with_name("fonts")
SANS, MONO = "DejaVuSans", "DejaVuSansMono"
# A4 portrait, 18 mm margins: wide enough for a CRF field with its annotation beside it.
MARGIN = 18.0
BODY_SIZE = 9.5
CONTINUED_SIZE = 8.5  # a table's title over its continuation on the next page
PADDING = 0.8  # of a table cell, mm
# A heading (or a label kept with what follows) needs room for this many lines of body text under it, else it
# starts the next page; a paragraph or bullet of up to SHORT_LINES lines is never split across pages; a table
# needs room for its header and KEEP_ROWS rows, else it starts the next page.
KEEP_LINES = 3
SHORT_LINES = 6
KEEP_ROWS = 2
_HEADING_SIZES = (15.0, 12.0, 10.5)
NOTICE_RGB = (176, 0, 32)
ANNOTATION_RGB = (0, 70, 160)


class _Utc(tzinfo):
    """UTC under another name: fpdf2 2.7.9 writes a date in `timezone.utc` as D:...Z<hour>'<minute>', which
    readers take for an offset of that many hours; any other zero-offset zone is written D:...+00'00'."""

    def utcoffset(self, dt):
        return timedelta(0)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "UTC"


def _utc(when: datetime) -> datetime:
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return when.replace(tzinfo=_Utc())


def _fpdf():
    from fpdf import FPDF

    class _Pages(FPDF):
        """Running header (the document's title, and the simulated-data notice when there is one) and a
        "Page n of N" footer on every page."""

        running_title = ""
        notice: str | None = None
        body_top = 0.0  # where the text of a page starts, below the running header
        continued: str | None = None  # the title of a table being laid out, repeated on the pages it runs on to

        def header(self):
            self.set_font(SANS, "", 7.5)
            self.set_text_color(90, 90, 90)
            self.cell(0, 4, self.running_title, new_x="LMARGIN", new_y="NEXT")
            if self.notice:
                self.set_font(SANS, "B", 8.5)
                self.set_text_color(*NOTICE_RGB)
                self.cell(0, 5, self.notice, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(3)
            if self.continued:
                self.set_font(SANS, "B", CONTINUED_SIZE)
                self.multi_cell(0, CONTINUED_SIZE * 0.48, f"{self.continued} (continued)", new_x="LMARGIN",
                                new_y="NEXT")
                self.ln(1.5)
            self.body_top = self.get_y()

        def footer(self):
            self.set_y(-12)
            self.set_font(SANS, "", 7.5)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    return _Pages


class PdfDocument:
    """One PDF being written. `notice`, when given, stands in red under the running header of every page
    (the simulated-data notice)."""

    def __init__(self, title: str, *, subject: str = "", author: str = "", notice: str | None = None,
                 created: datetime | None = None, landscape: bool = False):
        from cdisc_mirocals.submission.timestamp import build_time

        pdf = _fpdf()(orientation="L" if landscape else "P", unit="mm", format="A4")
        pdf.running_title, pdf.notice = title, notice
        for style, name in (("", f"{SANS}.ttf"), ("B", f"{SANS}-Bold.ttf")):
            pdf.add_font(SANS, style, str(FONTS / name))
        pdf.add_font(MONO, "", str(FONTS / f"{MONO}.ttf"))
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=16)
        pdf.alias_nb_pages()
        pdf.set_title(title)
        pdf.set_subject(subject)
        pdf.set_author(author)
        pdf.set_creator("cdisc-mirocals")
        pdf.set_creation_date(_utc(created or build_time()))
        pdf.set_display_mode(zoom=100, layout="continuous")
        pdf.page_mode = "USE_OUTLINES"
        pdf.pdf_version = "1.4"
        self.pdf = pdf
        self.title = title

    # -- layout verbs -------------------------------------------------------------------------------------

    def new_page(self) -> int:
        self.pdf.add_page()
        return self.pdf.page_no()

    @property
    def page(self) -> int:
        return self.pdf.page_no()

    def heading(self, text: str, level: int = 0, *, new_page: bool = False) -> int:
        """A title, bookmarked at `level` (0 is the top of the outline). Returns its page number."""
        if new_page or self.pdf.page_no() == 0:
            self.pdf.add_page()
        size = _HEADING_SIZES[min(level, len(_HEADING_SIZES) - 1)]
        self.keep_room(self.heading_height(text, level) + KEEP_LINES * BODY_SIZE * 0.48)
        self.pdf.start_section(text, level=level, strict=False)
        self.pdf.ln(1.5 if level else 0)
        self.pdf.set_font(SANS, "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)
        return self.pdf.page_no()

    def heading_height(self, text: str, level: int = 0) -> float:
        size = _HEADING_SIZES[min(level, len(_HEADING_SIZES) - 1)]
        self.pdf.set_font(SANS, "B", size)
        return (1.5 if level else 0) + self._height(text, size * 0.5) + 1.5

    def paragraph_height(self, text: str, *, size: float = BODY_SIZE, bold: bool = False, after: float = 1.5) -> float:
        self.pdf.set_font(SANS, "B" if bold else "", size)
        return self._height(text, size * 0.48) + after

    def bookmark(self, text: str, level: int) -> None:
        """An outline entry at the current position, with nothing printed."""
        self.pdf.start_section(text, level=level, strict=False)

    def bookmark_at(self, text: str, level: int, page: int, y: float | None = None) -> None:
        """An outline entry pointing at `page` (at height `y` mm, the top margin by default), written after
        the pages: a second outline tree (the aCRF's bookmarks by domain) over pages already laid out."""
        pdf = self.pdf
        here, at = pdf.page, pdf.get_y()
        pdf.page = page
        pdf.set_y(MARGIN if y is None else y)
        pdf.start_section(text, level=level, strict=False)
        pdf.page = here
        pdf.set_y(at)

    def paragraph(self, text: str, *, size: float = BODY_SIZE, bold: bool = False, mono: bool = False,
                  rgb: tuple[int, int, int] = (0, 0, 0), after: float = 1.5, keep_with_next: bool = False) -> None:
        """A paragraph; one of up to SHORT_LINES lines is not split across pages. With `keep_with_next` (a
        label such as "Methods" over its bullets) it is never the last thing on a page: it starts the next page
        unless KEEP_LINES lines fit under it."""
        self._ensure_page()
        self.pdf.set_font(MONO if mono else SANS, "B" if bold and not mono else "", size)
        height = self._height(text, size * 0.48)
        self.keep_room(height + (KEEP_LINES * size * 0.48 if keep_with_next else 0), size * 0.48)
        self.pdf.set_text_color(*rgb)
        self.pdf.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(after)

    def bullets(self, items: Sequence[str], *, size: float = BODY_SIZE, title: str | None = None) -> None:
        """A bulleted list; a bullet of up to SHORT_LINES lines is not split across pages. `title`, when given,
        is a bold label over the list, kept on the page of the first bullet (or of its first KEEP_LINES lines)."""
        self._ensure_page()
        if title is not None and items:
            label = self.paragraph_height(title, size=size, bold=True)
            self.pdf.set_font(SANS, "", size)
            first = self._height(f"\u2022 {items[0]}", size * 0.48, indent=3)
            line = size * 0.48
            self.keep_room(label + (first if first <= SHORT_LINES * line + 0.01 else KEEP_LINES * line))
            self.paragraph(title, size=size, bold=True)
        self.pdf.set_font(SANS, "", size)
        for item in items:
            self.keep_room(self._height(f"\u2022 {item}", size * 0.48, indent=3), size * 0.48)
            self.pdf.set_x(MARGIN + 3)
            self.pdf.multi_cell(0, size * 0.48, f"\u2022 {item}", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def table(self, header: Sequence[str] | None, rows: Sequence[Sequence[object]], *,
              widths: Sequence[float] | None = None, size: float = 8.0,
              align: Sequence[str] | None = None, fit: bool = False, title: str | None = None,
              keep: Sequence[int] | None = None) -> None:
        """A ruled table; long tables break across pages and repeat their header. With header None, a table
        of labelled values, with no header row. `widths` are relative; with `fit`, each column is as wide as
        its text needs (never narrower than its longest word) and the table no wider than that, up to the
        text width. `title`, when given, heads each page the table continues on, with "(continued)", so that
        a reader of that page knows which table it is. `keep` gives the lengths of runs of rows (a parameter
        and its statistics) that are kept on one page: a run that would not fit starts the next page, unless
        it is longer than a page. In such a table, a row with only its first cell filled labels the block of runs
        below it (a parameter over its visits): a page that starts inside the block repeats the label, with
        "(continued)"."""
        self._ensure_page()
        lines = ([] if header is None else [list(header)]) + [list(r) for r in rows]
        cells = [["" if c is None else str(c) for c in row] for row in lines]
        kwargs = {}
        if fit:
            widths, kwargs["width"] = self._fitted_widths(cells, size)
            kwargs["align"] = "LEFT"
        self.pdf.set_font(SANS, "", size)
        if widths:
            kwargs["col_widths"] = tuple(widths)
        kwargs["text_align"] = tuple(align) if align else "LEFT"  # justified cells stretch short lines apart
        # a first page with only the header and a row or two: the table starts on the next page instead
        self.keep_room(self._start_height(cells, header is not None, keep, size, kwargs))
        self.pdf.continued = title
        try:
            if header is None or not keep:
                self._table(cells, header is not None, size, kwargs)
            else:
                self._kept_together(cells, keep, size, kwargs)
        finally:
            self.pdf.continued = None
        self.pdf.ln(2)

    def table_start_height(self, header: Sequence[str] | None, rows: Sequence[Sequence[object]], *,
                           widths: Sequence[float] | None = None, size: float = 8.0, fit: bool = False,
                           keep: Sequence[int] | None = None) -> float:
        """The height of the start of this table that `table` keeps on one page (its header and first rows), for
        a caller that keeps a title or a note above the table with it."""
        self._ensure_page()
        cells = [["" if c is None else str(c) for c in row]
                 for row in ([] if header is None else [list(header)]) + [list(r) for r in rows]]
        kwargs = {}
        if fit:
            widths, kwargs["width"] = self._fitted_widths(cells, size)
        if widths:
            kwargs["col_widths"] = tuple(widths)
        return self._start_height(cells, header is not None, keep, size, kwargs)

    def _start_height(self, cells, heading: bool, keep, size: float, kwargs: dict) -> float:
        """The header and the first KEEP_ROWS rows, or with `keep` the first runs that hold that many rows."""
        count = KEEP_ROWS
        if keep:
            count = 0
            for length in keep:
                count += length
                if count >= KEEP_ROWS:
                    break
        columns = self._column_widths(len(cells[0]), kwargs)
        first = cells[:(1 if heading else 0) + count]
        height = sum(self._row_height(row, columns, size, bold=heading and i == 0) for i, row in enumerate(first))
        return min(height, self.pdf.h - self.pdf.b_margin - self.pdf.body_top)

    def _table(self, cells: list[list[str]], heading: bool, size: float, kwargs: dict) -> None:
        if heading:
            kwargs = {**kwargs, "first_row_as_headings": True, "repeat_headings": 1}
        else:
            kwargs = {**kwargs, "first_row_as_headings": False}
        with self.pdf.table(line_height=size * 0.5, padding=PADDING, **kwargs) as table:
            for row_cells in cells:
                row = table.row()
                for cell in row_cells:
                    row.cell(cell)

    def _kept_together(self, cells: list[list[str]], keep: Sequence[int], size: float, kwargs: dict) -> None:
        """The table as stacked tables of one run of rows each, the header row on the first and on each that
        starts a page; a run is measured first and moved whole to the next page when it would be split."""
        head, body = cells[0], cells[1:]
        runs, at = [], 0
        for length in keep:
            runs.append(body[at:at + length])
            at += length
        if at < len(body):
            runs.append(body[at:])
        columns = self._column_widths(len(head), kwargs)
        head_height = self._row_height(head, columns, size, bold=True)
        on_page = None  # the page whose table rows carry the header row
        group = None  # the label row (a parameter's name, nothing in its other cells) of the block being laid out
        for run in (r for r in runs if r):
            again = [] if group is None or _label(run[0]) else [[f"{group[0]} (continued)", *group[1:]]]
            height = sum(self._row_height(row, columns, size) for row in run)
            top = self.pdf.get_y() <= self.pdf.body_top + 0.01
            if not top and self.pdf.will_page_break(height + (head_height if on_page != self.pdf.page else 0)):
                self.pdf.add_page()
            heading = on_page != self.pdf.page
            # a page that starts inside a block says again whose block it is
            lead = ([head] if heading else []) + (again if heading and on_page is not None else [])
            self._table(lead + run, heading, size, kwargs)
            on_page = self.pdf.page
            group = next((row for row in reversed(run) if _label(row)), group)

    def _column_widths(self, count: int, kwargs: dict) -> list[float]:
        """Each column's width in mm, as fpdf2 lays the table out."""
        width = kwargs.get("width") or self.pdf.epw
        relative = kwargs.get("col_widths") or (1,) * count
        return [width * w / sum(relative) for w in relative]

    def _row_height(self, row: Sequence[str], columns: Sequence[float], size: float, bold: bool = False) -> float:
        self.pdf.set_font(SANS, "B" if bold else "", size)
        heights = [self.pdf.multi_cell(w=w, h=size * 0.5, text=text, max_line_height=size * 0.5, padding=PADDING,
                                       dry_run=True, output="HEIGHT") for text, w in zip(row, columns)]
        self.pdf.set_font(SANS, "", size)
        return max([size * 0.5, *heights])

    def _fitted_widths(self, cells: list[list[str]], size: float) -> tuple[list[float], float]:
        pad = 2 * PADDING + 1.2  # both paddings, and a little air
        natural, least = [], []
        for i in range(len(cells[0])):
            column = [row[i] for row in cells]
            self.pdf.set_font(SANS, "B", size)  # the heading row is bold
            head = [self.pdf.get_string_width(column[0]), *(self.pdf.get_string_width(w) for w in column[0].split())]
            self.pdf.set_font(SANS, "", size)
            body = [self.pdf.get_string_width(c) for c in column[1:]]
            words = [self.pdf.get_string_width(w) for c in column[1:] for w in c.split()]
            natural.append(max([head[0], *body]) + pad)
            least.append(max([*head[1:], *words, 0.0]) + pad)
        room = self.pdf.epw
        if sum(natural) <= room:
            return natural, sum(natural)
        spare, stretch = room - sum(least), sum(n - m for n, m in zip(natural, least))
        if spare <= 0 or stretch <= 0:
            return least, room
        return [m + spare * (n - m) / stretch for n, m in zip(natural, least)], room

    def image(self, source: Path | bytes, *, width: float | None = None, below: float = 8.0) -> None:
        """A figure (PNG or SVG), scaled to `width` mm (the text width by default), or less where it would
        be taller than a page leaves room for with `below` mm (its caption) under it; kept on one page and
        centred."""
        import io

        self._ensure_page()
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        width = width or self.pdf.epw
        ratio = _aspect(data)  # height / width; fpdf2 2.8 has no dry run of image() to measure with
        room = self.pdf.h - self.pdf.b_margin - self.pdf.body_top - below
        width = min(width, room / ratio)
        if self.pdf.will_page_break(width * ratio + below):
            self.pdf.add_page()
        self.pdf.image(io.BytesIO(data), x=(self.pdf.w - width) / 2, w=width, h=width * ratio)
        self.pdf.ln(2)

    def _height(self, text: str, line: float, indent: float = 0.0) -> float:
        """The height of `text` in the current font as multi_cell lays it out at the text width."""
        return self.pdf.multi_cell(w=self.pdf.epw - indent, h=line, text=text, dry_run=True, output="HEIGHT")

    def keep_room(self, height: float, line: float | None = None) -> None:
        """A new page when `height` mm do not fit on this one, unless this page has nothing on it yet (a block
        taller than a page is split wherever it must be): what a caller draws next stays together. With `line`,
        the block is text of that line height, and only one of up to SHORT_LINES lines is moved whole."""
        if line is not None and height > SHORT_LINES * line + 0.01:
            return
        if self.pdf.get_y() > self.pdf.body_top + 0.01 and self.pdf.will_page_break(height):
            self.pdf.add_page()

    def _ensure_page(self) -> None:
        if self.pdf.page_no() == 0:
            self.pdf.add_page()

    # -- output -------------------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The PDF's bytes. fpdf2's file identifier is a hash of the content and the creation date, so equal
        content at an equal time gives equal files."""
        return bytes(self.pdf.output())

    def write(self, path: Path) -> Path:
        from cdisc_mirocals.submission.atomic import atomic_write

        with atomic_write(path) as fh:
            fh.write(self.render())
        return Path(path)



def _label(row: Sequence[str]) -> bool:
    """A label row of a grouped table: its first cell filled, every other blank."""
    return bool(row[0].strip()) and not any(c.strip() for c in row[1:])


def _aspect(data: bytes) -> float:
    """Height over width of a PNG (its IHDR chunk) or an SVG (its viewBox, else its width and height)."""
    import re
    import struct

    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", data[16:24])
        return h / w
    from lxml import etree

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    box = root.get("viewBox")
    if box:
        _, _, w, h = (float(v) for v in box.replace(",", " ").split())
        return h / w
    number = re.compile(r"[0-9.]+")
    return float(number.match(root.get("height", "")).group()) / float(number.match(root.get("width", "")).group())
