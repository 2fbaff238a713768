"""Kaplan-Meier per arm (lifelines), with confidence limits on the log-log or the log scale.

`kaplan_meier()` estimates one arm, with its step curve for the figures; `km()` gathers the arms into
one Result: per arm the median with its CI and the survival at the requested times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times
from scipy.stats import norm

from cdisc_mirocals.analysis.result import Result, summary_frame

CI_TRANSFORMS = ("log-log", "log")


@dataclass
class ArmSurvival:
    arm: str
    n: int
    events: int
    median: float | None
    median_ci: tuple[float | None, float | None]
    survival_at: list[dict]  # {"time", "survival", "ci_lower", "ci_upper"}
    ci_transform: str
    curve: pd.DataFrame = field(repr=False)  # time, survival, ci_lower, ci_upper (step function)

    def __str__(self) -> str:
        med = "not reached" if self.median is None else f"{self.median:g}"
        return f"{self.arm}: n={self.n}, events={self.events}, median {med} ({self.ci_transform} 95% CI {self.median_ci})"


def _finite(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _band(kmf: KaplanMeierFitter, transform: str, alpha: float) -> pd.DataFrame:
    """Pointwise limits. log-log: lifelines' exponential Greenwood limits; log: exp(log S +/- z se(log S))."""
    s = kmf.survival_function_.iloc[:, 0]
    if transform == "log-log":
        ci = kmf.confidence_interval_survival_function_
        return pd.DataFrame({"survival": s, "ci_lower": ci.iloc[:, 0], "ci_upper": ci.iloc[:, 1]})
    table = kmf.event_table
    d, n = table["observed"], table["at_risk"]
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = (d / (n * (n - d))).replace([np.inf], np.nan).cumsum()
    z = norm.ppf(1 - alpha / 2)
    se = np.sqrt(greenwood.reindex(s.index).ffill().fillna(0))
    return pd.DataFrame({"survival": s, "ci_lower": np.clip(s * np.exp(-z * se), 0, 1),
                         "ci_upper": np.clip(s * np.exp(z * se), 0, 1)})


def _median_ci(band: pd.DataFrame) -> tuple[float | None, float | None]:
    """The times where the lower and upper limits cross 0.5 (Brookmeyer-Crowley style, as lifelines)."""
    limits = median_survival_times(band[["ci_lower", "ci_upper"]])
    return _finite(limits.iloc[0, 0]), _finite(limits.iloc[0, 1])


def kaplan_meier(frame: pd.DataFrame, arm: str, times, transform: str = "log-log", alpha: float = 0.05) -> ArmSurvival:
    if transform not in CI_TRANSFORMS:
        raise ValueError(f"ci_transform must be one of {CI_TRANSFORMS}")
    data = frame[frame["arm"] == arm]
    kmf = KaplanMeierFitter(alpha=alpha).fit(data["time"], data["event"], label=arm)
    band = _band(kmf, transform, alpha)
    at = []
    for t in times:
        row = band[band.index <= t].iloc[-1]
        beyond = t > data["time"].max()  # undefined past the last follow-up
        at.append({"time": float(t), "survival": None if beyond else float(row["survival"]),
                   "ci_lower": None if beyond else _finite(row["ci_lower"]),
                   "ci_upper": None if beyond else _finite(row["ci_upper"])})
    curve = band.reset_index().rename(columns={band.index.name or "index": "time", "timeline": "time"})
    return ArmSurvival(arm, len(data), int(data["event"].sum()), _finite(kmf.median_survival_time_),
                       _median_ci(band), at, transform, curve)


def at_risk(frame: pd.DataFrame, arms: list[str], times) -> pd.DataFrame:
    """Number at risk at each time: subjects whose time is at least t (event or censoring on or after t)."""
    return pd.DataFrame({t: [int((frame.loc[frame["arm"] == a, "time"] >= t).sum()) for a in arms] for t in times},
                        index=arms)


def km(frame: pd.DataFrame, arms: list[str], times, *, key: str, transform: str = "log-log", alpha: float = 0.05,
       population: str | None = None) -> tuple[Result, list[ArmSurvival]]:
    per_arm = [kaplan_meier(frame, arm, times, transform, alpha) for arm in arms]
    rows = []
    for a in per_arm:
        rows.append({"name": "median", "group": a.arm, "estimate": a.median, "ci_lower": a.median_ci[0],
                     "ci_upper": a.median_ci[1], "n": a.n, "events": a.events})
        rows += [{"name": "survival", "group": a.arm, "time": s["time"], "estimate": s["survival"],
                  "ci_lower": s["ci_lower"], "ci_upper": s["ci_upper"], "n": a.n, "events": a.events}
                 for s in a.survival_at]
    level = f"{100 * (1 - alpha):g}%"
    method = (f"Kaplan-Meier; Greenwood variance, {level} CI on the {transform} scale; median CI where the "
              f"limits cross 0.5 (Brookmeyer-Crowley)")
    result = Result(key, "Kaplan-Meier estimates", method, summary_frame(rows), population, len(frame),
                    int(frame["event"].sum()), {"ci_transform": transform, "confidence_level": 1 - alpha,
                                                "times": [float(t) for t in times]})
    return result, per_arm
