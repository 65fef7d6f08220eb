"""Flappy Bird: physics, pipes, scoring, collisions, common random numbers, solvability."""

import numpy as np
import pytest

import envs.rng
from envs import flappy as F
from envs.flappy import (GAP_HEIGHT, PIPE_GAP, PIPE_SPACING, PIPE_WIDTH, PIPE_X, SCORE, SPEC,
                         STATE_SIZE, STEPS, VY, Y)

PARAMS = F.default_params()
N = F.NUM_PIPES


def new_episode(seed=0, ep=0, params=PARAMS):
    state = np.zeros(STATE_SIZE)
    rng = envs.rng.keys(seed, 0, [ep])[:1].copy()
    F.reset(state, params, rng)
    return state, rng


def do(state, rng, a, params=PARAMS):
    action = np.zeros(SPEC.action_buffer_size)
    action[0] = a
    return F.step(state, params, action, rng)


def pipes(state):
    return state[PIPE_X:PIPE_X + 2 * N:2].copy(), state[PIPE_GAP:PIPE_GAP + 2 * N:2].copy()


def heuristic(obs):
    """Flap when below the next gap's centre and falling; reads the observation only."""
    below_centre = obs[3] + obs[4] > 0.0  # (top - y) + (bottom - y) > 0
    return 1.0 if below_centre and obs[1] < 0.0 else 0.0


def play(policy, episodes, seed=0, params=PARAMS, check_obs=False):
    """Returns of ``policy(obs, rng)`` over ``episodes`` episodes truncated at SPEC.max_steps."""
    obs = np.zeros(SPEC.obs_size, np.float32)
    low, high = np.array(SPEC.obs_low), np.array(SPEC.obs_high)
    returns = []
    for ep in range(episodes):
        state, rng = new_episode(seed, ep, params)
        total = 0.0
        for _ in range(SPEC.max_steps):
            F.observe(state, params, obs)
            if check_obs:
                assert np.all(obs >= low) and np.all(obs <= high), obs
            reward, done = do(state, rng, policy(obs), params)
            total += reward
            if done:
                break
        F.observe(state, params, obs)
        if check_obs:
            assert np.all(obs >= low) and np.all(obs <= high), obs
        returns.append(total)
    return np.array(returns)


def test_spec_and_params():
    assert SPEC.state_size == STATE_SIZE == 4 + 4 * N + 1
    assert len(F.PARAM_NAMES) == len(F.PARAM_DEFAULTS) == PARAMS.shape[0]
    assert F.default_params(gap_height=0.25)[GAP_HEIGHT] == 0.25
    with pytest.raises(ValueError, match="flappy"):
        F.default_params(gap=0.2)
    # four slots hold every pipe on screen
    assert 3 * PARAMS[PIPE_SPACING] >= PARAMS[F.WIDTH] + PARAMS[PIPE_WIDTH]


def test_reset_start_state():
    state, _ = new_episode()
    assert 0.45 <= state[Y] <= 0.55
    assert state[VY] == 0.0 and state[STEPS] == 0.0 and state[SCORE] == 0.0
    xs, gaps = pipes(state)
    assert xs[0] == pytest.approx(PARAMS[F.WIDTH] + 0.5 * PARAMS[PIPE_WIDTH])
    assert np.allclose(np.diff(xs), PARAMS[PIPE_SPACING])
    assert np.all((gaps >= PARAMS[F.GAP_MIN]) & (gaps <= PARAMS[F.GAP_MAX]))


def test_gravity_flap_and_fall_cap():
    dt, g = PARAMS[F.DT], PARAMS[F.GRAVITY]
    state, rng = new_episode()
    y0 = state[Y]
    do(state, rng, 0.0)
    assert state[VY] == pytest.approx(-g * dt)
    assert state[Y] == pytest.approx(y0 - g * dt * dt)
    do(state, rng, 1.0)
    assert state[VY] == PARAMS[F.FLAP_SPEED]  # a flap sets the speed, whatever it was
    assert state[Y] > y0 - g * dt * dt
    state[Y], state[VY] = 0.95, 0.0
    state[PIPE_X:PIPE_X + 2 * N:2] += 10.0  # pipes out of the way
    for _ in range(20):
        _, done = do(state, rng, 0.0)
        assert not done
    assert state[VY] == -PARAMS[F.MAX_FALL]
    assert state[STEPS] == 22


def test_floor_and_ceiling_end_the_episode():
    for action, hits_floor in ((0.0, True), (1.0, False)):
        state, rng = new_episode()
        for t in range(100):
            _, done = do(state, rng, action)
            if done:
                break
        assert done and t < 40  # before the first pipe reaches the bird (73 steps)
        r = PARAMS[F.BIRD_RADIUS]
        if hits_floor:
            assert state[Y] - r <= 0.0
        else:
            assert state[Y] + r >= 1.0


def place_pipe(state, x, gap):
    """Put pipe slot 0 at ``x`` with gap centre ``gap``; the others far right."""
    state[PIPE_X] = x
    state[PIPE_GAP] = gap
    for i in range(1, N):
        state[PIPE_X + 2 * i] = x + 10.0 + i
    state[VY] = 0.0


