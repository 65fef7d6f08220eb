"""Tests for evo.operators.crossover: contract, edge cases, what each child is made of."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import naive  # noqa: E402

from evo import crossover  # noqa: E402

OPS = sorted(crossover.NAMES)
SWAPPING = ["neurons", "one_point", "two_point", "uniform"]
BLENDING = ["arithmetic", "blend", "sbx"]
BIG32 = float(np.float32(1e30))


def rng(seed=0):
    return np.random.default_rng(seed)


def layout_for(g, num_units=None, seed=0):
    """A fake network layout: genes assigned to units, interleaved like a row-major weight matrix."""
    u = num_units if num_units is not None else max(1, (g + 2) // 3)
    units = np.arange(g, dtype=np.int64) % u
    if g:
        units = rng(seed).permutation(units)
    return SimpleNamespace(units=units, num_units=u)


def call(name, a, b, r, **kw):
    """Call operator ``name``, giving ``neurons`` a layout (and only it)."""
    if name == "neurons":
        if "layout" not in kw:
            kw["layout"] = layout_for(a.shape[1])
    else:
        kw.pop("layout", None)
    return crossover.get(name)(a, b, r, **kw)


def parents(n, g, dtype=np.float64, seed=1):
    """a > 0 > b everywhere, so every child gene tells which parent it came from."""
    r = rng(seed)
    a = (r.uniform(1.0, 2.0, (n, g))).astype(dtype)
    b = (-r.uniform(1.0, 2.0, (n, g))).astype(dtype)
    return a, b


# --------------------------------------------------------------------------
# contract, for every operator
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPS)
def test_shape_dtype_untouched_deterministic(name, dtype):
    a, b = parents(6, 11, dtype)
    a0, b0 = a.copy(), b.copy()
    child = call(name, a, b, rng(3))
    assert child.shape == (6, 11) and child.dtype == dtype
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
    assert child is not a and child is not b and not np.shares_memory(child, a)
    assert np.array_equal(child, call(name, a, b, rng(3)))
    assert not np.array_equal(child, call(name, a, b, rng(4)))


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("shape", [(0, 5), (4, 0), (0, 0), (3, 1)])
def test_empty_and_tiny(name, shape):
    a, b = parents(*shape, dtype=np.float32)
    child = call(name, a, b, rng())
    assert child.shape == shape and child.dtype == np.float32


@pytest.mark.parametrize("name", ["one_point", "two_point"])
def test_single_gene_is_copy_of_a(name):
    a, b = parents(5, 1)
    child = call(name, a, b, rng())
    assert np.array_equal(child, a) and not np.shares_memory(child, a)


@pytest.mark.parametrize("name", SWAPPING)
def test_swapping_works_for_integers(name):
    a = np.arange(1, 41, dtype=np.int32).reshape(4, 10)
    child = call(name, a, -a, rng())
    assert child.dtype == np.int32
    assert np.all((child == a) | (child == -a))


@pytest.mark.parametrize("name", BLENDING)
def test_blending_rejects_integers(name):
    a = np.ones((2, 3), dtype=np.int64)
    with pytest.raises(ValueError, match="floating"):
        call(name, a, a, rng())


@pytest.mark.parametrize("name", OPS)
def test_validation(name):
    a = np.zeros((3, 4))
    with pytest.raises(ValueError, match="same shape"):
        call(name, a, np.zeros((3, 5)), rng(), layout=layout_for(4))
    with pytest.raises(ValueError, match=r"shape \(n, G\)"):
        call(name, np.zeros(4), np.zeros(4), rng(), layout=layout_for(4))
    with pytest.raises(TypeError, match="Generator"):
        call(name, a, a, 0)


def test_setting_validation():
    a, b = parents(2, 4)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="p must be in"):
            crossover.uniform(a, b, rng(), p=bad)
        with pytest.raises(ValueError, match="p must be in"):
            crossover.neurons(a, b, rng(), layout=layout_for(4), p=bad)
    with pytest.raises(ValueError, match="alpha"):
        crossover.blend(a, b, rng(), alpha=-1.0)
    with pytest.raises(ValueError, match="eta"):
        crossover.sbx(a, b, rng(), eta=-0.5)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 6),
    g=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(OPS),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_property_contract(n, g, seed, name, dtype):
    a, b = parents(n, g, dtype, seed=seed % 1000)
    a0, b0 = a.copy(), b.copy()
    child = call(name, a, b, rng(seed))
    assert child.shape == (n, g) and child.dtype == dtype
    assert np.all(np.isfinite(child))
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
    if name in SWAPPING:
        assert np.all((child == a) | (child == b))


# --------------------------------------------------------------------------
# what children are made of
# --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_uniform_takes_each_gene_from_a_with_probability_p(p):
    a, b = parents(200, 50)
    child = crossover.uniform(a, b, rng(), p=p)
    from_a = child == a
    assert np.all(from_a | (child == b))
    share = from_a.mean()  # 10000 genes: binomial sd <= 0.005
    assert abs(share - p) < 0.025
    if p in (0.0, 1.0):
        assert share == p


def test_one_point_is_head_of_a_and_tail_of_b():
    a, b = parents(3000, 7)
    child = crossover.one_point(a, b, rng())
    from_a = child > 0
    cuts = from_a.sum(axis=1)
    # a contiguous head from a, then b
    assert np.array_equal(from_a, np.arange(7)[None, :] < cuts[:, None])
    assert cuts.min() == 1 and cuts.max() == 6
    counts = np.bincount(cuts, minlength=7)[1:]
    assert np.all(np.abs(counts / 3000 - 1 / 6) < 0.03)  # uniform over {1..G-1}


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(0, 5), g=st.integers(0, 8))
def test_one_point_kernel_matches_reference(data, n, g):
    a, b = parents(n, g)
    cuts = np.array(data.draw(st.lists(st.integers(0, g), min_size=n, max_size=n)), dtype=np.int64)
    assert np.array_equal(crossover._one_point(a, b, cuts), naive.one_point(a, b, cuts))


def test_two_point_swaps_one_contiguous_segment():
    g = 6
    a, b = parents(6000, g)
    child = crossover.two_point(a, b, rng())
    from_b = child < 0
    lo = np.argmax(from_b, axis=1)
    width = from_b.sum(axis=1)
    hi = lo + width
    assert np.all(width >= 1) and np.all(lo >= 1) and np.all(hi <= g)
    assert np.array_equal(from_b, (np.arange(g) >= lo[:, None]) & (np.arange(g) < hi[:, None]))
    # every pair lo < hi from {1..G} equally likely: C(6, 2) = 15 pairs
    pairs = np.bincount(lo * (g + 1) + hi)
    pairs = pairs[pairs > 0]
    assert pairs.size == 15
    assert np.all(np.abs(pairs / 6000 - 1 / 15) < 0.02)


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(0, 5), g=st.integers(0, 8))
def test_two_point_kernel_matches_reference(data, n, g):
    a, b = parents(n, g)
    x = np.array(data.draw(st.lists(st.integers(0, g), min_size=n, max_size=n)), dtype=np.int64)
    y = np.array(data.draw(st.lists(st.integers(0, g), min_size=n, max_size=n)), dtype=np.int64)
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    assert np.array_equal(crossover._two_point(a, b, lo, hi), naive.two_point(a, b, lo, hi))


@pytest.mark.parametrize("p", [0.5, 0.8])
def test_neurons_keeps_units_whole(p):
    g, u = 40, 7
    lay = layout_for(g, u, seed=5)
    a, b = parents(2000, g)
    child = crossover.neurons(a, b, rng(), layout=lay, p=p)
    from_a = child > 0
    assert np.all(from_a | (child < 0))
    unit_from_a = np.zeros((2000, u), dtype=bool)
    for k in range(u):  # every gene of unit k agrees with the unit's first gene
        genes = np.flatnonzero(lay.units == k)
        assert np.all(from_a[:, genes] == from_a[:, genes[:1]])
        unit_from_a[:, k] = from_a[:, genes[0]]
    assert abs(unit_from_a.mean() - p) < 0.02
    # units are chosen independently: some child mixes both parents
    assert np.any(unit_from_a.any(axis=1) & ~unit_from_a.all(axis=1))


def test_neurons_with_unused_units_and_layout_errors():
    a, b = parents(3, 4)
    lay = SimpleNamespace(units=np.array([0, 0, 3, 3]), num_units=5)
    child = crossover.neurons(a, b, rng(), layout=lay)
    assert np.all((child[:, 0] == a[:, 0]) == (child[:, 1] == a[:, 1]))
    with pytest.raises(ValueError, match="attributes units"):
        crossover.neurons(a, b, rng(), layout=object())
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        crossover.neurons(a, b, rng(), layout=SimpleNamespace(units=np.zeros(5, np.int64), num_units=1))
    with pytest.raises(ValueError, match="lie in"):
        crossover.neurons(a, b, rng(), layout=SimpleNamespace(units=np.array([0, 1, 2, 3]), num_units=3))
    with pytest.raises(ValueError, match="integers"):
        crossover.neurons(a, b, rng(), layout=SimpleNamespace(units=np.zeros(4), num_units=1))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_blend_stays_in_its_interval_and_fills_it(alpha):
    r = rng(2)
    a = r.normal(size=(4000, 3)).astype(np.float32)
    b = r.normal(size=(4000, 3)).astype(np.float32)
    child = crossover.blend(a, b, rng(), alpha=alpha).astype(np.float64)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    d = np.abs(a64 - b64)
    lo = np.minimum(a64, b64) - alpha * d
    hi = np.maximum(a64, b64) + alpha * d
    tol = 1e-6 * (1 + np.abs(lo) + np.abs(hi))
    assert np.all(child >= lo - tol) and np.all(child <= hi + tol)
    t = (child - lo) / np.where(hi > lo, hi - lo, 1.0)  # position in the interval: U(0, 1)
    assert abs(t.mean() - 0.5) < 0.02 and abs(t.var() - 1 / 12) < 0.01
    assert t.min() < 0.01 and t.max() > 0.99


def test_blend_of_identical_parents_is_the_parent():
    a = rng().normal(size=(5, 4))
    assert np.array_equal(crossover.blend(a, a.copy(), rng(), alpha=0.7), a)


def test_sbx_keeps_the_pair_mean_in_expectation():
    a = np.array([[0.0, 1.0, -2.0, 5.0]])
    b = np.array([[1.0, 1.0, 3.0, -5.0]])
    reps = 20000
    kids = crossover.sbx(np.repeat(a, reps, 0), np.repeat(b, reps, 0), rng(), eta=2.0)
    mean = 0.5 * (a + b)[0]
    sd = kids.std(axis=0)
    assert np.all(np.abs(kids.mean(axis=0) - mean) <= 5 * sd / np.sqrt(reps) + 1e-12)
    assert np.all(kids[:, 1] == 1.0)  # equal parent genes stay put
    # half the children fall between the parents (beta <= 1), half outside
    inside = np.abs(kids - mean) <= 0.5 * np.abs(a - b)
    assert np.all(np.abs(inside[:, [0, 2, 3]].mean(axis=0) - 0.5) < 0.02)


def test_sbx_children_pair_sum_to_parents():
    r = rng(4)
    a, b = r.normal(size=(50, 6)), r.normal(size=(50, 6))
    u = r.random((50, 6))
    c1 = crossover._sbx(a, b, u, np.ones((50, 6), bool), 15.0)
    c2 = crossover._sbx(a, b, u, np.zeros((50, 6), bool), 15.0)
    assert np.allclose(c1 + c2, a + b)


def test_sbx_large_eta_stays_close():
    a, b = parents(500, 10)
    child = crossover.sbx(a, b, rng(), eta=1e6)
    near = np.minimum(np.abs(child - a), np.abs(child - b))
    assert near.max() < 0.01 * np.abs(a - b).max()


@settings(max_examples=50, deadline=None)
@given(
    a=hnp.arrays(np.float64, (3, 4), elements=st.floats(-10, 10)),
    b=hnp.arrays(np.float64, (3, 4), elements=st.floats(-10, 10)),
    # u near 1 makes beta huge and the reference's (1 +/- beta) form cancel badly
    u=hnp.arrays(np.float64, (3, 4), elements=st.floats(0, 0.999)),
    first=hnp.arrays(np.bool_, (3, 4)),
    eta=st.floats(0, 100),
)
def test_sbx_kernel_matches_reference(a, b, u, first, eta):
    assert np.allclose(crossover._sbx(a, b, u, first, eta), naive.sbx(a, b, u, first, eta), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arithmetic_is_one_convex_combination_per_child(dtype):
    r = rng(6)
    a = r.normal(size=(3000, 5)).astype(dtype)
    b = (a + r.uniform(0.5, 2.0, size=(3000, 5))).astype(dtype)  # b > a
    child = crossover.arithmetic(a, b, rng())
    assert np.all(child >= a) and np.all(child <= b)
    w = (child.astype(np.float64) - b) / (a.astype(np.float64) - b)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.all(np.ptp(w, axis=1) < tol)  # one weight per child
    assert abs(w[:, 0].mean() - 0.5) < 0.02


@settings(max_examples=60, deadline=None)
@given(
    a=hnp.arrays(np.float32, (4, 3), elements=st.floats(-BIG32, BIG32, width=32)),
    b=hnp.arrays(np.float32, (4, 3), elements=st.floats(-BIG32, BIG32, width=32)),
    seed=st.integers(0, 2**32 - 1),
)
def test_arithmetic_between_parents_exactly(a, b, seed):
    child = crossover.arithmetic(a, b, rng(seed))
    assert np.all(child >= np.minimum(a, b)) and np.all(child <= np.maximum(a, b))
