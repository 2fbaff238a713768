"""Faults in single values: numbers, dates, coded values, required values, subjects, keys."""

from __future__ import annotations

from faults.study import BUNDLE, Error, Study, accepted, collector, iso_date, one_value, refused

CASES, case = collector()

# One value each, refused at its record and field: (case, group, summary, form, field, the value written
# or a function of the value replaced, what check-raw says, which record holding a value there).
REFUSED = [
    ("float_inf", "number", "a lab result of 'inf'", "LAB", "LBORRES", "inf",
     "a finite number: SAS transport (XPT v5) has no infinity", 0),
    ("float_infinity", "number", "a dose of 'Infinity'", "CM", "CMDOSE", "Infinity", "a finite number", 0),
    ("float_minus_inf", "number", "a lab result of '-inf' (below the minimum too: one message)", "LAB", "LBORRES",
     "-inf", "a finite number", 1),
    ("float_overflow", "number", "a number that overflows a double: '1e400'", "CM", "CMDOSE", "1e400",
     "a finite number", 1),
    ("float_nan", "number", "a weight of 'nan'", "VS", "WEIGHT", "nan", "a number (a missing value is an empty field)",
     0),
    ("float_na_text", "number", "a lab result of 'NA'", "LAB", "LBORRES", "NA", "a number", 2),
    ("float_1e100", "number", "a lab result of 1e100, which no XPT file holds", "LAB", "LBORRES", "1e100",
     "a number SAS transport (XPT v5) can hold", 3),
    ("float_1e80_dose", "number", "a dose of 1e80, which was written to cm.xpt and read back as infinity", "CM",
     "CMDOSE", "1e80", "a number SAS transport (XPT v5) can hold", 2),
    ("float_tiny", "number", "a dose of 1e-100, which an XPT file would hold as 0", "CM", "CMDOSE", "1e-100",
     "a number SAS transport (XPT v5) can hold", 3),
    ("float_underflow", "number", "a dose of 1e-400, which even a double reads as 0", "CM", "CMDOSE", "1e-400",
     "a number SAS transport (XPT v5) can hold", 5),
    ("result_too_long", "number", "a lab result longer than LBORRES holds as text (12 characters)", "LAB", "LBORRES",
     "1234567.123456", "a number of at most 12 characters as written to LB.LBORRES", 4),
    ("result_1e20", "number", "a lab result of 1e20, 21 digits once written as LBORRES", "LAB", "LBORRES", "1e20",
     "at most 12 characters", 5),
    ("decimal_comma_quoted", "number", "a quoted decimal comma", "LAB", "LBORRES", lambda v: v + ",5", "a number", 7),
    ("integer_decimal", "number", "an ALSFRS-R item of 2.0 (a whole number is expected)", "ALSFRS", "ALSFRS05", "2.0",
     "a whole number", 0),
    ("integer_text", "number", "a cycle written in words", "INJ", "CYCLE", "two", "a whole number", 7),
    ("integer_huge", "number", "an AE number of 20 digits, more than a double holds exactly", "AE", "AESPID",
     "99999999999999999999", "a whole number of at most 9007199254740992", 2),
    ("integer_too_long", "number", "an AE number of 1000, longer than AESPID's 3 characters", "AE", "AESPID", "1000",
     "a number of at most 3 characters as written to AE.AESPID", 3),
    ("integer_exponent", "number", "a blood pressure of 1e100", "VS", "SYSBP", "1e100", "a whole number", 0),
    ("below_minimum", "number", "a negative lab result", "LAB", "LBORRES", "-1", "a value of at least 0", 8),
    ("above_maximum", "number", "an ALSFRS-R item of 7 (0 to 4)", "ALSFRS", "ALSFRS05", "7", "a value of at most 4", 1),
    ("height_out_of_range", "number", "a height of 300 cm", "VS", "HEIGHT", "300", "a value of at most 220", 0),
    ("impossible_date", "date", "31 February", "AE", "AESTDAT", "31-FEB-2020",
     "a date that exists: the month has no such day", 4),
    ("iso_instead_of_raw", "date", "an ISO 8601 date where DD-MON-YYYY is expected", "VISIT", "VISDAT", iso_date,
     "a date as DD-MON-YYYY, e.g. 05-MAR-2018", 3),
    ("two_digit_year", "date", "a two-digit year", "VISIT", "VISDAT", lambda v: v[:-4] + v[-2:],
     "a date as DD-MON-YYYY", 4),
    ("excel_serial_date", "date", "an Excel serial day number", "VISIT", "VISDAT", "43529", "a date as DD-MON-YYYY", 5),
    ("date_with_time", "date", "a date with a time", "LAB", "LBDAT", lambda v: v + " 10:30", "a date as DD-MON-YYYY",
     9),
    ("partial_in_full_date", "date", "a partial date where a full one is required", "RAND", "RANDDAT",
     lambda v: "UN" + v[2:], "a date as DD-MON-YYYY, e.g. 05-MAR-2018", 1),
    ("year_2300", "date", "a date in 2300, beyond the dates the conversion computes with", "CM", "CMENDAT",
     "01-JAN-2300", "a year from 1678 to 2261", 0),
    ("value_outside_list", "code", "a value outside its list", "ENROL", "SEX", "Unknown", "one of Male | Female", 0),
    ("control_in_coded_value", "code", "a BEL character in a coded value", "ENROL", "SEX",
     lambda v: v.strip() + "\a", "one of Male | Female", 3),
    ("required_missing", "code", "a required value left empty", "ENROL", "SEX", "", "a value is required", 1),
    ("required_spaces", "code", "a required value of spaces only", "ENROL", "SEX", "   ", "a value is required", 4),
    ("unknown_subject", "subject", "an AE of a subject nobody enrolled", "AE", "SUBJID", "99-9999",
     "a subject enrolled in enrol.csv", 4),
]
for row in REFUSED:
    one_value(case, *row)


