"""``neuroevo sweep``: one run per seed, in parallel processes (or as Ray tasks), and a summary table.

Every seed is a ``neuroevo run`` of the sweep's ``config.toml`` in its own
process, writing ``seed-<S>/`` of the sweep directory; at most ``--jobs``
play at once. When they are all done, ``summary.csv`` has one row per seed:
solved or not, generations played, the generation that solved it, the final
best fitness, and the champion's validation and test scores.

With ``--grid KEY=V1,V2`` or ``--random KEY=LOW:HIGH --trials N`` the sweep
plays every seed of every setting (:mod:`evo.runs.grid`): setting ``i``'s
config is ``setting-<i>/config.toml``, its runs ``setting-<i>/seed-<S>/`` and
its per-seed table ``setting-<i>/summary.csv``; the sweep's ``summary.csv``
has one row per setting: its values, how many seeds solved, and the median
training steps (the ``env_steps`` of the generations up to the solving one)
and generations to solve.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from evo.runs import grid
from evo.runs.commands import (EXIT_FAILURE, UsageError, bad_input, compile_first, connect, disconnect,
                               resolve_config)
from evo.runs.rundir import atomic_write, check_output_dir, load_champion

SUMMARY_COLUMNS = ("seed", "solved", "generations", "generations_to_solve", "final_best", "validation", "test")


def cmd_sweep(args) -> int:
    config = resolve_config(args)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("neuroevo: --jobs must be a positive integer")
    jobs = args.jobs if args.jobs is not None else 2
    swept = getattr(args, "grid", None) or getattr(args, "random", None) or getattr(args, "trials", None) is not None
    if swept:  # every setting checked before anything is written
        with bad_input():
            settings = grid.settings([grid.parse_grid(t) for t in args.grid or []],
                                     [grid.parse_random(t) for t in args.random or []], args.trials, config.seed)
            configs = grid.configs(config, settings)
    out = args.out if args.out is not None else (
        f"runs/sweep-{config.env.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}")
    with bad_input():
        check_output_dir(out)
        connect(config, args)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"neuroevo: cannot create {out}: {e.strerror}") from None
    base = out / "config.toml"
    atomic_write(base, config.to_toml())
    if swept:
        return _sweep_settings(args, config, out, settings, configs, jobs)
    results: dict = {}
    lost = None

    def done(seed, code, text):
        results[seed] = (code, text)
        print(f"  seed {seed}: {text.splitlines()[-1] if text else 'exit ' + str(code)}")

    if config.backend == "ray":  # one task per seed, files sent back (evo.ray.sweep)
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs) "
              f"as Ray tasks{'' if args.jobs is None else f', {args.jobs} at a time'}, in {out}")
        lost = _on_ray(config, args, out, config.to_toml(), done)
    else:
        print(f"sweep {config.env}: seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} runs), "
              f"{jobs} at a time, in {out}")
        _compile_first(config)
        threads = max(1, (os.cpu_count() or 1) // jobs)
        commands = [(seed, [sys.executable, "-m", "evo", "run", "--config", str(base), "--seed", str(seed),
                            "--out", str(out / f"seed-{seed}"), "--threads", str(threads), "--quiet"])
                    for seed in args.seeds]
        run_processes(commands, jobs, done)
    rows = [SUMMARY_COLUMNS] + [summary_row(out / f"seed-{seed}", seed, config) for seed in args.seeds]
    _write_table(out / "summary.csv", rows)
    solved = sum(r[1] == "yes" for r in rows[1:])
    print(f"{solved}/{len(args.seeds)} solved; summary in {out / 'summary.csv'}")
    if lost is not None:
        missing = [str(seed) for seed in args.seeds if seed not in results]
        print(f"neuroevo: {lost}; {len(results)} of {len(args.seeds)} runs finished, their files are in {out}; "
              f"run the others again with --seeds {','.join(missing)}", file=sys.stderr)
        return EXIT_FAILURE
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def _on_ray(config, args, out: Path, config_toml, done) -> str | None:
    """Every run as a Ray task (:func:`evo.ray.backend.sweep`: ``config_toml`` one config, or a dict of
    them by setting directory), each run directory written here and ``done(key, status, output)`` called
    as it lands; the line saying why the cluster was lost, or None."""
    from evo.ray import backend as ray_backend
    try:
        for key, code, text, files in ray_backend.sweep(config_toml, args.seeds, out,
                                                         address=config.address or None, jobs=args.jobs):
            dest = out / (f"seed-{key}" if isinstance(config_toml, str) else f"{key[0]}/seed-{key[1]}")
            dest.mkdir(exist_ok=True)
            for name, data in files.items():
                atomic_write(dest / name, data)
            done(key, code, text)
    except ray_backend.ClusterLost as e:
        return str(e)
    finally:
        disconnect()
    return None


def _write_table(path: Path, rows: list, show: bool = True) -> None:
    """``rows`` (a header first) as CSV at ``path``, and printed as aligned columns when ``show``."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    atomic_write(path, buf.getvalue())
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows if show else ():
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def _sweep_settings(args, config, out: Path, settings: list, configs: list, jobs: int) -> int:
    """Every seed of every setting (its config already checked), into ``setting-<i>/seed-<S>/``; the
    per-setting ``summary.csv``."""
    subs = [f"setting-{i}" for i in range(len(settings))]
    for sub, c in zip(subs, configs):
        (out / sub).mkdir(exist_ok=True)
        atomic_write(out / sub / "config.toml", c.to_toml())
    runs = len(settings) * len(args.seeds)
    where = "as Ray tasks" if config.backend == "ray" else f"{jobs} at a time"
    print(f"sweep {config.env}: {len(settings)} settings x seeds {args.seeds[0]}..{args.seeds[-1]} "
          f"({runs} runs), {where}, in {out}")
    for i, setting in enumerate(settings):
        print(f"  setting {i}: {grid.label(setting)}")
    results: dict = {}
    lost = None

    def done(key, code, text):
        results[key] = code
        print(f"  {key[0]} seed {key[1]}: {text.splitlines()[-1] if text else 'exit ' + str(code)}")

    if config.backend == "ray":  # one task per (setting, seed), files sent back (evo.ray.sweep)
        lost = _on_ray(config, args, out, {sub: c.to_toml() for sub, c in zip(subs, configs)}, done)
    else:
        for c in {c.to_toml(): c for c in configs}.values():
            _compile_first(c)
        threads = max(1, (os.cpu_count() or 1) // jobs)
        commands = [((sub, seed), [sys.executable, "-m", "evo", "run", "--config", str(out / sub / "config.toml"),
                                   "--seed", str(seed), "--out", str(out / sub / f"seed-{seed}"),
                                   "--threads", str(threads), "--quiet"])
                    for sub in subs for seed in args.seeds]
        run_processes(commands, jobs, done)
    keys = list(dict.fromkeys(k for setting in settings for k in setting))
    rows = [("setting", *keys, *grid.SETTING_COLUMNS)]
    for i, (sub, setting, c) in enumerate(zip(subs, settings, configs)):
        seed_rows = [SUMMARY_COLUMNS] + [summary_row(out / sub / f"seed-{seed}", seed, c) for seed in args.seeds]
        _write_table(out / sub / "summary.csv", seed_rows, show=False)
        solved = [(steps_to_solve(out / sub / f"seed-{r[0]}", int(r[3])), int(r[3]))
                  for r in seed_rows[1:] if r[1] == "yes"]
        rows.append(grid.setting_row(i, setting, keys, [s for s, _ in solved], [g for _, g in solved],
                                     len(args.seeds)))
    _write_table(out / "summary.csv", rows)
    print(f"{sum(int(r[-3]) > 0 for r in rows[1:])}/{len(settings)} settings solved at least one seed; "
          f"summary in {out / 'summary.csv'}")
    if lost is not None:
        print(f"neuroevo: {lost}; {len(results)} of {runs} runs finished, their files are in {out}",
              file=sys.stderr)
        return EXIT_FAILURE
    return 0 if all(code == 0 for code in results.values()) else 1


def steps_to_solve(path: Path, generations: int) -> int:
    """Training steps (``log.csv``'s ``env_steps``) a run played in its first ``generations`` generations."""
    with open(path / "log.csv", newline="") as f:
        return sum(int(r["env_steps"]) for r in csv.DictReader(f) if int(r["generation"]) < generations)


def _compile_first(config) -> None:
    """Compile (and, for runs large enough, time) the kernels the sweep's runs play, once, here, as
    ``neuroevo run`` would: not in each of the first ``jobs`` runs at once, each timing against the others."""
    from evo.runs.driver import Evolution

    with bad_input():
        run = Evolution(config)
    sys.stdout.flush()
    compile_first(None, run)


def _output(cmd: list) -> tuple:
    """Run ``cmd`` to its end; (exit status, its stdout and stderr together, stripped)."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.returncode, proc.stdout.strip()


def run_processes(commands: list, jobs: int, done) -> None:
    """Run every ``(key, argv)`` of ``commands`` as a process, ``jobs`` at a time, in order.

    ``done(key, exit status, output)`` is called, in this thread, as each
    process ends; the wait between them blocks until one does. An exception
    (Ctrl-C) leaves the processes already started to end on their own and
    starts no more.
    """
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        running = {pool.submit(_output, cmd): key for key, cmd in commands}
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in [f for f in running if f in finished]:  # in the order they were started
                done(running.pop(future), *future.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def summary_row(path: Path, seed: int, config) -> tuple:
    """The ``summary.csv`` row of one seed's run directory (``failed`` when it has no log or champion)."""
    try:
        with open(path / "log.csv", newline="") as f:
            log = list(csv.DictReader(f))
        champion = load_champion(path)
    except (OSError, ValueError):
        return (seed, "failed", "", "", "", "", "")
    target = config.target if config.target is not None else champion.env.solved_at
    decides = "test_lower" if log and "test_lower" in log[0] else "test"  # a log written before the bound: its mean
    solved_at = next((int(r["generation"]) + 1 for r in log if r[decides] and float(r[decides]) >= target), None)
    return (seed, "yes" if solved_at is not None else "no", len(log), solved_at if solved_at is not None else "",
            f"{float(log[-1]['best']):.6g}", f"{champion.validation:.6g}",
            "" if champion.test is None else f"{champion.test:.6g}")
