"""Tests for evo.operators.mutation: contract, rates, distributions, bounds, schedules."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import naive  # noqa: E402

from evo import mutation  # noqa: E402

PLAIN = ["gaussian", "polynomial", "reset"]  # signature f(genomes, rng, **kw)


def rng(seed=0):
    return np.random.default_rng(seed)


def genomes(n, g, dtype=np.float64, seed=1, scale=0.5):
    return (rng(seed).uniform(-scale, scale, (n, g))).astype(dtype)


def loud(name):
    """Settings that change most genes, so determinism checks are meaningful."""
    return {"gaussian": {"rate": 0.5}, "reset": {"rate": 0.5}, "polynomial": {"rate": 0.5}}[name]


# --------------------------------------------------------------------------
# contract
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", PLAIN)
def test_shape_dtype_untouched_deterministic(name, dtype):
    x = genomes(5, 12, dtype)
    x0 = x.copy()
    op = mutation.get(name)
    y = op(x, rng(3), **loud(name))
    assert y.shape == x.shape and y.dtype == dtype
    assert np.array_equal(x, x0) and not np.shares_memory(x, y)
    assert np.array_equal(y, op(x, rng(3), **loud(name)))
    assert not np.array_equal(y, op(x, rng(4), **loud(name)))


@pytest.mark.parametrize("name", PLAIN)
@pytest.mark.parametrize("shape", [(0, 4), (3, 0), (0, 0), (1, 1)])
def test_empty_and_tiny(name, shape):
    y = mutation.get(name)(genomes(*shape, np.float32), rng())
    assert y.shape == shape and y.dtype == np.float32


@pytest.mark.parametrize("name", PLAIN)
def test_validation(name):
    op = mutation.get(name)
    with pytest.raises(ValueError, match="floating"):
        op(np.ones((2, 3), dtype=np.int64), rng())
    with pytest.raises(ValueError, match=r"shape \(n, G\)"):
        op(np.ones(3), rng())
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError, match="rate"):
            op(np.ones((2, 3)), rng(), rate=bad)
    with pytest.raises(TypeError, match="Generator"):
        op(np.ones((2, 3)), np.random.RandomState(0))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 6),
    g=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(PLAIN),
    dtype=st.sampled_from([np.float32, np.float64]),
    rate=st.floats(0, 1),
)
def test_property_contract(n, g, seed, name, dtype, rate):
    x = genomes(n, g, dtype, seed=seed % 1000)
    x0 = x.copy()
    y = mutation.get(name)(x, rng(seed), rate=rate)
    assert y.shape == (n, g) and y.dtype == dtype and np.all(np.isfinite(y))
    assert np.array_equal(x, x0)
    if rate == 0:
        assert np.array_equal(x, y)


# --------------------------------------------------------------------------
# gaussian
# --------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.3, 1.0])
def test_gaussian_touches_about_rate_of_genes(rate):
    x = genomes(200, 100)
    y = mutation.gaussian(x, rng(), sigma=0.1, rate=rate)
    changed = (y != x).mean()  # 20000 genes: sd <= 0.0036
    assert abs(changed - rate) < 0.015
    if rate in (0.0, 1.0):
        assert changed == rate


def test_gaussian_noise_has_sigma():
    x = np.zeros((400, 100))
    d = mutation.gaussian(x, rng(), sigma=0.3, rate=1.0)
    assert abs(d.mean()) < 0.01 and abs(d.std() - 0.3) < 0.01


def test_gaussian_per_individual_and_per_gene_sigma():
    n, g = 4, 20000
    sig = np.array([0.0, 0.01, 0.5, 2.0])
    d = mutation.gaussian(np.zeros((n, g), np.float32), rng(), sigma=sig, rate=1.0)
    assert np.allclose(d.std(axis=1), sig, rtol=0.03)
    per_gene = np.tile(np.array([0.1, 1.0]), (n, g // 2))
    d = mutation.gaussian(np.zeros((n, g)), rng(), sigma=per_gene, rate=1.0)
    assert np.allclose([d[:, 0::2].std(), d[:, 1::2].std()], [0.1, 1.0], rtol=0.03)


def test_gaussian_sigma_validation():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="sigma must be a scalar"):
        mutation.gaussian(x, rng(), sigma=np.ones(4))
    with pytest.raises(ValueError, match="sigma must be a scalar"):
        mutation.gaussian(x, rng(), sigma=np.ones((4, 3)))
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        mutation.gaussian(x, rng(), sigma=-0.1)


# --------------------------------------------------------------------------
# reset
# --------------------------------------------------------------------------


def test_reset_redraws_about_rate_with_the_right_scale():
    x = np.full((300, 100), 100.0, dtype=np.float32)  # far from N(0, scale^2)
    y = mutation.reset(x, rng(), rate=0.2, scale=0.5)
    new = y != 100.0
    assert abs(new.mean() - 0.2) < 0.015
    v = y[new].astype(np.float64)
    assert abs(v.mean()) < 0.03 and abs(v.std() - 0.5) < 0.02


def test_reset_scale_validation():
    with pytest.raises(ValueError, match="scale"):
        mutation.reset(np.zeros((2, 2)), rng(), scale=-1.0)


# --------------------------------------------------------------------------
# polynomial
# --------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    x=hnp.arrays(np.float64, (4, 5), elements=st.floats(-1, 1)),
    eta=st.floats(0, 200),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_polynomial_stays_within_bounds(x, eta, seed, dtype):
    y = mutation.polynomial(x.astype(dtype), rng(seed), eta=eta, rate=1.0)
    assert np.all(y >= -1.0) and np.all(y <= 1.0)


def test_polynomial_per_gene_bounds():
    low = np.array([0.0, -10.0, 5.0])
    high = np.array([1.0, 10.0, 5.5])
    x = np.tile((low + high) / 2, (3000, 1))
    y = mutation.polynomial(x, rng(), eta=1.0, low=low, high=high, rate=1.0)
    assert np.all(y >= low) and np.all(y <= high)
    # spread scales with the range; symmetric around the centre
    spread = np.abs(y - x).mean(axis=0) / (high - low)
    assert np.allclose(spread, spread[0], rtol=0.1)
    assert np.all(np.abs((y - x).mean(axis=0) / (high - low)) < 0.01)


def test_polynomial_default_rate_is_one_over_g():
    x = genomes(2000, 25)
    changed = (mutation.polynomial(x, rng()) != x).sum(axis=1)
    assert abs(changed.mean() - 1.0) < 0.06


def test_polynomial_eta_controls_the_step():
    x = np.zeros((5000, 4))
    small = np.abs(mutation.polynomial(x, rng(), eta=100.0, rate=1.0)).mean()
    large = np.abs(mutation.polynomial(x, rng(), eta=1.0, rate=1.0)).mean()
    assert small < 0.02 < 0.2 < large


def test_polynomial_clips_out_of_bounds_genes_it_mutates():
    x = np.array([[5.0, -5.0]])
    y = mutation.polynomial(x, rng(), rate=1.0)
    assert np.all(np.abs(y) <= 1.0)
    assert np.array_equal(mutation.polynomial(x, rng(), rate=0.0), x)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    k=st.integers(0, 8),
    eta=st.floats(0, 100),
)
def test_polynomial_kernel_matches_reference(data, k, eta):
    low = np.array(data.draw(st.lists(st.floats(-5, 4), min_size=k, max_size=k)))
    high = low + np.array(data.draw(st.lists(st.floats(0.01, 5), min_size=k, max_size=k)))
    x = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=k, max_size=k)))
    u = np.array(data.draw(st.lists(st.floats(0, 1, exclude_max=True), min_size=k, max_size=k)))
    got = mutation._polynomial(x, u, low, high, eta)
    assert np.allclose(got, naive.polynomial(x, u, low, high, eta), rtol=1e-12, atol=1e-12)


def test_polynomial_validation():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="low must be < high"):
        mutation.polynomial(x, rng(), low=1.0, high=1.0)
    with pytest.raises(ValueError, match=r"low must be a scalar or have shape \(3,\)"):
        mutation.polynomial(x, rng(), low=np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        mutation.polynomial(x, rng(), high=np.inf)
    with pytest.raises(ValueError, match="eta"):
        mutation.polynomial(x, rng(), eta=-1.0)


# --------------------------------------------------------------------------
# self-adaptive
# --------------------------------------------------------------------------


@pytest.mark.parametrize("per_gene", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_self_adaptive_contract(per_gene, dtype):
    x = genomes(6, 9, dtype)
    s = np.full((6, 9) if per_gene else (6,), 0.2, dtype=dtype)
    x0, s0 = x.copy(), s.copy()
    y, s2 = mutation.self_adaptive(x, s, rng(5))
    assert y.shape == x.shape and y.dtype == dtype
    assert s2.shape == s.shape and s2.dtype == dtype
    assert np.array_equal(x, x0) and np.array_equal(s, s0)
    y_again, s_again = mutation.self_adaptive(x, s, rng(5))
    assert np.array_equal(y, y_again) and np.array_equal(s2, s_again)
    assert np.all(y != x)  # every gene moves


def test_self_adaptive_one_sigma_is_log_normal():
    n, g = 20000, 16
    x = np.zeros((n, g))
    s = np.full(n, 0.5)
    y, s2 = mutation.self_adaptive(x, s, rng())
    log_ratio = np.log(s2 / s)
    assert abs(log_ratio.mean()) < 0.01
    assert abs(log_ratio.std() - 1 / math.sqrt(g)) < 0.01  # tau_prime = 1/sqrt(G)
    z = y / s2[:, None]  # the step uses the new sigma
    assert abs(z.std() - 1.0) < 0.01


def test_self_adaptive_per_gene_sigmas_are_log_normal():
    n, g = 4000, 25
    s = np.full((n, g), 0.5)
    _, s2 = mutation.self_adaptive(np.zeros((n, g)), s, rng())
    lr = np.log(s2 / s)
    tp, t = 1 / math.sqrt(2 * g), 1 / math.sqrt(2 * math.sqrt(g))
    assert abs(lr.std() - math.sqrt(tp**2 + t**2)) < 0.01
    # the shared factor: row means vary by tau_prime^2 + tau^2 / G
    assert abs(lr.mean(axis=1).var() - (tp**2 + t**2 / g)) < 0.1 * (tp**2 + t**2 / g)


def test_self_adaptive_custom_rates():
    s = np.full((3000, 4), 1.0)
    _, s2 = mutation.self_adaptive(np.zeros((3000, 4)), s, rng(), tau=0.0, tau_prime=0.3)
    lr = np.log(s2)
    assert np.allclose(lr, lr[:, :1])  # only the shared factor moves
    assert abs(lr[:, 0].std() - 0.3) < 0.015
    _, same = mutation.self_adaptive(np.zeros((5, 3)), np.full(5, 0.7), rng(), tau_prime=0.0)
    assert np.all(same == 0.7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("per_gene", [False, True])
def test_self_adaptive_sigma_floor(dtype, per_gene):
    shape = (500, 8) if per_gene else (500,)
    s = np.full(shape, 1e-9, dtype=dtype)
    s[:3] = 0.0
    _, s2 = mutation.self_adaptive(np.zeros((500, 8), dtype), s, rng(), min_sigma=1e-5)
    assert np.all(s2 >= 1e-5)
    _, s3 = mutation.self_adaptive(np.zeros((500, 8), dtype), np.full(shape, 1.0, dtype), rng(), min_sigma=0.9)
    assert np.all(s3 >= 0.9) and np.any(s3 > 0.9)


def test_self_adaptive_validation():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"sigmas must have shape \(3,\) or \(3, 4\)"):
        mutation.self_adaptive(x, np.ones(4), rng())
    with pytest.raises(ValueError, match="sigmas must be >= 0"):
        mutation.self_adaptive(x, -np.ones(3), rng())
    with pytest.raises(ValueError, match="sigmas must be >= 0"):
        mutation.self_adaptive(x, np.full(3, np.nan), rng())
    with pytest.raises(ValueError, match="tau applies to per-gene"):
        mutation.self_adaptive(x, np.ones(3), rng(), tau=0.1)
    with pytest.raises(ValueError, match="tau_prime must be >= 0"):
        mutation.self_adaptive(x, np.ones(3), rng(), tau_prime=-0.1)
    with pytest.raises(ValueError, match="min_sigma"):
        mutation.self_adaptive(x, np.ones(3), rng(), min_sigma=-1.0)


def test_self_adaptive_empty():
    y, s = mutation.self_adaptive(np.zeros((0, 3)), np.zeros(0), rng())
    assert y.shape == (0, 3) and s.shape == (0,)
    y, s = mutation.self_adaptive(np.zeros((2, 0)), np.ones((2, 0)), rng())
    assert y.shape == (2, 0) and s.shape == (2, 0)


# --------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------


def test_constant_schedule():
    s = mutation.constant(0.2)
    assert s(0) == 0.2 and s(10**6) == 0.2
    assert s.to_spec() == 0.2


def test_linear_schedule_hits_start_and_end():
    s = mutation.linear(1.0, 0.1, 10)
    assert s(0) == 1.0 and s(10) == 0.1 and s(11) == 0.1 and s(1000) == 0.1
    assert math.isclose(s(5), 0.55)
    values = [s(g) for g in range(12)]
    assert all(x >= y for x, y in zip(values, values[1:]))
    up = mutation.linear(-1.0, 1.0, 4)
    assert up(2) == 0.0 and up(4) == 1.0


def test_exponential_schedule_hits_start_and_end():
    s = mutation.exponential(0.5, 0.05, 100)
    assert s(0) == 0.5 and s(100) == 0.05 and s(500) == 0.05
    assert math.isclose(s(50), math.sqrt(0.5 * 0.05))
    assert math.isclose(s(2) / s(1), s(1) / s(0))  # a constant factor per generation


def test_schedule_call_validation():
    s = mutation.linear(1.0, 0.0, 5)
    with pytest.raises(ValueError, match="generation must be >= 0"):
        s(-1)
    with pytest.raises(ValueError, match="generation must be an integer"):
        s(1.5)
    assert s(np.int64(5)) == 0.0


@pytest.mark.parametrize(
    "spec, at0, at_end",
    [
        (0.3, 0.3, 0.3),
        (2, 2.0, 2.0),
        ({"kind": "constant", "value": 0.4}, 0.4, 0.4),
        ({"kind": "linear", "start": 0.5, "end": 0.1, "generations": 20}, 0.5, 0.1),
        ({"kind": "exponential", "start": 0.5, "end": 0.05, "generations": 100}, 0.5, 0.05),
    ],
)
def test_schedule_from_spec(spec, at0, at_end):
    s = mutation.schedule_from_spec(spec)
    assert s(0) == at0 and s(10**4) == at_end
    assert mutation.schedule_from_spec(s.to_spec()) == s
    assert mutation.schedule_from_spec(s) is s


@pytest.mark.parametrize(
    "spec, message",
    [
        (True, "number or a table"),
        ("0.1", "number or a table"),
        (None, "number or a table"),
        ([0.1], "number or a table"),
        ({"start": 1.0}, "unknown schedule kind None"),
        ({"kind": "cosine", "start": 1.0}, "unknown schedule kind 'cosine'"),
        ({"kind": "linear", "start": 1.0, "end": 0.1}, r"missing \['generations'\]"),
        ({"kind": "linear", "start": 1, "end": 0, "generations": 5, "step": 1}, r"unexpected \['step'\]"),
        ({"kind": "constant", "start": 1.0}, "missing"),
        ({"kind": "linear", "start": 1.0, "end": 0.1, "generations": 0}, "generations must be >= 1"),
        ({"kind": "linear", "start": 1.0, "end": 0.1, "generations": 10.5}, "generations must be an integer"),
        ({"kind": "linear", "start": "1", "end": 0.1, "generations": 10}, "start must be a number"),
        ({"kind": "linear", "start": float("nan"), "end": 0.1, "generations": 10}, "finite"),
        ({"kind": "exponential", "start": 0.5, "end": 0.0, "generations": 10}, "start > 0 and end > 0"),
        ({"kind": "exponential", "start": -0.5, "end": 0.1, "generations": 10}, "start > 0 and end > 0"),
        (float("inf"), "finite"),
    ],
)
def test_schedule_from_spec_rejects_malformed(spec, message):
    with pytest.raises(ValueError, match=message):
        mutation.schedule_from_spec(spec)


def test_one_fifth_rule_updates_and_round_trips_its_spec():
    rule = mutation.schedule_from_spec({"kind": "one_fifth", "start": 0.5, "factor": 0.8})
    assert isinstance(rule, mutation.OneFifth) and rule.target == 0.2
    assert rule.update(1.0, 0.5) == pytest.approx(1.25)
    assert rule.update(1.0, 0.1) == pytest.approx(0.8)
    assert rule.update(1.0, 0.2) == 1.0
    assert mutation.schedule_from_spec(rule.to_spec()) == rule
    assert mutation.one_fifth(0.5, 0.8) == rule
    for bad, message in (({"kind": "one_fifth"}, "missing start"),
                         ({"kind": "one_fifth", "start": 1.0, "size": 2}, "unexpected"),
                         ({"kind": "one_fifth", "start": -1.0}, "start must be in"),
                         ({"kind": "one_fifth", "start": 1.0, "target": 1.0}, "target must be in")):
        with pytest.raises(ValueError, match=message):
            mutation.schedule_from_spec(bad)


def test_bounded_gaussian_repairs_only_the_moved_genes():
    x = np.array([[0.5, 9.0, -0.5]] * 2000, dtype=np.float32)  # 9.0 is outside the box
    out = mutation.gaussian(x, np.random.default_rng(0), sigma=2.0, rate=0.5, low=-1.0, high=1.0,
                            repair="reflect")
    moved = out != x
    assert np.all(np.abs(out[moved]) <= 1.0)
    assert 0.45 < moved[:, 0].mean() < 0.55
    assert np.all(out[~moved[:, 1], 1] == 9.0)  # a gene not picked is left as it is, like polynomial's
