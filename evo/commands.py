"""The commands of ``neuroevo`` that draw: ``watch``, ``replay``, ``play`` and ``record``.

They import the pygame viewer (:mod:`viz`) when they run, never before, so a
headless command never loads pygame; without it they fail with one line.
Like :mod:`evo.runs.commands`, each takes the parsed arguments of
:mod:`evo.cli` and returns an exit status.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from evo.runs.commands import (UsageError, bad_input, connect, load_champion_at, resolve_config, resume,
                               run_dir_name, set_threads)


def _viz(part: str = "app"):
    """A module of the pygame viewer (``viz.app``, ``viz.record``, ``viz.play``), imported only by the commands
    that draw."""
    try:
        return importlib.import_module(f"viz.{part}")
    except ImportError as e:
        raise UsageError(f"neuroevo: the viewer needs pygame ({e}); pip install pygame") from None


def cmd_watch(args) -> int:
    from evo.runs.driver import Evolution
    from evo.runs.rundir import RunDir

    if args.frames is not None and args.frames < 1:
        raise UsageError("neuroevo: --frames must be a positive integer")
    if args.screenshot is not None:
        shot = Path(args.screenshot)
        if shot.suffix.lower() != ".png":
            raise UsageError("neuroevo: --screenshot must name a .png file")
        if not shot.parent.is_dir():
            raise UsageError(f"neuroevo: directory {shot.parent} does not exist")
    app = _viz()
    if args.resume:
        rundir, run = resume(args)
    else:
        config = resolve_config(args)
        with bad_input():
            set_threads(args.threads if args.threads is not None else config.threads)
            connect(config, args)
            run = Evolution(config)
            rundir = None
            # a window someone can quit keeps its run; N frames for a screenshot keep one only if asked
            if args.out is not None or args.frames is None:
                rundir = RunDir(args.out if args.out is not None else run_dir_name(config, "-watch"))
                rundir.create(run)
    try:
        with bad_input():
            app.watch(run, rundir, frames=args.frames, screenshot=args.screenshot)
    finally:
        if rundir is not None:
            rundir.unlock()
    if not args.quiet:
        champion = f"champion {run.champion_score:.4g}" if run.champion is not None else "no champion yet"
        where = (f"; checkpoint in {rundir.path} (continue with: neuroevo run --resume {rundir.path})"
                 if rundir is not None else "")
        print(f"{run.config.env}: generation {run.generation}, {champion}{where}")
    return 0


def _champion(path, env_params=(), level=None):
    """A run's champion (:func:`evo.runs.commands.load_champion_at`) and the label the viewer shows for it."""
    c = load_champion_at(path, env_params, level)
    test = "untested" if c.test is None else f"test {c.test:.4g}"
    # short: a GIF's title is 480 px; the game and its level, then who plays, as the status line's parts
    return c, f"{_viz().game_title(c.env)}   champion: validation {c.validation:.4g}, {test}"


def cmd_replay(args) -> int:
    app = _viz()
    c, label = _champion(args.dir, args.env_params, args.level)
    path = Path(args.dir)
    with bad_input():
        app.replay(c.env, c.net, c.genome, label=label, seed=args.seed,
                   shot_dir=path if path.is_dir() else path.parent)
    return 0


def cmd_play(args) -> int:
    import envs

    play = _viz("play")
    with bad_input():
        if args.frames is not None and args.frames < 1:
            raise ValueError("--frames must be a positive integer")
        game = envs.canonical_name(args.game)  # every game is playable: its declared keys, or generic ones
        env, champion = envs.make(game), None
    if args.run is not None:
        c, _ = _champion(args.run)
        if c.env.name != game:
            raise UsageError(f"neuroevo: {args.run} is a champion of {c.env.name}, not {game}")
        env, champion = c.env, (c.net, c.genome)
    with bad_input():
        mine, theirs = play.play(env, champion, seed=args.seed, frames=args.frames, screenshot=args.screenshot)
    vs = "" if theirs is None else f", the champion {theirs:.4g}"
    print(f"{game}: you scored {mine:.4g}{vs}")
    return 0


def cmd_record(args) -> int:
    if args.steps is not None and args.steps < 1:
        raise UsageError("neuroevo: --steps must be a positive integer")
    recording = _viz("record")
    with bad_input():
        recording.check_record_target(Path(args.out))
    c, label = _champion(args.dir, args.env_params, args.level)
    n = recording.record(c.env, c.net, c.genome, args.out, seed=args.seed, steps=args.steps, label=label)
    print(f"{c.env.name}: {n} frames written to {args.out}")
    return 0
