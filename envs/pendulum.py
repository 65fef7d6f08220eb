"""Pendulum-v1, identical to Gymnasium's ``PendulumEnv``.

Description
    A pendulum hangs from a fixed pivot; the agent applies a torque to swing it
    up and hold it upright. The torque is too weak to lift it directly, so it
    must first build up momentum. Constants, the semi-implicit Euler step, the
    speed clip, the reward and the 200-step truncation are Gymnasium's
    Pendulum-v1; a parity test replays random action sequences through both.

Observation
    =====  ===================================  =====  ====
    index  name                                 min    max
    =====  ===================================  =====  ====
    0      cos of the angle (1: upright)        -1.0   1.0
    1      sin of the angle                     -1.0   1.0
    2      angular velocity (rad/s)             -8.0   8.0
    =====  ===================================  =====  ====

Actions
    Box(1): the network's tanh output in [-1, 1], times ``max_torque``, is the
    torque (N m, counter-clockwise positive). Registered with Gymnasium as
    ``neuroevo/Pendulum-v1`` with Gymnasium's own action space Box(-2, 2).

Reward
    ``-(theta^2 + 0.1 * theta_dot^2 + 0.001 * torque^2)`` with ``theta`` the
    angle from upright wrapped into [-pi, pi): 0 at best, about -16.3 at worst.

Start state
    Angle uniform in [-pi, pi], angular velocity uniform in [-1, 1].

Episode end
    Never terminated; truncated after 200 steps.

Solved
    By convention (Gymnasium gives Pendulum no threshold): a mean return of at
    least -200 over 100 fresh episodes, which a controller reaches only by
    swinging up and balancing from every start.

Parameters
    ``g`` 10.0 m/s^2, ``m`` 1.0 kg, ``l`` 1.0 m, ``max_speed`` 8.0 rad/s,
    ``max_torque`` 2.0 N m, ``dt`` 0.05 s, ``observe_velocity`` 1 (0 hides the
    angular velocity: it reads 0, and only a network with memory can recover it).
"""

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import Controls, Drawing, EnvSpec, build_params

THETA, THETA_DOT = 0, 1
STATE_SIZE = 2

PARAM_NAMES = ("g", "m", "l", "max_speed", "max_torque", "dt", "observe_velocity")
PARAM_DEFAULTS = (10.0, 1.0, 1.0, 8.0, 2.0, 0.05, 1.0)
PARAM_RANGES = ((0.0, 50.0), (0.1, 10.0), (0.1, 10.0), (1.0, 8.0), (0.1, 10.0), (0.005, 0.1),
                (0.0, 1.0))  # (low, high) of each, inclusive; max_speed is capped by the observation bound
G, M, L, MAX_SPEED, MAX_TORQUE, DT, OBSERVE_VELOCITY = range(7)

SPEC = EnvSpec(name="pendulum", obs_size=3, num_actions=None, action_size=1, max_steps=200, dt=0.05,
               solved_at=-200.0, solved_over=100, state_size=STATE_SIZE, obs_low=(-1.0, -1.0, -8.0),
               obs_high=(1.0, 1.0, 8.0), obs_names=("cos angle", "sin angle", "angular velocity"),
               action_high=(2.0,))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name."""
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def angle_normalize(x):
    """``x`` wrapped into [-pi, pi), as Gymnasium wraps it."""
    return ((x + math.pi) % (2.0 * math.pi)) - math.pi


@njit
def reset(state, params, rng):
    """Angle uniform in [-pi, pi], angular velocity uniform in [-1, 1]."""
    state[THETA] = _rng.uniform(rng, -math.pi, math.pi)
    state[THETA_DOT] = _rng.uniform(rng, -1.0, 1.0)


@njit
def observe(state, params, obs):
    """Write (cos, sin, angular velocity) into ``obs``."""
    obs[0] = math.cos(state[THETA])
    obs[1] = math.sin(state[THETA])
    obs[2] = state[THETA_DOT] if params[OBSERVE_VELOCITY] != 0.0 else 0.0


@njit
def step(state, params, action, rng):
    """Apply torque ``max_torque * action[0]`` for one step. Returns (reward, terminated)."""
    u = min(max(action[0] * params[MAX_TORQUE], -params[MAX_TORQUE]), params[MAX_TORQUE])
    th, thdot = state[THETA], state[THETA_DOT]
    g, m, l, dt = params[G], params[M], params[L], params[DT]
    costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * g / (2 * l) * math.sin(th) + 3.0 / (m * l**2) * u) * dt
    newthdot = min(max(newthdot, -params[MAX_SPEED]), params[MAX_SPEED])
    state[THETA] = th + newthdot * dt
    state[THETA_DOT] = newthdot
    return -costs, False


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------


def _draw_scene(canvas, params) -> None:
    """The circle the tip sweeps, and a mark at the top where it should stay."""
    canvas.circle((0.0, 0.0), 1.0, "grid", width=0.15)
    canvas.line((0.0, 1.05), (0.0, 1.25), "good", width=0.3)


def _draw_agent(canvas, state, params) -> None:
    """The rod from the pivot to the tip (angle 0 upright, counter-clockwise positive)."""
    th = state[THETA]
    tip = (math.sin(-th), math.cos(th))
    canvas.line((0.0, 0.0), tip)
    canvas.dot(tip, 1.6)


def _describe(state, params) -> str:
    up = math.degrees(float((state[THETA] + math.pi) % (2 * math.pi) - math.pi))
    return f"angle from upright {up:+.0f} deg   speed {state[THETA_DOT]:+.2f} rad/s"


PRESET = {"generations": 700, "pop_size": 16, "episodes": 1, "hidden": [16], "algorithm": "snes"}
ACTION_NAMES = ("torque",)
CONTROLS = Controls({"left": (1.0,), "right": (-1.0,)}, help="Left / Right: torque")
DRAWING = Drawing(box=(-1.3, 1.3, -1.3, 1.3), agent=_draw_agent, scene=_draw_scene, info=_describe)
