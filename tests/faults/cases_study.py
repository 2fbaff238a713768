"""Faults across forms, and studies that cannot be analysed.

The cross-form and plausibility checks are the edit checks of the validation work (issue 9,
validate/edit_checks.py), which check-raw runs once every form is clean: each case states the
records they must name, and the rule (its ID in the message). A study with one arm or one subject
must convert, its analysis saying why each analysis it cannot do was skipped.
"""

from __future__ import annotations

import datetime as dt

from faults.study import ANALYSIS, Error, Study, accepted, collector, iso_date, \
    raw_date, refused

CASES, case = collector()


def shift(raw: str, days: int) -> str:
    return raw_date((dt.date.fromisoformat(iso_date(raw)) + dt.timedelta(days=days)).isoformat())


def full(value: str) -> bool:
    return len(value.strip()) == 11 and not value.strip().upper().startswith("UN")


def edit_check(*errors: Error, exact: bool = True):
    return refused(*errors, exact=exact)


def _dead_with(s: Study, form: str) -> tuple[str, str]:
    """A subject who died and has records in `form`, and the date of death."""
    have = {r["SUBJID"].strip() for r in s.records(form)}
    subject = sorted(set(s.deaths()) & have)[0]
    return subject, s.deaths()[subject]["DTHDAT"]


@case("edit check", "an adverse event starting after death")
def ae_after_death(s: Study):
    subject, died = _dead_with(s, "AE")
    line = s.line("AE", lambda r: r["SUBJID"].strip() == subject)
    s.set("AE", line, "AESTDAT", shift(died, 10))
    s.set("AE", line, "AEENDAT", "")
    s.set("AE", line, "AEONGO", "Yes")
    return edit_check(Error("ae.csv", line, "AESTDAT", "MC0104 a date on or before the death on"))


@case("edit check", "a death before randomisation")
def death_before_randomisation(s: Study):
    subject = sorted(s.deaths())[0]
    line = s.line("DEATH", lambda r: r["SUBJID"].strip() == subject)
    s.set("DEATH", line, "DTHDAT", shift(s.randomised()[subject]["RANDDAT"], -10))
    # and every record of the subject after that day, each its own error
    return edit_check(Error("death.csv", line, "DTHDAT", "MC0105 a death on or after randomisation"), exact=False)


@case("edit check", "end of study 'Death' with no death report")
def death_not_reported(s: Study):
    eos = s.line("EOS", lambda r: r["EOSSTAT"].strip().casefold() == "death")
    subject = s.get("EOS", eos, "SUBJID").strip()
    s.drop("DEATH", lambda r: r["SUBJID"].strip() == subject)
    return edit_check(*_death_reasons(s, [s.row("EOS", eos)]))


def _death_reasons(s: Study, records: list[dict]) -> list[Error]:
    """An error for each EOS field that says 'Death' (EOSSTAT, and EOTREAS when treatment stopped for it)."""
    return [Error("eos.csv", r["_line"], field, f"MC0109 a death report in death.csv for a subject whose {field}")
            for r in records for field in ("EOSSTAT", "EOTREAS") if r[field].strip().casefold() == "death"]


@case("edit check", "an empty death form while end of study says 'Death' (OS events lost)")
def empty_death_form(s: Study):
    s.header_only("DEATH")
    return edit_check(*_death_reasons(s, s.records("EOS")))


@case("edit check", "a visit after death")
def visit_after_death(s: Study):
    subject, died = _dead_with(s, "VISIT")
    line = s.line("VISIT", lambda r: r["SUBJID"].strip() == subject and r["VISIT"].strip().casefold() == "baseline")
    s.set("VISIT", line, "VISDAT", shift(died, 30))
    return edit_check(Error("visit.csv", line, "VISDAT", "MC0104 a date on or before the death on"))


@case("edit check", "an adverse event ending before it starts")
def ae_end_before_start(s: Study):
    line = s.line("AE", lambda r: full(r["AESTDAT"]) and full(r["AEENDAT"]), 2)
    s.set("AE", line, "AEENDAT", shift(s.get("AE", line, "AESTDAT"), -5))
    return edit_check(Error("ae.csv", line, "AEENDAT", "SD0013 an end date on or after the start date AESTDAT"))


@case("edit check", "a medication ending before it starts")
def cm_end_before_start(s: Study):
    line = s.line("CM", lambda r: full(r["CMSTDAT"]) and full(r["CMENDAT"]))
    s.set("CM", line, "CMENDAT", shift(s.get("CM", line, "CMSTDAT"), -30))
    return edit_check(Error("cm.csv", line, "CMENDAT", "SD0013 an end date on or after the start date CMSTDAT"))


@case("edit check", "an adverse event in 2099")
def future_date(s: Study):
    alive = s.alive()
    line = s.line("AE", lambda r: r["SUBJID"].strip() in alive and r["AEENDAT"] == "")
    s.set("AE", line, "AESTDAT", "01-JAN-2099")
    return edit_check(Error("ae.csv", line, "AESTDAT", "MC0101 a date on or before today"))


@case("edit check", "a birth in 1800")
def year_1800(s: Study):
    s.set("ENROL", 3, "BRTHDAT", "01-JAN-1800")
    return edit_check(Error("enrol.csv", 3, "BRTHDAT", "MC0102 a year from 1900 on"))


@case("edit check", "a birth after informed consent")
def birth_after_consent(s: Study):
    s.set("ENROL", 4, "BRTHDAT", shift(s.get("ENROL", 4, "CONSDAT"), 365))
    return edit_check(Error("enrol.csv", 4, "BRTHDAT", "MC0103 a birth date before informed consent"))


@case("edit check", "a visit before informed consent")
def visit_before_consent(s: Study):
    enrol = s.subjects("ENROL")
    line = s.line("VISIT", lambda r: r["VISIT"].strip().casefold() == "screening")
    subject = s.get("VISIT", line, "SUBJID").strip()
    s.set("VISIT", line, "VISDAT", shift(enrol[subject]["CONSDAT"], -10))
    return edit_check(Error("visit.csv", line, "VISDAT", "MC0106 a visit on or after informed consent"))


# ---- studies that convert but cannot be analysed (convert runs them; see tests/test_fault_outputs.py)

@case("analysis", "every subject on placebo: one arm, nothing to compare")
def one_arm(s: Study):
    for r in s.records("RAND"):
        s.set("RAND", r["_line"], "RANDTRT", "Placebo")
    return accepted(convert=ANALYSIS)


@case("analysis", "a study of one randomised subject")
def one_subject(s: Study):
    s.keep_subjects({sorted(s.randomised())[0]})
    return accepted(convert=ANALYSIS)


@case("header", "screen failures only: nobody randomised")
def screen_failures_only(s: Study):
    s.keep_subjects(set(s.subjects("ENROL")) - set(s.randomised()))
    return refused(Error("rand.csv", None, None, "at least one randomised subject: the form has its header but no "
                                                 "records"))

