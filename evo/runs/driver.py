"""Runs: the generation loop of a game, its files, checkpoints and resume.

:class:`Evolution` owns one run's state (game, network, GA, history,
champion) and advances it a generation at a time; :func:`evolve` is the
one-call API on top of it; :class:`RunDir` writes and reads a run's files.

Every generation ``g`` evaluates the population on episodes keyed by
``(seed, g)``, then validates that generation's best genome on fresh episodes
keyed apart from them (by default only when it may beat the champion: see
``RunConfig.validate_on``). The champion is the genome with the best validation
score so far. Being the best of many validations flatters it (a winner's
curse), so a champion whose validation reaches the target is tested on
``test_episodes`` more, keyed apart from both (:func:`held_out_seed`); the run is
solved when that test mean reaches the target, and otherwise goes on. When a
run ends unsolved its champion is tested too. ``neuroevo eval`` uses the same
test episodes by default, so its verdict and the run's agree.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import envs
from envs.rng import key as _key
from evo._validation import check_memory
from evo.runs.config import RunConfig, default_config
from evo.kernels.evaluate import rollout
from evo.algorithms import registry as algorithms
from evo.networks.mlp import build as build_network

LOG_COLUMNS = ("generation", "best", "mean", "median", "std", "min", "validation", "test", "env_steps",
               "validation_steps")
_CHECKPOINT_KEYS = ("version", "config", "history", "champion", "champion_score", "champion_test",
                    "validated_fitness", "validated", "bests")
TIMING_COLUMNS = ("generation", "seconds", "wall_seconds", "env_steps_per_second", "backend")
_TRAIN, _VALIDATE, _TEST, _HALL = 1, 2, 3, 4
_CHECKPOINT_VERSION = 2


def episode_seed(seed: int, generation: int, purpose: int) -> int:
    """The episode key of a generation: different per generation and per purpose (train, validate, test)."""
    return int(_key(np.uint64(seed), np.uint64(generation), np.uint64(purpose)) >> np.uint64(1))


def network(config: RunConfig, env):
    """The network of a run config for ``env``: an MLP or a recurrent network (``config.network``)."""
    return build_network(config.network, [env.obs_size, *config.hidden, env.num_outputs],
                         activation=config.activation, output=config.output, init=config.init)


def held_out_seed(seed: int) -> int:
    """The key of a run's test episodes: one set per run seed, apart from every training and validation key."""
    return episode_seed(seed, 0, _TEST)


def test_results(env, net, genome: np.ndarray, episodes: int, seed: int, fixed=()) -> list:
    """``(name, rollout result)`` of ``genome`` on every test set of ``env`` (:meth:`envs.Env.test_sets`):
    the racer's hand-drawn tracks, a data set's held-out split, or the game itself."""
    return [(name, rollout(test_env, net, genome[None], episodes, seed)) for name, test_env in env.test_sets(fixed)]


def test_score(results: list) -> float:
    """A run's test score: the worst test set's mean return."""
    return min(float(r.fitness[0]) for _, r in results)


