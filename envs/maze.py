"""Maze: a point robot with rangefinders finds the goal of a deceptive maze.

Description
    The task of Lehman and Stanley's novelty search experiments (2011), on a
    map of this project's own: a round robot of radius ``radius`` drives in a
    200 x 200 box divided by two walls into three corridors stacked like a Z.
    It starts in the bottom corridor, the goal lies at the far end of the top
    one, straight above the start::

        +--------------------------+
        | G                        |    top corridor
        |        +-----------------+
        |                          |    middle corridor
        +-----------------+        |
        | S                        |    bottom corridor
        +--------------------------+

    The score is how close the robot ends to the goal, and it misleads:
    driving straight up ends against the first wall, 128 units from the goal,
    a better score than any point of the route, which first leads away to the
    right end of the bottom corridor (215 units from the goal). A search that
    follows the score piles up under the goal; one that looks for new places
    to end (:class:`evo.algorithms.diversity.NoveltySearch`) finds the route.

State row
    ``X``, ``Y`` position (y grows upwards); ``HEADING`` (rad, counter-clockwise
    from +x); ``DIST`` distance to the goal (160, the nominal start's, until
    the first step, so that the return does not depend on the start jitter);
    ``RAY0 .. RAY0 + 5`` the
    rangefinder readings (distance to the nearest wall, capped at ``ray_length``).

Observation
    =====  ===============================  ===  ===
    index  name                             min  max
    =====  ===============================  ===  ===
    0-5    rangefinder -90, -45, 0, 45,     0    1
           90, 180 deg (of ``ray_length``)
    6      goal ahead (radar slice)         0    1
    7      goal left                        0    1
    8      goal behind                      0    1
    9      goal right                       0    1
    =====  ===============================  ===  ===

    Angles are relative to the heading, counter-clockwise positive. The four
    radar slices are the quarters of the circle centred on ahead, left,
    behind and right; exactly one reads 1, the one holding the goal's bearing.

Actions
    Box(-1, 1, (2,)): ``action[0]`` turns by up to ``max_turn`` radians
    (positive counter-clockwise), ``action[1]`` drives ``max_speed`` units
    times it along the new heading (negative: backwards). A move that would
    bring the robot within ``radius`` of a wall is not made (the robot stays
    where it was; the turn stands).

Reward
    The decrease of the distance to the goal this step, divided by 160 (the
    distance from the nominal start, from which the first step counts): the
    return is ``1 - final distance / 160``, Lehman and Stanley's fitness (the
    negative final distance) shifted and scaled.

Start state
    Near (20, 20) facing up: position jittered by up to ``start_jitter`` along
    each axis, heading by up to ``heading_jitter`` radians (three uniform
    draws at reset, nothing random afterwards).

Episode end
    Terminated when the robot's centre is within ``goal_radius`` of the goal;
    truncated after 400 steps.

Solved
    Return of at least 0.95 (within 8 units of the goal) in one episode.

Behaviour descriptor
    Where the robot stopped, ``(x / 200, y / 200)``.

Parameters
    ``radius`` 6, ``max_speed`` 3 units per step, ``max_turn`` 0.3 rad per
    step, ``ray_length`` 100, ``goal_radius`` 8, ``start_jitter`` 1,
    ``heading_jitter`` 0.05 rad.
"""

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, EnvSpec, build_params

X, Y, HEADING, DIST = range(4)
RAY0 = 4
NUM_RAYS = 6
STATE_SIZE = RAY0 + NUM_RAYS
RAY_ANGLES = np.radians(np.array([-90.0, -45.0, 0.0, 45.0, 90.0, 180.0]))
SIZE = 200.0
START = (20.0, 20.0)
GOAL = (20.0, 180.0)
START_DISTANCE = 160.0
WALLS = np.array([  # segments (ax, ay, bx, by)
    [0.0, 0.0, SIZE, 0.0], [SIZE, 0.0, SIZE, SIZE], [SIZE, SIZE, 0.0, SIZE], [0.0, SIZE, 0.0, 0.0],
    [0.0, 140.0, 160.0, 140.0],
    [100.0, 40.0, 100.0, 140.0],
    [100.0, 50.0, 160.0, 50.0],
    [140.0, 95.0, SIZE, 95.0],
])

PARAM_NAMES = ("radius", "max_speed", "max_turn", "ray_length", "goal_radius", "start_jitter", "heading_jitter")
PARAM_DEFAULTS = (6.0, 3.0, 0.3, 100.0, 8.0, 1.0, 0.05)
PARAM_RANGES = ((1.0, 20.0), (0.5, 10.0), (0.05, 1.5), (10.0, 400.0), (1.0, 40.0), (0.0, 10.0), (0.0, 0.5))
RADIUS, MAX_SPEED, MAX_TURN, RAY_LENGTH, GOAL_RADIUS, START_JITTER, HEADING_JITTER = range(7)

# evo.rollout's kernel="auto" plays networks up to this size in lockstep (evo.kernels.evaluate's default:
# 2048 genes): with 10-64-64-2 (4994 genes) lockstep ran at 1.10-1.14x the per-agent kernel in
# three runs (P = 256-65536, kernels loaded from the cache, benchmarks/rollout.py): the step's libm
# calls, not the network, set the pace of both kernels.
LOCKSTEP_MAX_GENES = 6144

