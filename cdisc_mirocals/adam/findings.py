"""The steps ADLB and ADVS share: SDTM findings records to BDS records (PARAMCD, AVAL, ADT, ADY,
SRCDOM/SRCVAR/SRCSEQ, ADSL variables), analysis visits, baseline and change, on-treatment and
analysis flags, and the post-baseline minimum and maximum records. Each step is one toolkit verb
(adam.derive); the parameters and their order come from the dataset's PARAMCD codelist in specs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.derive import (derive_extreme_records, derive_var_anl_flag, derive_var_base, derive_var_chg,
                                        derive_var_extreme_flag, derive_var_ontrtfl, derive_var_pchg, derive_vars_dy,
                                        derive_vars_merged, derive_vars_visit_window, desc)
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.metadata.numbers import round_half_away
from cdisc_mirocals.emergence import emergence_window
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]


@dataclass(frozen=True)
class Source:
    """An SDTM findings domain feeding a BDS dataset; `extra` are its columns kept under ADaM names."""

    domain: str
    extra: tuple[tuple[str, str], ...] = ()  # (ADaM name, SDTM name)


def parameters(spec: Spec, dataset: str) -> pd.DataFrame:
    """PARAMCD, PARAM and PARAMN from the codelists PARAMCD.<dataset> (decode = PARAM, order = PARAMN)."""
    terms = spec.adam.codelists[f"PARAMCD.{dataset}"].terms
    return pd.DataFrame({"PARAMCD": [t.term for t in terms], "PARAM": [t.decode for t in terms],
                         "PARAMN": [float(t.order) for t in terms]})


def findings_records(sdtm: dict[str, pd.DataFrame], spec: Spec, dataset: str, sources: list[Source],
                     drop_tests: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One record per SDTM result with a standard numeric value (--STRESN), for the tests the
    dataset's PARAMCD codelist lists (PARAMCD = --TESTCD). A test the codelist does not list, other
    than those in `drop_tests` (derived again in ADaM), is an error rather than a silent loss."""
    params = parameters(spec, dataset)
    frames = []
    for src in sources:
        p = src.domain
        data = sdtm[p]
        unknown = sorted(set(data[f"{p}TESTCD"]) - set(params["PARAMCD"]) - drop_tests)
        if unknown:
            raise ValueError(f"{dataset}: SDTM {p}.{p}TESTCD has tests that {dataset} has no parameter for: "
                             f"{', '.join(unknown)}; add them to the codelist PARAMCD.{dataset}")
        data = data[data[f"{p}STRESN"].notna() & ~data[f"{p}TESTCD"].isin(drop_tests)]
        frame = pd.DataFrame({
            "STUDYID": data["STUDYID"], "USUBJID": data["USUBJID"], "PARAMCD": data[f"{p}TESTCD"],
            "AVAL": data[f"{p}STRESN"].astype(float), "_UNIT": data[f"{p}STRESU"], "ADT": to_date(data[f"{p}DTC"]),
            "VISIT": data["VISIT"], "VISITNUM": data["VISITNUM"].astype(float),
            "SRCDOM": p, "SRCVAR": f"{p}STRESN", "SRCSEQ": data[f"{p}SEQ"].astype(float)})
        for name, column in src.extra:
            frame[name] = data[column]
        frames.append(frame)
    records = pd.concat(frames, ignore_index=True, sort=False)
    for name in records.columns:
        if records[name].dtype == object:
            records[name] = records[name].fillna("")
    return records.merge(params, on="PARAMCD", how="left")


def with_adsl(records: pd.DataFrame, adsl: pd.DataFrame, spec: Spec, dataset: str) -> pd.DataFrame:
    """The ADSL variables the spec copies (Predecessor ADSL.*), and TRTSDT, TRTEDT, RANDDT for the
    derivations; subjects not in ADSL (screen failures) are not analysed."""
    copied = {k: v for k, v in predecessors(spec, dataset, "ADSL").items() if k not in KEYS}
    needed = {v: v for v in ("TRTSDT", "TRTEDT", "RANDDT")}
    records = records[records["USUBJID"].isin(adsl["USUBJID"])]
    return derive_vars_merged(records, adsl, by_vars=KEYS, new_vars={**needed, **copied})


def reference_date(records: pd.DataFrame) -> pd.Series:
    """The first injection, or randomisation for a subject never treated: baseline is the last value
    on or before it and changes are from it (MT.<dataset>.ABLFL)."""
    return records["TRTSDT"].fillna(records["RANDDT"])


def derive_visits(records: pd.DataFrame, spec: Spec, dataset: str, *, by_name: pd.Series | None = None) -> pd.DataFrame:
    """ADY from the first injection, then AVISIT by the study-day windows of specs; records `by_name`
    keeps take the window of their SDTM VISIT's name instead (samples tied to a cycle, not to a day),
    with no window limits."""
    records = records.assign(_REF=reference_date(records))
    records = derive_vars_dy(records, reference_date="_REF", source_vars={"ADY": "ADT"})
    table = pd.DataFrame([w.as_record() for w in spec.windows if w.dataset == dataset])
    out = derive_vars_visit_window(records, windows=table, day_var="ADY")
    if by_name is not None and by_name.any():
        named = table.set_index("AVISIT")
        chosen = by_name & records["VISIT"].isin(named.index)
        out.loc[by_name, ["AVISIT", "AWU"]] = ""
        out.loc[by_name, ["AVISITN", "AWLO", "AWHI", "AWTARGET", "AWTDIFF"]] = np.nan
        out.loc[chosen, "AVISIT"] = records.loc[chosen, "VISIT"]
        out.loc[chosen, "AVISITN"] = records.loc[chosen, "VISIT"].map(named["AVISITN"]).astype(float)
    return out


