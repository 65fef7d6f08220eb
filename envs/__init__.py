"""Games as Numba state machines, and a registry to make them by name.

>>> import envs
>>> env = envs.make("cartpole")
>>> env.obs_size, env.num_actions, env.max_steps
(4, 2, 500)
"""

from __future__ import annotations

import copy
import difflib
import importlib

from envs import pixels
from envs.core import BatchEnv, Env
from envs.spec import Controls, Declaration, Drawing, EnvSpec

_GAMES = {
    "cartpole": "envs.cartpole",
    "flappy": "envs.flappy",
    "snake": "envs.snake",
    "pong": "envs.pong",
    "racer": "envs.racer",
    "maze": "envs.maze",
    "acrobot": "envs.acrobot",
    "mountaincar": "envs.mountaincar",
    "mountaincar_continuous": "envs.mountaincar_continuous",
    "pendulum": "envs.pendulum",
    "xor": "envs.playground.xor",
    "circles": "envs.playground.circles",
    "spirals": "envs.playground.spirals",
    "blobs": "envs.playground.blobs",
    "iris": "envs.playground.iris",
}
_BUILT_IN = frozenset(_GAMES)


ENTRY_POINTS = "neuroevo.envs"
_plugins_loaded: list = []
_DECLARED: dict = {}  # name -> what register() was told beside the module path
_DECLARABLE = ("preset", "action_names", "controls", "drawing")


def _load_plugins() -> None:
    """Games of installed packages: the ``neuroevo.envs`` entry points, name = module path (not imported yet)."""
    if _plugins_loaded:
        return
    _plugins_loaded.append(True)
    from importlib.metadata import entry_points
    for ep in entry_points(group=ENTRY_POINTS):
        _GAMES.setdefault(ep.name, ep.value)


def names() -> list[str]:
    """Names of the registered games: the built-in ones, then those of installed packages and ``register``."""
    _load_plugins()
    return list(_GAMES)


def register(name: str, module_path: str, *, preset: dict | None = None, action_names=None,
             controls: Controls | None = None, drawing: Drawing | None = None) -> None:
    """Register a game module by its import path, e.g. ``register("maze", "mypackage.maze")``.

    The module follows the game contract (``docs/games.md``): ``SPEC``,
    ``PARAM_NAMES``/``PARAM_DEFAULTS``/``PARAM_RANGES``, ``default_params``
    and the ``reset``, ``observe`` and ``step`` kernels. It is imported when
    the game is first made; ``neuroevo check-game`` checks it.

    The keyword arguments declare what the module may declare itself
    (``PRESET``, ``ACTION_NAMES``, ``CONTROLS``, ``DRAWING``; see
    :func:`declaration`) and take precedence over it.

    Raises
    ------
    ValueError
        A name that is not lower-case letters, digits and underscores, or one
        of the built-in games; a module path that is not a dotted name.
    """
    if not isinstance(name, str) or not name.replace("_", "a").isalnum() or name.lower() != name:
        raise ValueError(f"a game name must be lower-case letters, digits and underscores, got {name!r}")
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is a built-in game; choose another name")
    if not isinstance(module_path, str) or not all(part.isidentifier() for part in module_path.split(".")):
        raise ValueError(f"module path must be a dotted module name such as 'mypackage.mygame', got {module_path!r}")
    if preset is not None and not isinstance(preset, dict):
        raise ValueError(f"preset must be a dict of run settings, got {preset!r}")
    _GAMES[name] = module_path
    given = {"preset": preset, "action_names": action_names, "controls": controls, "drawing": drawing}
    _DECLARED[name] = {k: v for k, v in given.items() if v is not None}


# What a module must define to be a game (docs/games.md); neuroevo check-game checks the rest.
_GAME_CONTRACT = ("SPEC", "PARAM_NAMES", "default_params", "reset", "observe", "step")


def _game_module(name: str):
    """The module of the registered game ``name``, imported and checked to be a game (ValueError otherwise)."""
    path = _GAMES[name]
    try:
        module = importlib.import_module(path)
    except ImportError as e:
        raise ValueError(f"game {name!r}: cannot import its module {path!r}: {e}") from None
    missing = [attr for attr in _GAME_CONTRACT if not hasattr(module, attr)]
    if missing:
        raise ValueError(f"game {name!r}: module {path!r} is not a game (it has no {missing[0]}; "
                         f"see docs/games.md, or run neuroevo check-game {path})")
    return module


