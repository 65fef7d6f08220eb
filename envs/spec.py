"""What a game declares about itself: sizes, limits and the solved threshold (:class:`EnvSpec`), and what
the runs, the viewer and ``neuroevo play`` read about it (:class:`Declaration`: preset, labels, controls,
drawing)."""

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


@dataclass(frozen=True)
class Controls:
    """How a person plays a game with the keyboard (``neuroevo play``).

    Parameters
    ----------
    keys : dict
        Key name (pygame's: ``"left"``, ``"up"``, ``"space"``, ``"a"``, ``"1"``, ...) -> what it does.
        A discrete game maps a key to an action index; a continuous game maps it to a tuple of
        ``action_size`` values, and the values of the keys held are summed and clipped to [-1, 1].
    idle : int
        Discrete games: the action played when no mapped key is down, or when the keys down map to
        different actions.
    per_press : bool
        Discrete games: a key acts once per press (a snake turns once) rather than while it is held.
    help : str
        One line for the play window, e.g. ``"Left / Right: push"``; empty: made from ``keys``.
    """

    keys: dict
    idle: int = 0
    per_press: bool = False
    help: str = ""


@dataclass(frozen=True)
class Drawing:
    """How the viewer draws a game: shapes in the game's own coordinates, through a canvas the viewer lends.

    The viewer draws the scene once, then every agent (the dead fading, then the living, then the
    leader on top, wider), each through ``agent(canvas, state, params)`` with the canvas set to that
    agent's colour. Nothing here imports the viewer: a canvas is any object with these methods
    (coordinates in the game's units, y up; ``colour`` None is the current agent's colour, or a
    palette name ``"agent"``, ``"leader"``, ``"good"``, ``"bad"``, ``"edge"``, ``"grid"``,
    ``"text"``, ``"dim"``, ``"field"``, or an ``(r, g, b)`` tuple; ``width`` in line widths,
    which the viewer scales with the picture):

    - ``line(a, b, colour=None, width=1.0)`` and ``lines(points, colour=None, width=1.0, closed=False)``
    - ``circle(centre, radius, colour=None, width=0.0)``: filled when ``width`` is 0
    - ``dot(centre, size=1.0, colour=None)``: a filled disc ``size`` line widths in radius
    - ``polygon(points, colour=None)`` and ``rect(x0, y0, x1, y1, colour=None)``: filled
    - ``text(s, at, size=0.1, colour=None)``: ``size`` world units high, centred on ``at``

    Parameters
    ----------
    box : tuple of float or callable
        ``(x0, x1, y0, y1)``, the part of the world shown, or a function of the game's ``params``
        returning it.
    agent : callable
        ``agent(canvas, state, params)`` draws one agent from its state row.
    scene : callable, optional
        ``scene(canvas, params)`` draws what every agent shares (ground, goal), under the agents.
    info : callable, optional
        ``info(state, params) -> str``: one line about an agent, shown under the picture.
    """

    box: object
    agent: object
    scene: object = None
    info: object = None

    def bounds(self, params) -> tuple:
        """``(x0, x1, y0, y1)`` for a game with parameters ``params``."""
        box = self.box(params) if callable(self.box) else self.box
        return tuple(float(v) for v in box)


@dataclass(frozen=True)
class Declaration:
    """Everything a game declares beside its kernels, gathered by :func:`envs.declaration`.

    Attributes
    ----------
    preset : dict
        Run settings for the game (fields of ``evo.runs.config.RunConfig``): its ``PRESET``.
    action_names : tuple of str or callable or None
        A label per network output (``ACTION_NAMES``), or a function of the game's parameters giving them.
    controls : Controls or None
        Its keyboard mapping (``CONTROLS``); None: the viewer offers generic keys.
    drawing : Drawing or None
        How the viewer draws it (``DRAWING``); None: the viewer draws its observations.
    """

    preset: dict
    action_names: object = None
    controls: Controls | None = None
    drawing: Drawing | None = None

    def labels(self, params, num_outputs: int) -> tuple:
        """A label for each of ``num_outputs`` network outputs: the declared names, else ``out 0``, ``out 1``, ..."""
        names = self.action_names(params) if callable(self.action_names) else self.action_names
        names = tuple(names or ())
        if len(names) != num_outputs:
            return tuple(f"out {k}" for k in range(num_outputs))
        return names
