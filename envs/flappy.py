"""Flappy Bird: flap through the gaps of pipes that scroll towards the bird.

Description
    The world is 1.0 tall with y pointing up: the floor is y = 0 and the
    ceiling y = 1. The screen shows x in [0, ``width``]. The bird stays at
    x = ``bird_x``; it is a square of half-size ``bird_radius`` centred at
    (``bird_x``, y). Gravity pulls it down at ``gravity`` per second squared
    and its fall speed is capped at ``max_fall``; a flap sets its vertical
    speed to ``flap_speed`` (upwards), whatever it was. The integration is
    semi-implicit Euler with step ``dt``.

    Pipes are columns of width ``pipe_width`` that move left at
    ``pipe_speed``. Each has a gap of height ``gap_height`` centred at a
    height drawn uniformly from [``gap_min``, ``gap_max``]. Consecutive pipes
    are ``pipe_spacing`` apart (centre to centre). The first pipe starts just
    beyond the right edge of the screen, at x = ``width`` + ``pipe_width`` / 2.

    The state keeps four pipe slots, ordered left to right. When the leftmost
    pipe has left the screen (its right edge below x = 0) the slots shift and
    a new pipe is placed ``pipe_spacing`` beyond the last one, its gap centre
    drawn from the generator. Pipes move the same whatever the bird does, so
    the n-th pipe of an episode has the same gap for every agent given the
    same key. Four slots hold every pipe on screen as long as
    3 * ``pipe_spacing`` >= ``width`` + ``pipe_width``.

Observation (all within [-1, 1])
    =====  ========================================================  ====  ===
    index  name                                                      min   max
    =====  ========================================================  ====  ===
    0      bird height: 2 y - 1                                      -1    1
    1      vertical speed / max_fall                                 -1    1
    2      next pipe's x - bird_x, divided by pipe_spacing           -1    1
    3      next pipe's gap top - y, times 2                          -1    1
    4      next pipe's gap bottom - y, times 2                       -1    1
    =====  ========================================================  ====  ===

    The next pipe is the first one whose right edge is not yet behind the
    bird's left edge. Every entry is clipped to [-1, 1] (entries 2-4 clip
    only far from the gap, e.g. entry 2 before the first pipe comes near).

Actions
    Discrete(2): 0 does nothing, 1 flaps.

Reward
    +1 for each pipe passed (its right edge goes behind the bird's left
    edge), plus ``alive_reward`` (default 0) for every step. With the
    default the return is the score, the number of pipes passed; a simple GA
    learns without a survival reward, so none is given.

Start state
    The bird at height uniform in [0.45, 0.55] (one draw from the generator),
    at rest; then the gap centres of the first four pipes are drawn in order.
    Step counter and score 0.

Episode end
    Terminated when the bird touches the floor or the ceiling or overlaps a
    pipe outside its gap; truncated after 2000 steps (about 67 s), in which a
    bird that never crashes passes 41 pipes with the default parameters (the
    first after 73 steps, then one every 47).

Solved
    Mean return of at least 20 (pipes) over 100 fresh episodes. A hand-coded
    controller that flaps whenever it is below the next gap's centre and
    falling passes every pipe until the truncation, a return of 41 (tests);
    never flapping hits the floor after about 20 steps and scores 0, and so
    does flapping at every step (the ceiling).

Parameters
    ``gravity`` 2.4 /s^2, ``flap_speed`` 0.7 /s, ``max_fall`` 1.0 /s,
    ``bird_x`` 0.3, ``bird_radius`` 0.03, ``pipe_speed`` 0.35 /s,
    ``pipe_spacing`` 0.55, ``pipe_width`` 0.12, ``gap_height`` 0.3,
    ``gap_min`` 0.3, ``gap_max`` 0.7, ``width`` 1.0, ``alive_reward`` 0.0,
    ``dt`` 1/30 s, ``observe_speed`` 1 (0 hides the bird's vertical speed: it
    reads 0, and a network needs memory to recover it), ``gap_vary`` 0,
    ``gap_speed`` 0 /s, ``pipe_accel`` 0 /s, ``max_pipe_speed`` 1 /s.

    ``gap_vary`` > 0 draws each pipe's gap height uniformly from
    [``gap_height`` - ``gap_vary``, ``gap_height``] (one more draw per pipe,
    after its centre). ``gap_speed`` > 0 moves each gap up or down at that
    speed, its direction drawn per pipe (one more draw, after the height),
    bouncing so that the gap's centre stays within [``gap_min``,
    ``gap_max``]. ``pipe_accel`` > 0 speeds the pipes up by that much for
    every pipe passed, up to ``max_pipe_speed``. With all three 0 (the
    defaults) no extra draw is made and the game is the classic one.

Levels (``LEVELS``; parameters a level sets, over the defaults above)
    ``moving`` (the default): gaps 0.24-0.32 high that move at 0.2 /s, pipes
    that speed up by 0.0075 /s per pipe passed (up to 0.5 /s); a GA takes a
    few dozen generations. ``classic``: the parameter defaults. A harder
    variant of the classic level: ``gap_height`` 0.25 (the simple heuristic
    above then fails, as a flap's rise overshoots the gap; a GA still learns
    it).
"""

