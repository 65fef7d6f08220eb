"""Acrobot-v1, identical to Gymnasium's ``AcrobotEnv``.

Description
    Two links hang in a chain from a fixed joint; only the joint between them
    is actuated. The agent swings the free end up above a line one link length
    over the fixed joint (Sutton, 1996; Sutton and Barto, 2018). Constants,
    the "book" dynamics, the fourth-order Runge-Kutta step of ``dt``, the
    angle wrapping, the velocity bounds and the 500-step truncation are
    Gymnasium's Acrobot-v1; a parity test compares states step by step.

Observation
    =====  ===============================  =======  ======
    index  name                             min      max
    =====  ===============================  =======  ======
    0      cos of the first joint's angle   -1.0     1.0
    1      sin of the first joint's angle   -1.0     1.0
    2      cos of the second joint's angle  -1.0     1.0
    3      sin of the second joint's angle  -1.0     1.0
    4      first joint's angular velocity   -12.567  12.567
    5      second joint's angular velocity  -28.274  28.274
    =====  ===============================  =======  ======

    The velocity bounds are 4 pi and 9 pi rad/s.

Actions
    Discrete(3): torque -1, 0 or +1 on the joint between the links.

Reward
    -1 for every step that does not reach the goal, 0 for the one that does.

Start state
    Both angles and both angular velocities uniform in [-0.1, 0.1], rounded to
    float32 as Gymnasium stores them.

Episode end
    Terminated when ``-cos(theta1) - cos(theta1 + theta2) > 1`` (the free end
    above the line); truncated after 500 steps.

Solved
    Mean return of at least -100 over 100 fresh episodes (Gymnasium's
    ``reward_threshold`` for Acrobot-v1).

Parameters
    ``dt`` 0.2 s, ``link_length_1`` 1.0 m, ``link_mass_1`` and
    ``link_mass_2`` 1.0 kg, ``link_com_1`` and ``link_com_2`` 0.5 m (centres of
    mass), ``link_moi`` 1.0 (moment of inertia of each link), ``book`` 1 (the
    dynamics of Sutton and Barto's book, Gymnasium's default; 0 the NIPS paper's).
"""

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, Drawing, EnvSpec, build_params

THETA1, THETA2, DTHETA1, DTHETA2 = 0, 1, 2, 3
STATE_SIZE = 4
MAX_VEL_1 = 4 * math.pi
MAX_VEL_2 = 9 * math.pi

PARAM_NAMES = ("dt", "link_length_1", "link_mass_1", "link_mass_2", "link_com_1", "link_com_2", "link_moi",
               "book")
PARAM_DEFAULTS = (0.2, 1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0)
PARAM_RANGES = ((0.01, 0.5), (0.1, 5.0), (0.1, 10.0), (0.1, 10.0), (0.05, 5.0), (0.05, 5.0), (0.1, 10.0),
                (0.0, 1.0))  # (low, high) of each, inclusive
DT, L1, M1, M2, LC1, LC2, MOI, BOOK = range(8)

# evo.rollout's kernel="auto" plays networks up to this size in lockstep (evo.kernels.evaluate's default:
# 2048 genes): with 6-64-64-3 (4803 genes) lockstep ran at 1.05-1.16x the per-agent kernel in two
# runs and at 0.94-0.95x in a third (P = 256-65536, kernels loaded from the cache, benchmarks/rollout.py):
# the step's libm calls, not the network, set the pace of both kernels.
LOCKSTEP_MAX_GENES = 6144

