"""The Newton finish of the REML fits (analysis/reml.newton_polish), on functions whose optimum is known."""

import numpy as np

from cdisc_mirocals.analysis.reml import newton_polish

A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
OPT = np.array([0.3, -1.2, 2.5])


def _quadratic(x):
    d = x - OPT
    return 6000.0 + d @ A @ d, 2 * A @ d  # a deviance of several thousand units, as the models have


def test_a_point_near_the_optimum_is_finished_and_called_converged():
    x, converged = newton_polish(_quadratic, OPT + np.array([1e-4, -2e-4, 5e-5]))
    assert converged
    np.testing.assert_allclose(x, OPT, rtol=0, atol=1e-9)


def test_a_point_far_off_is_brought_to_the_optimum_by_its_steps():
    x, converged = newton_polish(lambda x: _quadratic(x), np.zeros(3))
    assert converged and np.abs(x - OPT).max() < 1e-8


def test_a_saddle_is_not_called_converged_and_the_point_is_kept():
    def saddle(x):
        return 6000.0 + x[0] ** 2 - x[1] ** 2, np.array([2 * x[0], -2 * x[1]])
    start = np.array([1e-3, 1e-3])
    x, converged = newton_polish(saddle, start)
    assert not converged and (x == start).all()


def test_a_step_that_would_raise_the_value_is_refused():
    """sqrt(1 + x^2) from x = 2: the Newton step, -x (1 + x^2) = -10, lands at -8, higher up the other side."""
    def hyperbola(x):
        r = np.sqrt(1 + x ** 2)
        return float(r.sum()), x / r
    start = np.array([2.0])
    x, converged = newton_polish(hyperbola, start)
    assert not converged and (x == start).all()
