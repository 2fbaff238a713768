"""Log-rank tests: unstratified (lifelines) and stratified by the randomisation strata (statsmodels)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from statsmodels.duration.survfunc import survdiff


@dataclass
class LogRank:
    chisq: float
    df: int
    p: float
    strata: str | None = None

    def __str__(self) -> str:
        by = f" stratified by {self.strata}" if self.strata else ""
        return f"log-rank{by}: chi-square {self.chisq:.4f} on {self.df} df, p = {self.p:.4g}"


def logrank(frame: pd.DataFrame) -> LogRank:
    result = multivariate_logrank_test(frame["time"], frame["arm"], frame["event"])
    return LogRank(float(result.test_statistic), int(result.degrees_of_freedom), float(result.p_value))


def stratified_logrank(frame: pd.DataFrame, strata: str) -> LogRank:
    data = frame.dropna(subset=[strata])
    chisq, p = survdiff(data["time"].to_numpy(), data["event"].to_numpy(), data["arm"].to_numpy(),
                        strata=data[strata].to_numpy())
    return LogRank(float(chisq), int(data["arm"].nunique() - 1), float(p), strata)
