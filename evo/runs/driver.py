"""Runs: one run's state, advanced a generation at a time, and the one loop that drives it.

:class:`Evolution` owns one run's state (game, network, algorithm, history,
champion) and advances it a generation at a time (:meth:`Evolution.step`).
:class:`Driver` is the one generation loop: ``neuroevo run``, :func:`evolve`
and the viewer's ``neuroevo watch`` all go through it, and what each adds
(a progress bar, the run directory's files, a summary, a window) is a
:class:`~evo.runs.hooks.Hook` called at four points: after evaluation, at a generation's end,
at a checkpoint and when the run stops. The run directory's files are
:mod:`evo.runs.rundir`.

Every generation ``g`` evaluates the population on episodes keyed by
``(seed, g)``, then validates that generation's best genome on fresh episodes
keyed apart from them (by default only when it may beat the champion: see
``RunConfig.validate_on``). The champion is the genome with the best validation
score so far. Being the best of many validations flatters it (a winner's
curse), so a champion whose validation reaches the target is tested on
``test_episodes`` more, keyed apart from both. Each test plays episodes no
earlier test played (:func:`test_seed`: the run's first test is keyed by
:func:`held_out_seed`, its ``k``-th by ``k``), so a run that tests several
champions never chooses among them on the same episodes. The run is solved
when the lower end of the 95% confidence interval of the test mean
(:func:`test_lower`) reaches the target, and otherwise goes on: a test mean a
hair above the target is not enough. When a run ends unsolved its champion is
tested too. ``neuroevo eval`` plays the champion's own test episodes by
default and applies the same rule (:func:`verdict`), so its verdict and the
run's agree.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import envs
from envs.rng import key as _key
from evo._validation import check_memory
from evo.runs.config import RunConfig, default_config
from evo.runs.fields import config_field, genome_field, scalar_field, text_field
from evo.runs import budgets
from evo.runs.objectives import Objectives, expected_columns
from evo.runs.hooks import Hook
from evo.kernels.evaluate import rollout
from evo.kernels.play import choose_kernel
from evo.algorithms import registry as algorithms
from evo.networks.registry import build as build_network

LOG_COLUMNS = ("generation", "best", "mean", "median", "std", "min", "validation", "test", "test_lower",
               "env_steps", "validation_steps", "evaluations")
# a 95% confidence interval of a mean: mean +- Z * standard error (normal approximation over >= 30 episodes)
CONFIDENCE_Z = 1.96
_CHECKPOINT_KEYS = ("version", "config", "history", "champion", "champion_score", "champion_test",
                    "validated_fitness", "validated", "bests")
_TRAIN, _VALIDATE, _TEST, _HALL = 1, 2, 3, 4
CHECKPOINT_VERSION = 2


def episode_seed(seed: int, generation: int, purpose: int) -> int:
    """The episode key of a generation: different per generation and per purpose (train, validate, test)."""
    return int(_key(np.uint64(seed), np.uint64(generation), np.uint64(purpose)) >> np.uint64(1))


def network(config: RunConfig, env):
    """The network of a run config for ``env``: an MLP or a recurrent network (``config.network``), or
    NEAT's compiled networks when the algorithm is ``neat``."""
    if config.algorithm.get("name") == "neat":
        return algorithms.neat_network(config, env)
    return build_network(config.network, [env.obs_size, *config.hidden, env.num_outputs],
                         activation=config.activation, output=config.output, init=config.init,
                         conv=config.conv, input_shape=env.obs_shape)


def held_out_seed(seed: int) -> int:
    """The key of a run's test episodes: one set per run seed, apart from every training and validation key."""
    return episode_seed(seed, 0, _TEST)


def test_seed(seed: int, number: int) -> int:
    """The key of a run's ``number``-th test (0, 1, ...): apart from every training and validation key,
    and from every other test's; the first is :func:`held_out_seed`."""
    return episode_seed(seed, number, _TEST)


def test_results(env, net, genome: np.ndarray, episodes: int, seed: int, fixed=(), kernel: str = "auto") -> list:
    """``(name, rollout result)`` of ``genome`` on every test set of ``env`` (:meth:`envs.Env.test_sets`):
    the racer's hand-drawn tracks, a data set's held-out split, or the game itself."""
    return [(name, rollout(test_env, net, genome[None], episodes, seed, kernel=kernel))
            for name, test_env in env.test_sets(fixed)]


def test_score(results: list) -> float:
    """A run's test score: the worst test set's mean return."""
    return min(float(r.fitness[0]) for _, r in results)


