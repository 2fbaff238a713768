"""The analysis displays PDF a reviewer opens from define.xml's Analysis Results Metadata: one section per
ARM result display (specs/adam/analysis_displays.csv), each on a new page with its bookmark, holding the
tables and figures of its analysis results. The tables are the frames of tables.py, so the numbers are
those of tables.md and report.html; the figures are the PNG files of the same run.

Nothing is written per display: a display shows whatever its results are. A survival result brings its
parameter's comparison rows; the log-rank test (or the Kaplan-Meier estimates) brings the Kaplan-Meier
table, the numbers at risk and the Kaplan-Meier figure; Cox models bring a forest plot of those models (so a
display shows its own hazard ratios, not every display those of all); a safety,
Table 1 or disposition result brings its table (and the dot plot or CONSORT diagram it is drawn in); a
secondary result of the BDS datasets its table of bdstables.py; any other result its summary rows. `write_displays` returns the pages of each display, as laid out, for
define.xml's def:PDFPageRef."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc_mirocals.analysis import fmt, tables
from cdisc_mirocals.analysis.figures import forest_png, notice_on_figures
from cdisc_mirocals.analysis.report import SAFETY_TABLES, secondary_table
from cdisc_mirocals.analysis.result import TEXT_COLUMNS, Result
from cdisc_mirocals.analysis.survival import COX, ParamResults
from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.pdfdoc import PdfDocument

KM_KEYS = ("km", "logrank")  # the results the Kaplan-Meier table and figure depict
TABLE_SIZE = 7.5


@dataclass
class _Figures:
    """The PNG figures of the run by stem, and the forest plots drawn for the displays (by parameter and
    models, drawn once for both layout passes), with the simulated-data notice they carry."""
    files: dict[str, Path]
    forests: dict[tuple, bytes | None]
    notice: str | None


@dataclass
class _Part:
    """What one display shows of one source of results: a parameter's survival analyses, or one result."""
    param: ParamResults | None = None
    names: list[str] = field(default_factory=list)  # analysis names within the parameter
    result: Result | None = None


def write_study_displays(report, spec, adam_dir: Path) -> dict[str, str] | None:
    """The displays PDF of a study into its ADaM folder: the document its ARM result displays cite without
    pages (specs/adam/analysis_displays.csv), at that document's Href. None when no display cites one."""
    std = spec.adam
    laid_out = {k: d for k, d in std.displays.items() if d.document and not d.pages}
    leaves = sorted({d.document for d in laid_out.values()})
    if not leaves:
        return None
    if len(leaves) > 1:
        raise MirocalsError(f"specs/adam/analysis_displays.csv: the displays that give no Pages are laid out in one "
                            f"PDF, so they cite one Document; they cite {', '.join(leaves)}")
    return write_displays(report, laid_out, std.analysis_results, Path(adam_dir) / std.documents[leaves[0]].href,
                          title=f"{spec.study.studyid} analysis displays", notice=report.provenance.get("data_notice"),
                          author=spec.study["study"]["sponsor"])


def write_displays(report, displays: Mapping, results: Sequence, path: Path, *, title: str,
                   notice: str | None = None, author: str = "") -> dict[str, str]:
    """The displays PDF at `path`, `author` (the sponsor) in its metadata; {display ID: its pages, as
    def:PDFPageRef PageRefs ("3 4")}."""
    pdf, pages = render_displays(report, displays, results, title=title, notice=notice, author=author)
    pdf.write(path)
    return {did: " ".join(str(p) for p in range(first, last + 1)) for did, (first, last) in pages.items()}


def render_displays(report, displays: Mapping, results: Sequence, *, title: str, notice: str | None = None,
                    author: str = ""):
    """The document and {display ID: (first page, last page)}. Laid out twice: the contents on the first
    page list the pages of the second pass, which are those of the first (the contents take the same room)."""
    pages, forests = None, {}  # the forest plots, drawn once for both passes
    for _ in range(2):
        pdf, laid = _layout(report, displays, results, title, notice, author, pages, forests)
        if laid == pages:
            break
        pages = laid
    return pdf, laid


