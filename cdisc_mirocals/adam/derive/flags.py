"""Record flags: first or last record within groups (AOCCFL and friends), and treatment emergence."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_one_of


def derive_var_extreme_flag(dataset: pd.DataFrame, *, by_vars: Sequence[str], order: Sequence[str], new_var: str,
                            mode: str = "first", filter: Callable[[pd.DataFrame], pd.Series] | None = None,
                            true_value: str = "Y", false_value: str = "") -> pd.DataFrame:
    """Flag the first (or last) record by `order` within `by_vars`, among the records `filter` keeps."""
    assert_data_frame(dataset, [*by_vars, *order], caller="derive_var_extreme_flag")
    assert_one_of(mode, ("first", "last"), arg="mode", caller="derive_var_extreme_flag")
    keep = filter(dataset) if filter else pd.Series(True, index=dataset.index)
    candidates = dataset[keep.fillna(False).astype(bool)].sort_values([*by_vars, *order], kind="stable")
    grouped = candidates.groupby(list(by_vars), sort=False, dropna=False)
    chosen = (grouped.head(1) if mode == "first" else grouped.tail(1)).index
    out = dataset.copy()
    out[new_var] = np.where(out.index.isin(chosen), true_value, false_value)
    return out


def derive_var_trtemfl(dataset: pd.DataFrame, *, new_var: str = "TRTEMFL", start_date: str = "ASTDT",
                       trt_start_date: str = "TRTSDT", trt_end_date: str | None = None,
                       end_window: int | None = None, true_value: str = "Y", false_value: str = "") -> pd.DataFrame:
    """Treatment-emergent: starts on or after first dose, and, with an `end_window`, no later than
    `end_window` days after the last dose. Records without a start date or without a first dose are
    not flagged."""
    required = [start_date, trt_start_date] + ([trt_end_date] if trt_end_date else [])
    assert_data_frame(dataset, required, caller="derive_var_trtemfl")
    if end_window is not None and trt_end_date is None:
        raise ValueError("derive_var_trtemfl(): `end_window` needs `trt_end_date`")
    start, trt_start = pd.to_datetime(dataset[start_date]), pd.to_datetime(dataset[trt_start_date])
    emergent = start.notna() & trt_start.notna() & (start >= trt_start)
    if end_window is not None:
        window_end = pd.to_datetime(dataset[trt_end_date]) + pd.Timedelta(days=end_window)
        emergent &= start <= window_end
    out = dataset.copy()
    out[new_var] = np.where(emergent, true_value, false_value)
    return out