SPEC = EnvSpec(name="maze", obs_size=10, num_actions=None, action_size=2, max_steps=400, dt=0.05,
               solved_at=0.95, solved_over=1, state_size=STATE_SIZE, obs_low=(0.0,) * 10,
               obs_high=(1.0,) * 10,
               obs_names=("ray -90", "ray -45", "ray 0", "ray 45", "ray 90", "ray 180", "goal ahead", "goal left", "goal behind", "goal right"))

BEHAVIOUR_NAMES = ("x", "y")
BEHAVIOUR_LOW = (0.0, 0.0)
BEHAVIOUR_HIGH = (1.0, 1.0)


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


def describe(states, params):
    """Behaviour descriptor of final states (N, STATE_SIZE): where the robot stopped, (x, y) / 200."""
    return states[:, [X, Y]] / SIZE


@njit
def _clearance(x, y):
    """Distance from (x, y) to the nearest wall."""
    best = math.inf
    for w in range(WALLS.shape[0]):
        ax, ay, bx, by = WALLS[w, 0], WALLS[w, 1], WALLS[w, 2], WALLS[w, 3]
        ex, ey = bx - ax, by - ay
        t = ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey)
        t = min(1.0, max(0.0, t))
        dx, dy = x - (ax + t * ex), y - (ay + t * ey)
        best = min(best, math.sqrt(dx * dx + dy * dy))
    return best


@njit
def _ray(x, y, angle, reach):
    """Distance from (x, y) along ``angle`` to the first wall, at most ``reach``."""
    dx, dy = math.cos(angle), math.sin(angle)
    best = reach
    for w in range(WALLS.shape[0]):
        ax, ay = WALLS[w, 0], WALLS[w, 1]
        ex, ey = WALLS[w, 2] - ax, WALLS[w, 3] - ay
        denom = dx * ey - dy * ex
        if abs(denom) < 1e-12:  # parallel
            continue
        qx, qy = ax - x, ay - y
        s = (qx * ey - qy * ex) / denom
        t = (qx * dy - qy * dx) / denom
        if 0.0 <= s < best and 0.0 <= t <= 1.0:
            best = s
    return best


@njit
def _sense(state, params):
    for k in range(NUM_RAYS):
        state[RAY0 + k] = _ray(state[X], state[Y], state[HEADING] + RAY_ANGLES[k], params[RAY_LENGTH])
    state[DIST] = math.sqrt((state[X] - GOAL[0]) ** 2 + (state[Y] - GOAL[1]) ** 2)


@njit
def reset(state, params, rng):
    """Write a start state into ``state``: near ``START`` facing up (three uniform draws)."""
    state[X] = START[0] + _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    state[Y] = START[1] + _rng.uniform(rng, -params[START_JITTER], params[START_JITTER])
    state[HEADING] = 0.5 * math.pi + _rng.uniform(rng, -params[HEADING_JITTER], params[HEADING_JITTER])
    _sense(state, params)
    state[DIST] = START_DISTANCE  # the first reward counts from the nominal start: return = 1 - final / 160


@njit
def observe(state, params, obs):
    """Write the rangefinders (scaled to [0, 1]) and the goal's radar slice into ``obs``."""
    for k in range(NUM_RAYS):
        obs[k] = state[RAY0 + k] / params[RAY_LENGTH]
    bearing = math.atan2(GOAL[1] - state[Y], GOAL[0] - state[X]) - state[HEADING]
    turns = (bearing / (0.5 * math.pi) + 0.5) % 4.0  # 0 ahead, 1 left, 2 behind, 3 right
    s = min(3, int(turns))
    for k in range(4):
        obs[NUM_RAYS + k] = 1.0 if k == s else 0.0


@njit
def step(state, params, action, rng):
    """Turn, then move unless the move would touch a wall. Returns (reward, terminated)."""
    heading = state[HEADING] + params[MAX_TURN] * action[0]
    heading = heading % (2.0 * math.pi)
    state[HEADING] = heading
    v = params[MAX_SPEED] * action[1]
    x, y = state[X] + v * math.cos(heading), state[Y] + v * math.sin(heading)
    if _clearance(x, y) >= params[RADIUS]:
        state[X] = x
        state[Y] = y
    before = state[DIST]
    _sense(state, params)
    return (before - state[DIST]) / START_DISTANCE, state[DIST] < params[GOAL_RADIUS]


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

# novelty search moves on from a genome that reached the goal: validate every generation's best
PRESET = {"generations": 200, "pop_size": 128, "episodes": 1, "hidden": [8], "validation_episodes": 1,
          "test_episodes": 1, "validate_on": "every", "algorithm": "novelty"}
ACTION_NAMES = ("turn", "speed")
CONTROLS = Controls({"left": (1.0, 0.0), "right": (-1.0, 0.0), "up": (0.0, 1.0), "down": (0.0, -1.0)},
                    help="Left / Right: turn, Up / Down: speed")
