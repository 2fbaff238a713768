"""csdrg.pdf, the Clinical Study Data Reviewer's Guide of the SDTM datasets, in the section order of the
PHUSE cSDRG template: introduction (purpose, standards, source data), protocol description (protocol,
design, trial design datasets), subject data description (datasets, annotated CRF, each domain), and the
data conformance summary."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.pdfdoc import PdfDocument
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.guides import sections
from cdisc_mirocals.submission.guides.conformance import ConformanceRow
from cdisc_mirocals.validate.report import Report

TITLE = "Clinical Study Data Reviewer's Guide"
TRIAL_DESIGN = "TRIAL DESIGN"


def build_csdrg(spec: Spec, report: Report, rows: list[ConformanceRow], *, notice: str | None, date: str,
                documents: dict[str, str], ts: pd.DataFrame | None = None) -> PdfDocument:
    """`documents`: the other documents define.xml links ({file: title}), such as the annotated CRF; `ts`: the
    Trial Summary as submitted, printed as a table (None when none was)."""
    studyid, std = spec.study.studyid, spec.sdtm
    doc = PdfDocument(f"{studyid} {TITLE}", subject=f"{studyid} SDTM datasets", author=spec.study["study"]["sponsor"],
                      notice=notice)
    sections.title_page(doc, spec, TITLE, notice, date)

    doc.heading("1 Introduction", 0, new_page=True)
    doc.heading("1.1 Purpose", 1)
    doc.paragraph(f"This guide accompanies the SDTM datasets of study {studyid} and their define.xml. It "
                  f"describes the study, the datasets and how they were made, and explains every finding that "
                  f"remains when the datasets are validated.")
    doc.heading("1.2 Study Data Standards and Dictionary Inventory", 1)
    sections.inventory(doc, spec, ("sdtm", "sdtmig", "sdtm_ct", "define_xml", "define_ct", "meddra", "whodrug"))
    doc.heading("1.3 Source Data Used for Dataset Creation", 1)
    doc.paragraph("The datasets were converted from the case report forms of the study, exported from the "
                  "electronic data capture system as one file per form:")
    doc.table(["Form", "Content"], [[f.name, f.description] for f in spec.raw.values()], widths=(30, 144))
    doc.paragraph("Every collected record is either mapped to a dataset or accounted for with the reason it was "
                  "not tabulated.")
    assumptions = spec.study["study"].get("assumptions", [])
    if assumptions:
        sections.keep_together(doc, 2 * len(assumptions), lead=3)  # two lines to a bullet, as a table's rows
        doc.heading(f"1.4 Assumptions of the {'Simulated Study' if notice else 'Study Data'}", 1)
        doc.paragraph(("The simulated case report forms do not carry every fact that the protocol and the "
                       "laboratory manuals of a real study would. " if notice else "")
                      + "The datasets and their define.xml rest on these assumptions:", after=0.5)
        doc.bullets(list(assumptions))

    doc.heading("2 Protocol Description", 0, new_page=True)
    sections.protocol(doc, spec, 1, "2")
    doc.heading("2.3 Trial Design Datasets", 1)
    elements = spec.study.data.get("trial_design", {}).get("elements", [])
    if elements:
        doc.paragraph("Trial elements (TE) and the epoch each belongs to:", after=0.5)
        doc.table(["Element", "Epoch", "Starts", "Ends"],
                  [[e["element"], e["epoch"], e["testrl"], e["teenrl"]] for e in elements], widths=(34, 26, 57, 57))
    sections.dataset_sections(doc, std, report, spec, 2, "2.3", lambda cls: cls == TRIAL_DESIGN,
                              extra={"TS": lambda d: _trial_summary(d, ts)} if ts is not None else None)

    doc.heading("3 Subject Data Description", 0, new_page=True)
    doc.heading("3.1 Overview", 1)
    doc.paragraph("The datasets submitted, with their class, structure, key variables and number of records. "
                  "Datasets the study specifies that hold no record are not submitted.")
    sections.dataset_table(doc, std, report)
    doc.heading("3.2 Annotated CRFs", 1)
    acrf = {f: t for f, t in documents.items() if "acrf" in f.lower()}
    doc.paragraph(f"The annotated case report form is submitted with the datasets as {' and '.join(acrf)}. Each "
                  "collected variable's origin in define.xml cites the pages where the variable is annotated."
                  if acrf else "No annotated case report form accompanies these datasets.")
    doc.heading("3.3 SDTM Subject Domains", 1)
    sections.dataset_sections(doc, std, report, spec, 2, "3.3", lambda cls: cls != TRIAL_DESIGN)

    doc.heading("4 Data Conformance Summary", 0, new_page=True)
    sections.conformance(doc, report, rows, 1, "4")
    return doc


def _trial_summary(doc: PdfDocument, ts: pd.DataFrame) -> None:
    """The Trial Summary records, one row per parameter value (a null flavor where there is no value)."""
    def text(row, name):
        value = row.get(name, "")
        return "" if pd.isna(value) else str(value).strip()

    rows = [[text(r, "TSPARMCD"), text(r, "TSPARM"), text(r, "TSVAL") or f"null flavor {text(r, 'TSVALNF')}"]
            for _, r in ts.iterrows()]
    doc.paragraph("The trial summary parameters and their values:", after=0.5)
    doc.table(["TSPARMCD", "TSPARM", "TSVAL"], rows, widths=(22, 58, 94), size=7.5)
