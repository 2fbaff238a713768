"""Shared input checks for derivations, in the manner of admiral's assert_* helpers.

A failed check is a programming error (a derivation called on the wrong frame), so it raises
ValueError naming the function, the argument and what is missing.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd


def assert_data_frame(dataset, required_vars: Iterable[str] = (), *, arg: str = "dataset", caller: str = "") -> None:
    where = f"{caller}(): " if caller else ""
    if not isinstance(dataset, pd.DataFrame):
        raise ValueError(f"{where}`{arg}` must be a pandas DataFrame, not {type(dataset).__name__}")
    missing = [v for v in required_vars if v not in dataset.columns]
    if missing:
        raise ValueError(f"{where}`{arg}` lacks required variable(s) {', '.join(missing)}; "
                         f"it has {', '.join(map(str, dataset.columns))}")


def assert_new_var(dataset: pd.DataFrame, new_var: str, *, caller: str = "", overwrite: bool = True) -> None:
    if not isinstance(new_var, str) or not new_var:
        raise ValueError(f"{caller}(): `new_var` must be a variable name")
    if not overwrite and new_var in dataset.columns:
        raise ValueError(f"{caller}(): `new_var` {new_var} already exists in `dataset`")


def assert_one_of(value, allowed: Iterable, *, arg: str, caller: str = "") -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{caller}(): `{arg}` must be one of {allowed}, not {value!r}")