class Evolution:
    """One run, advanced a generation at a time.

    Attributes
    ----------
    config : RunConfig
    env : envs.Env
    net : MLP or RNN
    algorithm : GeneticAlgorithm or an evolution strategy
        See :mod:`evo.algorithms.registry`.
    history : list of dict
        One row per generation, keys :data:`LOG_COLUMNS`.
    champion : ndarray of shape (G,) or None
    champion_score : float
        Validation score of the champion.
    champion_test : float or None
        Test score of the champion (None until it is tested).
    """

    def __init__(self, config: RunConfig):
        self.config = config.validate()
        self.env = envs.make(config.env, level=config.level or None, **config.env_params)
        self.net = network(config, self.env)
        widest = max(config.episodes, config.validation_episodes, config.test_episodes)
        check_memory(f"pop_size {config.pop_size} x {widest} episodes", 16.0 * config.pop_size * widest)
        if self.self_play and (config.network != "mlp" or len(config.hidden) > 1 or config.backend != "local"):
            raise ValueError("self_play needs a feed-forward network with at most one hidden layer "
                             "(network = mlp) and the local backend")
        self.target = float(config.target) if config.target is not None else float(self.env.solved_at)
        self.algorithm = algorithms.build(config, self.net)
        self.history: list[dict] = []
        self.champion: np.ndarray | None = None
        self.champion_score = -np.inf
        self.validated_fitness = -np.inf  # best training fitness of a genome validated so far
        self.validated: set[int] = set()  # digests of the genomes validated so far
        self.bests: list[np.ndarray] = []  # every generation's best genome, for replaying the story
        self.champion_test: float | None = None
        self.last_steps = 0

    @property
    def generation(self) -> int:
        return self.algorithm.generation

    @property
    def solved(self) -> bool:
        """The champion's test mean reached the target."""
        return self.champion_test is not None and self.champion_test >= self.target

    @property
    def finished(self) -> bool:
        return self.solved or self.generation >= self.config.generations

    @property
    def self_play(self) -> bool:
        """Whether the game trains against the run's hall of fame (a game's ``self_play`` parameter)."""
        names = getattr(getattr(self.env, "module", None), "PARAM_NAMES", ())
        return "self_play" in names and self.env.params[names.index("self_play")] != 0.0

    def train_env(self) -> "envs.Env":
        """The game this generation trains on.

        With self-play, the opponent is drawn, uniformly and keyed by the run's
        seed and the generation, from a hall of fame: the game's built-in
        opponent and the best genome of every earlier generation. Validation
        and test episodes always play the built-in opponent.
        """
        if not self.self_play:
            return self.env
        pick = int(np.random.default_rng([self.config.seed, self.generation, _HALL]).integers(self.generation + 1))
        if pick == 0:
            return self.env
        env = copy.copy(self.env)
        env.params = self.env.module.with_opponent(self.env.params, self.net.sizes, self.net.acts_array,
                                                   self.bests[pick - 1])
        return env

    def train_seed(self, generation: int | None = None) -> int:
        return episode_seed(self.config.seed, self.generation if generation is None else generation, _TRAIN)

    @property
    def needs_behaviour(self) -> bool:
        """Whether the algorithm is told behaviour descriptors (novelty search, MAP-Elites)."""
        return getattr(self.algorithm, "needs_behaviour", False)

    def step(self, returns: np.ndarray | None = None, steps: np.ndarray | None = None,
             behaviour: np.ndarray | None = None) -> dict:
        """Evaluate, validate and breed one generation; returns its log row.

        ``returns``/``steps`` of shape (P, episodes) may be given when the
        caller already played the generation (the viewer does, step by step);
        they must be what :func:`evo.rollout` gives for :meth:`train_seed`, and
        ``behaviour`` its (P, D) descriptors when :attr:`needs_behaviour`.
        """
        genomes = self.algorithm.ask()
        if returns is None:
            r = rollout(self.train_env(), self.net, genomes, self.config.episodes, self.train_seed(),
                        backend=self.config.backend, address=self.config.address or None,
                        behaviour=self.needs_behaviour)
            returns, steps, behaviour = r.returns, r.steps, r.behaviour
        fitness = returns.mean(axis=1)
        if np.isnan(fitness).all():
            raise ValueError(f"generation {self.generation}: every fitness is NaN")
        best = int(np.nanargmax(fitness))
        self.bests.append(np.array(genomes[best], dtype=np.float32))
        score, validation_steps = None, 0
        if self.config.validate_on == "improvement":
            # the first genome at the top that was never validated (a capped return ties often)
            top = [i for i in np.flatnonzero(fitness == fitness[best]) if _digest(genomes[i]) not in self.validated]
            bar = self.validated_fitness
            if top and fitness[best] < bar and self.champion is not None:
                # a lucky generation's easy episodes set a bar that later ones cannot reach: the champion
                # replayed on this generation's episodes is the fair comparison
                replay = rollout(self.env, self.net, self.champion[None], self.config.episodes, self.train_seed())
                bar = float(replay.fitness[0])
                validation_steps += replay.total_steps
            best = top[0] if top and fitness[best] >= bar else None
        if best is not None:
            self.validated.add(_digest(genomes[best]))
            self.validated_fitness = max(self.validated_fitness, float(fitness[best]))
            val = rollout(self.env, self.net, genomes[best:best + 1], self.config.validation_episodes,
                          episode_seed(self.config.seed, self.generation, _VALIDATE))
            score = float(val.fitness[0])
            validation_steps += val.total_steps
            if score > self.champion_score:
                self.champion_score = score
                self.champion = np.array(genomes[best])
                self.champion_test = None
        test = None
        last = self.generation + 1 >= self.config.generations
        if self.champion is not None and self.champion_test is None and (self.champion_score >= self.target or last):
            results = test_results(self.env, self.net, self.champion, self.config.test_episodes,
                                   held_out_seed(self.config.seed))
            test = self.champion_test = test_score(results)
            validation_steps += sum(r.total_steps for _, r in results)
        self.last_steps = int(steps.sum() + validation_steps)
        row = {
            "generation": self.generation,
            "best": float(np.nanmax(fitness)),
            "mean": float(np.nanmean(fitness)),
            "median": float(np.nanmedian(fitness)),
            "std": float(np.nanstd(fitness)),
            "min": float(np.nanmin(fitness)),
            "validation": score,
            "test": test,
            "env_steps": int(steps.sum()),
            "validation_steps": validation_steps,
        }
        if self.needs_behaviour:
            self.algorithm.tell(fitness, behaviour)
        else:
            self.algorithm.tell(fitness)
        self.history.append(row)
        return row

    # -- checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict:
        """The whole run as numpy arrays (``.npz``-ready, no pickle)."""
        d = {f"algorithm/{k}": v for k, v in self.algorithm.state_dict().items()}
        d["version"] = np.array(_CHECKPOINT_VERSION)
        d["config"] = np.array(self.config.to_toml())
        d["history"] = np.array(json.dumps(self.history))
        d["champion"] = self.champion if self.champion is not None else np.zeros(0, np.float32)
        d["champion_score"] = np.array(self.champion_score)
        d["champion_test"] = np.array(np.nan if self.champion_test is None else self.champion_test)
        d["validated_fitness"] = np.array(self.validated_fitness)
        d["validated"] = np.array(sorted(self.validated), dtype=np.uint64)
        d["bests"] = (np.stack(self.bests) if self.bests else np.zeros((0, self.net.num_params), np.float32))
        return d

    @classmethod
    def from_state_dict(cls, state: dict) -> "Evolution":
        """Rebuild a run from :meth:`state_dict`, checking every field first.

        Raises
        ------
        ValueError
            One line naming the first field that is missing, of the wrong
            type, shape or version, not finite, or inconsistent with the
            checkpoint's own config, network and game.
        """
        try:
            unknown = sorted(k for k in state if not k.startswith("algorithm/") and k not in _CHECKPOINT_KEYS)
            if unknown:
                raise ValueError(f"unknown field {unknown[0]!r}")
            version = _scalar(state, "version", np.integer)
            if version != _CHECKPOINT_VERSION:
                raise ValueError(f"checkpoint version {version} is not supported (this neuroevo writes "
                                 f"version {_CHECKPOINT_VERSION})")
            config = _config_field(state["config"], "checkpoint")
            run = cls(config)
            algo_state = {k[len("algorithm/"):]: v for k, v in state.items() if k.startswith("algorithm/")}
            algo = algorithms.restore(config, run.net, algo_state)
            found = tuple(getattr(algo, k, None) for k in ("num_params", "pop_size", "seed"))
            if found != (run.net.num_params, config.pop_size, config.seed):
                raise ValueError(f"its population ({found[1]} x {found[0]}, seed {found[2]}) does not "
                                 f"match its config ({config.pop_size} x {run.net.num_params}, seed {config.seed})")
            run.algorithm = algo
            run.history = _history_field(state["history"], algo.generation)
            run.champion = _genome_field(state["champion"], run.net.num_params, "champion", allow_empty=True)
            run.champion_score = _scalar(state, "champion_score", np.floating)
            test = _scalar(state, "champion_test", np.floating)
            run.champion_test = None if np.isnan(test) else test
            run.validated_fitness = _scalar(state, "validated_fitness", np.floating)
            validated = np.asarray(state["validated"])
            if validated.dtype != np.uint64 or validated.ndim != 1:
                raise ValueError("'validated' must be a uint64 vector")
            run.validated = {int(v) for v in validated}
            bests = np.asarray(state["bests"])
            if bests.dtype != np.float32 or bests.shape != (algo.generation, run.net.num_params) \
                    or not np.isfinite(bests).all():
                raise ValueError(f"'bests' must be finite float32 of shape ({algo.generation}, {run.net.num_params})")
            run.bests = list(bests.copy())
            if run.champion is None and (np.isfinite(run.champion_score) or run.champion_test is not None):
                raise ValueError("it has a champion score but no champion")
        except KeyError as e:
            raise ValueError(f"checkpoint is missing {e.args[0]!r}") from None
        except (ValueError, TypeError) as e:
            raise ValueError(f"checkpoint: {e}") from None
        return run


