"""Derived records of a BDS dataset (ADaMIG 1.3 section 4.2, derived rows, and the Analysis Descriptor
variable DTYPE): a function of several parameters is a new parameter; a record derived from other
records of its parameter, such as the worst post-baseline value or a value carried forward, is a new
row flagged by DTYPE.

Each verb returns the input records followed by the new ones; the input is never changed.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.derive.order import OrderItem, check_ties, order_vars, pick, same_as, sort_by
from cdisc_mirocals.assertions import assert_data_frame, assert_one_of

Filter = Callable[[pd.DataFrame], pd.Series]
Values = Mapping[str, object]  # a constant, or a function of the frame of new records giving a Series


def _mask(dataset: pd.DataFrame, filter: Filter | None) -> pd.Series:
    if filter is None:
        return pd.Series(True, index=dataset.index)
    return pd.Series(filter(dataset), index=dataset.index).fillna(False).astype(bool)


def _set_values(frame: pd.DataFrame, set_values_to: Values) -> pd.DataFrame:
    for name, value in set_values_to.items():
        frame[name] = value(frame) if callable(value) else value
    return frame


def _append(dataset: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The dataset followed by the new records; a text variable only one side has is "" on the other."""
    if new.empty:
        return dataset.copy()
    out = pd.concat([dataset, new], ignore_index=True, sort=False)
    for column in out.columns:
        one_sided = (column in dataset.columns) != (column in new.columns)
        source = dataset[column] if column in dataset.columns else new[column]
        if one_sided and source.dtype == object:
            out[column] = out[column].fillna("")
    return out


def derive_param_computed(dataset: pd.DataFrame, *, by_vars: Sequence[str], parameters: Sequence[str],
                          set_values_to: Values, filter: Filter | None = None, source_vars: Sequence[str] = ("AVAL",),
                          constant_parameters: Sequence[str] = (), constant_by_vars: Sequence[str] = (),
                          keep_nas: bool = False) -> pd.DataFrame:
    """Add a parameter computed from others, one record per `by_vars` group (e.g. BMI from WEIGHT and
    HEIGHT per subject and visit, the ALSFRS-R total from its 12 items); ADaMIG 1.3 section 4.2: a function of
    several parameters is a new parameter.

    The values of each parameter are put side by side as columns "<source var>.<PARAMCD>" (AVAL.WEIGHT)
    for the functions of `set_values_to` (e.g. {"PARAMCD": "BMI", "AVAL": lambda w: w["AVAL.WEIGHT"] /
    (w["AVAL.HEIGHT"] / 100) ** 2}). A parameter measured once (height at screening) is given in
    `constant_parameters` and joined by `constant_by_vars` (the subject) to every group. Without
    `keep_nas`, a group lacking any parameter, or with a null source value, gets no record; with it,
    the functions see the nulls, so that a scale's own rule for missing items can apply. Two records of
    one parameter in a group are an error: which one to use is a decision for `filter`. The new
    records hold `by_vars` and `set_values_to` only, as admiral's: put STUDYID and the visit variables
    in `by_vars`, and merge subject-level variables afterwards.
    """
    caller = "derive_param_computed"
    by_vars, source_vars = list(by_vars), list(source_vars)
    assert_data_frame(dataset, [*by_vars, *constant_by_vars, "PARAMCD", *source_vars], caller=caller)
    if not parameters:
        raise ValueError(f"{caller}(): give the PARAMCD values the parameter is computed from in `parameters`")
    if constant_parameters and not constant_by_vars:
        raise ValueError(f"{caller}(): `constant_parameters` need `constant_by_vars`")
    data = dataset[_mask(dataset, filter)]

    def wide(params: Sequence[str], keys: list[str]) -> pd.DataFrame:
        part = data[data["PARAMCD"].isin(params)]
        dup = part.duplicated([*keys, "PARAMCD"], keep=False)
        if dup.any():
            example = part.loc[dup, [*keys, "PARAMCD"]].head(1).to_dict("records")[0]
            raise ValueError(f"{caller}(): {int(dup.sum())} records share their {', '.join(keys)} and PARAMCD "
                             f"(e.g. {example}); restrict them with `filter`")
        table = part.pivot(index=keys, columns="PARAMCD", values=source_vars)
        table.columns = [f"{var}.{code}" for var, code in table.columns]
        for var in source_vars:
            for code in params:
                if f"{var}.{code}" not in table:
                    table[f"{var}.{code}"] = np.nan
        return table.reset_index()

    groups = wide(parameters, by_vars)
    if constant_parameters:
        constants = wide(constant_parameters, list(constant_by_vars))
        groups = groups.merge(constants, on=list(constant_by_vars), how="left")
    if not keep_nas:
        values = [f"{v}.{p}" for v in source_vars for p in [*parameters, *constant_parameters]]
        groups = groups[groups[values].notna().all(axis=1)]
    new = _set_values(groups.reset_index(drop=True), set_values_to)
    helper = [c for c in new.columns if "." in c]
    return _append(dataset, new.drop(columns=helper))


