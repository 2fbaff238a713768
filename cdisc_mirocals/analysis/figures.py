"""Figures: a Kaplan-Meier plot per PARAMCD with the number at risk under the axis, and a forest plot
of the hazard ratios. PNG and SVG, written atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # headless: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

from cdisc_mirocals.analysis.km import at_risk  # noqa: E402
from cdisc_mirocals.analysis.survival import ParamResults  # noqa: E402
from cdisc_mirocals.analysis.tables import MODEL_LABELS  # noqa: E402
from cdisc_mirocals.submission.atomic import atomic_write  # noqa: E402

COLOURS = ("#1b6ca8", "#d1495b", "#2e8b57", "#edae49", "#6a4c93")
plt.rcParams["svg.hashsalt"] = "cdisc-mirocals"  # stable SVG ids: identical inputs, identical files
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def _save(fig, stem: Path) -> list[Path]:
    paths = []
    for fmt in ("png", "svg"):
        path = stem.with_suffix(f".{fmt}")
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=150, bbox_inches="tight", metadata=METADATA[fmt])
        paths.append(path)
    plt.close(fig)
    return paths


def km_figure(result: ParamResults, stem: Path, ticks: list[float] | None = None) -> list[Path]:
    frame, arms = result.data.frame, result.data.arms
    if not ticks:
        horizon = max(max(result.data.options.survival_times), frame["time"].max())
        step = 80 if horizon > 400 else 20
        ticks = list(range(0, int(horizon) + 1, step))
    counts = at_risk(frame, arms, ticks)
    fig, (ax, table) = plt.subplots(2, 1, figsize=(9, 6.5), gridspec_kw={"height_ratios": [4, 1.2]}, sharex=True)
    for colour, arm in zip(COLOURS, result.arms):
        curve = arm.curve
        ax.step(curve["time"], curve["survival"], where="post", color=colour, label=f"{arm.arm} (n={arm.n})")
        ax.fill_between(curve["time"], curve["ci_lower"], curve["ci_upper"], step="post", color=colour, alpha=0.12)
        censored = frame[(frame["arm"] == arm.arm) & (frame["event"] == 0)]["time"]
        at = curve.set_index("time")["survival"].reindex(sorted(set(censored)), method="ffill")
        ax.plot(at.index, at.to_numpy(), "|", color=colour, markersize=7)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Probability of survival")
    ax.set_title(f"{result.data.param}\n{result.data.options.population} = 'Y'; shaded: "
                 f"{int(100 * (1 - result.data.options.alpha))}% CI ({result.data.options.ci_transform}); | censored")
    ax.legend(loc="lower left", frameon=False)
    ax.grid(alpha=0.3)
    lr = result.logrank["unstratified"]
    hr = result.cox["unadjusted"]
    text = f"Log-rank p = {lr.p:.3f}"
    if hr is not None and hr.hr is not None:
        text += f"\nHR {hr.hr:.2f} ({hr.ci_lower:.2f}-{hr.ci_upper:.2f})"
    ax.text(0.98, 0.95, text, transform=ax.transAxes, ha="right", va="top")
    table.set_ylim(-0.5, len(arms) - 0.5)
    table.invert_yaxis()
    for row, (colour, arm) in enumerate(zip(COLOURS, arms)):
        for t in ticks:
            table.text(t, row, str(counts.loc[arm, t]), ha="center", va="center", color=colour, fontsize=9)
    table.set_yticks(range(len(arms)), labels=arms)
    table.set_xticks(ticks)
    table.set_xlabel("Days since randomisation" if result.data.options.treatment_var.startswith("TRT01P")
                     else "Days")
    table.set_title("Number at risk", loc="left", fontsize=9)
    for side in ("top", "right", "left"):
        table.spines[side].set_visible(False)
    table.tick_params(axis="y", length=0)
    return _save(fig, stem)


def forest_figure(results: list[ParamResults], stem: Path) -> list[Path]:
    rows = [(f"{r.data.paramcd}: {MODEL_LABELS[key]}", c) for r in results for key, model in r.cox.items()
            if model is not None and model.interaction_p is None for c in model.comparisons]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(rows) + 1.2))
    for y, (label, c) in enumerate(rows):
        ax.plot([c.ci_lower, c.ci_upper], [y, y], color="#333333")
        ax.plot(c.hr, y, "s", color=COLOURS[0])
        ax.text(1.02, y, f"{c.hr:.2f} ({c.ci_lower:.2f}-{c.ci_upper:.2f})", transform=ax.get_yaxis_transform(),
                va="center", fontsize=8)
    ax.axvline(1, color="grey", linestyle="--")
    ax.set_xscale("log")
    ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 4, 8) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]] or [1]
    ax.set_xticks(ticks, labels=[f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_yticks(range(len(rows)), labels=[r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"Hazard ratio ({results[0].data.options.reference} = reference), log scale")
    ax.set_title("Hazard ratios with 95% CI", loc="left")
    return _save(fig, stem)
