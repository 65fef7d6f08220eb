"""Rules, physics and difficulty of the pong game."""

import math

import numpy as np
import pytest

import envs.rng
from envs import pong as P
from envs.pong import SPEC

UP, STAY, DOWN = 0.0, 1.0, 2.0


def new(seed=0, ep=0, **overrides):
    """Fresh (state, params, rng, obs, action) after reset."""
    params = P.default_params(**overrides)
    state = np.zeros(P.STATE_SIZE)
    rng = envs.rng.keys(seed, 0, [ep])[:1].copy()
    P.reset(state, params, rng)
    return state, params, rng, np.zeros(SPEC.obs_size, np.float32), np.zeros(SPEC.action_buffer_size)


def place_ball(state, x, y, vx, vy):
    state[P.BALL_X], state[P.BALL_Y], state[P.BALL_VX], state[P.BALL_VY] = x, y, vx, vy
    state[P.SPEED] = math.hypot(vx, vy)


def heuristic(state, params):
    """Predict where the ball meets the paddle; strike it near the edge facing away from the opponent."""
    vx, py = state[P.BALL_VX], state[P.PADDLE_Y]
    target = 0.0
    if vx < 0.0:
        wall = 1.0 - params[P.BALL_RADIUS]
        face = -(params[P.PADDLE_X] - params[P.BALL_RADIUS])
        y = state[P.BALL_Y] + state[P.BALL_VY] * (face - state[P.BALL_X]) / vx
        y = (y + wall) % (4.0 * wall)  # unfold wall bounces
        y = (4.0 * wall - y if y > 2.0 * wall else y) - wall
        away = 1.0 if state[P.OPP_Y] < y else -1.0
        target = y - away * 0.85 * (params[P.PADDLE_HALF] + params[P.BALL_RADIUS])
    if target > py + 0.02:
        return UP
    if target < py - 0.02:
        return DOWN
    return STAY


def play(policy, seed, ep, params=None, on_step=None):
    """Return of one episode under ``policy(state, params, obs)``, truncated at SPEC.max_steps."""
    state, default, rng, obs, action = new(seed, ep)
    params = default if params is None else params
    ret = 0.0
    for _ in range(SPEC.max_steps):
        P.observe(state, params, obs)
        action[0] = policy(state, params, obs)
        reward, done = P.step(state, params, action, rng)
        ret += reward
        if on_step is not None:
            on_step(state, reward, obs)
        if done:
            break
    return ret


def test_spec_matches_module():
    assert SPEC.state_size == P.STATE_SIZE
    assert SPEC.num_actions == 3 and SPEC.action_size is None
    assert len(SPEC.obs_low) == len(SPEC.obs_high) == len(SPEC.obs_names) == SPEC.obs_size
    assert P.default_params()[P.DT] == pytest.approx(SPEC.dt)
    assert len(P.PARAM_NAMES) == len(P.PARAM_DEFAULTS) == P.default_params().size
    assert P.default_params(points=3)[P.POINTS] == 3.0
    with pytest.raises(ValueError, match="unknown parameter"):
        P.default_params(paddle_width=1.0)


def test_reset_serves_from_centre_within_serve_angle():
    sides = set()
    for ep in range(50):
        state, params, *_ = new(1, ep)
        assert state[P.BALL_X] == state[P.BALL_Y] == 0.0
        assert state[P.PADDLE_Y] == state[P.OPP_Y] == state[P.SCORE] == state[P.OPP_SCORE] == 0.0
        speed = math.hypot(state[P.BALL_VX], state[P.BALL_VY])
        assert speed == pytest.approx(params[P.BALL_SPEED]) and state[P.SPEED] == params[P.BALL_SPEED]
        assert abs(math.atan2(state[P.BALL_VY], abs(state[P.BALL_VX]))) <= params[P.SERVE_ANGLE] + 1e-12
        sides.add(np.sign(state[P.BALL_VX]))
    assert sides == {-1.0, 1.0}


def test_same_key_same_trajectory_different_keys_differ():
    def trajectory(ep):
        rows = []
        play(lambda s, p, o: heuristic(s, p), 7, ep, on_step=lambda s, r, o: rows.append(s.copy()))
        return np.array(rows)

    a, b, c = trajectory(0), trajectory(0), trajectory(1)
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)


def test_serves_are_common_random_numbers():
    """The n-th serve of an episode is the same whatever the agent does."""
    def serves(policy):
        out = []

        def record(state, reward, obs):
            if reward != 0.0:
                out.append((state[P.BALL_VX], state[P.BALL_VY]))
        play(policy, 3, 0, on_step=record)
        return out

    still, good = serves(lambda s, p, o: STAY), serves(lambda s, p, o: heuristic(s, p))
    n = min(len(still), len(good))
    assert n >= 4
    assert still[:n] == good[:n]


def test_actions_move_paddle_and_court_bounds_it():
    state, params, rng, obs, action = new()
    place_ball(state, 0.0, 0.0, 0.0, 0.0)  # ball parked: no scoring
    step = params[P.PADDLE_SPEED] * params[P.DT]
    for a, sign in ((UP, 1.0), (STAY, 0.0), (DOWN, -1.0)):
        y = state[P.PADDLE_Y]
        action[0] = a
        P.step(state, params, action, rng)
        assert state[P.PADDLE_Y] == pytest.approx(y + sign * step)
    action[0] = UP
    for _ in range(200):
        P.step(state, params, action, rng)
    assert state[P.PADDLE_Y] == pytest.approx(1.0 - params[P.PADDLE_HALF])


