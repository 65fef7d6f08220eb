"""evo.CNN: layout, forward pass against a float64 reference written from the definition, and the fused rollout."""

import numpy as np
import pytest

import envs
import evo
from evo.networks.cnn import CNN
from evo.networks.registry import from_dict


def _act(x, name):
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "step":
        return (x > 0.0).astype(np.float64)
    return x


def reference(net, genome, image):
    """One genome on one (C, H, W) image, in float64, a loop per output value straight from the definition."""
    arrays = [a.astype(np.float64) for a in net.unpack(genome)]
    x = image.astype(np.float64)
    for k, (_, kernel, stride) in enumerate(net.conv):
        w, b = arrays[2 * k], arrays[2 * k + 1]
        out_h = (x.shape[1] - kernel) // stride + 1
        out_w = (x.shape[2] - kernel) // stride + 1
        y = np.zeros((w.shape[0], out_h, out_w))
        for o in range(w.shape[0]):
            for r in range(out_h):
                for c in range(out_w):
                    patch = x[:, r * stride:r * stride + kernel, c * stride:c * stride + kernel]
                    y[o, r, c] = b[o] + np.sum(w[o] * patch)
        x = _act(y, net.hidden)
    h = x.reshape(-1)  # (channel, row, column) order
    dense = arrays[2 * len(net.conv):]
    for k in range(0, len(dense), 2):
        last = k == len(dense) - 2
        h = _act(h @ dense[k] + dense[k + 1], net.output if last else net.hidden)
    return h


SHAPES = [  # each compiles a forward pass: few, covering between them every activation and layer kind
    dict(input_shape=(3, 16, 16), conv=[(8, 4, 2), (16, 3, 1)], dense=[32], outputs=3, hidden="relu"),
    dict(input_shape=(2, 12, 15), conv=[(4, 5, 3), (3, 2, 2)], dense=[7, 5], outputs=4, hidden="tanh",
         output="sigmoid"),
    dict(input_shape=(4, 20, 20), conv=[(6, 3, 2), (5, 3, 2), (4, 2, 1)], dense=[9], outputs=3, hidden="sigmoid"),
    dict(input_shape=(1, 7, 9), conv=[(3, 7, 1)], dense=[], outputs=2, hidden="linear", output="tanh"),
]


@pytest.mark.parametrize("kwargs", SHAPES)
def test_forward_matches_reference(kwargs):
    net = CNN(**kwargs, init="glorot")
    rng = np.random.default_rng(3)
    genomes = net.init(rng, 5)
    genomes[:, :] += rng.normal(0, 0.05, genomes.shape).astype(np.float32)  # biases too
    images = rng.random((5, *net.input_shape)).astype(np.float32)
    out = net.forward(genomes, images)
    assert out.shape == (5, net.outputs) and out.dtype == np.float32
    want = np.array([reference(net, g, x) for g, x in zip(genomes, images)])
    np.testing.assert_allclose(out, want, rtol=2e-4, atol=2e-5)
    # a flattened observation is the same image
    np.testing.assert_array_equal(net.forward(genomes, images.reshape(5, -1)), out)


