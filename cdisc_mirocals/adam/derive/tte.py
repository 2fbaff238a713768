"""Time-to-event parameters from event and censoring sources (admiral's derive_param_tte).

Per subject, the earliest event wins; with no event, the latest censoring date. Each source names
its dataset, a filter, its date variable, its CNSR value, the EVNTDESC or CNSDTDSC it sets, and the
SRCDOM, SRCVAR and SRCSEQ that trace the chosen date back to its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame

Filter = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class TTESource:
    dataset_name: str
    date: str
    censor: int
    description: str
    filter: Filter | None = None
    srcdom: str | None = None  # defaults to dataset_name; "" for a date no record holds (e.g. a window end)
    srcvar: str | None = None  # the source variable the date came from (e.g. DTHDTC); defaults to `date`; "" as srcdom
    srcseq: str | None = None  # the --SEQ variable of the source record, if it has one
    event_description: str = ""  # EVNTDESC of a censored record (ADaMIG: "event or censoring description")


def event_source(dataset_name: str, *, date: str, description: str, filter: Filter | None = None,
                 srcdom: str | None = None, srcvar: str | None = None, srcseq: str | None = None) -> TTESource:
    return TTESource(dataset_name, date, 0, description, filter, srcdom, srcvar, srcseq)


def censor_source(dataset_name: str, *, date: str, description: str, censor: int = 1, filter: Filter | None = None,
                  srcdom: str | None = None, srcvar: str | None = None, srcseq: str | None = None,
                  event_description: str = "") -> TTESource:
    """`description` is the CNSDTDSC it sets; `event_description`, if given, its EVNTDESC."""
    if censor < 1:
        raise ValueError("censor_source(): `censor` must be a positive integer (0 means an event)")
    return TTESource(dataset_name, date, censor, description, filter, srcdom, srcvar, srcseq, event_description)


def _candidates(source: TTESource, priority: int, datasets: Mapping[str, pd.DataFrame],
                by_vars: list[str]) -> pd.DataFrame:
    if source.dataset_name not in datasets:
        raise ValueError(f"derive_param_tte(): no dataset {source.dataset_name!r} in `source_datasets`")
    data = datasets[source.dataset_name]
    needed = [*by_vars, source.date] + ([source.srcseq] if source.srcseq else [])
    assert_data_frame(data, needed, arg=f"source_datasets[{source.dataset_name!r}]", caller="derive_param_tte")
    if source.filter is not None:
        data = data[source.filter(data).fillna(False).astype(bool)]
    out = data[by_vars].copy()
    out["ADT"] = pd.to_datetime(data[source.date])
    out["CNSR"] = source.censor
    out["_DESC"] = source.description
    out["_EVDESC"] = source.description if source.censor == 0 else source.event_description
    out["SRCDOM"] = source.dataset_name if source.srcdom is None else source.srcdom
    out["SRCVAR"] = source.date if source.srcvar is None else source.srcvar
    out["SRCSEQ"] = data[source.srcseq].astype(float) if source.srcseq else np.nan
    out["_PRIORITY"] = priority
    return out.dropna(subset=["ADT"])


def derive_param_tte(dataset_adsl: pd.DataFrame, *, start_date: str, event_sources: Sequence[TTESource],
                     censor_sources: Sequence[TTESource], source_datasets: Mapping[str, pd.DataFrame],
                     paramcd: str, param: str, by_vars: Sequence[str] = ("STUDYID", "USUBJID"),
                     set_values_to: Mapping[str, object] | None = None) -> pd.DataFrame:
    """One record per subject of `dataset_adsl` that has an event or a censoring date.

    AVAL = ADT - STARTDT + 1 (days). Ties keep the source listed first.
    """
    by_vars = list(by_vars)
    assert_data_frame(dataset_adsl, [*by_vars, start_date], arg="dataset_adsl", caller="derive_param_tte")
    if not event_sources or not censor_sources:
        raise ValueError("derive_param_tte(): give at least one event source and one censor source")
    if any(s.censor != 0 for s in event_sources) or any(s.censor == 0 for s in censor_sources):
        raise ValueError("derive_param_tte(): event sources have CNSR 0, censor sources CNSR >= 1")
    sources = list(event_sources) + list(censor_sources)
    cand = pd.concat([_candidates(s, i, source_datasets, by_vars) for i, s in enumerate(sources)], ignore_index=True)
    cand = cand.merge(dataset_adsl[[*by_vars, start_date]], on=by_vars, how="inner")
    events = cand[cand["CNSR"] == 0].sort_values([*by_vars, "ADT", "_PRIORITY"], kind="stable")
    first_event = events.groupby(by_vars, sort=False).head(1)
    censors = cand[(cand["CNSR"] > 0)].merge(first_event[by_vars], on=by_vars, how="left", indicator=True)
    censors = censors[censors["_merge"] == "left_only"].drop(columns="_merge")
    censors = censors.sort_values([*by_vars, "ADT", "_PRIORITY"], ascending=[*[True] * len(by_vars), False, True],
                                  kind="stable")
    last_censor = censors.groupby(by_vars, sort=False).head(1)
    out = pd.concat([first_event, last_censor], ignore_index=True)
    out = dataset_adsl[by_vars].merge(out, on=by_vars, how="inner")
    out["STARTDT"] = pd.to_datetime(out[start_date])
    out["AVAL"] = (out["ADT"] - out["STARTDT"]).dt.days.astype(float) + 1
    out["EVNTDESC"] = out["_EVDESC"]
    out["CNSDTDSC"] = np.where(out["CNSR"] > 0, out["_DESC"], "")
    out["CNSR"] = out["CNSR"].astype(float)
    out["PARAMCD"], out["PARAM"] = paramcd, param
    for name, value in (set_values_to or {}).items():
        out[name] = value
    keep = [*by_vars, "PARAMCD", "PARAM", *(set_values_to or {}), "STARTDT", "ADT", "AVAL", "CNSR",
            "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]
    return out[list(dict.fromkeys(keep))]
