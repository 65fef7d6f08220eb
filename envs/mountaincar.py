"""MountainCar-v0, identical to Gymnasium's ``MountainCarEnv``.

Description
    A car sits in a valley between two hills; its engine is too weak to drive
    straight up the right hill to the flag, so it must rock back and forth to
    build momentum (Moore, 1990). Constants, the update order, the clips and
    the 200-step truncation are Gymnasium's MountainCar-v0; a parity test
    replays random action sequences through both.

Observation
    =====  ==================  =====  =====
    index  name                min    max
    =====  ==================  =====  =====
    0      position            -1.2   0.6
    1      velocity            -0.07  0.07
    =====  ==================  =====  =====

Actions
    Discrete(3): 0 accelerate left, 1 coast, 2 accelerate right.

Reward
    -1 for every step.

Start state
    Position uniform in [-0.6, -0.4], velocity 0.

Episode end
    Terminated when the position reaches ``goal_position`` with a velocity of
    at least ``goal_velocity``; truncated after 200 steps.

Solved
    Mean return of at least -110 over 100 fresh episodes (Gymnasium's
    ``reward_threshold`` for MountainCar-v0).

Parameters
    ``force`` 0.001, ``gravity`` 0.0025, ``max_speed`` 0.07,
    ``goal_position`` 0.5, ``goal_velocity`` 0.
"""

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, Drawing, EnvSpec, build_params

POSITION, VELOCITY = 0, 1
STATE_SIZE = 2
MIN_POSITION, MAX_POSITION = -1.2, 0.6

PARAM_NAMES = ("force", "gravity", "max_speed", "goal_position", "goal_velocity")
PARAM_DEFAULTS = (0.001, 0.0025, 0.07, 0.5, 0.0)
PARAM_RANGES = ((0.0001, 0.01), (0.0, 0.01), (0.01, 0.07), (0.0, 0.6), (0.0, 0.07))  # (low, high) of each
FORCE, GRAVITY, MAX_SPEED, GOAL_POSITION, GOAL_VELOCITY = range(5)

SPEC = EnvSpec(name="mountaincar", obs_size=2, num_actions=3, action_size=None, max_steps=200, dt=1.0 / 30.0,
               solved_at=-110.0, solved_over=100, state_size=STATE_SIZE, obs_low=(MIN_POSITION, -0.07),
               obs_high=(MAX_POSITION, 0.07), obs_names=("position", "velocity"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def reset(state, params, rng):
    """Position uniform in [-0.6, -0.4], at rest."""
    state[POSITION] = _rng.uniform(rng, -0.6, -0.4)
    state[VELOCITY] = 0.0


@njit
def observe(state, params, obs):
    """Write (position, velocity) into ``obs``."""
    obs[0] = state[POSITION]
    obs[1] = state[VELOCITY]


@njit(inline="always")
def advance(position, velocity, thrust, gravity, slope, max_speed, goal_position, goal_velocity):
    """One step of the car's physics, shared by both mountain cars: from (``position``, ``velocity``),
    the engine's ``thrust`` and ``gravity`` times ``slope`` = cos(3 * position), the new position,
    velocity and whether the car is at the goal. Branch-free, so that :func:`step_lanes` vectorises."""
    velocity += thrust - gravity * slope
    velocity = min(max(velocity, -max_speed), max_speed)
    position += velocity
    position = min(max(position, MIN_POSITION), MAX_POSITION)
    velocity = 0.0 if (position == MIN_POSITION) & (velocity < 0) else velocity
    return position, velocity, (position >= goal_position) & (velocity >= goal_velocity)


@njit(inline="always")
def _advance(params, push, position, velocity, slope):
    """:func:`advance` with action ``push`` (0 left, 1 none, 2 right) and this game's parameters."""
    return advance(position, velocity, (push - 1.0) * params[FORCE], params[GRAVITY], slope, params[MAX_SPEED],
                   params[GOAL_POSITION], params[GOAL_VELOCITY])


@njit
def step(state, params, action, rng):
    """Push with action ``action[0]`` (0 left, 1 none, 2 right) for one step. Returns (reward, terminated)."""
    state[POSITION], state[VELOCITY], terminated = _advance(
        params, action[0], state[POSITION], state[VELOCITY], math.cos(3 * state[POSITION]))
    return -1.0, terminated


# Lane-wise (docs/games.md): many cars at once, state[:, l] the row of car l.


@njit
def observe_lanes(state, params, obs):
    """:func:`observe` of every lane: ``obs[:, l]`` from ``state[:, l]``."""
    for i in range(2):
        for l in range(state.shape[1]):
            obs[i, l] = state[i, l]


@njit
def step_lanes(state, params, action, rng, reward, done):
    """:func:`step` of every lane: ``state[:, l]`` with ``action[:, l]``; ``reward[l]``, ``done[l]`` (1.0: at the goal)."""
    n = state.shape[1]
    for l in range(n):  # libm's cosine: calls, the one part that stays scalar
        reward[l] = math.cos(3 * state[POSITION, l])  # before it holds the reward
    for l in range(n):
        state[POSITION, l], state[VELOCITY, l], terminated = _advance(
            params, action[0, l], state[POSITION, l], state[VELOCITY, l], reward[l])
        reward[l] = -1.0
        done[l] = 1.0 if terminated else 0.0


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

PRESET = {"generations": 100, "pop_size": 256, "episodes": 3, "hidden": [8], "elite": 8,
          "mutation": {"name": "gaussian", "sigma": 0.1, "rate": 0.03}}
ACTION_NAMES = ("left", "none", "right")
CONTROLS = Controls({"left": 0, "right": 2}, idle=1, help="Left / Right: push")


def hill(x):
    """Height of the hill ``0.45 sin(3x) + 0.55`` at ``x`` (a number or an array)."""
    return 0.45 * np.sin(3 * x) + 0.55


def drawing(goal: int) -> Drawing:
    """Cars on the hill, the flag at the goal position ``params[goal]`` (both cars draw alike)."""

    def scene(canvas, params):
        xs = np.linspace(MIN_POSITION, MAX_POSITION, 120)
        canvas.lines(list(zip(xs, hill(xs))), "edge", width=0.3)
        g = float(params[goal])
        foot, top = (g, float(hill(g))), (g, float(hill(g)) + 0.12)
        canvas.line(foot, top, "text", width=0.3)
        canvas.polygon([top, (g + 0.06, top[1] - 0.02), (g, top[1] - 0.04)], "good")

    def agent(canvas, state, params):
        x = float(state[POSITION])
        canvas.dot((x, float(hill(x)) + 0.02), 2.2)  # the car sits on the hill, not in it

    def info(state, params):
        return f"position {state[POSITION]:+.3f}   velocity {state[VELOCITY]:+.4f}"

    return Drawing(box=(-1.25, 0.65, -0.05, 1.15), agent=agent, scene=scene, info=info)


DRAWING = drawing(GOAL_POSITION)
