"""The commands of ``neuroevo`` that draw: ``watch``, ``replay``, ``play`` and ``record``.

They import the pygame viewer (:mod:`viz`) when they run, never before, so a
headless command never loads pygame; without it they fail with one line.
Like :mod:`evo.runs.commands`, each takes the parsed arguments of
:mod:`evo.cli` and returns an exit status.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from evo.runs.commands import (CONFIG_FLAGS, UsageError, bad_input, connect, flag_name, load_champion_at,
                               resolve_config, resume, run_dir_name, set_threads)


def _viz(part: str = "app"):
    """A module of the pygame viewer (``viz.app``, ``viz.record``, ``viz.play``), imported only by the commands
    that draw."""
    try:
        return importlib.import_module(f"viz.{part}")
    except ImportError as e:
        raise UsageError(f"neuroevo: the viewer needs pygame ({e}); pip install pygame") from None


SPEEDS = ("1", "2", "4", "8", "16", "32", "64", "max")  # the viewer's speeds, as the + and - keys step them


def check_screenshot_target(path) -> Path:
    """The path a ``--screenshot`` goes to, refused with one line (UsageError) unless it names a new
    ``.png`` file or an earlier screenshot (a PNG) in an existing directory: never a link, a directory
    or a file that is not a PNG (a run's ``champion.npz``, say)."""
    from evo.runs.rundir import check_output_file

    shot = Path(path)
    if str(path).strip() == "" or shot.suffix.lower() != ".png":
        raise UsageError("neuroevo: --screenshot must name a .png file")
    with bad_input():  # a name with a newline, an unwritable directory, a run's fitness.png
        check_output_file(shot, "--screenshot")
    if shot.is_symlink():
        raise UsageError(f"neuroevo: {shot} is a link; choose another --screenshot")
    if shot.exists():
        if not shot.is_file():
            raise UsageError(f"neuroevo: {shot} exists and is not a file; choose another --screenshot")
        with open(shot, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                raise UsageError(f"neuroevo: {shot} exists and is not a PNG; choose another --screenshot")
    return shot


def check_view_options(args) -> None:
    """``--frames``, ``--screenshot`` and ``--speed`` of ``watch``, ``replay`` (and ``play``), refused with one
    line before anything is read or written."""
    if args.frames is not None and args.frames < 1:
        raise UsageError("neuroevo: --frames must be a positive integer")
    if args.screenshot is not None:
        check_screenshot_target(args.screenshot)
    speed = getattr(args, "speed", None)
    if speed is not None and _speed_word(speed) not in SPEEDS:
        raise UsageError(f"neuroevo: --speed must be one of {', '.join(SPEEDS)}, got {speed!r}")


def _speed_word(text: str) -> str:
    """``--speed`` as written in :data:`SPEEDS` ("8x", as the status line shows it, is "8")."""
    word = text.strip().lower()
    return word[:-1] if word.endswith("x") and word != "max" else word


def _speed(args) -> float:
    """``--speed`` as the viewer's speed (1.0 when not given)."""
    speed = _speed_word(getattr(args, "speed", None) or "1")
    return float("inf") if speed == "max" else float(speed)


def cmd_watch(args) -> int:
    from evo.runs.driver import Evolution
    from evo.runs.rundir import RunDir

    check_view_options(args)
    if getattr(args, "follow", None) is not None:
        return _follow(args)
    app = _viz()
    with bad_input():  # before a run directory is made: a window without a display leaves none behind
        app.need_display(args.frames is None)
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
            app.watch(run, rundir, frames=args.frames, screenshot=args.screenshot, speed=_speed(args))
    finally:
        if rundir is not None:
            rundir.unlock()
    # the last line, --quiet or not: as for run, --quiet leaves only it (the window is the progress)
    champion = f"champion {run.champion_score:.4g}" if run.champion is not None else "no champion yet"
    where = (f"; checkpoint in {rundir.path} (continue with: neuroevo run --resume {rundir.path})"
             if rundir is not None else "")
    if run.finished and run.history:  # as the window's status line says it
        at = f"{'solved' if run.solved else 'finished'} at generation {run.history[-1]['generation']}"
    else:
        at = f"generation {run.generation}"
    print(f"{run.config.env}: {at}, {champion}{where}")
    return 0


def _follow(args) -> int:
    """``watch --follow RUN``: the run another process is writing, read-only (:mod:`viz.follow`)."""
    given = [flag_name(k) for k in ("env", *CONFIG_FLAGS, "config", "out", "resume", "print_config")
             if getattr(args, k, None) not in (None, False)]
    if given:
        what = "a game" if given[0] == "--env" else given[0]
        raise UsageError(f"neuroevo: --follow shows a run as its own process plays it; it does not take {what}")
    if args.screenshot is not None and Path(args.screenshot).resolve().parent == Path(args.follow).resolve():
        raise UsageError(f"neuroevo: --follow never writes into {args.follow}; put the --screenshot elsewhere")
    follow = _viz("follow")
    with bad_input():
        followed = follow.follow(args.follow, frames=args.frames, screenshot=args.screenshot, speed=_speed(args))
    state = followed.finished or "still running"
    shown = followed.generations
    upto = f"to generation {shown - 1}" if shown else "before its first generation"
    print(f"{followed.env.name}: followed {followed.rundir.path} {upto}, {state}")
    return 0


def _champion(path, env_params=(), level=None):
    """A run's champion (:func:`evo.runs.commands.load_champion_at`) and the label the viewer shows for it."""
    c = load_champion_at(path, env_params, level)
    test = "untested" if c.test is None else f"test {c.test:.4g}"
    # short: a GIF's title is 480 px; the game and its level, then who plays, as the status line's parts
    return c, f"{_viz().game_title(c.env)}   champion: validation {c.validation:.4g}, {test}"


def cmd_replay(args) -> int:
    check_view_options(args)
    app = _viz()
    c, label = _champion(args.dir, args.env_params, args.level)
    path = Path(args.dir)
    with bad_input():
        app.replay(c.env, c.net, c.genome, label=label, seed=args.seed,
                   shot_dir=path if path.is_dir() else path.parent, frames=args.frames,
                   screenshot=args.screenshot, speed=_speed(args))
    return 0


def cmd_play(args) -> int:
    import envs

    check_view_options(args)
    play = _viz("play")
    with bad_input():
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
    from evo.runs.rundir import check_output_dir, check_output_file, check_path_text

    if args.steps is not None and args.steps < 1:
        raise UsageError("neuroevo: --steps must be a positive integer")
    recording = _viz("record")
    with bad_input():
        check_path_text(args.out, "--out")
        recording.check_record_target(Path(args.out))
        if Path(args.out).suffix.lower() == ".gif":
            check_output_file(args.out, "--out")
        elif Path(args.out).is_dir():  # a directory of earlier frames: writable
            check_output_file(Path(args.out) / "frame_00000.png", "--out")
        else:  # a new directory of frames, made where this user can write
            check_output_dir(args.out)
    c, label = _champion(args.dir, args.env_params, args.level)
    n = recording.record(c.env, c.net, c.genome, args.out, seed=args.seed, steps=args.steps, label=label)
    print(f"{c.env.name}: {n} frames written to {args.out}")
    return 0