def _digest(genome: np.ndarray) -> int:
    """A 64-bit digest of a genome's bytes, the same in every process."""
    return int.from_bytes(hashlib.blake2b(genome.tobytes(), digest_size=8).digest(), "little")


def _scalar(d: dict, key: str, kind) -> float | int:
    """A 0-d array of ``kind`` (np.integer or np.floating) as a Python number."""
    v = np.asarray(d[key])
    ok = v.shape == () and (np.issubdtype(v.dtype, kind) or kind is np.floating and np.issubdtype(v.dtype, np.integer))
    if not ok:
        raise ValueError(f"{key!r} must be a single {'integer' if kind is np.integer else 'number'}, "
                         f"got {v.dtype} of shape {v.shape}")
    return int(v) if kind is np.integer else float(v)


def _text(value, key: str) -> str:
    v = np.asarray(value)
    if v.shape != () or v.dtype.kind != "U":
        raise ValueError(f"{key!r} must be a text field, got {v.dtype} of shape {v.shape}")
    return str(v)


def _config_field(value, what: str) -> RunConfig:
    """The run config stored in a checkpoint or champion, checked like a config file."""
    from evo.runs.config import tomllib
    try:
        settings = tomllib.loads(_text(value, "config"))
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


def _genome_field(value, num_params: int, key: str, allow_empty: bool = False) -> np.ndarray | None:
    g = np.asarray(value)
    if allow_empty and g.size == 0:
        return None
    if g.dtype != np.float32 or g.shape != (num_params,):
        raise ValueError(f"{key!r} must be float32 of shape ({num_params},), got {g.dtype} of shape {g.shape}")
    if not np.isfinite(g).all():
        raise ValueError(f"{key!r} has non-finite genes")
    return g.copy()