def test_step_activation_matches_reference_away_from_zero():
    net = CNN((1, 6, 6), [(3, 3, 1)], [5], outputs=2, hidden="step")
    rng = np.random.default_rng(0)
    genomes = net.init(rng, 4)
    images = rng.random((4, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(net.forward(genomes, images),
                               [reference(net, g, x) for g, x in zip(genomes, images)], rtol=1e-4, atol=1e-5)


def test_layout_and_unpack():
    net = evo.CNN(input_shape=(3, 16, 16), conv=[(8, 4, 2), (16, 3, 2)], dense=[32], outputs=3)
    # conv (3*16+1)*8, maps 8x7x7; conv (8*9+1)*16, maps 16x3x3; dense 144*32+32; out 33*3
    assert net.num_params == 49 * 8 + 73 * 16 + 145 * 32 + 33 * 3
    assert net.layout.sizes == (144, 32, 3)
    genome = np.arange(net.num_params, dtype=np.float32)
    arrays = net.unpack(genome)
    assert [a.shape for a in arrays] == [(8, 3, 4, 4), (8,), (16, 8, 3, 3), (16,), (144, 32), (32,), (32, 3), (3,)]
    assert sum(a.size for a in arrays) == net.num_params
    assert np.array_equal(np.sort(np.concatenate([a.ravel() for a in arrays])), genome)  # every gene once
    # input-major storage: w[o, i, u, v] at ((i * k + u) * k + v) * out + o
    assert arrays[0][5, 2, 1, 3] == ((2 * 4 + 1) * 4 + 3) * 8 + 5
    assert arrays[1][0] == 3 * 16 * 8
    # units: a channel's kernel and bias are one unit
    units = net.layout.units
    assert units.shape == (net.num_params,) and net.layout.num_units == 8 + 16 + 32 + 3
    assert set(units[:3 * 16 * 8 + 8]) == set(range(8)) and units[5] == 5


def test_init_scales_and_round_trip():
    net = CNN((2, 10, 10), [(16, 3, 1)], [20], outputs=3, init="he")
    genomes = net.init(np.random.default_rng(0), 200)
    conv_w = genomes[:, :2 * 9 * 16]
    assert abs(conv_w.std() - np.sqrt(2.0 / 18)) < 0.02
    assert np.all(genomes[:, 2 * 9 * 16:2 * 9 * 16 + 16] == 0.0)  # biases
    again = from_dict(net.to_dict())
    assert repr(again) == repr(net) and again.num_params == net.num_params
    for a, b in zip(again.unpack(genomes[0]), net.unpack(genomes[0])):  # the same layout, gene for gene
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, words", [
    (dict(input_shape=(3, 16), conv=[(4, 3, 1)]), "input_shape"),
    (dict(input_shape=(3, 8, 8), conv=[]), "at least one"),
    (dict(input_shape=(3, 8, 8), conv=[(4, 9, 1)]), "does not fit"),
    (dict(input_shape=(3, 8, 8), conv=[(4, 3)]), "channels, kernel, stride"),
    (dict(input_shape=(3, 8, 8), conv=[(4, 3, 1)], hidden="softmax"), "unknown hidden activation"),
    (dict(input_shape=(3, 8, 8), conv=[(4, 3, 1)], init="xavier"), "unknown init"),
])
def test_bad_shapes_are_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        CNN(**kwargs)


def test_bad_forward_input():
    net = CNN((1, 8, 8), [(2, 3, 1)], outputs=2)
    genomes = net.init(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="obs must have shape"):
        net.forward(genomes, np.zeros((2, 1, 8, 7), np.float32))
    with pytest.raises(ValueError, match="genomes must have shape"):
        net.forward(genomes[:, 1:], np.zeros((2, 1, 8, 8), np.float32))


def test_large_population_parallel_equals_serial():
    net = CNN(**SHAPES[1])  # a forward pass test_forward_matches_reference compiles
    rng = np.random.default_rng(5)
    genomes = net.init(rng, 300)
    images = rng.random((300, *net.input_shape)).astype(np.float32)
    parallel = net.forward(genomes, images)
    serial = np.concatenate([net.forward(genomes[i:i + 10], images[i:i + 10]) for i in range(0, 300, 10)])
    np.testing.assert_array_equal(parallel, serial)


@pytest.fixture(scope="module")
def pixel_pong():
    env = envs.make("pong", obs="pixels")
    net = CNN(env.obs_shape, [(4, 4, 2), (8, 3, 2)], [8], outputs=env.num_outputs)
    genomes = net.init(np.random.default_rng(2), 24)
    genomes[:, :] += np.random.default_rng(3).normal(0, 0.1, genomes.shape).astype(np.float32)
    return env, net, genomes


def test_fused_rollout_equals_stepwise_play(pixel_pong):
    from envs.core import play
    env, net, genomes = pixel_pong
    fused = evo.rollout(env, net, genomes, episodes=2, seed=5)
    returns, steps = play(env, net, genomes[:6], 2, 5)
    assert np.array_equal(fused.returns[:6], returns) and np.array_equal(fused.steps[:6], steps)
    assert len(set(fused.returns.ravel())) > 1  # the genomes play differently