def test_lower(results: list) -> float:
    """The lower end of the 95% confidence interval of the test mean, of the worst test set.

    Per test set, ``mean - 1.96 * std / sqrt(n)`` over its ``n`` episodes (the
    sample standard deviation); the lowest over the sets. One episode gives no
    interval: ``-inf``. A run is solved when this reaches its target.
    """
    bounds = []
    for _, r in results:
        returns = np.asarray(r.returns[0], dtype=np.float64)
        n = returns.size
        spread = CONFIDENCE_Z * returns.std(ddof=1) / np.sqrt(n) if n > 1 else np.inf
        bounds.append(float(returns.mean() - spread))
    return min(bounds)


def verdict(mean: float, lower: float, target: float) -> str:
    """Why a test solves or does not, e.g. ``"test mean 499.9, 95% lower bound 499.6 >= 475"``
    (solved: the bound reaches the target) or ``"... < 475"`` (not solved)."""
    return f"test mean {mean:.4g}, 95% lower bound {lower:.4g} {'>=' if lower >= target else '<'} {target:.4g}"


def memory_need(config: RunConfig) -> tuple:
    """(what, bytes): the largest rollout of a run, for :func:`evo._validation.check_memory`.

    A generation plays ``pop_size x episodes`` (genome, episode) pairs; validation and each test
    play one genome on ``validation_episodes`` and ``test_episodes``. Each pair keeps a return
    and a step count (16 bytes); ``what`` names the setting that decides.
    """
    plays = [(config.pop_size * config.episodes,
              f"a generation of pop_size {config.pop_size} x episodes {config.episodes}"),
             (config.validation_episodes, f"validation_episodes {config.validation_episodes}"),
             (config.test_episodes, f"test_episodes {config.test_episodes} (each champion's test)")]
    pairs, what = max(plays, key=lambda p: p[0])
    return what, 16.0 * pairs


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
    champion_lower : float or None
        The lower end of the 95% interval of that test mean (:func:`test_lower`); None until tested.
    tests : int
        Tests played so far; the next one is keyed by ``test_seed(seed, tests)``.
    """

    def __init__(self, config: RunConfig, init: np.ndarray | None = None):
        self.config = config.validate()
        self.env = envs.make(config.env, level=config.level or None, obs=config.obs, **config.env_params)
        self.net = network(config, self.env)
        check_memory(*memory_need(config))
        if self.self_play and (config.network != "mlp" or len(config.hidden) > 1 or config.backend != "local"
                               or config.algorithm.get("name") == "neat"):
            raise ValueError("self_play needs a feed-forward network with at most one hidden layer "
                             "(network = mlp) and the local backend")
        self.target = float(config.target) if config.target is not None else float(self.env.solved_at)
        if init is not None:  # the genomes the run starts from (neuroevo run --from)
            init = np.asarray(init)
            if init.ndim == 1:
                init = init[None]
            if init.ndim != 2 or init.shape[0] < 1 or init.shape[1] != self.net.num_params \
                    or init.dtype.kind not in "iuf" or not np.isfinite(init).all():
                raise ValueError(f"init must be finite genomes of {self.net.num_params} genes (the network "
                                 f"{list(self.net.sizes)}), got shape {init.shape}")
        self.algorithm = algorithms.build(config, self.net, init)
        self.objectives = Objectives(config.objectives, self.env)  # beside the return (evo.runs.objectives)
        if self.needs_behaviour and not (self.env.fused and self.env.describes):
            raise ValueError(f"algorithm {config.algorithm['name']!r} scores behaviour, and {self.env.name} has no "
                             f"behaviour descriptor; choose a game that describes one or another algorithm")
        # one kernel for every rollout of the run (the same results whichever plays): a run compiles one
        self.pairs = getattr(self.algorithm, "pop_size", config.pop_size) * config.episodes  # per generation
        self.kernel = choose_kernel(self.net, "auto", self.env, self.pairs)
        self.history: list[dict] = []
        self.champion: np.ndarray | None = None
        self.champion_score = -np.inf
        self.validated_fitness = -np.inf  # best training fitness of a genome validated so far
        self.validated: set[int] = set()  # digests of the genomes validated so far
        self.bests: list[np.ndarray] = []  # every generation's best genome, for replaying the story
        self.champion_test: float | None = None
        self.champion_lower: float | None = None
        self.tests = 0
        self._tested_seed: int | None = None  # the key of the champion's test
        self.last_steps = 0
        self.driven_seconds = None  # seconds a Driver has driven the run in this process (max_seconds)

    @property
    def generation(self) -> int:
        return self.algorithm.generation

    @property
    def solved(self) -> bool:
        """The lower end of the 95% interval of the champion's test mean reached the target."""
        return self.champion_lower is not None and self.champion_lower >= self.target

    @property
    def champion_test_seed(self) -> int:
        """The key of the champion's test episodes: those it was tested on, or the next test's when untested."""
        if self.champion_test is not None and self._tested_seed is not None:
            return self._tested_seed
        return test_seed(self.config.seed, self.tests)

    @property
    def finished(self) -> bool:
        return self.solved or self.generation >= self.config.generations or self.budget_spent is not None

    @property
    def budget_spent(self) -> str | None:
        """The budget (:mod:`evo.runs.budgets`) the run has spent, checked after each generation, or None.

        ``max_steps`` counts the environment steps played, ``max_evaluations`` the genomes evaluated on
        training episodes (the ``evaluations`` of the log), ``max_seconds`` the seconds :meth:`Driver.drive`
        has driven the run in this process. A spent budget finishes the run, like its last generation.
        """
        return budgets.spent(self)

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

    def evaluate(self):
        """Play this generation's population on its training episodes; returns the :class:`evo.Rollout`.

        The population is :meth:`algorithm.ask <evo.GeneticAlgorithm.ask>`'s
        (the same until :meth:`step` breeds), the game :meth:`train_env`, the
        episodes keyed by :meth:`train_seed`, on the config's backend.
        """
        return rollout(self.train_env(), self.net, self.algorithm.ask(), self.config.episodes, self.train_seed(),
                       kernel=self.kernel, backend=self.config.backend, address=self.config.address or None,
                       behaviour=self.needs_behaviour)

    def step(self, returns: np.ndarray | None = None, steps: np.ndarray | None = None,
             behaviour: np.ndarray | None = None) -> dict:
        """Evaluate, validate and breed one generation; returns its log row.

        ``returns``/``steps`` of shape (P, episodes) may be given when the
        caller already played the generation (:class:`Driver` and the viewer
        do); they must be what :meth:`evaluate` gives, and ``behaviour`` its
        (P, D) descriptors when :attr:`needs_behaviour`.
        """
        genomes = self.algorithm.ask()
        if returns is None:
            r = self.evaluate()
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
                replay = rollout(self.env, self.net, self.champion[None], self.config.episodes, self.train_seed(),
                                 kernel=self.kernel)
                bar = float(replay.fitness[0])
                validation_steps += replay.total_steps
            best = top[0] if top and fitness[best] >= bar else None
        if best is not None:
            self.validated.add(_digest(genomes[best]))
            self.validated_fitness = max(self.validated_fitness, float(fitness[best]))
            val = rollout(self.env, self.net, genomes[best:best + 1], self.config.validation_episodes,
                          episode_seed(self.config.seed, self.generation, _VALIDATE), kernel=self.kernel)
            score = float(val.fitness[0])
            validation_steps += val.total_steps
            if score > self.champion_score:
                self.champion_score = score
                self.champion = np.array(genomes[best])
                self.champion_test = self.champion_lower = None
        test = lower = None
        last = self.generation + 1 >= self.config.generations
        if self.champion is not None and self.champion_test is None and (self.champion_score >= self.target or last):
            self._tested_seed = test_seed(self.config.seed, self.tests)
            results = test_results(self.env, self.net, self.champion, self.config.test_episodes,
                                   self._tested_seed, kernel=self.kernel)
            self.tests += 1
            test = self.champion_test = test_score(results)
            lower = self.champion_lower = test_lower(results)
            validation_steps += sum(r.total_steps for _, r in results)
        self.last_steps = int(steps.sum() + validation_steps)
        told = self.objectives.told(genomes, returns, steps, fitness)  # fitness, or (P, M) several objectives
        row = {
            "generation": self.generation,
            "best": float(np.nanmax(fitness)),
            "mean": float(np.nanmean(fitness)),
            "median": float(np.nanmedian(fitness)),
            "std": float(np.nanstd(fitness)),
            "min": float(np.nanmin(fitness)),
            "validation": score,
            "test": test,
            "test_lower": lower,
            "env_steps": int(steps.sum()),
            "validation_steps": validation_steps,
            "evaluations": (self.history[-1]["evaluations"] if self.history else 0) + len(genomes),
            **self.objectives.columns(told),
        }
        if self.needs_behaviour:
            self.algorithm.tell(fitness, behaviour)
        else:
            self.algorithm.tell(told)
        self.history.append(row)
        return row

    # -- checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict:
        """The whole run as numpy arrays (``.npz``-ready, no pickle)."""
        d = {f"algorithm/{k}": v for k, v in self.algorithm.state_dict().items()}
        d["version"] = np.array(CHECKPOINT_VERSION)
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
            version = scalar_field(state, "version", np.integer)
            if version != CHECKPOINT_VERSION:
                raise ValueError(f"checkpoint version {version} is not supported (this neuroevo writes "
                                 f"version {CHECKPOINT_VERSION})")
            config = config_field(state["config"], "checkpoint")
            run = cls(config)
            algo_state = {k[len("algorithm/"):]: v for k, v in state.items() if k.startswith("algorithm/")}
            algo = algorithms.restore(config, run.net, algo_state)
            found = tuple(getattr(algo, k, None) for k in ("num_params", "pop_size", "seed"))
            if found != (run.net.num_params, config.pop_size, config.seed):
                raise ValueError(f"its population ({found[1]} x {found[0]}, seed {found[2]}) does not "
                                 f"match its config ({config.pop_size} x {run.net.num_params}, seed {config.seed})")
            if _settings(algo) != _settings(run.algorithm):
                raise ValueError(f"its {type(algo).__name__} settings {_settings(algo)} do not match its config's "
                                 f"{_settings(run.algorithm)}")
            run.algorithm = algo
            state = {**state, "history": budgets.with_evaluations(state["history"], config.pop_size)}
            run.history, old_log = _history_field(state["history"], algo.generation, config.objectives)
            run.champion = genome_field(state["champion"], run.net.num_params, "champion", allow_empty=True)
            run.champion_score = scalar_field(state, "champion_score", np.floating)
            test = scalar_field(state, "champion_test", np.floating)
            run.champion_test = None if np.isnan(test) else test
            _restore_tests(run, old_log)
            run.validated_fitness = scalar_field(state, "validated_fitness", np.floating)
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