def _history_field(value, generations: int) -> list:
    try:
        history = json.loads(_text(value, "history"))
    except json.JSONDecodeError:
        raise ValueError("its history is not valid JSON") from None
    if not isinstance(history, list) or len(history) != generations:
        raise ValueError(f"its history must list {generations} generations")
    for i, row in enumerate(history):
        if not isinstance(row, dict) or set(row) != set(LOG_COLUMNS) or row["generation"] != i or not all(
                row[c] is None or isinstance(row[c], (int, float)) and not isinstance(row[c], bool)
                for c in LOG_COLUMNS):
            raise ValueError(f"its history row {i} is malformed")
    return history


@dataclass
class EvolveResult:
    """What :func:`evolve` returns."""

    history: list
    champion: np.ndarray | None
    champion_score: float
    solved: bool
    generations: int
    net: object
    env: object
    config: RunConfig


def evolve(env: str, *, generations: int | None = None, pop_size: int | None = None, seed: int = 0,
           callback: Callable[[dict], object] | None = None, **settings) -> EvolveResult:
    """Evolve networks for a game in one call.

    Parameters
    ----------
    env : str
        Game name, e.g. ``"cartpole"``.
    generations, pop_size, seed
        As in :class:`evo.runs.config.RunConfig`; unset ones take the game's defaults.
    callback : callable, optional
        Called with each generation's log row; returning ``False`` stops the run.
    **settings
        Any other :class:`evo.runs.config.RunConfig` field (``episodes``, ``hidden``,
        ``mutation``, ``target``, ...).

    Examples
    --------
    >>> result = evolve("cartpole", generations=30, seed=0)   # doctest: +SKIP
    >>> result.solved, result.champion_score                  # doctest: +SKIP
    """
    overrides = {k: v for k, v in dict(generations=generations, pop_size=pop_size, seed=seed).items()
                 if v is not None}
    config = RunConfig.from_dict({**overrides, **settings}, base=default_config(env))
    run = Evolution(config)
    while not run.finished:
        row = run.step()
        if callback is not None and callback(row) is False:
            break
    return EvolveResult(run.history, run.champion, run.champion_score, run.solved, run.generation,
                        run.net, run.env, config)


