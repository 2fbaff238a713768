"""Consistency within a record or a subject: results without their units, events without their end,
subjects without a baseline, an actual arm other than the planned one. Each rule keeps Pinnacle 21's
exemptions, which its rule text and its reports on the CDISC pilot show (docs/validation.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.validate.distinct import per_value
from cdisc_mirocals.validate.rules import Hit, rows, rule
from cdisc_mirocals.validate.rules.arms import code_in, randomised, treated

# tests whose results have no unit by nature: P21 does not ask units of pH or specific gravity
UNITLESS_TESTS = frozenset({"PH", "SPGRAV"})
# questionnaires, functional tests and response assessments: their results are scores, which have no unit
SCORED_DOMAINS = frozenset({"QS", "FT", "RS"})
# the domains where SD0006 expects a baseline record of every treated subject
BASELINE_DOMAINS = ("EG", "LB", "MB", "MS", "PC", "VS")


def _numeric_nonzero(values: pd.Series) -> pd.Series:
    number = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    return number.notna() & number.ne(0)


def _result_without_unit(study, result: str, unit: str):
    """Findings records with a numeric result other than 0 and no unit. P21 leaves out text results
    (NEGATIVE, N), results of 0 (nothing found, as in cell counts graded 0), the unitless tests and the
    scored domains."""
    for d in study.observations():
        if d.domain in SCORED_DOMAINS:
            continue
        res, uni, testcd = d.var(result), d.var(unit), d.var("TESTCD")
        if not (res and uni):
            continue
        bad = per_value(d.frame[res], _numeric_nonzero, d.distinct) & ~d.present(uni)
        if testcd:
            bad &= ~code_in(d.frame[testcd], UNITLESS_TESTS)
        if bad.any():
            variables = tuple(v for v in (testcd, res, uni) if v)
            yield Hit(d.name, rows(bad), variables, detail=f"a numeric {res} without {uni}")


@rule("SD0026", "Warning", "consistency")
def orres_without_unit(study):
    return _result_without_unit(study, "ORRES", "ORRESU")


@rule("SD0029", "Warning", "consistency")
def stresc_without_unit(study):
    return _result_without_unit(study, "STRESC", "STRESU")


def _time_point_missing(study, names: tuple[str, ...], what: str):
    """AE records that occurred with none of the time-point variables `names` populated. P21 runs this on
    AE only: a medication or history record without an end is ongoing or unknown by design."""
    d = study.get("AE")
    if d is None:
        return
    f = d.frame
    given = np.zeros(len(f), dtype=bool)
    for name in names:
        if name in f:
            given |= d.present(name).to_numpy()
    if "AEOCCUR" in f:
        given |= code_in(f["AEOCCUR"], {"N"}).to_numpy()
    if "AESTAT" in f:
        given |= d.present("AESTAT").to_numpy()
    if given.all():
        return
    shown = tuple(n for n in names if n in f) or names[:1]
    yield Hit("AE", rows(~given), shown, detail=f"no {what} ({', '.join(names)})")


@rule("SD0021", "Warning", "consistency")
def end_time_point_missing(study):
    return _time_point_missing(study, ("AEENDTC", "AEENRF", "AEENRTPT", "AEDUR"), "end time point")


@rule("SD0022", "Warning", "consistency")
def start_time_point_missing(study):
    return _time_point_missing(study, ("AESTDTC", "AESTRF", "AESTRTPT"), "start time point")


@rule("SD2236", "Warning", "consistency")
def actarmcd_not_armcd(study):
    """A subject treated other than planned. A subject not treated (ACTARMCD null, with ARMNRS in SDTMIG 3.4,
    or NOTTRT) or not assigned is left to the arm rules (SD1358-SD1362, SD2002)."""
    dm = study.get("DM")
    if dm is None or not dm.has("ARMCD", "ACTARMCD"):
        return
    f = dm.frame
    actual = f["ACTARMCD"]
    bad = randomised(f) & dm.present("ACTARMCD") & ~code_in(actual, {"NOTTRT"}) \
        & actual.astype(str).str.upper().ne(f["ARMCD"].astype(str).str.upper())
    if bad.any():
        yield Hit("DM", rows(bad), ("ARMCD", "ACTARMCD"))


def _baseline(d) -> pd.Series:
    """Records flagged baseline: --BLFL (SDTMIG 3.2, 3.3) or --LOBXFL (3.4)."""
    flag = np.zeros(len(d.frame), dtype=bool)
    for suffix in ("BLFL", "LOBXFL"):
        name = d.var(suffix)
        if name:
            flag |= code_in(d.frame[name], {"Y"}).to_numpy()
    return pd.Series(flag, index=d.frame.index)


@rule("SD1131", "Warning", "consistency")
def baseline_without_result(study):
    """A record flagged baseline (--BLFL or --LOBXFL 'Y') with no standard result."""
    for d in study.observations():
        stresc = d.var("STRESC")
        if not stresc:
            continue
        bad = _baseline(d) & ~d.present(stresc)
        if bad.any():
            flag = d.var("BLFL") or d.var("LOBXFL")
            yield Hit(d.name, rows(bad), (stresc, flag))


@rule("SD0006", "Warning", "consistency")
def no_baseline(study):
    """A subject treated (not a screen failure, unassigned or not treated) with records in a Findings domain
    that holds baselines, none of them flagged baseline. P21 reports it on the subject's DM record, once
    per domain; a split domain (LBCH, LBHE, LBUR) is one domain."""
    dm = study.get("DM")
    if dm is None or "USUBJID" not in dm.frame:
        return
    subjects = dm.frame["USUBJID"]
    eligible = treated(dm.frame)
    for domain in BASELINE_DOMAINS:
        parts = study.by_domain(domain)
        if not parts or not any(_baseline_flag_exists(p) for p in parts):
            continue
        with_baseline = set()
        for p in parts:
            with_baseline |= set(p.frame["USUBJID"][_baseline(p)])
        bad = eligible & ~subjects.isin(with_baseline)
        if bad.any():
            yield Hit("DM", rows(bad), ("USUBJID", "ARMCD", "ACTARMCD") if dm.has("ARMCD", "ACTARMCD")
                      else ("USUBJID",), detail=f"no baseline record in {domain}")


def _baseline_flag_exists(d) -> bool:
    return bool(d.var("BLFL") or d.var("LOBXFL"))
