"""CartPole-v1, identical to Gymnasium's ``CartPoleEnv``.

Description
    A pole is hinged to a cart that moves along a frictionless track. The
    agent pushes the cart left or right to keep the pole upright (Barto,
    Sutton and Anderson, 1983). Constants, Euler integration, thresholds and
    the 500-step truncation are Gymnasium's CartPole-v1; a parity test replays
    random action sequences through both and compares states.

Observation (raw, as in Gymnasium; not normalised)
    =====  =====================  ======  =====
    index  name                   min     max
    =====  =====================  ======  =====
    0      cart position          -4.8    4.8
    1      cart velocity          -inf    inf
    2      pole angle (rad)       -0.419  0.419
    3      pole angular velocity  -inf    inf
    =====  =====================  ======  =====

Actions
    Discrete(2): 0 pushes the cart left, 1 pushes it right, with ``force_mag``.

Reward
    +1 for every step taken, the terminating step included.

Start state
    Every state variable uniform in [-0.05, 0.05].

Episode end
    Terminated when the pole angle leaves +-12 degrees or the cart position
    leaves +-2.4; truncated after 500 steps.

Solved
    Mean return of at least 475 over 100 fresh episodes (Gymnasium's
    ``reward_threshold`` for CartPole-v1).

Parameters
    ``gravity`` 9.8, ``masscart`` 1.0, ``masspole`` 0.1, ``length`` 0.5 (half
    the pole), ``force_mag`` 10.0, ``tau`` 0.02 s, ``theta_threshold``
    12 degrees in radians, ``x_threshold`` 2.4, ``observe_velocities`` 1
    (0 hides the two velocities: they read 0, so the game is partially
    observed and a network needs memory, e.g. ``--network gru``, to balance),
    ``fast_trig`` 0.

Levels (``LEVELS``)
    ``classic`` (the default): the parameter defaults, Gymnasium's CartPole-v1.

Fast trigonometry (opt-in)
    ``fast_trig=1`` (``envs.make("cartpole", fast_trig=1)``, or
    ``fast_trig = 1`` under ``[env_params]`` in a config) takes the pole angle's cosine and sine from
    the polynomials of :mod:`envs.trig` instead of libm: branch-free
    arithmetic that a loop over many games can vectorise, which makes the
    lockstep rollout (:mod:`evo.kernels.evaluate`) several times faster again. They
    are within 1 ulp of libm's on [-pi/2, pi/2], and the angle they see never
    leaves +-``theta_threshold`` (at most 1.5 rad): a state whose angle is
    beyond it has ended its episode. The dynamics are no longer Gymnasium's
    to the bit, so episodes may end at another step: of 200,000 episodes of
    random 4-16-2 networks, 0 did; of 200,000 episodes that last hundreds of
    steps, a few dozen did (``python benchmarks/rollout.py --parts trig``). Off by
    default.
"""

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs import trig as _trig
from envs.spec import Controls, EnvSpec, build_params

# Named sets of parameters: one, the defaults.
LEVELS = {"classic": {}}

X, X_DOT, THETA, THETA_DOT = 0, 1, 2, 3
STATE_SIZE = 4

PARAM_NAMES = ("gravity", "masscart", "masspole", "length", "force_mag", "tau",
               "theta_threshold", "x_threshold", "observe_velocities", "fast_trig")
PARAM_DEFAULTS = (9.8, 1.0, 0.1, 0.5, 10.0, 0.02, 12 * 2 * math.pi / 360, 2.4, 1.0, 0.0)
PARAM_RANGES = ((1.0, 50.0), (0.1, 10.0), (0.01, 10.0), (0.05, 5.0), (1.0, 100.0), (0.005, 0.1),
                (0.01, 1.5), (0.5, 10.0), (0.0, 1.0), (0.0, 1.0))  # (low, high) of each, inclusive
(GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU, THETA_THRESHOLD, X_THRESHOLD,
 OBSERVE_VELOCITIES, FAST_TRIG) = range(10)

# evo.rollout's kernel="auto" plays fewer pairs than this per agent, whatever the thread count: random genomes play
# mostly a few steps and some the whole episode, so a lockstep block would wait part-empty on its longest
# (1.0-1.4x the per-agent kernel at 256 pairs on 2 threads), and the preset's run (384 pairs, solved in
# under a second) would spend more on compiling the lockstep kernel (0.9 s more) than it gains.
LOCKSTEP_MIN_PAIRS = 512

SPEC = EnvSpec(name="cartpole", obs_size=4, num_actions=2, action_size=None, max_steps=500, dt=0.02,
               solved_at=475.0, solved_over=100, state_size=STATE_SIZE,
               obs_low=(-4.8, -math.inf, -0.419, -math.inf), obs_high=(4.8, math.inf, 0.419, math.inf),
               obs_names=("cart position", "cart velocity", "pole angle", "pole angular velocity"))