def _layout(report, displays, results, title, notice, author, pages, forests):
    figures = _Figures({p.stem: p for p in report.files if p.suffix == ".png"}, forests, notice)
    doc = PdfDocument(title, subject="Tables and figures of the analysis results described in define.xml",
                      author=author, notice=notice, landscape=True)
    _contents(doc, report, displays, pages)
    laid = {}
    for display in displays.values():
        first = doc.heading(display.name, 0, new_page=True)
        doc.paragraph(display.title, bold=True, after=3)
        own = [r for r in results if r.display == display.id]
        for part in _parts(report, own):
            _show(doc, part, figures)
        laid[display.id] = (first, doc.page)
    return doc, laid


def _contents(doc: PdfDocument, report, displays, pages) -> None:
    doc.heading(doc.title, 0)
    inputs = ", ".join(f"{i['file']}" for i in report.provenance["inputs"] if i["standard"] == "ADaM")
    doc.paragraph(f"The tables and figures of each analysis result display of the ADaM define.xml (Analysis "
                  f"Results Metadata), one display per section, each starting on a new page and bookmarked. "
                  f"Computed from the submitted analysis datasets ({inputs}); the submitted programs in the "
                  f"programs folder reproduce every number.")
    stamp = report.provenance.get("timestamp")
    doc.paragraph(f"Produced by cdisc-mirocals {report.provenance['version']}" + (f" on {stamp}." if stamp else "."),
                  size=8)
    rows = [[d.name, d.title, _page_text(pages.get(d.id)) if pages else ""] for d in displays.values()]
    doc.table(["Display", "Title", "Pages"], rows, widths=(60, 170, 20), size=8, align=("LEFT", "LEFT", "RIGHT"))


def _page_text(span) -> str:
    if not span:
        return ""
    first, last = span
    return f"{first}" if first == last else f"{first}-{last}"


def _parts(report, own) -> list[_Part]:
    """The display's results grouped by where they come from, in the order the display lists them."""
    by_key = {}
    for p in report.results:
        for name, res in p.results.items():
            by_key[res.key] = (p, name, res)
    others = {r.key: r for r in report.all_results() if r.key not in by_key}
    parts: list[_Part] = []
    for r in own:
        if r.key in by_key:
            p, name, _ = by_key[r.key]
            part = next((x for x in parts if x.param is p), None)
            if part is None:
                parts.append(part := _Part(param=p))
            part.names.append(name)
        elif r.key in others:
            parts.append(_Part(result=others[r.key]))
        else:
            parts.append(_Part(result=Result.skip(r.key, r.description, "", "not among the results of this run")))
    return parts


def _show(doc: PdfDocument, part: _Part, figures) -> None:
    if part.param is not None:
        _survival(doc, part.param, part.names, figures)
        return
    res = part.result
    if not res.done:
        doc.heading(res.title, 1)
        doc.paragraph(f"Not done: {res.skipped}")
        return
    name = res.key.partition("/")[2]
    title, index = res.title, True
    if res.key.startswith("SAFETY/") and name in SAFETY_TABLES:
        frame = SAFETY_TABLES[name](res)
    elif res.key.startswith("BASELINE/"):
        frame = tables.table1_table(res)
    elif res.key.startswith("DISPOSITION/"):
        frame = tables.disposition_table(res)
    elif res.key.startswith("EXPOSURE/"):
        frame = tables.exposure_table(res)
    elif (table := secondary_table(res)) is not None:
        frame = table
    else:
        frame, index = _summary(res), False
    # the title and the population line stay with the start of their table
    doc.keep_room(doc.heading_height(res.title, 1) + _population_height(doc, res) + _start_height(doc, frame, index))
    doc.heading(res.title, 1)
    _population(doc, res)
    _frame(doc, frame, index=index, title=title)
    _methods(doc, [res])  # under its table, before a figure, so that it is not read as the next table's
    if name == "soc_pt" and res.key.startswith("SAFETY/"):
        _figure(doc, figures, "ae_dotplot", "Most frequent treatment-emergent adverse events: incidence by arm "
                                            "and relative risk")
    elif res.key.startswith("DISPOSITION/"):
        _figure(doc, figures, "consort", "CONSORT flow diagram")


