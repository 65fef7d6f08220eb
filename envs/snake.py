"""Snake on a square grid, steered relative to its heading.

Description
    The snake moves one cell per step on a ``size`` x ``size`` grid. Eating the
    food grows it by ``growth`` cells and places new food uniformly at random on a free
    cell. Coordinates are screen-like: ``x`` grows to the right, ``y`` grows
    downwards, cell ``(x, y)`` is stored at index ``y * size + x``.

    The body is not a list: every cell holds the step count at which the head
    last entered it (``EMPTY`` if never), and a cell is body while
    ``stamp > steps - length``. Moving, growing and collision tests are then
    O(1); :func:`body` recovers the cells from tail to head for drawing.

Observation (10 floats; "left", "right", "ahead" are relative to the heading)
    =====  ===============================================  ====  ===
    index  name                                             min   max
    =====  ===============================================  ====  ===
    0      danger straight (1 if moving there kills)        0     1
    1      danger left                                      0     1
    2      danger right                                     0     1
    3      food ahead: sign of its forward offset           -1    1
    4      food right: sign of its rightward offset         -1    1
    5      food forward offset / (size - 1)                 -1    1
    6      food rightward offset / (size - 1)               -1    1
    7      free run straight / (size - 1)                   0     1
    8      free run left / (size - 1)                       0     1
    9      free run right / (size - 1)                      0     1
    =====  ===============================================  ====  ===

    A "free run" is the number of steps the snake could take in that direction
    (after turning there) before hitting a wall or a body cell that is still
    occupied when it arrives; danger is a free run of zero. The absolute
    heading is deliberately left out (it is in the state, for drawing): the
    actions are relative, and a one-hot heading made a GA need about three
    times as many generations to reach ``solved_at``.

Actions
    Discrete(3): 0 turns left, 1 goes straight, 2 turns right.

Reward
    +1 for each food eaten; nothing else (no shaping). The return is the food
    count.

Start state
    Length 3 with the head in the middle cell ``(size // 2, size // 2)``,
    heading drawn uniformly from the four directions, the body straight behind
    it; food on a uniformly drawn free cell. The generator is used exactly once
    for the heading and once per food placed (the k-th food consumes the k-th
    draw after the heading, whatever the snake did), so genomes given the same
    key meet the same sequence of draws.

Episode end
    Terminated when the head leaves the grid or enters its body (the cell the
    tail is leaving this step is free), after ``starve`` steps without food, or
    when the snake fills the grid. Truncated after 2000 steps. A crash
    leaves the snake on its last legal cells (only the heading has turned).

Solved
    Mean return (foods eaten) of at least 20 over 100 fresh episodes on the
    default 16 x 16 grid. A greedy controller reading only the observation
    (move toward the food, never into danger, else the longest free run)
    averages about 29 (standard deviation 10 per episode).

Parameters
    ``size`` 16 (grid side, an integer in 8..32; the state row is sized for
    32), ``starve`` 256 (steps allowed without eating; about ``size**2`` suits
    other sizes), ``growth`` 1 (cells the snake grows by per food, an integer
    in 1..8).

Levels (``LEVELS``; parameters a level sets, over the defaults above)
    ``long`` (the default): a 20 x 20 grid, 400 steps allowed without eating,
    and the snake grows by two cells per food, so that 20 foods make it 43
    long; a GA takes dozens of generations. ``classic``: the parameter
    defaults, 16 x 16. (A larger grid alone is easier: more room to turn.)
"""

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, EnvSpec, build_params

MIN_SIZE, MAX_SIZE = 8, 32
EMPTY = -1.0e9  # stamp of a cell the head never entered

HEAD_X, HEAD_Y, HEADING, LENGTH, STEPS, HUNGER, FOOD_X, FOOD_Y, SCORE, GRID = range(10)
STATE_SIZE = GRID + MAX_SIZE * MAX_SIZE

PARAM_NAMES = ("size", "starve", "growth")
PARAM_DEFAULTS = (16.0, 256.0, 1.0)
PARAM_RANGES = ((8.0, 32.0), (1.0, 4096.0), (1.0, 8.0))  # (low, high) of each, inclusive
SIZE, STARVE, GROWTH = range(3)

# Named sets of parameters (see the module docstring), the default level first.
LEVELS = {
    "long": {"size": 20.0, "starve": 400.0, "growth": 2.0},
    "classic": {},
}