def _result(s: Study, nth: int = 0) -> int:
    return s.line("LAB", lambda r: r["LBORRES"] != "", nth)


def _dose(s: Study, nth: int = 0) -> int:
    return s.line("CM", lambda r: r["CMDOSE"] != "", nth)


@case("number", "a dose of 1e70: large, but an XPT file holds it")
def float_large_ok(s: Study):
    line = _dose(s, 4)
    s.set("CM", line, "CMDOSE", "1e70")
    return accepted(typed=(("CM", line, "CMDOSE", 1e70),), convert=BUNDLE)


@case("number", "a lab result of exactly 12 characters")
def result_at_length(s: Study):
    line = _result(s, 6)
    s.set("LAB", line, "LBORRES", "123.45678912")
    return accepted(typed=(("LAB", line, "LBORRES", 123.45678912),), convert=BUNDLE)


@case("number", "numbers with a sign or spaces: '+3', ' 3 '")
def integer_sign_and_spaces(s: Study):
    line = s.line("ALSFRS", lambda r: r["ALSFRS05"] != "" and r["ALSFRS06"] != "")
    s.set("ALSFRS", line, "ALSFRS05", "+3")
    s.set("ALSFRS", line, "ALSFRS06", " 3 ")
    return accepted(typed=(("ALSFRS", line, "ALSFRS05", 3), ("ALSFRS", line, "ALSFRS06", 3)), convert=BUNDLE)


@case("date", "a month in lower case")
def lowercase_month(s: Study):
    line = s.line("AE", lambda r: len(r["AESTDAT"]) == 11 and not r["AESTDAT"].startswith("UN"), 5)
    value = s.get("AE", line, "AESTDAT")
    s.set("AE", line, "AESTDAT", value.lower())
    return accepted(typed=(("AE", line, "AESTDAT", iso_date(value)),), convert=BUNDLE)


