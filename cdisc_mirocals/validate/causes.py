"""One cause, one finding. When many records break a rule for one reason that lies outside them (define.xml's
key variables, a value-level item typed integer on text data, a derivation that gives one EPOCH where SE
has another), a reviewer needs the reason once: the findings of that cause become one finding, its count
the number of records, its detail the reason and every record (as ranges: 12-40, 57)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from cdisc_mirocals.validate.report import sort_findings
from cdisc_mirocals.validate.schemas import NUMBERS_ON_TEXT

@dataclass(frozen=True)
class Cause:
    rules: tuple[str, ...]
    selects: Callable[[pd.DataFrame], pd.Series]  # the findings of these rules that have this cause
    by: Callable[[pd.DataFrame], list]  # one finding per group of these keys
    reason: Callable[[pd.DataFrame], str]  # the reason, from the findings of one group


def _records(n: int) -> str:
    return f"{n:,} record" + ("" if n == 1 else "s")


def _every(f: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=f.index)


def _keys_reason(g: pd.DataFrame) -> str:
    keys = str(g["variables"].iloc[0])
    return (f"define.xml's key variables ({keys}) do not identify a record: {_records(len(g))} "
            f"repeat{'s' if len(g) == 1 else ''} the key of an earlier record")


def _numbers_on_text(g: pd.DataFrame) -> str:
    wheres = g["detail"].str.extract(r" where (.*?) \(define", expand=False).dropna().unique()
    typed = g["detail"].str.extract(NUMBERS_ON_TEXT.replace("(", r"\(") + r"(\w+)", expand=False).iloc[0]
    shown = ", ".join(wheres[:5]) + (f" and {len(wheres) - 5:,} more" if len(wheres) > 5 else "")
    values = ", ".join(sorted(set(g["values"].astype(str)))[:6])
    return (f"define.xml types {g['variables'].iloc[0]} {typed} (codes) where {shown}; the data hold text "
            f"({values}, ...): {_records(len(g))}")


def _given_epoch(f: pd.DataFrame) -> pd.Series:
    return f["values"].astype(str).str.rsplit(", ", n=1).str[-1]


def _epoch_reason(g: pd.DataFrame) -> str:
    return f"EPOCH {_given_epoch(g).iloc[0]} where {g['detail'].iloc[0]} on that date: {_records(len(g))}"


CAUSES = (
    Cause(("SD1152",), _every, lambda f: [f["dataset"], f["variables"]], _keys_reason),
    Cause(("SD1228", "SD1231"), lambda f: f["detail"].astype(str).str.contains(NUMBERS_ON_TEXT, regex=False)
          & pd.to_numeric(f["values"], errors="coerce").isna(),
          lambda f: [f["rule"], f["dataset"], f["variables"]], _numbers_on_text),
    Cause(("MC0401",), _every, lambda f: [f["dataset"], _given_epoch(f), f["detail"]], _epoch_reason),
)


def ranges(records) -> str:
    """1, 2, 3, 7, 9, 10 -> '1-3, 7, 9-10'."""
    r = np.unique(np.asarray(records, dtype=int))
    if not len(r):
        return ""
    breaks = np.flatnonzero(np.diff(r) != 1)
    starts, ends = r[np.r_[0, breaks + 1]], r[np.r_[breaks, len(r) - 1]]
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in zip(starts, ends))


def one_per_cause(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with each cause's findings made one (record: the first; count: how many)."""
    if findings.empty:
        return findings
    keep = pd.Series(True, index=findings.index)
    made = []
    for cause in CAUSES:
        mine = findings["rule"].isin(cause.rules)
        if not mine.any():
            continue
        part = findings[mine]
        part = part[cause.selects(part).to_numpy()]
        if part.empty:
            continue
        keep[part.index] = False
        for _, g in part.groupby(cause.by(part), sort=False):
            first = g.sort_values("record").iloc[[0]].copy()
            first["count"] = pd.array([len(g)], dtype="Int64")
            first["detail"] = f"{cause.reason(g)}; records {ranges(g['record'].dropna())}"
            if g["usubjid"].nunique() > 1:
                first["usubjid"], first["seq"] = "", np.nan
            made.append(first)
    if not made:
        return findings
    return sort_findings(pd.concat([findings[keep], *made])).reset_index(drop=True)
