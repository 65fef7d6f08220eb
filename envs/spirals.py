"""Two spirals: two arms winding around each other.

Description
    Each class is an arm of 500 points winding one and three quarter turns out
    from the centre, the second arm the first turned by half a turn, with a
    little noise; 1000 points, half held out. The classic hard case for a small
    network: the boundary must wind with the arms.

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
    rng = np.random.default_rng(2)
    t = np.sqrt(rng.uniform(0, 1, 1000)) * 3.5 * np.pi
    y = np.tile([0, 1], 500)
    r = 0.9 * t / (3.5 * np.pi)
    a = t + np.pi * y
    x = np.column_stack([r * np.cos(a), r * np.sin(a)]) + rng.normal(0, 0.02, (1000, 2))
    x = np.clip(x, -1.0, 1.0)
    return x[:500], y[:500], x[500:], y[500:]


_DATA = _points()

SPEC = task_spec("spirals", ("x", "y"), 2, 0.95)


def default_params(**overrides) -> np.ndarray:
    """The scalars (``points``, ``split``, ``loss``; overridable by name), then the data."""
    return pack(*_DATA, 2, overrides, SPEC.name)
