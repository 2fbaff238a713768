"""The raw-level edit checks of check-raw: the plausibility rules of cdisc_mirocals/plausibility.py bound
to the CRF forms, reported as an EDC system reports them, with file, line, column and value.

Every edit check here finds data that cannot be true (a date in the future, a birth after consent, an
adverse event after death), so each is an error, as a hard edit check of an EDC is: check-raw exits 1
and convert refuses the data until it is corrected or queried. Protocol deviations that are possible
(a visit out of its window, an age outside the eligibility range) are the validator's warnings instead.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.validate.distinct import per_value
from cdisc_mirocals.plausibility import (AFTER_DEATH, BEFORE_1900, BIRTH_AFTER_CONSENT, DEATH_BEFORE_RANDOMISATION,
                                         END_OF_STUDY_DEATH, FUTURE, START_AFTER_END, VISIT_BEFORE_CONSENT,
                                         PlausibilityRule, after, before_1900, in_future)

LINE = "_LINE"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Which CRF fields play which part in each rule: (form, field[, condition field, values that apply]).
START_END = (("AE", "AESTDAT", "AEENDAT"), ("CM", "CMSTDAT", "CMENDAT"))
DATED_AFTER_DEATH = (("AE", "AESTDAT"), ("VISIT", "VISDAT"), ("LAB", "LBDAT"), ("VS", "VSDAT"), ("SVC", "REDAT"),
                     ("ALSFRS", "QSDAT"), ("TREG", "TRGDAT"), ("CSF", "LPDAT"), ("CM", "CMSTDAT"),
                     ("TRACH", "PRSTDAT"), ("INJ", "INJDAT", "INJDONE", ("yes",)), ("EOS", "LSTALVDT"))
CONSENT, BIRTH = ("ENROL", "CONSDAT"), ("ENROL", "BRTHDAT")
DEATH, RANDOMISATION, VISIT = ("DEATH", "DTHDAT"), ("RAND", "RANDDAT"), ("VISIT", "VISDAT")
DEATH_REASONS = (("EOS", "EOSSTAT"), ("EOS", "EOTREAS"))


def iso_to_raw(iso: pd.Series) -> pd.Series:
    """ISO 8601 dates back in the CRF's DD-MON-YYYY form (2018-03 -> UN-MAR-2018), as the user typed them."""
    text = iso.astype(object).where(iso.notna(), "").astype(str)
    year, month, day = text.str.slice(0, 4), text.str.slice(5, 7), text.str.slice(8, 10)
    mon = month.map({f"{i:02d}": m for i, m in enumerate(MONTHS, start=1)}).fillna("UNK")
    return (day.where(day != "", "UN") + "-" + mon + "-" + year).where(text != "", "")


class _Checks:
    def __init__(self, raw, today: dt.date):
        self.raw, self.today, self.problems = raw, today, []

    def form(self, name: str) -> pd.DataFrame | None:
        return self.raw.forms.get(name)

    def by_subject(self, form: str, field: str) -> pd.Series:
        f = self.form(form)
        if f is None:
            return pd.Series([], dtype=object)
        return f.dropna(subset=[field]).drop_duplicates("SUBJID").set_index("SUBJID")[field]

    def report(self, rule: PlausibilityRule, form: str, field: str, bad: pd.Series, expected) -> None:
        """One Problem per failing record: the file, its line, the field, the value as typed, and what was
        expected (one text, or a Series aligned on the form's records, or a function making one of them)."""
        mask = pd.Series(bad, copy=False).fillna(False).to_numpy(dtype=bool)
        if not mask.any():
            return
        expected = expected() if callable(expected) else expected
        sub = self.form(form)[mask]
        values = iso_to_raw(sub[field]) if _is_date(self.raw, form, field) else sub[field].astype(str)
        texts = expected[mask] if isinstance(expected, pd.Series) else [expected] * len(sub)
        for line, value, text in zip(sub[LINE], values, texts):
            self.problems.append(Problem(self.raw.file(form), int(line), field, value, f"{rule.id} {text}"))


def _is_date(raw, form: str, field: str) -> bool:
    spec = raw.spec.raw[form]
    return any(f.name == field and f.type in ("date", "partial date") for f in spec.fields)


