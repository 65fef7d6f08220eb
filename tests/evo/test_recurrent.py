"""Recurrent networks: the step against equations written out, memory per episode, reproducibility."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evo import RNN, rollout
from evo.networks.registry import from_dict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
import naive  # noqa: E402
CELLS = ("elman", "gru", "lstm")


# each cell on the cartpole network of the tests below (whose forward pass they compile too), and two
# stacked layers once: each network is a forward pass to compile
@pytest.mark.parametrize("cell, sizes", [(cell, [4, 6, 2]) for cell in CELLS] + [("gru", [4, 6, 3, 2])])
def test_steps_match_the_equations(cell, sizes):
    net = RNN(sizes, cell=cell, init="normal")
    rng = np.random.default_rng(1)
    genomes = net.init(rng, 6) * np.float32(0.7)
    state = net.initial_state(6)
    reference = np.zeros((6, net.state_size))
    for _ in range(5):
        obs = rng.normal(size=(6, sizes[0])).astype(np.float32)
        out, new_state = net.forward(genomes, obs, state)
        assert not np.shares_memory(new_state, state)
        for p in range(6):
            ref_out, reference[p] = naive.rnn_step(genomes[p], obs[p], reference[p], sizes, cell)
            np.testing.assert_allclose(out[p], ref_out, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(new_state, reference, rtol=1e-4, atol=1e-4)
        state = new_state


@pytest.mark.parametrize("cell", CELLS)
def test_layout_names_the_neuron_of_every_gene(cell):
    net = RNN([3, 4, 5, 2], cell=cell)
    units = net.layout.units
    assert len(units) == net.num_params and units.max() + 1 == net.layout.num_units == 11
    # every neuron has a bias of its own per gate, and the output neurons only one
    counts = np.bincount(units)
    k = {"elman": 1, "gru": 3, "lstm": 4}[cell]
    assert list(counts[:4]) == [k * (3 + 4 + 1)] * 4 and list(counts[9:]) == [5 + 1] * 2
    assert from_dict(net.to_dict()).to_dict() == net.to_dict()


@pytest.mark.parametrize("cell", CELLS)
def test_fused_rollout_equals_stepwise_play_with_memory_reset_per_episode(cell, game_envs):
    env = game_envs["cartpole"]
    net = RNN([4, 6, 2], cell=cell)
    genomes = net.init(np.random.default_rng(3), 12)
    fused = rollout(env, net, genomes, episodes=3, seed=5)
    for e in range(3):
        batch = env.batch(12, seed=5, episodes=np.full(12, e))
        obs, memory = batch.reset(), net.initial_state(12)
        while not batch.done.all():
            actions, memory = net.step(genomes, obs, memory, env.num_actions)
            obs, _, _ = batch.step(actions)
        np.testing.assert_array_equal(fused.returns[:, e], batch.returns)
        np.testing.assert_array_equal(fused.steps[:, e], batch.steps)
    # a genome's episodes do not depend on what its thread played before (memory starts empty)
    backwards = rollout(env, net, genomes[::-1], episodes=3, seed=5)
    np.testing.assert_array_equal(backwards.returns, fused.returns[::-1])


@pytest.mark.slow  # two child processes
def test_bit_identical_with_one_and_two_threads():
    code = ("import numpy as np, envs, hashlib\nfrom evo import RNN, rollout\n"
            "env = envs.make('cartpole')\nout = []\n"
            "for cell in ('elman', 'gru', 'lstm'):\n"
            "    net = RNN([4, 6, 2], cell=cell)  # the kernels of the tests above\n"
            "    r = rollout(env, net, net.init(np.random.default_rng(0), 64), episodes=2, seed=3)\n"
            "    out.append(hashlib.sha256(r.returns.tobytes() + r.steps.tobytes()).hexdigest())\n"
            "print(' '.join(out))\n")
    results = []
    for threads in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        results.append(res.stdout.split())
    assert len(results[0]) == 3 and results[0] == results[1]


@pytest.mark.parametrize("args,error", [
    (([4, 2],), ValueError), (([4, 8, 2],), None), (([4, 8.5, 2],), TypeError),
])
def test_bad_sizes_are_refused(args, error):
    if error is None:
        assert RNN(*args).num_params > 0
    else:
        with pytest.raises(error):
            RNN(*args)
    with pytest.raises(ValueError, match="unknown cell 'transformer'"):
        RNN([4, 8, 2], cell="transformer")


def test_a_recurrent_run_resumes_and_its_champion_replays(tmp_path, capsys):
    from evo.cli import main
    out = tmp_path / "r"
    assert main(["run", "cartpole", "--network", "gru", "--hidden", "6", "--pop", "16", "--episodes", "1",
                 "--generations", "3", "--target", "1e9", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--resume", str(out), "--generations", "4", "--quiet"]) == 0
    assert main(["eval", str(out)]) == 0
    assert "over the run's test episodes" in capsys.readouterr().out
    from evo.runs.rundir import load_champion
    champion = load_champion(out)
    assert isinstance(champion.net, RNN) and champion.net.cell == "gru"
