"""adrg.pdf, the Analysis Data Reviewer's Guide of the ADaM datasets, in the section order of the PHUSE
ADRG template: introduction, protocol description, analysis considerations (core and treatment variables,
populations, key derivations of ADSL, visit windows and record selection, imputation), data creation and
processing (split datasets, dependencies, intermediate datasets), the analysis datasets, the data conformance
summary, and the submitted programs. Every rule shown is a method of define.xml; nothing is written per run."""

from __future__ import annotations

import re

import pandas as pd

from cdisc_mirocals import __version__
from cdisc_mirocals.pdfdoc import PdfDocument
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.guides import sections
from cdisc_mirocals.submission.guides.conformance import ConformanceRow
from cdisc_mirocals.submission.programs import programs
from cdisc_mirocals.validate.report import Report

TITLE = "Analysis Data Reviewer's Guide"
SUBJECT_LEVEL = "ADSL"


def build_adrg(spec: Spec, report: Report, rows: list[ConformanceRow], *, notice: str | None, date: str,
               adsl: pd.DataFrame | None) -> PdfDocument:
    """`adsl`: the ADSL as submitted (its population counts), None when none was."""
    studyid, std = spec.study.studyid, spec.adam
    doc = PdfDocument(f"{studyid} {TITLE}", subject=f"{studyid} ADaM datasets", author=spec.study["study"]["sponsor"],
                      notice=notice)
    sections.title_page(doc, spec, TITLE, notice, date)

    doc.heading("1 Introduction", 0, new_page=True)
    doc.heading("1.1 Purpose", 1)
    doc.paragraph(f"This guide accompanies the ADaM datasets of study {studyid}, their define.xml with its "
                  f"analysis results metadata, and the analysis programs. It describes the populations, the key "
                  f"derivations and the datasets, explains every finding that remains when the datasets are "
                  f"validated, and lists the programs submitted.")
    doc.heading("1.2 Study Data Standards and Dictionary Inventory", 1)
    sections.inventory(doc, spec, ("adam", "adamig", "adam_ct", "sdtm_ct", "define_xml", "define_ct", "meddra",
                                   "whodrug"))
    doc.heading("1.3 Source Data Used for Analysis Dataset Creation", 1)
    doc.paragraph("The analysis datasets were derived from the submitted SDTM datasets of the study; the "
                  "Clinical Study Data Reviewer's Guide describes those. Section 4.2 names the SDTM datasets "
                  "each analysis dataset reads.")

    if notice and "simulation" in spec.study.data:
        doc.heading("1.4 The Simulated Data", 1)
        doc.paragraph(_simulation_note(spec))

    doc.heading("2 Protocol Description", 0, new_page=True)
    sections.protocol(doc, spec, 1, "2")

    doc.heading("3 Analysis Considerations Related to Multiple Analysis Datasets", 0, new_page=True)
    subject = std.datasets.get(SUBJECT_LEVEL)
    doc.heading("3.1 Core Variables", 1)
    core = _core_variables(std)
    doc.paragraph("Variables of ADSL carried into other analysis datasets:" if core
                  else "No ADSL variable other than the identifiers is carried into another analysis dataset.")
    if core:
        doc.table(["Variable", "Label", "Datasets"], core, widths=(25, 70, 79))
    if subject is not None:
        doc.heading("3.2 Treatment Variables", 1)
        _variables(doc, [v for v in subject.variables if v.name.startswith("TRT")], std)
        doc.heading("3.3 Analysis Populations", 1)
        _populations(doc, spec, subject, adsl)
        doc.heading("3.4 Key Derivations of ADSL", 1)
        doc.paragraph("The derived variables of ADSL and the method of each, as define.xml gives them:")
        _variables(doc, [v for v in subject.variables if v.method and not v.name.startswith("TRT")
                         and not _is_population(v)], std)
    doc.heading("3.5 Visit Windowing, Unscheduled Visits and Record Selection", 1)
    _windows(doc, spec)
    doc.heading("3.6 Imputation Methods", 1)
    _imputations(doc, std)

    doc.heading("4 Analysis Data Creation and Processing Issues", 0, new_page=True)
    doc.heading("4.1 Split Datasets", 1)
    doc.paragraph("No analysis dataset is split: each is one transport file.")
    doc.heading("4.2 Data Dependencies", 1)
    doc.table(["Dataset", "Reads"], _dependencies(std, report, spec.sdtm.datasets), widths=(30, 144))
    doc.heading("4.3 Intermediate Datasets", 1)
    doc.paragraph("No intermediate dataset is used or submitted: each analysis dataset is derived from the SDTM "
                  "datasets and the analysis datasets that section 4.2 names.")

    doc.heading("5 Analysis Datasets", 0, new_page=True)
    doc.heading("5.1 Overview", 1)
    sections.dataset_table(doc, std, report)
    doc.heading("5.2 Analysis Datasets", 1)
    sections.dataset_sections(doc, std, report, spec, 2, "5.2")

    doc.heading("6 Data Conformance Summary", 0, new_page=True)
    sections.conformance(doc, report, rows, 1, "6")

    doc.heading("7 Submission of Programs", 0, new_page=True)
    _programs(doc, spec)
    return doc


