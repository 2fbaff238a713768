"""Two proportions: the Wilson score interval of each, the risk difference with the Newcombe hybrid
score interval, and the relative risk with a log-scale interval.

- Wilson (1927): the interval R's prop.test(correct = FALSE) gives.
- Risk difference p1 - p2, Newcombe (1998) method 10: from the Wilson limits (l_i, u_i) of each arm,
  lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2). Unlike the
  Wald interval it stays inside [-1, 1] and is sensible with zero counts, common for adverse events.
- Relative risk p1 / p2, Katz log interval: exp(log RR +/- z sqrt(1/a - 1/n1 + 1/c - 1/n2)); when a
  count is 0 (or equals its n) 0.5 is added to both counts of each arm (Haldane-Anscombe) so that the
  estimate stays finite; with no events in either arm the RR is undefined (None).
"""

from __future__ import annotations

import math

from scipy.stats import norm


def _z(alpha: float) -> float:
    return float(norm.ppf(1 - alpha / 2))


def wilson(x: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    z = _z(alpha)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def risk_difference(x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """(p1 - p2, lower, upper), Newcombe's hybrid score interval."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def relative_risk(x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """(p1 / p2, lower, upper); 0.5 added to each count of both arms when any cell is empty."""
    if n1 == 0 or n2 == 0 or (x1 == 0 and x2 == 0):
        return math.nan, math.nan, math.nan
    if min(x1, n1 - x1, x2, n2 - x2) == 0:
        x1, n1, x2, n2 = x1 + 0.5, n1 + 1, x2 + 0.5, n2 + 1
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = _z(alpha)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)
