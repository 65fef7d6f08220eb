"""The ``neuroevo`` command line: a thin layer over :mod:`evo.runs.driver`.

Commands: ``run``, ``eval``, ``envs``, ``sweep`` (headless) and ``watch``,
``replay``, ``record`` (pygame, imported only by those commands).

Exit status: 0 done; 1 the program failed (one line on stderr; ``--debug``
shows the traceback); 2 bad input (one line on stderr, no file written or
changed); 130 interrupted (Ctrl-C, at any moment).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


@contextlib.contextmanager
def bad_input():
    """Turn the ValueError/TypeError of checking a user's input (arguments, files) into a UsageError."""
    try:
        yield
    except (ValueError, TypeError) as e:
        raise UsageError(f"neuroevo: {e}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message, with a suggestion for a typo
        if message.startswith("unrecognized arguments: "):
            import difflib
            parsers = [self] + [p for a in self._actions if isinstance(a, argparse._SubParsersAction)
                                for p in a.choices.values()]
            known = sorted({o for p in parsers for a in p._actions for o in a.option_strings})
            for arg in message.split(": ", 1)[1].split():
                close = difflib.get_close_matches(arg.split("=")[0], known, n=1)
                if arg.startswith("-") and close:
                    message += f" (did you mean {close[0]}?)"
                    break
        raise UsageError(f"{self.prog}: {message}")


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("neuroevo")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _int_list(text: str) -> list:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    return values


def _seed_range(text: str) -> list:
    try:
        seeds = []
        for part in text.split(","):
            if "-" in part:
                a, b = part.split("-")
                seeds.extend(range(int(a), int(b) + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 0-9 or 1,4,7, got {text!r}") from None
    if not seeds or min(seeds) < 0 or max(seeds) > 2**64 - 1:
        raise argparse.ArgumentTypeError(f"expected seeds in 0..2**64-1, got {text!r}")
    if len(seeds) > 100_000:
        raise argparse.ArgumentTypeError(f"at most 100000 seeds in one sweep, got {len(seeds)}")
    return seeds


def _env_param(text: str) -> tuple:
    """``KEY=VALUE`` as (key, value): a number where the value reads as one, else the text (track=hairpin)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), float(value)
    except ValueError:
        return key.strip(), value.strip()


def _add_env_param_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env-param", type=_env_param, action="append", default=[], dest="env_params",
                   metavar="KEY=VALUE", help="a game parameter overriding the run's (repeatable), "
                   "e.g. track=hairpin")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", nargs="?", help="game name (see `neuroevo envs`) or gym:<Gymnasium id>")
    p.add_argument("--config", metavar="FILE.toml", help="settings from a TOML file; flags override it")
    p.add_argument("--level", metavar="NAME", help="the game's level (default: its default level; see `neuroevo envs`)")
    p.add_argument("--generations", type=int, metavar="N")
    p.add_argument("--pop", type=int, metavar="N", dest="pop_size", help="population size")
    p.add_argument("--episodes", type=int, metavar="N", help="episodes per genome per generation")
    p.add_argument("--seed", type=int, metavar="S")
    p.add_argument("--algorithm", metavar="NAME",
                   help="ga (default), truncation_ga, or an evolution strategy: cmaes, sep_cmaes, openai_es, snes, pgpe")
    p.add_argument("--hidden", type=_int_list, metavar="16,16", help="hidden layer widths")
    p.add_argument("--network", choices=("mlp", "elman", "gru", "lstm"),
                   help="feed-forward (mlp, default) or recurrent with that cell")
    p.add_argument("--target", type=float, metavar="F",
                   help="stop when the champion's validation mean reaches F (default: the game's solved_at)")
    p.add_argument("--threads", type=int, metavar="N", help="Numba threads (default: all cores)")


def _add_level_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--level", metavar="NAME", help="play the champion at this level of its game (default: its run's)")


def _add_backend_options(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--backend", choices=("local", "ray"),
                   help="one run per seed as Ray tasks across the cluster" if sweep else
                   "evaluate each generation here (local, default) or on Ray actors (ray): same results")
    p.add_argument("--address", metavar="ADDR",
                   help="Ray cluster: auto (joins `ray start`), ray://host:10001; default a local Ray")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neuroevo",
                     description="Evolve neural networks that play games, headless or in a window.")
    parser.add_argument("--debug", action="store_true", help="show the traceback when the program fails")
    parser.add_argument("--version", action="version", version=f"neuroevo {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="evolve headless, writing a run directory")
    _add_run_options(p)
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/<env>-<timestamp>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, metavar="K", dest="checkpoint_every")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as TOML and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_backend_options(p)

    p = sub.add_parser("eval", help="score a run's champion on its test episodes (or others)")
    p.add_argument("dir", help="run directory or champion.npz")
    p.add_argument("--episodes", type=int, metavar="N", help="default: the run's test_episodes")
    p.add_argument("--seed", type=int, metavar="S",
                   help="key of other episodes (default: the run's test episodes, as the run scored them)")
    _add_level_option(p)
    _add_env_param_option(p)

    sub.add_parser("envs", help="list the games")

    p = sub.add_parser("check-game", help="check a game module against the game contract (docs/games.md)")
    p.add_argument("module", help="a dotted module path (mypackage.mygame) or a .py file")

    p = sub.add_parser("sweep", help="one run per seed, in parallel processes, and a summary table")
    _add_run_options(p)
    p.add_argument("--seeds", type=_seed_range, default=list(range(5)), metavar="0-9")
    p.add_argument("--jobs", type=int, metavar="N", help="runs at once (default 2; with Ray, one per cluster CPU)")
    p.add_argument("--out", metavar="DIR", help="sweep directory (default runs/sweep-<env>-<timestamp>)")
    _add_backend_options(p, sweep=True)

    p = sub.add_parser("play", help="play a game with the keyboard, alone or beside a run's champion")
    p.add_argument("game", help="flappy, snake, pong, racer or cartpole")
    p.add_argument("run", nargs="?", help="a run directory or champion.npz whose champion plays beside you")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="episode key")
    p.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
    p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")

    for name, text in (("watch", "watch a generation learn in a window"),
                       ("replay", "play a run's champion in a window"),
                       ("record", "render a run's champion to a GIF or PNG frames")):
        p = sub.add_parser(name, help=text)
        if name == "watch":
            _add_run_options(p)
            p.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
            p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")
            p.add_argument("--out", metavar="DIR", help="run directory (default runs/<env>-watch-<timestamp>; "
                           "with --frames, none unless given)")
            p.add_argument("--resume", metavar="DIR", help="continue the run in DIR in the window")
            p.add_argument("--quiet", action="store_true", help="no summary line at the end")
            _add_backend_options(p)
        else:
            p.add_argument("dir", help="run directory or champion.npz")
            if name == "record":
                p.add_argument("--out", default="champion.gif", metavar="FILE",
                               help="a .gif, or a directory for PNG frames")
                p.add_argument("--steps", type=int, metavar="N", help="at most N game steps")
            p.add_argument("--seed", type=int, default=0, metavar="S", help="episode key")
            _add_level_option(p)
            _add_env_param_option(p)
    return parser


# -- config ---------------------------------------------------------------------------------


def resolve_config(args):
    """The run config from ``--config`` and flags, every value checked (bad input raises UsageError)."""
    from evo.runs.config import RunConfig, default_config, load_toml

    with bad_input():
        file_settings = load_toml(args.config) if args.config else {}
        env = args.env or file_settings.get("env")
        if not env:
            raise UsageError("neuroevo: name a game (e.g. `neuroevo run cartpole`) or give a config with env = ...")
        if args.env and file_settings.get("env") not in (None, args.env):
            raise UsageError(f"neuroevo: the game {args.env!r} differs from env = {file_settings['env']!r} "
                             f"in {args.config}")
        import envs
        if not isinstance(env, str):
            raise ValueError(f"env must be a game name, got {env!r}")
        if not env.startswith("gym:"):
            env = envs.canonical_name(env)
        flags = {k: getattr(args, k) for k in _CONFIG_FLAGS if getattr(args, k, None) is not None}
        config = RunConfig.from_dict({**file_settings, "env": env, **flags}, base=default_config(env))
        config.validate()
        # operator names and parameters, game parameters and sizes are checked by building them
        from evo.runs.driver import Evolution
        Evolution(config)
    return config


# Flags that set a config field of the same name.
_CONFIG_FLAGS = ("level", "generations", "pop_size", "episodes", "seed", "algorithm", "hidden", "network", "target", "checkpoint_every",
                 "threads", "backend", "address")
# Flags `--resume` takes: how long and where a run goes on, not what it computes.
_RESUME_FLAGS = ("generations", "threads", "backend", "address")


def set_threads(n: int) -> None:
    import numba
    if n:
        if n > numba.config.NUMBA_NUM_THREADS:
            raise UsageError(f"neuroevo: --threads {n} exceeds the {numba.config.NUMBA_NUM_THREADS} available")
        numba.set_num_threads(n)


def _connect(config, args) -> None:
    """With ``backend = "ray"``, join Ray before any file is written (a bad address is one line).

    Ray is driven from a child process (:func:`evo.ray.distributed.init` with
    ``isolated=True``), so that whatever Ray does to its driver, this process
    keeps its run, its checkpoint and its one-line messages.
    """
    if config.backend == "ray":
        from evo.ray import distributed
        distributed.init(config.address or None, isolated=True, verbose=args.debug)


def _disconnect() -> None:
    """End the Ray driver process of :func:`_connect`, if one was started."""
    distributed = sys.modules.get("evo.ray.distributed")
    if distributed is not None:
        distributed.close()


class _RayNotes(logging.Handler):
    """Shows the Ray backend's notes (a lost actor, a replacement) as lines on stderr, above the bar."""

    def __init__(self, bar):
        super().__init__(logging.INFO)
        self.bar = bar

    def emit(self, record):
        line = f"neuroevo: {record.getMessage()}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)


@contextlib.contextmanager
def _ray_notes(bar):
    logger = logging.getLogger("evo.ray.distributed")
    handler, propagate, level = _RayNotes(bar), logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)


# -- run ------------------------------------------------------------------------------------


class _Interrupt:
    """Turns Ctrl-C (and SIGTERM) into a flag checked between generations.

    ``on_request`` is called too: the Ray backend's stop, which ends the wait
    for a generation at once.
    """

    def __init__(self, on_request=None):
        self.requested = False
        self.on_request = on_request

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame):
        if self.requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.requested = True
        if self.on_request is not None:
            self.on_request()

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)


