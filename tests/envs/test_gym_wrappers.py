import numpy as np
import pytest

import envs
from evo import MLP, rollout

gymnasium = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from envs.gym_wrappers import GYM_IDS  # noqa: E402


@pytest.mark.parametrize("name", envs.names())
def test_every_game_passes_gymnasium_env_checker(name, game_envs):
    pytest.importorskip("pygame")
    import viz.renderers  # noqa: F401  (registers the viewer's rgb renderer with the adapter)
    env = gymnasium.make(GYM_IDS[name], render_mode="rgb_array")
    check_env(env.unwrapped)
    frame = env.unwrapped.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    assert frame.std() > 0  # something is drawn


@pytest.mark.parametrize("name", envs.names())
def test_gymnasium_episode_matches_native_batch(name, game_envs):
    """Same start state and actions give the same rewards through both APIs."""
    env = gymnasium.make(GYM_IDS[name])
    obs, _ = env.reset(seed=3)
    game = game_envs[name]
    batch = game.batch(1)
    batch.reset()
    batch.states[0] = env.unwrapped._state
    batch.rngs[0] = env.unwrapped._rng[0]
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = env.action_space.sample() if game.num_actions is None else int(rng.integers(game.num_actions))
        obs, reward, terminated, truncated, _ = env.step(a)
        # a continuous action in the game's units (Pendulum's torque) is a / action_high for the batch
        high = np.array(game.spec.action_high or 1.0)
        _, b_reward, b_done = batch.step(np.array([a]) if game.num_actions else np.array([a / high], np.float64))
        assert reward == b_reward[0]
        np.testing.assert_array_equal(obs, batch.obs[0])
        if terminated:
            assert b_done[0]
            break


def test_any_gymnasium_id_is_evaluated_through_the_vector_api():
    env = envs.make("gym:CartPole-v1")
    assert (env.obs_size, env.num_actions, env.max_steps, env.solved_at) == (4, 2, 500, 475.0)
    net = MLP([4, 8, 2])
    genomes = net.init(np.random.default_rng(0), 6)
    r = rollout(env, net, genomes, episodes=2, seed=5)
    assert r.returns.shape == (6, 2)
    # reference: one plain Gymnasium env per (genome, episode), seeded as the adapter seeds it
    for e in range(2):
        s = int(np.random.SeedSequence([5, e]).generate_state(1)[0])
        for p in range(6):
            ref = gymnasium.make("CartPole-v1")
            obs, _ = ref.reset(seed=s)
            total, done = 0.0, False
            while not done:
                a = int(net.act(genomes[p:p + 1], obs[None].astype(np.float32), 2)[0])
                obs, rew, term, trunc, _ = ref.step(a)
                total += rew
                done = term or trunc
            assert total == r.returns[p, e]


def test_continuous_gymnasium_actions_are_scaled_to_the_box():
    env = envs.make("gym:Pendulum-v1")
    assert env.num_actions is None and env.action_size == 1
    net = MLP([3, 2, 1])
    r = rollout(env, net, net.init(np.random.default_rng(0), 3), episodes=1, seed=0)
    assert (r.steps == 200).all() and np.all(r.returns < 0)


def test_unknown_gymnasium_id_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot make Gymnasium environment 'Nope-v0'"):
        envs.make("gym:Nope-v0")


@pytest.mark.parametrize("gym_id", ["CartPole-v1", "LunarLander-v3"])
@pytest.mark.slow  # worker processes
def test_stepping_in_worker_processes_gives_the_serial_results(gym_id):
    serial, parallel = envs.make(f"gym:{gym_id}"), envs.make(f"gym:{gym_id}", workers=2)
    net = MLP([serial.obs_size, 6, serial.num_outputs])
    genomes = net.init(np.random.default_rng(3), 7)
    a = rollout(serial, net, genomes, episodes=2, seed=4)
    b = rollout(parallel, net, genomes, episodes=2, seed=4)
    np.testing.assert_array_equal(a.returns, b.returns)
    np.testing.assert_array_equal(a.steps, b.steps)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        envs.make(f"gym:{gym_id}", workers=0)