@pytest.mark.parametrize("kernel", ["agent", "lockstep"])
def test_fused_rollout_is_the_same_on_any_thread_count(kernel, pixel_pong):
    import numba
    env, net, genomes = pixel_pong
    most = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = evo.rollout(env, net, genomes, episodes=2, seed=9, kernel=kernel)
    finally:
        numba.set_num_threads(most)
    many = evo.rollout(env, net, genomes, episodes=2, seed=9, kernel=kernel)
    assert np.array_equal(one.returns, many.returns) and np.array_equal(one.steps, many.steps)


def test_the_lockstep_kernel_plays_a_deep_cnn_as_the_agent_kernel(pixel_pong):
    # two convolutions (the second reads the first's channel-last maps) and two dense layers
    from evo.kernels.play import choose_kernel
    env, net, genomes = pixel_pong
    agent = evo.rollout(env, net, genomes, episodes=2, seed=9, kernel="agent")
    lockstep = evo.rollout(env, net, genomes, episodes=2, seed=9, kernel="lockstep")
    assert np.array_equal(lockstep.returns, agent.returns) and np.array_equal(lockstep.steps, agent.steps)
    # from 128 pairs on it pays (docs/cnn.md), whatever the game's limit; fewer play per agent
    assert choose_kernel(net, "auto", env, 128) == "lockstep" and choose_kernel(net, "auto", env, 127) == "agent"


@pytest.fixture(scope="module")
def pixel_presets():
    """Each pixel game with its pixel preset's CNN, and 37 genomes of it (74 pairs: a part block at the end)."""
    from evo.runs.config import default_config
    from evo.runs.driver import network
    games = {}
    for name in ("pong", "snake", "flappy"):
        config = default_config(name, obs="pixels").validate()
        env = envs.make(name, obs="pixels", level=config.level)
        net = network(config, env)
        genomes = net.init(np.random.default_rng(1), 37)
        genomes += np.random.default_rng(2).normal(0, 0.1, genomes.shape).astype(np.float32)
        games[name] = env, net, genomes
    return games


@pytest.mark.parametrize("name", ["pong", "snake", "flappy"])
def test_the_lockstep_kernel_plays_each_pixel_preset_to_the_bit(name, pixel_presets):
    from evo.kernels.play import choose_kernel
    env, net, genomes = pixel_presets[name]
    assert isinstance(net, CNN)
    agent = evo.rollout(env, net, genomes, episodes=2, seed=3, kernel="agent")
    lockstep = evo.rollout(env, net, genomes, episodes=2, seed=3, kernel="lockstep")
    np.testing.assert_array_equal(lockstep.returns, agent.returns)
    np.testing.assert_array_equal(lockstep.steps, agent.steps)
    assert len(np.unique(agent.steps)) > 1  # episodes of several lengths: lanes refilled mid-block
    assert choose_kernel(net, "auto", env, 160) == "lockstep"  # flappy's own limit (512) is for its MLP


@pytest.mark.parametrize("width", [8, 16])
def test_every_lane_width_plays_a_cnn_as_the_agent_kernel(width, pixel_presets, monkeypatch):
    import sys
    from evo.kernels import lanes, play
    env, net, genomes = pixel_presets["pong"]
    agent = evo.rollout(env, net, genomes, episodes=2, seed=4, kernel="agent")
    monkeypatch.setattr(lanes, "LANES", width)
    lockstep = evo.rollout(env, net, genomes, episodes=2, seed=4, kernel="lockstep")
    np.testing.assert_array_equal(lockstep.returns, agent.returns)
    np.testing.assert_array_equal(lockstep.steps, agent.steps)
    kernel = play._lockstep_kernel(env, net, False)
    assert sys.modules[kernel.py_func.__module__]._LANES == width


# -- runs from pixels through the command line ------------------------------------------------------

# the network of the pixel_pong fixture (the same kernel), few episodes everywhere
RUN_TOML = '''\
conv = [[4, 4, 2], [8, 3, 2]]
hidden = [8]
pop_size = 8
episodes = 1
validation_episodes = 4
test_episodes = 6
'''


