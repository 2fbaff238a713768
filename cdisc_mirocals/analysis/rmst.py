"""Restricted mean survival time to tau, per arm and as a difference between two arms.

The RMST is the area under the Kaplan-Meier curve to tau (lifelines). Its standard error is the
Greenwood-type estimator (Klein and Moeschberger, section 4.5): Var = sum over event times t_j <= tau of
A_j^2 d_j / (n_j (n_j - d_j)), where A_j is the area under the curve from t_j to tau. lifelines'
`return_variance` gives the variance of min(T, tau) itself, not of its estimate, so it is not used.

The curve is defined only up to the last follow-up of each arm, so tau beyond the shortest of them
is refused (as R's survRM2 does) rather than extrapolated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy.stats import norm

from cdisc_mirocals.analysis.result import Result, summary_frame


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


def tau_problem(frame: pd.DataFrame, arms: list[str], tau: float) -> str | None:
    """Why the RMST to tau cannot be estimated, or None."""
    last = {arm: frame.loc[frame["arm"] == arm, "time"].max() for arm in arms}
    arm, day = min(last.items(), key=lambda kv: kv[1])
    if tau > day:
        return (f"tau = {tau:g} days is beyond the last follow-up of {arm} (day {day:g}): the Kaplan-Meier "
                f"curve is not defined there; choose --tau of at most {day:g}")
    return None


def rmst(frame: pd.DataFrame, arms: list[str], tau: float, *, key: str = "rmst", alpha: float = 0.05,
         population: str | None = None) -> Result:
    title, method = f"Restricted mean survival time to day {tau:g}", (
        f"Area under the Kaplan-Meier curve to tau = {tau:g}; Greenwood-type SE (Klein and Moeschberger 4.5); "
        f"difference with a normal-approximation {100 * (1 - alpha):g}% CI")
    problem = tau_problem(frame, arms, tau)
    if problem:
        return Result.skip(key, title, method, problem, population=population)
    z = norm.ppf(1 - alpha / 2)
    rows, per_arm = [], []
    for arm in arms:
        data = frame[frame["arm"] == arm]
        kmf = KaplanMeierFitter().fit(data["time"], data["event"])
        est, se = float(restricted_mean_survival_time(kmf, t=tau)), rmst_se(kmf, tau)
        per_arm.append((est, se))
        rows.append({"name": "rmst", "group": arm, "time": tau, "estimate": est, "se": se, "ci_lower": est - z * se,
                     "ci_upper": est + z * se, "n": len(data), "events": int(data["event"].sum())})
    for arm, (est, se) in zip(arms[1:], per_arm[1:]):
        diff, dse = est - per_arm[0][0], float(np.hypot(se, per_arm[0][1]))
        test = {"statistic": diff / dse, "p": float(2 * norm.sf(abs(diff / dse)))} if dse > 0 else {}
        rows.append({"name": "difference", "group": f"{arm} - {arms[0]}", "time": tau, "estimate": diff, "se": dse,
                     "ci_lower": diff - z * dse, "ci_upper": diff + z * dse, **test})
    return Result(key, title, method, summary_frame(rows), population, len(frame), int(frame["event"].sum()),
                  {"tau": tau, "confidence_level": 1 - alpha})