import numpy as np
from numba import njit

from envs import pixels as _pixels
from envs import rng as _rng
from envs.spec import Controls, EnvSpec, build_params

NUM_PIPES = 4
Y, VY, STEPS, SCORE = 0, 1, 2, 3
PIPE_X = 4  # state[PIPE_X + 2 * i]: centre x of pipe slot i (left to right)
PIPE_GAP = 5  # state[PIPE_GAP + 2 * i]: gap centre height of pipe slot i
PIPE_H = 4 + 2 * NUM_PIPES  # state[PIPE_H + i]: gap height of pipe slot i
PIPE_V = PIPE_H + NUM_PIPES  # state[PIPE_V + i]: vertical speed of the gap of pipe slot i
SPEED = PIPE_V + NUM_PIPES  # current pipe speed
STATE_SIZE = SPEED + 1

PARAM_NAMES = ("gravity", "flap_speed", "max_fall", "bird_x", "bird_radius", "pipe_speed",
               "pipe_spacing", "pipe_width", "gap_height", "gap_min", "gap_max", "width",
               "alive_reward", "dt", "observe_speed", "gap_vary", "gap_speed", "pipe_accel", "max_pipe_speed")
PARAM_DEFAULTS = (2.4, 0.7, 1.0, 0.3, 0.03, 0.35, 0.55, 0.12, 0.3, 0.3, 0.7, 1.0, 0.0, 1.0 / 30.0, 1.0,
                  0.0, 0.0, 0.0, 1.0)
PARAM_RANGES = ((0.1, 20.0), (0.05, 5.0), (0.1, 5.0), (0.05, 0.8), (0.005, 0.1), (0.05, 2.0),
                (0.3, 2.0), (0.02, 0.3), (0.1, 0.9), (0.05, 0.95), (0.05, 0.95), (0.5, 3.0),
                (0.0, 1.0), (0.005, 0.1), (0.0, 1.0), (0.0, 0.5), (0.0, 1.0), (0.0, 0.1),
                (0.05, 3.0))  # (low, high) of each, inclusive
(GRAVITY, FLAP_SPEED, MAX_FALL, BIRD_X, BIRD_RADIUS, PIPE_SPEED, PIPE_SPACING, PIPE_WIDTH,
 GAP_HEIGHT, GAP_MIN, GAP_MAX, WIDTH, ALIVE_REWARD, DT, OBSERVE_SPEED, GAP_VARY, GAP_SPEED,
 PIPE_ACCEL, MAX_PIPE_SPEED) = range(19)

# Named sets of parameters (see the module docstring), the default level first.
LEVELS = {
    "moving": {"gap_height": 0.32, "gap_vary": 0.08, "gap_speed": 0.2, "pipe_accel": 0.0075,
               "max_pipe_speed": 0.5},
    "classic": {},
}

# evo.rollout's kernel="auto" plays fewer pairs than this per agent, whatever the thread count: random genomes play
# mostly a few steps and some the whole episode, so a lockstep block would wait part-empty on its longest.
LOCKSTEP_MIN_PAIRS = 512

