"""The CONSORT 2010 flow diagram (enrolment, allocation, follow-up, analysis), drawn from the disposition
Result (disposition.py: ADSL, and SDTM DM, DS and IE), as PNG and SVG.

Boxes are laid out in inches, top to bottom: each box is as tall as its wrapped text, so long
screen-failure or discontinuation reasons never overflow, and any number of arms gets a column.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from cdisc_mirocals.analysis.figures import save
from cdisc_mirocals.analysis.result import Result

WIDTH = 8.0  # inches
LINE = 0.165  # inches per text line at 8 pt
PAD = 0.08
GAP = 0.3  # between stages
STAGE_COLOUR = "#DCE9F5"
CHARS_PER_INCH = 15.5  # 8 pt DejaVu Sans, for wrapping


def _n(t, name, group, category=None) -> int | None:
    sel = (t["name"] == name) & (t["group"] == group)
    if category is not None:
        sel &= t["category"] == category
    rows = t[sel]
    return None if rows.empty else int(rows["n"].iloc[0])


def _keep(text: str) -> str:
    """'(n = 84)' never breaks across lines."""
    return text.replace("(n = ", "(n\u00a0=\u00a0")


def _wrap(text: str, width: int, indent: str = "") -> list[tuple[str, bool]]:
    return [(line, False) for line in textwrap.wrap(_keep(text), width, initial_indent=indent,
                                                    subsequent_indent=" " * (len(indent) + 1))]


def _heading(text: str, width: int) -> list[tuple[str, bool]]:
    return [(line, True) for line in textwrap.wrap(_keep(text), width)]


def _reasons(t, name, group, width, indent="- ", label=None) -> list[tuple[str, bool]]:
    sel = (t["name"] == name) & (t["group"] == group) & (t["n"] > 0)
    if label is not None:
        sel &= t["label"] == label
    out = []
    for _, r in t[sel].iterrows():
        out += _wrap(f"{r['category']} (n = {int(r['n'])})", width, indent)
    return out


class _Layout:
    """Boxes (x, y, w, lines) and arrows in inches, y downwards."""

    def __init__(self):
        self.boxes, self.lines, self.arrows = [], [], []

    def box(self, x, y, w, lines) -> float:
        h = 2 * PAD + LINE * len(lines)
        self.boxes.append((x, y, w, h, lines))
        return h

    def draw(self, stages, total) -> plt.Figure:
        fig = plt.figure(figsize=(WIDTH, total))
        ax = fig.add_axes([0, 0, 1, 1])
        ax.set_xlim(0, WIDTH)
        ax.set_ylim(total, 0)
        ax.axis("off")
        for i, (stage, top) in enumerate(stages):
            end = stages[i + 1][1] - GAP / 2 if i + 1 < len(stages) else total - 0.1
            ax.add_patch(Rectangle((0.05, top), 0.32, end - top - 0.05, fc=STAGE_COLOUR, ec="none"))
            ax.text(0.21, (top + end) / 2, stage, rotation=90, ha="center", va="center", fontsize=8.5,
                    fontweight="bold")
        for x, y, w, h, lines in self.boxes:
            ax.add_patch(Rectangle((x, y), w, h, fc="white", ec="#222222", lw=0.8))
            for k, (line, bold) in enumerate(lines):
                ax.text(x + PAD, y + PAD + LINE * (k + 0.5), line, va="center", ha="left", fontsize=8,
                        fontweight="bold" if bold else "normal")
        for (x0, y0), (x1, y1) in self.lines:
            ax.plot([x0, x1], [y0, y1], color="#222222", lw=0.8, solid_capstyle="butt")
        for (x0, y0), (x1, y1) in self.arrows:
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 0.8, "shrinkA": 0, "shrinkB": 0,
                                    "mutation_scale": 8})
        return fig


def consort_figure(disp: Result, stem: Path) -> list[Path]:
    if not disp.done:
        return []
    t = disp.summary
    arms, overall = disp.parameters["arms"], disp.parameters["overall"]
    lay = _Layout()
    gap = 0.25
    col_w = (WIDTH - 0.6 - gap * (len(arms) - 1)) / len(arms)
    chars = int(col_w * CHARS_PER_INCH)
    xs = [0.5 + i * (col_w + gap) for i in range(len(arms))]
    centres = [x + col_w / 2 for x in xs]
    mid, main_w = WIDTH / 2 + 0.2, 2.9
    y, stages = 0.1, [("Enrolment", 0.1)]
    screened = _n(t, "screened", overall)
    if screened is not None:
        h = lay.box(mid - main_w / 2, y, main_w, [(f"Assessed for eligibility (n = {screened})", True)])
        ex_x, ex_w = mid + 0.35, WIDTH - mid - 0.4
        ex_chars = int(ex_w * CHARS_PER_INCH)
        lines = _heading(f"Excluded (n = {_n(t, 'screen_failure', overall)})", ex_chars)
        for _, g in t[(t["name"] == "screen_failure_group") & (t["group"] == overall)].iterrows():
            lines += _wrap(f"{g['category']} (n = {int(g['n'])})", ex_chars, "- ")
            lines += _reasons(t, "screen_failure_reason", overall, ex_chars, "    ", label=g["category"])
        ex_y = y + h + 0.2
        ex_h = lay.box(ex_x, ex_y, ex_w, lines)
        lay.arrows.append(((mid, ex_y + ex_h / 2), (ex_x, ex_y + ex_h / 2)))
        next_y = ex_y + ex_h + 0.2
        lay.arrows.append(((mid, y + h), (mid, next_y)))
        y = next_y
    h = lay.box(mid - main_w / 2, y, main_w, [(f"Randomised (n = {_n(t, 'randomised', overall)})", True)])
    bar = y + h + GAP / 2
    lay.lines += [((mid, y + h), (mid, bar)), ((min(centres), bar), (max(centres), bar))]
    y = bar + GAP / 2
    stages.append(("Allocation", y - 0.05))

    def allocation(arm):
        lines = _heading(f"Allocated to {arm} (n = {_n(t, 'randomised', arm)})", chars)
        for name, text in (("treated", "Received the allocated treatment"), ("not_treated", "Did not receive it")):
            n = _n(t, name, arm)
            if n is not None:
                lines += _wrap(f"{text} (n = {n})", chars, "- ")
        return lines

    def follow_up(arm):
        lines = []
        for name, text in (("discontinued_treatment", "Discontinued treatment"),
                           ("discontinued_study", "Discontinued the study")):
            n = _n(t, name, arm)
            if n is not None:
                lines += _heading(f"{text} (n = {n})", chars) + _reasons(t, f"{name}_reason", arm, chars)
        died = _n(t, "died", arm)
        if died is not None:
            lines += _heading(f"Died, any time to the data cut-off (n = {died})", chars)
        return lines or [("(not recorded)", False)]

    def analysis(arm):
        label = t.loc[t["name"] == "analysed", "label"].iloc[0]
        return _heading(f"Analysed (n = {_n(t, 'analysed', arm)})", chars) + _wrap(label.removeprefix("Analysed "),
                                                                                   chars)

    for stage, make in (("Allocation", allocation), ("Follow-up", follow_up), ("Analysis", analysis)):
        if stage != "Allocation":
            stages.append((stage, y - 0.05))
        heights = [lay.box(x, y, col_w, make(arm)) for x, arm in zip(xs, arms)]
        if stage == "Allocation":
            lay.arrows += [((c, bar), (c, y)) for c in centres]
        next_y = y + max(heights) + GAP
        if stage != "Analysis":
            lay.arrows += [((c, y + h), (c, next_y)) for c, h in zip(centres, heights)]
        y = next_y
    return save(lay.draw(stages, y), stem)
