"""Faults in single values: numbers, dates, coded values, required values, subjects, keys."""

from __future__ import annotations

from faults.study import BUNDLE, Error, Study, accepted, collector, iso_date, refused

CASES, case = collector()


def _result(s: Study, nth: int = 0) -> int:
    return s.line("LAB", lambda r: r["LBORRES"] != "", nth)


def _dose(s: Study, nth: int = 0) -> int:
    return s.line("CM", lambda r: r["CMDOSE"] != "", nth)


# ---- numbers

@case("number", "a lab result of 'inf'")
def float_inf(s: Study):
    line = _result(s)
    s.set("LAB", line, "LBORRES", "inf")
    return refused(Error("lab.csv", line, "LBORRES", "a finite number: SAS transport (XPT v5) has no infinity"))


@case("number", "a dose of 'Infinity'")
def float_infinity(s: Study):
    line = _dose(s)
    s.set("CM", line, "CMDOSE", "Infinity")
    return refused(Error("cm.csv", line, "CMDOSE", "a finite number"))


@case("number", "a lab result of '-inf' (below the minimum too: one message)")
def float_minus_inf(s: Study):
    line = _result(s, 1)
    s.set("LAB", line, "LBORRES", "-inf")
    return refused(Error("lab.csv", line, "LBORRES", "a finite number"))


@case("number", "a number that overflows a double: '1e400'")
def float_overflow(s: Study):
    line = _dose(s, 1)
    s.set("CM", line, "CMDOSE", "1e400")
    return refused(Error("cm.csv", line, "CMDOSE", "a finite number"))


@case("number", "a weight of 'nan'")
def float_nan(s: Study):
    line = s.line("VS", lambda r: r["WEIGHT"] != "")
    s.set("VS", line, "WEIGHT", "nan")
    return refused(Error("vs.csv", line, "WEIGHT", "a number (a missing value is an empty field)"))


@case("number", "a lab result of 'NA'")
def float_na_text(s: Study):
    line = _result(s, 2)
    s.set("LAB", line, "LBORRES", "NA")
    return refused(Error("lab.csv", line, "LBORRES", "a number"))


@case("number", "a lab result of 1e100, which no XPT file holds")
def float_1e100(s: Study):
    line = _result(s, 3)
    s.set("LAB", line, "LBORRES", "1e100")
    return refused(Error("lab.csv", line, "LBORRES", "a number SAS transport (XPT v5) can hold"))


@case("number", "a dose of 1e80, which was written to cm.xpt and read back as infinity")
def float_1e80_dose(s: Study):
    line = _dose(s, 2)
    s.set("CM", line, "CMDOSE", "1e80")
    return refused(Error("cm.csv", line, "CMDOSE", "a number SAS transport (XPT v5) can hold"))


@case("number", "a dose of 1e-100, which an XPT file would hold as 0")
def float_tiny(s: Study):
    line = _dose(s, 3)
    s.set("CM", line, "CMDOSE", "1e-100")
    return refused(Error("cm.csv", line, "CMDOSE", "a number SAS transport (XPT v5) can hold"))


@case("number", "a dose of 1e-400, which even a double reads as 0")
def float_underflow(s: Study):
    line = _dose(s, 5)
    s.set("CM", line, "CMDOSE", "1e-400")
    return refused(Error("cm.csv", line, "CMDOSE", "a number SAS transport (XPT v5) can hold"))


@case("number", "a dose of 1e70: large, but an XPT file holds it")
def float_large_ok(s: Study):
    line = _dose(s, 4)
    s.set("CM", line, "CMDOSE", "1e70")
    return accepted(typed=(("CM", line, "CMDOSE", 1e70),), convert=BUNDLE)


@case("number", "a lab result longer than LBORRES holds as text (12 characters)")
def result_too_long(s: Study):
    line = _result(s, 4)
    s.set("LAB", line, "LBORRES", "1234567.123456")
    return refused(Error("lab.csv", line, "LBORRES", "a number of at most 12 characters as written to LB.LBORRES"))


