"""Baseline and change from baseline in a BDS dataset (ADaMIG 1.3, BDS variable set Analysis
Parameter): BASE and the other baseline copies (BNRIND, BTOXGR), CHG, PCHG and the ratios R2BASE and
R2AyLO/R2AyHI.

As in admiral, the baseline record is chosen before these run (ABLFL, with `derive_var_extreme_flag`);
these verbs only copy and compute, and a parameter without a baseline record gets a null BASE and so
null changes, never a guessed one.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame, assert_new_var

Filter = Callable[[pd.DataFrame], pd.Series]


def _mask(dataset: pd.DataFrame, filter: Filter | None) -> pd.Series:
    if filter is None:
        return pd.Series(True, index=dataset.index)
    return pd.Series(filter(dataset), index=dataset.index).fillna(False).astype(bool)


def _is_text(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_datetime64_any_dtype(series)


def derive_var_base(dataset: pd.DataFrame, *, by_vars: Sequence[str], source_var: str = "AVAL",
                    new_var: str = "BASE", filter: Filter | None = None) -> pd.DataFrame:
    """Add `new_var`, the `source_var` of the baseline record, to every record of its `by_vars` group.

    ADaMIG 1.3: "BASE contains the value of AVAL copied from a record within the parameter on which
    ABLFL = "Y""; BNRIND is "ANRIND of the baseline record identified by ABLFL", BTOXGR likewise.
    `filter` picks the baseline records (default: ABLFL == "Y"). by_vars are the subject, the
    parameter and, where the dataset has several baseline definitions, BASETYPE. A group without a
    baseline record gets a null value ("" for text); two baseline records in one group are an error,
    since a baseline must be unique.
    """
    caller = "derive_var_base"
    by_vars = list(by_vars)
    assert_data_frame(dataset, [*by_vars, source_var] + ([] if filter else ["ABLFL"]), caller=caller)
    assert_new_var(dataset, new_var, caller=caller)
    keep = _mask(dataset, filter or (lambda d: d["ABLFL"] == "Y"))
    base = dataset.loc[keep, [*by_vars, source_var]]
    dup = base.duplicated(by_vars, keep=False)
    if dup.any():
        example = base.loc[dup, by_vars].head(1).to_dict("records")[0]
        raise ValueError(f"{caller}(): {int(dup.sum())} baseline records share their {', '.join(by_vars)} "
                         f"(e.g. {example}); a group has one baseline record")
    base = base.rename(columns={source_var: "_BASE_VALUE"})
    merged = dataset[by_vars].merge(base, on=by_vars, how="left", validate="many_to_one")
    out = dataset.copy()
    values = pd.Series(merged["_BASE_VALUE"].to_numpy(), index=dataset.index)
    out[new_var] = values.astype(object).fillna("") if _is_text(dataset[source_var]) else values
    return out


def derive_var_chg(dataset: pd.DataFrame, *, new_var: str = "CHG", filter: Filter | None = None) -> pd.DataFrame:
    """CHG = AVAL - BASE (ADaMIG 1.3: "Equal to AVAL-BASE"), null where either is null.

    ADaMIG leaves the baseline and pre-baseline values to the producer: `filter` restricts the
    derivation to the records it keeps (e.g. post-baseline ones); the others get null.
    """
    assert_data_frame(dataset, ["AVAL", "BASE"], caller="derive_var_chg")
    out = dataset.copy()
    out[new_var] = (dataset["AVAL"].astype(float) - dataset["BASE"].astype(float)).where(_mask(dataset, filter))
    return out


def derive_var_pchg(dataset: pd.DataFrame, *, new_var: str = "PCHG", filter: Filter | None = None) -> pd.DataFrame:
    """PCHG = (AVAL - BASE) / |BASE| * 100 (ADaMIG 1.3: "((AVAL-BASE)/BASE)*100", populated "when
    calculable").

    Null when BASE is 0 or either value is null. As admiral does, the denominator is |BASE|, so that a
    rise from a negative baseline is a positive percent change; for the positive values of this
    study's parameters both formulas agree.
    """
    assert_data_frame(dataset, ["AVAL", "BASE"], caller="derive_var_pchg")
    aval, base = dataset["AVAL"].astype(float), dataset["BASE"].astype(float)
    value = (aval - base) / base.abs().replace(0.0, np.nan) * 100
    out = dataset.copy()
    out[new_var] = value.where(_mask(dataset, filter))
    return out


def derive_var_analysis_ratio(dataset: pd.DataFrame, *, numer_var: str, denom_var: str, new_var: str | None = None,
                              filter: Filter | None = None) -> pd.DataFrame:
    """A ratio R2BASE = AVAL / BASE, R2A1LO = AVAL / A1LO, R2ANRHI = AVAL / ANRHI, ... (ADaMIG 1.3
    R2BASE, R2AyLO, R2AyHI). `new_var` defaults to "R2" + `denom_var`; null when the denominator is 0
    or null."""
    assert_data_frame(dataset, [numer_var, denom_var], caller="derive_var_analysis_ratio")
    new_var = new_var or f"R2{denom_var}"
    assert_new_var(dataset, new_var, caller="derive_var_analysis_ratio")
    denom = dataset[denom_var].astype(float).replace(0.0, np.nan)
    out = dataset.copy()
    out[new_var] = (dataset[numer_var].astype(float) / denom).where(_mask(dataset, filter))
    return out
