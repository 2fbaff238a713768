"""Unique record keys, compared as the conversion compares them.

Two records whose keys differ only by stray spaces or case ('HGB ' and 'hgb'), by zeros in a number
('01' and '1') or by the case of a month ('05-mar-2018') are the same record once mapped, so they are
duplicates here too. Each repeat is reported on its own line, naming the line of the first. The work
is a few vectorised passes over the form (sorting and grouping), so it grows with the records, not
with records times duplicates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.raw.schema import Factors, normalise
from cdisc_mirocals.spec import RawForm


def comparison_form(values: pd.Series, field_type: str) -> pd.Series:
    """The value the mappers see: a date as ISO 8601, a number as a number, text stripped and case-folded;
    a value that is not valid for its type is compared as typed (its own check reports it)."""
    text = normalise(values)
    if field_type in ("date", "partial date"):
        parsed = raw_to_iso(values, partial=field_type == "partial date")
    elif field_type in ("integer", "float"):
        parsed = pd.to_numeric(values.str.strip(), errors="coerce").astype("float64").map(repr, na_action="ignore")
    else:
        return text
    return parsed.astype(object).where(parsed.notna(), "\0" + text)


def _compared_codes(codes: np.ndarray, uniques: pd.Series, field_type: str) -> np.ndarray:
    """One integer per record, equal where the comparison forms are equal: each distinct value is put in
    its comparison form once."""
    same, _ = pd.factorize(comparison_form(uniques, field_type).to_numpy(dtype=object), use_na_sentinel=False)
    return same[codes] if len(uniques) else codes


def duplicate_keys(frame: pd.DataFrame, lines: pd.Series, form: RawForm, factors: Factors | None = None) -> list[Problem]:
    keys = list(form.keys)
    if not keys or frame.empty:
        return []
    types = {f.name: f.type for f in form.fields}
    factors = factors or Factors(frame)
    compared = pd.DataFrame({k: _compared_codes(*factors(k), types[k]) for k in keys})
    repeat = compared.duplicated(keep="first").to_numpy()
    if not repeat.any():
        return []
    groups = compared.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(frame))).groupby(groups).transform("first").to_numpy()
    text = frame[keys].to_numpy(dtype=object)
    line = lines.to_numpy()
    label = ", ".join(keys)
    problems = []
    for row in repeat.nonzero()[0]:
        how = "" if (text[row] == text[first[row]]).all() else " (written differently, with the same meaning)"
        problems.append(Problem(form.file, int(line[row]), label, ", ".join(map(str, text[row])),
                                f"a unique key ({label}); the same key is on line {line[first[row]]}{how}"))
    return problems
