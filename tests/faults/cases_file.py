"""Faults in the file itself: missing, empty, binary, encodings, line endings, truncation, quoting,
delimiters and headers."""

from __future__ import annotations

from faults.study import BUNDLE, SAME, Error, Study, accepted, collector, iso_date, refused

CASES, case = collector()


@case("file", "a required form is missing")
def missing_form(s: Study):
    s.path("VS").unlink()
    return refused(Error("vs.csv", None, None, "form is missing: expected a file named vs.csv"))


@case("file", "a form of 0 bytes")
def empty_file(s: Study):
    s.write_bytes("DEATH", b"")
    return refused(Error("death.csv", None, None, "the file is empty: expected a header row"))


@case("file", "a form holding only blank lines")
def blank_file(s: Study):
    s.write_bytes("TREG", b"\n \n\r\n")
    return refused(Error("treg.csv", None, None, "the file is empty"))


@case("file", "an Excel workbook saved under the form's name")
def binary_workbook(s: Study):
    s.write_bytes("RAND", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml")
    return refused(Error("rand.csv", None, None, "not a CSV file: it contains binary data"))


@case("file", "UTF-16 text with its byte-order mark (Excel's 'Unicode text')")
def utf16_with_bom(s: Study):
    s.write_text("AE", s.read_text("AE"), "utf-16")
    return refused(Error("ae.csv", None, None, "UTF-8 text, found UTF-16"))


@case("file", "UTF-16 text without a byte-order mark")
def utf16_without_bom(s: Study):
    s.write_text("AE", s.read_text("AE"), "utf-16-le")
    return refused(Error("ae.csv", None, None, "binary data (NUL bytes; UTF-16 text"))


@case("file", "Latin-1 text: an accented verbatim term")
def latin1_file(s: Study):
    line = s.line("AE", nth=3)
    s.set("AE", line, "AETERM", "Céphalée")
    s.write_text("AE", s.read_text("AE"), "latin-1")
    return refused(Error("ae.csv", line, "AETERM", "byte 0xE9 is not UTF-8. The file looks like Windows-1252 "
                                                   "(or Latin-1) text, in which this value reads 'Céphalée'"))


@case("file", "Windows-1252 text: a curly apostrophe typed in Word")
def windows1252_file(s: Study):
    line = s.line("CM", nth=2)
    s.set("CM", line, "CMINDC", "Patient’s back pain")
    s.write_text("CM", s.read_text("CM"), "cp1252")
    return refused(Error("cm.csv", line, "CMINDC", "byte 0x92 is not UTF-8. The file looks like Windows-1252"))


@case("file", "a UTF-8 byte-order mark (Excel's 'CSV UTF-8')")
def utf8_bom(s: Study):
    s.write_bytes("ENROL", b"\xef\xbb\xbf" + s.read_bytes("ENROL"))
    return accepted(convert=SAME)


@case("file", "CRLF line endings (Windows)")
def crlf_line_endings(s: Study):
    s.write_bytes("VS", s.read_bytes("VS").replace(b"\n", b"\r\n"))
    return accepted(convert=SAME)


@case("file", "bare CR line endings (classic Mac OS)")
def bare_cr_line_endings(s: Study):
    s.write_bytes("SVC", s.read_bytes("SVC").replace(b"\n", b"\r"))
    return accepted(convert=SAME)


@case("file", "bare CR line endings, and a bad value: its line is counted by CRs")
def bare_cr_line_numbers(s: Study):
    line = s.line("SVC", nth=4)
    s.set("SVC", line, "REDAT", "31-FEB-2019")
    s.write_bytes("SVC", s.read_bytes("SVC").replace(b"\n", b"\r"))
    return refused(Error("svc.csv", line, "REDAT", "a date that exists: the month has no such day"))


@case("file", "mixed LF and CRLF line endings (a file edited on two systems)")
def mixed_line_endings(s: Study):
    lines = s.read_bytes("LAB").split(b"\n")
    s.write_bytes("LAB", b"\n".join(line + b"\r" if i % 2 and line else line for i, line in enumerate(lines)))
    return accepted(convert=SAME)


@case("file", "no line ending after the last record (valid CSV: RFC 4180)")
def no_final_newline(s: Study):
    s.write_bytes("MH", s.read_bytes("MH").rstrip(b"\n"))
    last = s.records("MH")[-1]
    return accepted(typed=(("MH", last["_line"], "MHSPID", int(last["MHSPID"])),), convert=SAME)


@case("file", "cut in the middle of the last record, within a field")
def truncated_mid_row(s: Study):
    lines = s.read_bytes("LAB").split(b"\n")
    keep = len(lines) // 2
    cut = lines[keep].split(b",")
    s.write_bytes("LAB", b"\n".join(lines[:keep] + [b",".join(cut[:4]) + b"," + cut[4][:1]]))
    n = len(s.table("LAB")[0])
    return refused(Error("lab.csv", keep + 1, None, f"{n} fields as in the header, found 5: the row is truncated"))


@case("file", "the last record lost its last fields")
def short_last_row(s: Study):
    n = len(s.records("EOS"))
    text = s.read_text("EOS").rstrip("\n").rsplit("\n", 1)
    s.write_text("EOS", text[0] + "\n" + ",".join(text[1].split(",")[:4]) + "\n")
    return refused(Error("eos.csv", n + 1, None, f"{len(s.table('EOS')[0])} fields as in the header, found 4"))


@case("file", "cut inside a quoted verbatim term")
def truncated_in_quotes(s: Study):
    line = s.line("AE", lambda r: True, nth=len(s.records("AE")) - 1)
    s.set("AE", line, "AETERM", "Headache, frontal")
    text = s.read_text("AE")
    s.write_text("AE", text[:text.rindex('"Headache, ') + len('"Headache, ')])
    return refused(Error("ae.csv", line, None, f"the file ends inside a quoted field opened on line {line}"))


@case("file", "an opening quote never closed, in the middle of the file")
def unbalanced_quote(s: Study):
    assert '"' not in s.read_text("VISIT")  # no later quote closes it
    line = s.line("VISIT", nth=5)
    text = s.read_text("VISIT").split("\n")
    text[line - 1] = text[line - 1].replace(",", ',"', 1)
    s.write_text("VISIT", "\n".join(text))
    return refused(Error("visit.csv", line, None, f"ends inside a quoted field opened on line {line}"))


@case("file", "text after a closing quote")
def text_after_quote(s: Study):
    line = s.line("CM", nth=6)
    text = s.read_text("CM").split("\n")
    cells = text[line - 1].split(",")
    cells[2] = f'"{cells[2]}" 500mg'
    text[line - 1] = ",".join(cells)
    s.write_text("CM", "\n".join(text))
    return refused(Error("cm.csv", line, None, 'well-formed CSV quoting'))


@case("file", "one row with an extra field")
def ragged_row(s: Study):
    line = s.line("INJ", nth=10)
    text = s.read_text("INJ").split("\n")
    text[line - 1] += ",extra"
    s.write_text("INJ", "\n".join(text))
    n = len(s.table("INJ")[0])
    return refused(Error("inj.csv", line, None, f"{n} fields as in the header, found {n + 1}"))


@case("file", "25 malformed rows: the first 20 are listed, then a count")
def many_ragged_rows(s: Study):
    text = s.read_text("INJ").split("\n")
    for i in range(1, 26):
        text[i] += ","
    s.write_text("INJ", "\n".join(text))
    n = len(s.table("INJ")[0])
    return refused(*(Error("inj.csv", i + 1, None, f"found {n + 1}") for i in range(1, 21)),
                   Error("inj.csv", None, None, "5 more malformed rows"))


@case("file", "a decimal comma, unquoted (a European export)")
def decimal_comma_unquoted(s: Study):
    line = s.line("SVC", lambda r: r["SVCL"] != "")
    text = s.read_text("SVC").split("\n")
    text[line - 1] = text[line - 1].replace(s.get("SVC", line, "SVCL"), s.get("SVC", line, "SVCL").replace(".", ","))
    s.write_text("SVC", "\n".join(text))
    n = len(s.table("SVC")[0])
    return refused(Error("svc.csv", line, None, f"{n} fields as in the header, found {n + 1}"))


@case("file", "blank lines between records")
def blank_lines(s: Study):
    third = s.records("TREG")[2]
    text = s.read_text("TREG").split("\n")
    s.write_text("TREG", "\n".join(text[:3] + ["", "   "] + text[3:]))
    return accepted(typed=(("TREG", 6, "TRGDAT", iso_date(third["TRGDAT"])),), convert=SAME)


def _empty_row(s: Study, form: str):
    text = s.read_text(form).split("\n")
    s.write_text(form, "\n".join(text[:3] + ["," * (len(s.table(form)[0]) - 1)] + text[3:]))
    return refused(*(Error(s.file(form), 4, f.name, "a value is required") for f in s.spec.raw[form].fields
                     if f.required))


@case("file", "a row of empty fields (,,,) in a file with no quotes: a record, its required values missing")
def empty_fields_row(s: Study):
    return _empty_row(s, "CSF")


@case("file", "a row of empty fields (,,,) in a file with quoted values: the same")
def empty_fields_row_quoted(s: Study):
    assert '"' in s.read_text("AE")
    return _empty_row(s, "AE")


@case("file", "blank lines, then a bad value: its line is the file's")
def blank_lines_line_numbers(s: Study):
    line = s.line("TREG", nth=5)
    s.set("TREG", line, "TREGPCT", "101")
    text = s.read_text("TREG").split("\n")
    s.write_text("TREG", "\n".join(text[:3] + ["", ""] + text[3:]))
    return refused(Error("treg.csv", line + 2, "TREGPCT", "a value of at most 100"))


@case("file", "a quoted comma in one record, and a bad value below it")
def quoted_comma_line_numbers(s: Study):
    s.set("AE", 2, "AETERM", "Headache, frontal")
    line = s.line("AE", nth=5)
    s.set("AE", line, "AESTDAT", "31-FEB-2019")
    return refused(Error("ae.csv", line, "AESTDAT", "'31-FEB-2019'"))


@case("file", "a quoted line break in one record, and a bad value below it")
def quoted_newline_line_numbers(s: Study):
    before = s.line("AE", nth=5)
    s.set("AE", 2, "AETERM", "Headache\nfrontal")
    line = s.line("AE", nth=5)
    assert line == before + 1
    s.set("AE", line, "AESTDAT", "31-FEB-2019")
    return refused(Error("ae.csv", line, "AESTDAT", "'31-FEB-2019'"))


@case("header", "fields separated by semicolons (Excel in a French locale)")
def semicolon_delimiter(s: Study):
    s.write_text("VS", s.read_text("VS").replace(",", ";"))
    return refused(Error("vs.csv", 1, None, "this file separates them with semicolons"))


@case("header", "fields separated by tabs")
def tab_delimiter(s: Study):
    s.write_text("VS", s.read_text("VS").replace(",", "\t"))
    return refused(Error("vs.csv", 1, None, "this file separates them with tabs"))


@case("header", "a renamed column")
def renamed_column(s: Study):
    s.write_text("SVC", s.read_text("SVC").replace("SVCPP", "SVC_PP", 1))
    return refused(Error("svc.csv", 1, None, "missing SVCPP; unexpected SVC_PP"))


@case("header", "a column missing from every row")
def missing_column(s: Study):
    header, rows = s.table("LAB")
    s.write_table("LAB", header[:-1], [row[:-1] for row in rows])
    return refused(Error("lab.csv", 1, None, f"; missing {header[-1]}"))


@case("header", "an extra column")
def extra_column(s: Study):
    header, rows = s.table("LAB")
    s.write_table("LAB", header + ["COMMENT"], [row + [""] for row in rows])
    return refused(Error("lab.csv", 1, None, "; unexpected COMMENT"))


@case("header", "a column name written twice, so another is missing")
def duplicated_column(s: Study):
    header, rows = s.table("AE")
    first, second = header.index("AETERM") + 1, header.index("AEDECOD") + 1
    header[second - 1] = "AETERM"
    s.write_table("AE", header, rows)
    return refused(Error("ae.csv", 1, "AETERM", f"each column once: AETERM is columns {first} and {second}"),
                   Error("ae.csv", 1, None, "; missing AEDECOD"))


@case("header", "a trailing comma on the header and on every row")
def trailing_comma(s: Study):
    header, rows = s.table("EOS")
    s.write_table("EOS", header + [""], [row + [""] for row in rows])
    return refused(Error("eos.csv", 1, None, f"the header ends with a comma, so column {len(header) + 1} has none"))


@case("header", "a trailing comma on the header only")
def trailing_comma_header_only(s: Study):
    text = s.read_text("EOS").split("\n", 1)
    s.write_text("EOS", text[0] + ",\n" + text[1])
    return refused(Error("eos.csv", 1, None, "remove the trailing comma"))


@case("header", "a column with no name in the middle")
def unnamed_column(s: Study):
    header, rows = s.table("CSF")
    s.write_table("CSF", header[:2] + [""] + header[2:], [row[:2] + [""] + row[2:] for row in rows])
    return refused(Error("csf.csv", 1, None, "column 3 of the header has none"))


@case("header", "column names in lower case")
def lowercase_header(s: Study):
    text = s.read_text("VISIT").split("\n", 1)
    s.write_text("VISIT", text[0].replace("SUBJID", "subjid") + "\n" + text[1])
    return refused(Error("visit.csv", 1, None, "unexpected subjid (names are case-sensitive: SUBJID)"))


@case("header", "spaces around the column names")
def spaced_header(s: Study):
    text = s.read_text("VISIT").split("\n", 1)
    s.write_text("VISIT", ", ".join(text[0].split(",")) + " \n" + text[1])
    return accepted(convert=SAME)


@case("header", "the columns in another order")
def reordered_columns(s: Study):
    header, rows = s.table("CSF")
    order = list(reversed(range(len(header))))
    s.write_table("CSF", [header[i] for i in order], [[row[i] for i in order] for row in rows])
    return accepted(typed=(("CSF", 2, "SUBJID", s.records("CSF")[0]["SUBJID"]),), convert=SAME)


@case("header", "a form with its header and no records (no tracheostomy yet)")
def header_only_form(s: Study):
    s.header_only("TRACH")
    return accepted(convert=BUNDLE)


@case("header", "a study with no subjects: every form header-only")
def zero_subjects(s: Study):
    for form in s.spec.raw:
        s.header_only(form)
    return refused(Error("enrol.csv", None, None, "at least one subject: the form has its header but no records"))
