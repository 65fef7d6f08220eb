"""``neuroevo plot RUN... --out FILE.png``: several runs' fitness against their training steps, on one chart.

Each run directory's ``log.csv`` gives a curve: x the training steps played
so far (the cumulative sum of its ``env_steps``), y each generation's best
training fitness or the champion's validation score (the best validated so
far). A sweep directory stands for every run in it. The runs' targets are
drawn as dashed lines (:func:`evo.runs.plot.overlay_png`).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

from evo.runs.commands import bad_input
from evo.runs.plot import overlay_png
from evo.runs.rundir import atomic_write, check_output_file

_LABEL_MOST = 30  # characters of a legend label


def _natural(path: Path) -> list:
    """A sort key putting setting-2 before setting-10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(path))]


def run_dirs(paths: list) -> list:
    """The run directories ``paths`` name: each one holding a ``log.csv``, or every run inside one that
    does not (a sweep), in natural order; raises ValueError with one line for a path that holds none."""
    found = []
    for text in paths:
        path = Path(text)
        if (path / "log.csv").is_file():
            found.append(path)
        elif path.is_dir():
            inside = sorted((p.parent for p in path.rglob("log.csv")), key=_natural)
            if not inside:
                raise ValueError(f"{path}: no run in it (a run directory holds log.csv)")
            found.extend(inside)
        else:
            raise ValueError(f"{path}: no such run directory")
    return list(dict.fromkeys(found))


def read_curve(path: Path, series: str) -> tuple:
    """``(training steps so far, values)`` of one run, per generation of its ``log.csv``."""
    try:
        with open(path / "log.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        steps = np.cumsum([int(r["env_steps"]) for r in rows], dtype=float)
        values = np.array([float(r[series]) if r[series] else np.nan for r in rows])
    except OSError as e:
        raise ValueError(f"cannot read {path / 'log.csv'}: {e.strerror}") from None
    except (KeyError, ValueError, TypeError):
        raise ValueError(f"{path / 'log.csv'} is not a run's log (no {series} or env_steps column)") from None
    if series == "validation" and values.size:
        values = np.fmax.accumulate(values)  # the champion is the best validated so far
    return steps, values


def run_target(path: Path) -> tuple:
    """``(game, target)`` of a run from its ``config.toml``: its target, else its game's ``solved_at``."""
    import envs
    from evo.runs.config import load_toml

    settings = load_toml(str(path / "config.toml"))
    game = settings.get("env", "?")
    target = settings.get("target")
    if target is None:
        env = envs.make(game, level=settings.get("level") or None, **settings.get("env_params", {}))
        target = env.solved_at
    return game, target


def _label(path: Path, common: str) -> str:
    text = os.path.relpath(path, common) if common and str(path) != common else path.name or str(path)
    return text if len(text) <= _LABEL_MOST else "..." + text[-(_LABEL_MOST - 3):]


def cmd_plot(args) -> int:
    with bad_input():
        out = check_output_file(args.out, "--out")
        if out.suffix.lower() != ".png":
            raise ValueError(f"--out: a plot is written as PNG, name it FILE.png (got {out.name})")
        runs = run_dirs(args.runs)
        common = os.path.commonpath([str(p) for p in runs]) if len(runs) > 1 else ""
        curves, games, targets = [], [], []
        for path in runs:
            steps, values = read_curve(path, args.series)
            game, target = run_target(path)
            curves.append((_label(path, common), steps, values))
            games.append(game)
            targets.append(target)
    name = "best fitness" if args.series == "best" else "champion's validation"
    title = args.title if args.title is not None else (
        f"{', '.join(dict.fromkeys(games))}: {name}, {len(runs)} run{'s' if len(runs) > 1 else ''}")
    atomic_write(out, overlay_png(curves, title=title, targets=targets, y_label=name))
    print(f"{out}: {len(runs)} run{'s' if len(runs) > 1 else ''}")
    return 0
