"""``neuroevo export``: JSON, a numpy-only policy.py whose actions are the package's to the bit, and ONNX."""

import importlib.util
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import evo
from evo.cli import main
from evo.runs.config import RunConfig, default_config
from evo.runs.driver import Evolution
from evo.runs.rundir import champion_arrays, save_npz

# (name, game, settings): every network kind, discrete and continuous games, every activation
KINDS = [
    ("mlp", "cartpole", {}),
    ("mlp-activations", "pendulum", {"hidden": [6, 5], "activation": "relu", "output": "sigmoid"}),
    ("mlp-step", "acrobot", {"hidden": [7], "activation": "step", "output": "tanh"}),
    ("elman", "cartpole", {"network": "elman", "hidden": [6], "activation": "sigmoid"}),
    ("gru", "pendulum", {"network": "gru", "hidden": [5]}),
    ("lstm", "acrobot", {"network": "lstm", "hidden": [5, 4]}),
]


def _champion(tmp_path, name, game, settings, seed=0):
    """A run directory holding only a champion.npz: a random genome (biases too) of the run's network."""
    config = RunConfig.from_dict({**settings, "generations": 1}, base=default_config(game))
    run = Evolution(config)
    run.champion = np.random.default_rng(seed).normal(0.0, 1.0, run.net.num_params).astype(np.float32)
    run.champion_score = 1.5
    d = tmp_path / name
    d.mkdir()
    save_npz(d / "champion.npz", champion_arrays(run))
    return d, run


