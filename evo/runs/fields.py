"""A run file's fields read back (a checkpoint's, a champion's, a config.toml's), each checked: one line
naming the field for anything that is not what this version writes."""

from __future__ import annotations

import numpy as np

import envs
from evo.runs.config import RunConfig


def scalar_field(d: dict, key: str, kind) -> float | int:
    """A 0-d array of ``kind`` (np.integer or np.floating) as a Python number."""
    v = np.asarray(d[key])
    ok = v.shape == () and (np.issubdtype(v.dtype, kind) or kind is np.floating and np.issubdtype(v.dtype, np.integer))
    if not ok:
        raise ValueError(f"{key!r} must be a single {'integer' if kind is np.integer else 'number'}, "
                         f"got {v.dtype} of shape {v.shape}")
    return int(v) if kind is np.integer else float(v)


def text_field(value, key: str) -> str:
    v = np.asarray(value)
    if v.shape != () or v.dtype.kind != "U":
        raise ValueError(f"{key!r} must be a text field, got {v.dtype} of shape {v.shape}")
    return str(v)


def config_field(value, what: str) -> RunConfig:
    """The run config stored in a checkpoint or champion, checked like a config file."""
    from evo.runs.config import tomllib
    try:
        settings = tomllib.loads(text_field(value, "config"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"its config is malformed: {e}") from None
    return saved_config(settings)


def saved_config(settings: dict) -> RunConfig:
    """The config of a run's own file (its config.toml, checkpoint or champion), checked.

    A file written before games had levels played the parameters the game's
    ``classic`` level keeps.
    """
    settings = dict(settings)
    settings.pop("address", None)  # a file never chooses where the program connects
    settings.pop("backend", None)  # nor where it runs (files written before it was left out)
    envs.check_file_id(settings.get("env"))
    if "level" not in settings and isinstance(settings.get("env"), str) and not settings["env"].startswith("gym:"):
        levels = envs.levels(settings["env"])
        settings["level"] = "classic" if "classic" in levels else next(iter(levels), "")
    return RunConfig.from_dict(settings).validate()


def genome_field(value, num_params: int, key: str, allow_empty: bool = False) -> np.ndarray | None:
    g = np.asarray(value)
    if allow_empty and g.size == 0:
        return None
    if g.dtype != np.float32 or g.shape != (num_params,):
        raise ValueError(f"{key!r} must be float32 of shape ({num_params},), got {g.dtype} of shape {g.shape}")
    if not np.isfinite(g).all():
        raise ValueError(f"{key!r} has non-finite genes")
    return g.copy()
