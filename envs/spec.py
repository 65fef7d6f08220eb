"""What a game declares about itself: sizes, limits and the solved threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EnvSpec:
    """Static description of a game.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"flappy"``.
    obs_size : int
        Length of the observation vector.
    num_actions : int or None
        Number of discrete actions (the network's argmax picks one), or None
        for a continuous game.
    action_size : int or None
        Number of continuous action dimensions, each in [-1, 1] (tanh of the
        network's outputs), or None for a discrete game.
    max_steps : int
        Episode cap: the episode is truncated after this many steps.
    dt : float
        Simulated seconds per step (used by the viewer to pace real time).
    solved_at : float
        Return at which the game counts as solved; ``solved_over`` says over
        how many episodes the mean is taken.
    solved_over : int
        Number of fresh episodes whose mean return must reach ``solved_at``.
    state_size : int
        Length of one float64 state row.
    obs_low, obs_high : tuple of float
        Bounds of every observation entry, as stated in the game's docstring.
    obs_names : tuple of str
        Name of every observation entry.
    action_high : tuple of float or None
        For a continuous game whose actions have physical units: the game
        reads the network's ``a`` in [-1, 1] as ``a * action_high`` (its
        Gymnasium action space is Box(-action_high, action_high)). None: the
        actions are the [-1, 1] values themselves.
    test_params : tuple of (str, float)
        Parameters a run's test episodes (and ``neuroevo eval``) play with,
        e.g. ``(("split", 1.0),)`` for a held-out split of the data
        (:meth:`envs.Env.held_out`).
    test_sets : tuple of (str, tuple of (str, value))
        Named variants a run's test episodes play, each with its parameters,
        e.g. the racer's hand-drawn tracks ``(("oval", (("track", "oval"),)), ...)``;
        the test score is the worst variant's mean (:meth:`envs.Env.test_sets`).
    """

    name: str
    obs_size: int
    num_actions: int | None
    action_size: int | None
    max_steps: int
    dt: float
    solved_at: float
    solved_over: int
    state_size: int
    obs_low: tuple
    obs_high: tuple
    obs_names: tuple
    action_high: tuple | None = None
    test_params: tuple = ()
    test_sets: tuple = ()

    @property
    def num_outputs(self) -> int:
        """Network outputs the game reads: one per discrete action or per continuous dimension."""
        return self.num_actions if self.num_actions is not None else self.action_size

    @property
    def discrete(self) -> bool:
        return self.num_actions is not None

    @property
    def action_buffer_size(self) -> int:
        """Length of the float64 action vector that ``step`` reads (1 for a discrete game)."""
        return 1 if self.discrete else self.action_size


def build_params(names: tuple, defaults: tuple, ranges: tuple, overrides: dict, game: str) -> np.ndarray:
    """Pack named scalar parameters into a float64 array, checking names and ranges.

    Parameters
    ----------
    names, defaults : tuple
        Every parameter's name and default value.
    ranges : tuple of (float, float)
        Every parameter's valid range, ``low <= value <= high``; the defaults
        must lie inside.
    overrides : dict
        Values by name, replacing the defaults.
    game : str
        Name used in error messages.

    Raises
    ------
    ValueError
        One line naming the unknown parameter and the known ones, or the
        parameter that is not a number or lies outside its range.
    """
    values = dict(zip(names, defaults))
    bounds = dict(zip(names, ranges))
    for k, v in overrides.items():
        if k not in values:
            raise ValueError(f"{game}: unknown parameter {k!r}; known: {', '.join(names)}")
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"{game}: parameter {k!r} must be a number, got {v!r}")
        low, high = bounds[k]
        if not low <= float(v) <= high:  # NaN fails too
            raise ValueError(f"{game}: parameter {k!r} must be in [{low:g}, {high:g}], got {v!r}")
        values[k] = float(v)
    return np.array([values[n] for n in names], dtype=np.float64)