def _resume(args):
    """The run of ``--resume DIR``: locked, its temporary files cleaned, its checkpoint checked."""
    from evo.runs.driver import RunDir

    changed = [f"--{k.replace('_', '-')}" for k in (*_CONFIG_FLAGS, "out", "config", "print_config")
               if k not in _RESUME_FLAGS and getattr(args, k, None) not in (None, False)]
    if changed:
        raise UsageError(f"neuroevo: --resume continues a run as it was configured; it does not take "
                         f"{changed[0]} (start a new run to change it)")
    rundir = RunDir(args.resume)
    with bad_input():
        if not rundir.path.is_dir():
            raise ValueError(f"no run directory at {rundir.path}")
        rundir.lock()
    try:
        run = _checked_resume(args, rundir)
    except BaseException:
        rundir.unlock()
        raise
    rundir.clean_temporary_files()
    return rundir, run


def _checked_resume(args, rundir):
    """The checkpoint of a locked run directory, checked against its config.toml and the flags."""
    from evo.runs.config import load_toml
    from evo.runs.driver import saved_config

    with bad_input():
        run = rundir.load_checkpoint()
        if args.env and args.env != run.config.env:
            raise ValueError(f"{args.resume} is a run of {run.config.env!r}, not {args.env!r}")
        saved = saved_config(load_toml(rundir.config_path))
        mismatch = [k for k, v in run.config.to_dict().items() if k != "generations" and saved.to_dict().get(k) != v]
        if mismatch:
            raise ValueError(f"the checkpoint's {mismatch[0]} differs from {rundir.config_path}: "
                             f"it belongs to another run")
        if args.generations is not None:
            if args.generations < 1:
                raise ValueError("generations must be a positive integer")
            run.config.generations = args.generations
        set_threads(args.threads if args.threads is not None else run.config.threads)
    for k in ("backend", "address"):  # where it runs does not change what it computes
        if getattr(args, k, None) is not None:
            setattr(run.config, k, getattr(args, k))
    with bad_input():
        _connect(run.config, args)
    return run


