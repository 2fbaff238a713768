"""Restricted mean survival time to tau per arm, and the difference with a normal-theory CI.

The RMST is the area under the Kaplan-Meier curve to tau (lifelines). Its standard error is the
Greenwood-type estimator (Klein and Moeschberger, section 4.5): Var = sum over event times t_j <= tau of
A_j^2 d_j / (n_j (n_j - d_j)), where A_j is the area under the curve from t_j to tau. lifelines'
`return_variance` gives the variance of min(T, tau) itself, not of its estimate, so it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy.stats import norm


@dataclass
class RMST:
    tau: float
    arms: list[dict]  # {"arm", "rmst", "se"}
    difference: float | None  # first non-reference arm minus reference
    ci_lower: float | None
    ci_upper: float | None
    p: float | None

    def __str__(self) -> str:
        per_arm = ", ".join(f"{a['arm']} {a['rmst']:.1f} (SE {a['se']:.1f})" for a in self.arms)
        diff = "" if self.difference is None else \
            f"; difference {self.difference:.1f} ({self.ci_lower:.1f} to {self.ci_upper:.1f}), p = {self.p:.4g}"
        return f"RMST to day {self.tau:g}: {per_arm}{diff}"


def rmst_se(kmf: KaplanMeierFitter, tau: float) -> float:
    s = kmf.survival_function_.iloc[:, 0]
    table = kmf.event_table
    steps = s[s.index <= tau]
    edges = np.append(steps.index.to_numpy(dtype=float), tau)
    pieces = steps.to_numpy() * np.diff(edges)  # area of each step up to tau
    area_after = pd.Series(pieces[::-1].cumsum()[::-1], index=steps.index)  # area from each step to tau
    events = table[(table.index <= tau) & (table["observed"] > 0)]
    d, n = events["observed"], events["at_risk"]
    usable = n > d
    a = area_after.reindex(events.index).to_numpy()
    return float(np.sqrt(np.sum((a ** 2 * d / (n * (n - d)))[usable])))


def rmst(frame: pd.DataFrame, arms: list[str], tau: float, alpha: float = 0.05) -> RMST:
    rows = []
    for arm in arms:
        data = frame[frame["arm"] == arm]
        kmf = KaplanMeierFitter().fit(data["time"], data["event"])
        rows.append({"arm": arm, "rmst": float(restricted_mean_survival_time(kmf, t=tau)), "se": rmst_se(kmf, tau)})
    if len(arms) != 2:
        return RMST(tau, rows, None, None, None, None)
    diff = rows[1]["rmst"] - rows[0]["rmst"]
    se = float(np.hypot(rows[0]["se"], rows[1]["se"]))
    z = norm.ppf(1 - alpha / 2)
    return RMST(tau, rows, diff, diff - z * se, diff + z * se, float(2 * norm.sf(abs(diff / se))))
