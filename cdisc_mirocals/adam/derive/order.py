"""Sort orders with a direction per variable (admiral's `order = exprs(AWTDIFF, desc(ADT))`).

An order is a sequence of variable names, each optionally wrapped in `desc()`. Missing values sort
last whatever the direction, as dplyr::arrange (and so admiral) puts NA last: with mode "first" a
record with a value wins over one without; with mode "last" a null would win, so the callers' filters
leave such records out (a comparison with a null date keeps nothing, as in R).
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


def same_as(frame: pd.DataFrame, columns: Sequence[str], step: int) -> np.ndarray:
    """For each record, whether the record `step` rows away has the same values (nulls equal)."""
    same = np.ones(len(frame), dtype=bool)
    for var in columns:
        column = frame[var]
        # pandas' NA of extension dtypes ("string", "Int64") compares to NA, not to a bool: use None
        values = column.to_numpy(dtype=object, na_value=None) if pd.api.types.is_extension_array_dtype(column) \
            else column.to_numpy()
        na = pd.isna(values)
        other, other_na = np.roll(values, step), np.roll(na, step)  # the wrapped-around record is masked below
        with np.errstate(invalid="ignore"):
            same &= (values == other) | (na & other_na)
    if len(frame):
        same[0 if step > 0 else -1] = False  # the first (last) record has no neighbour before (after) it
    return same


def pick(sorted_frame: pd.DataFrame, by_vars: Sequence[str], mode: str) -> pd.DataFrame:
    """The first or last record of each by_vars group of a frame sorted by them (`sort_by`).

    Groups are found by comparing each record with its neighbour, not by hashing the keys: on millions
    of records this is several times faster than groupby().head(1). Nulls in by_vars form a group.
    """
    return sorted_frame[~same_as(sorted_frame, by_vars, 1 if mode == "first" else -1)]


def check_ties(sorted_frame: pd.DataFrame, by_vars: Sequence[str], order: Sequence[OrderItem], *, mode: str,
               check_type: str, caller: str) -> None:
    """Warn about, or refuse, a record `pick` chose that `order` cannot tell apart from another of its
    group (admiral's check_type): which of them is kept would then be an accident of input order. In a
    sorted frame such a rival is the chosen record's neighbour."""
    if check_type == "none" or sorted_frame.empty:
        return
    keys = [*by_vars, *order_vars(order)]
    step = 1 if mode == "first" else -1
    chosen = ~same_as(sorted_frame, by_vars, step)
    rival = same_as(sorted_frame, keys, -step)  # the record after (before) the chosen one ties with it
    tied = chosen & rival
    if not tied.any():
        return
    first = sorted_frame.loc[tied, keys].head(1).to_dict("records")[0]
    message = (f"{caller}(): in {int(tied.sum())} group(s), the record chosen shares its {', '.join(keys)} with "
               f"another (e.g. {first}); add a variable to `order` that separates them")
    if check_type == "error":
        raise ValueError(message)
    import warnings
    warnings.warn(message, stacklevel=3)
