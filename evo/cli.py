"""The ``neuroevo`` command line: a thin layer over :mod:`evo.run`.

Commands: ``run``, ``eval``, ``envs``, ``sweep`` (headless) and ``watch``,
``replay``, ``record`` (pygame, imported only by those commands). Bad input is
one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message}")


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
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative seeds, got {text!r}")
    return seeds


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", nargs="?", help="game name (see `neuroevo envs`) or gym:<Gymnasium id>")
    p.add_argument("--config", metavar="FILE.toml", help="settings from a TOML file; flags override it")
    p.add_argument("--generations", type=int, metavar="N")
    p.add_argument("--pop", type=int, metavar="N", dest="pop_size", help="population size")
    p.add_argument("--episodes", type=int, metavar="N", help="episodes per genome per generation")
    p.add_argument("--seed", type=int, metavar="S")
    p.add_argument("--hidden", type=_int_list, metavar="16,16", help="hidden layer widths")
    p.add_argument("--target", type=float, metavar="F",
                   help="stop when the champion's validation mean reaches F (default: the game's solved_at)")
    p.add_argument("--threads", type=int, metavar="N", help="Numba threads (default: all cores)")


def _add_backend_options(p: argparse.ArgumentParser, sweep: bool = False) -> None:
    p.add_argument("--backend", choices=("local", "ray"),
                   help="one run per seed as Ray tasks across the cluster" if sweep else
                   "evaluate each generation here (local, default) or on Ray actors (ray): same results")
    p.add_argument("--address", metavar="ADDR",
                   help="Ray cluster: auto (joins `ray start`), ray://host:10001; default a local Ray")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neuroevo",
                     description="Evolve neural networks that play games, headless or in a window.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="evolve headless, writing a run directory")
    _add_run_options(p)
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/<env>-<timestamp>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    p.add_argument("--checkpoint-every", type=int, metavar="K", dest="checkpoint_every")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as TOML and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_backend_options(p)

    p = sub.add_parser("eval", help="score a run's champion on fresh episodes")
    p.add_argument("dir", help="run directory or champion.npz")
    p.add_argument("--episodes", type=int, default=100, metavar="N")
    p.add_argument("--seed", type=int, default=12345, metavar="S", help="key of the fresh episodes")

    sub.add_parser("envs", help="list the games")

    p = sub.add_parser("sweep", help="one run per seed, in parallel processes, and a summary table")
    _add_run_options(p)
    p.add_argument("--seeds", type=_seed_range, default=list(range(5)), metavar="0-9")
    p.add_argument("--jobs", type=int, metavar="N", help="runs at once (default 2; with Ray, one per cluster CPU)")
    p.add_argument("--out", metavar="DIR", help="sweep directory (default runs/sweep-<env>-<timestamp>)")
    _add_backend_options(p, sweep=True)

    for name, text in (("watch", "watch a generation learn in a window"),
                       ("replay", "play a run's champion in a window"),
                       ("record", "render a run's champion to a GIF or PNG frames")):
        p = sub.add_parser(name, help=text)
        if name == "watch":
            _add_run_options(p)
            p.add_argument("--frames", type=int, metavar="N", help="stop after N frames")
            p.add_argument("--screenshot", metavar="FILE.png", help="save the last frame")
        else:
            p.add_argument("dir", help="run directory or champion.npz")
            if name == "record":
                p.add_argument("--out", default="champion.gif", metavar="FILE",
                               help="a .gif, or a directory for PNG frames")
                p.add_argument("--steps", type=int, metavar="N", help="at most N game steps")
            p.add_argument("--seed", type=int, default=0, metavar="S", help="episode key")
    return parser


# -- config ---------------------------------------------------------------------------------


def resolve_config(args):
    from evo.config import RunConfig, default_config, load_toml

    file_settings = load_toml(args.config) if args.config else {}
    env = args.env or file_settings.get("env")
    if not env:
        raise UsageError("neuroevo: name a game (e.g. `neuroevo run cartpole`) or give a config with env = ...")
    if args.env and file_settings.get("env") not in (None, args.env):
        raise UsageError(f"neuroevo: the game {args.env!r} differs from env = {file_settings['env']!r} in {args.config}")
    import envs
    if not env.startswith("gym:") and env not in envs.names():
        raise UsageError(f"neuroevo: unknown game {env!r}; known: {', '.join(envs.names())}")
    flags = {k: getattr(args, k) for k in ("generations", "pop_size", "episodes", "seed", "hidden",
                                            "target", "checkpoint_every", "threads", "backend", "address")
             if getattr(args, k, None) is not None}
    config = RunConfig.from_dict({**file_settings, "env": env, **flags}, base=default_config(env))
    config.validate()
    # operator names and parameters, and game parameters, are checked by building them
    from evo.run import Evolution
    Evolution(config)
    return config


def set_threads(n: int) -> None:
    import numba
    if n:
        if n > numba.config.NUMBA_NUM_THREADS:
            raise UsageError(f"neuroevo: --threads {n} exceeds the {numba.config.NUMBA_NUM_THREADS} available")
        numba.set_num_threads(n)


def _connect(config) -> None:
    """With ``backend = "ray"``, join Ray before any file is written (a bad address is one line)."""
    if config.backend == "ray":
        from evo import distributed
        distributed.init(config.address or None)


# -- run ------------------------------------------------------------------------------------


class _Interrupt:
    """Turns Ctrl-C (and SIGTERM) into a flag checked between generations."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame):
        if self.requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)


