"""The contract every registered game keeps."""

import numpy as np
import pytest

import envs
from evo import rollout

GAMES = envs.names()


def random_actions(env, rng, n):
    if env.num_actions is not None:
        return rng.integers(0, env.num_actions, n)
    return rng.uniform(-1, 1, (n, env.action_size))


@pytest.mark.parametrize("name", GAMES)
def test_spec_is_consistent(name, game_envs):
    env = game_envs[name]
    spec = env.spec
    assert spec.name == name
    assert len(spec.obs_low) == len(spec.obs_high) == len(spec.obs_names) == spec.obs_size
    assert (spec.num_actions is None) != (spec.action_size is None)
    assert env.num_outputs == (spec.num_actions or spec.action_size)
    assert spec.max_steps >= 1 and spec.dt > 0 and spec.solved_over >= 1
    assert np.isfinite(spec.solved_at)
    assert all(lo < hi for lo, hi in zip(spec.obs_low, spec.obs_high))
    assert env.module.__doc__ and "Observation" in env.module.__doc__


@pytest.mark.parametrize("name", GAMES)
def test_unknown_parameter_is_a_clear_error(name):
    with pytest.raises(ValueError, match="unknown parameter 'warp_drive'"):
        envs.make(name, warp_drive=1.0)


@pytest.mark.parametrize("name", GAMES)
def test_every_parameter_has_a_range_holding_its_default(name, game_envs):
    module = game_envs[name].module
    assert len(module.PARAM_RANGES) == len(module.PARAM_NAMES) == len(module.PARAM_DEFAULTS)
    for pname, default, (low, high) in zip(module.PARAM_NAMES, module.PARAM_DEFAULTS, module.PARAM_RANGES):
        assert low <= default <= high, pname


@pytest.mark.parametrize("name", GAMES)
def test_parameters_outside_their_range_are_refused(name, game_envs):
    module = game_envs[name].module
    for pname, (low, high) in zip(module.PARAM_NAMES, module.PARAM_RANGES):
        for bad in (low - 1e-3 * (1 + abs(low)), high + 1e-3 * (1 + abs(high)), float("nan"), "3", True):
            with pytest.raises(ValueError, match=f"parameter {pname!r}"):
                envs.make(name, **{pname: bad})


@pytest.mark.parametrize("bad", [0, -1, 501, 10**12, 2.5, True])
def test_max_steps_is_capped_by_the_spec(bad):
    with pytest.raises(ValueError, match=r"max_steps must be an integer in 1\.\.500"):
        envs.make("cartpole", max_steps=bad)


def test_unknown_game_lists_the_known_ones():
    with pytest.raises(ValueError, match="known: cartpole, flappy"):
        envs.make("tetris")


@pytest.mark.parametrize("name", GAMES)
def test_random_play_stays_in_bounds(name, game_envs):
    env = game_envs[name]
    rng = np.random.default_rng(0)
    n = 64
    batch = env.batch(n, seed=3, episodes=np.arange(n))
    obs = batch.reset()
    low = np.array(env.spec.obs_low, dtype=np.float32)
    high = np.array(env.spec.obs_high, dtype=np.float32)
    for _ in range(min(env.max_steps, 400)):
        assert obs.dtype == np.float32 and obs.shape == (n, env.obs_size)
        assert not np.isnan(obs).any()
        assert np.all(obs >= low) and np.all(obs <= high), f"{name}: observation out of its documented bounds"
        obs, reward, done = batch.step(random_actions(env, rng, n))
        assert np.isfinite(reward).all()
        if done.all():
            break


@pytest.mark.parametrize("name", GAMES)
def test_same_key_same_trajectory_other_key_other(name, game_envs):
    env = game_envs[name]
    runs = []
    for seed in (11, 11, 12):
        rng = np.random.default_rng(5)  # same actions each time
        batch = env.batch(8, seed=seed, episodes=np.arange(8))
        batch.reset()
        traj = [batch.states.copy()]
        for _ in range(60):
            batch.step(random_actions(env, rng, 8))
            traj.append(batch.states.copy())
        runs.append(np.array(traj))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("name", GAMES)
def test_done_at_max_steps_and_frozen_after(name, game_envs):
    env = envs.make(name, max_steps=7, **game_envs[name].options)
    rng = np.random.default_rng(1)
    batch = env.batch(16, seed=0, episodes=np.arange(16))
    batch.reset()
    for _ in range(7):
        batch.step(random_actions(env, rng, 16))
    assert batch.done.all() and batch.steps.max() == 7 and (batch.steps >= 1).all()
    frozen = batch.states.copy()
    returns = batch.returns.copy()
    _, reward, _ = batch.step(random_actions(env, rng, 16))
    np.testing.assert_array_equal(batch.states, frozen)
    np.testing.assert_array_equal(batch.returns, returns)
    assert not reward.any()


@pytest.mark.parametrize("name", GAMES)
def test_fused_returns_equal_stepwise_returns(name, game_envs, game_nets):
    env, net = game_envs[name], game_nets[name]
    rng = np.random.default_rng(2)
    genomes = net.init(rng, 24)
    fused = rollout(env, net, genomes, episodes=2, seed=9)
    for e in range(2):
        batch = env.batch(24, seed=9, episodes=np.full(24, e))
        obs = batch.reset()
        while not batch.done.all():
            obs, _, _ = batch.step(net.act(genomes, obs, env.num_actions))
        np.testing.assert_array_equal(batch.returns, fused.returns[:, e])
        np.testing.assert_array_equal(batch.steps, fused.steps[:, e])


def test_batch_rejects_bad_actions(game_envs):
    batch = game_envs["cartpole"].batch(4)
    batch.reset()
    with pytest.raises(ValueError, match="shape"):
        batch.step(np.zeros(3, int))
    with pytest.raises(ValueError, match="integers"):
        batch.step(np.array([0, 1, 2, 0]))


def test_dt_follows_a_dt_parameter():
    assert envs.make("pong", dt=0.01).dt == 0.01
    assert envs.make("pong").dt == envs.make("pong").spec.dt
    assert envs.make("cartpole", tau=0.01).dt == envs.make("cartpole").spec.dt  # cartpole's step is tau, not dt


@pytest.mark.parametrize("name,option,hidden", [("cartpole", "observe_velocities", (1, 3)),
                                                ("flappy", "observe_speed", (1,)),
                                                ("pendulum", "observe_velocity", (2,))])
def test_partially_observed_variants_hide_what_memory_must_recover(name, option, hidden):
    full, partial = envs.make(name), envs.make(name, **{option: 0})
    rng = np.random.default_rng(0)
    seen_full, seen_partial = [], []
    for env, seen in ((full, seen_full), (partial, seen_partial)):
        batch = env.batch(16, seed=1, episodes=np.arange(16))
        obs = batch.reset()
        act_rng = np.random.default_rng(2)
        for _ in range(20):
            obs, _, _ = batch.step(random_actions(env, act_rng, 16))
            seen.append(obs)
    a, b = np.concatenate(seen_full), np.concatenate(seen_partial)
    others = [i for i in range(full.obs_size) if i not in hidden]
    assert (b[:, list(hidden)] == 0).all() and (a[:, list(hidden)] != 0).any()
    np.testing.assert_array_equal(a[:, others], b[:, others])  # the same game, less of it seen
    assert rng is not None
