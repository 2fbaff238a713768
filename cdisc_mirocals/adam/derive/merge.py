"""Merging variables from another dataset by keys (admiral's derive_vars_merged)."""

from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_one_of


def derive_vars_merged(dataset: pd.DataFrame, dataset_add: pd.DataFrame, *, by_vars: Sequence[str],
                       new_vars: Sequence[str] | dict[str, str] | None = None,
                       filter_add: Callable[[pd.DataFrame], pd.Series] | None = None,
                       order: Sequence[str] = (), mode: str | None = None) -> pd.DataFrame:
    """Add `new_vars` ({new name: source name}, or names kept as they are) from `dataset_add`.

    `filter_add` restricts `dataset_add` first. When several records remain per `by_vars`, `order`
    with mode 'first' or 'last' picks one; without a mode, several records are an error rather
    than a silent row multiplication.
    """
    by_vars = list(by_vars)
    assert_data_frame(dataset, by_vars, caller="derive_vars_merged")
    assert_data_frame(dataset_add, [*by_vars, *order], arg="dataset_add", caller="derive_vars_merged")
    add = dataset_add[filter_add(dataset_add)] if filter_add else dataset_add
    if new_vars is None:
        mapping = {c: c for c in add.columns if c not in by_vars}
    elif isinstance(new_vars, dict):
        mapping = dict(new_vars)
    else:
        mapping = {v: v for v in new_vars}
    assert_data_frame(add, mapping.values(), arg="dataset_add", caller="derive_vars_merged")
    if mode is not None:
        assert_one_of(mode, ("first", "last"), arg="mode", caller="derive_vars_merged")
        add = add.sort_values([*by_vars, *order], kind="stable")
        add = add.groupby(by_vars, sort=False, dropna=False).head(1) if mode == "first" else \
            add.groupby(by_vars, sort=False, dropna=False).tail(1)
    elif add.duplicated(by_vars).any():
        raise ValueError(f"derive_vars_merged(): `dataset_add` has several records per {by_vars}; "
                         "give `order` and `mode`")
    add = add[[*by_vars, *mapping.values()]].rename(columns={v: k for k, v in mapping.items()})
    clash = [c for c in mapping if c in dataset.columns]
    merged = dataset.drop(columns=clash).merge(add, on=by_vars, how="left", validate="many_to_one")
    merged.index = dataset.index
    return merged
