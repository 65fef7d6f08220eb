"""Racer: track data, wall geometry, ray casting, progress reward, crashes, solvability."""

import math

import numpy as np
import pytest

import envs.rng
from envs import racer as R
from envs.racer import (ARC, BEST, HEADING, PROGRESS, RAY0, SEG, SPEC, SPEED, STALL, STATE_SIZE,
                        X, Y)

PARAMS = R.default_params("oval")
LAP = PARAMS[R.PARAM_TRACK + R.T_LENGTH]
HW = PARAMS[R.HALF_WIDTH]


def new_episode(seed=0, ep=0, params=PARAMS):
    state = np.zeros(STATE_SIZE)
    rng = envs.rng.keys(seed, 0, [ep])[:1].copy()
    R.reset(state, params, rng)
    return state, rng


def place(state, params, x, y, heading, speed=0.0):
    """Put the car at (x, y) with the given heading and speed on the track of ``params``; refresh
    the track, segment cache, arc and rays."""
    state[R.TRACK:] = params[R.PARAM_TRACK:]
    state[X], state[Y], state[HEADING], state[SPEED] = x, y, heading, speed
    n = int(state[R.TRACK + R.T_N])
    centre, _, _ = R.track_geometry(state)
    k = int(np.argmin(np.hypot(*(centre - (x, y)).T)))
    j, s, _ = R._locate(state, x, y, k)
    state[SEG], state[ARC] = j, s
    state[PROGRESS] = state[BEST] = state[STALL] = 0.0
    R._cast_rays(state, params)
    assert 0 <= j < n


def heuristic(obs):
    """Steer towards the side with more room, faster the more room ahead; reads the observation only."""
    r = obs.tolist()
    steer = (r[6] - r[0]) + 2.0 * (r[5] - r[1]) + (r[4] - r[2])
    throttle = 10.0 * (0.3 + r[3] - r[7])
    return min(max(steer, -1.0), 1.0), min(max(throttle, -1.0), 1.0)


def play(policy, episodes, params=PARAMS, seed=0, check_obs=False):
    """Returns and lengths of ``policy(obs) -> (steer, throttle)`` episodes, truncated at max_steps."""
    obs = np.zeros(SPEC.obs_size, np.float32)
    action = np.zeros(SPEC.action_buffer_size)
    returns, lengths = [], []
    for ep in range(episodes):
        state, rng = new_episode(seed, ep, params)
        total, t = 0.0, 0
        while t < SPEC.max_steps:
            R.observe(state, params, obs)
            if check_obs:
                assert np.all(obs >= 0.0) and np.all(obs <= 1.0), obs
            action[:] = policy(obs)
            reward, done = R.step(state, params, action, rng)
            total += reward
            t += 1
            if done:
                break
        assert total == pytest.approx(state[PROGRESS], abs=1e-9)  # return == laps driven
        returns.append(total)
        lengths.append(t)
    return np.array(returns), np.array(lengths)


def naive_rays(state, params):
    """Reference: every ray against every wall segment, by numpy.linalg.solve."""
    _, left, right = R.track_geometry(state)
    segs = [(w[i], w[(i + 1) % len(w)]) for w in (left, right) for i in range(len(w))]
    p = np.array([state[X], state[Y]])
    out = []
    for ang in R.RAY_ANGLES:
        d = np.array([math.cos(state[HEADING] + ang), math.sin(state[HEADING] + ang)])
        best = params[R.RAY_LENGTH]
        for a, b in segs:
            m = np.column_stack([d, a - b])
            if abs(np.linalg.det(m)) < 1e-12:
                continue
            t, u = np.linalg.solve(m, a - p)
            if 0 <= u <= 1 and 0 <= t < best:
                best = t
        out.append(best)
    return np.array(out)


def _cross(o, a, b):
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1, p2, q1, q2):
    return (_cross(p1, p2, q1) * _cross(p1, p2, q2) < 0) and (_cross(q1, q2, p1) * _cross(q1, q2, p2) < 0)


