"""XOR: the four corners of a square, opposite corners alike.

Description
    Points jitter around (+-0.5, +-0.5); a point is of class 1 when exactly one
    of its coordinates is positive. No straight line separates the classes, so
    a network needs a hidden layer: two hidden units are enough (a 2-2-1
    network), the smallest that can solve it. 200 points, half of them held
    out for the test split.

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
    Every test point right: mean accuracy 1 over the test episodes.

Parameters
    ``points`` 32 (points per episode), ``split`` 0 (1: the held-out test
    split, which the run's test episodes and ``neuroevo eval`` use), ``loss`` 0
    (1: negative cross-entropy instead of accuracy).
"""

import numpy as np

from envs.playground import PARAM_DEFAULTS, PARAM_NAMES, PARAM_RANGES, observe, pack, reset, step, task_spec

__all__ = ["SPEC", "default_params", "reset", "observe", "step", "PARAM_NAMES", "PARAM_DEFAULTS", "PARAM_RANGES"]


def _points():
    rng = np.random.default_rng(0)
    corners = rng.integers(0, 2, (200, 2)) * 2 - 1
    x = 0.5 * corners + rng.uniform(-0.2, 0.2, (200, 2))
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x[:100], y[:100], x[100:], y[100:]


_DATA = _points()

SPEC = task_spec("xor", ("x", "y"), 2, 1.0)


def default_params(**overrides) -> np.ndarray:
    """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
    return pack(*_DATA, 2, overrides, SPEC.name)
