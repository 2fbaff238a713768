"""report.html: one self-contained page with everything (figures inlined): Table 1, disposition and the
CONSORT diagram, the efficacy tables and figures, and the safety tables and figures."""

from __future__ import annotations

from pathlib import Path

from cdisc_mirocals.analysis import tables
from cdisc_mirocals.analysis.bdstables import table_for
from cdisc_mirocals.analysis.render import html_table, image, page, result_block, slug
from cdisc_mirocals.analysis.result import Result
from cdisc_mirocals.analysis import secondary_tables
from cdisc_mirocals.analysis.survival import ParamResults
from cdisc_mirocals.textsafe import html_text

SAFETY_TABLES = {"overview": tables.overview_table, "soc_pt": tables.soc_pt_table, "severity": tables.severity_table,
                 "serious": tables.serious_table, "exposure": tables.exposure_table}


def survival_section(results: list[ParamResults], figures: dict[str, Path]) -> str:
    out = []
    for r in results:
        out.append(f'<h3 id="{slug(r.data.paramcd)}">{html_text(r.data.paramcd)}: {html_text(r.data.param)}</h3>')
        out.append(f'<p class="note">{html_text(r.data.population_label)}: n = {len(r.data.frame)}, events = '
                   f'{int(r.data.frame["event"].sum())}</p>')
        if r["km"].done:
            out.append(html_table(tables.survival_table(r), r["km"], "Kaplan-Meier estimates"))
            out.append(html_table(tables.at_risk_table(r), r["km"], "Number of subjects at risk"))
        else:
            out.append(result_block(r["km"], None))
        comparisons = tables.comparison_table(r)
        owners = [next(x for x in r.results.values() if x.key == key) for key in comparisons["Key"]]
        out.append(html_table(comparisons.drop(columns="Key"), None, "Comparisons", index=False, row_results=owners))
        for name, res in r.results.items():
            if name == "km":
                continue
            anchor = f' id="{slug(res.key)}"'
            oids = "".join(f' data-{k}="{html_text(v)}"' for k, v in (("display-oid", res.display_oid),
                                                                      ("result-oid", res.result_oid)) if v)
            body = html_text(res.method) if res.done else f"not done: {html_text(res.skipped)}"
            out.append(f'<p class="note"{anchor} data-analysis="{html_text(res.key)}"{oids}><b>'
                       f'{html_text(res.title)}</b> [{html_text(res.key)}]: {body}</p>')
        out += [f'<p class="note">Note: {html_text(n)}</p>' for n in r.data.notes]
        if f"km_{r.data.paramcd.lower()}" in figures:
            out.append(image(figures[f"km_{r.data.paramcd.lower()}"], f"Kaplan-Meier curves, {r.data.param}",
                             f"Figure: Kaplan-Meier estimates, {r.data.param}"))
    if "forest" in figures:
        out.append(image(figures["forest"], "Forest plot of hazard ratios", "Figure: hazard ratios of the Cox models"))
    return "\n".join(out)


def safety_section(safety: dict[str, Result], figures: dict[str, Path]) -> str:
    out = [result_block(res, SAFETY_TABLES[name](res) if res.done else None) for name, res in safety.items()]
    if "ae_dotplot" in figures:
        out.append(image(figures["ae_dotplot"], "Adverse event dot plot",
                         "Figure: most frequent TEAEs, incidence by arm and relative risk"))
    return "\n".join(out)


def baseline_section(table1: Result, disposition: Result, figures: dict[str, Path]) -> str:
    out = [result_block(disposition, tables.disposition_table(disposition) if disposition.done else None)]
    if "consort" in figures:
        out.append(image(figures["consort"], "CONSORT flow diagram", "Figure: CONSORT flow diagram"))
    out.append(result_block(table1, tables.table1_table(table1) if table1.done else None))
    return "\n".join(out)


def secondary_table(res: Result):
    """The table of a secondary Result: the efficacy models of ADQS and ADRE (secondary_tables.py), or the
    analyses of ADLB and ADVS (bdstables.py); None when it was not done or neither tables it."""
    table = secondary_tables.table(res)
    return table if table is not None else table_for(res.key, res)


def secondary_section(secondary: dict[str, Result]) -> str:
    return "\n".join(result_block(res, secondary_table(res)) for res in secondary.values())


def secondary_markdown(secondary: list[Result]) -> str:
    """The secondary analyses for tables.md: title, table (or why it was not done), method."""
    if not secondary:
        return ""
    parts = ["# Secondary endpoints and laboratory safety\n"]
    for res in secondary:
        parts.append(f"## {res.title} [{res.key}]\n")
        table = secondary_table(res)
        parts.append(f"Not done: {res.skipped}\n" if table is None else table.to_markdown() + "\n")
        parts += [f"- {res.method}"] + [f"- Note: {n}" for n in res.notes]
    return "\n".join(parts) + "\n"


def exposure_section(exposure: Result | None) -> str:
    if exposure is None:
        return ""
    return '<h2 id="exposure">Exposure</h2>\n' + result_block(
        exposure, tables.exposure_table(exposure) if exposure.done else None)


def report(title: str, provenance: dict, results: list[ParamResults], safety: dict[str, Result], table1: Result,
           disposition: Result, figures: dict[str, Path], secondary: dict[str, Result] | None = None,
           exposure: Result | None = None) -> str:
    inputs = "".join(f"<li>{html_text(i['standard'])} {html_text(i['dataset'])} ({html_text(i['file'])}), sha256 "
                     f"<code>{html_text(i['sha256'])}</code></li>" for i in provenance["inputs"])
    head = (f'<p class="note">cdisc-mirocals {html_text(provenance["version"])}; '
            f'{html_text(provenance["timestamp"])}</p>'
            f'<details><summary class="note">Inputs</summary><ul class="note">{inputs}</ul></details>')
    nav = ('<nav><ul><li><a href="#population">Study population</a></li><li><a href="#efficacy">Efficacy</a></li>'
           '<li><a href="#safety">Safety</a></li>' + ('<li><a href="#exposure">Exposure</a></li>' if exposure else "") +
           ('<li><a href="#secondary">Secondary endpoints and laboratory safety</a></li>' if secondary else '') +
           '</ul></nav>')
    body = "\n".join([head, nav, '<h2 id="population">Study population</h2>',
                      baseline_section(table1, disposition, figures), '<h2 id="efficacy">Efficacy</h2>',
                      survival_section(results, figures), '<h2 id="safety">Safety</h2>',
                      safety_section(safety, figures), exposure_section(exposure)]
                     + (['<h2 id="secondary">Secondary endpoints and laboratory safety</h2>',
                         secondary_section(secondary)] if secondary else []))
    return page(title, body, provenance.get("data_notice"))