def _start(args, config):
    """A new run directory for ``config``: checked, created with a generation-0 checkpoint, locked."""
    from evo.runs.driver import Evolution, RunDir

    with bad_input():
        set_threads(args.threads if args.threads is not None else config.threads)
        _connect(config, args)
        out = args.out if args.out is not None else (
            f"runs/{config.env.replace(':', '-').replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}")
        rundir = RunDir(out)
        run = Evolution(config)
        rundir.create(run)
    return rundir, run


def cmd_run(args) -> int:
    if args.resume:
        rundir, run = _resume(args)
        config = run.config
        from evo.runs.driver import atomic_write
        atomic_write(rundir.config_path, config.to_toml())  # --generations may have changed
        timing = [t for t in rundir.read_timing() if t[0] < run.generation]
    else:
        config = resolve_config(args)
        if args.print_config:
            print(config.to_toml(), end="")
            return 0
        rundir, run = _start(args, config)
        timing = []
    try:
        return _evolve(args, rundir, run, timing)
    finally:
        rundir.unlock()


def _evolve(args, rundir, run, timing) -> int:
    """The generation loop of ``neuroevo run``, its progress bar, files and summary.

    On Ray, a generation Ray cannot finish (:class:`evo.ray.distributed.ClusterLost`)
    or a stop request while one is being played ends the loop like Ctrl-C
    between generations: the run is checkpointed at the start of that
    generation, which a resume plays again, to the same result.
    """
    from evo.runs.driver import now

    config = run.config
    on_ray = config.backend == "ray"
    stops: tuple = ()
    if on_ray:
        from evo.ray import distributed
        stops = (distributed.ClusterLost, distributed.Interrupted)

    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=config.generations, initial=run.generation, unit="gen", dynamic_ncols=True,
                   desc=config.env)
    start = now()
    elapsed0 = timing[-1][2] if timing else 0.0
    interrupted, lost = False, None
    with _Interrupt(distributed.request_stop if on_ray else None) as stop, _ray_notes(bar):
        try:
            if on_ray:
                _warm_up(run, bar)
            while not run.finished:
                t0 = now()
                row = run.step()
                dt = now() - t0
                timing.append((row["generation"], round(dt, 4), round(elapsed0 + now() - start, 3),
                               round((row["env_steps"] + row["validation_steps"]) / dt), config.backend))
                rundir.write_log(run.history)
                rundir.write_timing(timing)
                if run.generation % config.checkpoint_every == 0:
                    rundir.save_checkpoint(run)
                    rundir.save_champion(run)
                if bar is not None:
                    bar.set_description(config.env, refresh=False)
                    bar.set_postfix(best=f"{row['best']:.4g}", mean=f"{row['mean']:.4g}",
                                    champion=f"{run.champion_score:.4g}", steps_s=f"{row['env_steps'] / dt:.3g}",
                                    refresh=False)
                    bar.update(1)
                if stop.requested:
                    interrupted = True
                    break
        except stops as e:  # raised by Ray's calls only, before a generation changes the run
            interrupted = isinstance(e, distributed.Interrupted)
            lost = None if interrupted else str(e)
        if bar is not None:
            bar.close()
        rundir.save_checkpoint(run)
        rundir.save_champion(run)
        rundir.plot(run.history)
    wall = elapsed0 + now() - start
    on_ray_again = " --backend ray" + (f" --address {config.address}" if config.address else "")
    resume = f"neuroevo run --resume {rundir.path}" + (f" (plays here; add{on_ray_again} to play on Ray)"
                                                        if on_ray else "")
    if lost is not None:
        print(f"neuroevo: {lost}; checkpoint saved at generation {run.generation}. Continue with: {resume}",
              file=sys.stderr)
        return EXIT_FAILURE
    if interrupted:
        print(f"interrupted at generation {run.generation}; checkpoint saved. Continue with: {resume}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{config.env}: {'solved' if run.solved else 'not solved'} after {run.generation} "
          f"generation{'s' if run.generation != 1 else ''}; {_scores(run)}; {wall:.1f} s; files in {rundir.path}")
    return 0


