"""Pong against a built-in opponent whose paddle tracks the ball at limited speed.

Description
    The court is the square [-1, 1] x [-1, 1] with y pointing up. The agent
    moves the left paddle, whose face is the vertical line x = -``paddle_x``;
    the opponent's paddle faces it at x = +``paddle_x``. The ball (a disc of
    radius ``ball_radius``) bounces off the top and bottom walls. When it
    reaches a paddle face within the paddle's reach it is sent back at an
    angle set by where it struck: ``offset = (ball y - paddle y) /
    (paddle_half + ball_radius)`` in [-1, 1] gives the outgoing direction
    ``offset * max_bounce_angle`` from the horizontal, so a hit near the
    paddle's edge sends the ball away steeply and a central hit sends it flat.
    Each paddle hit multiplies the ball's speed by ``speedup``, up to
    ``max_ball_speed``. A ball that passes a paddle and leaves the court
    through that side (x beyond +-1) scores a point for the other side.

    The opponent moves its paddle towards the ball's y at all times, at most
    ``opp_speed`` per second. It cannot follow a ball whose vertical speed
    exceeds that, which steep returns from the paddle's edge exploit.

    Self-play: a parameter array may carry a network after its named
    parameters (:func:`with_opponent`); that network then moves the right
    paddle, at ``paddle_speed``, seeing the court mirrored (its own paddle on
    the left, as the agent sees it). ``self_play`` = 1 asks a run to train
    against a hall of fame of its earlier generations' best genomes
    (:mod:`evo.runs.driver`); the game itself only reads the attached network, and a
    run's validation and test episodes play the built-in opponent.

Observation (all within [-1, 1])
    =====  ==========================================  ====  ===
    index  name                                        min   max
    =====  ==========================================  ====  ===
    0      ball x                                      -1    1
    1      ball y                                      -1    1
    2      ball vx / max_ball_speed                    -1    1
    3      ball vy / max_ball_speed                    -1    1
    4      own (left) paddle y                         -1    1
    5      opponent (right) paddle y                   -1    1
    6      (ball y - own paddle y) / 2                 -1    1
    =====  ==========================================  ====  ===

Actions
    Discrete(3): 0 moves the paddle up (+y), 1 keeps it still, 2 moves it
    down, at ``paddle_speed`` per second. Paddles stay inside the court.

Reward
    +1 when the agent scores, -1 when the opponent scores, 0 otherwise: the
    return is points scored minus points conceded.

Start state
    Both paddles centred, score 0-0, ball served from the centre.
    Every serve, the first and the one after each point, sends the ball from
    (0, 0) at ``ball_speed`` towards a random side at a random angle uniform
    in +-``serve_angle``. Each serve takes exactly two draws from the
    generator, so the n-th serve of an episode is the same for every agent
    given the same key.

Episode end
    Terminated when either side reaches ``points`` points; truncated after
    3000 steps (50 s at 60 steps per second).

Solved
    Mean return of at least 3 over 100 fresh episodes (e.g. winning 5-2 on
    average). A hand-coded controller that predicts where the ball meets its
    paddle and strikes it near the edge wins every test episode 5-0 (return
    5); keeping still averages about -4.4, random networks about -4.8, and
    tracking the ball's y with the paddle's centre (flat returns) about 0.

Parameters
    ``paddle_x`` 0.95 (distance of each paddle face from the centre line),
    ``paddle_half`` 0.2 (half the paddle height), ``ball_radius`` 0.02,
    ``paddle_speed`` 2.0 /s, ``opp_speed`` 1.0 /s, ``ball_speed`` 1.5 /s
    (serve speed), ``speedup`` 1.05, ``max_ball_speed`` 3.0 /s,
    ``max_bounce_angle`` 60 degrees in radians, ``serve_angle`` 30 degrees in
    radians, ``points`` 5, ``dt`` 1/60 s, ``self_play`` 0.

Levels (``LEVELS``; parameters a level sets, over the defaults above)
    ``fast`` (the default): serve at 2.4 /s, up to 5 /s, and an opponent
    that moves at 1.7 /s; a GA takes a few dozen generations.
    ``classic``: the parameter defaults.
"""