def _survival(doc: PdfDocument, p: ParamResults, names: list[str], figures) -> None:
    d = p.data
    heading = f"{d.paramcd}: {d.param}"
    population = f"{d.population_label}: n = {len(d.frame)}, events = {int(d.frame['event'].sum())}"
    keys = {p.results[n].key for n in names}
    labelled = []  # (label, frame, index, title): each label stays with the start of its table
    if any(n in KM_KEYS for n in names) and p["km"].done:
        labelled.append(("Kaplan-Meier estimates", tables.survival_table(p), True,
                         f"{d.paramcd}: Kaplan-Meier estimates"))
        labelled.append(("Number of subjects at risk", tables.at_risk_table(p), True,
                         f"{d.paramcd}: number of subjects at risk"))
    comparisons = tables.comparison_table(p)
    comparisons = comparisons[comparisons["Key"].isin(keys)].drop(columns="Key")
    if len(comparisons):
        labelled.append(("Comparisons", comparisons.loc[:, (comparisons != "").any()], False,
                         f"{d.paramcd}: comparisons"))
    lead = doc.heading_height(heading, 1) + doc.paragraph_height(population, size=8.5)
    if labelled:
        label, frame, index, _ = labelled[0]
        lead += doc.paragraph_height(label, size=8.5, bold=True) + _start_height(doc, frame, index)
    doc.keep_room(lead)
    doc.heading(heading, 1)
    doc.paragraph(population, size=8.5)
    for label, frame, index, title in labelled:
        doc.keep_room(doc.paragraph_height(label, size=8.5, bold=True) + _start_height(doc, frame, index))
        doc.paragraph(label, bold=True, size=8.5)
        _frame(doc, frame, index=index, title=title)
    _methods(doc, [p.results[n] for n in names])
    for note in _ph_notes(p, names):
        doc.paragraph(f"Note: {note}", size=8)
    for note in d.notes:
        doc.paragraph(f"Note: {note}", size=8)
    if any(n in KM_KEYS for n in names):
        _figure(doc, figures, f"km_{d.paramcd.lower()}", f"Kaplan-Meier estimates, {d.param}")
    cox = [n for n in names if n in COX and p.results[n].done]
    if cox:
        key = (d.paramcd, tuple(cox))
        if key not in figures.forests:
            with notice_on_figures(figures.notice):
                own = dataclasses.replace(p, results={n: p.results[n] for n in cox})
                figures.forests[key] = forest_png([own])
        if figures.forests[key] is not None:
            doc.image(figures.forests[key])
            doc.paragraph(f"Figure: Hazard ratios of the Cox models of this display, {d.param}", size=8)


def _ph_notes(p: ParamResults, names: list[str]) -> list[str]:
    """A proportional-hazards test significant at the analysis's level under a hazard ratio the display shows:
    the ratio is an average over time of one that changes, which a reader must know (and where to look instead)."""
    alpha = p.data.options.alpha
    flagged = []
    for n in names:
        res = p.results[n]
        if n in COX and res.done:
            ph = res.get("ph_global", "p")
            if not fmt.missing(ph) and ph < alpha:
                flagged.append(res.title)
    if not flagged:
        return []
    rmst = "rmst" in names and p.results["rmst"].done
    return [f"The proportional-hazards test is significant at the {100 * alpha:g}% level ({'; '.join(flagged)}): "
            f"the hazard ratio summarises a ratio that changes over time"
            + ("; see the restricted mean survival time." if rmst else ".")]