@pytest.fixture(scope="module")
def pixel_run(tmp_path_factory):
    from evo.cli import main
    base = tmp_path_factory.mktemp("cnn")
    (base / "run.toml").write_text(RUN_TOML)
    out = base / "pong"
    assert main(["run", "pong", "--obs", "pixels", "--config", str(base / "run.toml"), "--generations", "3",
                 "--seed", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_a_pixel_run_keeps_its_network_and_plays_again(pixel_run, tmp_path, capsys):
    from evo.cli import main
    from evo.runs.rundir import load_champion
    config = (pixel_run / "config.toml").read_text()
    assert 'obs = "pixels"' in config and 'network = "cnn"' in config and "conv = [" in config
    champion = load_champion(pixel_run)
    assert isinstance(champion.net, CNN) and champion.env.obs_shape == envs.make("pong", obs="pixels").obs_shape
    assert champion.net.conv == ((4, 4, 2), (8, 3, 2)) and champion.net.dense == (8,)
    capsys.readouterr()
    assert main(["eval", str(pixel_run), "--episodes", "3"]) == 0
    assert "over 3 episodes" in capsys.readouterr().out
    # two generations, then resumed to the third: the same generations as the run played at once (the
    # tests differ: a run tests its champion when it ends, each test on episodes of its own)
    import shutil
    (tmp_path / "run.toml").write_text(RUN_TOML)
    part = tmp_path / "part"
    assert main(["run", "pong", "--obs", "pixels", "--config", str(tmp_path / "run.toml"), "--generations", "2",
                 "--seed", "2", "--out", str(part), "--quiet"]) == 0
    assert main(["run", "--resume", str(part), "--generations", "3", "--quiet"]) == 0
    def trained(run):
        return [line.split(",")[:7] for line in (run / "log.csv").read_text().splitlines()]
    assert trained(part) == trained(pixel_run)
    shutil.rmtree(part)


def test_feature_runs_write_no_pixel_settings():
    from evo.runs.config import default_config
    text = default_config("pong").validate().to_toml()
    assert "obs" not in text and "conv" not in text
    pixels = default_config("pong", obs="pixels").validate()
    assert (pixels.network, pixels.obs, pixels.activation) == ("cnn", "pixels", "relu") and pixels.conv


def _tamper(run, tmp_path, change):
    import shutil
    from evo.runs.rundir import load_npz, save_npz
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    d = load_npz(copy / "champion.npz", "champion")
    change(d)
    save_npz(copy / "champion.npz", d)
    return copy


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(network=np.array(str(d["network"]).replace("[4, 4, 2]", "[4, 5, 2]"))),
     "disagree with its config"),
    (lambda d: d.update(genome=d["genome"][:-1]), "'genome' must be float32 of shape"),
    (lambda d: d.update(config=np.array(str(d["config"]).replace('obs = "pixels"', 'obs = "features"'))),
     "a cnn network reads images"),
    (lambda d: d.update(config=np.array(str(d["config"]).replace("conv = [", "conv = [[0, 1, 1], "))),
     "conv must be a list of"),
])
def test_a_tampered_pixel_champion_is_refused(change, message, pixel_run, tmp_path, capsys):
    from evo.cli import main
    copy = _tamper(pixel_run, tmp_path, change)
    capsys.readouterr()
    assert main(["eval", str(copy)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["run", "pong", "--network", "cnn"], "a cnn network reads images"),
    (["run", "cartpole", "--obs", "pixels"], "cartpole has no pixel observation"),
])
def test_bad_pixel_requests_are_one_line(args, message, capsys):
    from evo.cli import main
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_ray_actor_remakes_the_pixel_game(pixel_pong):
    from evo.ray.actor import game_key, make_game
    env, net, genomes = pixel_pong
    key, game = game_key(env, net)
    again, same_net = make_game(game)
    assert again.obs == "pixels" and again.obs_shape == env.obs_shape and again.module is env.module
    assert repr(same_net) == repr(net)
    assert game_key(envs.make("pong"), net)[0] != key  # the feature game is another pair


def test_other_networks_from_pixels_drop_the_presets_convolutions():
    from evo.runs.config import default_config
    mlp = default_config("pong", obs="pixels", network="mlp").validate()
    assert (mlp.network, mlp.conv, mlp.obs) == ("mlp", [], "pixels")
    assert mlp.hidden == envs.pixels.preset(envs.make("pong").module)["hidden"]  # the preset's dense layers
