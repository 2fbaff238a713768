"""The pages of the annotated CRF: one section per form, each field drawn as the site saw it (its label, its
format, a tick box per allowed value or entry boxes), with its annotations beside it, and the form's domain
boxes on top of every page of the form. Drawing records where each annotation stands (`Placed`), so that
define.xml cites the pages as laid out.

Colours follow the CDISC Metadata Submission Guidelines: each domain has one colour across the whole aCRF, the
same for its domain box and its annotations on every page, and no two domains of a form share one
(`domain_fills`)."""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_mirocals.pdfdoc import ANNOTATION_RGB, MARGIN, MONO, SANS, PdfDocument
from cdisc_mirocals.spec import RawField, RawForm, Standard
from cdisc_mirocals.submission.acrf.annotations import (NOT_SUBMITTED, Annotation, domain_label, form_domains,
                                                        SUBJECT_ID, USUBJID_NOTE, is_identifier_repeat)

# the MSG's domain box fills: cyan, yellow, green, orange, purple, then pink, light blue, sand for a form of
# many domains; light enough for the blue annotation text to read on each
FILLS = ((191, 255, 255), (255, 255, 150), (150, 255, 150), (255, 190, 155), (220, 200, 255),
         (255, 190, 225), (175, 205, 255), (225, 215, 175))
GREY = (95, 95, 95)
LABEL_W, WIDGET_X, WIDGET_W, ANNOTATION_X = 50.0, MARGIN + 52.0, 62.0, MARGIN + 116.0
ANNOTATION_W = 210.0 - MARGIN - ANNOTATION_X
BOX = 4.2           # an entry box (one character or digit), and a tick box's side plus its gap
LINE = 3.6          # a line of 7.5 pt text
BOTTOM = 297.0 - 20.0
# the subject identifier is annotated on the first form only, as the conventions allow, and says so
FIRST_IDENTIFIER_NOTE = "Subject identifiers are annotated on this form only, not again on the other forms."
IDENTIFIER_NOTE = "Subject identifier: annotated on the first form only (SUBJID)."


@dataclass(frozen=True)
class Placed:
    """An annotation as drawn: on which form, for which field, on which page."""

    form: str
    field: str
    annotation: Annotation | None   # None: NOT SUBMITTED
    page: int


def domain_fills(forms: dict[str, RawForm], annotated: dict[tuple[str, str], list[Annotation]]) -> dict[str, tuple]:
    """Each domain's one fill for the whole aCRF: the domains in the order the CRF book first names them, each
    given, of the fills no domain already coloured shares a form with, the one fewest domains have so far (the
    first of FILLS on a tie), so that the colours spread over the book. A domain thus keeps its colour on every
    page, the domains of a page differ, and the same forms give the same colours."""
    per_form = [form_domains(form, annotated) for form in forms.values()]
    fills: dict[str, tuple] = {}
    for domains in per_form:
        for domain in domains:
            if domain in fills:
                continue
            taken = {fills[d] for others in per_form if domain in others for d in others if d in fills}
            used = list(fills.values())
            free = sorted((f for f in FILLS if f not in taken), key=lambda f: (used.count(f), FILLS.index(f)))
            # more domains on one form than fills: reuse in turn (a form of nine or more domains)
            fills[domain] = free[0] if free else FILLS[len(fills) % len(FILLS)]
    return fills


def draw_form(doc: PdfDocument, form: RawForm, sdtm: Standard, annotated: dict[tuple[str, str], list[Annotation]],
              fills: dict[str, tuple], *, parent: str | None = None) -> list[Placed]:
    """The form's pages, from a new page, bookmarked under `parent` when that top bookmark is to start here;
    `annotated` holds each field's annotations (`book_annotations`), `fills` each domain's colour
    (`domain_fills`). Returns every annotation with its page."""
    domains = form_domains(form, annotated)
    doc.new_page()
    if parent:
        doc.bookmark(parent, 0)
    doc.heading(form.description, 1)
    _form_top(doc, form, domains, fills, sdtm)
    placed = []
    for f in form.fields:
        annotations = annotated[(form.name, f.name)]
        height = _field_height(doc, f, annotations)
        if doc.pdf.get_y() + height > BOTTOM:
            doc.new_page()
            doc.paragraph(f"{form.description} (continued)", size=10.5, bold=True)
            _form_top(doc, form, domains, fills, sdtm)
        placed += _draw_field(doc, form, f, annotations, fills, height)
    return placed


