"""Snake rules: moving, turning, eating, growing, dying, food placement, observations."""

import numpy as np
import pytest

import envs.rng
from envs import snake
from envs.snake import (FOOD_X, FOOD_Y, GRID, HEAD_X, HEAD_Y, HEADING, HUNGER, LENGTH, SCORE,
                        SPEC, STATE_SIZE, STEPS)

LEFT, STRAIGHT, RIGHT = 0.0, 1.0, 2.0
UP, RIGHTWARD, DOWN, LEFTWARD = range(4)
P = snake.default_params()


def key(seed, ep=0):
    return envs.rng.keys(seed, 0, [ep])[:1].copy()


def fresh(seed=0, params=P):
    state = np.zeros(STATE_SIZE)
    rng = key(seed)
    snake.reset(state, params, rng)
    return state, rng


def act(state, a, rng, params=P):
    return snake.step(state, params, np.array([a]), rng)


def obs_of(state, params=P):
    obs = np.zeros(SPEC.obs_size, np.float32)
    snake.observe(state, params, obs)
    return obs


def heading_seed(heading, params=P):
    """The first seed whose start state has the random heading ``heading``."""
    return next(s for s in range(100) if fresh(s, params)[0][HEADING] == heading)


def fresh_heading(heading, params=P):
    return fresh(heading_seed(heading, params), params)


def put_food(state, x, y):
    state[FOOD_X], state[FOOD_Y] = x, y


def greedy(obs):
    """Observation-only controller: toward the food, never into danger, else the longest free run."""
    danger, run = obs[0:3], obs[7:10]          # straight, left, right
    ahead, right = obs[3], obs[4]
    wants = {LEFT: right < 0, STRAIGHT: ahead > 0, RIGHT: right > 0}
    best, best_score = STRAIGHT, -np.inf
    for a, i in ((STRAIGHT, 0), (LEFT, 1), (RIGHT, 2)):
        if danger[i]:
            continue
        score = 2.0 * wants[a] + 0.1 * run[i]
        if score > best_score:
            best, best_score = a, score
    return best


def play(policy, episodes, seed=123, params=P):
    returns = []
    obs = np.zeros(SPEC.obs_size, np.float32)
    action = np.zeros(SPEC.action_buffer_size)
    state = np.zeros(STATE_SIZE)
    for ep in range(episodes):
        rng = key(seed, ep)
        snake.reset(state, params, rng)
        total = 0.0
        for _ in range(SPEC.max_steps):
            snake.observe(state, params, obs)
            action[0] = policy(obs)
            reward, done = snake.step(state, params, action, rng)
            total += reward
            if done:
                break
        returns.append(total)
    return np.array(returns)


def test_params_validated():
    assert snake.default_params(size=8)[snake.SIZE] == 8
    for bad in ({"size": 7}, {"size": 33}, {"size": 12.5}, {"starve": 0}, {"speed": 1}):
        with pytest.raises(ValueError, match="snake"):
            snake.default_params(**bad)


def test_start_state():
    for seed in range(20):
        state, _ = fresh(seed)
        cells = snake.body(state, P)
        assert state[LENGTH] == 3 and len(cells) == 3
        assert tuple(cells[-1]) == (8, 8) == (state[HEAD_X], state[HEAD_Y])
        h = int(state[HEADING])
        step = np.array([snake._DX[h], snake._DY[h]])
        assert (cells[1:] - cells[:-1] == step).all()   # straight line behind the head
        assert not (cells == [state[FOOD_X], state[FOOD_Y]]).all(axis=1).any()
    headings = {fresh(s)[0][HEADING] for s in range(50)}
    assert headings == {0.0, 1.0, 2.0, 3.0}


def test_same_key_same_start_different_keys_differ():
    a, _ = fresh(5)
    b, _ = fresh(5)
    np.testing.assert_array_equal(a, b)
    foods = {tuple(fresh(s)[0][[FOOD_X, FOOD_Y]]) for s in range(20)}
    assert len(foods) > 10


def test_move_and_turn():
    state, rng = fresh_heading(UP)
    act(state, STRAIGHT, rng)
    assert (state[HEAD_X], state[HEAD_Y], state[HEADING]) == (8, 7, UP)
    act(state, LEFT, rng)
    assert (state[HEAD_X], state[HEAD_Y], state[HEADING]) == (7, 7, LEFTWARD)
    act(state, RIGHT, rng)
    act(state, RIGHT, rng)
    assert (state[HEAD_X], state[HEAD_Y], state[HEADING]) == (8, 6, RIGHTWARD)
    assert len(snake.body(state, P)) == 3
    assert state[STEPS] == 4


def test_eating_grows_scores_and_moves_food():
    state, rng = fresh_heading(UP)
    put_food(state, 8, 7)
    tail_before = tuple(snake.body(state, P)[0])
    reward, done = act(state, STRAIGHT, rng)
    assert (reward, done) == (1.0, False)
    cells = snake.body(state, P)
    assert state[LENGTH] == 4 and state[SCORE] == 1 and state[HUNGER] == 0 and len(cells) == 4
    assert tuple(cells[0]) == tail_before            # the tail stayed: the snake grew
    assert not (cells == [state[FOOD_X], state[FOOD_Y]]).all(axis=1).any()
    put_food(state, 0, 0)
    assert act(state, STRAIGHT, rng) == (0.0, False)
    cells = snake.body(state, P)
    assert len(cells) == 4 and tuple(cells[0]) != tail_before and tuple(cells[-1]) == (8, 6)


