"""Escaped HTML and neutralised spreadsheet cells (OWASP CSV injection)."""

import io

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.textsafe import csv_cell, csv_safe, html_text


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+2", "'+1+2"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"),
    ("-5", "-5"), ("-0.25", "-0.25"), ("+3e-4", "+3e-4"), ("Headache", "Headache"), ("", ""), ("a=b", "a=b"),
    (-5.0, -5.0), (-3, -3),
])
def test_csv_cell_neutralises_formulas_and_keeps_numbers(value, expected):
    assert csv_cell(value) == expected


def test_csv_safe_touches_text_cells_and_headers_only():
    frame = pd.DataFrame({"pt": ["=cmd|' /C calc'!A0", "Nausea"], "estimate": [-1.5, 2.0], "=bad": ["x", "-"]})
    out = csv_safe(frame)
    assert out["pt"].tolist() == ["'=cmd|' /C calc'!A0", "Nausea"]
    assert out["estimate"].tolist() == [-1.5, 2.0] and out["estimate"].dtype == float
    assert list(out.columns) == ["pt", "estimate", "'=bad"] and out["'=bad"].tolist() == ["x", "'-"]
    assert frame["pt"][0].startswith("=")  # the input is not changed
    text = io.StringIO()
    out.to_csv(text, index=False)
    assert pd.read_csv(io.StringIO(text.getvalue()))["estimate"].tolist() == [-1.5, 2.0]


@pytest.mark.parametrize("value,expected", [
    ("<script>alert('x')</script>", "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
    ('a "b" & c', "a &quot;b&quot; &amp; c"), (None, ""), (np.nan, ""), (3.5, "3.5"),
])
def test_html_text_escapes_markup(value, expected):
    assert html_text(value) == expected
