"""Figures for a journal: Kaplan-Meier curves with the number at risk, a forest plot of the hazard ratios,
and the adverse-event dot plot. PNG (200 dpi) and SVG (vector, for print), written atomically and reproducibly.

Readers see words, not variable names: titles and axis labels come from PARAM and the population
flag's label, p values print as journals print them (p < 0.001), and time axes get at most about
eight round ticks whatever the follow-up.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # headless: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator  # noqa: E402

from cdisc_mirocals.analysis import fmt  # noqa: E402
from cdisc_mirocals.analysis.km import at_risk  # noqa: E402
from cdisc_mirocals.analysis.result import Result  # noqa: E402
from cdisc_mirocals.analysis.survival import ParamResults  # noqa: E402
from cdisc_mirocals.submission.atomic import atomic_write  # noqa: E402

# Okabe-Ito: distinguishable with any colour vision, and in greyscale by marker
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9")
MARKERS = ("o", "s", "^", "D", "v", "P")
plt.rcParams.update({
    "svg.hashsalt": "cdisc-mirocals",  # stable SVG ids: identical inputs, identical files
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
})
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


# The simulated-data notice (cdisc_mirocals.simulated) every figure of simulated data carries; set for one
# run of the writers by `notice_on_figures`, so that no figure function needs to know of it.
_NOTICE: contextvars.ContextVar[str | None] = contextvars.ContextVar("figure_notice", default=None)


@contextlib.contextmanager
def notice_on_figures(notice: str | None):
    token = _NOTICE.set(notice)
    try:
        yield
    finally:
        _NOTICE.reset(token)


def _mark_notice(fig) -> None:
    notice = _NOTICE.get()
    if notice:  # above everything, in red, so that a figure cut out of the report still says it
        fig.text(0.5, 1.0, notice, ha="center", va="bottom", color="#b00020", fontsize=10, fontweight="bold",
                 transform=fig.transFigure)


def png_bytes(fig) -> bytes:
    """The figure as the PNG `save` would write, in memory (a figure drawn for one document only)."""
    import io

    _mark_notice(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200, bbox_inches="tight", metadata=METADATA["png"])
    plt.close(fig)
    return buffer.getvalue()


def save(fig, stem: Path) -> list[Path]:
    _mark_notice(fig)
    paths = []
    for fmt_ in ("png", "svg"):
        path = stem.with_suffix(f".{fmt_}")
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format=fmt_, dpi=200 if fmt_ == "png" else 72, bbox_inches="tight",
                        metadata=METADATA[fmt_])
        paths.append(path)
    plt.close(fig)
    return paths


def endpoint(param: str) -> str:
    """'Time to Death up to Day 640 (days)' -> 'Time to death up to day 640': PARAM without its unit."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", param).strip()
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() if i else w for i, w in enumerate(text.split()))


def y_label(param: str) -> str:
    """'Time to Death, Tracheostomy or PAV (days)' -> 'Probability free of death, tracheostomy or PAV';
    death alone -> 'Probability of survival'."""
    event = re.sub(r"^time to\s+(first\s+)?", "", endpoint(param), flags=re.IGNORECASE)
    event = re.sub(r"\s+(up to|by|within)\s+day\s+\d+$", "", event, flags=re.IGNORECASE)
    if event.lower() == "death":
        return "Probability of survival"
    return f"Probability free of {event[:1].lower() + event[1:] if not event[:2].isupper() else event}"


def time_ticks(horizon: float) -> list[float]:
    """At most about eight round ticks from 0 to the horizon (0, 100, ... or 0, 200, ...)."""
    locator = MaxNLocator(nbins=9, steps=[1, 2, 5, 10], integer=True)
    return [float(t) for t in locator.tick_values(0, horizon) if 0 <= t <= horizon]


