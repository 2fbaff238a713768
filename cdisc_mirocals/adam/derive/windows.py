"""Analysis visits by time windows (ADaMIG 1.3, BDS variable set Analysis Visit Windowing): AVISIT,
AVISITN, AWLO, AWHI, AWTARGET, AWTDIFF and AWU from a window table kept in specs
(specs/adam/visit_windows.csv, `Spec.windows`), never in code.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame

WINDOW_VARS = ("AVISIT", "AVISITN", "AWLO", "AWHI", "AWTARGET", "AWTDIFF", "AWU")


def _table(windows: pd.DataFrame | Iterable[Mapping], by_vars: list[str]) -> pd.DataFrame:
    table = windows.copy() if isinstance(windows, pd.DataFrame) else pd.DataFrame(list(windows))
    assert_data_frame(table, [*by_vars, "AVISIT", "AVISITN", "AWLO", "AWHI", "AWTARGET"], arg="windows",
                      caller="derive_vars_visit_window")
    if "AWU" not in table:
        table["AWU"] = "DAYS"
    for v in ("AVISITN", "AWLO", "AWHI", "AWTARGET"):
        table[v] = pd.to_numeric(table[v]).astype(float)
    table["_LO"] = table["AWLO"].fillna(-np.inf)
    table["_HI"] = table["AWHI"].fillna(np.inf)
    table = table.sort_values([*by_vars, "_LO"], kind="stable").reset_index(drop=True)
    previous_hi = table.groupby(by_vars, sort=False)["_HI"].shift() if by_vars else table["_HI"].shift()
    overlap = previous_hi >= table["_LO"]
    if overlap.any():
        row = table[overlap].iloc[0]
        raise ValueError(f"derive_vars_visit_window(): window {row['AVISIT']} (from {row['AWLO']:g}) overlaps the "
                         "window before it; each day must fall in at most one window")
    return table


def _distance(day: pd.Series, target: pd.Series) -> pd.Series:
    """|day - target| in days, without a day 0: day -1 is 1 day before day 1 (ADaMIG 1.3 AWTDIFF)."""
    gap = day - target
    crosses = (np.sign(day) * np.sign(target)) < 0
    return (gap.abs() - crosses.astype(float)).where(day.notna() & target.notna())


def derive_vars_visit_window(dataset: pd.DataFrame, *, windows: pd.DataFrame | Iterable[Mapping],
                             day_var: str = "ADY", by_vars: Sequence[str] = ()) -> pd.DataFrame:
    """Assign each record to the window whose AWLO-AWHI (inclusive) holds its `day_var`, and add
    AVISIT, AVISITN, AWLO, AWHI, AWTARGET, AWU and AWTDIFF = |day - AWTARGET|.

    ADaMIG 1.3: AVISIT "may contain ... time window names" and "does not have to map to VISIT": an
    unscheduled or out-of-window visit is assigned by its day like any other, so VISIT plays no part.
    A record whose day is null (a date too partial to impute) or outside every window gets null
    window variables and so enters no by-visit analysis. A blank AWLO or AWHI leaves the window open
    on that side. `by_vars` are the columns the table is keyed by besides the day (e.g. PARAMCD, when
    parameters have windows of their own); overlapping windows are an error. Several records in one
    window are all kept: choosing one is `derive_var_anl_flag`'s job.
    """
    by_vars = list(by_vars)
    assert_data_frame(dataset, [*by_vars, day_var], caller="derive_vars_visit_window")
    table = _table(windows, by_vars)
    day = pd.to_numeric(dataset[day_var], errors="coerce").astype(float)
    position = pd.Series(-1, index=dataset.index)
    def as_tuple(key) -> tuple:  # pandas gives one-variable keys as scalars or 1-tuples, by version
        return key if isinstance(key, tuple) else (key,)

    tables = {as_tuple(k): g for k, g in table.groupby(by_vars, sort=False)} if by_vars else {(): table}
    groups = dataset.groupby(by_vars, sort=False, dropna=False).groups if by_vars else {(): dataset.index}
    for key, index in groups.items():
        rows = tables.get(as_tuple(key))
        if rows is None:
            continue  # a parameter without windows: no analysis visit
        d = day[index].to_numpy()
        at = np.searchsorted(rows["_LO"].to_numpy(), d, side="right") - 1
        inside = (at >= 0) & ~np.isnan(d)
        inside[inside] &= d[inside] <= rows["_HI"].to_numpy()[at[inside]]
        position[index] = np.where(inside, rows.index.to_numpy()[np.clip(at, 0, None)], -1)
    matched = position >= 0
    picked = table.reindex(position.where(matched).to_numpy())
    out = dataset.copy()
    out["AVISIT"] = np.where(matched, picked["AVISIT"].astype(object).to_numpy(), "")
    out["AVISITN"] = picked["AVISITN"].to_numpy()
    out["AWLO"], out["AWHI"] = picked["AWLO"].to_numpy(), picked["AWHI"].to_numpy()
    out["AWTARGET"] = picked["AWTARGET"].to_numpy()
    out["AWTDIFF"] = _distance(day, pd.Series(picked["AWTARGET"].to_numpy(), index=dataset.index))
    out["AWU"] = np.where(matched, picked["AWU"].astype(object).to_numpy(), "")
    return out