def rounded(values: pd.Series, spec: Spec, dataset: str, variable: str, where: str | None = None) -> pd.Series:
    """A computed value rounded, halves away from zero, to the Significant Digits its specification gives
    (the value-level row of PARAMCD `where` when given, else the variable's)."""
    if where is None:
        digits = spec.adam[dataset].variable(variable).significant_digits
    else:
        digits = next(v.significant_digits for v in spec.adam.valuelevel if v.dataset == dataset
                      and v.variable == variable and any(c.variable == "PARAMCD" and c.values == (where,)
                                                         for c in v.where))
    if digits is None:
        raise ValueError(f"{dataset}.{variable} is rounded to its Significant Digits, which its specification lacks")
    return round_half_away(values, digits)


def derive_baseline(records: pd.DataFrame, spec: Spec, dataset: str, *,
                    candidate: pd.Series | None = None) -> pd.DataFrame:
    """ABLFL on the last record with a value on or before the reference date (among `candidate`
    records, e.g. pre-dose samples), ties on a date broken by the SDTM --SEQ; then BASE, CHG and PCHG,
    changes on the records after the reference date only. CHG and PCHG are rounded as their
    specification says: for CHG, the precision of the values, so that 6.74 - 6.0 is 0.74 exactly."""
    keep = records["AVAL"].notna() & (records["ADT"] <= records["_REF"])
    if candidate is not None:
        keep &= candidate
    records = derive_var_extreme_flag(records, by_vars=["USUBJID", "PARAMCD"], order=["ADT", "SRCSEQ"],
                                      new_var="ABLFL", mode="last", filter=lambda d: keep)
    records = derive_var_base(records, by_vars=["USUBJID", "PARAMCD"])
    post = lambda d: d["ADT"] > d["_REF"]  # noqa: E731
    records = derive_var_chg(records, filter=post)
    records["CHG"] = rounded(records["CHG"], spec, dataset, "CHG")
    records = derive_var_pchg(records, filter=post)
    records["PCHG"] = rounded(records["PCHG"], spec, dataset, "PCHG")
    return records


def derive_flags(records: pd.DataFrame, spec: Spec, *, by_vars: list[str],
                 tie_break: list[str] = ()) -> pd.DataFrame:
    """ONTRTFL (first injection to one cycle after the last; records on the day of the first injection
    are drawn before it, as the protocol has it) and ANL01FL (per subject, parameter and analysis
    visit: the record nearest the visit's target day, and of two as near the later; of two on one day,
    the first by SDTM --SEQ, then by `tie_break`)."""
    records = derive_var_ontrtfl(records, start_date="ADT", ref_start_date="TRTSDT", ref_end_date="TRTEDT",
                                 ref_end_window=emergence_window(spec.study),
                                 filter_pre_timepoint=lambda d: pd.Series(True, index=d.index))
    return derive_var_anl_flag(records, by_vars=["USUBJID", "PARAMCD", "AVISIT", *by_vars],
                               order=["AWTDIFF", desc("ADT"), "SRCSEQ", *tie_break], check_type="error")


def derive_extremes(records: pd.DataFrame, spec: Spec, *, params: list[str]) -> pd.DataFrame:
    """The lowest and highest on-treatment post-baseline value of each parameter in `params`, as new
    records DTYPE 'MINIMUM' and 'MAXIMUM' (the terms of the DTYPE codelist, in its order, give AVISITN
    900 + order); the earliest of equal values is kept."""
    dtype = {t.term: t.order for t in spec.adam.codelists["DTYPE"].terms}
    keep = lambda d: (d["PARAMCD"].isin(params) & (d["ONTRTFL"] == "Y") & (d["ADT"] > d["_REF"])  # noqa: E731
                      & d["AVAL"].notna() & (d["DTYPE"] == ""))
    records = records.assign(DTYPE="")
    for kind, order, mode in (("MINIMUM", ["AVAL", "ADT", "SRCSEQ"], "first"),
                              ("MAXIMUM", ["AVAL", desc("ADT"), desc("SRCSEQ")], "last")):
        records = derive_extreme_records(
            records, by_vars=KEYS + ["PARAMCD"], order=order, mode=mode, filter_add=keep, check_type="error",
            set_values_to={"DTYPE": kind, "AVISIT": f"POST-BASELINE {kind}", "AVISITN": 900.0 + dtype[kind],
                           "ANL01FL": "", "AWLO": np.nan, "AWHI": np.nan, "AWTARGET": np.nan, "AWTDIFF": np.nan,
                           "AWU": ""})
    return records
