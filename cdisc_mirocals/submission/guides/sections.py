"""The sections both reviewer's guides share, following the PHUSE cSDRG and ADRG templates: the title page,
the standards and dictionaries, the protocol, a table of datasets, and the data conformance summary. Every
fact comes from the study's specification, the datasets as written and the validation report."""

from __future__ import annotations

from collections.abc import Callable

from cdisc_mirocals.pdfdoc import NOTICE_RGB, PdfDocument
from cdisc_mirocals.spec import Spec, Standard
from cdisc_mirocals.submission.guides.conformance import ConformanceRow, conformance_inputs, sponsor_rules
from cdisc_mirocals.validate.report import Report

# study.toml [standards] keys, as the inventory names them; each guide lists those of its standard
INVENTORY = {
    "sdtm": ("SDTM", "Study Data Tabulation Model"), "sdtmig": ("SDTMIG", "SDTM Implementation Guide"),
    "sdtm_ct": ("CDISC SDTM Controlled Terminology", "Terms of the SDTM codelists"),
    "adam": ("ADaM", "Analysis Data Model"), "adamig": ("ADaMIG", "ADaM Implementation Guide"),
    "adam_ct": ("CDISC ADaM Controlled Terminology", "Terms of the ADaM codelists"),
    "define_xml": ("Define-XML", "Dataset metadata (define.xml)"),
    "define_ct": ("CDISC Define-XML Controlled Terminology", "Terms of the define.xml attributes"),
    "meddra": ("MedDRA", "Adverse events and medical history"),
    "whodrug": ("WHODrug", "Concomitant medications"),
}


def title_page(doc: PdfDocument, spec: Spec, title: str, notice: str | None, date: str) -> None:
    about = spec.study["study"]
    doc.new_page()
    doc.bookmark(title, 0)
    doc.pdf.ln(30)
    doc.paragraph(title, size=20, bold=True, after=6)
    doc.paragraph(f"Study {spec.study.studyid}: {about['title']}", size=12, after=4)
    if notice:
        doc.paragraph(f"{notice}.", size=12, bold=True, rgb=NOTICE_RGB, after=2)
        doc.paragraph("The datasets this guide describes were converted from simulated case report forms, "
                      "calibrated to the published results of the study; they hold no patient's data.", after=6)
    doc.table(None, [["Protocol", about["protocol"]], ["Sponsor", about["sponsor"]],
                         ["Registry identifier", about.get("registry_id", "")], ["Phase", about.get("phase", "")],
                         ["Indication", about.get("indication", "")], ["Date of this guide", date]],
              widths=(45, 129), size=9)


def inventory(doc: PdfDocument, spec: Spec, keys: tuple[str, ...]) -> None:
    versions = spec.study["standards"]
    rows = [[INVENTORY[k][0], str(versions[k]), INVENTORY[k][1]] for k in keys if k in versions]
    doc.table(["Standard or dictionary", "Version", "Used for"], rows, widths=(70, 40, 64))


def protocol(doc: PdfDocument, spec: Spec, level: int, number: str) -> None:
    """Protocol number and title, and the design: objectives, arms, treatment, schedule."""
    about, ts, t = spec.study["study"], spec.study.data.get("trial_summary", {}), spec.study["treatment"]
    doc.heading(f"{number}.1 Protocol Number and Title", level)
    doc.table(None, [["Protocol number", about["protocol"]], ["Title", about["title"]],
                         ["Registry identifier", about.get("registry_id", "")], ["Sponsor", about["sponsor"]]],
              widths=(45, 129), size=9)
    doc.heading(f"{number}.2 Protocol Design", level)
    design = [(label, _ts(ts, code)) for label, code in DESIGN if _ts(ts, code)]
    doc.table(None, [["Phase", about.get("phase", "")], *design,
                     ["Arms", f"{t['active_arm']}; {t['placebo_arm']}"],
                     ["Study treatment", f"{t['active'].lower()} {t['dose']:g} {t['dose_unit']} or {t['placebo'].lower()}, "
                                         f"{t['route'].lower()}, {t['injections_per_cycle']} injections per "
                                         f"{t['cycle_length_days']}-day cycle, {t['cycles']} cycles"]],
              widths=(45, 129), size=9)
    objectives = [("Primary objective", ts.get("OBJPRIM")), ("Secondary objectives", ts.get("OBJSEC")),
                  ("Primary outcome", ts.get("OUTMSPRI")), ("Secondary outcomes", ts.get("OUTMSSEC")),
                  ("Exploratory outcomes", ts.get("OUTMSEXP"))]
    for label, value in objectives:
        if value:
            doc.paragraph(label, bold=True, after=0.5)
            doc.bullets([value] if isinstance(value, str) else list(value))
    visits = spec.study.data.get("schedule", {}).get("visits", [])
    if visits:
        keep_together(doc, len(visits) + 1, lead=1)
        doc.paragraph("Planned visits (study day 1 is the day of randomisation):", after=0.5)
        doc.table(["Visit", "Planned study day", "Window (days)"],
                  [[v["visit"], str(v["day"]), f"+/- {v['window']}" if v.get("window") else "none"] for v in visits],
                  widths=(70, 52, 52), align=("LEFT", "RIGHT", "RIGHT"))


# trial summary parameters that describe the design, as the guide labels them
DESIGN = (("Study type", "STYPE"), ("Intervention type", "INTTYPE"), ("Intervention model", "INTMODEL"),
          ("Blinding", "TBLIND"), ("Control", "TCNTRL"), ("Randomised", "RANDOM"),
          ("Stratification factors", "STRATFCT"), ("Add-on to", "CURTRT"), ("Planned subjects", "PLANSUB"))


