"""Values that specs/adam codelists define: numeric codes from their decodes, and groups from labels."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_mirocals.spec import Standard


def derive_var_code(dataset: pd.DataFrame, standard: Standard, *, source_var: str, new_var: str,
                    codelist: str) -> pd.DataFrame:
    """new_var = the numeric term of `codelist` whose decode is the value of `source_var` (e.g. TRT01PN)."""
    cl = standard.codelists[codelist]
    by_decode = {t.decode.casefold(): float(t.term) for t in cl.terms}
    out = dataset.copy()
    out[new_var] = dataset[source_var].astype("string").str.casefold().map(by_decode).astype(float)
    return out


def derive_var_group(dataset: pd.DataFrame, standard: Standard, *, source_var: str, new_var: str,
                     codelist: str) -> pd.DataFrame:
    """Group a number by the labels of `codelist`: '<50', '50-64', '>=65', '<=3700 pg/mL', '>3700 pg/mL'."""
    value = pd.to_numeric(dataset[source_var], errors="coerce")
    group = pd.Series(pd.NA, index=dataset.index, dtype="string")
    for term in standard.codelists[codelist].terms:
        match = re.match(r"\s*(<=|>=|<|>)?\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?", term.term)
        if not match:
            raise ValueError(f"codelist {codelist}: cannot read a range from {term.term!r}")
        op, low, high = match.group(1), float(match.group(2)), match.group(3)
        if high is not None:
            hit = (value >= low) & (value <= float(high))
        else:
            hit = {"<": value < low, "<=": value <= low, ">": value > low, ">=": value >= low}[op]
        group = group.mask(hit.fillna(False) & group.isna(), term.term)
    out = dataset.copy()
    out[new_var] = group
    return out


def flag(condition: pd.Series) -> np.ndarray:
    """'Y'/'N' population flag."""
    return np.where(condition.fillna(False).astype(bool), "Y", "N")
