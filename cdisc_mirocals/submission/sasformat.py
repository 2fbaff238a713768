"""SAS display formats as text: one parser, one rendering, and one place where readers' renderings meet.

A format is written `<$>NAME<w>.<d>` (DATE9., 8.2, $200.), as define.xml's DisplayFormat and SAS
itself show it. The XPT NAMESTR holds the name, width and decimals in separate fields, and readers
render them differently: pyreadstat up to 1.3.7 leaves out the dot (DATE9, $200; 8.2 keeps it),
1.3.8 and later keep it, and R's haven leaves it out. `normalise_format` turns any of them into
SAS's form, so that the package and its tests compare formats one way whatever version is installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# <$>NAME<w>.<d>: a name may contain digits (E8601DA) but cannot end in one, which is the width.
FORMAT = re.compile(r"(?P<name>\$?(?:[A-Z_](?:[A-Z0-9_]*[A-Z_])?)?)(?P<width>\d*)\.(?P<decimals>\d*)")


@dataclass(frozen=True)
class Format:
    name: str  # '' for w.d, '$' for $w.
    width: int
    decimals: int

    @property
    def is_char(self) -> bool:
        return self.name.startswith("$")

    def __str__(self) -> str:
        return f"{self.name}{self.width or ''}.{self.decimals or ''}"


def parse_format(text: str) -> Format:
    """'DATE9.' -> Format('DATE', 9, 0); a ValueError says what is wrong with a bad one."""
    m = FORMAT.fullmatch(text)
    if not m:
        raise ValueError("expected a SAS format <$>NAME<w>.<d> in upper case, e.g. DATE9., 8.2 or $200.")
    name, width, decimals = m["name"], int(m["width"] or 0), int(m["decimals"] or 0)
    if len(name) > 8:
        raise ValueError(f"format name {name} is longer than the 8 characters of XPT v5")
    if not name.strip("$") and not width:
        raise ValueError("a format without a name needs a width")
    if width > 32767:
        raise ValueError(f"format width {width} is more than 32767")
    if m["decimals"] and decimals >= max(width, 1):
        raise ValueError(f"{decimals} decimals do not fit in width {width}")
    return Format(name, width, decimals)


def normalise_format(text: str | None) -> str:
    """A reader's rendering of a format in SAS's form: 'DATE9' and 'DATE9.' give 'DATE9.', '8.2' stays,
    '' and None give ''."""
    text = (text or "").strip()
    return text if not text or "." in text else text + "."