def _warm_up(run, bar) -> None:
    """Start the Ray actors warming up, and meanwhile load this process's own kernel (validation)."""
    import numpy as np

    from evo.ray import distributed
    from evo.kernels.evaluate import rollout

    starting = distributed.warm(run.env, run.net)
    if bar is not None and starting:
        bar.set_description(f"{run.config.env} (starting {starting} Ray actor{'s' if starting != 1 else ''}: "
                            f"a node compiles the kernels on first use)")
    rollout(run.env, run.net, np.zeros((1, run.net.num_params), np.float32), 1, 0)


def _scores(run) -> str:
    """The champion's validation and test scores against the target."""
    if run.champion is None:
        return "no champion yet"
    test = ("untested" if run.champion_test is None else
            f"test {run.champion_test:.4g} over {run.config.test_episodes} episodes")
    return f"champion validation {run.champion_score:.4g}, {test} (target {run.target:.4g})"


def cmd_eval(args) -> int:
    import numpy as np

    from evo.runs.driver import test_results, test_score

    c = _load_champion(args.dir, args.env_params, args.level)
    with bad_input():
        episodes = c.config.test_episodes if args.episodes is None else args.episodes
        if episodes < 1:
            raise ValueError("--episodes must be a positive integer")
        seed = c.held_out_seed if args.seed is None else args.seed
        if not 0 <= seed <= 2**64 - 1:
            raise ValueError("--seed must be in 0..2**64-1")
    results = test_results(c.env, c.net, c.genome, episodes, seed, fixed=dict(args.env_params))
    target = c.config.target if c.config.target is not None else c.env.solved_at
    score = test_score(results)
    which = "the run's test episodes" if args.seed is None and args.episodes is None else f"{episodes} episodes"
    options = {**c.config.env_params, **dict(args.env_params)}
    params = f" with {options}" if options else ""
    level = f" at level {c.env.level}" if getattr(c.env, "level", None) not in (None, "default") else ""
    verdict = f"target {target:.4g}: {'solved' if score >= target else 'not solved'}"

    def stats(returns):
        return f"{returns.mean():.4g} ± {returns.std():.3g}", f"(min {returns.min():.4g}, max {returns.max():.4g})"
    if len(results) == 1:
        mean, spread = stats(results[0][1].returns[0])
        print(f"{c.env.name}{level}{params}: {mean} over {which} {spread}; {verdict}")
    else:
        print(f"{c.env.name}{level}{params}: {which} on each test set")
        width = max(len(name) for name, _ in results)
        for name, r in results:
            print(f"  {name:<{width}}  {' '.join(stats(r.returns[0]))}")
        print(f"worst {score:.4g}; {verdict}")
    return 0 if all(np.isfinite(r.returns).all() for _, r in results) else 1