def log_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Powers of two between lo and hi, thinned out symmetrically around 1 to at most `most` ticks."""
    ticks = [2.0 ** k for k in range(-8, 9) if lo <= 2.0 ** k <= hi]
    step = 1
    while len(ticks[::step]) > most:
        step += 1
    return sorted({t for t in ticks if round(np.log2(t)) % step == 0} | {1.0})


def tick_label(t: float) -> str:
    """0.0625 -> '1/16': ratios below 1 read better as fractions."""
    return f"{t:g}" if t >= 1 else f"1/{1 / t:g}"


def ratio_axis(ax, lo: float, hi: float) -> None:
    """A log x axis for ratios from lo to hi, with a dashed line at 1 (no effect)."""
    ax.axvline(1, color="#777777", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = log_ticks(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([tick_label(t) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())


def km_figure(result: ParamResults, stem: Path, ticks: list[float] | None = None) -> list[Path]:
    data = result.data
    frame, arms, o = data.frame, data.arms, data.options
    if not result.curves:
        return []
    horizon = float(frame["time"].max())
    if ticks:  # the days asked for are all shown, past the last follow-up too (where nobody is at risk)
        horizon = max(horizon, *ticks)
    ticks = [t for t in (ticks or time_ticks(horizon)) if t <= horizon] or [0.0]
    counts = at_risk(frame, arms, ticks)
    fig, (ax, table) = plt.subplots(2, 1, figsize=(7.2, 5.4), sharex=True,
                                    gridspec_kw={"height_ratios": [4, 0.6 + 0.3 * len(arms)], "hspace": 0.08})
    for i, curve in enumerate(result.curves):
        colour = COLOURS[i % len(COLOURS)]
        c = curve.curve
        ax.step(c["time"], c["survival"], where="post", color=colour, lw=1.6, label=f"{curve.arm} (n = {curve.n})")
        ax.fill_between(c["time"], c["ci_lower"], c["ci_upper"], step="post", color=colour, alpha=0.12, lw=0)
        censored = np.sort(frame.loc[(frame["arm"] == curve.arm) & (frame["event"] == 0), "time"].unique())
        at = c.set_index("time")["survival"]
        at = at[~at.index.duplicated(keep="last")].reindex(censored, method="ffill")
        ax.plot(at.index, at.to_numpy(), "|", color=colour, markersize=6, mew=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, horizon * 1.02)
    ax.set_ylabel(y_label(data.param))
    ax.yaxis.set_major_locator(FixedLocator([0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    ax.grid(axis="y", alpha=0.25, lw=0.6)
    ax.legend(loc="upper right", handlelength=1.6)
    level = f"{100 * (1 - o.alpha):g}%"
    ax.text(0, 1.075, endpoint(data.param), transform=ax.transAxes, fontsize=11, fontweight="bold", va="bottom")
    ax.text(0, 1.02, f"{data.population_label}. Shaded: pointwise {level} confidence band; tick marks: censored.",
            transform=ax.transAxes, fontsize=8.5, color="#444444", va="bottom")
    lines = []
    lr, cox = result["logrank"], result["cox_unadjusted"]
    if lr.done:
        lines.append(f"Log-rank {fmt.pvalue(lr.get('logrank', 'p'), 'p ')}")
    if cox.done and len(arms) == 2:
        hr = cox.row("hr")
        lines.append(f"HR {fmt.num(hr['estimate'])} ({level} CI {fmt.num(hr['ci_lower'])} to {fmt.num(hr['ci_upper'])})")
    if lines:
        ax.text(0.02, 0.04, "\n".join(lines), transform=ax.transAxes, ha="left", va="bottom", fontsize=9)
    table.set_ylim(len(arms) - 0.5, -1.2)  # the top 0.7 of a row holds the 'Number at risk' heading
    for row, arm in enumerate(arms):
        for t in ticks:
            table.text(t, row, str(counts.loc[arm, t]), ha="center", va="center", fontsize=8.5,
                       color=COLOURS[row % len(COLOURS)])
    table.set_yticks(range(len(arms)), labels=arms, fontsize=8.5)
    for label, colour in zip(table.get_yticklabels(), COLOURS):
        label.set_color(colour)
    table.set_xticks(ticks, labels=[f"{t:g}" for t in ticks])
    table.set_xlabel("Days since randomisation" if o.treatment_var.startswith("TRT01P") else "Days")
    # Hung from the top of the table, not stood on it, so that it clears the 0.0 label of the axis above.
    table.text(-0.03, 1.0, "Number at risk", transform=table.transAxes, fontsize=8.5, fontweight="bold",
               va="top", ha="right")
    for side in ("top", "right", "left"):
        table.spines[side].set_visible(False)
    table.tick_params(axis="y", length=0, pad=16)
    return save(fig, stem)


FOREST_LABELS = {"cox_unadjusted": "Unadjusted", "cox_stratified": "Stratified{strata}",
                 "cox_adjusted": "Adjusted for covariates{mark}", "cox_log_pnfh": "Adjusted for log {biomarker}"}


def _forest_rows(results: list[ParamResults]) -> tuple[list[dict], list[str]]:
    rows, notes = [], {}
    for r in results:
        o = r.data.options
        rows.append({"header": f"{r.data.paramcd}: {endpoint(r.data.param)}"})
        multi = len(r.data.arms) > 2
        for name, res in r.results.items():
            if not name.startswith("cox_") or not res.done:
                continue
            if name == "cox_adjusted":
                notes["*"] = f"* Adjusted for {', '.join(o.covariates)}."
            label = FOREST_LABELS.get(name, "").format(strata=f" by {o.strata_var}", mark="*",
                                                       biomarker=o.biomarker_var)
            if name == "cox_pnfh_interaction":
                title = res.title.removeprefix("Cox: ")
                for _, inter in res.rows("interaction").iterrows():
                    rows.append({"label": title[:1].upper() + title[1:] + (f" ({inter['group']})" if multi else ""),
                                 "p": inter["p"], "note": True})
                continue
            if name in ("cox_pnfh_low", "cox_pnfh_high"):
                label = res.title.removeprefix("Cox: ")
                label = label[:1].upper() + label[1:]
            for _, hr in res.rows("hr").iterrows():
                rows.append({"label": f"{label}{': ' + hr['group'] if multi else ''}", "n": res.n,
                             "events": res.events, "hr": hr["estimate"], "lo": hr["ci_lower"], "hi": hr["ci_upper"],
                             "p": hr["p"]})
    return rows, list(notes.values())


def forest_figure(results: list[ParamResults], stem: Path) -> list[Path]:
    """One row per Cox model and comparison, grouped by PARAMCD: N, events, the HR with its CI on a log
    axis, the HR (95% CI) and p as text, and which side favours which arm."""
    fig = _forest(results)
    return [] if fig is None else save(fig, stem)


def forest_png(results: list[ParamResults]) -> bytes | None:
    """The forest plot of these results only (a display's own Cox models) as PNG bytes; None without a
    hazard ratio to draw."""
    fig = _forest(results)
    return None if fig is None else png_bytes(fig)


def _forest(results: list[ParamResults]):
    rows, notes = _forest_rows(results)
    if not any("hr" in r for r in rows):
        return None
    arms = results[0].data.arms
    row_h, top, bottom = 0.24, 0.45, 0.95 + 0.16 * len(notes)
    height = top + row_h * len(rows) + bottom
    widths = {"label": 3.1, "n": 0.45, "events": 0.6, "plot": 2.5, "hr": 1.45, "p": 0.6}
    width = sum(widths.values()) + 0.2
    fig = plt.figure(figsize=(width, height))
    axes, x = {}, 0.1
    for name, w in widths.items():
        axes[name] = fig.add_axes([x / width, bottom / height, w / width, row_h * len(rows) / height])
        x += w
    n = len(rows)
    for name, ax in axes.items():
        ax.set_ylim(n - 0.5, -0.5)
        if name != "plot":
            ax.set_xlim(0, 1)
            ax.axis("off")
    plot = axes["plot"]
    headers = {"label": ("Analysis", 0, "left"), "n": ("N", 1, "right"), "events": ("Events", 1, "right"),
               "hr": ("HR (95% CI)", 0.05, "left"), "p": ("p", 1, "right")}
    for name, (text, hx, ha) in headers.items():
        axes[name].text(hx, -0.5 - 0.12 / row_h, text, ha=ha, va="bottom", fontweight="bold", fontsize=8.5,
                        clip_on=False)
    for y, r in enumerate(rows):
        if "header" in r:
            axes["label"].text(0, y, r["header"], fontweight="bold", va="center", fontsize=8.5)
            continue
        style = "italic" if r.get("note") else "normal"
        axes["label"].text(0.04, y, r["label"], va="center", fontsize=8.5, style=style)
        axes["p"].text(1, y, fmt.pvalue(r["p"]), va="center", ha="right", fontsize=8.5, style=style)
        if r.get("note"):
            continue
        axes["n"].text(1, y, f"{int(r['n'])}", va="center", ha="right", fontsize=8.5)
        axes["events"].text(1, y, f"{int(r['events'])}", va="center", ha="right", fontsize=8.5)
        axes["hr"].text(0.05, y, fmt.estimate_ci(r["hr"], r["lo"], r["hi"]), va="center", fontsize=8.5)
        plot.plot([r["lo"], r["hi"]], [y, y], color="#333333", lw=1.1, solid_capstyle="butt")
        plot.plot(r["hr"], y, "s", color=COLOURS[0], markersize=5)
    values = [v for r in rows for v in (r.get("lo"), r.get("hi")) if v is not None and np.isfinite(v)]
    lo, hi = min(values + [0.5]) / 1.15, max(values + [2.0]) * 1.15
    ratio_axis(plot, lo, hi)
    plot.set_yticks([])
    plot.spines["left"].set_visible(False)
    plot.set_xlabel("Hazard ratio (log scale)", labelpad=2)
    one = plot.transData.transform((1, 0))[0]
    x1 = plot.transAxes.inverted().transform((one, 0))[0]
    active = arms[1] if len(arms) == 2 else "treatment"
    for text, ha, sign in ((f"< Favours {active}", "right", -1), (f"Favours {arms[0]} >", "left", 1)):
        plot.text(x1 + sign * 0.02, -0.42 / (row_h * len(rows)), text, transform=plot.transAxes, ha=ha, va="top",
                  fontsize=8, color="#333333")
    for k, note in enumerate(notes):
        fig.text(0.1 / width, (0.12 + 0.16 * (len(notes) - 1 - k)) / height, note, fontsize=7.5, color="#333333")
    return fig


def ae_dot_plot(soc_pt: Result, threshold: float, stem: Path) -> list[Path]:
    """Incidence by arm (left) and relative risk with its CI on a log scale (right), for the PTs reported
    by at least `threshold` % of the subjects of some arm; sorted by relative risk."""
    if not soc_pt.done:
        return []
    arms = soc_pt.parameters["arms"]
    table = soc_pt.summary
    pts = table[(table["name"] == "pt") & (table["measure"] == "subjects")]
    wide = pts.pivot_table(index=["soc", "pt"], columns="group", values="pct", sort=False)
    keep = wide[wide.max(axis=1) >= threshold]
    rr = table[(table["name"] == "pt") & (table["measure"] == "relative_risk")]
    if keep.empty or rr.empty:
        return []
    comparisons = list(dict.fromkeys(rr["group"]))
    first = rr[rr["group"] == comparisons[0]].set_index(["soc", "pt"])
    order = first.loc[keep.index, "estimate"].fillna(0).sort_values(kind="stable").index
    n = len(order)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 0.24 * n + 1.6), sharey=True,
                                      gridspec_kw={"width_ratios": [1, 1.1], "wspace": 0.06})
    y = np.arange(n)
    for i, arm in enumerate(arms):
        left.plot(keep.loc[order, arm], y, MARKERS[i % len(MARKERS)], color=COLOURS[i % len(COLOURS)],
                  label=arm, markersize=5)
    left.set_yticks(y, labels=[pt for _, pt in order], fontsize=8.5)
    left.set_xlabel("Subjects with the event (%)")
    left.set_xlim(0, max(keep.max().max() * 1.1, threshold * 2))
    left.grid(axis="x", alpha=0.25, lw=0.6)
    left.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(arms), 3), fontsize=8.5)
    parts = {c: rr[rr["group"] == c].set_index(["soc", "pt"]).loc[order] for c in comparisons}
    lows = [v for part in parts.values() for v in part["ci_lower"] if np.isfinite(v) and v > 0]
    highs = [v for part in parts.values() for v in part["ci_upper"] if np.isfinite(v)]
    lo = max(min(lows + [0.5]) / 1.15, 1 / 64)  # beyond 64-fold either way, arrowheads say the rest
    hi = min(max(highs + [2.0]) * 1.15, 64.0)
    for j, (comparison, part) in enumerate(parts.items()):
        offset = (j - (len(comparisons) - 1) / 2) * 0.18
        colour = "#333333" if len(comparisons) == 1 else COLOURS[(j + 1) % len(COLOURS)]
        for yy, (_, r) in zip(y + offset, part.iterrows()):
            if not np.isfinite(r["estimate"]):
                continue
            right.plot([max(r["ci_lower"], lo), min(r["ci_upper"], hi)], [yy, yy], color=colour, lw=1)
            for edge, beyond, marker in ((lo, r["ci_lower"] < lo, "<"), (hi, r["ci_upper"] > hi, ">")):
                if beyond:  # the interval runs off the axis: say so with an arrowhead
                    right.plot(edge, yy, marker, color=colour, markersize=4, clip_on=False)
        marker = "o" if len(comparisons) == 1 else MARKERS[(j + 1) % len(MARKERS)]  # the arm's marker, as left
        right.plot(part["estimate"], y + offset, marker, color=colour, markersize=4, label=comparison)
    ratio_axis(right, lo, hi)
    versus = f"{arms[1]} vs {arms[0]}" if len(comparisons) == 1 else f"vs {arms[0]}"
    right.set_xlabel(f"Relative risk, {versus}\n(95% CI, log scale)")
    right.tick_params(axis="y", length=0)
    right.grid(axis="x", alpha=0.25, lw=0.6)
    left.set_ylim(n - 0.5, -0.5)
    height = fig.get_figheight()
    fig.subplots_adjust(top=1 - 0.55 / height, bottom=0.95 / height)
    fig.text(0.02, 1 - 0.12 / height, f"Treatment-emergent adverse events reported by at least {threshold:g}% of "
             "subjects in an arm", ha="left", va="top", fontsize=10, fontweight="bold")
    fig.text(0.02, 0.12 / height, "Relative risk with 0.5 added to each count of both arms when an arm has no "
             "subject with the event; arrowheads: the interval continues beyond the axis.", fontsize=7.5,
             color="#333333")
    return save(fig, stem)
