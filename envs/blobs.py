"""Blobs: three Gaussian clusters.

Description
    Three classes, each a Gaussian cluster (standard deviation 0.18) around a
    corner of a triangle inscribed in a circle of radius 0.55; 300 points, half
    held out. Nearly separable by straight lines; the overlaps set the best
    accuracy a little below 1.

Observation
    =====  ====================  =====  ====
    index  name                  min    max
    =====  ====================  =====  ====
    0      x                     -1.0   1.0
    1      y                     -1.0   1.0
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
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], 100)
    angle = np.pi / 2 + 2 * np.pi * y / 3
    x = np.column_stack([0.55 * np.cos(angle), 0.55 * np.sin(angle)]) + rng.normal(0, 0.18, (300, 2))
    x = np.clip(x, -1.0, 1.0)
    order = rng.permutation(300)
    x, y = x[order], y[order]
    return x[:150], y[:150], x[150:], y[150:]


_DATA = _points()

SPEC = task_spec("blobs", ("x", "y"), 3, 0.95)


def default_params(**overrides) -> np.ndarray:
    """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
    return pack(*_DATA, 3, overrides, SPEC.name)
