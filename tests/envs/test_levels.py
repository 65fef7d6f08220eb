"""Levels: named sets of a game's parameters, and the mechanics the default levels add."""

import math

import numpy as np
import pytest

import envs
from envs import flappy as F
from envs import pong as P
from envs import snake as S

LEVELLED = ("cartpole", "flappy", "snake", "pong")


@pytest.mark.parametrize("name", LEVELLED)
def test_every_level_reaches_the_game(name):
    levels = envs.levels(name)
    assert "classic" in levels
    module = envs.make(name).module
    for level, values in levels.items():
        env = envs.make(name, level=level)
        assert env.level == level
        np.testing.assert_array_equal(env.params, module.default_params(**values))
        for k, v in values.items():
            assert env.params[module.PARAM_NAMES.index(k)] == v
    assert envs.make(name).level == envs.default_level(name) == next(iter(levels))


def test_parameters_override_the_level():
    env = envs.make("snake", level="long", size=24)
    assert env.params[S.SIZE] == 24 and env.params[S.STARVE] == envs.levels("snake")["long"]["starve"]
    assert env.held_out().level == "long"


def test_classic_levels_keep_the_old_tuning():
    old = {
        "flappy": (2.4, 0.7, 1.0, 0.3, 0.03, 0.35, 0.55, 0.12, 0.3, 0.3, 0.7, 1.0, 0.0, 1.0 / 30.0, 1.0),
        "snake": (16.0, 256.0),
        "pong": (0.95, 0.2, 0.02, 2.0, 1.0, 1.5, 1.05, 3.0, math.radians(60.0), math.radians(30.0), 5.0, 1.0 / 60.0),
    }
    for name, values in old.items():
        params = envs.make(name, level="classic").params
        np.testing.assert_array_equal(params[:len(values)], values)
    # flappy's new parameters leave it as it was: fixed gaps that do not move, pipes at constant speed
    flappy = envs.make("flappy", level="classic").params
    assert flappy[F.GAP_VARY] == flappy[F.GAP_SPEED] == flappy[F.PIPE_ACCEL] == 0.0
    assert envs.make("pong", level="classic").params[P.SELF_PLAY] == 0.0


def test_default_levels_are_harder_than_classic():
    assert envs.make("snake").params[S.SIZE] > envs.make("snake", level="classic").params[S.SIZE]
    pong, classic = envs.make("pong").params, envs.make("pong", level="classic").params
    assert pong[P.BALL_SPEED] > classic[P.BALL_SPEED] and pong[P.OPP_SPEED] > classic[P.OPP_SPEED]
    assert envs.default_level("cartpole") == "classic"  # Gymnasium's CartPole-v1


def test_unknown_level_is_one_line_with_a_suggestion():
    with pytest.raises(ValueError, match=r"flappy: unknown level 'clasic'; did you mean 'classic'\? known: "):
        envs.make("flappy", level="clasic")
    with pytest.raises(ValueError, match="known: default"):
        envs.make("acrobot", level="hard")
    with pytest.raises(ValueError, match="no levels"):
        envs.make("gym:CartPole-v1", level="classic")


def _flappy_episode(params, steps=400):
    """Pipe slots over an episode of a bird that flaps to stay near the middle."""
    state = np.zeros(F.STATE_SIZE)
    rng = envs.rng.keys(5, 0, [0])[:1].copy()
    F.reset(state, params, rng)
    rows = [state.copy()]
    for _ in range(steps):
        action = np.array([1.0 if state[F.Y] < 0.5 and state[F.VY] < 0 else 0.0])
        F.step(state, params, action, rng)
        rows.append(state.copy())
    return np.array(rows)


def test_flappy_moving_level_varies_gaps_moves_them_and_speeds_up():
    params = envs.make("flappy").params
    rows = _flappy_episode(params)
    heights = rows[:, F.PIPE_H:F.PIPE_H + F.NUM_PIPES]
    low, high = params[F.GAP_HEIGHT] - params[F.GAP_VARY], params[F.GAP_HEIGHT]
    assert np.all((heights >= low) & (heights <= high)) and len(np.unique(heights)) > 3
    gaps = rows[:, F.PIPE_GAP:F.PIPE_GAP + 2 * F.NUM_PIPES:2]
    assert np.all((gaps >= params[F.GAP_MIN]) & (gaps <= params[F.GAP_MAX]))
    moved = np.abs(np.diff(gaps[:30], axis=0))  # no slot shifts this early
    step = params[F.GAP_SPEED] * params[F.DT]
    assert np.all(moved <= step + 1e-12) and np.mean(np.isclose(moved, step)) > 0.9  # less only at a bounce
    scored = rows[-1, F.SCORE]
    assert scored >= 2
    assert rows[-1, F.SPEED] == pytest.approx(min(params[F.PIPE_SPEED] + scored * params[F.PIPE_ACCEL],
                                                  params[F.MAX_PIPE_SPEED]))


