"""Iris: three species of iris told apart by four measurements.

Description
    The 150 flowers of Fisher's data set (1936), bundled as ``envs/data/iris.csv``
    from the UCI Machine Learning Repository: sepal length and width, petal
    length and width (cm) of 50 flowers of each of setosa, versicolor and
    virginica. 30% of each species is held out for the test split (a fixed
    split); features are scaled to [-1, 1] by the training split's range.

Observation
    =====  ====================  =====  ====
    index  name                  min    max
    =====  ====================  =====  ====
    0      sepal length          -1.0   1.0
    1      sepal width           -1.0   1.0
    2      petal length          -1.0   1.0
    3      petal width           -1.0   1.0
    =====  ====================  =====  ====

Actions
    Box(3): one output per class; the largest is the answer.

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
    A mean accuracy of at least 0.95 over the test episodes.

Parameters
    ``points`` 32 (points per episode), ``split`` 0 (1: the held-out test
    split, which the run's test episodes and ``neuroevo eval`` use), ``loss`` 0
    (1: negative cross-entropy instead of accuracy).
"""

import numpy as np

from envs.playground import PARAM_DEFAULTS, PARAM_NAMES, PARAM_RANGES, observe, pack, reset, step, task_spec

__all__ = ["SPEC", "default_params", "reset", "observe", "step", "PARAM_NAMES", "PARAM_DEFAULTS", "PARAM_RANGES"]


def _points():
    from importlib import resources

    from envs.playground import normalise, split

    text = resources.files("envs").joinpath("data", "iris.csv").read_text().splitlines()
    rows = [line.split(",") for line in text if line and not line.startswith("#")][1:]
    species = ("setosa", "versicolor", "virginica")
    x = np.array([[float(v) for v in r[:4]] for r in rows])
    y = np.array([species.index(r[4]) for r in rows])
    x_train, y_train, x_test, y_test = split(x, y, 0.3, seed=4)
    x_train, x_test = normalise(x_train, x_test)
    return x_train, y_train, x_test, y_test


_DATA = _points()

SPEC = task_spec("iris", ("sepal length", "sepal width", "petal length", "petal width"), 3, 0.95)


def default_params(**overrides) -> np.ndarray:
    """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
    return pack(*_DATA, 3, overrides, SPEC.name)
