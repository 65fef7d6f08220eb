"""Tests for box constraints: the repairs, the bounded operators, bounded SBX's distribution."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evo import bounds, crossover, mutation


def rng(seed=0):
    return np.random.default_rng(seed)


def ks_distance(samples, cdf):
    """Kolmogorov-Smirnov distance between the samples' empirical CDF and ``cdf``."""
    x = np.sort(samples)
    n = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(np.float32, (4, 3), elements=st.floats(-1e7, 1e7, width=32)),
    low=hnp.arrays(np.float64, (3,), elements=finite),
    width=hnp.arrays(np.float64, (3,), elements=st.floats(0, 1e3)),
    how=st.sampled_from(bounds.REPAIRS),
)
def test_repair_never_leaves_the_box(x, low, width, how):
    high = low + width
    box = bounds.check(low, high, 3, how)
    y = bounds.repair(x, box, how)
    assert y.dtype == np.float32
    assert np.all(y.astype(np.float64) >= low) and np.all(y.astype(np.float64) <= high)
    inside = (x >= low) & (x <= high)
    assert np.array_equal(y[inside], x[inside])


def test_reflect_mirrors_into_the_box():
    box = bounds.check(-1.0, 2.0, 1, "reflect")
    x = np.array([[-1.5], [2.5], [5.5], [-4.25], [8.0], [0.3]])
    # 5.5 is 3.5 past 2: back to -1.5, then 0.5 past -1: -0.5; 8.0 bounces off both ends back to 2
    expected = np.array([[-0.5], [1.5], [-0.5], [1.75], [2.0], [0.3]])
    np.testing.assert_allclose(bounds.repair(x, box, "reflect"), expected, atol=1e-12)
    np.testing.assert_array_equal(bounds.repair(x, box, "clip")[:, 0], [-1.0, 2.0, 2.0, -1.0, 2.0, 0.3])


def test_per_gene_bounds_and_one_sided_clip():
    box = bounds.check([0.0, -np.inf], [1.0, 0.0], 2, "clip")
    y = bounds.repair(np.array([[-3.0, 5.0], [4.0, -7.0]]), box, "clip")
    np.testing.assert_array_equal(y, [[0.0, 0.0], [1.0, -7.0]])


@pytest.mark.parametrize("low, high, how, message", [
    (0.0, -1.0, "clip", "low must be <= high"),
    ([0.0, 1.0, 2.0], 5.0, "clip", "shape"),
    (0.0, None, "reflect", "finite"),
    (0.0, 1.0, "wrap", "repair must be one of"),
    (np.nan, 1.0, "clip", "NaN"),
])
def test_bad_bounds_are_refused(low, high, how, message):
    with pytest.raises(ValueError, match=message):
        bounds.check(low, high, 2, how)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    how=st.sampled_from(bounds.REPAIRS),
    op=st.sampled_from(["gaussian", "blend", "sbx"]),
    scale=st.floats(0.01, 100.0),
)
def test_bounded_operators_never_leave_the_box(seed, how, op, scale):
    r = rng(seed)
    low = np.array([-5.0, 0.0, -0.1, 3.0])
    high = np.array([5.0, 0.1, 0.1, 3.5])
    a = r.uniform(low, high, (50, 4)).astype(np.float32)
    b = r.uniform(low, high, (50, 4)).astype(np.float32)
    if op == "gaussian":
        kids = mutation.gaussian(a, r, sigma=scale, rate=0.7, low=low, high=high, repair=how)
    elif op == "blend":
        kids = crossover.blend(a * scale, b, r, alpha=scale, low=low, high=high, repair=how)
    else:
        kids = crossover.sbx(a, b, r, eta=0.0, low=low, high=high, repair=how)
    k = kids.astype(np.float64)
    assert kids.dtype == np.float32
    assert np.all(k >= low) and np.all(k <= high)


def test_unbounded_sbx_leaves_the_box_and_bounded_does_not():
    a = np.full((20000, 1), -5.0)
    b = np.full((20000, 1), 5.0)
    free = crossover.sbx(a, b, rng(), eta=2.0)
    held = crossover.sbx(a, b, rng(), eta=2.0, low=-5.0, high=5.0)
    assert np.abs(free).max() > 20.0
    assert held.min() >= -5.0 and held.max() <= 5.0


def _beta_cdf(beta, eta):
    e = eta + 1.0
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(beta <= 1.0, 0.5 * beta**e, 1.0 - 0.5 * beta ** -e)


@pytest.mark.parametrize("eta, y1, y2, low, high", [
    (2.0, -1.0, 1.5, -2.0, 4.0),
    (0.5, 0.2, 0.9, 0.0, 1.0),
    (15.0, -4.0, 4.5, -5.0, 5.0),
])
def test_bounded_sbx_matches_its_analytic_distribution(eta, y1, y2, low, high):
    """The child is, with probability 1/2 each, ``m -/+ beta d/2`` with beta's SBX law truncated at the bound."""
    n = 100_000
    a = np.full((n, 1), y2)  # parent order must not matter
    b = np.full((n, 1), y1)
    kids = crossover.sbx(a, b, rng(3), eta=eta, low=low, high=high)[:, 0]
    m, d = 0.5 * (y1 + y2), y2 - y1
    b_low = 1.0 + 2.0 * (y1 - low) / d
    b_high = 1.0 + 2.0 * (high - y2) / d

    def cdf(y):
        t = 2.0 * np.abs(y - m) / d
        below = 1.0 - _beta_cdf(np.minimum(t, b_low), eta) / _beta_cdf(b_low, eta)
        above = _beta_cdf(np.minimum(t, b_high), eta) / _beta_cdf(b_high, eta)
        return np.where(y < m, 0.5 * below, 0.5 + 0.5 * above)

    assert kids.min() >= low and kids.max() <= high
    assert ks_distance(kids, cdf) < 1.95 / math.sqrt(n)  # KS at the 0.1 % level


def test_sbx_prob_crosses_that_share_of_genes():
    a = np.zeros((4000, 25))
    b = np.ones((4000, 25))
    kids = crossover.sbx(a, b, rng(), eta=2.0, prob=0.5)
    crossed = (kids != 0.0).mean()
    assert abs(crossed - 0.5) < 0.01
    assert np.array_equal(crossover.sbx(a, b, rng(), eta=2.0, prob=0.0), a)
    # prob=1 keeps the default stream and result
    np.testing.assert_array_equal(crossover.sbx(a, b, rng(), eta=2.0, prob=1.0), crossover.sbx(a, b, rng(), eta=2.0))


def test_equal_parents_are_not_spread_by_bounded_sbx():
    a = np.full((10, 3), 0.25)
    np.testing.assert_array_equal(crossover.sbx(a, a, rng(), low=0.0, high=1.0), a)


def test_infinite_bounds_give_the_unbounded_law():
    """With bounds far away the truncation vanishes: both forms have the same distribution."""
    n = 50_000
    a = np.full((n, 1), -1.0)
    b = np.full((n, 1), 1.0)
    far = np.sort(crossover.sbx(a, b, rng(1), eta=3.0, low=-1e9, high=1e9)[:, 0])
    free = np.sort(crossover.sbx(a, b, rng(2), eta=3.0)[:, 0])
    assert ks_distance(far, lambda y: np.searchsorted(free, y, side="right") / n) < 0.02