def test_opponent_tracks_ball_at_limited_speed():
    state, params, rng, obs, action = new()
    place_ball(state, 0.0, 0.9, 0.0, 0.0)
    action[0] = STAY
    limit = params[P.OPP_SPEED] * params[P.DT]
    P.step(state, params, action, rng)
    assert state[P.OPP_Y] == pytest.approx(limit)
    for _ in range(300):
        P.step(state, params, action, rng)
    assert state[P.OPP_Y] == pytest.approx(1.0 - params[P.PADDLE_HALF])  # as close as the wall allows


def test_wall_bounce_reflects_vy():
    state, params, rng, obs, action = new()
    action[0] = STAY
    place_ball(state, 0.0, 0.975, 0.0, 1.5)
    P.step(state, params, action, rng)
    assert state[P.BALL_VY] == -1.5
    assert state[P.BALL_Y] <= 1.0 - params[P.BALL_RADIUS]
    place_ball(state, 0.0, -0.975, 0.0, -1.5)
    P.step(state, params, action, rng)
    assert state[P.BALL_VY] == 1.5


@pytest.mark.parametrize("offset", [0.0, 0.5, -0.9])
def test_paddle_return_angle_depends_on_hit_point(offset):
    state, params, rng, obs, action = new()
    action[0] = STAY
    reach = params[P.PADDLE_HALF] + params[P.BALL_RADIUS]
    face = -(params[P.PADDLE_X] - params[P.BALL_RADIUS])
    place_ball(state, face + 0.01, offset * reach, -1.5, 0.0)
    reward, done = P.step(state, params, action, rng)
    assert reward == 0.0 and not done
    speed = 1.5 * params[P.SPEEDUP]
    angle = offset * params[P.MAX_BOUNCE_ANGLE]
    assert state[P.SPEED] == pytest.approx(speed)
    assert state[P.BALL_VX] == pytest.approx(speed * math.cos(angle))
    assert state[P.BALL_VY] == pytest.approx(speed * math.sin(angle))
    assert state[P.BALL_X] == pytest.approx(face)


def test_ball_speed_is_capped():
    state, params, rng, obs, action = new()
    action[0] = STAY
    face = -(params[P.PADDLE_X] - params[P.BALL_RADIUS])
    place_ball(state, face + 0.01, 0.0, -params[P.MAX_BALL_SPEED], 0.0)
    P.step(state, params, action, rng)
    assert state[P.SPEED] == params[P.MAX_BALL_SPEED]
    assert state[P.BALL_VX] == pytest.approx(params[P.MAX_BALL_SPEED])


def test_opponent_returns_ball():
    state, params, rng, obs, action = new()
    action[0] = STAY
    face = params[P.PADDLE_X] - params[P.BALL_RADIUS]
    place_ball(state, face - 0.01, 0.0, 1.5, 0.0)
    P.step(state, params, action, rng)
    assert state[P.BALL_VX] == pytest.approx(-1.5 * params[P.SPEEDUP])


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_missed_ball_scores_and_reserves(side):
    state, params, rng, obs, action = new()
    action[0] = STAY
    state[P.PADDLE_Y] = state[P.OPP_Y] = -0.8  # both paddles far from the ball
    place_ball(state, side * 0.9, 0.5, side * 1.5, 0.0)
    rewards = []
    for _ in range(10):
        reward, done = P.step(state, params, action, rng)
        rewards.append(reward)
        assert not done
        if reward != 0.0:
            break
    assert rewards[-1] == side and rewards.count(0.0) == len(rewards) - 1
    assert state[P.SCORE] == (side > 0) and state[P.OPP_SCORE] == (side < 0)
    assert state[P.BALL_X] == state[P.BALL_Y] == 0.0
    assert math.hypot(state[P.BALL_VX], state[P.BALL_VY]) == pytest.approx(params[P.BALL_SPEED])


def test_episode_ends_at_points():
    state, params, rng, obs, action = new(points=2)
    action[0] = STAY
    state[P.OPP_SCORE] = 1.0
    state[P.PADDLE_Y] = -0.8
    place_ball(state, -0.99, 0.5, -1.5, 0.0)
    reward, done = P.step(state, params, action, rng)
    assert reward == -1.0 and done and state[P.OPP_SCORE] == 2.0


def test_observations_within_bounds_on_random_play():
    lo, hi = np.array(SPEC.obs_low), np.array(SPEC.obs_high)
    for ep in range(5):
        g = np.random.default_rng(ep)
        seen = []
        play(lambda s, p, o: float(g.integers(3)), 11, ep,
             on_step=lambda s, r, o: seen.append(o.copy()))
        seen = np.array(seen)
        assert np.all(seen >= lo) and np.all(seen <= hi)
        assert np.all(np.isfinite(seen))


def test_heuristic_solves_and_standing_still_loses():
    params = P.default_params()
    good = [play(lambda s, p, o: heuristic(s, p), 5, ep, params) for ep in range(SPEC.solved_over)]
    still = [play(lambda s, p, o: STAY, 5, ep, params) for ep in range(30)]
    assert np.mean(good) >= SPEC.solved_at
    assert np.mean(still) <= -4.0


def test_random_networks_mostly_lose():
    g = np.random.default_rng(0)
    returns = []
    for net in range(30):
        w1, b1 = g.normal(size=(16, SPEC.obs_size)), g.normal(size=16)
        w2, b2 = g.normal(size=(3, 16)), g.normal(size=3)
        policy = lambda s, p, o: float(np.argmax(w2 @ np.tanh(w1 @ o + b1) + b2))  # noqa: E731
        returns.append(play(policy, 9, net))
    assert np.mean(np.array(returns) < 0) >= 0.8
