"""The playground: classification data sets played as games, one table of data sets.

An episode shows the network ``points`` points of a data set, one per step,
drawn with replacement from the training split (``split`` 0) or from the
held-out test split (``split`` 1, what a run's test episodes and ``neuroevo
eval`` use: :meth:`envs.Env.held_out`). The network answers with one output
per class (one output for two classes: class 1 when it is positive); the
reward is ``1 / points`` for a right answer, so a return is an accuracy in
[0, 1]. With ``loss`` 1 the reward is instead the log-probability of the right
class divided by ``points`` (the negative cross-entropy), the probabilities a
softmax of ``4 *`` the outputs (a logistic of it for two classes).

Every task plays the same three kernels below: the data lives in the
parameter array after the three scalars (the split sizes, then every row's
features and label), so the kernels, and the fused rollout built on them,
never depend on which data set is played. What differs between tasks is a row
of :data:`DATASETS`: the points, the feature names, the number of classes, the
solved threshold, the run preset and the output labels.

Each row becomes a game module of its own, ``envs.playground.<name>``
(``xor``, ``circles``, ``spirals``, ``blobs``, ``iris``), with its ``SPEC``,
``default_params``, the shared kernels and a docstring in the game format.
Importing this module creates them and enters them in ``sys.modules``, as
``os`` does for ``os.path``, so the registry and the generated kernels import
them by name (``from envs.playground.xor import reset, observe, step``) like
any game module.
"""

from __future__ import annotations

import functools
import importlib.machinery
import math
import sys
import types
from dataclasses import dataclass
from importlib import resources
from typing import Callable

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


# -- the kernels every task plays -------------------------------------------------------------


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


# -- data: packing, splitting, reading back ---------------------------------------------------


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


# -- the data sets: each returns (x_train, y_train, x_test, y_test) -----------------------------


def _xor_points() -> tuple:
    rng = np.random.default_rng(0)
    corners = rng.integers(0, 2, (200, 2)) * 2 - 1
    x = 0.5 * corners + rng.uniform(-0.2, 0.2, (200, 2))
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x[:100], y[:100], x[100:], y[100:]


def _circles_points() -> tuple:
    rng = np.random.default_rng(1)
    y = np.repeat([1, 0], 200)
    r = np.where(y == 1, 0.45 * np.sqrt(rng.uniform(0, 1, 400)), rng.uniform(0.6, 0.95, 400))
    a = rng.uniform(0, 2 * np.pi, 400)
    x = np.column_stack([r * np.cos(a), r * np.sin(a)])
    order = rng.permutation(400)
    x, y = x[order], y[order]
    return x[:200], y[:200], x[200:], y[200:]


def _spirals_points() -> tuple:
    rng = np.random.default_rng(2)
    t = np.sqrt(rng.uniform(0, 1, 1000)) * 3.5 * np.pi
    y = np.tile([0, 1], 500)
    r = 0.9 * t / (3.5 * np.pi)
    a = t + np.pi * y
    x = np.column_stack([r * np.cos(a), r * np.sin(a)]) + rng.normal(0, 0.02, (1000, 2))
    x = np.clip(x, -1.0, 1.0)
    return x[:500], y[:500], x[500:], y[500:]


def _blobs_points() -> tuple:
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], 100)
    angle = np.pi / 2 + 2 * np.pi * y / 3
    x = np.column_stack([0.55 * np.cos(angle), 0.55 * np.sin(angle)]) + rng.normal(0, 0.18, (300, 2))
    x = np.clip(x, -1.0, 1.0)
    order = rng.permutation(300)
    x, y = x[order], y[order]
    return x[:150], y[:150], x[150:], y[150:]


IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def _iris_points() -> tuple:
    text = resources.files("envs").joinpath("data", "iris.csv").read_text().splitlines()
    rows = [line.split(",") for line in text if line and not line.startswith("#")][1:]
    x = np.array([[float(v) for v in r[:4]] for r in rows])
    y = np.array([IRIS_SPECIES.index(r[4]) for r in rows])
    x_train, y_train, x_test, y_test = split(x, y, 0.3, seed=4)
    x_train, x_test = normalise(x_train, x_test)
    return x_train, y_train, x_test, y_test


@dataclass(frozen=True)
class Dataset:
    """One row of :data:`DATASETS`: what makes a playground task differ from the others.

    Attributes
    ----------
    title : str
        First line of the task's docstring.
    description : str
        The docstring's Description section, indented by four spaces.
    points : callable
        ``() -> (x_train, y_train, x_test, y_test)``, the fixed data and its split.
    obs_names : tuple of str
        Name of every feature (each scaled to [-1, 1]).
    n_classes : int
        Number of classes: the network has one output per class, one for two classes.
    solved_at : float
        Mean test accuracy at which the task counts as solved.
    preset : dict
        The run settings that solve it with no options (:class:`evo.runs.config.RunConfig` fields).
    action_names : tuple of str
        A label for every network output.
    """

    title: str
    description: str
    points: Callable[[], tuple]
    obs_names: tuple
    n_classes: int
    solved_at: float
    preset: dict
    action_names: tuple


_TWO_CLASSES = ("class 1 (> 0)",)