def _settings(algorithm) -> str:
    """An algorithm's constructor settings (its ``config()``) as JSON text: a checkpoint's must be its config's."""
    config = getattr(algorithm, "config", None)  # NEAT's settings live in its state's own config
    return json.dumps(config(), sort_keys=True) if config is not None else ""


def _digest(genome: np.ndarray) -> int:
    """A 64-bit digest of a genome's bytes, the same in every process."""
    return int.from_bytes(hashlib.blake2b(genome.tobytes(), digest_size=8).digest(), "little")


def _restore_tests(run: Evolution, old_log: bool) -> None:
    """The test bookkeeping of a restored run, which its history holds: the tests played, and the
    champion's test key and lower bound (the last test's, when the champion has a test score).

    A run written before tests had a lower bound (``old_log``) tested every champion on its first
    test key; a champion it declared solved by its test mean alone is tested again, on fresh
    episodes, before the run can be solved.
    """
    tested = [row for row in run.history if row["test"] is not None]
    run.tests = len(tested)
    if run.champion_test is None:
        return
    if old_log:
        run._tested_seed = held_out_seed(run.config.seed)
        if run.champion_test >= run.target:
            run.champion_test = None
        return
    if not tested or tested[-1]["test"] != run.champion_test:
        raise ValueError("'champion_test' is not the last test of its history")
    run._tested_seed = test_seed(run.config.seed, run.tests - 1)
    run.champion_lower = tested[-1]["test_lower"]


