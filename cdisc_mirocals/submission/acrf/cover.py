"""The aCRF's first page (the study, how the annotations read, the forms and the domains they feed) and its
second outline tree, by domain, as the CDISC Metadata Submission Guidelines ask beside the one by form."""

from __future__ import annotations

from cdisc_mirocals.pdfdoc import PdfDocument
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.acrf.annotations import NOT_SUBMITTED, Annotation, domain_label, form_domains
from cdisc_mirocals.submission.acrf.layout import Placed

FORMS, DOMAINS = "Forms", "Domains"


def cover(doc: PdfDocument, spec: Spec, annotated: dict[tuple[str, str], list[Annotation]]) -> None:
    about = spec.study["study"]
    doc.heading("Annotated Case Report Form", 0)
    doc.paragraph(f"Study {spec.study.studyid}: {about['title']}", bold=True)
    doc.paragraph(f"Protocol {about['protocol']}. Sponsor: {about['sponsor']}.")
    doc.heading("How the annotations read", 1)
    doc.bullets([
        "Each form starts on a new page. The coloured boxes at the top of a page name the SDTM domains its "
        "fields are tabulated in; each field's annotations, in the right-hand column, have the colour of their "
        "domain.",
        "A variable name (SEX) is the SDTM variable that holds the collected value.",
        "'VSORRES when VSTESTCD = WEIGHT': a findings result, held in the result variable of the records of "
        "that test. In the same way, 'DSSTDTC when DSSCAT = STUDY TREATMENT' names the records a field feeds "
        "where several fields of a form feed the same variable.",
        "'MHCAT = PRIMARY DIAGNOSIS': a value every record the field feeds is given, printed on the CRF or "
        "implied by its question rather than entered.",
        "'ONSETSIT in SUPPMH': a supplemental qualifier, held in QVAL of the SUPP-- dataset under that QNAM.",
        f"'{NOT_SUBMITTED}': the field is collected but not tabulated.",
        "Subject identifiers (SUBJID, and USUBJID derived from it) are annotated on the first form only: every "
        "other form carries the same identifier and is not annotated for it again.",
        "A field marked * is required. The name in brackets after a field's format is its item name in the data "
        "capture system.",
        "The bookmarks list the forms, and the domains with the forms that feed each.",
    ])
    doc.heading("Forms and the domains they feed", 1)
    rows = [[form.description, ", ".join(form_domains(form, annotated)) or NOT_SUBMITTED]
            for form in spec.raw.values()]
    doc.table(["Form", "Domains"], rows, widths=(120, 54))


def domain_bookmarks(doc: PdfDocument, spec: Spec, placed: list[Placed]) -> None:
    """Domains, alphabetically, each pointing at its first annotation, with an entry per form that feeds it."""
    first: dict[str, dict[str, int]] = {}
    for p in placed:
        if p.annotation is not None:
            first.setdefault(p.annotation.domain, {}).setdefault(p.form, p.page)
    if not first:
        return
    doc.bookmark_at(DOMAINS, 0, min(min(pages.values()) for pages in first.values()))
    for domain in sorted(first):
        forms = first[domain]
        doc.bookmark_at(domain_label(domain, spec.sdtm), 1, min(forms.values()))
        for form, page in forms.items():
            doc.bookmark_at(spec.raw[form].description, 2, page)
