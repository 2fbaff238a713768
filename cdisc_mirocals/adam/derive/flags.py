"""Record flags: first or last record within groups (AOCCFL and friends). Treatment emergence is
`cdisc_mirocals.emergence`, shared with SDTM."""

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
