"""CAFS, the Combined Assessment of Function and Survival (Berry et al., Amyotroph Lateral Scler
Frontotemporal Degener 2013;14:162-8): every patient is compared with every other, first on survival,
then, where survival cannot tell them apart, on the change in ALSFRS-R; each patient's score is the
number of comparisons won minus the number lost, and the scores are compared between arms with the
Wilcoxon rank-sum test.

Pairwise rule, within the analysis window (docs/analyses.md):
  - both died: the later death wins (same day: tie);
  - one died at t: the other wins if known alive on day t or later (their follow-up reaches t);
    otherwise survival cannot tell them apart;
  - otherwise (neither died, or survival cannot tell): the larger change from baseline in the
    function score wins (equal to 1e-9, as prorated totals are fractions: tie); a tie when either
    change is missing.
The test is R's wilcox.test(score ~ arm, exact = FALSE, correct = TRUE): normal approximation with the
tie correction and a continuity correction; W is the Mann-Whitney statistic of the reference arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def cafs_scores(time: np.ndarray, died: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Each subject's wins minus losses against all the others (time: day of death or of the end of
    follow-up in the window; died: 1/0; change: the function change, NaN if unknown)."""
    t, d, c = (np.asarray(a, float) for a in (time, died, change))
    ti, tj = t[:, None], t[None, :]
    di, dj = d[:, None] == 1, d[None, :] == 1
    ci, cj = c[:, None], c[None, :]
    # survival decides where both died, or one died while the other was still followed: +1 for i
    both, i_lost, j_lost = di & dj, di & ~dj & (tj >= ti), ~di & dj & (ti >= tj)
    survival = np.select([both, i_lost, j_lost], [np.sign(ti - tj), -1.0, 1.0], 0.0)
    decided = both | i_lost | j_lost
    # a prorated ALSFRS-R total is a fraction: changes equal but for rounding error (1e-9) are a tie
    function = np.where(np.isnan(ci) | np.isnan(cj), 0.0, np.sign(np.round(ci - cj, 9)))
    outcome = np.where(decided, survival, function)
    np.fill_diagonal(outcome, 0.0)
    return outcome.sum(axis=1)


@dataclass
class CAFSTest:
    scores: np.ndarray
    w: float  # Mann-Whitney statistic of the reference arm (R's W)
    p: float
    mean_by_arm: dict[str, float]
    n_by_arm: dict[str, int]


def cafs_test(frame: pd.DataFrame, arms: list[str]) -> CAFSTest:
    """frame: one row per subject with arm, time, died and change; arms[0] is the reference."""
    scores = cafs_scores(frame["time"], frame["died"], frame["change"])
    by_arm = [scores[(frame["arm"] == a).to_numpy()] for a in arms[:2]]
    test = stats.mannwhitneyu(by_arm[0], by_arm[1], use_continuity=True, alternative="two-sided",
                              method="asymptotic")
    return CAFSTest(scores, float(test.statistic), float(test.pvalue),
                    {a: float(s.mean()) for a, s in zip(arms, by_arm)}, {a: len(s) for a, s in zip(arms, by_arm)})