def cmd_check_game(args) -> int:
    from envs.check import check_game

    try:
        findings = check_game(args.module)
    except ValueError as e:
        raise UsageError(f"neuroevo: {e}") from None
    except Exception as e:  # importing the author's module failed: that is what they need to see
        print(f"FAIL  import {args.module}: {type(e).__name__}: {e}")
        return EXIT_FAILURE
    for f in findings:
        print(f)
    failed = sum(not f.ok for f in findings)
    print(f"{args.module}: {'all checks pass' if not failed else f'{failed} of {len(findings)} checks fail'}")
    return EXIT_FAILURE if failed else 0


def cmd_envs(args) -> int:
    import envs
    rows = [("game", "obs", "actions", "outputs", "max_steps", "solved_at", "levels (the default first)")]
    for name in envs.names():
        e = envs.make(name)
        actions = f"{e.num_actions} discrete" if e.num_actions else f"{e.action_size} continuous"
        rows.append((name, str(e.obs_size), actions, str(e.num_outputs), str(e.max_steps),
                     f"{e.solved_at:g} (mean of {e.spec.solved_over})", ", ".join(envs.levels(name))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def cmd_sweep(args) -> int:
    import csv
    import io

    from evo.runs.driver import atomic_write

    from evo.runs.driver import check_output_dir

    config = resolve_config(args)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("neuroevo: --jobs must be a positive integer")
    jobs = args.jobs if args.jobs is not None else 2
    out = args.out if args.out is not None else (
        f"runs/sweep-{config.env.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}")
    with bad_input():
        check_output_dir(out)
        _connect(config, args)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"neuroevo: cannot create {out}: {e.strerror}") from None
    base = out / "config.toml"
    atomic_write(base, config.to_toml())
    threads = max(1, (os.cpu_count() or 1) // jobs)
    pending = list(args.seeds)
    running: dict = {}
    results = {}
    lost = None
    if config.backend == "ray":  # -- Ray: one task per seed, files sent back (evo.ray.distributed) --
        from evo.ray import distributed
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs) "
              f"as Ray tasks{'' if args.jobs is None else f', {args.jobs} at a time'}, in {out}")
        try:
            for seed, code, text, files in distributed.sweep(config.to_toml(), args.seeds, out,
                                                              address=config.address or None, jobs=args.jobs):
                (out / f"seed-{seed}").mkdir(exist_ok=True)
                for name, data in files.items():
                    atomic_write(out / f"seed-{seed}" / name, data)
                results[seed] = (code, text)
                print(f"  seed {seed}: {text.splitlines()[-1] if text else 'exit ' + str(code)}")
        except distributed.ClusterLost as e:
            lost = str(e)
        finally:
            _disconnect()
        pending = []  # -- end Ray --
    else:
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs), "
              f"{jobs} at a time, in {out}")
    while pending or running:
        while pending and len(running) < jobs:
            seed = pending.pop(0)
            cmd = [sys.executable, "-m", "evo", "run", "--config", str(base), "--seed", str(seed),
                   "--out", str(out / f"seed-{seed}"), "--threads", str(threads), "--quiet"]
            running[seed] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for seed, proc in list(running.items()):
            if proc.poll() is not None:
                text = proc.stdout.read().strip()
                results[seed] = (proc.returncode, text)
                print(f"  seed {seed}: {text.splitlines()[-1] if text else 'exit ' + str(proc.returncode)}")
                del running[seed]
        time.sleep(0.05)
    rows = [("seed", "solved", "generations", "generations_to_solve", "final_best", "validation", "test")]
    for seed in args.seeds:
        rows.append(_sweep_row(out / f"seed-{seed}", seed, config))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    atomic_write(out / "summary.csv", buf.getvalue())
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    solved = sum(r[1] == "yes" for r in rows[1:])
    print(f"{solved}/{len(args.seeds)} solved; summary in {out / 'summary.csv'}")
    if lost is not None:
        missing = [str(seed) for seed in args.seeds if seed not in results]
        print(f"neuroevo: {lost}; {len(results)} of {len(args.seeds)} runs finished, their files are in {out}; "
              f"run the others again with --seeds {','.join(missing)}", file=sys.stderr)
        return EXIT_FAILURE
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def _sweep_row(path: Path, seed: int, config) -> tuple:
    import csv

    from evo.runs.driver import load_champion
    try:
        with open(path / "log.csv", newline="") as f:
            log = list(csv.DictReader(f))
        champion = load_champion(path)
    except (OSError, ValueError):
        return (seed, "failed", "", "", "", "", "")
    target = config.target if config.target is not None else champion.env.solved_at
    solved_at = next((int(r["generation"]) + 1 for r in log if r["test"] and float(r["test"]) >= target), None)
    return (seed, "yes" if solved_at is not None else "no", len(log), solved_at if solved_at is not None else "",
            f"{float(log[-1]['best']):.6g}", f"{champion.validation:.6g}",
            "" if champion.test is None else f"{champion.test:.6g}")


