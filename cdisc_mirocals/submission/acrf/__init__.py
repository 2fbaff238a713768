"""The annotated CRF (acrf.pdf in the SDTM folder), generated from the raw forms of specs/raw and the SDTM
specification, and the pages define.xml cites for each Collected origin.

    acrf = build_acrf(spec, notice=None)                 # the PDF's bytes and where each annotation stands
    define = build_define(spec, "SDTM", frames, crf_pages=crf_pages(acrf.placed, spec.sdtm))

The pages come from the layout itself: drawing records the page of every annotation, so the define.xml
references cannot drift from the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cdisc_mirocals.pdfdoc import PdfDocument
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.acrf.annotations import book_annotations
from cdisc_mirocals.submission.acrf.layout import Placed, domain_fills, draw_form
from cdisc_mirocals.submission.acrf.pages import crf_pages
from cdisc_mirocals.submission.acrf.cover import FORMS, cover, domain_bookmarks

ACRF_FILE = "acrf.pdf"

__all__ = ["ACRF_FILE", "Acrf", "Placed", "build_acrf", "crf_pages"]


@dataclass(frozen=True)
class Acrf:
    pdf: bytes
    placed: tuple[Placed, ...]

    def write(self, folder: Path) -> Path:
        from cdisc_mirocals.submission.atomic import atomic_write

        path = Path(folder) / ACRF_FILE
        with atomic_write(path) as fh:
            fh.write(self.pdf)
        return path


def build_acrf(spec: Spec, *, notice: str | None = None, created: datetime | None = None) -> Acrf:
    """The annotated CRF: a cover page with the conventions, then one section per form in the order of the CRF
    book (specs/raw/forms.csv), bookmarked by form and by domain."""
    studyid = spec.study.studyid
    doc = PdfDocument(f"{studyid} Annotated Case Report Form", subject=spec.study["study"]["title"],
                      author=spec.study["study"]["sponsor"], notice=notice, created=created)
    annotated = book_annotations(spec.raw, spec.sdtm)
    cover(doc, spec, annotated)
    fills = domain_fills(spec.raw, annotated)
    placed: list[Placed] = []
    for i, form in enumerate(spec.raw.values()):
        placed += draw_form(doc, form, spec.sdtm, annotated, fills, parent=None if i else FORMS)
    domain_bookmarks(doc, spec, placed)
    return Acrf(doc.render(), tuple(placed))
