"""Acrobot, MountainCar, MountainCarContinuous and Pendulum step for step against Gymnasium's own classes."""

import math

import numpy as np
import pytest

import envs
from envs import acrobot, mountaincar, mountaincar_continuous, pendulum
from envs.rng import keys

gymnasium = pytest.importorskip("gymnasium")

# game module, Gymnasium id, episodes, how a random action of ours reads in Gymnasium
GAMES = {
    "acrobot": (acrobot, "Acrobot-v1", 150, None),
    "mountaincar": (mountaincar, "MountainCar-v0", 300, None),
    "mountaincar_continuous": (mountaincar_continuous, "MountainCarContinuous-v0", 150, 1.0),
    "pendulum": (pendulum, "Pendulum-v1", 300, 2.0),
}


def random_action(module, rng, state, pump):
    """A random action; with ``pump``, mostly the one that pushes along the velocity (it reaches
    MountainCar's flag, so the episode ends are compared too)."""
    if pump and rng.random() < 0.9:
        push = 1.0 if state[1] >= 0 else -1.0
        return np.array([push + 1.0]) if module.SPEC.discrete else np.array([push * rng.uniform(0.5, 1.0)])
    if module.SPEC.discrete:
        return np.array([float(rng.integers(0, module.SPEC.num_actions))])
    return rng.uniform(-1, 1, module.SPEC.action_size)


@pytest.mark.parametrize("name", GAMES)
@pytest.mark.slow  # 20,000 steps of Gymnasium's Python physics per game
def test_parity_with_gymnasium(name):
    module, gym_id, episodes, scale = GAMES[name]
    params = module.default_params()
    ref = gymnasium.make(gym_id).unwrapped
    limit = module.SPEC.max_steps
    rng = np.random.default_rng(0)
    state = np.zeros(module.STATE_SIZE)
    obs = np.zeros(module.SPEC.obs_size, np.float32)
    r = keys(0, 0, [0])
    steps = ends = 0
    for episode in range(episodes):
        ref_obs, _ = ref.reset(seed=episode)
        state[:] = ref.state
        module.observe(state, params, obs)
        np.testing.assert_array_equal(obs, ref_obs)
        for t in range(limit):
            a = random_action(module, rng, state, pump=name.startswith("mountaincar") and episode % 2 == 1)
            ref_obs, ref_reward, ref_term, _, _ = ref.step(int(a[0]) if scale is None else a * scale)
            reward, term = module.step(state, params, a, r)
            module.observe(state, params, obs)
            steps += 1
            if name == "acrobot":
                # Gymnasium takes numpy's cos and sin, which may differ from libm's in the last bit;
                # the chaotic double pendulum would grow that, so each step starts from its state
                np.testing.assert_allclose(state, ref.state, rtol=1e-12, atol=1e-12)
                state[:] = ref.state
            else:
                np.testing.assert_array_equal(state, np.asarray(ref.state, np.float64))
                np.testing.assert_array_equal(obs, ref_obs)
            assert reward == pytest.approx(float(ref_reward), rel=1e-12, abs=1e-12)
            assert term == ref_term, f"episode {episode} of {name} ends at another step ({t})"
            if term:
                ends += 1
                break
    assert steps > 20_000
    if name != "pendulum":  # the goal is reached, so episode ends are compared too (Pendulum never ends)
        assert ends >= (1 if name == "acrobot" else episodes // 10)


@pytest.mark.parametrize("name", GAMES)
def test_start_states_follow_gymnasium(name):
    module = GAMES[name][0]
    params = module.default_params()
    starts = []
    for k in keys(3, 0, np.arange(3000)):
        s = np.zeros(module.STATE_SIZE)
        module.reset(s, params, np.array([k]))
        starts.append(s)
    starts = np.array(starts)
    if name == "acrobot":
        assert starts.min() >= -0.1 and starts.max() <= 0.1 and np.all(starts == starts.astype(np.float32))
        assert abs(starts.std() - 0.2 / math.sqrt(12)) < 0.003
    elif name == "pendulum":
        assert starts[:, 0].min() >= -math.pi and starts[:, 0].max() <= math.pi
        assert abs(starts[:, 1].std() - 2 / math.sqrt(12)) < 0.03
    else:
        assert starts[:, 0].min() >= -0.6 and starts[:, 0].max() <= -0.4 and np.all(starts[:, 1] == 0)


@pytest.mark.parametrize("name", GAMES)
def test_registered_with_gymnasiums_own_spaces(name):
    from gymnasium.utils.env_checker import check_env

    gym_id = GAMES[name][1]
    ours = gymnasium.make(f"neuroevo/{gym_id}")
    theirs = gymnasium.make(gym_id)
    assert ours.observation_space == theirs.observation_space
    assert ours.action_space == theirs.action_space
    check_env(ours.unwrapped, skip_render_check=True)
    ours.reset(seed=1)
    obs, reward, term, trunc, _ = ours.step(ours.action_space.sample())
    assert ours.observation_space.contains(obs)


def test_a_policy_evolved_on_ours_runs_unchanged_on_theirs():
    """The torque the game applies from a network output is the one Gymnasium's env applies from the
    registered env's action: the same trajectory from the same start."""
    ours = gymnasium.make("neuroevo/Pendulum-v1").unwrapped
    theirs = gymnasium.make("Pendulum-v1").unwrapped
    ours.reset(seed=0)
    theirs.reset(seed=0)
    theirs.state = np.array(ours._state[:2], np.float64)
    rng = np.random.default_rng(2)
    for _ in range(50):
        torque = rng.uniform(-2, 2, 1).astype(np.float32)
        o1, r1, *_ = ours.step(torque)
        o2, r2, *_ = theirs.step(torque)
        np.testing.assert_allclose(o1, o2, atol=1e-6)
        assert r1 == pytest.approx(r2, abs=1e-6)


def test_the_suite_is_listed():
    for name in GAMES:
        assert name in envs.names() and envs.make(name).solved_at == GAMES[name][0].SPEC.solved_at
    assert envs.make("acrobot").solved_at == -100 and envs.make("mountaincar").solved_at == -110
    assert envs.make("mountaincar_continuous").solved_at == 90 and envs.make("pendulum").solved_at == -200
