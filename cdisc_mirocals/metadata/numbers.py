"""Numbers as a submission holds them. Shared by the raw checks, the SDTM mappers and the shaping steps,
so that a raw value is refused at check-raw for exactly what would stop it later.

SAS transport v5 stores numbers as IBM System/370 doubles: a smaller range than IEEE doubles (2**-260
to below 2**252), and no infinity (a NaN is a missing value). ReadStat, which pyreadstat wraps, writes
magnitudes from 2**249 as infinity, so 2**249 is the ceiling here, whichever writer is used. Whole
numbers are exact only up to 2**53 once held as doubles.
A collected number reaches --ORRES as text in its shortest exact form, whose length the spec caps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

XPT_MAX = 2.0 ** 249  # exclusive: about 9.0e74
XPT_MIN = 2.0 ** -260  # the smallest normalised IBM double, about 5.4e-79: anything smaller would be written 0
EXACT_INTEGER = 2 ** 53
XPT_RANGE = f"a number SAS transport (XPT v5) can hold: 0, or from {XPT_MIN:.1e} to below {XPT_MAX:.1e} in size"


def outside_xpt(values: pd.Series) -> pd.Series:
    """True where a present number is infinite or outside the IBM double range (NaN is missing, so False)."""
    x = pd.to_numeric(values, errors="coerce").astype("float64").abs()
    return ((x >= XPT_MAX) | ((x > 0) & (x < XPT_MIN))).fillna(False).astype(bool)


def number_text(values: pd.Series) -> pd.Series:
    """A collected number as text in its shortest exact form (7.0 -> '7', 2.34 -> '2.34')."""
    num = pd.to_numeric(values, errors="coerce").astype("Float64")
    present = num.notna().to_numpy()
    text = np.full(len(num), None, dtype=object)
    # Results repeat: each distinct double (by its bits, so -0.0 stays apart from 0.0) is formatted once.
    bits, where = np.unique(num[present].to_numpy(dtype=float).view(np.int64), return_inverse=True)
    text[present] = np.array([np.format_float_positional(x, trim="-") for x in bits.view(np.float64)],
                             dtype=object)[where]
    return pd.Series(text, index=values.index, dtype="string")


def decimals(values: pd.Series) -> int | None:
    """The most decimals of any present value in its shortest exact form (18.5 -> 1, 18.0 -> 0); None when
    no value is present. It is what define.xml's SignificantDigits must at least say of the data."""
    text = number_text(values).dropna()
    if text.empty:
        return None
    after = text.str.partition(".")[2].str.len()
    return int(after.max())


def round_half_away(values: pd.Series, digits: int) -> pd.Series:
    """Rounded to `digits` decimals, halves away from zero as SAS ROUND does (np.round rounds them to even).
    The fuzz of 1e-9 of a unit in the last place keeps 2.675 (held as 2.67499999...) rounding up, as SAS does."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    scale = 10.0 ** digits
    scaled = x * scale
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5 + 1e-9) / scale
    return rounded.where(x.notna())
