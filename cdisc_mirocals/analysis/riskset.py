"""The Cox partial likelihood, one block per distinct event time (within strata), for Breslow or Efron ties.

Both the Cox fit (cox.py) and the proportional-hazards score test (coxzph.py) need the same sums over
risk sets: at event time t_j with d_j deaths, Breslow uses the whole risk set d_j times; Efron, for
k = 0..d_j-1, removes the fraction k/d_j of the dying subjects' weight (Efron 1977; Therneau and
Grambsch 2000, section 3.3). Per block j this returns

    loglik_j = sum(eta of the deaths) - sum_k log s0_k
    score_j  = sum(x of the deaths) - sum_k s1_k / s0_k                  (p)
    info_j   = sum_k [s2_k / s0_k - (s1_k / s0_k)(s1_k / s0_k)']       (p x p)

with s0, s1, s2 the weighted sums of 1, x and x x' (weights exp(eta)). The fit sums the blocks;
cox.zph weights them by a function of time. Everything is vectorised over event times: reverse
cumulative sums give each risk set, so 100,000 subjects cost what a few thousand event times cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIES = ("efron", "breslow")


@dataclass
class Blocks:
    time: np.ndarray  # (m,) distinct event times, stratum by stratum
    stratum: np.ndarray  # (m,) stratum code of each block
    deaths: np.ndarray  # (m,) number of events at each time
    loglik: np.ndarray  # (m,)
    score: np.ndarray  # (m, p)
    info: np.ndarray  # (m, p, p)


def _stratum_blocks(time, event, x, eta, ties):
    order = np.argsort(time, kind="stable")
    t, d, x, eta = time[order], event[order], x[order], eta[order]
    w = np.exp(eta - eta.max())  # a common factor cancels in every ratio below
    wx = w[:, None] * x
    wxx = wx[:, :, None] * x[:, None, :]
    # sums over the subjects with time >= t[i]: reverse cumulative sums
    r0, r1, r2 = (np.cumsum(a[::-1], axis=0)[::-1] for a in (w, wx, wxx))
    times = np.unique(t[d == 1])
    first = np.searchsorted(t, times, side="left")  # first subject at risk at each event time
    s0, s1, s2 = r0[first], r1[first], r2[first]
    dead = d == 1
    block = np.searchsorted(times, t[dead])
    m, p = len(times), x.shape[1]
    n_dead = np.bincount(block, minlength=m).astype(float)
    d0 = np.bincount(block, weights=w[dead], minlength=m)
    d1 = np.zeros((m, p))
    np.add.at(d1, block, wx[dead])
    d2 = np.zeros((m, p, p))
    np.add.at(d2, block, wxx[dead])
    xd = np.zeros((m, p))
    np.add.at(xd, block, x[dead])
    loglik = np.bincount(block, weights=eta[dead], minlength=m) - n_dead * (eta.max())
    score, info = xd.copy(), np.zeros((m, p, p))
    for k in range(int(n_dead.max()) if m else 0):
        active = n_dead > k
        f = np.where(active, k / n_dead, 0.0) if ties == "efron" else np.zeros(m)
        a0 = s0 - f * d0
        a1 = s1 - f[:, None] * d1
        a2 = s2 - f[:, None, None] * d2
        mean = a1 / a0[:, None]
        loglik -= np.where(active, np.log(a0), 0.0)
        score -= np.where(active[:, None], mean, 0.0)
        info += np.where(active[:, None, None], a2 / a0[:, None, None] - mean[:, :, None] * mean[:, None, :], 0.0)
    return times, n_dead, loglik, score, info


def blocks(time: np.ndarray, event: np.ndarray, strata: np.ndarray | None, x: np.ndarray,
           beta: np.ndarray, ties: str = "efron") -> Blocks:
    """The partial-likelihood blocks at `beta`; `strata` (codes) separates the risk sets."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, not {ties!r}")
    x = np.asarray(x, dtype=float)
    eta = x @ beta
    codes = np.zeros(len(time), dtype=int) if strata is None else np.asarray(strata)
    parts = []
    for code in np.unique(codes):
        sel = codes == code
        times, n_dead, ll, score, info = _stratum_blocks(time[sel], event[sel], x[sel], eta[sel], ties)
        parts.append((times, np.full(len(times), code), n_dead, ll, score, info))
    p = x.shape[1]
    if not parts:
        return Blocks(np.empty(0), np.empty(0), np.empty(0), np.empty(0), np.empty((0, p)), np.empty((0, p, p)))
    return Blocks(*(np.concatenate(arrays) for arrays in zip(*parts)))