def _form_top(doc: PdfDocument, form: RawForm, domains: list[str], fills: dict, sdtm: Standard) -> None:
    """The CRF page's identification line, then a domain box per domain the form feeds."""
    pdf = doc.pdf
    pdf.set_font(SANS, "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, LINE, f"CRF form {form.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(SANS, "B", 9)
    x = MARGIN
    for domain in domains:
        text = domain_label(domain, sdtm)
        w = pdf.get_string_width(text) + 4
        if x + w > 210 - MARGIN:
            x = MARGIN
            pdf.ln(7)
        pdf.set_fill_color(*fills[domain])
        pdf.set_draw_color(0, 0, 0)
        pdf.set_text_color(*ANNOTATION_RGB)
        pdf.set_xy(x, pdf.get_y())
        pdf.cell(w, 6, text, border=1, fill=True, align="C")
        x += w + 3
    pdf.set_text_color(0, 0, 0)
    pdf.ln(9)
    pdf.set_draw_color(150, 150, 150)
    pdf.line(MARGIN, pdf.get_y() - 1.5, 210 - MARGIN, pdf.get_y() - 1.5)


# -- one field -------------------------------------------------------------------------------------------------


def _format(f: RawField) -> str:
    if f.type in ("date", "partial date"):
        text = "Date: DD-MON-YYYY"
        return text + " (UN for an unknown day, UNK for an unknown month)" if f.type == "partial date" else text
    if f.type == "time":
        return "Time: HH:MM (24 hours)"
    if f.allowed:
        return "Tick one"
    if f.type in ("integer", "float"):
        kind = "Whole number" if f.type == "integer" else "Number"
        limits = " to ".join(_number(v) for v in (f.min, f.max) if v is not None)
        if f.min is not None and f.max is None:
            limits = f"{_number(f.min)} or more"
        return f"{kind}, {limits}" if limits else kind
    return f"Text, up to {f.length} characters" if f.length else "Text"


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _label_lines(doc: PdfDocument, f: RawField) -> list[tuple[str, str, float, tuple]]:
    """(text, style, size, colour) of the label column: the question, its format, its note."""
    required = "\u00a0*" if f.required else ""  # no line break before the mark
    lines = [(f.label + required, "B", 8.5, (0, 0, 0)), (f"{_format(f)}   [{f.name}]", "", 7.0, GREY)]
    if f.comment:
        lines.append((f.comment, "", 7.0, GREY))
    return lines


def _text_height(doc: PdfDocument, width: float, lines) -> float:
    pdf, total = doc.pdf, 0.0
    for text, style, size, _ in lines:
        pdf.set_font(SANS, style, size)
        total += len(pdf.multi_cell(width, size * 0.45, text, dry_run=True, output="LINES")) * size * 0.45
    return total


def _ticks(doc: PdfDocument, f: RawField) -> list[tuple[float, float, str]]:
    """(x offset, row, value) of each tick box, flowing across the widget column."""
    pdf = doc.pdf
    pdf.set_font(SANS, "", 8)
    out, x, row = [], 0.0, 0
    for value in f.allowed:
        w = BOX + pdf.get_string_width(value) + 4
        if x and x + w > WIDGET_W:
            x, row = 0.0, row + 1
        out.append((x, row, value))
        x += w
    return out


def _entry_boxes(f: RawField) -> list[int | str]:
    """The entry boxes of a date or a number: a count of boxes per group, and the separators between them."""
    if f.type in ("date", "partial date"):
        return [2, "-", 3, "-", 4]
    if f.type == "time":
        return [2, ":", 2]
    digits = len(str(int(abs(f.max)))) if f.max is not None else 4
    return [digits, ".", 2] if f.type == "float" else [digits]


def _widget_height(doc: PdfDocument, f: RawField) -> float:
    if f.allowed:
        return (max(r for _, r, _ in _ticks(doc, f)) + 1) * 5.0
    if f.type == "text":
        return 5.0 if (f.length or 0) <= 40 else 9.0 if (f.length or 0) <= 200 else 15.0
    return 5.0


def _identifier_note(f: RawField, annotations: list[Annotation]) -> str:
    if any(a.note == USUBJID_NOTE for a in annotations):
        return FIRST_IDENTIFIER_NOTE
    return IDENTIFIER_NOTE if f.target == SUBJECT_ID else ""


def _lines(doc: PdfDocument, text: str) -> int:
    return len(doc.pdf.multi_cell(ANNOTATION_W - 2, LINE, text, dry_run=True, output="LINES"))


def _annotation_height(doc: PdfDocument, f: RawField, annotations: list[Annotation]) -> float:
    doc.pdf.set_font(SANS, "", 7.5)
    boxes = [a.text for a in annotations] or ([] if is_identifier_repeat(f, annotations) else [NOT_SUBMITTED])
    note = _identifier_note(f, annotations)
    return sum(_lines(doc, t) * LINE + 2.6 for t in boxes) + (_lines(doc, note) * LINE + 1.0 if note else 0.0)


def _field_height(doc: PdfDocument, f: RawField, annotations: list[Annotation]) -> float:
    return max(_text_height(doc, LABEL_W, _label_lines(doc, f)), _widget_height(doc, f),
               _annotation_height(doc, f, annotations)) + 4.0


def _draw_field(doc: PdfDocument, form: RawForm, f: RawField, annotations: list[Annotation], fills: dict,
                height: float) -> list[Placed]:
    pdf = doc.pdf
    top = pdf.get_y()
    pdf.set_xy(MARGIN, top)
    for text, style, size, rgb in _label_lines(doc, f):
        pdf.set_font(SANS, style, size)
        pdf.set_text_color(*rgb)
        pdf.set_x(MARGIN)
        pdf.multi_cell(LABEL_W, size * 0.45, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0, 0, 0)
    _draw_widget(doc, f, top)
    placed, y = [], top
    if not is_identifier_repeat(f, annotations):
        placed, y = _draw_annotations(doc, form, f, annotations, fills, top)
    note = _identifier_note(f, annotations)
    if note:
        pdf.set_font(SANS, "", 7.5)
        pdf.set_text_color(*GREY)
        pdf.set_xy(ANNOTATION_X + 1, y + 0.4)
        pdf.multi_cell(ANNOTATION_W - 2, LINE, note, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(215, 215, 215)
    pdf.line(MARGIN, top + height - 1.5, 210 - MARGIN, top + height - 1.5)
    pdf.set_xy(MARGIN, top + height)
    return placed


def _draw_widget(doc: PdfDocument, f: RawField, top: float) -> None:
    pdf = doc.pdf
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.25)
    if f.allowed:
        for x, row, value in _ticks(doc, f):
            y = top + row * 5.0
            pdf.rect(WIDGET_X + x, y + 0.3, 3.2, 3.2)
            pdf.set_font(SANS, "", 8)
            pdf.set_xy(WIDGET_X + x + BOX, y)
            pdf.cell(pdf.get_string_width(value) + 1, 3.8, value)
        return
    if f.type == "text":
        pdf.rect(WIDGET_X, top, WIDGET_W, _widget_height(doc, f))
        return
    x = WIDGET_X
    pdf.set_font(MONO, "", 8)
    for part in _entry_boxes(f):
        if isinstance(part, str):
            pdf.set_xy(x, top)
            pdf.cell(2.6, 4.4, part, align="C")
            x += 2.6
            continue
        for _ in range(part):
            pdf.rect(x, top, BOX, 4.4)
            x += BOX
    if f.type in ("date", "partial date"):
        pdf.set_font(SANS, "", 6)
        pdf.set_text_color(*GREY)
        pdf.set_xy(x + 1.5, top + 0.6)
        pdf.cell(20, 3, "DD-MON-YYYY")
        pdf.set_text_color(0, 0, 0)


def _draw_annotations(doc: PdfDocument, form: RawForm, f: RawField, annotations: list[Annotation], fills: dict,
                      top: float) -> tuple[list[Placed], float]:
    """The annotation boxes, one under the other from `top`; returns them placed, and the y below the last."""
    pdf = doc.pdf
    pdf.set_font(SANS, "", 7.5)
    pdf.set_text_color(*ANNOTATION_RGB)
    pdf.set_draw_color(*ANNOTATION_RGB)
    y, placed = top, []
    for a in annotations or [None]:
        text = a.text if a else NOT_SUBMITTED
        lines = len(pdf.multi_cell(ANNOTATION_W - 2, LINE, text, dry_run=True, output="LINES"))
        if a:
            pdf.set_fill_color(*fills[a.domain])
        else:
            pdf.set_fill_color(255, 255, 255)
        pdf.rect(ANNOTATION_X, y, ANNOTATION_W, lines * LINE + 1.6, style="DF")
        pdf.set_xy(ANNOTATION_X + 1, y + 0.8)
        pdf.multi_cell(ANNOTATION_W - 2, LINE, text, align="L", new_x="LMARGIN", new_y="NEXT")
        placed.append(Placed(form.name, f.name, a, pdf.page_no()))
        y += lines * LINE + 2.6
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    return placed, y
