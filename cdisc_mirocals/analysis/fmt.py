"""Numbers as a journal prints them, shared by the tables, the figures and the report."""

from __future__ import annotations

import math


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x, digits: int = 2, na: str = "NE") -> str:
    """Fixed decimals; NE (not estimable) for a missing value. A value that rounds to zero is "0.0", never
    "-0.0": a sign on a printed zero says a direction the number does not have."""
    if missing(x):
        return na
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def pvalue(p, prefix: str = "") -> str:
    """'< 0.001' below 0.001, else three decimals ('0.378'); '' when there is no p."""
    if missing(p):
        return ""
    return f"{prefix}< 0.001" if p < 0.001 else f"{prefix}{'= ' if prefix else ''}{p:.3f}"


def ci(lo, hi, digits: int = 2) -> str:
    return f"({num(lo, digits)}, {num(hi, digits)})"


def estimate_ci(est, lo, hi, digits: int = 2) -> str:
    return f"{num(est, digits)} {ci(lo, hi, digits)}"


def n_pct(n, denominator, digits: int = 1) -> str:
    """'12 (10.9)'; the percentage is left out when the denominator is 0."""
    if missing(n):
        return ""
    return f"{int(n)} ({100 * n / denominator:.{digits}f})" if denominator else f"{int(n)}"
