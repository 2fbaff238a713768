"""Output that cannot attack its reader: spreadsheet cells that would run as formulas are neutralised
(OWASP CSV injection), and text bound for HTML is escaped. AETERM, CMTRT and finding messages are
free text from the data, so every spreadsheet and HTML writer passes its values through here."""

from __future__ import annotations

import html
import json

# a cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value safe for a CSV or XLSX cell: text starting like a formula gets a leading apostrophe,
    which spreadsheets show as text; numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def text(value) -> str:
    """Text safe inside HTML elements and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(data) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could close it or start markup."""
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