def cmd_run(args) -> int:
    from evo.run import RunDir, now

    if args.resume:
        if args.config or args.print_config:
            raise UsageError("neuroevo: --resume continues a run as configured; it takes no --config")
        rundir = RunDir(args.resume)
        run = rundir.load_checkpoint()
        if args.env and args.env != run.config.env:
            raise UsageError(f"neuroevo: {args.resume} is a run of {run.config.env!r}, not {args.env!r}")
        if args.generations is not None:
            if args.generations < 1:
                raise UsageError("neuroevo: generations must be a positive integer")
            run.config.generations = args.generations
        for k in ("backend", "address"):  # where it runs does not change what it computes
            if getattr(args, k, None) is not None:
                setattr(run.config, k, getattr(args, k))
        config = run.config
        _connect(config)
        timing = [t for t in rundir.read_timing() if t[0] < run.generation]
    else:
        config = resolve_config(args)
        if args.print_config:
            print(config.to_toml(), end="")
            return 0
        from evo.run import Evolution
        set_threads(args.threads if args.threads is not None else config.threads)
        _connect(config)
        out = args.out or f"runs/{config.env.replace(':', '-').replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
        rundir = RunDir(out)
        rundir.create(config)
        run = Evolution(config)
        timing = []
    set_threads(args.threads if args.threads is not None else config.threads)

    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=config.generations, initial=run.generation, unit="gen", dynamic_ncols=True,
                   desc=config.env)
    start = now()
    elapsed0 = timing[-1][1] if timing else 0.0
    interrupted = False
    with _Interrupt() as stop:
        while not run.finished:
            t0 = now()
            row = run.step()
            dt = now() - t0
            timing.append((row["generation"], round(elapsed0 + now() - start, 3), round(row["env_steps"] / dt)))
            rundir.write_log(run.history)
            rundir.write_timing(timing)
            if run.generation % config.checkpoint_every == 0:
                rundir.save_checkpoint(run)
                rundir.save_champion(run)
            if bar is not None:
                bar.set_postfix(best=f"{row['best']:.4g}", mean=f"{row['mean']:.4g}",
                                val=f"{row['validation']:.4g}", steps_s=f"{row['env_steps'] / dt:.3g}",
                                refresh=False)
                bar.update(1)
            if stop.requested:
                interrupted = True
                break
    if bar is not None:
        bar.close()
    rundir.save_checkpoint(run)
    rundir.save_champion(run)
    rundir.plot(run.history)
    wall = elapsed0 + now() - start
    if interrupted:
        print(f"interrupted at generation {run.generation}; checkpoint saved. Continue with: "
              f"neuroevo run --resume {rundir.path}", file=sys.stderr)
        return 130
    verdict = "solved" if run.solved else "not solved"
    print(f"{config.env}: {verdict} after {run.generation} generation{'s' if run.generation != 1 else ''}, champion {run.champion_score:.4g} "
          f"(target {run.target:.4g}), {wall:.1f} s; files in {rundir.path}")
    return 0


def cmd_eval(args) -> int:
    import numpy as np

    from evo.evaluate import rollout
    from evo.run import load_champion

    if args.episodes < 1:
        raise UsageError("neuroevo: --episodes must be a positive integer")
    env, net, genome, _ = load_champion(args.dir)
    r = rollout(env, net, genome[None], args.episodes, args.seed)
    returns = r.returns[0]
    solved = returns.mean() >= env.solved_at
    print(f"{env.name}: {returns.mean():.4g} ± {returns.std():.3g} over {args.episodes} episodes "
          f"(min {returns.min():.4g}, max {returns.max():.4g}); solved_at {env.solved_at:.4g}: "
          f"{'solved' if solved else 'not solved'}")
    return 0 if np.isfinite(returns).all() else 1


