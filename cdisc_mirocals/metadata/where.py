"""The records a value-level where clause selects, for define.xml lengths and for validation alike."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cdisc_mirocals.spec import Condition

NUMERIC_LENGTH = 8  # SAS numerics are 8-byte floats; define.xml says 8, as Pinnacle 21 does


def _compare(column: pd.Series, cond: Condition) -> pd.Series:
    numeric = pd.api.types.is_numeric_dtype(column)
    try:
        values = [float(v) for v in cond.values] if numeric else list(cond.values)
    except ValueError:
        raise ValueError(f"where clause {cond.variable} {cond.comparator} {'|'.join(cond.values)}: "
                         f"{cond.variable} is numeric, the values are not") from None
    if cond.comparator in ("EQ", "IN"):
        return column.isin(values)
    if cond.comparator in ("NE", "NOTIN"):
        return ~column.isin(values)
    ops = {"LT": np.less, "LE": np.less_equal, "GT": np.greater, "GE": np.greater_equal}
    return pd.Series(ops[cond.comparator](column, values[0]), index=column.index).fillna(False).astype(bool)


def where_mask(frame: pd.DataFrame, conditions: Iterable[Condition]) -> pd.Series:
    """Records meeting every condition; numeric variables compare as numbers, text as exact text."""
    mask = pd.Series(True, index=frame.index)
    for cond in conditions:
        if cond.variable not in frame.columns:
            raise KeyError(f"where clause variable {cond.variable} is not in the dataset")
        mask &= _compare(frame[cond.variable], cond)
    return mask


def has_data(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column):
        return bool(column.notna().any())
    values = column.to_numpy(dtype=object)
    return any(str(v) != "" for v in values[~pd.isna(values)])  # stops at the first value, as a rule