def make(name: str, *, level: str | None = None, max_steps: int | None = None, obs: str = "features", **params):
    """Make a game by name at a level, with parameters overriding the level's.

    ``level`` names one of the game's levels (:func:`levels`); None plays its
    default level. ``obs="pixels"`` observes the game as a small image drawn
    inside the kernels (``env.obs_shape`` is ``(C, H, W)``; games that declare
    one, :mod:`envs.pixels`). ``"gym:<id>"`` wraps any Gymnasium environment
    with a discrete or box action space (see :mod:`envs.gym_wrappers`); it has
    no levels.

    Raises
    ------
    ValueError
        Unknown game (the message lists the known ones), unknown level (the
        message suggests the closest) or bad parameter.
    """
    if not isinstance(name, str):
        raise ValueError(f"game name must be a string, got {name!r}")
    if name.startswith("gym:"):
        from envs.gym_wrappers import GymEnv
        if level:
            raise ValueError(f"{name} has no levels, got level {level!r}")
        if obs != "features":
            raise ValueError(f"{name} observes features only, got obs={obs!r}")
        return GymEnv(name[4:], max_steps=max_steps, **params)
    name = canonical_name(name)
    module = _game_module(name)
    if obs not in pixels.OBSERVATIONS:
        raise ValueError(f"obs must be one of {', '.join(pixels.OBSERVATIONS)}, got {obs!r}")
    if obs == "pixels":
        module = pixels.variant(module)
    return Env(module, params, max_steps=max_steps, level=level)


def levels(name: str) -> dict:
    """The levels of a game: name -> the parameters it sets, the default level first.

    A level is a named set of game parameters, defined in the game's module
    (``LEVELS``; a game without one has the single level ``"default"``, its
    parameter defaults). Parameters given to :func:`make` override the level's.
    """
    if isinstance(name, str) and name.startswith("gym:"):
        return {}
    from envs.core import game_levels
    return game_levels(_game_module(canonical_name(name)))


def declaration(game) -> Declaration:
    """What a game declares beside its kernels: its run preset, output labels, keyboard controls and drawing.

    Read from the game's module: ``PRESET`` (a dict of run settings), ``ACTION_NAMES`` (a label per
    network output, or a function of the game's parameters giving them), ``CONTROLS``
    (:class:`envs.Controls`) and ``DRAWING`` (:class:`envs.Drawing`), every one optional. What
    :func:`register` was given overrides the module.

    Parameters
    ----------
    game : str or Environment
        A game's name, or an environment (an :class:`Env` made from a module that was never
        registered reads that module; a Gymnasium environment declares nothing, as ``"gym:<id>"`` does).

    Raises
    ------
    ValueError
        Unknown game (as :func:`make`).
    """
    if not isinstance(game, str):
        module = getattr(game, "module", None)
        if module is None:
            return Declaration(preset={})
        _load_plugins()
        if _GAMES.get(game.name) != getattr(module, "GAME", module.__name__):  # a pixel variant: its game's
            return _declared(module, {})
        game = game.name
    if game.startswith("gym:"):
        return Declaration(preset={})
    name = canonical_name(game)
    return _declared(_game_module(name), _DECLARED.get(name, {}))


def _declared(module, given: dict) -> Declaration:
    """The declarations of ``module``, overridden by ``given`` (what :func:`register` was told)."""
    found = {k: getattr(module, k.upper(), None) for k in _DECLARABLE}
    found.update(given)
    found["preset"] = copy.deepcopy(dict(found["preset"] or {}))  # callers may change their copy
    return Declaration(**found)


def default_level(name: str) -> str:
    """Name of the level a game is played at when none is named ("" for a Gymnasium environment)."""
    return next(iter(levels(name)), "")


def canonical_name(name: str) -> str:
    """The registered name ``name`` stands for (game names are case-insensitive).

    Raises
    ------
    ValueError
        Unknown game: the message suggests the closest names and lists the known ones.
    """
    _load_plugins()
    if name in _GAMES:
        return name
    folded = {n.lower(): n for n in _GAMES}
    if name.lower() in folded:
        return folded[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(folded), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(folded[c]) for c in close)}? " if close else ""
    raise ValueError(f"unknown game {name!r}; {hint}known: {', '.join(_GAMES)} (or gym:<Gymnasium id>)")


def check_file_id(name) -> None:
    """Refuse a game id read from a file unless it names a registered game.

    ``gym:<module>:<id>`` makes Gymnasium import ``<module>``, so an id from a
    config, checkpoint or champion file may only name a game of this registry
    or an id Gymnasium already has registered.

    Raises
    ------
    ValueError
        One line naming the id.
    """
    if not isinstance(name, str):
        raise ValueError(f"env must be a game name, got {name!r}")
    if name.startswith("gym:"):
        gym_id = name[4:]
        if ":" in gym_id:
            raise ValueError(f"env {name!r} from a file would import a module; only registered ids are "
                             f"accepted from files")
        try:
            from gymnasium.envs.registration import registry
        except ImportError:
            raise ValueError(f"env {name!r} needs Gymnasium: pip install gymnasium") from None
        if gym_id not in registry:
            raise ValueError(f"env {name!r}: {gym_id!r} is not a registered Gymnasium id")


def _register_with_gymnasium() -> None:
    import importlib.util

    if importlib.util.find_spec("gymnasium") is not None:
        from envs.gym_wrappers import register_all
        register_all(make)


_register_with_gymnasium()

__all__ = ["make", "levels", "default_level", "declaration", "names", "register", "canonical_name", "check_file_id",
           "Env", "BatchEnv", "EnvSpec", "Declaration", "Controls", "Drawing"]