# -- track data -------------------------------------------------------------------------------


@pytest.mark.parametrize("track", R.TRACKS)
def test_walls_are_half_width_from_the_centre_line_and_never_cross(track):
    params = R.default_params(track)
    n = int(params[R.PARAM_TRACK + R.T_N])
    assert params.shape == (R.PARAM_TRACK + R.TRACK_SIZE,)
    centre, left, right = R.track_geometry(params, R.PARAM_TRACK)
    assert len(centre) == n <= R.MAX_POINTS
    seg = np.roll(centre, -1, axis=0) - centre
    assert params[R.PARAM_TRACK + R.T_LENGTH] == pytest.approx(np.hypot(*seg.T).sum())
    block = params[R.PARAM_TRACK + R.T_POINTS:].reshape(R.MAX_POINTS, R.POINT_SIZE)
    assert np.all(np.diff(block[:n, 2]) > 0)  # arc-length increases
    for wall, side in ((left, 1.0), (right, -1.0)):
        for i in range(n):  # a wall vertex lies half_width off both centre segments meeting there
            for e in (seg[i], seg[i - 1]):
                normal = np.array([-e[1], e[0]]) / np.hypot(*e)
                assert (wall[i] - centre[i]) @ normal == pytest.approx(side * HW)
    assert not walls_cross(left, right), f"{track}: walls cross"


def walls_cross(left, right):
    n = len(left)
    walls = [(w[i], w[(i + 1) % n]) for w in (left, right) for i in range(n)]
    return any(_segments_cross(a, b, c, d) for i, (a, b) in enumerate(walls) for c, d in walls[i + 2:])


def test_held_out_tracks_are_twistier_than_the_training_track():
    def max_curvature(track):
        c, _, _ = R.track_geometry(R.default_params(track), R.PARAM_TRACK)
        e = np.roll(c, -1, axis=0) - c
        h = np.arctan2(e[:, 1], e[:, 0])
        turn = np.abs(np.angle(np.exp(1j * (np.roll(h, -1) - h))))
        return np.max(turn / np.hypot(*e.T))
    assert max_curvature("oval") < max_curvature("kidney") < max_curvature("hairpin")


def test_track_from_a_csv_path(tmp_path):
    ang = np.linspace(0, 2 * np.pi, 25)  # the last point repeats the first
    path = tmp_path / "circle.csv"
    path.write_text("# a circle\nx,y\n" + "".join(f"{50 * math.cos(a)},{50 * math.sin(a)}\n" for a in ang))
    assert R.load_track(str(path)).shape == (24, 2)
    params = R.default_params(str(path), half_width=4.0)
    assert params[R.PARAM_TRACK + R.T_LENGTH] == pytest.approx(2 * np.pi * 50, rel=0.01)
    state, _ = new_episode(params=params)
    assert state[X] == pytest.approx(50, abs=1) and state[HEADING] == pytest.approx(np.pi / 2, abs=0.2)


