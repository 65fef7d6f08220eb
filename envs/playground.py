"""The playground's machinery: classification data sets played as games.

An episode shows the network ``points`` points of a data set, one per step,
drawn with replacement from the training split (``split`` 0) or from the
held-out test split (``split`` 1, what a run's test episodes and ``neuroevo
eval`` use: :meth:`envs.Env.held_out`). The network answers with one output
per class (one output for two classes: class 1 when it is positive); the
reward is ``1 / points`` for a right answer, so a return is an accuracy in
[0, 1]. With ``loss`` 1 the reward is instead the log-probability of the right
class divided by ``points`` (the negative cross-entropy), the probabilities a
softmax of ``4 *`` the outputs (a logistic of it for two classes).

The task modules (``envs.xor``, ``envs.circles``, ``envs.spirals``,
``envs.blobs``, ``envs.iris``) hold the data and their spec and re-export the
kernels below; the data lives in the parameter array after the three
scalars, so the fused rollout plays the playground like any game.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from envs import rng as _rng
from envs.spec import EnvSpec, build_params

T, INDEX = 0, 1
STATE_SIZE = 2
PARAM_NAMES = ("points", "split", "loss")
PARAM_DEFAULTS = (32.0, 0.0, 0.0)
PARAM_RANGES = ((1.0, 1000.0), (0.0, 1.0), (0.0, 1.0))  # (low, high) of each, inclusive
POINTS, SPLIT, LOSS, N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = range(7)
DATA = 7
SCALE = 4.0  # outputs (in [-1, 1] after tanh) times this are the logits
MAX_POINTS = 1000


def task_spec(name: str, obs_names: tuple, n_classes: int, solved_at: float) -> EnvSpec:
    """The spec of a playground task: features in [-1, 1], one output per class (one for two classes),
    episodes of at most 1000 points, the held-out split for the test episodes."""
    n = len(obs_names)
    return EnvSpec(name=name, obs_size=n, num_actions=None, action_size=1 if n_classes == 2 else n_classes,
                   max_steps=MAX_POINTS, dt=0.1, solved_at=solved_at, solved_over=1000, state_size=STATE_SIZE,
                   obs_low=(-1.0,) * n, obs_high=(1.0,) * n, obs_names=tuple(obs_names),
                   test_params=(("split", 1.0),))


def pack(x_train, y_train, x_test, y_test, n_classes: int, overrides: dict, game: str) -> np.ndarray:
    """The parameter array of a task: the scalars, the split sizes, then every row's features and label."""
    scalars = build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, game)
    if scalars[POINTS] != int(scalars[POINTS]) or scalars[SPLIT] not in (0.0, 1.0) or scalars[LOSS] not in (0.0, 1.0):
        raise ValueError(f"{game}: points must be an integer, split and loss 0 or 1")
    rows = [np.column_stack([x, y]).ravel() for x, y in ((x_train, y_train), (x_test, y_test))]
    head = [len(x_train), len(x_test), x_train.shape[1], n_classes]
    return np.concatenate([scalars, np.array(head, np.float64), *rows])


def normalise(x_train: np.ndarray, x_test: np.ndarray) -> tuple:
    """Features scaled to [-1, 1] by the training split's range (test points are clipped into it)."""
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    scale = lambda x: np.clip(2 * (x - low) / (high - low) - 1, -1.0, 1.0)  # noqa: E731
    return scale(x_train), scale(x_test)


def split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple:
    """A fixed shuffled split: (x_train, y_train, x_test, y_test), the classes kept in proportion."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[:int(round(test_fraction * len(idx)))]] = True
    return x[~test], y[~test], x[test], y[test]


def data(params: np.ndarray, test: bool) -> tuple:
    """(features, labels) of one split, for drawing."""
    n_train, n_test, f = int(params[N_TRAIN]), int(params[N_TEST]), int(params[N_FEATURES])
    rows = params[DATA:DATA + (n_train + n_test) * (f + 1)].reshape(n_train + n_test, f + 1)
    rows = rows[n_train:] if test else rows[:n_train]
    return rows[:, :f], rows[:, f].astype(np.int64)


@njit
def _draw(state, params, rng):
    if params[SPLIT] == 0.0:
        state[INDEX] = _rng.randint(rng, int(params[N_TRAIN]))
    else:
        state[INDEX] = params[N_TRAIN] + _rng.randint(rng, int(params[N_TEST]))


@njit
def reset(state, params, rng):
    """No point shown yet; the first one drawn."""
    state[T] = 0.0
    _draw(state, params, rng)


@njit
def observe(state, params, obs):
    """Write the current point's features into ``obs``."""
    f = int(params[N_FEATURES])
    row = DATA + int(state[INDEX]) * (f + 1)
    for i in range(f):
        obs[i] = params[row + i]


@njit
def step(state, params, action, rng):
    """Score the answer to the current point, then draw the next. Returns (reward, terminated)."""
    f, k = int(params[N_FEATURES]), int(params[N_CLASSES])
    label = int(params[DATA + int(state[INDEX]) * (f + 1) + f])
    if k == 2:  # one output: class 1 when positive
        guess = 1 if action[0] > 0.0 else 0
        p1 = 1.0 / (1.0 + math.exp(-SCALE * action[0]))
        p = p1 if label == 1 else 1.0 - p1
    else:
        guess, top = 0, action[0]
        for c in range(1, k):
            if action[c] > top:
                guess, top = c, action[c]
        total = 0.0
        for c in range(k):
            total += math.exp(SCALE * (action[c] - top))
        p = math.exp(SCALE * (action[label] - top)) / total
    points = params[POINTS]
    if params[LOSS] == 0.0:
        reward = (1.0 if guess == label else 0.0) / points
    else:
        reward = math.log(max(p, 1e-12)) / points
    state[T] += 1.0
    _draw(state, params, rng)
    return reward, state[T] >= points
