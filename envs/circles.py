"""Circles: a disc inside a ring.

Description
    Class 1 fills a disc of radius 0.45, class 0 a ring from 0.6 to 0.95 around
    it; 400 points, half held out. A boundary must close around the centre.

Observation
    =====  ====================  =====  ====
    index  name                  min    max
    =====  ====================  =====  ====
    0      x                     -1.0   1.0
    1      y                     -1.0   1.0
    =====  ====================  =====  ====

Actions
    Box(1): one output; class 1 when it is positive.

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
    rng = np.random.default_rng(1)
    y = np.repeat([1, 0], 200)
    r = np.where(y == 1, 0.45 * np.sqrt(rng.uniform(0, 1, 400)), rng.uniform(0.6, 0.95, 400))
    a = rng.uniform(0, 2 * np.pi, 400)
    x = np.column_stack([r * np.cos(a), r * np.sin(a)])
    order = rng.permutation(400)
    x, y = x[order], y[order]
    return x[:200], y[:200], x[200:], y[200:]


_DATA = _points()

SPEC = task_spec("circles", ("x", "y"), 2, 0.95)


def default_params(**overrides) -> np.ndarray:
    """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
    return pack(*_DATA, 2, overrides, SPEC.name)