def _load(path, name):
    spec = importlib.util.spec_from_file_location(f"exported_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _observations(env, n=40, seed=1):
    return (np.random.default_rng(seed).normal(0.0, 3.0, (n, env.obs_size))).astype(np.float32)


def _package(run, obs):
    """The package's outputs and actions for a sequence of observations, one episode."""
    net, genome, discrete = run.net, run.champion, run.env.num_actions
    if isinstance(net, evo.MLP):
        genomes = np.repeat(genome[None], len(obs), axis=0)
        return net.forward(genomes, obs), net.act(genomes, obs, discrete)
    outs, actions = [], []
    state = a_state = net.initial_state(1)
    for x in obs:
        out, state = net.forward(genome[None], x[None], state)
        action, a_state = net.step(genome[None], x[None], a_state, discrete)
        outs.append(out[0])
        actions.append(action[0])
    return np.stack(outs), np.stack(actions)


def _policy_run(policy, obs):
    policy.reset()
    outs = [policy.forward(x) for x in obs]
    policy.reset()
    actions = [policy.act(x) for x in obs]
    return np.stack(outs), np.stack(actions)


@pytest.mark.parametrize("name, game, settings", KINDS, ids=[k[0] for k in KINDS])
def test_policy_py_gives_the_packages_outputs_and_actions_to_the_bit(tmp_path, name, game, settings, capsys):
    d, run = _champion(tmp_path, name, game, settings)
    out = tmp_path / f"{name}.py"
    assert main(["export", str(d), "--format", "numpy", "--out", str(out)]) == 0
    assert f"exported as numpy to {out}" in capsys.readouterr().out
    policy = _load(out, name)
    obs = _observations(run.env)
    outputs, actions = _package(run, obs)
    mine_out, mine_actions = _policy_run(policy, obs)
    assert mine_out.dtype == np.float32 and mine_out.tobytes() == outputs.tobytes()
    if run.env.num_actions is not None:
        assert all(isinstance(a, int) for a in mine_actions.tolist())
        np.testing.assert_array_equal(mine_actions, actions)
        assert len(set(mine_actions.tolist())) > 1  # the observations reach more than one action
    else:
        assert mine_actions.dtype == np.float64 and mine_actions.tobytes() == actions.tobytes()
    with pytest.raises(ValueError, match=f"obs must hold {run.env.obs_size} numbers"):
        policy.act(np.zeros(run.env.obs_size + 1))


@pytest.mark.parametrize("name, game, settings", [KINDS[0], KINDS[4]], ids=["mlp", "gru"])
def test_policy_py_plays_the_episodes_the_package_scores(tmp_path, name, game, settings):
    d, run = _champion(tmp_path, name, game, settings, seed=3)
    out = tmp_path / "policy.py"
    assert main(["export", str(d), "--format", "numpy", "--out", str(out)]) == 0
    policy = _load(out, f"play_{name}")
    for seed in (0, 5):
        expected = evo.rollout(run.env, run.net, run.champion[None], 1, seed).returns[0, 0]
        batch = run.env.batch(1, seed=seed)
        obs = batch.reset()
        policy.reset()
        while not batch.done.all():
            action = policy.act(obs[0])
            obs, _, _ = batch.step(np.array([action]) if run.env.num_actions else action[None])
        assert batch.returns[0] == expected


@pytest.mark.slow  # starts a process
def test_policy_py_needs_only_numpy(tmp_path):
    """A child process where only numpy and the standard library can be imported runs every export."""
    policies, expected = [], []
    for name, game, settings in KINDS:
        d, run = _champion(tmp_path, name, game, settings)
        folder = tmp_path / f"alone_{name}"
        folder.mkdir()
        assert main(["export", str(d), "--format", "numpy", "--out", str(folder / "policy.py")]) == 0
        obs = _observations(run.env)
        np.save(folder / "obs.npy", obs)
        policies.append(str(folder))
        expected.append(_package(run, obs))
    child = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys
        class OnlyNumpy(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                top = name.split(".")[0]
                if top not in ("numpy", "policy") and top not in sys.stdlib_module_names and not top.startswith("_"):
                    raise ImportError(f"{{name}} is not importable here")
        sys.meta_path.insert(0, OnlyNumpy())
        for blocked in ("evo", "envs", "numba"):
            try:
                __import__(blocked)
            except ImportError:
                pass
            else:
                raise SystemExit(f"{{blocked}} was importable")
        import numpy as np
        for folder in {policies!r}:
            sys.path.insert(0, folder)
            sys.modules.pop("policy", None)
            import policy
            sys.path.pop(0)
            obs = np.load(folder + "/obs.npy")
            outs = [policy.forward(x) for x in obs]
            policy.reset()
            np.save(folder + "/outputs.npy", np.stack(outs))
            np.save(folder + "/actions.npy", np.stack([np.asarray(policy.act(x)) for x in obs]))
        print("ran", len({policies!r}))
    """)
    done = subprocess.run([sys.executable, "-I", "-c", child], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"ran {len(KINDS)}" in done.stdout
    for folder, (outputs, actions) in zip(policies, expected):
        assert np.load(f"{folder}/outputs.npy").tobytes() == outputs.tobytes()
        np.testing.assert_array_equal(np.load(f"{folder}/actions.npy"), actions)


@pytest.mark.parametrize("name, game, settings", [KINDS[1], KINDS[5]], ids=["mlp", "lstm"])
def test_json_holds_the_genome_to_the_bit_and_the_layers_by_the_schema(tmp_path, name, game, settings):
    d, run = _champion(tmp_path, name, game, settings)
    out = tmp_path / "champion.json"
    assert main(["export", str(d), "--out", str(out)]) == 0  # json by default
    doc = json.loads(out.read_text())
    assert doc["schema"] == "neuroevo.policy/1"
    assert np.array(doc["genome"], dtype=np.float32).tobytes() == run.champion.tobytes()
    assert doc["env"]["name"] == game and doc["env"]["obs_size"] == run.env.obs_size
    assert doc["env"]["actions"]["kind"] == ("discrete" if run.env.num_actions else "continuous")
    assert doc["network"]["sizes"] == list(run.net.sizes) and doc["scores"]["validation"] == 1.5
    assert doc["scores"]["test"] is None
    genes = 0
    for layer in doc["layers"]:
        for key in ("weights", "input_weights", "recurrent_weights", "biases"):
            genes += np.size(layer.get(key, []))
    assert genes == run.net.num_params
    if name.startswith("mlp"):
        # the layers, read as the schema says, compute the package's outputs (to float32 rounding)
        x = _observations(run.env, 8).astype(np.float64)
        h = x
        for layer in doc["layers"]:
            z = h @ np.array(layer["weights"]) + np.array(layer["biases"])
            h = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[layer["activation"]](z)
        np.testing.assert_allclose(h, run.net.forward(np.repeat(run.champion[None], 8, 0), x), rtol=1e-4, atol=1e-5)
    else:
        first = doc["layers"][0]
        assert first["type"] == "lstm" and first["gates"] == ["i", "f", "g", "o"]
        assert np.shape(first["input_weights"]) == (run.env.obs_size, 4 * 5)
        assert np.shape(first["recurrent_weights"]) == (5, 20) and doc["layers"][-1]["type"] == "dense"


@pytest.mark.parametrize("name, game, settings", [KINDS[0], KINDS[2], KINDS[1]], ids=["tanh", "step", "continuous"])
def test_onnx_model_computes_the_packages_outputs_and_actions(tmp_path, name, game, settings):
    onnx = pytest.importorskip("onnx")  # the onnx extra; this test runs wherever it is installed
    d, run = _champion(tmp_path, name, game, settings)
    out = tmp_path / "champion.onnx"
    assert main(["export", str(d), "--format", "onnx", "--out", str(out)]) == 0
    model = onnx.load(str(out))
    assert model.producer_name == "neuroevo"
    obs = _observations(run.env, 64)
    try:
        import onnxruntime
        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        outputs, actions = session.run(["outputs", "action"], {"obs": obs})
    except ImportError:
        from onnx.reference import ReferenceEvaluator
        outputs, actions = ReferenceEvaluator(model).run(["outputs", "action"], {"obs": obs})
    expected_out, expected_actions = _package(run, obs)
    np.testing.assert_allclose(outputs, expected_out, rtol=1e-5, atol=1e-5)
    if run.env.num_actions is not None:
        top2 = np.sort(expected_out, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4  # where the largest output leads by more than rounding
        assert clear.sum() > 40
        np.testing.assert_array_equal(actions[clear], expected_actions[clear])
    else:
        np.testing.assert_allclose(actions, expected_actions, rtol=1e-5, atol=1e-5)
    assert main(["export", str(d), "--format", "onnx", "--out", str(out)]) == 0  # an earlier export is replaced


def test_export_refuses_paths_and_networks_it_must_not_write(tmp_path, capsys):
    d, run = _champion(tmp_path, "r", "cartpole", {})
    g, _ = _champion(tmp_path, "g", "pendulum", {"network": "gru", "hidden": [4]})
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    cases = [
        (["--format", "numpy", "--out", str(d / "champion.npz")], "writes a .py file"),
        (["--out", str(d / "config.toml")], "cannot tell the format"),
        (["--format", "json", "--out", str(notes)], "exists and is not a neuroevo json export"),
        (["--format", "json", "--out", str(tmp_path / "missing" / "x.json")], "does not exist"),
        (["--format", "numpy", "--out", str(tmp_path / "policy.txt")], "writes a .py file"),
        (["--format", "json", "--out", ""], "must name a .json file"),
    ]
    for flags, message in cases:
        assert main(["export", str(d), *flags]) == 2, flags
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (flags, err)
    assert main(["export", str(g), "--format", "onnx", "--out", str(tmp_path / "g.onnx")]) == 2
    assert "exports feed-forward (mlp) networks; this champion's network is gru" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.json")]) == 2
    assert "no champion at" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before and notes.read_text() == '{"mine": 1}'
    assert not (tmp_path / "g.onnx").exists() and not (tmp_path / "x.json").exists()
    # an earlier export of the same format is replaced
    out = tmp_path / "policy.py"
    assert main(["export", str(d), "--out", str(out)]) == 0  # numpy, from the suffix
    assert main(["export", str(g), "--out", str(out)]) == 0
    assert "'kind': 'gru'" in out.read_text()