def default_params(**overrides) -> np.ndarray:
    """Parameters as a float64 array; keyword arguments override the defaults by name.

    Raises
    ------
    ValueError
        Unknown name, a value outside its range, or ``fast_trig`` other than 0 or 1.
    """
    params = build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)
    if params[FAST_TRIG] not in (0.0, 1.0):
        raise ValueError(f"cartpole: fast_trig must be 0 or 1, got {params[FAST_TRIG]:g}")
    return params


@njit
def reset(state, params, rng):
    """Write a start state into ``state``: each variable uniform in [-0.05, 0.05]."""
    for i in range(4):
        state[i] = _rng.uniform(rng, -0.05, 0.05)


@njit
def observe(state, params, obs):
    """Write the observation (the raw state) into ``obs``; velocities read 0 when they are hidden."""
    for i in range(4):
        obs[i] = state[i]
    if params[OBSERVE_VELOCITIES] == 0.0:
        obs[X_DOT] = 0.0
        obs[THETA_DOT] = 0.0


@njit(inline="always")
def _advance(params, push, x, x_dot, theta, theta_dot, costheta, sintheta):
    """One Euler step from the given state with action ``push`` (0 left, 1 right) and the angle's cosine
    and sine: the new state and whether it ends the episode. Inlined into :func:`step` and
    :func:`step_lanes`: one computation."""
    total_mass = params[MASSPOLE] + params[MASSCART]
    polemass_length = params[MASSPOLE] * params[LENGTH]
    tau = params[TAU]
    force = params[FORCE_MAG] if push == 1.0 else -params[FORCE_MAG]
    temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass
    thetaacc = (params[GRAVITY] * sintheta - costheta * temp) / (
        params[LENGTH] * (4.0 / 3.0 - params[MASSPOLE] * costheta * costheta / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x_new = x + tau * x_dot
    theta_new = theta + tau * theta_dot
    terminated = (x_new < -params[X_THRESHOLD]) | (x_new > params[X_THRESHOLD]) | (
        theta_new < -params[THETA_THRESHOLD]) | (theta_new > params[THETA_THRESHOLD])
    return x_new, x_dot + tau * xacc, theta_new, theta_dot + tau * thetaacc, terminated


@njit
def step(state, params, action, rng):
    """Advance one Euler step with action ``action[0]`` (0 left, 1 right). Returns (reward, terminated)."""
    theta = state[THETA]
    if params[FAST_TRIG] != 0.0:  # |theta| <= theta_threshold <= 1.5: within envs.trig's range
        costheta, sintheta = _trig.cos(theta), _trig.sin(theta)
    else:
        costheta, sintheta = math.cos(theta), math.sin(theta)
    state[X], state[X_DOT], state[THETA], state[THETA_DOT], terminated = _advance(
        params, action[0], state[X], state[X_DOT], theta, state[THETA_DOT], costheta, sintheta)
    return 1.0, terminated


# Lane-wise (docs/games.md): many games at once, state[:, l] the row of game l, so that each slot of
# all games is one vector.


@njit
def observe_lanes(state, params, obs):
    """:func:`observe` of every lane: ``obs[:, l]`` from ``state[:, l]``."""
    hide = params[OBSERVE_VELOCITIES] == 0.0
    for i in range(4):
        for l in range(state.shape[1]):
            obs[i, l] = 0.0 if hide and (i == X_DOT or i == THETA_DOT) else state[i, l]


@njit
def step_lanes(state, params, action, rng, reward, done):
    """:func:`step` of every lane: ``state[:, l]`` with ``action[:, l]``; ``reward[l]``, ``done[l]`` (1.0: terminated)."""
    n = state.shape[1]
    cos, sin = reward, done  # before they hold rewards and ends, the angles' cosines and sines
    if params[FAST_TRIG] != 0.0:
        for l in range(n):
            cos[l], sin[l] = _trig.cos(state[THETA, l]), _trig.sin(state[THETA, l])
    else:  # libm's: calls, the one part that stays scalar
        for l in range(n):
            cos[l], sin[l] = math.cos(state[THETA, l]), math.sin(state[THETA, l])
    for l in range(n):
        state[X, l], state[X_DOT, l], state[THETA, l], state[THETA_DOT, l], terminated = _advance(
            params, action[0, l], state[X, l], state[X_DOT, l], state[THETA, l], state[THETA_DOT, l],
            cos[l], sin[l])
        reward[l] = 1.0
        done[l] = 1.0 if terminated else 0.0


# -- what runs, the viewer and `neuroevo play` read about the game (envs.declaration) ------------------

PRESET = {"generations": 50, "pop_size": 128, "episodes": 3, "hidden": [8]}
ACTION_NAMES = ("left", "right")
CONTROLS = Controls({"left": 0, "right": 1}, idle=0, help="Left / Right: push")