def _viz(part: str = "app"):
    """A module of the pygame viewer (``viz.app``, ``viz.record``), imported only by the commands that draw."""
    import importlib
    try:
        return importlib.import_module(f"viz.{part}")
    except ImportError as e:
        raise UsageError(f"neuroevo: the viewer needs pygame ({e}); pip install pygame") from None


def cmd_watch(args) -> int:
    from evo.runs.driver import Evolution, RunDir

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
        rundir, run = _resume(args)
    else:
        config = resolve_config(args)
        with bad_input():
            set_threads(args.threads if args.threads is not None else config.threads)
            _connect(config, args)
            run = Evolution(config)
            rundir = None
            # a window someone can quit keeps its run; N frames for a screenshot keep one only if asked
            if args.out is not None or args.frames is None:
                name = config.env.replace(":", "-").replace("/", "-")
                rundir = RunDir(args.out if args.out is not None else
                                f"runs/{name}-watch-{time.strftime('%Y%m%d-%H%M%S')}")
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


def _load_champion(path, env_params=(), level=None):
    """A run's champion, its game remade at ``level`` (None: its run's) with the ``--env-param`` overrides."""
    import envs
    from evo.runs.driver import load_champion

    with bad_input():
        c = load_champion(path)
        if env_params or level is not None:
            level = c.config.level or None if level is None else level
            c.env = envs.make(c.config.env, level=level, **{**c.config.env_params, **dict(env_params)})
    return c