def _history_field(value, generations: int, objectives=()) -> tuple:
    """The history of a checkpoint and whether it was written before ``test_lower`` was logged
    (its rows then get ``test_lower = None``)."""
    try:
        history = json.loads(text_field(value, "history"))
    except json.JSONDecodeError:
        raise ValueError("its history is not valid JSON") from None
    if not isinstance(history, list) or len(history) != generations:
        raise ValueError(f"its history must list {generations} generations")
    old_log = bool(history) and all(isinstance(row, dict) and "test_lower" not in row for row in history)
    if old_log:
        history = [{**row, "test_lower": None} for row in history]
    for i, row in enumerate(history):
        if not isinstance(row, dict) or set(row) != {*LOG_COLUMNS, *expected_columns(objectives)} \
                or row["generation"] != i or not all(row[c] is None or isinstance(row[c], (int, float))
                                                     and not isinstance(row[c], bool) for c in row):
            raise ValueError(f"its history row {i} is malformed")
    return history, old_log


# -- the loop -------------------------------------------------------------------------------


class Driver:
    """The generation loop of a run: evaluate, breed, checkpoint, stop, with hooks at each point.

    Parameters
    ----------
    run : Evolution
        The run to advance (new, or restored from a checkpoint).
    hooks : sequence of evo.runs.hooks.Hook
        Called at each hook point, in this order.

    Notes
    -----
    :meth:`drive` plays generations until the run is finished or a stop is
    requested. A caller that paces the generations itself (the viewer) calls
    :meth:`evaluate`, :meth:`generation` and :meth:`stop` instead; the hooks
    see the same points either way. A stop is requested between generations:
    the one being played is finished, bred and logged first.
    """

    def __init__(self, run: Evolution, hooks=()):
        self.run = run
        self.hooks = list(hooks)
        self.stop_requested = False
        self._kept = None  # the generation whose state the checkpoint hooks were last given

    def _call(self, point: str, *args) -> list:
        return [getattr(h, point)(self.run, *args) for h in self.hooks if hasattr(h, point)]

    def request_stop(self) -> None:
        """Stop after the generation being played (safe to call from a signal handler)."""
        self.stop_requested = True

    def evaluate(self):
        """Play the current generation (:meth:`Evolution.evaluate`) and call the ``after_evaluation`` hooks."""
        result = self.run.evaluate()
        self._call("after_evaluation", result)
        return result

    def generation(self, result=None) -> dict:
        """Play (unless ``result``, from :meth:`evaluate`, is given) and breed one generation.

        Calls the ``generation_end`` hooks, then the ``checkpoint`` hooks when
        the generation is a multiple of ``checkpoint_every`` or the run has
        finished. Returns the generation's log row.
        """
        run = self.run
        t0 = time.perf_counter()
        if result is None:
            result = self.evaluate()
        row = run.step(result.returns, result.steps, result.behaviour)
        seconds = time.perf_counter() - t0
        if any(answer is False for answer in self._call("generation_end", row, seconds)):
            self.request_stop()
        if run.generation % run.config.checkpoint_every == 0 or run.finished:
            self.checkpoint()
        return row

    def checkpoint(self) -> None:
        """Call the ``checkpoint`` hooks for the run's current state."""
        self._kept = self.run.generation
        self._call("checkpoint")

    def drive(self, stop_on: dict | None = None) -> str:
        """Play generations until the run finishes or a stop is requested; then :meth:`stop`.

        Parameters
        ----------
        stop_on : dict, optional
            Exception types that end the run like a stop request, each mapped
            to the reason the ``stop`` hooks are given (the Ray backend's lost
            cluster, for one). Raised while a generation is played, before it
            changes the run, so the run stops at the start of that generation.
            Any other exception propagates, and no hook is called.

        Returns
        -------
        str
            The reason the run stopped (see :meth:`evo.runs.hooks.Hook.stop`).
        """
        stop_on = dict(stop_on or {})
        start = time.perf_counter()
        try:
            while not self.run.finished:
                self.generation()
                self.run.driven_seconds = time.perf_counter() - start  # max_seconds counts this process's time
                if self.stop_requested:
                    return self.stop("requested")
        except tuple(stop_on) as e:
            return self.stop(next(reason for kind, reason in stop_on.items() if isinstance(e, kind)), e)
        return self.stop("finished")

    def stop(self, reason: str, error: BaseException | None = None) -> str:
        """End the run: the ``checkpoint`` hooks (unless the current state was just kept),
        then the ``stop`` hooks. Returns ``reason``."""
        if self._kept != self.run.generation:
            self.checkpoint()
        self._call("stop", reason, error)
        return reason


