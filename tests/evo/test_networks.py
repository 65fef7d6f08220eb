import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evo import MLP
from evo.networks.mlp import ACTIVATIONS


def reference_forward(net, genome, x):
    """Slow, obviously-correct forward pass in float64 straight from the documented gene order."""
    acts = {
        "linear": lambda v: v,
        "tanh": np.tanh,
        "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "relu": lambda v: np.maximum(v, 0.0),
        "step": lambda v: (v > 0).astype(np.float64),
    }
    g = 0
    h = np.asarray(x, dtype=np.float64)
    for n_in, n_out, act in zip(net.sizes[:-1], net.sizes[1:], net.activations):
        # weights input by input (w(j, i) at g + i * n_out + j), then the biases
        new = np.empty(n_out)
        for j in range(n_out):
            new[j] = sum(float(genome[g + i * n_out + j]) * h[i] for i in range(n_in))
            new[j] += float(genome[g + n_in * n_out + j])
        g += n_in * n_out + n_out
        h = acts[act](new)
    assert g == len(genome)
    return h


# derandomize: the same 6 shapes every session, so their forward kernels load from the cache
@settings(max_examples=6, deadline=None, derandomize=True)  # each shape compiles a forward pass
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5),
    acts=st.lists(st.sampled_from([a for a in ACTIVATIONS if a != "step"]), min_size=4, max_size=4),
    P=st.integers(1, 70),
    seed=st.integers(0, 2**31),
)
def test_forward_matches_reference(sizes, acts, P, seed):
    net = MLP(sizes, activations=acts[:len(sizes) - 1])
    rng = np.random.default_rng(seed)
    genomes = net.init(rng, P)
    obs = rng.normal(0, 1, (P, sizes[0])).astype(np.float32)
    out = net.forward(genomes, obs)
    assert out.shape == (P, sizes[-1]) and out.dtype == np.float32
    ref = np.array([reference_forward(net, genomes[p], obs[p]) for p in range(P)])
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_step_activation_thresholds():
    net = MLP([1, 1], output="step")
    genomes = np.array([[1.0, 0.0]] * 3, dtype=np.float32)  # out = step(x)
    obs = np.array([[-0.5], [0.0], [0.25]], dtype=np.float32)
    np.testing.assert_array_equal(net.forward(genomes, obs)[:, 0], [0.0, 0.0, 1.0])


def test_num_params_and_layout():
    net = MLP([4, 16, 2])
    assert net.num_params == 4 * 16 + 16 + 16 * 2 + 2 == 114
    lay = net.layout
    assert lay.num_units == 18 and lay.units.shape == (114,)
    # every unit owns its fan-in weights plus one bias
    counts = np.bincount(lay.units)
    np.testing.assert_array_equal(counts, [5] * 16 + [17] * 2)
    g = np.arange(114, dtype=np.float32)
    assert lay.weights(g, 0).shape == (16, 4) and lay.biases(g, 0).shape == (16,)
    # layer 0: w(j, i) at i * 16 + j, biases at 64..79; layer 1 starts at 80
    assert lay.weights(g, 0)[3, 2] == 2 * 16 + 3 and lay.biases(g, 0)[0] == 64
    assert lay.weights(g, 1)[1, 0] == 81 and lay.biases(g, 1)[-1] == 113
    # units agree with the views: the genes of neuron j are row j of W and bias j
    for k, first in ((0, 0), (1, 16)):
        for j in range(lay.sizes[k + 1]):
            genes = np.flatnonzero(lay.units == first + j)
            expected = np.concatenate([lay.weights(g, k)[j], [lay.biases(g, k)[j]]])
            np.testing.assert_array_equal(np.sort(g[genes]), np.sort(expected))


def test_weights_view_matches_forward():
    net = MLP([3, 5, 2], output="linear")
    rng = np.random.default_rng(1)
    g = net.init(rng, 1)
    x = rng.normal(size=(1, 3)).astype(np.float32)
    h = np.tanh(net.layout.weights(g[0], 0) @ x[0] + net.layout.biases(g[0], 0))
    y = net.layout.weights(g[0], 1) @ h + net.layout.biases(g[0], 1)
    np.testing.assert_allclose(net.forward(g, x)[0], y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scheme,expected_std", [("normal", 1.0), ("glorot", np.sqrt(2 / (50 + 30))),
                                                 ("he", np.sqrt(2 / 50))])
def test_init_schemes(scheme, expected_std):
    net = MLP([50, 30], init=scheme)
    g = net.init(np.random.default_rng(0), 200)
    assert g.dtype == np.float32 and g.shape == (200, net.num_params)
    w = np.stack([net.layout.weights(row, 0) for row in g])
    assert abs(w.std() / expected_std - 1) < 0.02
    b = np.stack([net.layout.biases(row, 0) for row in g])
    assert (b.std() > 0.5) == (scheme == "normal")


def test_init_is_seeded():
    net = MLP([4, 8, 2])
    a = net.init(np.random.default_rng(3), 10)
    b = net.init(np.random.default_rng(3), 10)
    np.testing.assert_array_equal(a, b)


def test_act_discrete_and_continuous():
    net = MLP([2, 3], output="linear")
    g = np.zeros((2, net.num_params), np.float32)
    net.layout.biases(g[0], 0)[:] = [0.1, 0.9, 0.5]
    net.layout.biases(g[1], 0)[:] = [0.7, 0.7, -3.0]  # tie: the first wins
    obs = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(net.act(g, obs, 3), [1, 0])
    cont = net.act(g, obs, None)
    assert cont.shape == (2, 3)
    np.testing.assert_allclose(cont, np.tanh([[0.1, 0.9, 0.5], [0.7, 0.7, -3.0]]), atol=1e-6)


def test_fast_tanh_close_to_libm():
    net = MLP([1, 1], output="linear", hidden="tanh", activations=["tanh"])
    x = np.linspace(-12, 12, 5001, dtype=np.float32)[:, None]
    g = np.tile(np.array([[1.0, 0.0]], np.float32), (len(x), 1))
    y = net.forward(g, x)[:, 0]
    assert np.abs(y - np.tanh(x[:, 0].astype(np.float64))).max() < 1e-6
    assert np.all(np.abs(y) <= 1.0)


@pytest.mark.parametrize("bad", [dict(sizes=[4]), dict(sizes=[4, 0, 2]), dict(sizes=[4, 2], hidden="gelu", output="gelu"),
                                 dict(sizes=[4, 2], init="xavier2")])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        MLP(**bad)


def test_forward_checks_shapes():
    net = MLP([4, 2])
    with pytest.raises(ValueError, match="genomes"):
        net.forward(np.zeros((3, 7), np.float32), np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="obs"):
        net.forward(np.zeros((3, 10), np.float32), np.zeros((2, 4), np.float32))


def test_parallel_and_serial_paths_agree_bit_for_bit():
    from evo.networks.mlp import PARALLEL_MIN_WORK
    net = MLP([6, 12, 3])
    P = PARALLEL_MIN_WORK // net.num_params + 100  # large enough for the parallel kernel
    rng = np.random.default_rng(4)
    genomes = net.init(rng, P)
    obs = rng.normal(size=(P, 6)).astype(np.float32)
    whole = net.forward(genomes, obs)
    pieces = np.concatenate([net.forward(genomes[i:i + 50], obs[i:i + 50]) for i in range(0, P, 50)])
    np.testing.assert_array_equal(whole, pieces)