def test_bad_tracks_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown track 'monza'; known: procedural, oval, kidney, hairpin"):
        R.default_params("monza")
    with pytest.raises(ValueError, match="unknown parameter 'warp'"):
        R.default_params(warp=1.0)
    with pytest.raises(ValueError, match="bends too tightly"):
        R.default_params("hairpin", half_width=16.0, car_radius=1.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n0,0\n10,0\nten,5\n")
    with pytest.raises(ValueError, match="line 4"):
        R.load_track(str(bad))
    short = tmp_path / "short.csv"
    short.write_text("0,0\n100,0\n100.5,0.5\n100,100\n")
    with pytest.raises(ValueError, match="shorter than"):
        R.default_params(str(short))


# -- sensing ----------------------------------------------------------------------------------


def test_rays_on_the_straight():
    state, _ = new_episode()
    place(state, PARAMS, 0.0, 0.0, 0.0)  # middle of the oval's bottom straight, heading +x
    rays = state[RAY0:RAY0 + R.NUM_RAYS]
    assert rays[0] == pytest.approx(HW) and rays[6] == pytest.approx(HW)  # -90 right, +90 left
    assert rays[1] == pytest.approx(HW / math.cos(math.radians(30)))
    assert rays[3] == PARAMS[R.RAY_LENGTH]  # the far wall is out of reach
    far = R.default_params("oval", ray_length=100.0)
    place(state, far, 0.0, 1.0, 0.0)
    assert state[RAY0 + 0] == pytest.approx(HW + 1) and state[RAY0 + 6] == pytest.approx(HW - 1)
    # straight ahead meets the outer wall of the 30 m turn (radius 36) at x = 50 + sqrt(36^2 - 29^2)
    assert state[RAY0 + 3] == pytest.approx(50 + math.sqrt(36**2 - 29**2), abs=0.3)


@pytest.mark.parametrize("track", R.TRACKS)
def test_rays_match_a_brute_force_reference(track):
    params = R.default_params(track)
    centre, _, _ = R.track_geometry(params, R.PARAM_TRACK)
    seg = np.roll(centre, -1, axis=0) - centre
    gen = np.random.default_rng(1)
    state, _ = new_episode(params=params)
    for _ in range(25):
        i = gen.integers(len(centre))
        normal = np.array([-seg[i, 1], seg[i, 0]]) / np.hypot(*seg[i])
        p = centre[i] + gen.uniform(0, 1) * seg[i] + gen.uniform(-0.9, 0.9) * HW * normal
        place(state, params, p[0], p[1], gen.uniform(-np.pi, np.pi))
        np.testing.assert_allclose(state[RAY0:RAY0 + R.NUM_RAYS], naive_rays(state, params), atol=1e-9)


def test_observation_scaling():
    state, _ = new_episode()
    obs = np.zeros(SPEC.obs_size, np.float32)
    place(state, PARAMS, 0.0, 0.0, 0.0, speed=0.5 * math.sqrt(PARAMS[R.ACCEL] / PARAMS[R.DRAG]))
    R.observe(state, PARAMS, obs)
    assert obs[0] == pytest.approx(HW / PARAMS[R.RAY_LENGTH]) and obs[3] == 1.0
    assert obs[7] == pytest.approx(0.5)


# -- dynamics and reward ----------------------------------------------------------------------


def test_progress_reward_is_arc_length_over_lap_length():
    state, rng = new_episode()
    place(state, PARAMS, -40.0, 0.0, 0.0, speed=10.0)
    action = np.zeros(2)
    total = 0.0
    for _ in range(100):
        r, done = R.step(state, PARAMS, action, rng)
        assert not done and r > 0
        total += r
    assert total * LAP == pytest.approx(state[X] + 40.0)  # straight line: arc-length == x travelled
    assert state[SPEED] < 10.0  # drag


def test_driving_backwards_costs_and_stalls():
    state, rng = new_episode()
    place(state, PARAMS, 0.0, 0.0, math.pi, speed=10.0)
    action = np.array([0.0, 0.3])
    total, steps, done = 0.0, 0, False
    while not done:
        r, done = R.step(state, PARAMS, action, rng)
        assert r < 0
        total += r
        steps += 1
    assert steps == PARAMS[R.STALL_STEPS] and total < 0


def test_reward_wraps_across_the_start_line():
    state, rng = new_episode()
    place(state, PARAMS, -3.0, 0.0, 0.0, speed=20.0)
    assert state[ARC] > LAP - 5  # behind the line: near the end of the lap
    total = sum(R.step(state, PARAMS, np.zeros(2), rng)[0] for _ in range(5))
    assert 0 < total * LAP < 6 and state[ARC] < 5


def test_touching_the_wall_ends_the_episode():
    state, rng = new_episode()
    limit = HW - PARAMS[R.CAR_RADIUS]
    place(state, PARAMS, 0.0, limit - 0.2, math.pi / 2, speed=10.0)  # heading for the left wall
    r, done = R.step(state, PARAMS, np.zeros(2), rng)
    assert done and r == pytest.approx(0.0, abs=1e-12)
    place(state, PARAMS, 0.0, limit - 0.6, math.pi / 2, speed=10.0)
    assert not R.step(state, PARAMS, np.zeros(2), rng)[1]


def test_car_needs_speed_to_turn_and_grip_limits_fast_turns():
    state, rng = new_episode()
    h0 = state[HEADING]
    R.step(state, PARAMS, np.array([1.0, -1.0]), rng)
    assert state[HEADING] == h0 and state[SPEED] == 0.0  # no turning on the spot, no reversing
    dt = PARAMS[R.DT]
    for v, rate in ((4.0, PARAMS[R.MAX_CURVATURE] * 4.0), (25.0, PARAMS[R.GRIP] / 25.0)):
        place(state, PARAMS, 0.0, 0.0, 0.0, speed=v)
        R.step(state, PARAMS, np.array([1.0, 0.0]), rng)
        v1 = state[SPEED]
        assert state[HEADING] == pytest.approx(dt * min(PARAMS[R.MAX_CURVATURE] * v1, PARAMS[R.GRIP] / v1))
        assert state[HEADING] == pytest.approx(dt * rate, rel=0.02)
    place(state, PARAMS, 0.0, 0.0, 0.0, speed=10.0)
    R.step(state, PARAMS, np.array([-1.0, 0.0]), rng)
    assert state[HEADING] < 0  # -1 steers right


def test_start_is_jittered_per_key_and_step_draws_nothing():
    a, rng_a = new_episode(0, 0)
    b, _ = new_episode(0, 0)
    c, _ = new_episode(0, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a[X]) <= 0.5 and abs(a[Y]) <= 0.5 and abs(a[HEADING]) <= 0.05 and a[SPEED] == 0
    before = rng_a.copy()
    R.step(a, PARAMS, np.array([0.3, 1.0]), rng_a)
    np.testing.assert_array_equal(rng_a, before)


# -- solvability ------------------------------------------------------------------------------


def test_heuristic_solves_the_oval():
    returns, lengths = play(heuristic, SPEC.solved_over, check_obs=True)
    assert returns.mean() >= SPEC.solved_at, returns.mean()
    assert (lengths == SPEC.max_steps).all()


@pytest.mark.parametrize("track, laps", [("kidney", 3.0), ("hairpin", 2.5)])
def test_heuristic_drives_the_held_out_tracks(track, laps):
    returns, _ = play(heuristic, 10, params=R.default_params(track), check_obs=True)
    assert returns.mean() >= laps, returns.mean()


def test_constant_policies_do_not_solve():
    idle, lengths = play(lambda obs: (0.0, 0.0), 5)
    assert (idle == 0).all() and (lengths == PARAMS[R.STALL_STEPS]).all()  # stall ends it
    flat_out, lengths = play(lambda obs: (0.0, 1.0), 5)
    assert flat_out.max() < 0.5 and lengths.max() < 200  # into the wall at the first turn
    circling, _ = play(lambda obs: (1.0, 0.5), 5)
    assert circling.max() < 0.2


def test_random_networks_mostly_crash_early():
    gen = np.random.default_rng(0)
    returns, lengths = [], []
    for _ in range(40):
        w1, b1 = gen.normal(size=(16, SPEC.obs_size)), gen.normal(size=16)
        w2, b2 = gen.normal(size=(2, 16)), gen.normal(size=2)
        r, n = play(lambda obs: np.tanh(w2 @ np.tanh(w1 @ obs + b1) + b2), 1)
        returns.append(r[0])
        lengths.append(n[0])
    assert np.median(lengths) < 300 and np.mean(returns) < 0.5
