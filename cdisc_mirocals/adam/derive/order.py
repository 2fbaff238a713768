"""Sort orders with a direction per variable (admiral's `order = exprs(AWTDIFF, desc(ADT))`).

An order is a sequence of variable names, each optionally wrapped in `desc()`. Missing values sort
last whatever the direction, as dplyr::arrange puts NA last, so a record with a value always wins
over one without.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Desc:
    var: str


OrderItem = Union[str, Desc]


def desc(var: str) -> Desc:
    """Sort `var` in descending order."""
    return Desc(var)


def order_vars(order: Sequence[OrderItem]) -> list[str]:
    """The variable names of an order, for the input assertions."""
    return [o.var if isinstance(o, Desc) else o for o in order]


def sort_by(dataset: pd.DataFrame, by_vars: Sequence[str], order: Sequence[OrderItem]) -> pd.DataFrame:
    """`dataset` sorted by `by_vars` (ascending) then `order`, stably (the input order breaks ties)."""
    keys = [*by_vars, *order_vars(order)]
    ascending = [True] * len(by_vars) + [not isinstance(o, Desc) for o in order]
    if not keys:
        return dataset
    return dataset.sort_values(keys, ascending=ascending, kind="stable", na_position="last")


def pick(sorted_frame: pd.DataFrame, by_vars: Sequence[str], mode: str) -> pd.DataFrame:
    """The first or last record of each by_vars group of a frame sorted by them (`sort_by`).

    Groups are found by comparing each record with its neighbour, not by hashing the keys: on millions
    of records this is several times faster than groupby().head(1). Nulls in by_vars form a group.
    """
    if sorted_frame.empty or not by_vars:
        return sorted_frame.head(1) if mode == "first" else sorted_frame.tail(1)
    step = 1 if mode == "first" else -1
    boundary = np.zeros(len(sorted_frame), dtype=bool)
    for var in by_vars:
        values = sorted_frame[var]
        other = values.shift(step)
        differs = (values != other).to_numpy() & ~(values.isna() & other.isna()).to_numpy()
        boundary |= differs
    boundary[0 if mode == "first" else -1] = True
    return sorted_frame[boundary]


def check_ties(candidates: pd.DataFrame, chosen: pd.DataFrame, by_vars: Sequence[str], order: Sequence[OrderItem], *,
               check_type: str, caller: str) -> None:
    """Warn about, or refuse, a chosen record that `order` cannot tell apart from another candidate of
    its group (admiral's check_type): which of them is kept would then be an accident of input order."""
    if check_type == "none" or chosen.empty:
        return
    keys = [*by_vars, *order_vars(order)]
    rivals = candidates[keys].merge(chosen[keys].drop_duplicates(), on=keys)
    dup = rivals.duplicated(keys, keep=False)
    if not dup.any():
        return
    first = rivals.loc[dup, keys].head(1).to_dict("records")[0]
    message = (f"{caller}(): {int(dup.sum())} records share their {', '.join(keys)} (e.g. {first}); "
               "add a variable to `order` that separates them")
    if check_type == "error":
        raise ValueError(message)
    import warnings
    warnings.warn(message, stacklevel=3)