# Headings 0 up, 1 right, 2 down, 3 left; turning right is +1 (mod 4).
_DX = np.array([0, 1, 0, -1], dtype=np.int64)
_DY = np.array([-1, 0, 1, 0], dtype=np.int64)
_TURN = np.array([3, 0, 1], dtype=np.int64)  # heading change for actions left, straight, right
_LOOK = np.array([0, 3, 1], dtype=np.int64)  # heading change to look straight, left, right

SPEC = EnvSpec(name="snake", obs_size=10, num_actions=3, action_size=None, max_steps=2000, dt=0.08,
               solved_at=20.0, solved_over=100, state_size=STATE_SIZE,
               obs_low=(0.0, 0.0, 0.0, -1.0, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0), obs_high=(1.0,) * 10,
               obs_names=("danger straight", "danger left", "danger right", "food ahead", "food right", "food forward offset", "food right offset", "free run straight", "free run left", "free run right"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name.

    Raises
    ------
    ValueError
        Unknown name, ``size`` not an integer in 8..32, ``growth`` not an integer, or ``starve`` below 1.
    """
    params = build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)
    size = params[SIZE]
    if size != int(size) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"snake: size must be an integer in {MIN_SIZE}..{MAX_SIZE}, got {size:g}")
    if params[GROWTH] != int(params[GROWTH]):
        raise ValueError(f"snake: growth must be an integer in 1..8, got {params[GROWTH]:g}")
    if params[STARVE] < 1:
        raise ValueError(f"snake: starve must be at least 1, got {params[STARVE]:g}")
    return params


def body(state: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Body cells of one state row, from tail to head.

    Returns
    -------
    ndarray of shape (length, 2), int64
        ``(x, y)`` of every body cell; the last row is the head.
    """
    size = int(params[SIZE])
    stamps = state[GRID:GRID + size * size]
    cells = np.flatnonzero(stamps > state[STEPS] - state[LENGTH])
    cells = cells[np.argsort(stamps[cells], kind="stable")]
    return np.stack([cells % size, cells // size], axis=1)


@njit
def _blocked(state, size, x, y, k):
    """Whether cell (x, y) is a wall or still body when the head arrives there in ``k`` steps."""
    if x < 0 or x >= size or y < 0 or y >= size:
        return True
    return state[GRID + y * size + x] > state[STEPS] + k - state[LENGTH]


@njit
def _free_run(state, size, heading):
    """Steps the head could go in direction ``heading`` before it is blocked."""
    x, y = int(state[HEAD_X]), int(state[HEAD_Y])
    k = 0
    while not _blocked(state, size, x + (k + 1) * _DX[heading], y + (k + 1) * _DY[heading], k + 1):
        k += 1
    return k


@njit
def _place_food(state, size, rng):
    """Put the food on a uniformly drawn free cell; returns False if none is free.

    Always consumes one draw, so the draws line up across agents.
    """
    u = _rng.uniform(rng)
    cutoff = state[STEPS] - state[LENGTH]
    free = 0
    for c in range(size * size):
        if state[GRID + c] <= cutoff:
            free += 1
    if free == 0:
        return False
    k = min(int(u * free), free - 1)
    for c in range(size * size):
        if state[GRID + c] <= cutoff:
            if k == 0:
                state[FOOD_X] = c % size
                state[FOOD_Y] = c // size
                return True
            k -= 1
    return False


@njit
def reset(state, params, rng):
    """Write a start state: length 3 in the middle, random heading, food on a random free cell."""
    size = int(params[SIZE])
    for c in range(size * size):
        state[GRID + c] = EMPTY
    heading = _rng.randint(rng, 4)
    x, y = size // 2, size // 2
    state[HEAD_X], state[HEAD_Y], state[HEADING] = x, y, heading
    state[LENGTH], state[STEPS], state[HUNGER], state[SCORE] = 3.0, 0.0, 0.0, 0.0
    for k in range(3):  # tail at stamp -2, head at stamp 0
        state[GRID + (y - k * _DY[heading]) * size + x - k * _DX[heading]] = -k
    _place_food(state, size, rng)


@njit
def observe(state, params, obs):
    """Write the 10 observations of the module docstring's table into ``obs``."""
    size = int(params[SIZE])
    heading = int(state[HEADING])
    scale = 1.0 / (size - 1)
    for i in range(3):  # straight, left, right
        run = _free_run(state, size, (heading + _LOOK[i]) % 4)
        obs[i] = 1.0 if run == 0 else 0.0
        obs[7 + i] = run * scale
    dx = state[FOOD_X] - state[HEAD_X]
    dy = state[FOOD_Y] - state[HEAD_Y]
    forward = dx * _DX[heading] + dy * _DY[heading]
    rightward = -dx * _DY[heading] + dy * _DX[heading]
    obs[3] = np.sign(forward)
    obs[4] = np.sign(rightward)
    obs[5] = forward * scale
    obs[6] = rightward * scale


@njit
def step(state, params, action, rng):
    """Turn by ``action[0]`` (0 left, 1 straight, 2 right) and move one cell. Returns (reward, terminated)."""
    size = int(params[SIZE])
    heading = (int(state[HEADING]) + _TURN[int(action[0])]) % 4
    x = int(state[HEAD_X]) + _DX[heading]
    y = int(state[HEAD_Y]) + _DY[heading]
    state[HEADING] = heading
    if _blocked(state, size, x, y, 1):
        return 0.0, True
    state[STEPS] += 1.0
    state[HEAD_X], state[HEAD_Y] = x, y
    state[GRID + y * size + x] = state[STEPS]
    if x == state[FOOD_X] and y == state[FOOD_Y]:
        state[LENGTH] += params[GROWTH]
        state[SCORE] += 1.0
        state[HUNGER] = 0.0
        return 1.0, not _place_food(state, size, rng)
    state[HUNGER] += 1.0
    return 0.0, state[HUNGER] >= params[STARVE]


BEHAVIOUR_NAMES = ("head x", "head y")
BEHAVIOUR_LOW = (0.0, 0.0)
BEHAVIOUR_HIGH = (1.0, 1.0)


def describe(states, params):
    """Behaviour descriptor of final states (N, STATE_SIZE): the head's last cell, as fractions of the
    grid's side (0 the left or top column, 1 the right or bottom one), shape (N, 2)."""
    return states[:, [HEAD_X, HEAD_Y]] / (params[SIZE] - 1.0)


# -- the grid as the snake sees it: envs.make("snake", obs="pixels") (envs.pixels) ----------------------

VIEW = 5
"""Cells the image shows on each side of the head."""
PIXELS = (2, 2 * VIEW + 1, 2 * VIEW + 1)
"""The image: the cells around the head as the snake sees them, a pixel per cell, turned so that it
heads up (row 0 ahead of it, the head at the centre, its right on the right); two channels: 0 what
kills a step from now (its body and everything beyond the grid), 1 the food, drawn on the image's
border in its direction when it lies farther than ``VIEW`` cells."""


@njit
def observe_pixels(state, params, obs):
    """Draw the cells around the head, turned to its heading, into ``obs`` (:data:`PIXELS`, values 0 or 1).

    Pixel ``(r, c)`` shows the cell ``VIEW - r`` steps ahead of the head and
    ``c - VIEW`` steps to its right; the food at ``f`` cells ahead and ``s``
    to the right is the pixel ``(VIEW - f, VIEW + s)``, each offset clipped
    to ``VIEW``.
    """
    size = int(params[SIZE])
    n = PIXELS[1]
    heading = int(state[HEADING])
    fx, fy = _DX[heading], _DY[heading]
    rx, ry = -fy, fx  # the heading turned right
    hx, hy = int(state[HEAD_X]), int(state[HEAD_Y])
    for r in range(n):
        for c in range(n):
            ahead, right = VIEW - r, c - VIEW
            obs[r * n + c] = 1.0 if _blocked(state, size, hx + ahead * fx + right * rx,
                                             hy + ahead * fy + right * ry, 1) else 0.0
            obs[(n + r) * n + c] = 0.0
    dx, dy = int(state[FOOD_X]) - hx, int(state[FOOD_Y]) - hy
    ahead = min(max(dx * fx + dy * fy, -VIEW), VIEW)
    right = min(max(dx * rx + dy * ry, -VIEW), VIEW)
    obs[(n + VIEW - ahead) * n + VIEW + right] = 1.0


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

# the algorithm chosen by benchmarks/ga_defaults.py (README, "The GA's defaults"): it needed fewer
# training steps to solve on seeds 0-4 and again on 5-14
PRESET = {"generations": 500, "pop_size": 512, "episodes": 4, "hidden": [16], "algorithm": "truncation_ga"}
# from pixels: one convolution straight to the outputs, which a view turned to the heading makes enough
PIXEL_PRESET = {"generations": 500, "pop_size": 256, "episodes": 4, "conv": [[4, 3, 2]], "hidden": [],
                "algorithm": "truncation_ga"}
ACTION_NAMES = ("left", "straight", "right")
CONTROLS = Controls({"left": 0, "right": 2}, idle=1, per_press=True, help="Left / Right: turn")
