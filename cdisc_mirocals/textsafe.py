"""Text that leaves the package for a browser or a spreadsheet: escaped HTML and neutralised CSV cells.

Dataset values are data, never markup or formulas. A PT, a site name or a free-text reason could hold
'<script>' or '=HYPERLINK(...)'; so every HTML writer escapes text with `html_text`, and every CSV or
XLSX writer passes cells through `csv_cell` (OWASP "CSV injection": a cell starting with = + - @ TAB
or CR is prefixed with a single quote, so a spreadsheet shows it as text). A number stays a number,
negative ones included, whether it is a float or the text of a number.
"""

from __future__ import annotations

import html
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def html_text(value) -> str:
    """Escaped text for HTML element content and attribute values; None and NaN become ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


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
