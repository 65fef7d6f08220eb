"""The polynomial sine and cosine against libm on their range."""

import math

import numpy as np
import pytest
from numba import njit

from envs import trig


@njit
def _both(x, s, c, libm_s, libm_c):
    for i in range(x.shape[0]):
        s[i] = trig.sin(x[i])
        c[i] = trig.cos(x[i])
        libm_s[i] = math.sin(x[i])
        libm_c[i] = math.cos(x[i])


def ulps(a, b):
    """Distance in units in the last place between float64 arrays (ordered integers)."""
    ia, ib = a.view(np.int64), b.view(np.int64)
    ia = np.where(ia < 0, np.int64(-(2**63)) - ia, ia)
    ib = np.where(ib < 0, np.int64(-(2**63)) - ib, ib)
    return np.abs(ia - ib)


def evaluate(x):
    out = [np.empty_like(x) for _ in range(4)]
    _both(x, *out)
    return out


def test_within_one_ulp_of_libm_on_the_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-np.pi / 2, np.pi / 2, 1_000_000), np.linspace(-np.pi / 2, np.pi / 2, 100_001),
                        np.nextafter(np.pi / 4, [0.0, 2.0]), [np.pi / 4, -np.pi / 4, 1e-300, 5e-324]])
    s, c, ls, lc = evaluate(x)
    assert ulps(s, ls).max() <= 1 and ulps(c, lc).max() <= 1
    assert (s == ls).mean() > 0.95 and (c == lc).mean() > 0.95


def test_on_the_pole_angles_of_cartpole():
    x = np.random.default_rng(1).uniform(-0.21, 0.21, 200_000)
    s, c, ls, lc = evaluate(x)
    assert ulps(s, ls).max() <= 1 and ulps(c, lc).max() <= 1


@pytest.mark.parametrize("x, sin, cos", [(0.0, 0.0, 1.0), (-0.0, -0.0, 1.0), (np.pi / 2, 1.0, 6.123233995736766e-17)])
def test_exact_values(x, sin, cos):
    s, c, _, _ = evaluate(np.array([x]))
    assert s[0] == sin and math.copysign(1, s[0]) == math.copysign(1, sin)
    assert abs(c[0] - cos) <= 1e-32


def test_odd_and_even():
    x = np.random.default_rng(2).uniform(0, np.pi / 2, 10_000)
    s, c, _, _ = evaluate(x)
    sn, cn, _, _ = evaluate(-x)
    np.testing.assert_array_equal(sn, -s)
    np.testing.assert_array_equal(cn, c)
