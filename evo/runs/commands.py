"""The headless commands of ``neuroevo``: ``run``, ``eval``, ``envs``, ``check-game``, and what they share.

Each ``cmd_*`` function takes the parsed arguments of :mod:`evo.cli` and
returns an exit status; bad input raises :class:`UsageError` (one line,
exit status 2), which :mod:`evo.cli` prints. ``neuroevo run`` is a
:class:`evo.runs.driver.Driver` with three hooks: the run directory's files
(:class:`evo.runs.rundir.RunFiles`), a progress bar and a summary line.
``neuroevo sweep`` is :mod:`evo.runs.sweep`; the commands that draw are
:mod:`evo.commands`.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import time

from evo.runs.hooks import Hook

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


# -- config ---------------------------------------------------------------------------------

# Flags that set a config field of the same name.
CONFIG_FLAGS = ("level", "generations", "pop_size", "episodes", "seed", "algorithm", "hidden", "network", "target",
                "checkpoint_every", "threads", "backend", "address", "max_steps", "max_evaluations", "max_seconds",
                "obs", "objectives")
# Flags `--resume` takes: how long and where a run goes on, not what it computes.
RESUME_FLAGS = ("generations", "threads", "backend", "address", "max_steps", "max_evaluations", "max_seconds")
# The flags that set a budget (they may change on --resume, as --generations may).
BUDGET_FLAGS = ("max_steps", "max_evaluations", "max_seconds")


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
        flags = {k: getattr(args, k) for k in CONFIG_FLAGS if getattr(args, k, None) is not None}
        # the game's preset for the algorithm the run plays (a strategy does not take the GA's population)
        algorithm = flags.get("algorithm", file_settings.get("algorithm"))
        # from pixels: the game's pixel preset, for the network the run plays
        obs, network = (flags.get(k, file_settings.get(k)) for k in ("obs", "network"))
        config = RunConfig.from_dict({**file_settings, "env": env, **flags},
                                     base=default_config(env, algorithm, obs, network))
        config.validate()
        # operator names and parameters, game parameters and sizes are checked by building them
        from evo.runs.driver import Evolution
        Evolution(config)
    return config


def set_threads(n: int) -> None:
    import numba
    if n:
        if n > numba.config.NUMBA_NUM_THREADS:
            raise UsageError(f"neuroevo: --threads {n} exceeds the {numba.config.NUMBA_NUM_THREADS} available")
        numba.set_num_threads(n)


def connect(config, args) -> None:
    """With ``backend = "ray"``, join Ray before any file is written (a bad address is one line).

    Ray is driven from a child process (:func:`evo.ray.backend.init` with
    ``isolated=True``), so that whatever Ray does to its driver, this process
    keeps its run, its checkpoint and its one-line messages.
    """
    if config.backend == "ray":
        from evo.ray import backend as ray_backend
        ray_backend.init(config.address or None, isolated=True, verbose=args.debug)


def disconnect() -> None:
    """End the Ray driver process of :func:`connect`, if one was started."""
    ray_backend = sys.modules.get("evo.ray.backend")
    if ray_backend is not None:
        ray_backend.close()


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
    logger = logging.getLogger("evo.ray")
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


class StopOnSignal:
    """Turns Ctrl-C (and SIGTERM) into a stop request, honoured between generations.

    ``on_request`` is called with each first request: the driver's
    :meth:`~evo.runs.driver.Driver.request_stop`, and on Ray the backend's
    stop, which ends the wait for a generation at once. A second Ctrl-C
    raises KeyboardInterrupt.
    """

    def __init__(self, *on_request):
        self.requested = False
        self.on_request = [f for f in on_request if f is not None]

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame):
        if self.requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.requested = True
        for f in self.on_request:
            f()

    def __exit__(self, *exc):
        for s, h in self._old.items():
            signal.signal(s, h)


# -- a run directory to start or continue ---------------------------------------------------


def flag_name(field: str) -> str:
    """The command-line flag that sets ``field`` (``pop_size`` is ``--pop``)."""
    return {"pop_size": "--pop"}.get(field, f"--{field.replace('_', '-')}")


def resume(args):
    """The run of ``--resume DIR``: locked, its temporary files cleaned, its checkpoint checked."""
    from evo.runs.rundir import RunDir

    changed = [flag_name(k) for k in (*CONFIG_FLAGS, "out", "config", "print_config")
               if k not in RESUME_FLAGS and getattr(args, k, None) not in (None, False)]
    if changed:
        raise UsageError(f"neuroevo: --resume continues a run as it was configured; it does not take "
                         f"{changed[0]} (start a new run to change it)")
    rundir = RunDir(args.resume)
    with bad_input():
        if not rundir.path.is_dir():
            raise ValueError(f"no run directory at {rundir.path}")
        rundir.lock()
    try:
        with bad_input():
            rundir.check_files()
        run = _checked_resume(args, rundir)
    except BaseException:
        rundir.unlock()
        raise
    rundir.clean_temporary_files()
    return rundir, run


def _checked_resume(args, rundir):
    """The checkpoint of a locked run directory, checked against its config.toml and the flags."""
    from evo.runs.config import load_toml
    from evo.runs.fields import saved_config

    with bad_input():
        run = rundir.load_checkpoint()
        if args.env and args.env != run.config.env:
            raise ValueError(f"{args.resume} is a run of {run.config.env!r}, not {args.env!r}")
        saved = saved_config(load_toml(rundir.config_path))
        mismatch = [k for k, v in run.config.to_dict().items() if k not in ("generations", *BUDGET_FLAGS)
                    and saved.to_dict().get(k) != v]
        if mismatch:
            raise ValueError(f"the checkpoint's {mismatch[0]} differs from {rundir.config_path}: "
                             f"it belongs to another run")
        if args.generations is not None:
            if args.generations < 1:
                raise ValueError("generations must be a positive integer")
            run.config.generations = args.generations
        for k in BUDGET_FLAGS:
            if getattr(args, k, None) is not None:
                setattr(run.config, k, getattr(args, k))
        run.config.validate()
        set_threads(args.threads if args.threads is not None else run.config.threads)
    for k in ("backend", "address"):  # where it runs does not change what it computes
        if getattr(args, k, None) is not None:
            setattr(run.config, k, getattr(args, k))
    with bad_input():
        connect(run.config, args)
    return run


def run_dir_name(config, suffix: str = "") -> str:
    """``runs/<game>[-suffix]-<timestamp>``, the default directory of a run of ``config``."""
    name = config.env.replace(":", "-").replace("/", "-")
    return f"runs/{name}{suffix}-{time.strftime('%Y%m%d-%H%M%S')}"


def start(args, config, init=None):
    """A new run directory for ``config``: checked, created with a generation-0 checkpoint, locked."""
    from evo.runs.driver import Evolution
    from evo.runs.rundir import RunDir, check_output_dir

    with bad_input():
        set_threads(args.threads if args.threads is not None else config.threads)
        connect(config, args)
        rundir = RunDir(args.out if args.out is not None else run_dir_name(config))
        check_output_dir(rundir.path)  # a bad --out is one line before the kernels compile
        run = Evolution(config, init)
    compile_first(args, run)  # before any file is written: Ctrl-C during it leaves nothing behind
    with bad_input():
        rundir.create(run)
    return rundir, run


def _fork(args) -> tuple:
    """``neuroevo run --from``: the fork's config and the genomes it starts from (:mod:`evo.runs.fork`),
    every input checked (one line, exit 2) before anything is written."""
    from evo.runs.config import load_toml
    from evo.runs.fork import fork
    from evo.runs.rundir import RunDir

    with bad_input():
        parent_dir = RunDir(args.from_run)
        if not parent_dir.path.is_dir():
            raise ValueError(f"no run directory at {parent_dir.path}")
        parent = parent_dir.load_checkpoint()
        settings = load_toml(args.config) if args.config else {}
        flags = {k: getattr(args, k) for k in ("env", *CONFIG_FLAGS) if getattr(args, k, None) is not None}
        return fork(parent, args.from_run, args.champion, settings, flags)


def compile_first(args, run) -> None:
    """Compile the kernels the run plays on this machine, saying so, unless they are in the cache; where
    timing both kernels pays (:func:`evo.kernels.play.auto_kernel`), time them first (the first time only)
    and play the faster."""
    from evo.kernels.play import auto_kernel
    from evo.kernels.prepare import notice, prepare

    say = None if getattr(args, "quiet", False) else notice
    if run.config.backend == "local":
        run.kernel = auto_kernel(run.env, run.net, run.pairs, say)
    prepare(run.env, run.net, run.kernel, say)


# -- run ------------------------------------------------------------------------------------


def cmd_run(args) -> int:
    from evo.runs import loggers
    from evo.runs.rundir import atomic_write

    with bad_input():
        loggers.check(getattr(args, "log", None))
    if args.resume and getattr(args, "from_run", None):
        raise UsageError("neuroevo: --from starts a new run and --resume continues one: give one of them")
    if args.resume:
        rundir, run = resume(args)
        try:
            compile_first(args, run)
        except BaseException:
            rundir.unlock()
            raise
        atomic_write(rundir.config_path, run.config.to_toml())  # --generations may have changed
        timing = [t for t in rundir.read_timing() if t[0] < run.generation]
    elif getattr(args, "from_run", None):
        config, genomes = _fork(args)
        if args.print_config:
            print(config.to_toml(), end="")
            return 0
        rundir, run = start(args, config, genomes)
        timing = []
    else:
        if getattr(args, "champion", False):
            raise UsageError("neuroevo: --champion goes with --from RUN (start from RUN's champion)")
        config = resolve_config(args)
        if args.print_config:  # the sections the run's algorithm reads
            print(config.to_toml(applicable=True), end="")
            return 0
        rundir, run = start(args, config)
        timing = []
    try:
        return _evolve(args, rundir, run, timing)
    finally:
        rundir.unlock()


class ProgressBar(Hook):
    """``neuroevo run``'s progress bar (tqdm, on stderr): one tick per generation, closed when the run stops."""

    def __init__(self, run):
        from tqdm import tqdm
        self.bar = tqdm(total=run.config.generations, initial=run.generation, unit="gen", dynamic_ncols=True,
                        desc=run.config.env)

    def generation_end(self, run, row, seconds):
        self.bar.set_description(run.config.env, refresh=False)
        self.bar.set_postfix(best=f"{row['best']:.4g}", mean=f"{row['mean']:.4g}", champion=f"{run.champion_score:.4g}",
                             steps_s=f"{row['env_steps'] / seconds:.3g}", refresh=False)
        self.bar.update(1)

    def stop(self, run, reason, error):
        self.bar.close()


