"""Racer: the procedural track generator, and the hand-drawn tracks as the test set."""

import math

import numpy as np
import pytest

import envs
import envs.rng
from envs import racer as R

PROCEDURAL = R.default_params()


def track_of(key, seed=0):
    state = np.zeros(R.STATE_SIZE)
    R.reset(state, PROCEDURAL, envs.rng.keys(seed, 0, [key])[:1].copy())
    return state


def segments_cross(a, b):
    """Pairs (i, j), i < j - 1 cyclically, of the closed polyline segments a[i]a[i+1] that properly cross;
    ``a`` and ``b`` are the two walls, checked against themselves and each other."""
    pts = np.concatenate([a, b])
    n = len(a)
    nxt = np.concatenate([np.roll(a, -1, axis=0), np.roll(b, -1, axis=0)])
    p, r = pts[:, None, :], (nxt - pts)[:, None, :]
    q, s = pts[None, :, :], (nxt - pts)[None, :, :]

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    den = cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross(q - p, s) / den
        u = cross(q - p, r) / den
    hit = (den != 0) & (t > 1e-9) & (t < 1 - 1e-9) & (u > 1e-9) & (u < 1 - 1e-9)
    idx = np.arange(2 * n)
    same_wall = (idx[:, None] < n) == (idx[None, :] < n)
    gap = np.abs(idx[:, None] % n - idx[None, :] % n)
    neighbours = same_wall & ((gap <= 1) | (gap == n - 1))
    return np.argwhere(hit & ~neighbours)


def test_the_crossing_check_sees_a_figure_eight():
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False) + 0.05  # the crossing inside segments
    eight = np.stack([100 * np.sin(t), 50 * np.sin(2 * t)], axis=1)
    circle = np.stack([300 + 50 * np.cos(t), 50 * np.sin(t)], axis=1)
    assert len(segments_cross(circle, circle + [200, 0])) == 0
    assert len(segments_cross(eight, circle + [200, 0])) > 0
    assert len(segments_cross(circle, circle + [30, 0])) > 0  # one wall across the other


def test_the_same_key_gives_the_same_track_and_other_keys_others():
    a, b, c = track_of(7), track_of(7), track_of(8)
    np.testing.assert_array_equal(a, b)
    assert R.track_key(a) != R.track_key(c)
    assert R.track_key(track_of(7, seed=1)) != R.track_key(a)


def test_tracks_never_self_intersect_and_stay_in_their_stated_ranges():
    reach = math.sqrt(PROCEDURAL[R.ACCEL] / PROCEDURAL[R.DRAG]) * PROCEDURAL[R.DT]
    lengths, widths, radii, clockwise = [], [], [], 0
    for key in range(150):
        state = track_of(key)
        centre, left, right = R.track_geometry(state)
        assert len(centre) == R.MAX_POINTS
        assert len(segments_cross(left, right)) == 0, f"key {key}: walls cross"
        seg = np.roll(centre, -1, axis=0) - centre
        length = np.hypot(*seg.T)
        assert length.min() > reach
        assert state[R.TRACK + R.T_LENGTH] == pytest.approx(length.sum())
        heading = np.arctan2(seg[:, 1], seg[:, 0])
        turn = np.angle(np.exp(1j * (heading - np.roll(heading, 1))))
        radii.append(np.min(0.5 * (length + np.roll(length, 1)) / np.maximum(np.abs(turn), 1e-12)))
        clockwise += turn.sum() < 0
        assert abs(abs(turn.sum()) - 2 * np.pi) < 1e-6  # a simple closed curve turns once
        lengths.append(length.sum())
        widths.append(state[R.TRACK + R.T_HALF_WIDTH])
        # every wall vertex lies half_width off the centre line, so the car always has room
        for wall in (left, right):
            d = np.hypot(*(wall - centre).T)
            assert np.all(d >= widths[-1] - 1e-9)
    lengths, widths, radii = map(np.array, (lengths, widths, radii))
    assert lengths.min() >= R.LENGTH_RANGE[0] * 0.999 and lengths.max() <= R.LENGTH_RANGE[1] * 1.001
    assert widths.min() >= R.WIDTH_RANGE[0] and widths.max() <= R.WIDTH_RANGE[1]
    assert radii.min() >= R.MIN_RADIUS * 0.999
    # varied: lengths, widths and tightest bends spread over their ranges, both directions
    assert np.ptp(lengths) > 0.6 * np.ptp(R.LENGTH_RANGE) and np.ptp(widths) > 0.6 * np.ptp(R.WIDTH_RANGE)
    assert np.percentile(radii, 25) < 1.5 * R.MIN_RADIUS < np.percentile(radii, 75)
    assert 40 < clockwise < 110


def test_episodes_of_a_generation_share_their_tracks(game_envs):
    env = game_envs["racer"]
    batch = env.batch(4, seed=3, episodes=[0, 1, 0, 1])
    batch.reset()
    s = batch.states
    assert R.track_key(s[0]) == R.track_key(s[2]) != R.track_key(s[1]) == R.track_key(s[3])


def test_a_simple_driver_laps_procedural_tracks():
    from tests.envs.test_racer import heuristic, play
    returns, _ = play(heuristic, 20, params=PROCEDURAL)
    assert np.median(returns) >= 2.0, returns


def test_hand_drawn_tracks_are_the_test_set_and_never_the_default(game_envs):
    env = game_envs["racer"]
    assert env.params[R.PARAM_TRACK + R.T_N] == 0  # procedural by default
    sets = env.test_sets()
    assert [name for name, _ in sets] == list(R.TRACKS)
    for name, test_env in sets:
        np.testing.assert_array_equal(test_env.params, R.default_params(name))
    only = env.test_sets(fixed={"track"})  # eval --env-param track=... keeps the chosen track
    assert [name for name, _ in only] == [""] and only[0][1].params[R.PARAM_TRACK + R.T_N] == 0
    hairpin = envs.make("racer", track="hairpin").test_sets(fixed={"track"})
    np.testing.assert_array_equal(hairpin[0][1].params, R.default_params("hairpin"))


def test_a_runs_test_score_is_its_worst_tracks_mean(game_envs, game_nets):
    from evo.runs.driver import test_results, test_score
    env, net = game_envs["racer"], game_nets["racer"]
    genome = net.init(np.random.default_rng(2), 1)[0]
    results = test_results(env, net, genome, 3, 5)
    means = [float(r.fitness[0]) for _, r in results]
    assert len(set(means)) == 3 and test_score(results) == min(means)
