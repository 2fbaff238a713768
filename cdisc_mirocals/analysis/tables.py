"""Writers of the analysis report: results.json, and the CSR tables as CSV, Markdown and HTML.

The results are built once (survival.py); each writer only renders them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cdisc_mirocals.analysis.survival import ParamResults
from cdisc_mirocals.submission.atomic import atomic_write

MODEL_LABELS = {
    "unadjusted": "Unadjusted", "stratified": "Stratified by randomisation strata",
    "adjusted": "Adjusted for pre-specified covariates", "pnfh_low": "Low pNFH subgroup",
    "pnfh_high": "High pNFH subgroup", "pnfh_interaction": "Treatment by pNFH group interaction",
    "pnfh_adjusted": "Adjusted for log pNFH",
}


def _num(x, fmt="{:.3f}") -> str:
    return "" if x is None or (isinstance(x, float) and pd.isna(x)) else fmt.format(x)


def _p(x) -> str:
    return "" if x is None else ("<0.0001" if x < 0.0001 else f"{x:.4f}")


def _ci(lo, hi, fmt="{:.1f}") -> str:
    """NE: not estimable (e.g. a limit of the median where the curve never crosses 0.5)."""
    return f"({_num(lo, fmt) or 'NE'}, {_num(hi, fmt) or 'NE'})"


def survival_table(result: ParamResults) -> pd.DataFrame:
    """Table: Kaplan-Meier estimates by arm (one column per arm, as a CSR shows them)."""
    o = result.data.options
    rows = {"Number of subjects": [str(a.n) for a in result.arms],
            "Number of events (%)": [f"{a.events} ({100 * a.events / a.n:.1f}%)" for a in result.arms],
            "Number censored": [str(a.n - a.events) for a in result.arms],
            "Median time, days (95% CI)": [f"{_num(a.median, '{:.0f}') or 'NE'} {_ci(*a.median_ci, fmt='{:.0f}')}"
                                           for a in result.arms]}
    for i, t in enumerate(o.survival_times):
        rows[f"Survival at day {t:g} (95% CI)"] = [
            f"{_num(a.survival_at[i]['survival'])} {_ci(a.survival_at[i]['ci_lower'], a.survival_at[i]['ci_upper'], '{:.3f}')}"
            for a in result.arms]
    table = pd.DataFrame(rows, index=[a.arm for a in result.arms]).T
    table.index.name = f"{result.data.paramcd} ({o.ci_transform} confidence limits)"
    return table


def comparison_table(result: ParamResults) -> pd.DataFrame:
    rows = []
    for key, test in result.logrank.items():
        if test is not None:
            rows.append({"Analysis": f"Log-rank test, {key}", "Comparison": "all arms",
                         "Estimate (95% CI)": f"chi-square {test.chisq:.3f} ({test.df} df)", "p": _p(test.p),
                         "LR p": "", "PH test p": "", "N (events)": ""})
    for key, model in result.cox.items():
        if model is None:
            continue
        if model.interaction_p is not None:
            rows.append({"Analysis": f"Cox: {MODEL_LABELS[key]}", "Comparison": "interaction", "Estimate (95% CI)": "",
                         "p": _p(model.interaction_p), "LR p": _p(model.p_lr), "PH test p": "",
                         "N (events)": f"{model.n} ({model.events})"})
            continue
        for c in model.comparisons:
            rows.append({"Analysis": f"Cox: {MODEL_LABELS[key]}", "Comparison": f"{c.arm} vs {result.data.options.reference}",
                         "Estimate (95% CI)": f"HR {c.hr:.3f} {_ci(c.ci_lower, c.ci_upper, '{:.3f}')}", "p": _p(c.p),
                         "LR p": _p(model.p_lr), "PH test p": _p(model.ph_p), "N (events)": f"{model.n} ({model.events})"})
    if result.rmst is not None and result.rmst.difference is not None:
        r = result.rmst
        rows.append({"Analysis": f"RMST to day {r.tau:g} (days)", "Comparison": f"{r.arms[1]['arm']} - {r.arms[0]['arm']}",
                     "Estimate (95% CI)": f"{r.difference:.1f} {_ci(r.ci_lower, r.ci_upper)}", "p": _p(r.p),
                     "LR p": "", "PH test p": "", "N (events)": ""})
    return pd.DataFrame(rows)


def write_json(results: list[ParamResults], path: Path) -> Path:
    with atomic_write(path, "w") as fh:
        json.dump({"analyses": [r.to_dict() for r in results]}, fh, indent=2, allow_nan=False)
        fh.write("\n")
    return path


def write_tables(results: list[ParamResults], folder: Path) -> list[Path]:
    written = []
    md, html = [], []
    for r in results:
        surv, comp = survival_table(r), comparison_table(r)
        title = f"{r.data.paramcd}: {r.data.param}, population {r.data.options.population} = 'Y'"
        for name, table, index in (("survival", surv, True), ("comparisons", comp, False)):
            path = folder / f"{r.data.paramcd.lower()}_{name}.csv"
            with atomic_write(path, "w") as fh:
                table.to_csv(fh, index=index, lineterminator="\n")
            written.append(path)
        notes = "".join(f"\n- {n}" for n in r.data.notes)
        md.append(f"## {title}\n\n{surv.to_markdown()}\n\n{comp.to_markdown(index=False)}\n" + (f"\nNotes:{notes}\n" if notes else ""))
        html.append(f"<h2>{title}</h2>\n{surv.to_html()}\n{comp.to_html(index=False)}")
    for path, text in ((folder / "tables.md", "# Survival analyses\n\n" + "\n".join(md)),
                       (folder / "tables.html", "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Survival analyses"
                        "</title></head><body><h1>Survival analyses</h1>\n" + "\n".join(html) + "\n</body></html>\n")):
        with atomic_write(path, "w") as fh:
            fh.write(text)
        written.append(path)
    return written