DATASETS: dict[str, Dataset] = {
    "xor": Dataset(
        "XOR: the four corners of a square, opposite corners alike.",
        """    Points jitter around (+-0.5, +-0.5); a point is of class 1 when exactly one
    of its coordinates is positive. No straight line separates the classes, so
    a network needs a hidden layer: two hidden units are enough (a 2-2-1
    network), the smallest that can solve it. 200 points, half of them held
    out for the test split.""",
        _xor_points, ("x", "y"), 2, 1.0,
        {"generations": 300, "pop_size": 16, "episodes": 2, "hidden": [2],
         "algorithm": {"name": "cmaes", "restarts": 5}}, _TWO_CLASSES),
    "circles": Dataset(
        "Circles: a disc inside a ring.",
        """    Class 1 fills a disc of radius 0.45, class 0 a ring from 0.6 to 0.95 around
    it; 400 points, half held out. A boundary must close around the centre.""",
        _circles_points, ("x", "y"), 2, 0.95,
        {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]}, _TWO_CLASSES),
    "spirals": Dataset(
        "Two spirals: two arms winding around each other.",
        """    Each class is an arm of 500 points winding one and three quarter turns out
    from the centre, the second arm the first turned by half a turn, with a
    little noise; 1000 points, half held out. The classic hard case for a small
    network: the boundary must wind with the arms.""",
        _spirals_points, ("x", "y"), 2, 0.95,
        {"generations": 1500, "pop_size": 32, "episodes": 8, "hidden": [16, 16], "algorithm": "cmaes"},
        _TWO_CLASSES),
    "blobs": Dataset(
        "Blobs: three Gaussian clusters.",
        """    Three classes, each a Gaussian cluster (standard deviation 0.18) around a
    corner of a triangle inscribed in a circle of radius 0.55; 300 points, half
    held out. Nearly separable by straight lines; the overlaps set the best
    accuracy a little below 1.""",
        _blobs_points, ("x", "y"), 3, 0.95,
        {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]}, ("class 0", "class 1", "class 2")),
    "iris": Dataset(
        "Iris: three species of iris told apart by four measurements.",
        """    The 150 flowers of Fisher's data set (1936), bundled as ``envs/data/iris.csv``
    from the UCI Machine Learning Repository: sepal length and width, petal
    length and width (cm) of 50 flowers of each of setosa, versicolor and
    virginica. 30% of each species is held out for the test split (a fixed
    split); features are scaled to [-1, 1] by the training split's range.""",
        _iris_points, ("sepal length", "sepal width", "petal length", "petal width"), 3, 0.95,
        {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]}, IRIS_SPECIES),
}
"""The playground's data sets by game name."""


@functools.cache
def _points(name: str) -> tuple:
    """A data set's points, made once per process (read-only: :func:`pack` copies them)."""
    return DATASETS[name].points()


def task_spec(name: str) -> EnvSpec:
    """The spec of a playground task: features in [-1, 1], one output per class (one for two classes),
    episodes of at most 1000 points, the held-out split for the test episodes."""
    d = DATASETS[name]
    n = len(d.obs_names)
    return EnvSpec(name=name, obs_size=n, num_actions=None, action_size=1 if d.n_classes == 2 else d.n_classes,
                   max_steps=MAX_POINTS, dt=0.1, solved_at=d.solved_at, solved_over=1000, state_size=STATE_SIZE,
                   obs_low=(-1.0,) * n, obs_high=(1.0,) * n, obs_names=tuple(d.obs_names),
                   test_params=(("split", 1.0),))


def _docstring(d: Dataset) -> str:
    """A task's docstring in the game format (the spec a reader and ``tests/envs/test_contract.py`` read)."""
    rule = "    =====  ====================  =====  ===="
    rows = "\n".join(f"    {i:<5}  {name:<20}  -1.0   1.0" for i, name in enumerate(d.obs_names))
    actions = ("Box(1): one output; class 1 when it is positive." if d.n_classes == 2 else
               f"Box({d.n_classes}): one output per class; the largest is the answer.")
    solved = ("Every test point right: mean accuracy 1 over the test episodes." if d.solved_at == 1.0 else
              f"A mean accuracy of at least {d.solved_at:g} over the test episodes.")
    return f"""{d.title}

Description
{d.description}

Observation
{rule}
    index  name                  min    max
{rule}
{rows}
{rule}

Actions
    {actions}

Reward
    ``1 / points`` for every right answer (the return is the accuracy), or with
    ``loss`` 1 the log-probability of the right class over ``points``
    (see :mod:`envs.playground`).

Start state
    The first of ``points`` points drawn, with replacement, from the training
    split (``split`` 0) or the test split (``split`` 1).

Episode end
    Terminated after ``points`` points.

Solved
    {solved}

Parameters
    ``points`` 32 (points per episode), ``split`` 0 (1: the held-out test
    split, which the run's test episodes and ``neuroevo eval`` use), ``loss`` 0
    (1: negative cross-entropy instead of accuracy).
"""


def _task_module(name: str) -> types.ModuleType:
    """The game module of one data set, ``envs.playground.<name>``, entered in ``sys.modules``."""
    d = DATASETS[name]
    module = types.ModuleType(f"{__name__}.{name}", _docstring(d))
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None, origin=__file__)
    module.__file__ = __file__
    spec = task_spec(name)

    def default_params(**overrides) -> np.ndarray:
        """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
        return pack(*_points(name), d.n_classes, overrides, name)

    default_params.__module__ = module.__name__
    module.__dict__.update(SPEC=spec, default_params=default_params, reset=reset, observe=observe, step=step,
                           PARAM_NAMES=PARAM_NAMES, PARAM_DEFAULTS=PARAM_DEFAULTS, PARAM_RANGES=PARAM_RANGES,
                           PRESET=d.preset, ACTION_NAMES=d.action_names, DATASET=d,
                           __all__=["SPEC", "default_params", "reset", "observe", "step", "PARAM_NAMES",
                                    "PARAM_DEFAULTS", "PARAM_RANGES", "PRESET", "ACTION_NAMES"])
    sys.modules[module.__name__] = module
    return module


xor, circles, spirals, blobs, iris = (_task_module(name) for name in DATASETS)
