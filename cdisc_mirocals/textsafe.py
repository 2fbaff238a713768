"""Text that leaves the package for a browser or a spreadsheet: escaped HTML and neutralised CSV cells.

Dataset values are data, never markup or formulas. A PT, a site name or a free-text reason could hold
'<script>' or '=HYPERLINK(...)'; so every HTML writer escapes text with `html_text`, data embedded in a
page travels as `script_json`, and every CSV or XLSX writer passes cells through `csv_cell` (OWASP "CSV
injection": a cell starting with = + - @ TAB or CR is prefixed with a single quote, so a spreadsheet
shows it as text). A number stays a number, negative ones included, whether it is a float or the text
of a number. The analysis outputs and the validation reports use these alone.
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def html_text(value) -> str:
    """Escaped text for HTML element content and attribute values; None and NaN become ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def script_json(data) -> str:
    """JSON safe inside a <script type="application/json"> element: no '<', '>' or '&' that could close
    it or start markup, and no line separators that older JavaScript parsers reject."""
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def csv_cell(value):
    """The value, or, for text a spreadsheet would run as a formula, the text with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name passed through csv_cell; numeric columns untouched."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out
