"""The analysis visit windows (specs/adam/visit_windows.csv): per dataset, AVISIT and AVISITN with the
day range AWLO-AWHI (inclusive, analysis study days) and the target day AWTARGET.

A blank AWTARGET is the planned day of the visit of the same name in study.toml [schedule], so that
the protocol's schedule is written once. Windows of one dataset must not overlap, and each target
must lie inside its window.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.sheets import Sheet, number, parse_keys

COLUMNS = ["Dataset", "AVISITN", "AVISIT", "AWLO", "AWHI", "AWTARGET", "AWU"]


@dataclass(frozen=True)
class VisitWindow:
    dataset: str
    avisitn: float
    avisit: str
    awlo: float | None  # None: open below
    awhi: float | None  # None: open above
    awtarget: float
    awu: str

    def as_record(self) -> dict:
        return {"AVISITN": self.avisitn, "AVISIT": self.avisit, "AWLO": self.awlo, "AWHI": self.awhi,
                "AWTARGET": self.awtarget, "AWU": self.awu}


TABLE = "adam/visit_windows.csv"


def load_windows(source, problems: list[Problem], study: dict) -> tuple[VisitWindow, ...]:
    if not source.has(TABLE):
        return ()
    planned = {v["visit"]: float(v["day"]) for v in study.get("schedule", {}).get("visits", [])}
    s = Sheet(source.table(TABLE), COLUMNS, problems, study)
    windows, lines = [], {}
    for line, row in s.rows():
        avisit = s.get(line, row, "AVISIT", required=True)
        target = s.get(line, row, "AWTARGET", number, expected="a number of days")
        if target is None and row["AWTARGET"] == "":
            if avisit not in planned:
                s.fail(line, "AWTARGET", "", f"a target day, or an AVISIT planned in study.toml [schedule] "
                                             f"({', '.join(planned)})")
                continue
            target = planned[avisit]
        lo = s.get(line, row, "AWLO", number, expected="a number of days, or blank for no lower bound")
        hi = s.get(line, row, "AWHI", number, expected="a number of days, or blank for no upper bound")
        avisitn = s.get(line, row, "AVISITN", number, True, "a number")
        if target is None or avisitn is None:
            continue
        if (lo is not None and target < lo) or (hi is not None and target > hi):
            s.fail(line, "AWTARGET", f"{target:g}", f"a day inside the window {row['AWLO']} to {row['AWHI']}")
        for dataset in parse_keys(s.get(line, row, "Dataset", required=True)):
            w = VisitWindow(dataset, avisitn, avisit, lo, hi, target, row["AWU"] or "DAYS")
            windows.append(w)
            lines[id(w)] = line
    by_dataset: dict[str, list[VisitWindow]] = {}
    for w in windows:
        by_dataset.setdefault(w.dataset, []).append(w)
    for dataset, ws in by_dataset.items():
        ws = sorted(ws, key=lambda w: float("-inf") if w.awlo is None else w.awlo)
        for before, after in zip(ws, ws[1:]):
            lo_after = float("-inf") if after.awlo is None else after.awlo
            if before.awhi is None or before.awhi >= lo_after:
                s.fail(lines[id(after)], "AWLO", f"{lo_after:g}",
                       f"a day after the end of {dataset} window {before.avisit} ({before.awhi}): windows must not overlap")
    return tuple(windows)


def windows_for(windows: tuple[VisitWindow, ...], dataset: str) -> list[dict]:
    """The windows of one dataset as records (AVISITN, AVISIT, AWLO, AWHI, AWTARGET, AWU)."""
    return [w.as_record() for w in windows if w.dataset == dataset]
