"""Bounded random draws, so that every simulated value passes the edit checks of specs/raw at any
study size without piling values on a bound, as clipping would (docs/simulator.md).

Each draw is made by inverting the distribution function on the part of [0, 1] that maps inside the
bounds: the shape between the bounds is the untruncated one, and no value falls outside them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammainc, gammaincinv, ndtr, ndtri

from cdisc_mirocals.spec import RawForm


def field_limits(form: RawForm, field: str) -> tuple[float, float]:
    """The [Min, Max] edit check of a raw field, infinite where specs/raw sets none."""
    f = next((f for f in form.fields if f.name == field), None)
    if f is None:
        raise KeyError(f"specs/raw form {form.name} has no field {field}")
    return (-np.inf if f.min is None else f.min), (np.inf if f.max is None else f.max)


def _inside(rng: np.random.Generator, lower: np.ndarray, upper: np.ndarray, size) -> np.ndarray:
    """Uniform draws on [lower, upper), probabilities of the untruncated distribution."""
    return lower + rng.random(size) * (upper - lower)


def truncated_normal(rng: np.random.Generator, mean, sd, low=-np.inf, high=np.inf, size=None) -> np.ndarray:
    """Normal(mean, sd) restricted to [low, high]; arguments broadcast like numpy's own draws."""
    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    size = np.broadcast_shapes(np.shape(mean), np.shape(sd), np.shape(low), np.shape(high)) if size is None else size
    a, b = ndtr((np.asarray(low, float) - mean) / sd), ndtr((np.asarray(high, float) - mean) / sd)
    x = mean + sd * ndtri(_inside(rng, a, b, size))
    return np.clip(x, low, high)  # only rounding error of the inverse can reach past a bound


def truncated_lognormal(rng: np.random.Generator, median, sigma, high=np.inf, size=None) -> np.ndarray:
    """Log-normal with the given median and log-scale sigma, at most `high` (always above 0)."""
    median = np.asarray(median, float)
    with np.errstate(divide="ignore"):
        log_high = np.log(np.asarray(high, float) / median)
    return median * np.exp(truncated_normal(rng, 0.0, sigma, -np.inf, log_high, size))


def truncated_gamma(rng: np.random.Generator, shape: float, scale: float, low: float = 0.0, high: float = np.inf,
                    size=None) -> np.ndarray:
    """Gamma(shape, scale) restricted to [low, high]."""
    a, b = gammainc(shape, low / scale), gammainc(shape, high / scale)
    return np.clip(gammaincinv(shape, _inside(rng, a, b, size)) * scale, low, high)
