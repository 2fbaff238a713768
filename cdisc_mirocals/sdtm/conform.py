"""Shape a derived frame to its specification: the spec's variables in the spec's order, text as
text ("" for missing, as SAS holds it), numbers as float, dates as SAS dates (days since
1960-01-01, the XPT boundary), records sorted by the key variables. Used for SDTM and ADaM alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.spec import Dataset

SAS_EPOCH = pd.Timestamp("1960-01-01")


def conform(frame: pd.DataFrame, dataset: Dataset, strict: bool = True) -> pd.DataFrame:
    """With strict=False, variables the spec does not define are dropped (an ADaM dataset keeps a
    chosen subset of its source's variables); with strict=True they are an error."""
    private = [c for c in frame.columns if str(c).startswith("_")]
    unknown = [c for c in frame.columns if c not in dataset.names and c not in private]
    if unknown and strict:
        raise ValueError(f"{dataset.name}: mapped variables not in specs: {unknown}")
    out = pd.DataFrame(index=frame.index)
    for var in dataset.variables:
        values = frame[var.name] if var.name in frame.columns else pd.Series(np.nan, index=frame.index)
        if var.is_numeric and pd.api.types.is_datetime64_any_dtype(values):
            out[var.name] = ((values - SAS_EPOCH).dt.days).astype("float64")
        elif var.is_numeric:
            out[var.name] = pd.to_numeric(values, errors="raise").astype("float64")
        else:
            text = values.astype("string").fillna("")
            out[var.name] = text.astype(object)
    keys = [k for k in dataset.keys if k in out.columns]
    order = out.sort_values(keys, kind="stable").index if keys else out.index
    return out.loc[order].reset_index(drop=True)