import math

import numpy as np
from numba import njit

from envs import pixels as _pixels
from envs import rng as _rng
from envs.spec import Controls, EnvSpec, build_params

BALL_X, BALL_Y, BALL_VX, BALL_VY, PADDLE_Y, OPP_Y, SCORE, OPP_SCORE, SPEED = range(9)
STATE_SIZE = 9

PARAM_NAMES = ("paddle_x", "paddle_half", "ball_radius", "paddle_speed", "opp_speed",
               "ball_speed", "speedup", "max_ball_speed", "max_bounce_angle", "serve_angle",
               "points", "dt", "self_play")
PARAM_DEFAULTS = (0.95, 0.2, 0.02, 2.0, 1.0, 1.5, 1.05, 3.0, math.radians(60.0),
                  math.radians(30.0), 5.0, 1.0 / 60.0, 0.0)
PARAM_RANGES = ((0.5, 0.99), (0.02, 0.9), (0.005, 0.1), (0.1, 10.0), (0.0, 10.0),
                (0.1, 5.0), (1.0, 1.5), (0.1, 10.0), (0.0, 1.5), (0.0, 1.2),
                (1.0, 100.0), (0.002, 0.05), (0.0, 1.0))  # (low, high) of each, inclusive
(PADDLE_X, PADDLE_HALF, BALL_RADIUS, PADDLE_SPEED, OPP_SPEED, BALL_SPEED, SPEEDUP,
 MAX_BALL_SPEED, MAX_BOUNCE_ANGLE, SERVE_ANGLE, POINTS, DT, SELF_PLAY) = range(13)
NET = len(PARAM_NAMES)  # params[NET:], when present: the opponent network (see with_opponent)

# Named sets of parameters (see the module docstring), the default level first.
LEVELS = {
    "fast": {"ball_speed": 2.4, "max_ball_speed": 5.0, "opp_speed": 1.7},
    "classic": {},
}

# evo.rollout's kernel="auto" plays networks up to this size in lockstep (evo.kernels.evaluate's default: 2048
# genes): with 7-64-64-3 (4867 genes) lockstep ran at 0.92-1.31x the per-agent kernel over four runs
# (P = 256-65536, kernels loaded from the cache, benchmarks/rollout.py), 1.2-1.6x on another machine.
LOCKSTEP_MAX_GENES = 6144

