"""Every file of OUT/analysis, from one AnalysisReport: JSON (one serializer), numeric CSV, HTML and
Markdown tables, figures, and report.html.

    results.json, results.csv, tables.md, tables.html, km_<paramcd>.png/.svg, forest.png/.svg
    safety.json, safety_<table>.csv, safety.html, ae_dotplot.png/.svg
    baseline.json, table1.csv, disposition.csv, consort.png/.svg
    report.html
"""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.analysis import tables
from cdisc_mirocals.analysis.consort import consort_figure
from cdisc_mirocals.analysis.figures import ae_dot_plot, forest_figure, km_figure, notice_on_figures
from cdisc_mirocals.analysis.render import page, write_csv, write_json, write_text
from cdisc_mirocals.analysis.report import report, safety_section, survival_section
from cdisc_mirocals.analysis.secondary_tables import secondary_markdown


def _figures(paths: list[Path]) -> dict[str, Path]:
    return {p.stem: p for p in paths if p.suffix == ".png"}


def _markdown(results) -> str:
    parts = ["# Survival analyses\n"]
    for r in results:
        parts.append(f"## {r.data.paramcd}: {r.data.param} ({r.data.population_label})\n")
        km = tables.survival_table(r)
        if not km.empty:
            parts.append(km.to_markdown() + "\n")
            parts.append(tables.at_risk_table(r).to_markdown() + "\n")
        parts.append(tables.comparison_table(r).to_markdown(index=False) + "\n")
        parts += [f"- Note: {n}" for n in r.data.notes]
    return "\n".join(parts) + "\n"


def write_outputs(rep, out: Path, options, at_risk_times, title: str) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    survival = [x for r in rep.results for x in r.results.values()]
    files.append(write_json(out / "results.json", {"provenance": rep.provenance,
                                                   "parameters": [r.describe() for r in rep.results],
                                                   "results": survival,
                                                   **({"secondary": list(rep.secondary.values())}
                                                      if rep.secondary else {})}))
    files.append(write_csv(out / "results.csv", survival))
    notice = rep.provenance.get("data_notice")  # simulated data: every page and figure says so
    files.append(write_text(out / "tables.md", (f"**{notice}**\n\n" if notice else "") + _markdown(rep.results)
                                             + (secondary_markdown(rep.secondary) if rep.secondary else "")))
    if rep.secondary:
        files.append(write_csv(out / "secondary.csv", list(rep.secondary.values())))
    figs = []
    with notice_on_figures(notice):
        for r in rep.results:
            figs += km_figure(r, out / f"km_{r.data.paramcd.lower()}", at_risk_times)
        figs += forest_figure(rep.results, out / "forest")
        figs += ae_dot_plot(rep.safety["soc_pt"], options.dot_plot_threshold, out / "ae_dotplot")
        figs += consort_figure(rep.disposition, out / "consort")
    figures = _figures(figs)
    files.append(write_text(out / "tables.html", page(f"{title}: survival analyses", survival_section(rep.results, {}),
                                                      notice)))
    files.append(write_json(out / "safety.json", {"provenance": rep.provenance, "results": list(rep.safety.values())}))
    for name, res in rep.safety.items():
        files.append(write_csv(out / f"safety_{name}.csv", [res]))
    files.append(write_text(out / "safety.html", page(f"{title}: safety", safety_section(rep.safety, {}), notice)))
    files.append(write_json(out / "baseline.json", {"provenance": rep.provenance,
                                                    "results": [rep.table1, rep.disposition]}))
    files.append(write_csv(out / "table1.csv", [rep.table1]))
    files.append(write_csv(out / "disposition.csv", [rep.disposition]))
    files.append(write_text(out / "report.html", report(title, rep.provenance, rep.results, rep.safety, rep.table1,
                                                       rep.disposition, figures, rep.secondary)))
    return files + figs
