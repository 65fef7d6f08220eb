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


def build_params(names: tuple, defaults: tuple, overrides: dict, game: str) -> np.ndarray:
    """Pack named scalar parameters into a float64 array, rejecting unknown names.

    Raises
    ------
    ValueError
        One line naming the unknown parameter and the known ones.
    """
    values = dict(zip(names, defaults))
    for k, v in overrides.items():
        if k not in values:
            raise ValueError(f"{game}: unknown parameter {k!r}; known: {', '.join(names)}")
        try:
            values[k] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{game}: parameter {k!r} must be a number, got {v!r}") from None
        if not np.isfinite(values[k]):
            raise ValueError(f"{game}: parameter {k!r} must be finite, got {v!r}")
    return np.array([values[n] for n in names], dtype=np.float64)
