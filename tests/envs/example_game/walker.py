"""Walker: a point on a line walks to the goal, the example of a game outside the package.

Observation
    =====  ==========  =====  ====
    index  name        min    max
    =====  ==========  =====  ====
    0      position    -1.0   1.0
    1      goal        -1.0   1.0
    =====  ==========  =====  ====

Actions
    Discrete(2): step left or right by ``speed``.

Reward
    1 on reaching the goal, -0.01 for every other step.

Start state
    Position 0; the goal uniform in [-0.9, 0.9].

Episode end
    Terminated at the goal (within ``speed``); truncated after 100 steps.

Parameters
    ``speed`` 0.05.
"""

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import EnvSpec, build_params

POSITION, GOAL = 0, 1
PARAM_NAMES = ("speed",)
PARAM_DEFAULTS = (0.05,)
PARAM_RANGES = ((0.01, 0.5),)
SPEED = 0

SPEC = EnvSpec(name="walker", obs_size=2, num_actions=2, action_size=None, max_steps=100, dt=0.05,
               solved_at=0.8, solved_over=100, state_size=2, obs_low=(-1.0, -1.0), obs_high=(1.0, 1.0),
               obs_names=("position", "goal"))


def default_params(**overrides) -> np.ndarray:
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def reset(state, params, rng):
    state[POSITION] = 0.0
    state[GOAL] = _rng.uniform(rng, -0.9, 0.9)


@njit
def observe(state, params, obs):
    obs[0] = state[POSITION]
    obs[1] = state[GOAL]


@njit
def step(state, params, action, rng):
    move = params[SPEED] if action[0] == 1.0 else -params[SPEED]
    state[POSITION] = min(max(state[POSITION] + move, -1.0), 1.0)
    if abs(state[POSITION] - state[GOAL]) <= params[SPEED]:
        return 1.0, True
    return -0.01, False
