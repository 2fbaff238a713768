"""Values and variables that come in pairs: a value missing where its partner in the record is given (a unit's
result, a time point's number), a variable missing where its partner is in the dataset, ranges and reference dates
in order, identifiers unique. The FDA business and validator rules and the CDISC conformance rules P21 gives
these IDs; severities are those of P21 2.2.0's FDA configuration, and for the two reference-date rules it did not
have, SD1002's for SD1208 (the same order on the treatment dates) and Warning for SD1209 (docs/validation.md)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.plausibility import after
from cdisc_mirocals.validate.rules import Hit, rows, rule
from cdisc_mirocals.validate.rules.arms import assigned

# rule: (severity, the --VARIABLE needed, the --VARIABLES any of which, populated, needs it)
VALUE_WHEN = {
    "SD0027": ("Warning", "ORRES", ("ORRESU",)), "SD0030": ("Warning", "STRESC", ("STRESU",)),
    "SD0032": ("Warning", "TPT", ("TPTNUM",)), "SD0033": ("Warning", "TPTNUM", ("TPT",)),
    "SD0035": ("Error", "DOSU", ("DOSE", "DOSTXT", "DOSTOT")), "SD0036": ("Error", "STRESC", ("ORRES",)),
    "SD0050": ("Warning", "ENTPT", ("ENRTPT",)), "SD1098": ("Error", "CAT", ("SCAT",)),
}
# rule: (severity, the --VARIABLE needed in the dataset, the --VARIABLE whose presence needs it)
VARIABLE_WHEN = {"SD1099": ("Warning", "CAT", "SCAT"), "SD1101": ("Error", "ENTPT", "ENRTPT"),
                 "SD1102": ("Error", "ENRTPT", "ENTPT")}
# Not registered yet: the same checks on --ELTM, --VAMT, --RESCAT, --STRTPT and --TOX (SD0034, SD0044, SD0045,
# SD0049, SD1036, SD1103, SD1104), since every rule is proven by a fault injected into this study's output, which
# has none of those variables.


def _value_when(rule_id: str, needed: str, given: tuple[str, ...]):
    def check(study):
        for d in study.observations():
            target, sources = d.var(needed), [v for v in (d.var(g) for g in given) if v]
            if not target or not sources:
                continue
            provided = pd.Series(False, index=d.frame.index)
            for source in sources:
                provided |= d.present(source)
            bad = provided & ~d.present(target)
            if bad.any():
                yield Hit(d.name, rows(bad), (target, *sources))
    return check


def _variable_when(needed: str, given: str):
    def check(study):
        for d in study.observations():
            if d.var(given) and not d.var(needed):
                yield Hit(d.name, None, (d.prefix + needed,), detail=f"{d.var(given)} is present")
    return check


for _id, (_severity, _needed, _given) in VALUE_WHEN.items():
    rule(_id, _severity, "consistency")(_value_when(_id, _needed, _given))
for _id, (_severity, _needed, _given) in VARIABLE_WHEN.items():
    rule(_id, _severity, "presence")(_variable_when(_needed, _given))


@rule("SD0028", "Error", "consistency")
def range_upper_below_lower(study):
    for d in study.observations():
        lo, hi = d.var("STNRLO"), d.var("STNRHI")
        if lo and hi:
            low, high = pd.to_numeric(d.frame[lo], errors="coerce"), pd.to_numeric(d.frame[hi], errors="coerce")
            bad = low.notna() & high.notna() & (high < low)
            if bad.any():
                yield Hit(d.name, rows(bad), (lo, hi))


@rule("SD0014", "Error", "consistency")
def negative_dose(study):
    for d in study.observations():
        dose = d.var("DOSE")
        if dose:
            bad = pd.to_numeric(d.frame[dose], errors="coerce") < 0
            if bad.any():
                yield Hit(d.name, rows(bad), (dose,))


def _dm_order(study, first: str, last: str):
    dm = study.get("DM")
    if dm is not None and dm.has(first, last):
        bad = after(dm.frame[first], dm.frame[last])
        if bad.any():
            yield Hit("DM", rows(bad), (first, last))


@rule("SD1002", "Error", "dates")
def reference_start_after_end(study):
    return _dm_order(study, "RFSTDTC", "RFENDTC")


@rule("SD1208", "Error", "dates")
def first_treatment_after_last(study):
    return _dm_order(study, "RFXSTDTC", "RFXENDTC")


@rule("SD1209", "Warning", "dates")
def last_treatment_missing(study):
    dm = study.get("DM")
    if dm is not None and dm.has("RFXSTDTC", "RFXENDTC"):
        bad = dm.present("RFXSTDTC") & ~dm.present("RFXENDTC")
        if bad.any():
            yield Hit("DM", rows(bad), ("RFXSTDTC", "RFXENDTC"))


@rule("SD1001", "Error", "identity")
def subjid_unique(study):
    dm = study.get("DM")
    if dm is not None and dm.has("SUBJID", "USUBJID"):
        frame = dm.frame[dm.present("SUBJID")]
        subjects = frame.groupby("SUBJID")["USUBJID"].nunique()
        shared = frame["SUBJID"].isin(subjects.index[subjects > 1])
        if shared.any():
            yield Hit("DM", rows(dm.frame.index.isin(frame.index[shared])), ("SUBJID",))


@rule("SD1038", "Error", "identity")
def tsseq_unique_within_parameter(study):
    ts = study.get("TS")
    if ts is not None and ts.has("TSPARMCD", "TSSEQ"):
        bad = ts.frame.duplicated(["TSPARMCD", "TSSEQ"], keep="first")
        if bad.any():
            yield Hit("TS", rows(bad), ("TSPARMCD", "TSSEQ"))


@rule("SD1121", "Warning", "presence")
def age_missing(study):
    """Screen failures and subjects not assigned to an arm may lack an age (P21's exception)."""
    dm = study.get("DM")
    if dm is None or not ({"AGE", "AGETXT"} & set(dm.frame)):
        return
    given = pd.Series(False, index=dm.frame.index)
    for name in ("AGE", "AGETXT"):
        if name in dm.frame:
            given |= dm.present(name)
    bad = ~given & assigned(dm.frame)
    if bad.any():
        yield Hit("DM", rows(bad), tuple(n for n in ("AGE", "AGETXT") if n in dm.frame))


@rule("SD1129", "Error", "presence")
def age_variables_missing(study):
    dm = study.get("DM")
    if dm is not None and not ({"AGE", "AGETXT"} & set(dm.frame)):
        yield Hit("DM", None, ("AGE",), detail="neither AGE nor AGETXT is in DM")
