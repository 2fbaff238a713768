"""Log-rank tests: unstratified (lifelines) and stratified by the randomisation strata (statsmodels)."""

from __future__ import annotations

import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from statsmodels.duration.survfunc import survdiff

from cdisc_mirocals.analysis.result import Result, summary_frame


def _result(key: str, chisq: float, df: int, p: float, frame: pd.DataFrame, strata: str | None,
            population: str | None, label: str | None = None) -> Result:
    said = label or strata  # the strata as a reader names them (the variable's label), else the variable
    title = f"Log-rank test stratified by {said}" if strata else "Log-rank test"
    method = "Log-rank test" + (f", strata: {said} (sum of within-stratum scores and variances)" if strata else "")
    n, events = len(frame), int(frame["event"].sum())
    rows = [{"name": "logrank", "statistic": chisq, "df": df, "p": p, "n": n, "events": events}]
    return Result(key, title, method, summary_frame(rows), population, n, events, {"strata": strata})


def logrank(frame: pd.DataFrame, *, key: str = "logrank", population: str | None = None) -> Result:
    test = multivariate_logrank_test(frame["time"], frame["arm"], frame["event"])
    return _result(key, float(test.test_statistic), int(test.degrees_of_freedom), float(test.p_value), frame,
                   None, population)


def stratified_logrank(frame: pd.DataFrame, strata: str, *, key: str = "logrank_stratified",
                       population: str | None = None, label: str | None = None) -> Result:
    data = frame.dropna(subset=[strata])
    chisq, p = survdiff(data["time"].to_numpy(), data["event"].to_numpy(), data["arm"].to_numpy(),
                        strata=data[strata].to_numpy())
    return _result(key, float(chisq), int(data["arm"].nunique() - 1), float(p), data, strata, population, label)