def _champion(path, env_params=(), level=None):
    """A run's champion (see :func:`_load_champion`) and the label the viewer shows for it."""
    c = _load_champion(path, env_params, level)
    test = "untested" if c.test is None else f"test {c.test:.4g}"
    # short: a GIF's title is 480 px
    return c, f"{_viz().game_title(c.env)} champion: validation {c.validation:.4g}, {test}"


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

    _viz()
    from viz import play
    with bad_input():
        if args.frames is not None and args.frames < 1:
            raise ValueError("--frames must be a positive integer")
        game = envs.canonical_name(args.game)
        if game not in play.KEYS:
            raise ValueError(f"{game} cannot be played with the keyboard; playable: {', '.join(play.KEYS)}")
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


def main(argv=None) -> int:
    # Numba leaves many objects behind; moving them out of the collector's reach
    # makes interpreter exit a fraction of a second faster.
    atexit.register(gc.freeze)
    debug = "--debug" in (sys.argv[1:] if argv is None else argv) or bool(os.environ.get("NEUROEVO_DEBUG"))
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        # The heavy imports (numpy, Numba, the games) run under the handler the program started with:
        # evo/__main__.py's, which prints one line and exits at once. Raised as KeyboardInterrupt inside a
        # library's import code, an interrupt can be swallowed there and leave the command running.
        import evo.runs.driver  # noqa: F401
        signal.signal(signal.SIGINT, signal.default_int_handler)
        handler = {"run": cmd_run, "eval": cmd_eval, "envs": cmd_envs, "sweep": cmd_sweep, "check-game": cmd_check_game,
                   "watch": cmd_watch, "replay": cmd_replay, "record": cmd_record, "play": cmd_play}[args.command]
        return handler(args)
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # a failure of the program, not of the input: the last checkpoint stays
        if debug:
            import traceback
            traceback.print_exc()
        hint = "" if debug else " (run with --debug for the traceback)"
        print(f"neuroevo: error: {type(e).__name__}: {e}{hint}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        _disconnect()  # the Ray driver process, if the command started one


def entry() -> None:
    """Run the command line and exit with its status (``evo/__main__.py`` calls this once its
    interrupt handler is in place).

    An interrupted command leaves at once (``os._exit``) once its one line is
    out: an interrupt may have stopped a compilation mid-way, and the
    interpreter's usual teardown could then wait on a lock forever. Every file
    is already complete (they are written atomically).
    """
    try:
        code = main()
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