def _is_population(variable) -> bool:
    return variable.name.endswith("FL") and "population" in variable.label.lower()


def _variables(doc: PdfDocument, variables, std) -> None:
    """One row per derivation: variables derived by one method (TRT01P and TRT01PN, say) share a row."""
    merged: dict[str, list] = {}
    for v in variables:
        derivation = (std.methods[v.method].description if v.method in std.methods else
                      (f"From {v.predecessor}" if v.predecessor else ""))
        merged.setdefault(derivation or v.name, [[], [], derivation])
        merged[derivation or v.name][0].append(v.name)
        merged[derivation or v.name][1].append(v.label)
    rows = [[", ".join(names), _labels(labels), derivation] for names, labels, derivation in merged.values()]
    if rows:
        doc.table(["Variable", "Label", "Derivation"], rows, widths=(22, 42, 110), size=7.5)


def _labels(labels: list[str]) -> str:
    """The labels of variables that share a derivation: the first, when the others only add '(N)' to it."""
    first = labels[0]
    others = [label for label in labels[1:] if label.removesuffix(" (N)").removesuffix("(N)").strip() != first]
    return "; ".join([first, *others])


def _populations(doc: PdfDocument, spec: Spec, subject, adsl: pd.DataFrame | None) -> None:
    flags = [v for v in subject.variables if _is_population(v)]
    arm = spec.study.data.get("analysis", {}).get("treatment_var", "TRT01P")
    if adsl is not None and flags and arm in adsl:
        arms = sorted(a for a in adsl[arm].dropna().unique() if a != "")
        header = ["Population", *arms, "Total"]
        rows = [[f"{v.label} ({v.name})", *[f"{int(((adsl[arm] == a) & (adsl[v.name] == 'Y')).sum()):,}" for a in arms],
                 f"{int((adsl[v.name] == 'Y').sum()):,}"] for v in flags if v.name in adsl]
        doc.paragraph(f"Subjects in each analysis population, by {subject.variable(arm).label.lower()} ({arm}):"
                      if arm in subject.names else "Subjects in each analysis population:", after=0.5)
        width = (174 - 70) / (len(arms) + 1)
        doc.table(header, rows, widths=(70, *[width] * (len(arms) + 1)),
                  align=("LEFT", *["RIGHT"] * (len(arms) + 1)))
    _variables(doc, flags, spec.adam)