class Summary(Hook):
    """``neuroevo run``'s last line and exit status: solved or not, interrupted, or the cluster lost.

    ``elapsed`` is the wall seconds the run took before this process (its
    ``timing.csv``); :attr:`code` is the exit status once the run stopped.
    """

    def __init__(self, rundir, elapsed: float = 0.0):
        self.rundir = rundir
        self.elapsed = elapsed
        self.start = time.perf_counter()
        self.code = None

    def stop(self, run, reason, error):
        config = run.config
        wall = self.elapsed + time.perf_counter() - self.start
        on_ray_again = " --backend ray" + (f" --address {config.address}" if config.address else "")
        resume = f"neuroevo run --resume {self.rundir.path}" + (
            f" (plays here; add{on_ray_again} to play on Ray)" if config.backend == "ray" else "")
        if reason == "lost":
            print(f"neuroevo: {error}; checkpoint saved at generation {run.generation}. Continue with: {resume}",
                  file=sys.stderr)
            self.code = EXIT_FAILURE
        elif reason == "requested":
            print(f"interrupted at generation {run.generation}; checkpoint saved. Continue with: {resume}",
                  file=sys.stderr)
            self.code = EXIT_INTERRUPTED
        else:
            if run.budget_spent is not None:
                from evo.runs.budgets import note
                print(note(run))
            print(f"{config.env}: {'solved' if run.solved else 'not solved'} after {run.generation} "
                  f"generation{'s' if run.generation != 1 else ''}: {scores(run)}; {wall:.1f} s; "
                  f"files in {self.rundir.path}")
            self.code = 0


