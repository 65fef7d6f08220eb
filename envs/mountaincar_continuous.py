"""MountainCarContinuous-v0, identical to Gymnasium's ``Continuous_MountainCarEnv``.

Description
    The mountain car with a continuous throttle: any force in [-1, 1], paid
    for in reward, and a bonus for reaching the flag. As in Gymnasium, the
    state is stored in float32 after every step. Constants, the update order,
    the clips and the 999-step truncation are Gymnasium's
    MountainCarContinuous-v0; a parity test replays random action sequences
    through both.

Observation
    The discrete car's (:mod:`envs.mountaincar`): position in [-1.2, 0.6],
    velocity in [-0.07, 0.07].

Actions
    Box(1): the force, the network's tanh output in [-1, 1] (Gymnasium's own
    action space Box(-1, 1)).

Reward
    ``-0.1 * force^2`` every step, plus 100 on reaching the goal.

Start state
    The discrete car's: position uniform in [-0.6, -0.4], velocity 0.

Episode end
    Terminated when the position reaches ``goal_position`` with a velocity of
    at least ``goal_velocity``; truncated after 999 steps.

Solved
    Mean return of at least 90 over 100 fresh episodes (Gymnasium's
    ``reward_threshold`` for MountainCarContinuous-v0).

Parameters
    ``power`` 0.0015, ``max_speed`` 0.07, ``goal_position`` 0.45,
    ``goal_velocity`` 0.
"""

import dataclasses
import math

import numpy as np
from numba import njit

# the same state, start, observation and physics as the discrete car
from envs import mountaincar
from envs.mountaincar import POSITION, STATE_SIZE, VELOCITY, advance, observe, reset
from envs.spec import Controls, build_params

__all__ = ["SPEC", "default_params", "reset", "observe", "step"]

PARAM_NAMES = ("power", "max_speed", "goal_position", "goal_velocity")
PARAM_DEFAULTS = (0.0015, 0.07, 0.45, 0.0)
PARAM_RANGES = ((0.0001, 0.01), (0.01, 0.07), (0.0, 0.6), (0.0, 0.07))  # (low, high) of each, inclusive
POWER, MAX_SPEED, GOAL_POSITION, GOAL_VELOCITY = range(4)
GRAVITY = 0.0025

SPEC = dataclasses.replace(mountaincar.SPEC, name="mountaincar_continuous", num_actions=None, action_size=1,
                           max_steps=999, solved_at=90.0)


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def step(state, params, action, rng):
    """Push with force ``action[0]`` in [-1, 1] for one step. Returns (reward, terminated)."""
    position = state[POSITION]
    slope = 3.0 * position
    if np.float32(position) == position:  # a stored float32 state: Gymnasium multiplies in float32 too
        slope = np.float64(np.float32(slope))
    force = min(max(action[0], -1.0), 1.0)
    position, velocity, terminated = advance(position, state[VELOCITY], force * params[POWER], GRAVITY,
                                             math.cos(slope), params[MAX_SPEED], params[GOAL_POSITION],
                                             params[GOAL_VELOCITY])
    reward = (100.0 if terminated else 0.0) - action[0] ** 2 * 0.1
    state[POSITION] = np.float32(position)  # Gymnasium keeps this state in float32
    state[VELOCITY] = np.float32(velocity)
    return reward, terminated


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

PRESET = {"generations": 100, "pop_size": 128, "episodes": 3, "hidden": [8]}
ACTION_NAMES = ("force",)
CONTROLS = Controls({"left": (-1.0,), "right": (1.0,)}, help="Left / Right: push")
DRAWING = mountaincar.drawing(GOAL_POSITION)