@case("code", "a coded value in odd case")
def coded_value_case(s: Study):
    value = s.get("ENROL", 3, "SEX").strip().swapcase()
    s.set("ENROL", 3, "SEX", value)
    return accepted(typed=(("ENROL", 3, "SEX", value),), convert=BUNDLE)


@case("code", "a coded value with spaces around it")
def coded_value_spaces(s: Study):
    value = "  " + s.get("ENROL", 4, "SEX").strip() + " "
    s.set("ENROL", 4, "SEX", value)
    return accepted(typed=(("ENROL", 4, "SEX", value),), convert=BUNDLE)


@case("subject", "an injection of a screen failure (never randomised)")
def not_randomised_subject(s: Study):
    failure = next(iter(set(s.subjects("ENROL")) - set(s.randomised())))
    line = s.append_copy("INJ", 2, SUBJID=failure)
    return refused(Error("inj.csv", line, "SUBJID", "a subject enrolled in rand.csv"))


@case("subject", "a subject identifier with spaces around it in a child form")
def subject_with_spaces(s: Study):
    line = s.line("CM", nth=3)
    s.set("CM", line, "SUBJID", f" {s.get('CM', line, 'SUBJID')} ")
    return accepted(convert=BUNDLE)


# ---- unique keys

@case("key", "a record exported twice")
def duplicate_record(s: Study):
    line = s.line("CM", nth=1)
    copy = s.append_copy("CM", line)
    return refused(Error("cm.csv", copy, "SUBJID, CMSPID", f"the same key is on line {line}"))


@case("key", "a lab key repeated with a trailing space in the test code")
def duplicate_key_trailing_space(s: Study):
    line = _result(s, 10)
    copy = s.append_copy("LAB", line, LBTESTCD=s.get("LAB", line, "LBTESTCD") + " ")
    return refused(Error("lab.csv", copy, "SUBJID, VISIT, LBDAT, LBTESTCD",
                         f"the same key is on line {line} (written differently, with the same meaning)"))


@case("key", "a lab key repeated in another case")
def duplicate_key_case(s: Study):
    line = _result(s, 11)
    copy = s.append_copy("LAB", line, LBTESTCD=s.get("LAB", line, "LBTESTCD").strip().lower(),
                         LBORRES="1")
    return refused(Error("lab.csv", copy, "SUBJID, VISIT, LBDAT, LBTESTCD", f"the same key is on line {line}"))


@case("key", "a subject enrolled twice, once with a trailing space")
def duplicate_subject(s: Study):
    copy = s.append_copy("ENROL", 3, SUBJID=s.get("ENROL", 3, "SUBJID") + " ")
    return refused(Error("enrol.csv", copy, "SUBJID", "the same key is on line 3"))


@case("key", "a medication line number written 01 and 1")
def duplicate_key_leading_zero(s: Study):
    line = s.line("CM", nth=2)
    copy = s.append_copy("CM", line, CMSPID="0" + s.get("CM", line, "CMSPID"))
    return refused(Error("cm.csv", copy, "SUBJID, CMSPID", f"the same key is on line {line}"))


@case("key", "a visit date written in another case")
def duplicate_key_date_case(s: Study):
    line = s.line("VISIT", nth=6)
    copy = s.append_copy("VISIT", line, VISDAT=s.get("VISIT", line, "VISDAT").lower())
    return refused(Error("visit.csv", copy, "SUBJID, VISIT, VISDAT", f"the same key is on line {line}"))


@case("key", "30 lab records exported twice: each repeat named")
def many_duplicates(s: Study):
    lines = [_result(s, 20 + i) for i in range(30)]
    header, rows = s.table("LAB")
    first = len(rows) + 2
    s.write_table("LAB", header, rows + [rows[s._index("LAB", line)] for line in lines])
    return refused(*(Error("lab.csv", first + i, "SUBJID, VISIT, LBDAT, LBTESTCD", f"the same key is on line {line}")
                     for i, line in enumerate(lines)))