def _evolve(args, rundir, run, timing) -> int:
    """``neuroevo run``'s loop: the driver with the files, progress bar and summary hooks.

    On Ray, a generation Ray cannot finish (:class:`evo.ray.errors.ClusterLost`)
    or a stop request while one is being played ends the run like Ctrl-C
    between generations: the run is checkpointed at the start of that
    generation, which a resume plays again, to the same result.
    """
    from evo.runs import loggers
    from evo.runs.driver import Driver
    from evo.runs.rundir import RunFiles

    on_ray = run.config.backend == "ray"
    stop_on, ray_stop = {}, None
    if on_ray:
        from evo.ray import backend as ray_backend
        stop_on, ray_stop = {ray_backend.ClusterLost: "lost", ray_backend.Interrupted: "requested"}, \
            ray_backend.request_stop
    bar = None if args.quiet else ProgressBar(run)
    summary = Summary(rundir, timing[-1][2] if timing else 0.0)
    dashboards = loggers.make(getattr(args, "log", None), rundir, run)
    driver = Driver(run, [RunFiles(rundir, timing), *dashboards, *([bar] if bar else []), summary])
    with StopOnSignal(driver.request_stop, ray_stop), _ray_notes(bar.bar if bar else None):
        try:
            if on_ray:
                _warm_up(run, bar)
        except tuple(stop_on) as e:  # raised by Ray's calls only
            driver.stop(next(reason for kind, reason in stop_on.items() if isinstance(e, kind)), e)
        else:
            driver.drive(stop_on)
    return summary.code