def _simulation_note(spec: Spec) -> str:
    """What the simulator's survival model assumes, in its own numbers, for the reader of the pNFH results."""
    sim = spec.study["simulation"]
    threshold = f"{spec.study.pnfh_threshold:g} {spec.study['parameters'].get('pnfh_unit', '')}".strip()
    low, high = sim["death_640_placebo_low"], sim["death_640_placebo_high"]
    return (f"The data were simulated, not collected. Survival is drawn from a model whose placebo deaths by day "
            f"{spec.study.primary_window_days} are {100 * low:.0f}% of the patients with baseline CSF pNFH at or "
            f"below {threshold} and {100 * high:.0f}% of those above it, and in which aldesleukin multiplies "
            f"the hazard by {sim['hr_il2_low_pnfh']:g} and {sim['hr_il2_high_pnfh']:g} in those two groups. "
            f"Nearly every patient with high pNFH therefore has an event by day {spec.study.primary_window_days}: "
            f"the results of that group reflect this assumption of the simulation, not data.")


# the variables whose methods say how records are placed in analysis visits and chosen for analysis
RECORD_SELECTION = ("AVISIT", "ABLFL", "ANL01FL")


def _windows(doc: PdfDocument, spec: Spec) -> None:
    """The analysis visit windows of specs/adam (visit_windows.csv), then each dataset's rules for them."""
    windows: dict[tuple, list[str]] = {}
    for w in spec.windows:
        key = (w.avisitn, w.avisit, w.awlo, w.awhi, w.awtarget, w.awu)
        windows.setdefault(key, []).append(w.dataset)
    if windows:
        doc.paragraph("Analysis visits are assigned by the analysis day (ADY) of each record, in these windows:",
                      after=0.5)
        day = lambda x: "" if x is None or x != x else f"{x:g}"  # noqa: E731
        rows = [[f"{n:g}", visit, day(lo), day(hi), day(target), unit.lower(), ", ".join(datasets)]
                for (n, visit, lo, hi, target, unit), datasets in sorted(windows.items(), key=lambda kv: kv[0][0])]
        doc.table(["AVISITN", "AVISIT", "From day", "To day", "Target day", "Unit", "Datasets"], rows,
                  widths=(16, 26, 16, 16, 18, 14, 68), size=7.5)
    else:
        doc.paragraph("No analysis dataset has analysis visit windows.")
    rows = []
    for ds in spec.adam.datasets.values():
        for name in RECORD_SELECTION:
            var = next((v for v in ds.variables if v.name == name and v.method in spec.adam.methods), None)
            if var is not None:
                rows.append([ds.name, name, spec.adam.methods[var.method].description])
    if rows:
        doc.paragraph("How each dataset places records in analysis visits (unscheduled visits included, by their "
                      "day), and chooses the baseline and the record analysed at each visit:", after=0.5)
        doc.table(["Dataset", "Variable", "Rule"], rows, widths=(18, 18, 138), size=7.5, title="Record selection")


def _imputations(doc: PdfDocument, std) -> None:
    """Every variable derived by an imputation method, and the derived records (DTYPE) of each dataset."""
    rows, seen = [], set()
    for ds in std.datasets.values():
        for v in ds.variables:
            method = std.methods.get(v.method)
            if method is None or method.id in seen or not (method.type == "Imputation" or v.name == "DTYPE"):
                continue
            seen.add(method.id)
            rows.append([ds.name, method.name, method.description])
    if rows:
        doc.paragraph("Imputed values and derived records, as define.xml's methods give them (an imputed date "
                      "carries its imputation flag):", after=0.5)
        doc.table(["Dataset", "Variables", "Method"], rows, widths=(18, 30, 126), size=7.5, title="Imputation methods")
    else:
        doc.paragraph("No value is imputed.")


def _core_variables(std) -> list[list[str]]:
    subject = std.datasets.get(SUBJECT_LEVEL)
    if subject is None:
        return []
    identifiers = {"STUDYID", "USUBJID", "SUBJID", "SITEID"}
    rows = []
    for v in subject.variables:
        used = [ds.name for ds in std.datasets.values() if ds.name != SUBJECT_LEVEL and v.name in ds.names]
        if used and v.name not in identifiers:
            rows.append([v.name, v.label, ", ".join(used)])
    return rows