# -- files ----------------------------------------------------------------------------------


def check_output_dir(path) -> None:
    """Refuse, with one line, an output directory that cannot be a new run directory.

    Raises
    ------
    ValueError
        Empty path; an existing file or device; a non-empty directory; a path
        through a file; or a place this user cannot write.
    """
    if str(path).strip() == "":
        raise ValueError("the output directory must be a non-empty path")
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise ValueError(f"{path} exists and is not a directory")
        if any(path.iterdir()):
            raise ValueError(f"{path} already exists and is not empty (use --resume {path} to continue)")
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"{path} lies inside {ancestor}, which is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in {ancestor}: permission denied")


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: Path, arrays: dict) -> None:
    """Write arrays as an ``.npz`` that ``np.load`` reads, atomically and byte-reproducibly.

    ``np.savez`` stamps each member with the current time; here every member
    carries a fixed timestamp, so the same arrays always give the same bytes.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    atomic_write(path, buf.getvalue())


def load_npz(path: Path, what: str) -> dict:
    """Load an ``.npz`` without pickle; a missing or corrupted file raises ValueError."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no {what} at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as e:  # zipfile, pickle refusal, truncated data: all mean "corrupted"
        raise ValueError(f"corrupted {what} {path}: {type(e).__name__}: {e}") from None


class RunDir:
    """The files of a run: ``config.toml``, ``log.csv``, ``timing.csv``,
    ``checkpoint.npz``, ``champion.npz`` and ``fitness.png``.

    Every file but ``timing.csv`` holds only what the config and seed
    determine, so an interrupted and resumed run, or a run played on Ray,
    leaves the same bytes as an uninterrupted local one; wall-clock times and
    the backend that played each generation go to ``timing.csv``.
    """

    def __init__(self, path):
        if str(path).strip() == "":
            raise ValueError("the output directory must be a non-empty path")
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.toml")
    log_path = property(lambda self: self.path / "log.csv")
    timing_path = property(lambda self: self.path / "timing.csv")
    checkpoint_path = property(lambda self: self.path / "checkpoint.npz")
    champion_path = property(lambda self: self.path / "champion.npz")
    plot_path = property(lambda self: self.path / "fitness.png")

    def create(self, run: Evolution) -> None:
        """Make the directory with ``config.toml`` and a generation-0 checkpoint, all at once.

        The files are written into a temporary sibling directory that is then
        renamed into place, so a run killed at any moment either left nothing
        or left a directory that ``--resume`` continues. The directory is
        locked (:meth:`lock`) before this returns.
        """
        check_output_dir(self.path)
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # as a plain mkdir would have made it
            RunDir(tmp).write_files(run)
            os.replace(tmp, self.path)  # fails if another process got there first
        except OSError as e:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise ValueError(f"cannot create {self.path}: {e.strerror}") from None
        self.lock()

    def write_files(self, run: Evolution) -> None:
        """Write config.toml, log.csv, checkpoint.npz and champion.npz for ``run``'s current state."""
        atomic_write(self.config_path, run.config.to_toml())
        self.write_log(run.history)
        self.save_checkpoint(run)
        self.save_champion(run)

    def lock(self) -> None:
        """Hold an exclusive lock on the directory for this process's lifetime.

        Raises
        ------
        ValueError
            Another process (a run, a resume, a watch) holds it.
        """
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ValueError(f"{self.path} is in use by another neuroevo process") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release :meth:`lock` (the end of the process releases it too)."""
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            os.close(fd)
            self._lock_fd = None

    def clean_temporary_files(self) -> list:
        """Remove the temporary files a killed writer left behind; returns their names."""
        left = [p for p in self.path.glob(".*.tmp*") if p.is_file()]
        for p in left:
            p.unlink()
        return [p.name for p in left]

    def write_log(self, history: list) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(LOG_COLUMNS)
        for row in history:
            w.writerow([repr(row[c]) if isinstance(row[c], float) else row[c] for c in LOG_COLUMNS])
        atomic_write(self.log_path, buf.getvalue())

    def write_timing(self, timing: list) -> None:
        """``timing.csv``: per generation, the seconds it took, wall seconds since the run began, environment
        steps per second and the backend that played it."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TIMING_COLUMNS)
        w.writerows(timing)
        atomic_write(self.timing_path, buf.getvalue())

    def read_timing(self) -> list:
        """The rows of :meth:`write_timing`; an unreadable file gives none (timing never decides a result)."""
        try:
            with open(self.timing_path, newline="") as f:
                rows = list(csv.reader(f))
            if tuple(rows[0]) != TIMING_COLUMNS:
                return []
            return [(int(g), float(s), float(w), float(r), b) for g, s, w, r, b in rows[1:]]
        except (OSError, ValueError, IndexError):
            return []

    def save_checkpoint(self, run: Evolution) -> None:
        save_npz(self.checkpoint_path, run.state_dict())

    def load_checkpoint(self) -> Evolution:
        return Evolution.from_state_dict(load_npz(self.checkpoint_path, "checkpoint"))

    def save_champion(self, run: Evolution) -> None:
        if run.champion is None:
            return
        save_npz(self.champion_path, champion_arrays(run))

    def plot(self, history: list) -> None:
        from evo.runs.plot import fitness_png
        atomic_write(self.plot_path, fitness_png(history))


