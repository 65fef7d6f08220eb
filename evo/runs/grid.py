"""Settings of a grid or random sweep: ``--grid KEY=V1,V2`` and ``--random KEY=LOW:HIGH --trials N``.

A setting is a dict ``{key: value}`` laid over the sweep's base config; a key
is a config field (``pop_size``, ``hidden``) or a dotted path into one of its
tables (``mutation.sigma``, ``selection.size``). :func:`settings` lists every
setting a sweep plays: each combination of the grid's values, times each of
the ``--trials`` random draws, drawn from a generator seeded by the sweep's
seed so that the same command plays the same settings. :func:`configs`
checks every setting's config before any run starts.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import statistics

import numpy as np

# Keys a sweep sets itself, or that choose where rather than what a run computes.
FIXED_KEYS = ("env", "seed", "backend", "address", "parent")
SETTING_COLUMNS = ("seeds", "solved", "median_steps_to_solve", "median_generations_to_solve")


def parse_value(text: str):
    """A grid value as TOML would read it: ``true``/``false``, an integer, a float, else the text."""
    text = text.strip()
    if not text:
        raise ValueError("an empty value")
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\d+(x\d+)+", text):  # 32x32: two layers of 32
        return [int(v) for v in text.split("x")]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _key(text: str, flag: str) -> str:
    key = text.strip()
    parts = key.split(".")
    if not key or not all(p.isidentifier() for p in parts):
        raise ValueError(f"{flag}: expected a config key such as pop_size or mutation.sigma, got {key!r}")
    if parts[0] in FIXED_KEYS:
        raise ValueError(f"{flag}: {parts[0]} cannot be swept (seeds come from --seeds; the game is the sweep's)")
    from evo.runs.config import RunConfig
    known = {f.name for f in dataclasses.fields(RunConfig)}
    if parts[0] not in known:
        import difflib
        close = difflib.get_close_matches(parts[0], sorted(known), n=1)
        raise ValueError(f"{flag}: unknown config key {parts[0]!r}" + (f" (did you mean {close[0]}?)" if close else ""))
    return key


def parse_grid(text: str) -> tuple:
    """``KEY=V1,V2,...`` as ``(key, [values])``.

    A list of whole numbers is written with ``x`` (``hidden=16,32x32`` gives
    ``[16]`` and ``[32, 32]``) or, with a ``;`` in the values, ``;``
    separates them and a value holding commas is a list (``'hidden=16;32,32'``,
    quoted for the shell). A single number for a list field such as
    ``hidden`` stands for a one-item list.
    """
    key, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise ValueError(f"--grid: expected KEY=V1,V2 (e.g. pop_size=64,128), got {text!r}")
    key = _key(key, "--grid")
    try:
        if ";" in values:
            parts = [p for p in values.split(";")]
            out = [[parse_value(v) for v in p.split(",")] if "," in p else parse_value(p) for p in parts]
        else:
            out = [parse_value(v) for v in values.split(",")]
    except ValueError:
        raise ValueError(f"--grid {key}: an empty value in {values!r}") from None
    if len({repr(v) for v in out}) < len(out):
        raise ValueError(f"--grid {key}: a value appears twice in {values!r}")
    return key, out


def parse_random(text: str) -> tuple:
    """``KEY=LOW:HIGH`` as ``(key, low, high)``: two integers draw integers from ``low`` to ``high``
    inclusive, otherwise floats uniformly from ``[low, high)``."""
    key, sep, span = text.partition("=")
    low, colon, high = span.partition(":")
    if not sep or not colon:
        raise ValueError(f"--random: expected KEY=LOW:HIGH (e.g. mutation.sigma=0.01:0.3), got {text!r}")
    key = _key(key, "--random")
    try:
        lo, hi = parse_value(low), parse_value(high)
    except ValueError:
        lo = hi = None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in (lo, hi)):
        raise ValueError(f"--random {key}: expected two numbers LOW:HIGH, got {span!r}")
    if not lo < hi:
        raise ValueError(f"--random {key}: LOW must be below HIGH, got {span!r}")
    return key, lo, hi


def settings(grid: list, random: list, trials: int | None, seed: int) -> list:
    """Every setting of a sweep, in order: the grid's combinations (the first key's values varying
    slowest), each with every one of ``trials`` random draws.

    ``grid`` holds ``(key, values)``, ``random`` holds ``(key, low, high)``;
    the draws come from ``numpy.random.default_rng(seed)``, trial by trial and
    key by key, so the same arguments give the same settings.

    Raises
    ------
    ValueError
        A key given twice, ``--random`` without ``--trials`` or the other
        way round, or a count of trials below 1.
    """
    keys = [k for k, *_ in grid] + [k for k, *_ in random]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"the key {key} is swept twice; give it once")
    if random and trials is None:
        raise ValueError("--random needs --trials N (how many settings to draw)")
    if trials is not None and not random:
        raise ValueError("--trials draws --random settings; give at least one --random KEY=LOW:HIGH")
    if trials is not None and trials < 1:
        raise ValueError(f"--trials must be a positive integer, got {trials}")
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(trials or 1):
        draw = {}
        for key, lo, hi in random:
            if isinstance(lo, int) and isinstance(hi, int):
                draw[key] = int(rng.integers(lo, hi + 1))
            else:
                draw[key] = float(f"{rng.uniform(lo, hi):.6g}")
        draws.append(draw)
    combos = itertools.product(*[[(k, v) for v in values] for k, values in grid])
    return [{**dict(combo), **draw} for combo in combos for draw in draws]


def apply(config, setting: dict):
    """A new :class:`~evo.runs.config.RunConfig`: ``config`` with the values of ``setting`` laid over it,
    checked (:meth:`~evo.runs.config.RunConfig.validate`); raises ValueError with one line."""
    from evo.runs.config import RunConfig

    d = dataclasses.asdict(config)
    for key, value in setting.items():
        *path, leaf = key.split(".")
        table = d
        for i, part in enumerate(path):
            if isinstance(table.get(part), str) and part == "algorithm":  # algorithm = "cmaes" is its table
                table[part] = {"name": table[part]}
            if not isinstance(table.get(part), dict):
                raise ValueError(f"{key}: {'.'.join(path[:i + 1])} is not a table of the config")
            table = table[part]
        if isinstance(table.get(leaf), list) and not isinstance(value, list):
            value = [value]  # hidden = 16 is one layer of 16
        table[leaf] = value
    return RunConfig.from_dict(d).validate()


def label(setting: dict) -> str:
    """``pop_size=8 hidden=16`` (a list's items joined by commas)."""
    return " ".join(f"{k}={text(v)}" for k, v in setting.items())


def text(value) -> str:
    """A setting's value as written in the summary: a list's items joined by commas, a bool in TOML's words."""
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def configs(config, all_settings: list) -> list:
    """The checked config of every setting; ValueError names the first setting that is bad and why.

    Each is built into a run (:class:`evo.runs.driver.Evolution`), as ``neuroevo run`` checks a config, so
    an operator's unknown parameter or a network that does not fit the game is refused here.
    """
    from evo.runs.driver import Evolution

    out = []
    for i, setting in enumerate(all_settings):
        try:
            c = apply(config, setting)
            Evolution(c)
        except (ValueError, TypeError) as e:
            raise ValueError(f"setting {i} ({label(setting)}): {e}") from None
        out.append(c)
    return out


def setting_row(i: int, setting: dict, keys: list, solved_steps: list, solved_generations: list,
                runs: int) -> tuple:
    """One ``summary.csv`` row of a grid sweep: the setting's number and values, its runs, how many solved,
    and the median training steps and generations to solve over those that did (empty when none did)."""
    def med(xs):
        if not xs:
            return ""
        m = statistics.median(xs)
        return str(int(m)) if m == int(m) else f"{m:.1f}"

    return (i, *[text(setting[k]) if k in setting else "" for k in keys], runs, len(solved_steps),
            med(solved_steps), med(solved_generations))