SPEC = EnvSpec(name="flappy", obs_size=5, num_actions=2, action_size=None, max_steps=2000, dt=1.0 / 30.0,
               solved_at=20.0, solved_over=100, state_size=STATE_SIZE, obs_low=(-1.0,) * 5,
               obs_high=(1.0,) * 5,
               obs_names=("bird height", "vertical speed", "distance to next pipe", "next gap top relative to bird", "next gap bottom relative to bird"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def _clip(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


@njit
def _new_pipe(state, params, rng, slot, x):
    """Place a pipe in ``slot`` at ``x``: its gap centre, then its height and motion where they vary."""
    state[PIPE_X + 2 * slot] = x
    state[PIPE_GAP + 2 * slot] = _rng.uniform(rng, params[GAP_MIN], params[GAP_MAX])
    h = params[GAP_HEIGHT]
    if params[GAP_VARY] > 0.0:
        h -= params[GAP_VARY] * _rng.uniform(rng)
    state[PIPE_H + slot] = h
    v = 0.0
    if params[GAP_SPEED] > 0.0:
        v = params[GAP_SPEED] if _rng.randint(rng, 2) == 1 else -params[GAP_SPEED]
    state[PIPE_V + slot] = v


@njit
def next_pipe(state, params):
    """Slot index of the first pipe whose right edge is not behind the bird's left edge."""
    left = params[BIRD_X] - params[BIRD_RADIUS]
    for i in range(NUM_PIPES):
        if state[PIPE_X + 2 * i] + 0.5 * params[PIPE_WIDTH] >= left:
            return i
    return NUM_PIPES - 1  # unreachable while 4 slots span more than the bird's distance to x = 0


@njit
def reset(state, params, rng):
    """Write a start state: the bird height, then the gaps of the first four pipes, drawn in order."""
    state[Y] = _rng.uniform(rng, 0.45, 0.55)
    state[VY] = 0.0
    state[STEPS] = 0.0
    state[SCORE] = 0.0
    state[SPEED] = params[PIPE_SPEED]
    x0 = params[WIDTH] + 0.5 * params[PIPE_WIDTH]
    for i in range(NUM_PIPES):
        _new_pipe(state, params, rng, i, x0 + i * params[PIPE_SPACING])


@njit
def observe(state, params, obs):
    """Write the normalised observation (see the module docstring) into ``obs``."""
    y = state[Y]
    i = next_pipe(state, params)
    gap = state[PIPE_GAP + 2 * i]
    half = 0.5 * state[PIPE_H + i]
    obs[0] = _clip(2.0 * y - 1.0, -1.0, 1.0)
    obs[1] = _clip(state[VY] / params[MAX_FALL], -1.0, 1.0) if params[OBSERVE_SPEED] != 0.0 else 0.0
    obs[2] = _clip((state[PIPE_X + 2 * i] - params[BIRD_X]) / params[PIPE_SPACING], -1.0, 1.0)
    obs[3] = _clip(2.0 * (gap + half - y), -1.0, 1.0)
    obs[4] = _clip(2.0 * (gap - half - y), -1.0, 1.0)


@njit
def step(state, params, action, rng):
    """Advance one ``dt``; ``action[0]`` is 0 (nothing) or 1 (flap).

    Returns (reward, terminated): +1 per pipe passed this step plus
    ``alive_reward``; terminated when the bird hits the floor, the ceiling or
    a pipe.
    """
    dt = params[DT]
    r = params[BIRD_RADIUS]
    half_w = 0.5 * params[PIPE_WIDTH]
    bx = params[BIRD_X]

    vy = max(state[VY] - params[GRAVITY] * dt, -params[MAX_FALL])
    if action[0] == 1.0:
        vy = params[FLAP_SPEED]
    state[VY] = vy
    state[Y] += vy * dt
    y = state[Y]

    reward = params[ALIVE_REWARD]
    move = state[SPEED] * dt
    crashed = y - r <= 0.0 or y + r >= 1.0
    for i in range(NUM_PIPES):
        x_old = state[PIPE_X + 2 * i]
        x = x_old - move
        state[PIPE_X + 2 * i] = x
        v = state[PIPE_V + i]
        if v != 0.0:  # a moving gap bounces between gap_min and gap_max
            g = state[PIPE_GAP + 2 * i] + v * dt
            if g > params[GAP_MAX]:
                g, state[PIPE_V + i] = 2.0 * params[GAP_MAX] - g, -v
            elif g < params[GAP_MIN]:
                g, state[PIPE_V + i] = 2.0 * params[GAP_MIN] - g, -v
            state[PIPE_GAP + 2 * i] = g
        if x_old + half_w >= bx - r > x + half_w:
            reward += 1.0
            state[SCORE] += 1.0
            state[SPEED] = min(state[SPEED] + params[PIPE_ACCEL], max(params[MAX_PIPE_SPEED], params[PIPE_SPEED]))
        if abs(x - bx) < half_w + r:  # bird overlaps the pipe's column: it must be inside the gap
            gap = state[PIPE_GAP + 2 * i]
            half_gap = 0.5 * state[PIPE_H + i]
            if y + r > gap + half_gap or y - r < gap - half_gap:
                crashed = True

    if state[PIPE_X] + half_w < 0.0:  # leftmost pipe has left the screen: shift, spawn a new one
        for i in range(NUM_PIPES - 1):
            state[PIPE_X + 2 * i] = state[PIPE_X + 2 * i + 2]
            state[PIPE_GAP + 2 * i] = state[PIPE_GAP + 2 * i + 2]
            state[PIPE_H + i] = state[PIPE_H + i + 1]
            state[PIPE_V + i] = state[PIPE_V + i + 1]
        last = NUM_PIPES - 1
        _new_pipe(state, params, rng, last, state[PIPE_X + 2 * last - 2] + params[PIPE_SPACING])

    state[STEPS] += 1.0
    return reward, crashed


# -- the screen as the bird sees it: envs.make("flappy", obs="pixels") (envs.pixels) --------------------

PIXELS = (3, 24, 12)
"""The image: the screen in a frame that moves up and down with the bird, 12 columns over x from 0 to
``width``, 24 rows from 1 above the bird (row 0) to 1 below it, so that floor and ceiling show wherever
it is; three channels: 0 what kills (the pipes, and the floor and ceiling, each a line a pixel thick
just beyond the screen), 1 the bird, 2 the bird ``TRAIL`` steps earlier, which shows its vertical motion
as stacked frames would."""
TRAIL = 3


@njit
def observe_pixels(state, params, obs):
    """Draw the screen, seen from the bird, into ``obs`` (:data:`PIXELS`, values in [0, 1]).

    A height ``y`` is row ``(1 - (y - bird y)) * 12``: the bird is always in
    the middle row. Every pipe fills its columns above and below its gap; the
    bird is a square of its own size (at least one pixel) whose area spreads
    over the pixels it overlaps, drawn again in channel 2 where it was
    ``TRAIL`` steps earlier at its present vertical speed (kept between floor
    and ceiling).
    """
    rows, cols = PIXELS[1], PIXELS[2]
    sx, sy = cols / params[WIDTH], 0.5 * rows
    y = state[Y]
    ceiling, floor = y * sy, (1.0 + y) * sy  # their rows
    _pixels.clear(obs)
    _pixels.fill(obs, 0, rows, cols, 0.0, ceiling - 1.0, float(cols), ceiling, 1.0)
    _pixels.fill(obs, 0, rows, cols, 0.0, floor, float(cols), floor + 1.0, 1.0)
    half_w = 0.5 * params[PIPE_WIDTH]
    for i in range(NUM_PIPES):
        x = state[PIPE_X + 2 * i]
        top = state[PIPE_GAP + 2 * i] + 0.5 * state[PIPE_H + i]
        bottom = state[PIPE_GAP + 2 * i] - 0.5 * state[PIPE_H + i]
        _pixels.fill(obs, 0, rows, cols, (x - half_w) * sx, ceiling, (x + half_w) * sx, (1.0 - top + y) * sy, 1.0)
        _pixels.fill(obs, 0, rows, cols, (x - half_w) * sx, (1.0 - bottom + y) * sy, (x + half_w) * sx, floor, 1.0)
    side = 2.0 * params[BIRD_RADIUS] * sx
    x = params[BIRD_X] * sx
    _pixels.dot(obs, 1, rows, cols, x, sy, side)
    _pixels.dot(obs, 2, rows, cols, x, (1.0 - _clip(y - TRAIL * params[DT] * state[VY], 0.0, 1.0) + y) * sy, side)


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

# the population chosen by benchmarks/ga_defaults.py (README, "The GA's defaults"): it needed fewer
# training steps to solve on seeds 0-4 and again on 5-14
PRESET = {"generations": 300, "pop_size": 24, "episodes": 5, "hidden": [8]}
# from pixels: one convolution straight to the outputs (the smaller the network, the faster it learned), on SNES,
# which solved seeds 0-4 in a median 2.6x fewer training steps than the GA (docs/cnn.md)
PIXEL_PRESET = {"generations": 1500, "pop_size": 32, "episodes": 5, "conv": [[4, 4, 4]], "hidden": [],
                "algorithm": "snes"}
ACTION_NAMES = ("wait", "flap")
CONTROLS = Controls({"space": 1, "up": 1}, idle=0, help="Space or Up: flap")