@case("number", "a lab result of 1e20, 21 digits once written as LBORRES")
def result_1e20(s: Study):
    line = _result(s, 5)
    s.set("LAB", line, "LBORRES", "1e20")
    return refused(Error("lab.csv", line, "LBORRES", "at most 12 characters"))


@case("number", "a lab result of exactly 12 characters")
def result_at_length(s: Study):
    line = _result(s, 6)
    s.set("LAB", line, "LBORRES", "123.45678912")
    return accepted(typed=(("LAB", line, "LBORRES", 123.45678912),), convert=BUNDLE)


@case("number", "a quoted decimal comma")
def decimal_comma_quoted(s: Study):
    line = _result(s, 7)
    s.set("LAB", line, "LBORRES", s.get("LAB", line, "LBORRES") + ",5")
    return refused(Error("lab.csv", line, "LBORRES", "a number"))


@case("number", "an ALSFRS-R item of 2.0 (a whole number is expected)")
def integer_decimal(s: Study):
    line = s.line("ALSFRS", lambda r: r["ALSFRS05"] != "")
    s.set("ALSFRS", line, "ALSFRS05", "2.0")
    return refused(Error("alsfrs.csv", line, "ALSFRS05", "a whole number"))


@case("number", "a cycle written in words")
def integer_text(s: Study):
    line = s.line("INJ", nth=7)
    s.set("INJ", line, "CYCLE", "two")
    return refused(Error("inj.csv", line, "CYCLE", "a whole number"))


@case("number", "an AE number of 20 digits, more than a double holds exactly")
def integer_huge(s: Study):
    line = s.line("AE", nth=2)
    s.set("AE", line, "AESPID", "99999999999999999999")
    return refused(Error("ae.csv", line, "AESPID", "a whole number of at most 9007199254740992"))


@case("number", "an AE number of 1000, longer than AESPID's 3 characters")
def integer_too_long(s: Study):
    line = s.line("AE", nth=3)
    s.set("AE", line, "AESPID", "1000")
    return refused(Error("ae.csv", line, "AESPID", "a number of at most 3 characters as written to AE.AESPID"))


@case("number", "a blood pressure of 1e100")
def integer_exponent(s: Study):
    line = s.line("VS", lambda r: r["SYSBP"] != "")
    s.set("VS", line, "SYSBP", "1e100")
    return refused(Error("vs.csv", line, "SYSBP", "a whole number"))


@case("number", "numbers with a sign or spaces: '+3', ' 3 '")
def integer_sign_and_spaces(s: Study):
    line = s.line("ALSFRS", lambda r: r["ALSFRS05"] != "" and r["ALSFRS06"] != "")
    s.set("ALSFRS", line, "ALSFRS05", "+3")
    s.set("ALSFRS", line, "ALSFRS06", " 3 ")
    return accepted(typed=(("ALSFRS", line, "ALSFRS05", 3), ("ALSFRS", line, "ALSFRS06", 3)), convert=BUNDLE)


@case("number", "a negative lab result")
def below_minimum(s: Study):
    line = _result(s, 8)
    s.set("LAB", line, "LBORRES", "-1")
    return refused(Error("lab.csv", line, "LBORRES", "a value of at least 0"))


@case("number", "an ALSFRS-R item of 7 (0 to 4)")
def above_maximum(s: Study):
    line = s.line("ALSFRS", lambda r: r["ALSFRS05"] != "", 1)
    s.set("ALSFRS", line, "ALSFRS05", "7")
    return refused(Error("alsfrs.csv", line, "ALSFRS05", "a value of at most 4"))


@case("number", "a height of 300 cm")
def height_out_of_range(s: Study):
    line = s.line("VS", lambda r: r["HEIGHT"] != "")
    s.set("VS", line, "HEIGHT", "300")
    return refused(Error("vs.csv", line, "HEIGHT", "a value of at most 220"))


# ---- dates

