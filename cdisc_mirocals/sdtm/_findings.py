"""What the findings mappers LB, CP, QS, RE and VS share: stacking wide CRF rows into one record per
test, collected numbers as text, per-test values from value-level metadata, and the timing and flag
derivations every findings domain ends with. Private to these five domains (not common.py)."""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from cdisc_mirocals.metadata.numbers import number_text  # noqa: F401 (the mappers import it from here)
from cdisc_mirocals.sdtm.common import assign_visits, derive_var_epoch, derive_var_lobxfl
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.spec import Spec

# Assessments of these visits precede the day's first dose (riluzole, then study drug) by protocol (MT.EPOCH).
PREDOSE_VISITS = ("SCREENING", "BASELINE")
NOT_DONE = "NOT DONE"
RESULT = "_RESULT"


def _vlm_conditions(spec: Spec, dataset: str, variable: str | None = None):
    for vlm in spec.sdtm.valuelevel:
        if vlm.dataset == dataset and (variable is None or vlm.variable == variable):
            yield vlm, {c.variable: c for c in vlm.where}


def per_test(spec: Spec, dataset: str, testcd: str, variable: str) -> dict[str, str]:
    """{test code: value of `variable`} read from value-level where clauses (e.g. LBSPEC per LBTESTCD)."""
    out = {}
    for _, cond in _vlm_conditions(spec, dataset):
        if testcd in cond and variable in cond and cond[variable].comparator == "EQ":
            out.update(dict.fromkeys(cond[testcd].values, cond[variable].values[0]))
    return out


def standard_units(spec: Spec, dataset: str, testcd: str, unit_var: str) -> dict[str, str]:
    """{test code: value}: the single term of the codelist value-level metadata gives `unit_var` for the test
    (a standard unit, or any other constant assigned per test, e.g. CPMRKSTR)."""
    out = {}
    for vlm, cond in _vlm_conditions(spec, dataset, unit_var):
        terms = spec.sdtm.codelists[vlm.codelist].values if vlm.codelist else ()
        if testcd in cond and len(terms) == 1:
            out.update(dict.fromkeys(cond[testcd].values, terms[0]))
    return out


def drop_blank_rows(ctx: Context, frame: pd.DataFrame, columns: Iterable[str], what: str) -> pd.DataFrame:
    """Rows without any result give no record (the CRF has no not-done field to report): exclude them."""
    blank = frame[list(columns)].isna().all(axis=1)
    ctx.exclude(frame[blank], f"no {what} result collected: every result field is blank")
    return frame[~blank]


def stack(frame: pd.DataFrame, tests: Mapping[str, str], testcd: str) -> pd.DataFrame:
    """One record per raw row and test column ({column: test code}) with a result in `RESULT`;
    blank results give no record. Every record keeps its row's _FORM/_LINE."""
    typed = frame.assign(**{c: frame[c].astype("Float64") for c in tests})
    long = typed.melt(id_vars=[c for c in frame.columns if c not in tests], value_vars=list(tests),
                      var_name=testcd, value_name=RESULT)
    long[testcd] = long[testcd].map(tests)
    return long[long[RESULT].notna()].reset_index(drop=True)


def decode(ctx: Context, codes: pd.Series, codelist: str) -> pd.Series:
    """--TEST from --TESTCD: the decode of the term in the --TESTCD codelist."""
    return codes.map({t.term: t.decode for t in ctx.spec.sdtm.codelists[codelist].terms})


def finish(ctx: Context, records: pd.DataFrame, domain: str, *, lobxfl_by: Iterable[str] = (),
           predose: pd.Series | None = None) -> pd.DataFrame:
    """VISITNUM/VISIT, --DY, EPOCH, --LOBXFL and --SEQ, in that order, for a findings domain.

    `records` holds USUBJID, the raw VISIT and --DTC. Records of the SCREENING and BASELINE visits are
    pre-dose (MT.EPOCH); `predose` narrows that further (e.g. CP samples drawn after the cycle's injections).
    """
    dtc = f"{domain}DTC"
    out = assign_visits(records.assign(STUDYID=ctx.studyid, DOMAIN=domain), ctx.datasets["TV"],
                        ctx.datasets["SV"], visit_var="VISIT", dtc_var=dtc)
    before_dose = out["VISIT"].isin(PREDOSE_VISITS).fillna(False)
    if predose is not None:
        before_dose &= predose.reindex(out.index).fillna(False).astype(bool)
    out = ctx.study_days(out, {f"{domain}DY": dtc})
    out = derive_var_epoch(out, ctx.datasets["SE"], dtc_var=dtc, predose=before_dose)
    # A result is --STRESC: collected (--ORRES, no --STAT) or derived (VS BMI), per MT.LOBXFL.
    out = derive_var_lobxfl(out, ctx.datasets["DM"], by_vars=[f"{domain}TESTCD", *lobxfl_by], dtc_var=dtc,
                            result_var=f"{domain}STRESC", new_var=f"{domain}LOBXFL")
    return ctx.number_records(out, domain)
