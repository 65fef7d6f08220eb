"""Runs: the generation loop of a game, its files, checkpoints and resume.

:class:`Evolution` owns one run's state (game, network, GA, history,
champion) and advances it a generation at a time; :func:`evolve` is the
one-call API on top of it; :class:`RunDir` writes and reads a run's files.

Every generation ``g`` evaluates the population on episodes keyed by
``(seed, g)``, then validates that generation's best genome on fresh episodes
keyed apart from them. The champion is the genome with the best validation
score so far. The run is solved when that score reaches the target.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

import envs
from envs.rng import key as _key
from evo.config import RunConfig, default_config
from evo.evaluate import rollout
from evo.ga import GeneticAlgorithm
from evo.networks import MLP

LOG_COLUMNS = ("generation", "best", "mean", "median", "std", "min", "validation", "env_steps")
_TRAIN, _VALIDATE = 1, 2
_CHECKPOINT_VERSION = 1


def episode_seed(seed: int, generation: int, purpose: int) -> int:
    """The episode key of a generation: different per generation and per purpose (train, validate)."""
    return int(_key(np.uint64(seed), np.uint64(generation), np.uint64(purpose)) >> np.uint64(1))


class Evolution:
    """One run, advanced a generation at a time.

    Attributes
    ----------
    config : RunConfig
    env : envs.Env
    net : MLP
    ga : GeneticAlgorithm
    history : list of dict
        One row per generation, keys :data:`LOG_COLUMNS`.
    champion : ndarray of shape (G,) or None
    champion_score : float
        Validation score of the champion.
    """

    def __init__(self, config: RunConfig):
        self.config = config.validate()
        self.env = envs.make(config.env, **config.env_params)
        self.net = MLP([self.env.obs_size, *config.hidden, self.env.num_outputs],
                       hidden=config.activation, output=config.output, init=config.init)
        self.target = float(config.target) if config.target is not None else float(self.env.solved_at)
        self.ga = GeneticAlgorithm(
            num_params=self.net.num_params, pop_size=config.pop_size, seed=config.seed,
            selection=dict(config.selection), crossover=dict(config.crossover),
            mutation=dict(config.mutation), elite=config.elite, crossover_rate=config.crossover_rate,
            init=self.net.init, layout=self.net.layout)
        self.history: list[dict] = []
        self.champion: np.ndarray | None = None
        self.champion_score = -np.inf
        self.last_steps = 0

    @property
    def generation(self) -> int:
        return self.ga.generation

    @property
    def solved(self) -> bool:
        return self.champion_score >= self.target

    @property
    def finished(self) -> bool:
        return self.solved or self.generation >= self.config.generations

    def train_seed(self, generation: int | None = None) -> int:
        return episode_seed(self.config.seed, self.generation if generation is None else generation, _TRAIN)

    def step(self, returns: np.ndarray | None = None, steps: np.ndarray | None = None) -> dict:
        """Evaluate, validate and breed one generation; returns its log row.

        ``returns``/``steps`` of shape (P, episodes) may be given when the
        caller already played the generation (the viewer does, step by step);
        they must be what :func:`evo.rollout` gives for :meth:`train_seed`.
        """
        genomes = self.ga.ask()
        if returns is None:
            r = rollout(self.env, self.net, genomes, self.config.episodes, self.train_seed(),
                        backend=self.config.backend, address=self.config.address or None)
            returns, steps = r.returns, r.steps
        fitness = returns.mean(axis=1)
        if np.isnan(fitness).all():
            raise ValueError(f"generation {self.generation}: every fitness is NaN")
        best = int(np.nanargmax(fitness))
        val = rollout(self.env, self.net, genomes[best:best + 1], self.config.validation_episodes,
                      episode_seed(self.config.seed, self.generation, _VALIDATE))
        score = float(val.fitness[0])
        if score > self.champion_score:
            self.champion_score = score
            self.champion = np.array(genomes[best])
        self.last_steps = int(steps.sum() + val.steps.sum())
        row = {
            "generation": self.generation,
            "best": float(np.nanmax(fitness)),
            "mean": float(np.nanmean(fitness)),
            "median": float(np.nanmedian(fitness)),
            "std": float(np.nanstd(fitness)),
            "min": float(np.nanmin(fitness)),
            "validation": score,
            "env_steps": self.last_steps,
        }
        self.ga.tell(fitness)
        self.history.append(row)
        return row

    # -- checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict:
        """The whole run as numpy arrays (``.npz``-ready, no pickle)."""
        d = {f"ga/{k}": v for k, v in self.ga.state_dict().items()}
        d["version"] = np.array(_CHECKPOINT_VERSION)
        d["config"] = np.array(self.config.to_toml())
        d["history"] = np.array(json.dumps(self.history))
        d["champion"] = self.champion if self.champion is not None else np.zeros(0, np.float32)
        d["champion_score"] = np.array(self.champion_score)
        return d

    @classmethod
    def from_state_dict(cls, state: dict) -> "Evolution":
        """Rebuild a run from :meth:`state_dict`; raises ValueError naming what is wrong."""
        from evo.config import tomllib
        try:
            if int(state["version"]) != _CHECKPOINT_VERSION:
                raise ValueError(f"checkpoint version {int(state['version'])} is not supported")
            config = RunConfig.from_dict(tomllib.loads(str(state["config"])))
            run = cls(config)
            ga_state = {k[3:]: v for k, v in state.items() if k.startswith("ga/")}
            run.ga = GeneticAlgorithm.from_state_dict(ga_state, layout=run.net.layout)
            if run.ga.num_params != run.net.num_params:
                raise ValueError("checkpoint genome length does not match its network")
            run.history = json.loads(str(state["history"]))
            champion = np.asarray(state["champion"], dtype=np.float32)
            run.champion = champion.copy() if champion.size else None
            run.champion_score = float(state["champion_score"])
        except KeyError as e:
            raise ValueError(f"checkpoint is missing {e.args[0]!r}") from None
        return run


@dataclass
class EvolveResult:
    """What :func:`evolve` returns."""

    history: list
    champion: np.ndarray | None
    champion_score: float
    solved: bool
    generations: int
    net: MLP
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
        As in :class:`evo.config.RunConfig`; unset ones take the game's defaults.
    callback : callable, optional
        Called with each generation's log row; returning ``False`` stops the run.
    **settings
        Any other :class:`evo.config.RunConfig` field (``episodes``, ``hidden``,
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

    ``log.csv`` holds only what the seed determines, so an interrupted and
    resumed run leaves the same bytes as an uninterrupted one; wall-clock
    times go to ``timing.csv``.
    """

    def __init__(self, path):
        self.path = Path(path)

    config_path = property(lambda self: self.path / "config.toml")
    log_path = property(lambda self: self.path / "log.csv")
    timing_path = property(lambda self: self.path / "timing.csv")
    checkpoint_path = property(lambda self: self.path / "checkpoint.npz")
    champion_path = property(lambda self: self.path / "champion.npz")
    plot_path = property(lambda self: self.path / "fitness.png")

    def create(self, config: RunConfig) -> None:
        if self.path.exists() and any(self.path.iterdir()):
            raise ValueError(f"{self.path} already exists and is not empty (use --resume {self.path} to continue)")
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write(self.config_path, config.to_toml())

    def write_log(self, history: list) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(LOG_COLUMNS)
        for row in history:
            w.writerow([repr(row[c]) if isinstance(row[c], float) else row[c] for c in LOG_COLUMNS])
        atomic_write(self.log_path, buf.getvalue())

    def write_timing(self, timing: list) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(("generation", "wall_seconds", "env_steps_per_second"))
        w.writerows(timing)
        atomic_write(self.timing_path, buf.getvalue())

    def read_timing(self) -> list:
        try:
            with open(self.timing_path, newline="") as f:
                rows = list(csv.reader(f))[1:]
            return [(int(g), float(s), float(r)) for g, s, r in rows]
        except (OSError, ValueError):
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
        from evo.plot import fitness_png
        atomic_write(self.plot_path, fitness_png(history))


def champion_arrays(run: Evolution) -> dict:
    """The champion with everything needed to play it again: network, game, config."""
    return {
        "genome": run.champion,
        "score": np.array(run.champion_score),
        "network": np.array(json.dumps(run.net.to_dict())),
        "env": np.array(run.config.env),
        "env_params": np.array(json.dumps(run.config.env_params)),
        "config": np.array(run.config.to_toml()),
    }


def load_champion(path) -> tuple:
    """Load ``champion.npz`` (or a run directory's); returns (env, net, genome, score)."""
    path = Path(path)
    if path.is_dir():
        path = path / "champion.npz"
    d = load_npz(path, "champion")
    try:
        net = MLP.from_dict(json.loads(str(d["network"])))
        env = envs.make(str(d["env"]), **json.loads(str(d["env_params"])))
        genome = np.asarray(d["genome"], dtype=np.float32)
    except KeyError as e:
        raise ValueError(f"corrupted champion {path}: missing {e.args[0]!r}") from None
    if genome.shape != (net.num_params,):
        raise ValueError(f"corrupted champion {path}: genome does not fit its network")
    return env, net, genome, float(d["score"])


def now() -> float:
    return time.perf_counter()