# DM.ARM, SUPPDM.QVAL, and the "DS/DSSTDTC/DSSEQ" of a source record
_DATASET_VARIABLE = re.compile(r"\b([A-Z][A-Z0-9]{1,7})[./][A-Z][A-Z0-9]{0,7}\b")


def _dependencies(std, report: Report, sdtm_names) -> list[list[str]]:
    """Each analysis dataset and the datasets its variables are taken or derived from (their predecessors and
    the datasets its methods name)."""
    submitted = set(report.datasets["dataset"]) if len(report.datasets) else set(std.datasets)
    rows, known = [], set(std.datasets) | set(sdtm_names)
    for ds in std.datasets.values():
        if ds.name not in submitted:
            continue
        sources = {v.predecessor.split(".")[0] for v in ds.variables if "." in v.predecessor}
        used = [v.method for v in ds.variables] + [v.method for v in std.valuelevel if v.dataset == ds.name]
        methods = [std.methods[m].description for m in dict.fromkeys(used) if m in std.methods]
        sources |= {m.group(1) for text in methods for m in _DATASET_VARIABLE.finditer(text)} & known
        if ds.name != SUBJECT_LEVEL and SUBJECT_LEVEL in std.datasets:
            sources.add(SUBJECT_LEVEL)
        sources.discard(ds.name)
        rows.append([ds.name, ", ".join(sorted(sources)) or "the SDTM datasets named in its derivations"])
    return rows


def _programs(doc: PdfDocument, spec: Spec) -> None:
    listed = programs(spec)
    doc.heading("7.1 Description", 1)
    if not listed:
        doc.paragraph("No analysis program is submitted.")
        return
    doc.paragraph("The programs that produce the analysis results are submitted as text files in the programs "
                  "folder beside the analysis datasets (analysis/adam/programs). Each is a self-contained "
                  "Python 3 program that reads the submitted SAS transport files with public packages only, "
                  "and prints the numbers of its analyses.")
    doc.heading("7.2 ADaM Programs", 1)
    doc.paragraph(f"The programs that derive the analysis datasets are not submitted as text files: the datasets "
                  f"were derived with the open-source Python package cdisc-mirocals (version {__version__}), "
                  f"and each derivation is given by its method in define.xml and in section 3 of this guide.")
    doc.heading("7.3 Analysis Output Programs", 1)
    results, displays = spec.adam.analysis_results, spec.adam.displays
    rows, analyses = [], []
    for p in listed:
        computed = [r for r in results if p.computes(r.key) and r.display in displays]
        shown = dict.fromkeys(displays[r.display].name for r in computed)
        rows.append([p.file, p.context, "; ".join(shown) or "none"])
        analyses += [[p.file, displays[r.display].name, r.description] for r in computed]
        others = _parameters_also_analysed(p, computed, spec)
        if others:
            analyses.append([p.file, "The same analyses of other parameters", others])
    doc.paragraph("Each program, and the analysis result displays of define.xml whose numbers it computes:",
                  after=0.5)
    doc.table(["Program", "Language and packages", "Result displays"], rows, widths=(22, 60, 92), size=7.5)
    if analyses:
        doc.heading("7.4 Analyses Computed by Each Program", 1)
        doc.paragraph("The analysis results of define.xml each program prints, by display:", after=0.5)
        doc.table(["Program", "Result display", "Analysis result"], analyses, widths=(22, 45, 107), size=7.5)


def _parameters_also_analysed(program, computed, spec: Spec) -> str:
    """The time-to-event parameters a program analyses beyond those of define.xml's displays, by their PARAM."""
    shown = {r.key.split("/")[0] for r in computed}
    decodes = {t.term: t.decode for cl in spec.adam.codelists.values() if cl.id.startswith("PARAMCD")
               for t in cl.terms}
    extra = [prefix.rstrip("/") for prefix in program.prefixes if prefix.endswith("/")]
    return "; ".join(decodes.get(code, code) for code in extra if code not in shown)