SPEC = EnvSpec(name="pong", obs_size=7, num_actions=3, action_size=None, max_steps=3000, dt=1.0 / 60.0,
               solved_at=3.0, solved_over=100, state_size=STATE_SIZE, obs_low=(-1.0,) * 7,
               obs_high=(1.0,) * 7,
               obs_names=("ball x", "ball y", "ball vx", "ball vy", "paddle y", "opponent paddle y", "ball y relative to paddle"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


def with_opponent(params: np.ndarray, sizes, activations, genome: np.ndarray) -> np.ndarray:
    """``params`` with a feed-forward network attached that moves the right paddle.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths: ``[7, 3]`` or ``[7, hidden, 3]`` (at most one hidden layer).
    activations : sequence of int
        Every layer's activation code: 0 linear, 1 tanh, 2 sigmoid, 3 relu, 4 step
        (the order of :data:`evo.networks.mlp.ACTIVATIONS`).
    genome : ndarray
        Every layer's weights, input by input, then its biases.
    """
    sizes = [int(s) for s in sizes]
    if (sizes[0] != SPEC.obs_size or sizes[-1] != SPEC.num_actions or len(sizes) > 3
            or len(activations) != len(sizes) - 1):
        raise ValueError(f"pong: an opponent network maps {SPEC.obs_size} inputs to {SPEC.num_actions} outputs "
                         f"through at most one hidden layer, got sizes {sizes}")
    n = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    if len(genome) != n:
        raise ValueError(f"pong: an opponent network of sizes {sizes} has {n} genes, got {len(genome)}")
    hidden, codes = (sizes[1], list(activations)) if len(sizes) == 3 else (0, [0, *activations])
    head = [hidden, *codes]
    return np.concatenate([params[:NET], np.array(head, dtype=np.float64), np.asarray(genome, dtype=np.float64)])


@njit
def _activate(code, x):
    if code == 1:
        return math.tanh(x)
    if code == 2:
        return 1.0 / (1.0 + math.exp(-x))
    if code == 3:
        return max(x, 0.0)
    if code == 4:
        return 1.0 if x > 0.0 else 0.0
    return x


@njit
def _mirrored(state, params, i):
    """Observation entry ``i`` of the court seen from the right paddle (as the agent sees it from the left)."""
    vmax = params[MAX_BALL_SPEED]
    if i == 0:
        v = -state[BALL_X]
    elif i == 1:
        v = state[BALL_Y]
    elif i == 2:
        v = -state[BALL_VX] / vmax
    elif i == 3:
        v = state[BALL_VY] / vmax
    elif i == 4:
        v = state[OPP_Y]
    elif i == 5:
        v = state[PADDLE_Y]
    else:
        v = 0.5 * (state[BALL_Y] - state[OPP_Y])
    return _clip(v, -1.0, 1.0)


@njit
def _opponent_action(state, params):
    """The attached network's action (0 up, 1 stay, 2 down), with no allocation.

    ``params[NET:]``: the hidden width (0 for none), the hidden and output
    activation codes, then the genome (:func:`with_opponent`).
    """
    n_in, n_out = 7, 3
    hidden = int(params[NET])
    act_h, act_o = int(params[NET + 1]), int(params[NET + 2])
    w = NET + 3
    o0, o1, o2 = params[w + n_in * n_out], params[w + n_in * n_out + 1], params[w + n_in * n_out + 2]
    if hidden == 0:
        for i in range(n_in):
            x = _mirrored(state, params, i)
            o0 += params[w + i * n_out] * x
            o1 += params[w + i * n_out + 1] * x
            o2 += params[w + i * n_out + 2] * x
    else:
        w2 = w + (n_in + 1) * hidden  # the output layer
        o0, o1, o2 = params[w2 + hidden * n_out], params[w2 + hidden * n_out + 1], params[w2 + hidden * n_out + 2]
        for h in range(hidden):
            z = params[w + n_in * hidden + h]
            for i in range(n_in):
                z += params[w + i * hidden + h] * _mirrored(state, params, i)
            y = _activate(act_h, z)
            o0 += params[w2 + h * n_out] * y
            o1 += params[w2 + h * n_out + 1] * y
            o2 += params[w2 + h * n_out + 2] * y
    o0, o1, o2 = _activate(act_o, o0), _activate(act_o, o1), _activate(act_o, o2)
    best, top = 0, o0  # the first largest output, as argmax picks
    if o1 > top:
        best, top = 1, o1
    if o2 > top:
        best = 2
    return best


@njit
def _serve(state, params, rng):
    """Put the ball at the centre, moving at ``ball_speed`` to a random side and angle (two draws)."""
    side = 1.0 if _rng.randint(rng, 2) == 1 else -1.0
    angle = _rng.uniform(rng, -params[SERVE_ANGLE], params[SERVE_ANGLE])
    speed = params[BALL_SPEED]
    state[BALL_X] = 0.0
    state[BALL_Y] = 0.0
    state[BALL_VX] = side * speed * math.cos(angle)
    state[BALL_VY] = speed * math.sin(angle)
    state[SPEED] = speed


@njit
def _clip(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


@njit
def reset(state, params, rng):
    """Write a start state into ``state``: paddles centred, 0-0, first serve drawn from ``rng``."""
    state[PADDLE_Y] = 0.0
    state[OPP_Y] = 0.0
    state[SCORE] = 0.0
    state[OPP_SCORE] = 0.0
    _serve(state, params, rng)


@njit
def observe(state, params, obs):
    """Write the normalised observation (see the module docstring) into ``obs``."""
    vmax = params[MAX_BALL_SPEED]
    obs[0] = _clip(state[BALL_X], -1.0, 1.0)
    obs[1] = _clip(state[BALL_Y], -1.0, 1.0)
    obs[2] = _clip(state[BALL_VX] / vmax, -1.0, 1.0)
    obs[3] = _clip(state[BALL_VY] / vmax, -1.0, 1.0)
    obs[4] = _clip(state[PADDLE_Y], -1.0, 1.0)
    obs[5] = _clip(state[OPP_Y], -1.0, 1.0)
    obs[6] = _clip(0.5 * (state[BALL_Y] - state[PADDLE_Y]), -1.0, 1.0)


@njit
def _paddle_hit(state, params, paddle_y, direction, x0, y0):
    """Return the ball from a paddle if it crossed the face this step; True on a hit.

    ``direction`` is +1 for the left paddle (ball sent right), -1 for the right
    one. ``(x0, y0)`` is the ball's position before the move.
    """
    face = -direction * (params[PADDLE_X] - params[BALL_RADIUS])  # ball centre at contact
    x1 = state[BALL_X]
    if direction * state[BALL_VX] >= 0.0 or direction * (x0 - face) < 0.0 or direction * (x1 - face) > 0.0:
        return False
    t = (x0 - face) / (x0 - x1) if x0 != x1 else 0.0
    y = y0 + t * (state[BALL_Y] - y0)  # ball y when it reaches the face (no wall bounce assumed)
    reach = params[PADDLE_HALF] + params[BALL_RADIUS]
    offset = (y - paddle_y) / reach
    if offset < -1.0 or offset > 1.0:
        return False
    speed = min(state[SPEED] * params[SPEEDUP], params[MAX_BALL_SPEED])
    angle = offset * params[MAX_BOUNCE_ANGLE]
    state[SPEED] = speed
    state[BALL_VX] = direction * speed * math.cos(angle)
    state[BALL_VY] = speed * math.sin(angle)
    state[BALL_X] = face
    state[BALL_Y] = y
    return True


@njit
def step(state, params, action, rng):
    """Move both paddles and the ball by one ``dt``; ``action[0]`` is 0 up, 1 stay, 2 down.

    Returns (reward, terminated): +1 when the agent scores, -1 when it
    concedes; terminated once a side has ``points`` points.
    """
    dt = params[DT]
    ylim = 1.0 - params[PADDLE_HALF]
    move = 1.0 if action[0] == 0.0 else (-1.0 if action[0] == 2.0 else 0.0)
    state[PADDLE_Y] = _clip(state[PADDLE_Y] + move * params[PADDLE_SPEED] * dt, -ylim, ylim)
    if params.shape[0] > NET:  # a network plays the right paddle
        a = _opponent_action(state, params)
        opp_move = (1.0 if a == 0 else (-1.0 if a == 2 else 0.0)) * params[PADDLE_SPEED] * dt
    else:
        opp_max = params[OPP_SPEED] * dt
        opp_move = _clip(state[BALL_Y] - state[OPP_Y], -opp_max, opp_max)
    state[OPP_Y] = _clip(state[OPP_Y] + opp_move, -ylim, ylim)

    x0, y0 = state[BALL_X], state[BALL_Y]
    state[BALL_X] = x0 + state[BALL_VX] * dt
    state[BALL_Y] = y0 + state[BALL_VY] * dt
    wall = 1.0 - params[BALL_RADIUS]
    if state[BALL_Y] > wall:
        state[BALL_Y] = 2.0 * wall - state[BALL_Y]
        state[BALL_VY] = -state[BALL_VY]
    elif state[BALL_Y] < -wall:
        state[BALL_Y] = -2.0 * wall - state[BALL_Y]
        state[BALL_VY] = -state[BALL_VY]
    if not _paddle_hit(state, params, state[PADDLE_Y], 1.0, x0, y0):
        _paddle_hit(state, params, state[OPP_Y], -1.0, x0, y0)

    reward = 0.0
    if state[BALL_X] < -1.0:
        reward = -1.0
        state[OPP_SCORE] += 1.0
    elif state[BALL_X] > 1.0:
        reward = 1.0
        state[SCORE] += 1.0
    if reward != 0.0:
        _serve(state, params, rng)
    terminated = state[SCORE] >= params[POINTS] or state[OPP_SCORE] >= params[POINTS]
    return reward, terminated


# -- the court as the paddle sees it: envs.make("pong", obs="pixels") (envs.pixels) ----------------------

PIXELS = (3, 24, 12)
"""The image: the court in a frame that moves up and down with the agent's paddle, 6 pixels per unit
both ways: 12 columns from x = -1 to 1, 24 rows from 2 above the paddle's centre (row 0) to 2 below it,
so the whole court shows wherever the paddle is; three channels: 0 what the ball bounces off (the walls,
each a line a pixel thick just beyond the court, and both paddles, each in its side's outermost
column), 1 the ball, 2 the ball ``TRAIL`` steps earlier, which shows its motion as stacked frames would."""
TRAIL = 4


@njit
def observe_pixels(state, params, obs):
    """Draw the court, seen from the agent's paddle, into ``obs`` (:data:`PIXELS`, values in [0, 1]).

    A height ``y`` is row ``(2 - (y - paddle y)) * 6``: the agent's paddle
    always fills the middle of column 0. The ball (and, in channel 2, where
    it was ``TRAIL`` steps earlier at its present velocity, kept inside the
    court) is a square one pixel wide centred on it, whose area spreads over
    the pixels it overlaps.
    """
    rows, cols = PIXELS[1], PIXELS[2]
    sx, sy = 0.5 * cols, 0.25 * rows
    own = state[PADDLE_Y]
    _pixels.clear(obs)
    top, bottom = (1.0 + own) * sy, (3.0 + own) * sy  # the walls' rows
    _pixels.fill(obs, 0, rows, cols, 0.0, top - 1.0, float(cols), top, 1.0)  # each a line a pixel thick
    _pixels.fill(obs, 0, rows, cols, 0.0, bottom, float(cols), bottom + 1.0, 1.0)  # just beyond the court
    half = params[PADDLE_HALF]
    for paddle, col in ((own, 0.0), (state[OPP_Y], cols - 1.0)):
        _pixels.fill(obs, 0, rows, cols, col, (2.0 - paddle + own - half) * sy, col + 1.0,
                     (2.0 - paddle + own + half) * sy, 1.0)
    back = TRAIL * params[DT]
    for channel, x, y in ((1, state[BALL_X], state[BALL_Y]),
                          (2, _clip(state[BALL_X] - back * state[BALL_VX], -1.0, 1.0),
                           _clip(state[BALL_Y] - back * state[BALL_VY], -1.0, 1.0))):
        _pixels.dot(obs, channel, rows, cols, (x + 1.0) * sx, (2.0 - y + own) * sy, 1.0)


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

# 256 genomes: 128 solves in fewer training steps too, but in a median 13 generations, too quick to watch
PRESET = {"generations": 100, "pop_size": 256, "episodes": 4, "hidden": [16]}
# from pixels: one convolution straight to the outputs (the smaller the network, the faster it learned), on SNES,
# which solved seeds 0-4 in a median 3.6x fewer training steps than the GA (docs/cnn.md)
PIXEL_PRESET = {"generations": 800, "pop_size": 32, "episodes": 4, "conv": [[4, 4, 4]], "hidden": [],
                "algorithm": "snes"}
ACTION_NAMES = ("up", "stay", "down")
CONTROLS = Controls({"up": 0, "down": 2}, idle=1, help="Up / Down: move")
