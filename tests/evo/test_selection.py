"""Tests for evo.operators.selection: contract, edge cases, NaN handling, statistics."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import naive  # noqa: E402

from evo import selection  # noqa: E402

OPS = sorted(selection.NAMES)


def rng(seed=0):
    return np.random.default_rng(seed)


def chi2_ok(counts, probs):
    """Chi-square goodness of fit, generous threshold; zero-probability cells must be empty."""
    counts = np.asarray(counts, dtype=float)
    probs = np.asarray(probs, dtype=float)
    assert np.all(counts[probs == 0] == 0), "selected an individual of probability 0"
    keep = probs > 0
    expected = counts.sum() * probs[keep]
    stat = float(np.sum((counts[keep] - expected) ** 2 / expected))
    df = max(int(keep.sum()) - 1, 1)
    assert stat < df + 6.0 * np.sqrt(2.0 * df) + 10.0, (stat, df)


def counts_of(idx, p):
    return np.bincount(idx, minlength=p)


# --------------------------------------------------------------------------
# contract, for every operator
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPS)
def test_shape_dtype_range(name):
    f = rng(1).normal(size=17)
    idx = selection.get(name)(f, 40, rng())
    assert idx.shape == (40,) and idx.dtype == np.int64
    assert idx.min() >= 0 and idx.max() < 17


@pytest.mark.parametrize("name", OPS)
def test_n_zero_gives_empty_int64(name):
    idx = selection.get(name)(np.arange(5.0), 0, rng())
    assert idx.shape == (0,) and idx.dtype == np.int64


@pytest.mark.parametrize("name", OPS)
def test_single_individual(name):
    idx = selection.get(name)(np.array([3.5]), 7, rng())
    assert np.array_equal(idx, np.zeros(7, dtype=np.int64))


@pytest.mark.parametrize("name", OPS)
def test_single_nan_individual(name):
    idx = selection.get(name)(np.array([np.nan]), 4, rng())
    assert np.array_equal(idx, np.zeros(4, dtype=np.int64))


@pytest.mark.parametrize("name", OPS)
def test_n_larger_than_population(name):
    idx = selection.get(name)(np.array([1.0, 2.0, 3.0]), 100, rng())
    assert idx.shape == (100,) and idx.min() >= 0 and idx.max() < 3


@pytest.mark.parametrize("name", OPS)
def test_input_untouched_and_deterministic(name):
    f = np.array([0.3, np.nan, -2.0, 5.0, 5.0, 4.0, -np.inf, 1.0])
    keep = f.copy()
    op = selection.get(name)
    first = op(f, 30, rng(7))
    assert np.array_equal(f, keep, equal_nan=True)
    assert np.array_equal(first, op(f, 30, rng(7)))
    assert not np.array_equal(first, op(f, 30, rng(8)))


@pytest.mark.parametrize("name", OPS)
def test_accepts_lists_and_ints(name):
    idx = selection.get(name)([1, 2, 3, 4], 6, rng())
    assert idx.shape == (6,) and idx.dtype == np.int64


@pytest.mark.parametrize("name", OPS)
def test_all_equal_fitness_is_uniform(name):
    p = 8
    op = selection.get(name)
    if name == "truncation":
        # the eligible half is a random subset per call; uniform over calls
        idx = np.concatenate([op(np.full(p, 2.0), 10, rng(s), fraction=0.5) for s in range(2000)])
    else:
        idx = op(np.full(p, 2.0), 20000, rng())
    chi2_ok(counts_of(idx, p), np.full(p, 1.0 / p))


@pytest.mark.parametrize("name", OPS)
def test_all_nan_is_uniform(name):
    p = 6
    op = selection.get(name)
    if name == "truncation":
        idx = np.concatenate([op(np.full(p, np.nan), 10, rng(s)) for s in range(2000)])
    else:
        idx = op(np.full(p, np.nan), 12000, rng())
    chi2_ok(counts_of(idx, p), np.full(p, 1.0 / p))


@pytest.mark.parametrize("name", OPS)
def test_validation(name):
    op = selection.get(name)
    with pytest.raises(ValueError, match="n must be >= 0"):
        op(np.ones(3), -1, rng())
    with pytest.raises(ValueError, match="n must be an integer"):
        op(np.ones(3), 2.5, rng())
    with pytest.raises(ValueError, match=r"shape \(P,\)"):
        op(np.ones((3, 2)), 2, rng())
    with pytest.raises(ValueError, match="empty population"):
        op(np.ones(0), 2, rng())
    assert op(np.ones(0), 0, rng()).shape == (0,)
    with pytest.raises(TypeError, match="Generator"):
        op(np.ones(3), 2, 42)


def test_setting_validation():
    f = np.ones(4)
    with pytest.raises(ValueError, match="size must be >= 1"):
        selection.tournament(f, 2, rng(), size=0)
    for bad in (0.0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="fraction"):
            selection.truncation(f, 2, rng(), fraction=bad)
    for bad in (0.9, 2.1, float("nan")):
        with pytest.raises(ValueError, match="pressure"):
            selection.rank(f, 2, rng(), pressure=bad)


@settings(max_examples=60, deadline=None)
@given(
    f=hnp.arrays(
        np.float64,
        st.integers(1, 12),
        elements=st.one_of(
            st.floats(-1e6, 1e6),
            st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0]),
        ),
    ),
    n=st.integers(0, 30),
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(OPS),
)
def test_property_contract(f, n, seed, name):
    keep = f.copy()
    idx = selection.get(name)(f, n, rng(seed))
    assert idx.shape == (n,) and idx.dtype == np.int64
    assert np.all((idx >= 0) & (idx < f.size))
    assert np.array_equal(f, keep, equal_nan=True)


# --------------------------------------------------------------------------
# NaN is the worst
# --------------------------------------------------------------------------

ONE_GOOD = np.array([np.nan] * 4 + [-3.0] + [np.nan] * 5)  # index 4 is the only number


@pytest.mark.parametrize("name", ["roulette", "sus"])
def test_nan_never_chosen_by_proportional(name):
    idx = selection.get(name)(ONE_GOOD, 500, rng())
    assert np.all(idx == 4)


def test_nan_loses_tournaments():
    idx = selection.tournament(ONE_GOOD, 5000, rng(), size=50)
    # P(index 4 absent from 50 draws) = 0.9**50 ~ 0.005
    assert np.mean(idx == 4) > 0.98


def test_nan_below_minus_inf():
    f = np.array([np.nan, -np.inf, np.nan])
    assert np.all(selection.tournament(f, 200, rng(), size=40) == 1)
    assert np.all(selection.truncation(f, 100, rng(), fraction=0.3) == 1)
    assert np.all(selection.roulette(f, 100, rng()) == 1)


def test_nan_excluded_by_truncation():
    assert np.all(selection.truncation(ONE_GOOD, 300, rng(), fraction=0.1) == 4)
    idx = selection.truncation(np.array([np.nan, 1.0, np.nan, 0.0]), 300, rng(), fraction=0.5)
    assert set(idx.tolist()) == {1, 3}


def test_nan_ranks_last():
    p = naive.rank_probabilities(ONE_GOOD, 2.0)
    assert np.argmax(p) == 4
    assert np.allclose(selection._rank_weights(ONE_GOOD, 2.0) / ONE_GOOD.size, p)
    idx = selection.rank(ONE_GOOD, 20000, rng(), pressure=2.0)
    chi2_ok(counts_of(idx, 10), p)


def test_roulette_negative_with_nan():
    f = np.array([np.nan, -5.0, -1.0])  # shifted weights [0, 0, 4]
    assert np.all(selection.roulette(f, 200, rng()) == 2)
    assert np.all(selection.sus(f, 200, rng()) == 2)


# --------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------


def test_tournament_pressure_rises_with_size():
    f = rng(3).permutation(50).astype(float)  # fitness = rank
    means = [f[selection.tournament(f, 20000, rng(s), size=s)].mean() for s in (1, 2, 3, 5, 8, 60)]
    assert all(x < y for x, y in zip(means, means[1:])), means
    assert abs(means[0] - 24.5) < 0.5  # size 1 is uniform
    assert means[-1] > 48.0  # size 60 > P still means more pressure


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_tournament_matches_exact_probabilities(size):
    f = np.array([0.5, 2.0, np.nan, 2.0, -1.0, 3.0, 0.5, np.nan])  # ties and NaN
    idx = selection.tournament(f, 30000, rng(size), size=size)
    chi2_ok(counts_of(idx, f.size), naive.tournament_probabilities(f, size))


def test_truncation_never_outside_top_fraction():
    r = rng(5)
    for trial in range(50):
        p = int(r.integers(1, 40))
        frac = float(r.uniform(0.01, 1.0))
        f = r.permutation(p).astype(float)  # distinct: the top k is well defined
        k = int(np.ceil(frac * p - 1e-9))
        idx = selection.truncation(f, 200, r, fraction=frac)
        assert np.all(f[idx] >= p - k), (p, frac)
        if k <= 200 // 10:
            assert set(idx.tolist()) == set(np.flatnonzero(f >= p - k).tolist())


def test_truncation_count_rounding():
    f = np.arange(10.0)
    assert set(selection.truncation(f, 500, rng(), fraction=0.3).tolist()) == {7, 8, 9}
    assert set(selection.truncation(f, 500, rng(), fraction=0.31).tolist()) == {6, 7, 8, 9}
    assert set(selection.truncation(f, 500, rng(), fraction=0.01).tolist()) == {9}
    assert set(selection.truncation(f, 2000, rng(), fraction=1.0).tolist()) == set(range(10))


def test_truncation_ties_at_cut():
    f = np.array([1.0, 5.0, 3.0, 3.0, 3.0, 0.0])
    seen = set()
    for s in range(200):
        idx = selection.truncation(f, 50, rng(s), fraction=0.5)  # k = 3: 5 and two of the 3s
        assert set(idx.tolist()) <= {1, 2, 3, 4}
        assert 1 in idx
        seen |= set(idx.tolist())
    assert seen == {1, 2, 3, 4}


@pytest.mark.parametrize(
    "f",
    [
        np.array([1.0, 2.0, 3.0, 4.0, 0.0, 10.0]),
        np.array([0.1, 0.1, 5.0, 2.5]),
    ],
)
def test_roulette_proportional_to_positive_fitness(f):
    probs = f / f.sum()
    assert np.allclose(naive.roulette_probabilities(f), probs)
    chi2_ok(counts_of(selection.roulette(f, 30000, rng()), f.size), probs)


def test_roulette_shifts_negative_fitness():
    f = np.array([-2.0, 0.0, 1.0, 3.0, -1.0])
    probs = (f + 2.0) / (f + 2.0).sum()
    assert np.allclose(naive.roulette_probabilities(f), probs)
    chi2_ok(counts_of(selection.roulette(f, 30000, rng()), f.size), probs)


def test_roulette_plus_inf_takes_all():
    f = np.array([1.0, np.inf, 3.0, np.inf])
    idx = selection.roulette(f, 4000, rng())
    assert set(idx.tolist()) == {1, 3}
    assert abs(np.mean(idx == 1) - 0.5) < 0.05


def test_roulette_huge_values_do_not_overflow():
    f = np.array([1e308, -1e308, 0.0, 1.5e308])
    w = selection._roulette_weights(f)
    assert np.all(np.isfinite(w))
    assert np.allclose(w / w.sum(), [2 / 5.5, 0, 1 / 5.5, 2.5 / 5.5])


@settings(max_examples=80, deadline=None)
@given(
    f=hnp.arrays(
        np.float64,
        st.integers(1, 10),
        elements=st.one_of(st.floats(-100, 100), st.sampled_from([np.nan, -np.inf, np.inf, 0.0])),
    )
)
def test_roulette_weights_match_reference(f):
    w = selection._roulette_weights(f)
    assert np.allclose(w / w.sum(), naive.roulette_probabilities(f), atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    w=hnp.arrays(np.float64, st.integers(1, 15), elements=st.sampled_from([0.0, 0.5, 1.0, 1 / 3, 2.0, 7.25])),
    n=st.integers(1, 40),
    offset=st.floats(0.0, 1.0, exclude_max=True),
)
def test_sus_kernel_matches_reference(w, n, offset):
    if not w.sum() > 0:
        w = w.copy()
        w[0] = 1.0
    assert selection._sus(w, n, offset).tolist() == naive.sus(w, n, offset)


@settings(max_examples=100, deadline=None)
@given(
    f=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-50, 50)),
    n=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_sus_counts_within_floor_and_ceil(f, n, seed):
    idx = selection.sus(f, n, rng(seed))
    expected = n * naive.roulette_probabilities(f)
    counts = counts_of(idx, f.size)
    assert np.all(counts >= np.floor(expected - 1e-9))
    assert np.all(counts <= np.ceil(expected + 1e-9))


def test_sus_unbiased_and_shuffled():
    f = np.array([1.0, 2.0, 0.5, 4.0, 2.5])
    total = np.zeros(f.size)
    for s in range(2000):
        total += counts_of(selection.sus(f, 7, rng(s)), f.size)
    assert np.allclose(total / 2000, 7 * f / f.sum(), atol=0.05)
    idx = selection.sus(np.arange(1.0, 11.0), 100, rng())
    assert not np.all(np.diff(idx) >= 0)  # not returned in wheel order


@settings(max_examples=80, deadline=None)
@given(
    f=hnp.arrays(
        np.float64,
        st.integers(1, 12),
        elements=st.one_of(st.sampled_from([0.0, 1.0, 2.0, np.nan]), st.floats(-5, 5)),
    ),
    pressure=st.floats(1.0, 2.0),
)
def test_rank_probabilities_match_reference(f, pressure):
    w = selection._rank_weights(f, pressure)
    assert np.isclose(w.sum(), f.size)
    assert np.allclose(w / f.size, naive.rank_probabilities(f, pressure), atol=1e-12)


@pytest.mark.parametrize("pressure", [1.0, 1.5, 2.0])
def test_rank_expected_counts_follow_baker(pressure):
    p = 9
    f = rng(2).permutation(p) * 1.7 - 3.0  # distinct; rank of f[i] is argsort order
    r = np.argsort(np.argsort(f))
    expected = 2 - pressure + 2 * (pressure - 1) * r / (p - 1)
    assert np.allclose(selection._rank_weights(f, pressure), expected)
    idx = selection.rank(f, 40000, rng(), pressure=pressure)
    chi2_ok(counts_of(idx, p), expected / p)
    best, worst = np.argmax(f), np.argmin(f)
    assert abs(np.mean(idx == best) * p - pressure) < 0.1
    if pressure == 2.0:
        assert not np.any(idx == worst)


def test_rank_ties_share_probability():
    f = np.array([1.0, 3.0, 3.0, 0.0])
    w = selection._rank_weights(f, 2.0)
    assert w[1] == w[2]
    assert np.allclose(w, [2 / 3, 5 / 3, 5 / 3, 0.0])


def test_random_is_uniform_and_ignores_fitness():
    f = np.array([100.0, np.nan, -5.0, 0.0, 1.0])
    chi2_ok(counts_of(selection.random(f, 20000, rng()), 5), np.full(5, 0.2))