SPEC = EnvSpec(name="acrobot", obs_size=6, num_actions=3, action_size=None, max_steps=500, dt=0.2,
               solved_at=-100.0, solved_over=100, state_size=STATE_SIZE,
               obs_low=(-1.0, -1.0, -1.0, -1.0, -MAX_VEL_1, -MAX_VEL_2),
               obs_high=(1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2),
               obs_names=("cos joint 1", "sin joint 1", "cos joint 2", "sin joint 2", "velocity 1", "velocity 2"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def reset(state, params, rng):
    """Every state variable uniform in [-0.1, 0.1], rounded to float32."""
    for i in range(4):
        state[i] = np.float32(_rng.uniform(rng, -0.1, 0.1))


@njit
def observe(state, params, obs):
    """Write (cos, sin) of both angles and both angular velocities into ``obs``."""
    obs[0] = math.cos(state[THETA1])
    obs[1] = math.sin(state[THETA1])
    obs[2] = math.cos(state[THETA2])
    obs[3] = math.sin(state[THETA2])
    obs[4] = state[DTHETA1]
    obs[5] = state[DTHETA2]


@njit
def _derivatives(params, theta1, theta2, dtheta1, dtheta2, a):
    """The time derivatives of (theta1, theta2, dtheta1, dtheta2) under torque ``a``."""
    m1, m2, l1, lc1, lc2 = params[M1], params[M2], params[L1], params[LC1], params[LC2]
    I1 = I2 = params[MOI]
    g = 9.8
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - math.pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - math.pi / 2)
            + phi2)
    if params[BOOK] == 0.0:
        ddtheta2 = (a + d2 / d1 * phi1 - phi2) / (m2 * lc2**2 + I2 - d2**2 / d1)
    else:
        ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
            m2 * lc2**2 + I2 - d2**2 / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


@njit
def _wrap(x, low, high):
    diff = high - low
    while x > high:
        x = x - diff
    while x < low:
        x = x + diff
    return x


@njit
def step(state, params, action, rng):
    """One RK4 step of ``dt`` with torque ``action[0] - 1`` (action 0, 1, 2). Returns (reward, terminated)."""
    a = action[0] - 1.0
    dt = params[DT]
    h = dt / 2.0
    y0, y1, y2, y3 = state[THETA1], state[THETA2], state[DTHETA1], state[DTHETA2]
    # Runge-Kutta in scalars, each sum in the order Gymnasium's array arithmetic takes
    a0, a1, a2, a3 = _derivatives(params, y0, y1, y2, y3, a)
    b0, b1, b2, b3 = _derivatives(params, y0 + h * a0, y1 + h * a1, y2 + h * a2, y3 + h * a3, a)
    c0, c1, c2, c3 = _derivatives(params, y0 + h * b0, y1 + h * b1, y2 + h * b2, y3 + h * b3, a)
    d0, d1, d2, d3 = _derivatives(params, y0 + dt * c0, y1 + dt * c1, y2 + dt * c2, y3 + dt * c3, a)
    w = dt / 6.0
    state[THETA1] = _wrap(y0 + w * (a0 + 2 * b0 + 2 * c0 + d0), -math.pi, math.pi)
    state[THETA2] = _wrap(y1 + w * (a1 + 2 * b1 + 2 * c1 + d1), -math.pi, math.pi)
    state[DTHETA1] = min(max(y2 + w * (a2 + 2 * b2 + 2 * c2 + d2), -MAX_VEL_1), MAX_VEL_1)
    state[DTHETA2] = min(max(y3 + w * (a3 + 2 * b3 + 2 * c3 + d3), -MAX_VEL_2), MAX_VEL_2)
    terminated = -math.cos(state[THETA1]) - math.cos(state[THETA2] + state[THETA1]) > 1.0
    return 0.0 if terminated else -1.0, terminated


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------


def _draw_scene(canvas, params) -> None:
    """The goal line one link length above the joint, and the joint."""
    canvas.line((-2.1, 1.0), (2.1, 1.0), "good", width=0.3)
    canvas.circle((0.0, 0.0), 0.05, "edge")


def _draw_agent(canvas, state, params) -> None:
    """The two links hanging from the joint, the tip marked."""
    t1, t2 = state[THETA1], state[THETA2]
    p1 = (math.sin(t1), -math.cos(t1))
    p2 = (p1[0] + math.sin(t1 + t2), p1[1] - math.cos(t1 + t2))
    canvas.lines([(0.0, 0.0), p1, p2])
    canvas.dot(p2, 1.5)


def _describe(state, params) -> str:
    height = -math.cos(state[THETA1]) - math.cos(state[THETA2] + state[THETA1])
    return f"tip height {height:+.2f} (goal > 1)"


PRESET = {"generations": 100, "pop_size": 128, "episodes": 3, "hidden": [16]}
ACTION_NAMES = ("torque -1", "torque 0", "torque +1")
CONTROLS = Controls({"left": 0, "right": 2}, idle=1, help="Left / Right: torque")
DRAWING = Drawing(box=(-2.2, 2.2, -2.2, 2.2), agent=_draw_agent, scene=_draw_scene, info=_describe)