class _Callback(Hook):
    """:func:`evolve`'s ``callback`` as a hook: called with each log row, ``False`` stops the run."""

    def __init__(self, callback):
        self.callback = callback

    def generation_end(self, run, row, seconds):
        return self.callback(row) is not False


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
           callback: Callable[[dict], object] | None = None, hooks=(), init=None, **settings) -> EvolveResult:
    """Evolve networks for a game in one call.

    Parameters
    ----------
    env : str
        Game name, e.g. ``"cartpole"``.
    generations, pop_size, seed
        As in :class:`evo.runs.config.RunConfig`; unset ones take the game's defaults.
    callback : callable, optional
        Called with each generation's log row; returning ``False`` stops the run.
    hooks : sequence of evo.runs.hooks.Hook, optional
        More hook objects for the run's :class:`Driver`, called after ``callback``.
    init : ndarray of shape (R, G) or (G,), optional
        Genomes to start from (a population's genome ``i`` is row ``i % R``; a strategy's mean is their
        mean), e.g. an earlier result's champion; default the network's random initialisation.
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
    config = RunConfig.from_dict({**overrides, **settings},
                                 base=default_config(env, settings.get("algorithm"), settings.get("obs"),
                                                     settings.get("network")))
    run = Evolution(config, init)
    Driver(run, ([_Callback(callback)] if callback is not None else []) + list(hooks)).drive()
    return EvolveResult(run.history, run.champion, run.champion_score, run.solved, run.generation,
                        run.net, run.env, config)