def test_pipe_collision_outside_gap_only():
    bx, r, hg = PARAMS[F.BIRD_X], PARAMS[F.BIRD_RADIUS], 0.5 * PARAMS[GAP_HEIGHT]
    for y, crash in ((0.5, False), (0.5 + hg - r - 0.02, False), (0.5 - hg + r + 0.02, False),
                     (0.5 + hg, True), (0.5 - hg, True), (0.9, True), (0.1, True)):
        state, rng = new_episode()
        place_pipe(state, bx, 0.5)
        state[Y] = y
        _, done = do(state, rng, 1.0 if y < 0.5 else 0.0)
        assert done == crash, y
    # a bird far outside the gap crashes once its box overlaps the pipe's column, not before
    move = PARAMS[F.PIPE_SPEED] * PARAMS[F.DT]
    for overlap, crash in ((0.5 * r, True), (-0.005, False), (-0.1, False)):
        state, rng = new_episode()
        place_pipe(state, bx + 0.5 * PARAMS[PIPE_WIDTH] + r - overlap + move, 0.5)
        state[Y] = 0.85
        _, done = do(state, rng, 0.0)
        assert done == crash, overlap


def test_score_once_when_pipe_passed():
    bx, r, hw = PARAMS[F.BIRD_X], PARAMS[F.BIRD_RADIUS], 0.5 * PARAMS[PIPE_WIDTH]
    state, rng = new_episode()
    move = PARAMS[F.PIPE_SPEED] * PARAMS[F.DT]
    # the pipe's right edge half a step ahead of the bird's left edge
    place_pipe(state, bx - r - hw + 0.5 * move, 0.5)
    state[Y] = 0.5
    assert F.next_pipe(state, PARAMS) == 0
    reward, done = do(state, rng, 1.0)
    assert reward == 1.0 and state[SCORE] == 1.0 and not done
    assert F.next_pipe(state, PARAMS) == 1
    reward, done = do(state, rng, 0.0)
    assert reward == 0.0 and state[SCORE] == 1.0


def test_alive_reward_is_added_every_step():
    params = F.default_params(alive_reward=0.01)
    state, rng = new_episode(params=params)
    reward, _ = do(state, rng, 0.0, params)
    assert reward == pytest.approx(0.01)


def test_pipes_move_shift_and_spawn_at_fixed_spacing():
    state, rng = new_episode()
    hw = 0.5 * PARAMS[PIPE_WIDTH]
    spawned = 0
    for _ in range(1000):
        first = state[PIPE_X]
        state[Y], state[VY] = 0.5, 0.0  # pipes move the same after a crash; keep y tidy anyway
        do(state, rng, 0.0)
        xs, gaps = pipes(state)
        spawned += state[PIPE_X] > first
        assert np.allclose(np.diff(xs), PARAMS[PIPE_SPACING])
        assert xs[0] + hw >= 0.0  # the leftmost slot is still (partly) on screen
        assert xs[-1] - hw > PARAMS[F.WIDTH]  # every pipe on screen is in a slot
        assert np.all((gaps >= PARAMS[F.GAP_MIN]) & (gaps <= PARAMS[F.GAP_MAX]))
    dist = 1000 * PARAMS[F.PIPE_SPEED] * PARAMS[F.DT]
    assert spawned == int((dist - PARAMS[F.WIDTH] - 2 * hw) // PARAMS[PIPE_SPACING]) + 1


def gap_sequence(seed, ep, policy, steps=1500):
    """Gap heights of every pipe met in ``steps`` steps (stepping on past crashes)."""
    state, rng = new_episode(seed, ep)
    seen = list(pipes(state)[1])
    obs = np.zeros(SPEC.obs_size, np.float32)
    for t in range(steps):
        F.observe(state, PARAMS, obs)
        first = state[PIPE_X]
        do(state, rng, policy(obs, t))
        if state[PIPE_X] > first:
            seen.append(state[PIPE_GAP + 2 * (N - 1)])
    return np.array(seen)


def test_same_key_same_pipes_whatever_the_actions():
    a = gap_sequence(3, 5, lambda obs, t: heuristic(obs))
    b = gap_sequence(3, 5, lambda obs, t: float(t % 7 == 0))
    c = gap_sequence(3, 5, lambda obs, t: 0.0)
    assert len(a) > 20
    assert np.array_equal(a, b) and np.array_equal(a, c)
    d = gap_sequence(3, 6, lambda obs, t: 0.0)
    e = gap_sequence(4, 5, lambda obs, t: 0.0)
    assert not np.any(a == d) and not np.any(a == e)


def test_heuristic_solves_and_constant_policies_do_not():
    heur = play(heuristic, SPEC.solved_over)
    assert heur.mean() >= SPEC.solved_at
    assert heur.min() == 41.0  # never crashes: every pipe until the truncation
    for a in (0.0, 1.0):
        const = play(lambda obs, a=a: a, 20)
        assert const.max() == 0.0


def test_random_networks_mostly_die_before_the_first_pipe():
    rng = np.random.default_rng(0)
    returns = []
    for net in range(200):
        w1, b1 = rng.normal(size=(16, SPEC.obs_size)), rng.normal(size=16)
        w2, b2 = rng.normal(size=(SPEC.num_actions, 16)), rng.normal(size=SPEC.num_actions)
        def policy(obs, w1=w1, b1=b1, w2=w2, b2=b2):
            return float(np.argmax(w2 @ np.tanh(w1 @ obs + b1) + b2))
        returns.append(play(policy, 1, seed=net)[0])
    assert np.mean(np.array(returns) >= 1.0) < 0.1


def test_observations_stay_in_bounds():
    rng = np.random.default_rng(0)
    for p_flap in (0.05, 0.15, 0.3, 0.6):
        play(lambda obs: float(rng.random() < p_flap), 20, seed=1, check_obs=True)
    # a noisy heuristic lives long and sees pipes at every distance
    play(lambda obs: heuristic(obs) if rng.random() < 0.97 else 1.0 - heuristic(obs), 10, seed=2,
         check_obs=True)