# the height of a one-line table row, in mm, at a table's type size: pdfdoc's line height and cell padding
_ROW = {8.0: 8.0 * 0.5 + 1.6, 7.5: 7.5 * 0.5 + 1.6}
SHORT_TABLE = 20  # rows: a table this short starts on a new page rather than leave a row or two at a page's foot


def keep_together(doc: PdfDocument, rows: int, *, size: float = 8.0, lead: int = 0) -> None:
    """Start a new page when a short table of one-line `rows` (its header included), after `lead` lines of text,
    would not fit on this one."""
    if rows <= SHORT_TABLE:
        height = rows * _ROW.get(size, size * 0.5 + 1.6) + lead * 6 + 2
        if doc.pdf.will_page_break(height):
            doc.new_page()


def _ts(ts: dict, key: str) -> str:
    value = ts.get(key, "")
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def dataset_rows(std: Standard, report: Report) -> list[list[str]]:
    """The datasets submitted: name, label, class, structure, key variables, records."""
    records = dict(zip(report.datasets["dataset"], report.datasets["records"])) if len(report.datasets) else {}
    return [[ds.name, ds.description, ds.class_ + (f" ({ds.subclass})" if ds.subclass else ""), ds.structure,
             ", ".join(ds.keys), f"{int(records[ds.name]):,}"]
            for ds in std.datasets.values() if ds.name in records]


def dataset_table(doc: PdfDocument, std: Standard, report: Report) -> None:
    doc.table(["Dataset", "Label", "Class", "Structure", "Key variables", "Records"], dataset_rows(std, report),
              widths=(17, 33, 27, 42, 40, 15), size=7.5, align=("LEFT",) * 5 + ("RIGHT",))


def dataset_sections(doc: PdfDocument, std: Standard, report: Report, spec: Spec, level: int, number: str,
                     classes: Callable[[str], bool] = lambda cls: True,
                     extra: dict[str, Callable[[PdfDocument], None]] | None = None) -> None:
    """One subsection per dataset submitted whose class `classes` takes: its comment, the notes the sponsor
    gave for its data, and what `extra` adds for the dataset (a table of its records, say)."""
    submitted = set(report.datasets["dataset"]) if len(report.datasets) else set()
    chosen = (d for d in std.datasets.values() if d.name in submitted and classes(d.class_.upper()))
    for n, ds in enumerate(chosen, start=1):
        doc.heading(f"{number}.{n} {ds.name} - {ds.description}", level)
        doc.paragraph(f"Class: {ds.class_}. Structure: {ds.structure}. Key variables: {', '.join(ds.keys)}.")
        comment = std.comments.get(ds.comment)
        if comment:
            doc.paragraph(comment.description)
        notes = [e for e in spec.explanations if not e.rule and e.dataset == ds.name]
        for e in notes:
            doc.paragraph(f"Note for the reviewer{f' ({e.variable})' if e.variable else ''}: {e.text}")
        if extra and ds.name in extra:
            extra[ds.name](doc)


def conformance(doc: PdfDocument, report: Report, rows: list[ConformanceRow], level: int, number: str) -> None:
    doc.heading(f"{number}.1 Conformance Inputs", level)
    doc.paragraph("The submitted datasets and their define.xml were validated when they were written. The "
                  "validator states what it checked against:")
    doc.table(None, [list(r) for r in conformance_inputs(report)], widths=(45, 129), size=8)
    own = sponsor_rules(rows)
    if own:
        doc.paragraph("What each further check (a rule numbered MCnnnn) that left a finding checks:", after=0.5)
        doc.bullets([f"{rule}: {text}" for rule, text in own])
    doc.heading(f"{number}.2 Issues Summary", level)
    if not rows:
        doc.paragraph("The validation report has no finding: no Reject, Error, Warning or Notice remains.")
        return
    counts = {s: sum(r.records for r in rows if r.severity == s) for s in ("Reject", "Error", "Warning", "Notice")}
    doc.paragraph("Every finding that remains in the validation report, by rule, dataset and variables, with "
                  "the number of records it concerns and the sponsor's explanation. Totals: "
                  + ", ".join(f"{n:,} {s}" for s, n in counts.items()) + ".")
    doc.table(["Rule", "Severity", "Dataset", "Variables", "Count", "Message", "Explanation"],
              [[r.rule + (f" ({r.publisher})" if r.publisher else ""), r.severity, r.dataset, r.variables,
                f"{r.records:,}", r.message, r.explanation or UNEXPLAINED] for r in rows],
              widths=(21, 15, 15, 19, 13, 30, 61), size=7, align=("LEFT",) * 4 + ("RIGHT", "LEFT", "LEFT"))
    missing = [r for r in rows if not r.explained]
    doc.heading(f"{number}.3 Unexplained Findings", level)
    if not missing:
        doc.paragraph("Every finding that remains is explained above.")
        return
    doc.paragraph(f"{len(missing)} finding{'s have' if len(missing) != 1 else ' has'} no explanation yet:")
    doc.bullets([f"{r.rule} ({r.severity}) on {r.dataset}" + (f", {r.variables}" if r.variables else "")
                 + f": {r.message}; {r.records:,} record{'s' if r.records != 1 else ''}" for r in missing])


UNEXPLAINED = "UNEXPLAINED: no explanation has been given for this finding."
