"""Text longer than 200 characters in parts, as SDTMIG 3.4 section 4.5.3.2 asks (COM.SUPP.TEXT): the
parent variable keeps the first part, each further part is a SUPP-- record with QNAM VAR1, VAR2...

Here below both the SDTM mapper (sdtm/longtext.py) that makes the parts and the raw check that refuses
a value needing more parts than the spec names QNAMs for, so that the two count parts the same way.
"""

from __future__ import annotations

from cdisc_mirocals.metadata.steps import XPT_MAX_BYTES


def split_words(text: str, limit: int = XPT_MAX_BYTES) -> list[str]:
    """Parts of at most `limit` characters, split at the last space that fits (the space is not kept);
    a word longer than `limit` is split inside it."""
    parts = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            parts.append(text[:limit])
            text = text[limit:]
        else:
            parts.append(text[:cut])
            text = text[cut + 1:]
    parts.append(text)
    return parts


def qnam_for(variable: str, part: int) -> str:
    """AETERM, 1 -> AETERM1; an 8-character name gives up its last character (QNAM is at most 8)."""
    suffix = str(part)
    return variable[: 8 - len(suffix)] + suffix


def max_parts(sdtm, dataset: str, variable: str) -> int:
    """How many parts a value of dataset.variable may have: 1, plus one per QNAM the SUPP-- dataset's
    codelist names for it (`sdtm` is the Spec's SDTM Standard)."""
    supp = f"SUPP{dataset}"
    if supp not in sdtm.datasets or "QNAM" not in sdtm[supp].names:
        return 1
    codelist = sdtm.codelists.get(sdtm[supp].variable("QNAM").codelist)
    n = 1
    while codelist is not None and qnam_for(variable, n) in codelist.values:
        n += 1
    return n
