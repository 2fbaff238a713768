"""The raw-level edit checks of check-raw: the plausibility rules of cdisc_mirocals/plausibility.py bound
to the CRF forms, reported as an EDC system reports them, with file, line, column and value.

Every edit check here finds data that cannot be true (a date in the future, a birth after consent, an
adverse event after death), so each is an error, as a hard edit check of an EDC is: check-raw exits 1
and convert refuses the data until it is corrected or queried. Protocol deviations that are possible
(a visit out of its window, an age outside the eligibility range) are the validator's warnings instead.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.validate.distinct import Distinct, per_value
from cdisc_mirocals.plausibility import (AFTER_DEATH, BEFORE_1900, BIRTH_AFTER_CONSENT, DEATH_BEFORE_RANDOMISATION,
                                         END_OF_STUDY_DEATH, FUTURE, START_AFTER_END, VISIT_BEFORE_CONSENT,
                                         PlausibilityRule, after, after_codes, before_1900, date_texts, in_future)

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
        self._distinct: dict[str, Distinct] = {}

    def form(self, name: str) -> pd.DataFrame | None:
        return self.raw.forms.get(name)

    def distinct(self, form: str) -> Distinct:
        """The form's columns, each factorised once for all the checks."""
        if form not in self._distinct:
            self._distinct[form] = Distinct(self.form(form))
        return self._distinct[form]

    def dates(self, form: str, field: str) -> tuple[np.ndarray, list[str]]:
        codes, uniques = self.distinct(form).factor(field)
        return codes, date_texts(uniques)

    def subject_dates(self, form: str, dates: pd.Series) -> tuple[np.ndarray, list[str], pd.Series]:
        """Each record's subject's date in `dates` (by SUBJID): codes, distinct texts, and the values."""
        subject_codes, subjects = self.distinct(form).factor("SUBJID")
        per_subject = subjects.map(dates).to_numpy(dtype=object)
        codes, uniques = pd.factorize(per_subject, use_na_sentinel=False)
        values = pd.Series(per_subject[subject_codes] if len(subject_codes) else [], index=self.form(form).index,
                           dtype=object)
        return codes[subject_codes] if len(subject_codes) else subject_codes, date_texts(uniques), values

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
        values, d = c.form(form)[field], c.distinct(form)
        c.report(FUTURE, form, field, per_value(values, lambda u: in_future(u, c.today), d),
                 f"a date on or before today ({c.today.strftime('%d-%b-%Y').upper()})")
        c.report(BEFORE_1900, form, field, per_value(values, before_1900, d), "a year from 1900 on")
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
            c.report(START_AFTER_END, form, end, after_codes(*c.dates(form, start), *c.dates(form, end)),
                     lambda: f"an end date on or after the start date {start} (" + iso_to_raw(f[start]) + ")")


def _after_death(c: _Checks) -> None:
    death = c.by_subject(*DEATH)
    if death.empty:
        return
    for form, field, *condition in DATED_AFTER_DEATH:
        f = c.form(form)
        if f is None:
            continue
        died_codes, died_texts, died = c.subject_dates(form, death)
        bad = after_codes(*c.dates(form, field), died_codes, died_texts)
        if condition:
            flag, values = condition
            bad &= per_value(f[flag], lambda u, v=values: _coded(u).isin(v), c.distinct(form)).to_numpy()
        c.report(AFTER_DEATH, form, field, bad, lambda: "a date on or before the death on " + iso_to_raw(died)
                 + f" ({c.raw.file(DEATH[0])})")


def _not_after(c: _Checks, rule: PlausibilityRule, checked: tuple[str, str], reference: tuple[str, str],
               checked_is_later: bool, what: str) -> None:
    """Each record of the checked form/field against the subject's reference date in another form."""
    f = c.form(checked[0])
    if f is None:
        return
    ref_codes, ref_texts, ref = c.subject_dates(checked[0], c.by_subject(*reference))
    dates = c.dates(*checked)
    bad = after_codes(ref_codes, ref_texts, *dates) if checked_is_later else after_codes(*dates, ref_codes, ref_texts)
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
            says_death = per_value(f[field], lambda u: _coded(u).eq("death"), c.distinct(form))
            c.report(END_OF_STUDY_DEATH, form, field, says_death & ~f["SUBJID"].isin(reported),
                     f"a death report in {c.raw.file(DEATH[0])} for a subject whose {field} is Death")


def _coded(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.casefold().fillna("")