def champion_arrays(run: Evolution) -> dict:
    """The champion with everything needed to play it again: network, game, config, and its scores."""
    return {
        "version": np.array(_CHECKPOINT_VERSION),
        "genome": run.champion,
        "validation": np.array(run.champion_score),
        "test": np.array(np.nan if run.champion_test is None else run.champion_test),
        "test_episodes": np.array(run.config.test_episodes),
        "network": np.array(json.dumps(run.net.to_dict())),
        "env": np.array(run.config.env),
        "env_params": np.array(json.dumps(run.config.env_params)),
        "config": np.array(run.config.to_toml()),
    }


@dataclass
class Champion:
    """A run's champion as :func:`load_champion` reads it.

    ``test`` is None when the champion was never tested; ``held_out_seed`` and
    ``config.test_episodes`` name the episodes it was (or would be) tested on.
    """

    env: object
    net: object
    genome: np.ndarray
    validation: float
    test: float | None
    config: RunConfig

    @property
    def held_out_seed(self) -> int:
        return held_out_seed(self.config.seed)


def load_champion(path) -> Champion:
    """Load ``champion.npz`` (or a run directory's), checking every field before use.

    Raises
    ------
    ValueError
        One line: missing or corrupted file, or a field of the wrong type,
        shape or version, not finite, or inconsistent with the champion's
        config, network or game.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "champion.npz"
    d = load_npz(path, "champion")
    try:
        version = _scalar(d, "version", np.integer)
        if version != _CHECKPOINT_VERSION:
            raise ValueError(f"version {version} is not supported (this neuroevo writes {_CHECKPOINT_VERSION})")
        config = _config_field(d["config"], "champion")
        env = envs.make(config.env, level=config.level or None, **config.env_params)
        net = network(config, env)
        if (_text(d["env"], "env") != config.env or json.loads(_text(d["env_params"], "env_params")) != config.env_params
                or json.loads(_text(d["network"], "network")) != net.to_dict()):
            raise ValueError("its env, env_params or network disagree with its config")
        genome = _genome_field(d["genome"], net.num_params, "genome")
        validation = _scalar(d, "validation", np.floating)
        test = _scalar(d, "test", np.floating)
        if _scalar(d, "test_episodes", np.integer) != config.test_episodes:
            raise ValueError("its test_episodes disagree with its config")
    except KeyError as e:
        raise ValueError(f"corrupted champion {path}: missing {e.args[0]!r}") from None
    except (ValueError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"corrupted champion {path}: {e}") from None
    return Champion(env, net, genome, validation, None if np.isnan(test) else test, config)


def now() -> float:
    return time.perf_counter()