def _population_text(res: Result) -> str:
    counts = ", ".join(f"{k} = {v}" for k, v in (("n", res.n), ("events", res.events)) if v is not None)
    return ": ".join(x for x in (res.population, counts) if x)


def _population(doc: PdfDocument, res: Result) -> None:
    if text := _population_text(res):
        doc.paragraph(text, size=8.5)


def _population_height(doc: PdfDocument, res: Result) -> float:
    return doc.paragraph_height(text, size=8.5) if (text := _population_text(res)) else 0.0


def _methods(doc: PdfDocument, results: list[Result]) -> None:
    """Each method once (several models often share one), unless it says no more than the title."""
    texts = [r.method for r in results if r.done and r.method and r.method != r.title]
    if texts:
        doc.bullets(list(dict.fromkeys(texts)), size=8, title="Methods")


def _figure(doc: PdfDocument, figures: _Figures, stem: str, caption: str) -> None:
    if stem in figures.files:
        doc.image(figures.files[stem])
        doc.paragraph(f"Figure: {caption}", size=8)


def _summary(res: Result) -> pd.DataFrame:
    """A result no table of tables.py shows: its summary rows, numbers to four significant digits."""
    frame = res.summary.dropna(axis=1, how="all")
    return frame.apply(lambda col: col.fillna("") if col.name in TEXT_COLUMNS else col.map(_number))


def _number(x) -> str:
    return "" if fmt.missing(x) else f"{x + 0.0:.4g}"  # + 0.0: -0.0 prints as 0


def _frame(doc: PdfDocument, frame: pd.DataFrame, index: bool = True, title: str | None = None) -> None:
    """The frame as a table; `title` heads the pages it continues on. A row whose first cell is blank or
    indented (a statistic under its parameter, a preferred term under its SOC, the next arm at the same visit)
    stays on the page of the row it belongs to, where the page allows."""
    if frame.empty:
        return
    header, rows = _cells(frame, index)
    align = ["CENTER" if i and all(_numeric(r[i]) for r in rows) else "LEFT" for i in range(len(header))]
    doc.table(header, rows, size=TABLE_SIZE, align=align, fit=True, title=title, keep=_runs(rows))


def _cells(frame: pd.DataFrame, index: bool) -> tuple[list[str], list[list[str]]]:
    if index:
        frame = frame.reset_index()
    return [str(c) for c in frame.columns], [["" if v is None else str(v) for v in row]
                                             for row in frame.itertuples(index=False)]


def _start_height(doc: PdfDocument, frame: pd.DataFrame, index: bool = True) -> float:
    """What of the frame's table the table keeps on its first page (its header and first rows), in mm."""
    if frame.empty:
        return 0.0
    header, rows = _cells(frame, index)
    return doc.table_start_height(header, rows, size=TABLE_SIZE, fit=True, keep=_runs(rows))


def _runs(rows: list[list[str]]) -> list[int] | None:
    """The lengths of the runs of rows that belong together: a row with a blank or indented first cell
    belongs to the row above, and a label row (nothing but its first cell: a parameter's name) to the row
    below. None when every row stands alone."""
    runs: list[int] = []
    heading = False  # the run so far is label rows only
    for row in rows:
        label = bool(row[0].strip()) and not any(c.strip() for c in row[1:])
        belongs = bool(runs) and (heading or not row[0].strip() or row[0][:1].isspace())
        if belongs:
            runs[-1] += 1
            heading = heading and label
        else:
            runs.append(1)
            heading = label
    return runs if any(n > 1 for n in runs) else None


def _numeric(cell: str) -> bool:
    """A cell of numbers ("0.83 (0.53, 1.29)", "43 (39.1)", "< 0.001", "NE"), centred under its heading."""
    head = cell.strip()[:1]
    return not cell.strip() or head.isdigit() or head in "<-(" or cell.strip().startswith("NE")