@case("date", "31 February")
def impossible_date(s: Study):
    line = s.line("AE", nth=4)
    s.set("AE", line, "AESTDAT", "31-FEB-2020")
    return refused(Error("ae.csv", line, "AESTDAT", "a date as DD-MON-YYYY"))


@case("date", "an ISO 8601 date where DD-MON-YYYY is expected")
def iso_instead_of_raw(s: Study):
    line = s.line("VISIT", nth=3)
    s.set("VISIT", line, "VISDAT", iso_date(s.get("VISIT", line, "VISDAT")))
    return refused(Error("visit.csv", line, "VISDAT", "a date as DD-MON-YYYY, e.g. 05-MAR-2018"))


@case("date", "a two-digit year")
def two_digit_year(s: Study):
    line = s.line("VISIT", nth=4)
    s.set("VISIT", line, "VISDAT", s.get("VISIT", line, "VISDAT")[:-4] + s.get("VISIT", line, "VISDAT")[-2:])
    return refused(Error("visit.csv", line, "VISDAT", "a date as DD-MON-YYYY"))


@case("date", "an Excel serial day number")
def excel_serial_date(s: Study):
    line = s.line("VISIT", nth=5)
    s.set("VISIT", line, "VISDAT", "43529")
    return refused(Error("visit.csv", line, "VISDAT", "a date as DD-MON-YYYY"))


@case("date", "a date with a time")
def date_with_time(s: Study):
    line = s.line("LAB", nth=9)
    s.set("LAB", line, "LBDAT", s.get("LAB", line, "LBDAT") + " 10:30")
    return refused(Error("lab.csv", line, "LBDAT", "a date as DD-MON-YYYY"))


@case("date", "a month in lower case")
def lowercase_month(s: Study):
    line = s.line("AE", lambda r: len(r["AESTDAT"]) == 11 and not r["AESTDAT"].startswith("UN"), 5)
    value = s.get("AE", line, "AESTDAT")
    s.set("AE", line, "AESTDAT", value.lower())
    return accepted(typed=(("AE", line, "AESTDAT", iso_date(value)),), convert=BUNDLE)


@case("date", "a partial date where a full one is required")
def partial_in_full_date(s: Study):
    line = s.line("RAND", nth=1)
    s.set("RAND", line, "RANDDAT", "UN" + s.get("RAND", line, "RANDDAT")[2:])
    return refused(Error("rand.csv", line, "RANDDAT", "a date as DD-MON-YYYY, e.g. 05-MAR-2018"))


@case("date", "a date in 2300, beyond the dates the conversion computes with")
def year_2300(s: Study):
    line = s.line("CM", lambda r: r["CMENDAT"] != "")
    s.set("CM", line, "CMENDAT", "01-JAN-2300")
    return refused(Error("cm.csv", line, "CMENDAT", "a year from 1678 to 2261"))


# ---- coded and required values, subjects

@case("code", "a value outside its list")
def value_outside_list(s: Study):
    s.set("ENROL", 2, "SEX", "Unknown")
    return refused(Error("enrol.csv", 2, "SEX", "one of Male | Female"))


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


@case("code", "a BEL character in a coded value")
def control_in_coded_value(s: Study):
    s.set("ENROL", 5, "SEX", s.get("ENROL", 5, "SEX").strip() + "\a")
    return refused(Error("enrol.csv", 5, "SEX", "one of Male | Female"))


@case("code", "a required value left empty")
def required_missing(s: Study):
    s.set("ENROL", 3, "SEX", "")
    return refused(Error("enrol.csv", 3, "SEX", "a value is required"))


@case("code", "a required value of spaces only")
def required_spaces(s: Study):
    s.set("ENROL", 6, "SEX", "   ")
    return refused(Error("enrol.csv", 6, "SEX", "a value is required"))


@case("subject", "an AE of a subject nobody enrolled")
def unknown_subject(s: Study):
    line = s.line("AE", nth=4)
    s.set("AE", line, "SUBJID", "99-9999")
    return refused(Error("ae.csv", line, "SUBJID", "a subject enrolled in enrol.csv"))


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
