"""Each episode's start is computed once per episode key and shared by every genome that plays it.

This module is also a game ("counting", registered for its tests): its ``reset`` draws a varying number of
random numbers, writes every state slot from them, and adds one to the ``resets`` parameter each time
it runs, so a test can count how often a rollout called it.
"""

import numpy as np
import pytest
from numba import njit

import envs
from envs import rng as _rng
from envs.rng import key
from envs.spec import EnvSpec, build_params
from evo import MLP, rollout
from evo.kernels.play import _run_lockstep, episode_starts

SPEC = EnvSpec(name="counting", obs_size=2, num_actions=2, action_size=None, max_steps=40, dt=0.1,
               solved_at=1.0, solved_over=1, state_size=3, obs_low=(-2.0, 0.0), obs_high=(2.0, 1.0),
               obs_names=("x", "drift"))
PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES = ("resets",), (0.0,), ((0.0, 1e15),)
X, DRIFT, DRAWS = range(3)
RESETS = 0


def default_params(**overrides):
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def reset(state, params, rng):
    params[RESETS] += 1.0
    draws = 1 + _rng.randint(rng, 4)  # the generator word after reset depends on the key
    for _ in range(draws):
        state[X] = _rng.uniform(rng, -0.5, 0.5)
    state[DRIFT] = _rng.uniform(rng, 0.0, 1.0)
    state[DRAWS] = draws


@njit
def observe(state, params, obs):
    obs[0] = min(max(state[X], -2.0), 2.0)
    obs[1] = state[DRIFT]


@njit
def step(state, params, action, rng):
    push = 0.1 if action[0] == 1 else -0.1
    state[X] += push * state[DRAWS] + _rng.uniform(rng, -0.2, 0.2) * state[DRIFT]
    return 1.0 - abs(state[X]), abs(state[X]) > 1.5


@pytest.fixture(scope="module")
def counting():
    """This module's game, registered for this module's tests only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(envs._GAMES, "counting", __name__)  # the registration below ends with the module
        patch.setitem(envs._DECLARED, "counting", {})
        envs.register("counting", __name__)
        yield envs.make("counting")


def reset_by_hand(env, seed, e):
    """What the game's reset writes for episode ``e``'s key, on a zeroed row, and the generator word after it."""
    row = np.zeros(env.spec.state_size)
    rng = np.array([key(np.uint64(seed), 0, e)], dtype=np.uint64)
    env.module.reset(row, env.params.copy(), rng)  # a copy: the counting game writes into its parameters
    return row, rng[0]


@pytest.mark.parametrize("episodes", [3, 100])  # 100: more than one thread computes the starts
def test_each_episode_starts_where_reset_puts_it_for_its_key(counting, episodes):
    rows, rngs = episode_starts(counting, episodes, 7)
    assert rows.shape == (episodes, counting.spec.state_size) and rngs.dtype == np.uint64
    for e in range(episodes):
        row, word = reset_by_hand(counting, 7, e)
        np.testing.assert_array_equal(rows[e], row)
        assert rngs[e] == word
    assert len(set(rngs.tolist())) == episodes and len(set(rows[:, DRAWS])) > 1


@pytest.mark.parametrize("track", ["procedural", "oval"])
def test_the_racer_s_tracks_are_the_ones_its_reset_draws(game_envs, track):
    env = game_envs["racer"] if track == "procedural" else envs.make("racer", track=track)
    rows, rngs = episode_starts(env, 70, 3)
    for e in (0, 1, 33, 69):
        row, word = reset_by_hand(env, 3, e)
        np.testing.assert_array_equal(rows[e], row)
        assert rngs[e] == word
    tracks = {rows[e, env.module.TRACK:].tobytes() for e in range(70)}
    assert len(tracks) == (70 if track == "procedural" else 1)


@pytest.mark.parametrize("kernel", ["agent", "lockstep", "by lane"])
def test_reset_runs_once_per_episode_whatever_the_population(counting, kernel):
    net = MLP([2, 4, 2])
    genomes = net.init(np.random.default_rng(4), 37)
    counting.params[RESETS] = 0.0
    if kernel == "by lane":
        returns, steps = np.zeros((37, 3)), np.zeros((37, 3), dtype=np.int64)
        _run_lockstep(counting, net, genomes, 3, 5, returns, steps, by_lane=True)
    else:
        played = rollout(counting, net, genomes, episodes=3, seed=5, kernel=kernel)
        returns, steps = played.returns, played.steps
    assert counting.params[RESETS] == 3.0  # once per episode, not once per (genome, episode) pair
    assert len(set(steps.ravel().tolist())) >= 3  # episodes of several lengths
    for e in range(3):  # the stepwise path resets every agent itself
        batch = counting.batch(37, seed=5, episodes=np.full(37, e))
        obs = batch.reset()
        while not batch.done.all():
            obs, _, _ = batch.step(net.act(genomes, obs, counting.num_actions))
        np.testing.assert_array_equal(returns[:, e], batch.returns)
        np.testing.assert_array_equal(steps[:, e], batch.steps)