def cmd_envs(args) -> int:
    import envs
    rows = [("game", "obs", "actions", "outputs", "max_steps", "solved_at")]
    for name in envs.names():
        e = envs.make(name)
        actions = f"{e.num_actions} discrete" if e.num_actions else f"{e.action_size} continuous"
        rows.append((name, str(e.obs_size), actions, str(e.num_outputs), str(e.max_steps),
                     f"{e.solved_at:g} (mean of {e.spec.solved_over})"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def cmd_sweep(args) -> int:
    import csv
    import io

    from evo.run import atomic_write

    config = resolve_config(args)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("neuroevo: --jobs must be a positive integer")
    jobs = args.jobs if args.jobs is not None else 2
    out = Path(args.out or f"runs/sweep-{config.env.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"neuroevo: {out} already exists and is not empty")
    _connect(config)
    out.mkdir(parents=True, exist_ok=True)
    base = out / "config.toml"
    atomic_write(base, config.to_toml())
    threads = max(1, (os.cpu_count() or 1) // jobs)
    pending = list(args.seeds)
    running: dict = {}
    results = {}
    if config.backend == "ray":  # -- Ray: one task per seed, files sent back (evo.distributed) --
        from evo import distributed
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs) "
              f"as Ray tasks{'' if args.jobs is None else f', {args.jobs} at a time'}, in {out}")
        for seed, code, text, files in distributed.sweep(config.to_toml(), args.seeds, out,
                                                          address=config.address or None, jobs=args.jobs):
            (out / f"seed-{seed}").mkdir(exist_ok=True)
            for name, data in files.items():
                atomic_write(out / f"seed-{seed}" / name, data)
            results[seed] = (code, text)
            print(f"  seed {seed}: {text.splitlines()[-1] if text else 'exit ' + str(code)}")
        pending = []  # -- end Ray --
    else:
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs), "
              f"{jobs} at a time, in {out}")
    while pending or running:
        while pending and len(running) < jobs:
            seed = pending.pop(0)
            cmd = [sys.executable, "-m", "evo.cli", "run", "--config", str(base), "--seed", str(seed),
                   "--out", str(out / f"seed-{seed}"), "--threads", str(threads), "--quiet"]
            running[seed] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for seed, proc in list(running.items()):
            if proc.poll() is not None:
                text = proc.stdout.read().strip()
                results[seed] = (proc.returncode, text)
                print(f"  seed {seed}: {text.splitlines()[-1] if text else 'exit ' + str(proc.returncode)}")
                del running[seed]
        time.sleep(0.05)
    rows = [("seed", "solved", "generations", "generations_to_solve", "final_best", "champion")]
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
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def _sweep_row(path: Path, seed: int, config) -> tuple:
    import csv

    from evo.run import load_champion
    try:
        with open(path / "log.csv", newline="") as f:
            log = list(csv.DictReader(f))
        _, _, _, score = load_champion(path)
    except (OSError, ValueError):
        return (seed, "failed", "", "", "", "")
    import envs
    target = config.target if config.target is not None else envs.make(config.env, **config.env_params).solved_at
    solved_at = next((int(r["generation"]) + 1 for r in log if float(r["validation"]) >= target), None)
    return (seed, "yes" if solved_at is not None else "no", len(log),
            solved_at if solved_at is not None else "", f"{float(log[-1]['best']):.6g}", f"{score:.6g}")


def cmd_viewer(args) -> int:
    try:
        from viz import app
    except ImportError as e:
        raise UsageError(f"neuroevo: the viewer needs pygame ({e}); pip install pygame") from None
    return app.main(args)


def main(argv=None) -> int:
    # Numba leaves many objects behind; moving them out of the collector's reach
    # makes interpreter exit a fraction of a second faster.
    atexit.register(gc.freeze)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        handler = {"run": cmd_run, "eval": cmd_eval, "envs": cmd_envs, "sweep": cmd_sweep,
                   "watch": cmd_viewer, "replay": cmd_viewer, "record": cmd_viewer}[args.command]
        return handler(args)
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    except ValueError as e:
        print(f"neuroevo: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as e:  # e.g. Ray workers that keep dying; the last checkpoint stays
        print(f"neuroevo: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("neuroevo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