def _date_fields(raw):
    for name, form in raw.spec.raw.items():
        if name in raw.forms:
            for f in form.fields:
                if f.type in ("date", "partial date"):
                    yield name, f.name


def edit_check_problems(raw, today: dt.date | None = None) -> list[Problem]:
    """Every edit-check failure of a typed raw study (cdisc_mirocals.raw.RawStudy), sorted by file and line."""
    c = _Checks(raw, today or dt.date.today())
    for form, field in _date_fields(raw):
        values = c.form(form)[field]
        c.report(FUTURE, form, field, per_value(values, lambda u: in_future(u, c.today)),
                 f"a date on or before today ({c.today.strftime('%d-%b-%Y').upper()})")
        c.report(BEFORE_1900, form, field, per_value(values, before_1900), "a year from 1900 on")
    _birth_after_consent(c)
    _start_after_end(c)
    _after_death(c)
    _death_before_randomisation(c)
    _visit_before_consent(c)
    _death_not_reported(c)
    return sorted(c.problems, key=lambda p: (p.file, p.line or 0, p.column or ""))


def _birth_after_consent(c: _Checks) -> None:
    enrol = c.form(BIRTH[0])
    if enrol is not None:
        c.report(BIRTH_AFTER_CONSENT, *BIRTH, after(enrol[BIRTH[1]], enrol[CONSENT[1]]),
                 lambda: "a birth date before informed consent (" + iso_to_raw(enrol[CONSENT[1]]) + ")")


def _start_after_end(c: _Checks) -> None:
    for form, start, end in START_END:
        f = c.form(form)
        if f is not None:
            c.report(START_AFTER_END, form, end, after(f[start], f[end]),
                     lambda: f"an end date on or after the start date {start} (" + iso_to_raw(f[start]) + ")")


def _after_death(c: _Checks) -> None:
    death = c.by_subject(*DEATH)
    if death.empty:
        return
    for form, field, *condition in DATED_AFTER_DEATH:
        f = c.form(form)
        if f is None:
            continue
        died = f["SUBJID"].map(death)
        bad = after(f[field], died)
        if condition:
            flag, values = condition
            bad &= f[flag].astype("string").str.strip().str.casefold().isin(values).fillna(False).to_numpy()
        c.report(AFTER_DEATH, form, field, bad, lambda: "a date on or before the death on " + iso_to_raw(died)
                 + f" ({c.raw.file(DEATH[0])})")


def _not_after(c: _Checks, rule: PlausibilityRule, checked: tuple[str, str], reference: tuple[str, str],
               checked_is_later: bool, what: str) -> None:
    """Each record of the checked form/field against the subject's reference date in another form."""
    f = c.form(checked[0])
    if f is None:
        return
    ref = f["SUBJID"].map(c.by_subject(*reference))
    bad = after(ref, f[checked[1]]) if checked_is_later else after(f[checked[1]], ref)
    c.report(rule, *checked, bad, lambda: f"{what} (" + iso_to_raw(ref) + f", {c.raw.file(reference[0])})")


def _death_before_randomisation(c: _Checks) -> None:
    _not_after(c, DEATH_BEFORE_RANDOMISATION, DEATH, RANDOMISATION, True, "a death on or after randomisation")


def _visit_before_consent(c: _Checks) -> None:
    _not_after(c, VISIT_BEFORE_CONSENT, VISIT, CONSENT, True, "a visit on or after informed consent")


def _death_not_reported(c: _Checks) -> None:
    reported = set(c.form(DEATH[0])["SUBJID"]) if c.form(DEATH[0]) is not None else set()
    for form, field in DEATH_REASONS:
        f = c.form(form)
        if f is not None:
            says_death = f[field].astype("string").str.strip().str.casefold().eq("death").fillna(False)
            c.report(END_OF_STUDY_DEATH, form, field, says_death & ~f["SUBJID"].isin(reported),
                     f"a death report in {c.raw.file(DEATH[0])} for a subject whose {field} is Death")


def check_edits(raw, today: dt.date | None = None) -> None:
    """Raise RawDataError with every edit-check failure; return quietly when there is none."""
    problems = edit_check_problems(raw, today)
    if problems:
        raise RawDataError(problems)