def test_flappy_classic_gaps_stay_put():
    rows = _flappy_episode(envs.make("flappy", level="classic").params, steps=60)
    gaps = rows[:, F.PIPE_GAP:F.PIPE_GAP + 2 * F.NUM_PIPES:2]
    assert np.all(gaps == gaps[0]) and np.all(rows[:, F.PIPE_H:F.PIPE_H + F.NUM_PIPES] == 0.3)


def test_snake_long_level_plays_on_its_grid_and_grows_by_two():
    env = envs.make("snake")
    params = env.params
    size = int(params[S.SIZE])
    assert size == 20 and params[S.GROWTH] == 2
    state = np.zeros(S.STATE_SIZE)
    rng = envs.rng.keys(4, 0, [0])[:1].copy()
    S.reset(state, params, rng)
    assert state[S.HEAD_X] == state[S.HEAD_Y] == size // 2
    # put the food straight ahead and eat it
    h = int(state[S.HEADING])
    state[S.FOOD_X], state[S.FOOD_Y] = state[S.HEAD_X] + S._DX[h], state[S.HEAD_Y] + S._DY[h]
    reward, done = S.step(state, params, np.array([1.0]), rng)
    assert reward == 1.0 and not done and state[S.LENGTH] == 5
    for _ in range(2):  # the tail stays put while the snake grows
        S.step(state, params, np.array([1.0 if state[S.HEAD_X] not in (0, size - 1) else 0.0]), rng)
    assert len(S.body(state, params)) == 5
    with pytest.raises(ValueError, match="growth must be an integer"):
        S.default_params(growth=1.5)


def _network_opponent(action):
    """A 7-3 network whose argmax is always ``action``."""
    genome = np.zeros(8 * 3)
    genome[7 * 3 + action] = 1.0  # the bias of that output
    return genome


def test_pong_plays_an_attached_network_as_its_opponent():
    env = envs.make("pong", level="classic")
    params = P.with_opponent(env.params, [7, 3], [0], _network_opponent(0))
    state = np.zeros(P.STATE_SIZE)
    rng = envs.rng.keys(1, 0, [0])[:1].copy()
    P.reset(state, params, rng)
    for _ in range(10):
        P.step(state, params, np.array([1.0]), rng)
    assert state[P.OPP_Y] == pytest.approx(10 * params[P.PADDLE_SPEED] * params[P.DT])
    with pytest.raises(ValueError, match="genes"):
        P.with_opponent(env.params, [7, 3], [0], np.zeros(5))
    with pytest.raises(ValueError, match="at most one hidden layer"):
        P.with_opponent(env.params, [7, 4, 4, 3], [1, 1, 0], np.zeros(70))


def test_pong_opponent_network_sees_the_court_mirrored():
    """A network that copies the agent's controller, playing both sides, keeps the court symmetric."""
    from evo import MLP
    net = MLP([7, 8, 3])
    genome = net.init(np.random.default_rng(3), 1)[0]
    params = P.with_opponent(envs.make("pong").params, net.sizes, net.acts_array, genome)
    state = np.zeros(P.STATE_SIZE)
    rng = envs.rng.keys(2, 0, [0])[:1].copy()
    P.reset(state, params, rng)
    state[P.BALL_X], state[P.BALL_VX], state[P.BALL_VY] = 0.0, 0.0, 1.0  # straight up the centre line
    obs = np.zeros(7, np.float32)
    for _ in range(50):
        P.observe(state, params, obs)
        action = np.argmax(net.forward(genome[None], obs[None])[0])
        P.step(state, params, np.array([float(action)]), rng)
        assert state[P.PADDLE_Y] == pytest.approx(state[P.OPP_Y])