def test_wall_ends_episode():
    state, rng = fresh_heading(LEFTWARD)
    put_food(state, 0, 0)
    for _ in range(8):                               # head from x=8 to x=0
        assert act(state, STRAIGHT, rng) == (0.0, False)
    assert state[HEAD_X] == 0
    assert obs_of(state)[0] == 1.0                   # danger straight
    assert act(state, STRAIGHT, rng) == (0.0, True)


def test_tail_chasing_is_allowed_but_a_longer_body_blocks():
    state, rng = fresh_heading(UP)
    put_food(state, 8, 7)
    act(state, STRAIGHT, rng)                        # length 4
    put_food(state, 0, 0)
    for _ in range(12):                              # circle on a 2x2 square: head enters the tail's cell
        assert act(state, RIGHT, rng) == (0.0, False)
    state, rng = fresh_heading(UP)
    put_food(state, 8, 7)
    act(state, STRAIGHT, rng)
    put_food(state, 8, 6)
    act(state, STRAIGHT, rng)                        # length 5
    put_food(state, 0, 0)
    for _ in range(2):                               # (9, 6), (9, 7); then (8, 7) is still body
        assert act(state, RIGHT, rng) == (0.0, False)
    assert obs_of(state)[2] == 1.0                   # danger right: its own body
    assert act(state, RIGHT, rng) == (0.0, True)


def test_starvation():
    params = snake.default_params(starve=10)
    state, rng = fresh_heading(UP, params)
    put_food(state, 0, 0)
    for _ in range(9):
        assert act(state, RIGHT, rng, params) == (0.0, False)
    assert act(state, RIGHT, rng, params) == (0.0, True)


def test_filling_the_grid_ends_the_episode():
    params = snake.default_params(size=8)
    path = [(x if y % 2 == 0 else 7 - x, y) for y in range(8) for x in range(8)]  # serpentine
    state = np.zeros(STATE_SIZE)
    state[GRID:GRID + 64] = snake.EMPTY
    for i, (x, y) in enumerate(path[:63]):
        state[GRID + 8 * y + x] = i - 62             # head (path[62]) has stamp 0
    state[HEAD_X], state[HEAD_Y] = path[62]
    state[HEADING], state[LENGTH] = LEFTWARD, 63     # row 7 runs right to left
    put_food(state, *path[63])
    assert act(state, STRAIGHT, key(0), params) == (1.0, True)
    assert state[SCORE] == 1 and len(snake.body(state, params)) == 64


def test_food_uniform_over_free_cells():
    params = snake.default_params(size=8)
    state, _ = fresh_heading(UP, params)
    counts = np.zeros((8, 8))
    n = 6100
    for i in range(n):
        snake._place_food(state, 8, key(1, i))
        counts[int(state[FOOD_Y]), int(state[FOOD_X])] += 1
    for x, y in snake.body(state, params):
        assert counts[y, x] == 0
    free = counts[counts > 0]
    assert free.size == 61
    chi2 = ((free - n / 61) ** 2 / (n / 61)).sum()
    assert chi2 < 100                                # 60 dof: mean 60, sd 11


def test_one_draw_per_food_whatever_the_play():
    """The k-th food uses the k-th draw, so genomes sharing a key meet aligned food draws."""
    state, rng = fresh_heading(UP)
    shadow = key(heading_seed(UP))
    for _ in range(2):                               # reset: heading + first food
        envs.rng.next_u64(shadow)
    for _ in range(5):                               # steps that eat nothing draw nothing
        act(state, RIGHT, rng)
    assert rng[0] == shadow[0]
    put_food(state, int(state[HEAD_X]) + snake._DX[int(state[HEADING])],
             int(state[HEAD_Y]) + snake._DY[int(state[HEADING])])
    assert act(state, STRAIGHT, rng)[0] == 1.0
    envs.rng.next_u64(shadow)
    assert rng[0] == shadow[0]


def test_observation_values():
    state, _ = fresh_heading(UP)
    put_food(state, 10, 5)                           # 3 ahead, 2 to the right
    obs = obs_of(state)
    np.testing.assert_allclose(obs[:7], [0, 0, 0, 1, 1, 3 / 15, 2 / 15], atol=1e-7)
    np.testing.assert_allclose(obs[7:], [8 / 15, 8 / 15, 7 / 15], atol=1e-7)
    state[HEADING] = RIGHTWARD                       # now the food is ahead and to the left
    obs = obs_of(state)
    np.testing.assert_allclose(obs[3:7], [1, -1, 2 / 15, -3 / 15], atol=1e-7)


@pytest.mark.parametrize("size", [8, 16, 32])
def test_danger_predicts_death_and_obs_in_bounds(size):
    params = snake.default_params(size=size)
    low, high = np.array(SPEC.obs_low), np.array(SPEC.obs_high)
    gen = np.random.default_rng(size)
    for ep in range(10):
        state = np.zeros(STATE_SIZE)
        rng = key(size, ep)
        snake.reset(state, params, rng)
        for _ in range(300):
            obs = obs_of(state, params)
            assert ((obs >= low) & (obs <= high)).all()
            for a, i in ((STRAIGHT, 0), (LEFT, 1), (RIGHT, 2)):
                trial = state.copy()
                _, done = act(trial, a, rng.copy(), params)
                starved = trial[HUNGER] >= params[snake.STARVE]
                assert (done and not starved) == bool(obs[i])
            a = greedy(obs) if gen.random() < 0.8 else float(gen.integers(3))
            if act(state, a, rng, params)[1]:
                break


def test_greedy_controller_solves_and_constant_policies_do_not():
    greedy_returns = play(greedy, SPEC.solved_over)
    assert greedy_returns.mean() >= SPEC.solved_at
    assert play(lambda obs: STRAIGHT, SPEC.solved_over).mean() < 1.0
    assert play(lambda obs: LEFT, 20).max() <= 1.0