def _warm_up(run, bar) -> None:
    """Start the Ray actors warming up, and meanwhile load this process's own kernel (validation)."""
    import numpy as np

    from evo.kernels.evaluate import rollout
    from evo.ray import backend as ray_backend

    starting = ray_backend.warm(run.env, run.net)
    if bar is not None and starting:
        bar.bar.set_description(f"{run.config.env} (starting {starting} Ray actor{'s' if starting != 1 else ''}: "
                                f"a node compiles the kernels on first use)")
    rollout(run.env, run.net, np.zeros((1, run.net.num_params), np.float32), 1, 0)


def scores(run) -> str:
    """What decided the run (:func:`evo.runs.driver.verdict` of the champion's test) and its validation score."""
    from evo.runs.driver import verdict

    if run.champion is None:
        return "no champion yet"
    validation = f"champion validation {run.champion_score:.4g}"
    if run.champion_test is None:
        return f"{validation}, untested (target {run.target:.4g})"
    if run.champion_lower is None:  # tested by a version that kept no bound; resumed, it ended unsolved
        return f"{validation}, test mean {run.champion_test:.4g} (target {run.target:.4g})"
    return (f"{verdict(run.champion_test, run.champion_lower, run.target)} over {run.config.test_episodes} "
            f"test episodes; {validation}")


# -- eval, envs, check-game -----------------------------------------------------------------


def load_champion_at(path, env_params=(), level=None):
    """A run's champion, its game remade at ``level`` (None: its run's) with the ``--env-param`` overrides."""
    import envs
    from evo.runs.rundir import load_champion

    with bad_input():
        c = load_champion(path)
        if env_params or level is not None:
            level = c.config.level or None if level is None else level
            c.env = envs.make(c.config.env, level=level, obs=c.config.obs,
                              **{**c.config.env_params, **dict(env_params)})
    return c


def key_values(options: dict) -> str:
    """Game parameters as ``--env-param`` takes them: ``track=hairpin grip=10``."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in options.items())


def cmd_eval(args) -> int:
    import numpy as np

    from evo.runs.driver import test_lower, test_results, test_score, verdict

    c = load_champion_at(args.dir, args.env_params, args.level)
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
    params = f" with {key_values(options)}" if options else ""
    level = f" at level {c.env.level}" if getattr(c.env, "level", None) not in (None, "default") else ""
    lower = test_lower(results)
    decided = f"{'solved' if lower >= target else 'not solved'}: {verdict(score, lower, target)}"

    def stats(returns):
        return f"{returns.mean():.4g} ± {returns.std():.3g}", f"(min {returns.min():.4g}, max {returns.max():.4g})"
    if len(results) == 1:
        mean, spread = stats(results[0][1].returns[0])
        print(f"{c.env.name}{level}{params}: {mean} over {which} {spread}; {decided}")
    else:
        print(f"{c.env.name}{level}{params}: {which} on each test set")
        width = max(len(name) for name, _ in results)
        for name, r in results:
            print(f"  {name:<{width}}  {' '.join(stats(r.returns[0]))}")
        print(f"worst set: {decided}")
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
    except SystemExit as e:  # the module ends the program when imported: no game can be made of it
        print(f"FAIL  import {args.module}: it calls sys.exit({e.code!r}) when imported")
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
