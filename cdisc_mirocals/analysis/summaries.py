"""Descriptive statistics by arm, shared by Table 1 (baseline.py), exposure (safety.py) and disposition.

Continuous: n, mean, SD (n - 1 denominator), median, quartiles (R's default quantile type 7, linear
interpolation), min and max. Categorical: n and percentage of the arm's subjects, with a 'Missing'
category when values are missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONTINUOUS_COLUMNS = ("name", "label", "group", "n", "mean", "sd", "median", "q1", "q3", "min", "max")
CATEGORICAL_COLUMNS = ("name", "label", "category", "group", "n", "denominator", "pct")
MISSING = "Missing"


def continuous(values: pd.Series) -> dict:
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return {"n": 0}
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return {"n": len(x), "mean": float(x.mean()), "sd": float(x.std(ddof=1)) if len(x) > 1 else np.nan,
            "median": float(median), "q1": float(q1), "q3": float(q3), "min": float(x.min()), "max": float(x.max())}


def whole_numbers(values: pd.Series) -> bool:
    """Whether every value present is a whole number (a count, a number of days): its minimum and maximum
    then print without decimals."""
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(len(x)) and bool(np.all(x == np.round(x)))


def by_group(frame: pd.DataFrame, groups: list[str], overall: str | None = None) -> list[tuple[str, pd.DataFrame]]:
    """(group, its rows) per arm in `groups` order, then all rows as `overall` when given."""
    parts = [(g, frame[frame["arm"] == g]) for g in groups]
    return parts + ([(overall, frame)] if overall else [])


def continuous_rows(frame: pd.DataFrame, var: str, label: str, groups: list[str], overall: str | None = None) -> list[dict]:
    return [{"name": var, "label": label, "group": g, **continuous(part[var])}
            for g, part in by_group(frame, groups, overall)]


def categories(values: pd.Series, order: pd.Series | None = None) -> list[str]:
    """Levels in the order of the numeric companion (e.g. ELESCATN) when given, else alphabetical."""
    present = values.dropna()
    present = present[present != ""]
    if order is not None and order.notna().any():
        return present.groupby(present).apply(lambda s: order[s.index].min()).sort_values().index.tolist()
    return sorted(present.unique())


def categorical_rows(frame: pd.DataFrame, var: str, label: str, groups: list[str], overall: str | None = None,
                     order: pd.Series | None = None) -> list[dict]:
    values = frame[var].where(frame[var] != "")
    levels = categories(values, order)
    if values.isna().any():
        levels.append(MISSING)
    filled = values.fillna(MISSING)
    rows = []
    for level in levels:
        for g, part in by_group(frame, groups, overall):
            n = int((filled[part.index] == level).sum())
            rows.append({"name": var, "label": label, "category": level, "group": g, "n": n,
                         "denominator": len(part), "pct": 100 * n / len(part) if len(part) else np.nan})
    return rows
