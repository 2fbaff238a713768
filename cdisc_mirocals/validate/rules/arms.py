"""The arm codes that mean 'not in an arm', read case-insensitively: CDISC CT terms are matched whatever
their case (the CDISC pilot has ARMCD 'Scrnfail'), so a screen failure is one for every rule that
exempts it (SD0006, SD0071, SD0087, SD0088, SD1121, SD2002, SD2236, AD2001, MC0107)."""

from __future__ import annotations

import pandas as pd

NULL_ARMCD = frozenset({"", "SCRNFAIL", "NOTASSGN"})
NULL_ACTARMCD = NULL_ARMCD | {"NOTTRT", "UNPLAN"}
NOT_ASSIGNED_ARMNRS = frozenset({"SCREEN FAILURE", "NOT ASSIGNED"})


def code_in(values: pd.Series, codes) -> pd.Series:
    """Whether each value is one of `codes` (upper-case terms), ignoring case and surrounding blanks."""
    distinct = pd.Series(values.unique())
    hit = dict(zip(distinct, distinct.astype(str).str.strip().str.upper().isin(set(codes))))
    return values.map(hit).astype(bool)


def randomised(dm: pd.DataFrame) -> pd.Series:
    """P21's randomised subject: ARMCD neither null nor SCRNFAIL nor NOTASSGN, in any case."""
    return ~code_in(dm["ARMCD"], NULL_ARMCD)


def assigned(dm: pd.DataFrame) -> pd.Series:
    """DM subjects assigned to an arm: not screen failures nor unassigned, by ARMNRS (SDTMIG 3.4) or by
    ARMCD (3.2 and older)."""
    out = randomised(dm) if "ARMCD" in dm else pd.Series(True, index=dm.index)
    return out & ~code_in(dm["ARMNRS"], NOT_ASSIGNED_ARMNRS) if "ARMNRS" in dm else out


def treated(dm: pd.DataFrame) -> pd.Series:
    """Assigned, and not 'not treated' (ACTARMCD NOTTRT in 3.2, ARMNRS 'ASSIGNED, NOT TREATED' in 3.4)."""
    out = assigned(dm)
    if "ACTARMCD" in dm:
        out &= ~code_in(dm["ACTARMCD"], {"NOTTRT"})
    if "ARMNRS" in dm:
        out &= ~code_in(dm["ARMNRS"], {"ASSIGNED, NOT TREATED"})
    return out
