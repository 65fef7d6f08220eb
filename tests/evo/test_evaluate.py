import contextlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import envs
from evo import MLP, rollout
from evo import evaluate

SCRIPT = """
import hashlib, sys
import numba
import numpy as np
import envs
from evo import MLP, rollout
from evo.runs.config import default_config
counts = sorted({1, numba.config.NUMBA_NUM_THREADS})
out = {n: [] for n in counts}
for name in envs.names():
    env = envs.make(name)
    net = MLP([env.obs_size, *default_config(name).hidden, env.num_outputs])  # conftest's game_nets
    genomes = net.init(np.random.default_rng(0), 160)  # 320 pairs: 5 chunks, work for every thread
    for kernel in ("agent", "lockstep"):
        for n in counts:
            numba.set_num_threads(n)
            r = rollout(env, net, genomes, episodes=2, seed=4, kernel=kernel)
            out[n].append(hashlib.sha256(r.returns.tobytes() + r.steps.tobytes()).hexdigest())
for n in counts:
    print(n, " ".join(out[n]))
"""


@pytest.mark.slow  # a child process
def test_bit_identical_with_one_and_many_threads_in_both_kernels(game_envs):
    import numba
    here, threads = io.StringIO(), numba.get_num_threads()
    try:
        with contextlib.redirect_stdout(here):  # this process compiles the kernels into the session's cache
            exec(SCRIPT, {})                   # first, so that the child only loads them
    finally:
        numba.set_num_threads(threads)
    env = {**os.environ, "NUMBA_NUM_THREADS": "4"}  # more threads than the machine may have cores
    child = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr
    runs = [(int(line.split()[0]), line.split()[1:]) for line in (here.getvalue() + child.stdout).splitlines()]
    assert {n for n, _ in runs} >= {1, 4}
    one = runs[0][1]
    assert len(one) == 2 * len(envs.names())
    assert all(hashes == one for _, hashes in runs)  # 1 thread, this machine's count, 4 threads
    assert one[0::2] == one[1::2]  # agent == lockstep, game by game


def test_common_random_numbers_and_seeds(game_envs):
    env = game_envs["cartpole"]
    net = MLP([4, 8, 2])
    g = net.init(np.random.default_rng(1), 1)
    same = np.repeat(g, 5, axis=0)
    r = rollout(env, net, same, episodes=4, seed=3)
    # identical genomes meet identical episodes
    assert (r.returns == r.returns[0]).all()
    again = rollout(env, net, same, episodes=4, seed=3)
    np.testing.assert_array_equal(r.returns, again.returns)


def test_fitness_is_mean_return_and_steps_are_counted(game_envs):
    env = game_envs["cartpole"]
    net = MLP([4, 8, 2])
    genomes = net.init(np.random.default_rng(2), 50)
    r = rollout(env, net, genomes, episodes=3, seed=0)
    assert r.returns.shape == (50, 3) and r.steps.shape == (50, 3)
    np.testing.assert_array_equal(evaluate(env, net, genomes, episodes=3, seed=0), r.returns.mean(axis=1))
    # cartpole pays 1 per step
    np.testing.assert_array_equal(r.returns, r.steps)
    assert r.total_steps == r.steps.sum() and (r.steps <= env.max_steps).all()


def test_a_good_controller_scores_the_maximum(game_envs):
    # a linear policy push-right-when-the-pole-falls-right balances CartPole
    env = game_envs["cartpole"]
    net = MLP([4, 2], output="linear")
    g = np.zeros((1, net.num_params), np.float32)
    net.layout.weights(g[0], 0)[1] = [0.1, 0.5, 10.0, 1.0]
    r = rollout(env, net, g, episodes=5, seed=0)
    assert (r.returns == 500).all()


def test_mismatched_network_is_a_clear_error(game_envs):
    env = game_envs["cartpole"]
    with pytest.raises(ValueError, match="needs 4 inputs and 2 outputs"):
        evaluate(env, MLP([5, 2]), np.zeros((3, 12), np.float32))
    with pytest.raises(ValueError, match="episodes"):
        evaluate(env, MLP([4, 2]), np.zeros((3, 10), np.float32), episodes=0)
