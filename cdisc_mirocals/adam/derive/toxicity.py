"""Laboratory toxicity grades (ADaMIG 1.3, BDS variable set Toxicity and Range: ATOXGRL, ATOXGRH,
ATOXGR; BTOXGR is `derive_var_base` of ATOXGR) from the NCI CTCAE v5.0 grading table kept in specs
(specs/adam/ctcae_v5.csv, `Spec.grading`), never in code.

As admiral's derive_var_atoxgr_dir: the rules of a term are tried in their order and the first that
holds gives the grade ("NA": cannot be graded); a record no rule catches is grade "0". A null AVAL
is never graded, a term the table does not hold is not graded, and a rule with an absolute limit
(its Unit) grades only records in that unit. Comparisons use 15 significant digits, so that a limit
such as 1.5 * ULN is not missed by floating-point error.

The table follows admiral's CTCAE v5.0 metadata, with one difference: where CTCAE counts a haemoglobin
increase "above baseline if baseline is above ULN", so does the table (BNRIND HIGH), where admiral
counts it from the ULN alone. A missing BNRIND is taken as a normal baseline, as admiral does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.derive.indicators import SIGNIF_DIGITS, signif
from cdisc_mirocals.assertions import assert_data_frame, assert_new_var, assert_one_of
from cdisc_mirocals.spec.grading import Atom, Criterion, GradingTable, Linear

_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def _linear(frame: pd.DataFrame, linear: Linear) -> pd.Series:
    total = pd.Series(0.0, index=frame.index)
    for coefficient, var in linear.terms:
        total = total + (coefficient * pd.to_numeric(frame[var], errors="coerce").astype(float) if var else coefficient)
    return total


def _atom(frame: pd.DataFrame, atom: Atom, digits: int) -> pd.Series:
    """True where the atom holds; a comparison with a null operand does not hold (R's NA in case_when)."""
    if atom.kind == "missing":
        v = frame[atom.variable]
        return v.isna() | (v.astype(str).str.strip() == "") if v.dtype == object else v.isna()
    if atom.kind in ("is", "is not"):
        same = frame[atom.variable].fillna("").astype(str) == atom.value
        return same if atom.kind == "is" else ~same
    left, right = signif(_linear(frame, atom.left), digits), signif(_linear(frame, atom.right), digits)
    return pd.Series(_COMPARE[atom.operator](left, right), index=frame.index) & left.notna() & right.notna()


def _holds(frame: pd.DataFrame, criterion: Criterion, digits: int) -> pd.Series:
    result = pd.Series(False, index=frame.index)
    for conjunction in criterion.alternatives:
        part = pd.Series(True, index=frame.index)
        for atom in conjunction:
            part &= _atom(frame, atom, digits)
        result |= part
    return result


def derive_var_atoxgr_dir(dataset: pd.DataFrame, *, new_var: str, tox_description_var: str, grading: GradingTable,
                          criteria_direction: str, unit_var: str | None = None,
                          signif_dig: int = SIGNIF_DIGITS) -> pd.DataFrame:
    """Grade each record in one direction ("L" or "H") by the term in `tox_description_var` (ATOXDSCL or
    ATOXDSCH). Adds `new_var` (ATOXGRL or ATOXGRH): "0" to "4", or "" where it cannot be graded.

    `unit_var` names the column holding the unit of AVAL (e.g. AVALU, or the standard unit carried
    from --STRESU); rules with an absolute limit need it.
    """
    caller = "derive_var_atoxgr_dir"
    if not isinstance(grading, GradingTable):
        raise ValueError(f"{caller}(): `grading` must be the grading table of specs (Spec.grading), "
                         f"not {type(grading).__name__}; the study's specs may hold no ctcae_v5.csv")
    assert_data_frame(dataset, ["AVAL", tox_description_var] + ([unit_var] if unit_var else []), caller=caller)
    assert_one_of(criteria_direction, ("L", "H"), arg="criteria_direction", caller=caller)
    assert_new_var(dataset, new_var, caller=caller)
    grade = pd.Series("", index=dataset.index, dtype=object)
    terms = dataset[tox_description_var].fillna("").astype(str)
    for term in sorted(set(terms) - {""}):
        rules = [r for r in grading.rules_for(term) if r.direction == criteria_direction]
        if not rules:
            continue
        rows = dataset[terms == term]
        needed = sorted({v for r in rules for v in r.criterion.variables})
        assert_data_frame(rows, needed, caller=caller)
        open_ = rows["AVAL"].notna()
        units = [r.unit for r in rules if r.unit]
        if units:
            if not unit_var:
                raise ValueError(f"{caller}(): the grading of {term} has limits in {units[0]}; give `unit_var`")
            open_ &= rows[unit_var].fillna("").astype(str) == units[0]
        result = pd.Series("", index=rows.index, dtype=object)
        for rule in rules:
            hit = open_ & _holds(rows, rule.criterion, signif_dig)
            result[hit] = "" if rule.grade == "NA" else rule.grade
            open_ &= ~hit
        result[open_] = "0"
        grade[rows.index] = result
    out = dataset.copy()
    out[new_var] = grade
    return out


def derive_var_atoxgr(dataset: pd.DataFrame, *, new_var: str = "ATOXGR", lotox_description_var: str = "ATOXDSCL",
                      hitox_description_var: str = "ATOXDSCH", lotox_var: str = "ATOXGRL",
                      hitox_var: str = "ATOXGRH") -> pd.DataFrame:
    """One signed grade from the two directions (ADaMIG 1.3 ATOXGR; admiral's derive_var_atoxgr): a low
    grade 1-4 reads "-1" to "-4", a high grade "1" to "4", "0" when every direction graded is "0".

    Null when neither direction can be graded, and also when one is "0" but the other direction has a
    term that could not be graded: the record cannot then be called normal.
    """
    caller = "derive_var_atoxgr"
    assert_data_frame(dataset, [lotox_description_var, hitox_description_var, lotox_var, hitox_var], caller=caller)
    lo, hi = (dataset[v].fillna("").astype(str) for v in (lotox_var, hitox_var))
    lo_term, hi_term = ((dataset[v].fillna("").astype(str) != "") for v in (lotox_description_var, hitox_description_var))
    lo_graded = lo.isin(["1", "2", "3", "4"])
    hi_graded = hi.isin(["1", "2", "3", "4"])
    lo_ok = (lo == "0") | ~lo_term
    hi_ok = (hi == "0") | ~hi_term
    zero = ((lo == "0") | (hi == "0")) & lo_ok & hi_ok
    out = dataset.copy()
    out[new_var] = np.select([lo_graded, hi_graded, zero], ["-" + lo, hi, "0"], default="")
    return out


def toxicity_terms(dataset: pd.DataFrame, *, grading: GradingTable, paramcd_var: str = "PARAMCD") -> pd.DataFrame:
    """ATOXDSCL and ATOXDSCH by parameter, from specs/adam/toxicity_terms.csv (ADaMIG 1.3: "only
    populated if AVAL is populated and the PARAM is evaluated for toxicity" in that direction)."""
    assert_data_frame(dataset, [paramcd_var, "AVAL"], caller="toxicity_terms")
    if not isinstance(grading, GradingTable):
        raise ValueError(f"toxicity_terms(): `grading` must be the grading table of specs (Spec.grading), "
                         f"not {type(grading).__name__}")
    terms = dataset[paramcd_var].map(grading.terms_by_parameter)
    present = dataset["AVAL"].notna()
    out = dataset.copy()
    for i, name in enumerate(("ATOXDSCL", "ATOXDSCH")):
        out[name] = terms.map(lambda t: t[i] if isinstance(t, tuple) else "").where(present, "").astype(object)
    return out
