"""Text that SAS transport v5 can hold: printable ASCII. The policy for anything else is applied once,
to the raw values, so every later stage sees the same text.

Without `--transliterate` a non-ASCII character is refused; with it, each is replaced by the fixed
mapping below, then by its base letter (Unicode NFKD without the accents), and every change is
logged. A character with no ASCII form (a CJK character, an emoji) is refused either way: guessing
would change the data.

Control characters: a line break inside a quoted value and a TAB are layout, not data, so each becomes
one space, and the change is logged. Any other control character (BEL, the ESC of an ANSI colour code,
a C1 control) has no safe replacement and is refused.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

# Replacements NFKD does not give (punctuation, ligatures, letters that are not accented forms).
TRANSLITERATION = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2026": "...", "\u2022": "*", "\u00b7": ".", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u00d7": "x", "\u00f7": "/", "\u00b0": " deg", "\u00b5": "u", "\u03bc": "u", "\u00b1": "+/-",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O",
    "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D", "\u00f0": "d", "\u00d0": "D", "\u00fe": "th",
    "\u00de": "TH", "\u0131": "i", "\u00a9": "(c)", "\u00ae": "(R)", "\u2122": "(TM)", "\u20ac": "EUR",
    "\u00a3": "GBP", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2192": "->",
}


LAYOUT = re.compile(r"\r\n|[\r\n\t]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C0 = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC "
       "FS GS RS US").split()


def has_layout(values: pd.Series) -> pd.Series:
    """True where a value holds a line break or a TAB."""
    return values.astype("string").str.contains(LAYOUT).fillna(False).astype(bool)


def unlayout(value: str) -> str:
    """Each line break (CRLF counts as one) and TAB as one space."""
    return LAYOUT.sub(" ", value)


def has_control(values: pd.Series) -> pd.Series:
    """True where a value holds a control character other than a line break or a TAB."""
    return values.astype("string").str.contains(CONTROL).fillna(False).astype(bool)


def describe_controls(value: str) -> str:
    """The control characters of a value, named, for messages: U+0007 (BEL)."""
    chars = dict.fromkeys(CONTROL.findall(value))
    return ", ".join(f"U+{ord(c):04X} ({_C0[ord(c)] if ord(c) < 32 else 'DEL' if ord(c) == 127 else 'C1 control'})"
                     for c in chars)


@lru_cache(maxsize=4096)
def transliterate_char(char: str) -> str | None:
    """The ASCII form of one character, or None when it has none."""
    if char.isascii():
        return char
    if char in TRANSLITERATION:
        return TRANSLITERATION[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else None


def transliterate(value: str) -> tuple[str, str]:
    """(ASCII text, characters that have no ASCII form)."""
    out, unmapped = [], []
    for char in value:
        ascii_ = transliterate_char(char)
        if ascii_ is None:
            unmapped.append(char)
        else:
            out.append(ascii_)
    return "".join(out), "".join(dict.fromkeys(unmapped))


def non_ascii(values: pd.Series) -> pd.Series:
    """True where a value holds a character outside ASCII (one pass over all values when none does)."""
    text = values.astype("string").fillna("")
    if "".join(text.tolist()).isascii():
        return pd.Series(False, index=values.index)
    return ~text.map(str.isascii).astype(bool)


def describe(value: str) -> str:
    """The non-ASCII characters of a value, named, for messages: 'é' (U+00E9)."""
    chars = dict.fromkeys(c for c in value if not c.isascii())
    return ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)


def strip(values: pd.Series) -> pd.Series:
    """`values.astype("string").str.strip()`, without pandas' per-element Python call for each value:
    key columns are stripped millions of times in a large study."""
    text = values.to_numpy(dtype=object)
    present = ~pd.isna(text)
    out = np.full(len(text), pd.NA, dtype=object)
    if pd.api.types.infer_dtype(text[present], skipna=False) in ("string", "empty"):
        out[present] = list(map(str.strip, text[present]))
        return pd.Series(out, index=values.index, dtype="string")
    return values.astype("string").str.strip()
