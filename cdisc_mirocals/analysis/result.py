"""One result shape for every analysis, and one serializer (after lifelines' StatisticalResult).

A `Result` is a named analysis (its stable `key`, e.g. 'OS640/cox_unadjusted'), a `summary` frame of
numbers (one row per estimate or test, identified by `name` and, where needed, `group` and `term`),
and what a reader needs to trust it: method, population, n, events, parameters, notes. An analysis
that cannot be done is still a Result, with `skipped` saying why. `display_oid` and `result_oid`
link it to its Analysis Results Metadata (Define-XML ARM 1.0) when a mapping is given.

`to_dict()` is the only serializer: JSON, CSV and HTML writers all start from it or from `summary`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# the columns of every survival result (KM, log-rank, Cox, RMST), so they stack into one table
SURVIVAL_COLUMNS = ("name", "group", "term", "time", "estimate", "ci_lower", "ci_upper", "se", "statistic", "df",
                    "p", "n", "events")


TEXT_COLUMNS = frozenset({"name", "group", "term", "label", "category", "type", "soc", "pt", "measure", "severity",
                          "baseline", "post"})


def summary_frame(rows: list[dict], columns=SURVIVAL_COLUMNS) -> pd.DataFrame:
    """The rows as a frame with exactly `columns`: text in TEXT_COLUMNS, numbers (float) elsewhere."""
    frame = pd.DataFrame(rows, columns=list(columns))
    for col in frame.columns:
        if col in TEXT_COLUMNS:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        else:
            frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame


@dataclass
class Result:
    key: str
    title: str
    method: str
    summary: pd.DataFrame = field(default_factory=lambda: summary_frame([]))
    population: str | None = None
    n: int | None = None
    events: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the analysis was not done; None when it was
    display_oid: str | None = None
    result_oid: str | None = None

    @classmethod
    def skip(cls, key: str, title: str, method: str, reason: str, **kwargs) -> Result:
        return cls(key, title, method, skipped=reason, **kwargs)

    @property
    def done(self) -> bool:
        return self.skipped is None

    def rows(self, name: str, **where) -> pd.DataFrame:
        sel = self.summary["name"] == name
        for col, value in where.items():
            sel &= self.summary[col] == value
        return self.summary[sel]

    def row(self, name: str, **where) -> pd.Series:
        """The one row called `name` (narrowed by group=, term=, time=); an error if not exactly one."""
        rows = self.rows(name, **where)
        if len(rows) != 1:
            raise KeyError(f"{self.key}: {len(rows)} rows named {name!r} {where or ''}")
        return rows.iloc[0]

    def get(self, name: str, column: str = "estimate", **where) -> float | None:
        """A number of the one row called `name`, or None when the analysis was skipped or has no such row."""
        rows = self.rows(name, **where) if self.done else ()
        if len(rows) != 1:
            return None
        return plain(rows.iloc[0][column])

    def to_dict(self) -> dict[str, Any]:
        return plain({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    def __str__(self) -> str:
        head = f"{self.title} [{self.key}]"
        if not self.done:
            return f"{head}: skipped: {self.skipped}"
        counts = ", ".join(f"{k}={v}" for k, v in (("n", self.n), ("events", self.events)) if v is not None)
        lines = [f"{head}" + (f" ({counts})" if counts else "")]
        lines += [f"    {describe(row)}" for row in self.summary.to_dict("records")]
        return "\n".join(lines)


def describe(row: dict) -> str:
    """One summary row as text, for the console."""
    def num(x, fmt="{:.4g}"):
        return "NE" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)

    where = " ".join(str(row[k]) for k in ("group", "term") if isinstance(row.get(k), str) and row[k])
    at = "" if pd.isna(row.get("time", np.nan)) else f" at {row['time']:g}"
    parts = []
    if not pd.isna(row.get("estimate", np.nan)) or not pd.isna(row.get("ci_lower", np.nan)):
        ci = f" ({num(row.get('ci_lower'))}, {num(row.get('ci_upper'))})" if "ci_lower" in row else ""
        parts.append(f"{num(row.get('estimate'))}{ci}")
    if not pd.isna(row.get("statistic", np.nan)):
        df = "" if pd.isna(row.get("df", np.nan)) else f" on {row['df']:g} df"
        parts.append(f"statistic {num(row['statistic'])}{df}")
    if not pd.isna(row.get("p", np.nan)):
        parts.append(f"p = {num(row['p'])}")
    if not pd.isna(row.get("n", np.nan)) and not parts:
        parts.append(f"n = {row['n']:g}")
    return f"{row['name']}{' ' + where if where else ''}{at}: " + ", ".join(parts)


def plain(value):
    """JSON-ready: frames become lists of records, NaN and infinities None, numpy scalars Python ones."""
    if isinstance(value, pd.DataFrame):
        return [plain(r) for r in value.to_dict("records")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