def derive_extreme_records(dataset: pd.DataFrame, dataset_add: pd.DataFrame | None = None, *, by_vars: Sequence[str],
                           order: Sequence[OrderItem], mode: str, set_values_to: Values,
                           filter_add: Filter | None = None, check_type: str = "warning",
                           keep_source_vars: Sequence[str] | None = None) -> pd.DataFrame:
    """Add, per `by_vars` group, a copy of the first or last record of `dataset_add` (default: the
    dataset) by `order` among those `filter_add` keeps, with `set_values_to` applied (e.g. AVISIT
    "WORST POST-BASELINE" and DTYPE "MAXIMUM"; ADaMIG 1.3 DTYPE, "a new row is added within a
    parameter with the analysis value populated based on other rows").

    For the worst value, `order` runs from best to worst with mode "last", or worst first with
    "first"; add a date to `order` to say which of equal values wins (e.g. the earliest). Records
    `order` cannot tell apart are reported as `check_type` says ("warning", "error", "none") and the
    first in input order is used. A group with no record kept gets no new record.
    """
    caller = "derive_extreme_records"
    by_vars = list(by_vars)
    source = dataset if dataset_add is None else dataset_add
    assert_data_frame(dataset, caller=caller)
    assert_data_frame(source, [*by_vars, *order_vars(order)], arg="dataset_add", caller=caller)
    assert_one_of(mode, ("first", "last"), arg="mode", caller=caller)
    assert_one_of(check_type, ("warning", "error", "none"), arg="check_type", caller=caller)
    candidates = sort_by(source[_mask(source, filter_add)], by_vars, order)
    chosen = pick(candidates, by_vars, mode)
    check_ties(candidates, by_vars, order, mode=mode, check_type=check_type, caller=caller)
    new = chosen if keep_source_vars is None else chosen[list(dict.fromkeys([*by_vars, *keep_source_vars]))]
    new = _set_values(new.reset_index(drop=True).copy(), set_values_to)
    return _append(dataset, new)


def derive_locf_records(dataset: pd.DataFrame, dataset_ref: pd.DataFrame, *, by_vars: Sequence[str],
                        order: Sequence[OrderItem], analysis_var: str = "AVAL", keep_vars: Sequence[str] = (),
                        id_vars_ref: Sequence[str] | None = None, filter: Filter | None = None,
                        dtype: str = "LOCF") -> pd.DataFrame:
    """Add a record carrying the last observation forward for every expected observation of
    `dataset_ref` (e.g. each subject, PARAMCD, AVISIT and AVISITN planned) that the observed records
    lack (ADaMIG 1.3 DTYPE, "LOCF").

    Observed records are those `filter` keeps (e.g. ANL01FL = "Y") with a non-null `analysis_var`; a
    record with a null value is not an observation. The value carried is that of the last observed
    record before the expected one by `order` (e.g. AVISITN) within `by_vars` (subject and
    parameter), with the `keep_vars` of that same record (its ADT, ADY, VISIT, --SEQ...). An expected
    visit before the first observed value gets no record: there is nothing to carry. The new records
    take the values of `dataset_ref`'s `id_vars_ref` (default: all its columns), `analysis_var`,
    `keep_vars` and DTYPE = `dtype`; the input records are kept as they are.
    """
    caller = "derive_locf_records"
    by_vars = list(by_vars)
    dataset = dataset.reset_index(drop=True)  # the carried record is found by its position
    id_vars = [v for v in (id_vars_ref if id_vars_ref is not None else dataset_ref.columns) if v not in by_vars]
    keys = [*by_vars, *id_vars]
    assert_data_frame(dataset, [*keys, *order_vars(order), analysis_var, *keep_vars], caller=caller)
    assert_data_frame(dataset_ref, [*keys, *order_vars(order)], arg="dataset_ref", caller=caller)
    observed = dataset[_mask(dataset, filter) & dataset[analysis_var].notna()]
    ref = dataset_ref[list(dict.fromkeys([*keys, *order_vars(order)]))].drop_duplicates(keys)
    have = ref.merge(observed[keys].drop_duplicates(), how="left", on=keys, indicator=True)
    missing = have.loc[have["_merge"] == "left_only", ref.columns]
    if missing.empty:
        return dataset.copy()
    stack = pd.concat([observed[list(dict.fromkeys([*keys, *order_vars(order)]))].assign(_ROW=observed.index, _LATE=False),
                       missing.assign(_ROW=np.nan, _LATE=True)], ignore_index=True, sort=False)
    # an expected record sorts after an observed one with the same order values: that one is carried
    stack = sort_by(stack, by_vars, [*order, "_LATE"])
    group = np.cumsum(~same_as(stack, by_vars, 1))  # groups found by neighbours, as `pick` does
    source_group = pd.Series(np.where(stack["_LATE"], np.nan, group), index=stack.index).ffill()
    stack["_ROW"] = stack["_ROW"].ffill().where(source_group == group)
    new = stack[stack["_LATE"] & stack["_ROW"].notna()]
    carried = [analysis_var, *[v for v in keep_vars if v not in keys]]
    values = dataset.loc[new["_ROW"].astype(int).to_numpy(), carried].reset_index(drop=True)
    new = pd.concat([new[list(dict.fromkeys([*keys, *[v for v in order_vars(order) if v not in carried]]))]
                     .reset_index(drop=True), values], axis=1)
    new["DTYPE"] = dtype
    return _append(dataset, new)
