"""CartPole step for step against Gymnasium's CartPoleEnv."""

import numpy as np
import pytest

from envs import cartpole
from envs.rng import keys

gym_cartpole = pytest.importorskip("gymnasium.envs.classic_control.cartpole")


def test_parity_with_gymnasium_over_1000_random_episodes():
    params = cartpole.default_params()
    ref = gym_cartpole.CartPoleEnv()
    rng = np.random.default_rng(0)
    state = np.zeros(cartpole.STATE_SIZE)
    action = np.zeros(1)
    r = keys(0, 0, [0])
    total_steps = 0
    for episode in range(1000):
        ref.reset(seed=episode)
        state[:] = ref.unwrapped.state
        for t in range(500):
            a = int(rng.integers(0, 2))
            _, ref_reward, ref_term, _, _ = ref.step(a)
            action[0] = a
            reward, term = cartpole.step(state, params, action, r)
            total_steps += 1
            np.testing.assert_allclose(state, ref.unwrapped.state, rtol=0, atol=1e-9)
            assert reward == ref_reward
            assert term == ref_term, f"episode {episode} ends at a different step ({t})"
            if term:
                break
    assert total_steps > 10_000


def test_start_state_uniform_in_005():
    params = cartpole.default_params()
    starts = []
    for k in keys(1, 0, np.arange(2000)):
        state = np.zeros(4)
        cartpole.reset(state, params, np.array([k]))
        starts.append(state)
    starts = np.array(starts)
    assert starts.min() >= -0.05 and starts.max() < 0.05
    assert abs(starts.mean()) < 0.003 and abs(starts.std() - 0.1 / np.sqrt(12)) < 0.002


def test_parameters_override_by_name():
    p = cartpole.default_params(gravity=3.7, force_mag=5)
    assert p[cartpole.GRAVITY] == 3.7 and p[cartpole.FORCE_MAG] == 5.0
    with pytest.raises(ValueError, match="must be a number"):
        cartpole.default_params(gravity="heavy")
