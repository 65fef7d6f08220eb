"""Diversity: fitness sharing, novelty search and MAP-Elites.

Where the score misleads (a maze whose straight line to the goal ends in a
wall), a search that follows it converges on the trap. These keep a search
spread out:

:func:`shared_fitness`
    Goldberg and Richardson's fitness sharing (1987): a genome's fitness is
    divided by its niche count, the summed similarity of the genomes around it
    in genome space. A transform for any ask/tell loop:
    ``ga.tell(shared_fitness(fitness, genomes, radius=1.0))``.
:class:`NoveltySearch`
    Lehman and Stanley's novelty search (2011): a genome is scored by how far
    its *behaviour* (a descriptor of what it did, e.g. where the robot ended
    up; see ``envs.Env.describe``) lies from the behaviours seen before, the
    mean distance to its ``k`` nearest neighbours among the population and an
    archive of past novel behaviours; a GA breeds on that score, optionally
    mixed with fitness.
:class:`MAPElites`
    Mouret and Clune's MAP-Elites (2015): a grid over two behaviour
    dimensions keeps the best genome found in every cell; children are
    variations of elites drawn uniformly from the filled cells.

Both algorithms have the ask/tell surface of :class:`evo.algorithms.ga.GeneticAlgorithm`
with one difference: ``tell(fitness, behaviour)`` also takes every genome's
behaviour descriptor, shape (P, D) (``needs_behaviour`` is True, which is how
a run knows to ask the rollout for descriptors). ``best_genome`` and
``best_fitness`` are by fitness, as for every algorithm; their state is
``state_dict()`` / ``from_state_dict()`` and a restored one continues bit for
bit.
"""

from __future__ import annotations

import json

import numpy as np

from evo._validation import (MAX_SEED, as_numbers, check_int, check_memory, check_number, state_array, state_int,
                              state_number, state_rng, state_text)
from evo.algorithms.ga import GeneticAlgorithm, reading_state

# The largest step a MAP-Elites child takes: genomes are float32, finite only below 3.4e38.
_LARGEST = 1e30
_STATE_VERSION = 1


# -- fitness sharing ------------------------------------------------------------------------------


def shared_fitness(fitness, genomes, radius: float, alpha: float = 1.0) -> np.ndarray:
    """Fitness divided by the niche count in genome space (Goldberg and Richardson, 1987).

    The sharing function of two genomes at Euclidean distance ``d`` is
    ``sh(d) = 1 - (d / radius) ** alpha`` when ``d < radius``, else 0; a
    genome's niche count is ``m_i = sum_j sh(d_ij)``, itself included
    (``m_i >= 1``). The shared fitness is ``f_i / m_i``, which lowers a
    crowded genome's fitness only where ``f_i >= 0``; a negative fitness is
    multiplied instead, ``f_i * m_i``, so that crowding always lowers it (and
    the result keeps the sign of the fitness). NaN fitness stays NaN (the worst).

    Parameters
    ----------
    fitness : array_like of shape (P,)
        Maximised.
    genomes : array_like of shape (P, G)
    radius : float
        Niche radius ``sigma_share`` (> 0), in genome-space distance.
    alpha : float
        Shape of the sharing function (> 0); 1 is the triangular kernel.

    Returns
    -------
    ndarray of shape (P,), float64
    """
    fitness = np.asarray(fitness, dtype=np.float64)
    x = np.asarray(genomes, dtype=np.float64)
    if fitness.ndim != 1 or x.ndim != 2 or x.shape[0] != fitness.shape[0]:
        raise ValueError(f"fitness (P,) and genomes (P, G) must agree, got {fitness.shape} and {x.shape}")
    radius = check_number("radius", radius, 0.0)
    alpha = check_number("alpha", alpha, 0.0)
    if radius == 0 or alpha == 0:
        raise ValueError("radius and alpha must be > 0")
    d = _distances(x, x)
    niche = np.where(d < radius, 1.0 - (d / radius) ** alpha, 0.0).sum(axis=1)
    return np.where(fitness >= 0, fitness / niche, fitness * niche)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` (n, D) and ``b`` (m, D): (n, m), float64, >= 0."""
    out = np.empty((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):  # differences, not the Gram matrix: a twin is at distance 0 exactly
        out[i] = np.sqrt(((b - a[i]) ** 2).sum(axis=1))
    return out


def _check_behaviour(behaviour, pop_size: int, dims: int | None) -> np.ndarray:
    b = as_numbers("behaviour", behaviour)
    if b.ndim != 2 or b.shape[0] != pop_size or (dims is not None and b.shape[1] != dims):
        want = f"({pop_size}, {dims})" if dims is not None else f"({pop_size}, D)"
        raise ValueError(f"behaviour must have shape {want}, got {b.shape}")
    return b


def _check_fitness(fitness, pop_size: int) -> np.ndarray:
    f = as_numbers("fitness", fitness)
    if f.shape != (pop_size,):
        raise ValueError(f"fitness must have shape ({pop_size},), got {f.shape}")
    return f


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks of ``x`` scaled to [0, 1] (0 the lowest; NaN ranks lowest), ties broken by position."""
    clean = np.where(np.isnan(x), -np.inf, x)
    r = np.empty(len(x))
    r[np.argsort(clean, kind="stable")] = np.arange(len(x))
    return r / max(len(x) - 1, 1)


# -- novelty search -------------------------------------------------------------------------------


def novelty(behaviour, archive, k: int) -> np.ndarray:
    """Novelty of every row of ``behaviour`` (P, D): its mean Euclidean distance to its ``k`` nearest
    neighbours among the other rows and the ``archive`` (A, D); all of them when there are fewer than
    ``k``. A row with a NaN entry has novelty NaN and is nobody's neighbour."""
    b = np.asarray(behaviour, dtype=np.float64)
    valid = ~np.isnan(b).any(axis=1)
    others = np.concatenate([b[valid], np.asarray(archive, dtype=np.float64).reshape(-1, b.shape[1])])
    out = np.full(len(b), np.nan)
    if not valid.any():
        return out
    d = _distances(b[valid], others)
    d[np.arange(valid.sum()), np.arange(valid.sum())] = np.inf  # not its own neighbour
    n = min(k, others.shape[0] - 1)
    if n < 1:
        out[valid] = 0.0
        return out
    out[valid] = np.sort(np.partition(d, n - 1, axis=1)[:, :n], axis=1).mean(axis=1)
    return out


class NoveltySearch:
    """Novelty search (Lehman and Stanley, 2011) with an archive, driven by ask/tell.

    A :class:`~evo.algorithms.ga.GeneticAlgorithm` (its options passed through) breeds on
    the novelty score instead of the fitness. At every ``tell``:

    1. every genome's novelty is its mean distance to its ``k`` nearest
       behaviours among the rest of the population and the archive
       (:func:`novelty`);
    2. every genome whose novelty exceeds ``threshold`` joins the archive, in
       population order; the threshold then adapts to keep the archive
       growing slowly: multiplied by 1.2 when more than ``max_added`` joined,
       by 0.95 when none did (the rule of Lehman and Stanley's code, counted
       per generation);
    3. the GA is told ``(1 - fitness_weight) * rank(novelty) + fitness_weight *
       rank(fitness)``, ranks scaled to [0, 1]; ``fitness_weight=0`` (the
       default) is pure novelty search, between 0 and 1 a novelty-fitness
       blend.

    Parameters
    ----------
    num_params, pop_size, seed
        As for :class:`~evo.algorithms.ga.GeneticAlgorithm`.
    k : int
        Nearest neighbours in the novelty score (15 in Lehman and Stanley).
    threshold : float
        Initial archive threshold, in behaviour-space distance.
    max_added : int
        Additions per generation above which the threshold rises.
    fitness_weight : float
        Weight of the fitness rank in the score, in [0, 1].
    **ga_options
        Passed to :class:`~evo.algorithms.ga.GeneticAlgorithm` (``selection``, ``crossover``,
        ``mutation``, ``elite``, ``crossover_rate``, ``init``, ``layout`` ...).

    Attributes
    ----------
    archive : ndarray of shape (A, D), float64
        The archived behaviours, oldest first.
    last_novelty : ndarray of shape (P,) or None
        Novelty of the last told population.
    last_behaviour : ndarray of shape (P, D) or None
    """

    needs_behaviour = True

    def __init__(self, num_params: int, pop_size: int, seed: int = 0, *, k: int = 15, threshold: float = 0.05,
                 max_added: int = 4, fitness_weight: float = 0.0, **ga_options):
        self.k = check_int("k", k, 1)
        self.threshold = check_number("threshold", threshold, 0.0)
        self.max_added = check_int("max_added", max_added, 0)
        self.fitness_weight = check_number("fitness_weight", fitness_weight, 0.0, 1.0)
        self.ga = GeneticAlgorithm(num_params, pop_size, seed, **ga_options)
        self.archive = np.zeros((0, 0), dtype=np.float64)
        self.best_genome = None
        self.best_fitness = -np.inf
        self.last_novelty = None
        self.last_behaviour = None

    num_params = property(lambda self: self.ga.num_params)
    pop_size = property(lambda self: self.ga.pop_size)
    seed = property(lambda self: self.ga.seed)
    generation = property(lambda self: self.ga.generation)

    def config(self) -> dict:
        return {"k": self.k, "max_added": self.max_added, "fitness_weight": self.fitness_weight}

    def ask(self) -> np.ndarray:
        """The population to evaluate: a read-only view of shape (P, G), float32."""
        return self.ga.ask()

    def tell(self, fitness, behaviour) -> None:
        """Score the asked population by novelty, grow the archive and breed the next population.

        Parameters
        ----------
        fitness : array_like of shape (P,)
            Maximised; NaN is the worst. Sets ``best_genome``/``best_fitness``
            and, with ``fitness_weight > 0``, enters the score.
        behaviour : array_like of shape (P, D)
            Every genome's behaviour descriptor.
        """
        fitness = _check_fitness(fitness, self.pop_size)
        b = _check_behaviour(behaviour, self.pop_size, self.archive.shape[1] if self.archive.size else None)
        if self.archive.shape[1] != b.shape[1]:
            self.archive = np.zeros((0, b.shape[1]), dtype=np.float64)
        clean = np.where(np.isnan(fitness), -np.inf, fitness)
        best = int(np.argmax(clean))
        if self.best_genome is None or clean[best] > self.best_fitness:
            self.best_fitness = float(clean[best])
            self.best_genome = np.array(self.ga.ask()[best])
        nov = novelty(b, self.archive, self.k)
        added = np.flatnonzero(nov > self.threshold)
        self.archive = np.concatenate([self.archive, b[added]])
        if len(added) > self.max_added:
            self.threshold *= 1.2
        elif len(added) == 0:
            self.threshold *= 0.95
        self.last_novelty, self.last_behaviour = nov, b
        score = _ranks(nov)
        if self.fitness_weight > 0:
            score = (1.0 - self.fitness_weight) * score + self.fitness_weight * _ranks(fitness)
        self.ga.tell(np.where(np.isnan(nov), np.nan, score))

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically, as numpy arrays (``.npz``-ready)."""
        d = {f"ga/{k}": v for k, v in self.ga.state_dict().items()}
        d.update(version=np.array(_STATE_VERSION), kind=np.array(type(self).__name__),
                 config=np.array(json.dumps(self.config())), threshold=np.array(self.threshold),
                 archive=self.archive.copy(), best_fitness=np.array(self.best_fitness),
                 best_genome=(self.best_genome.copy() if self.best_genome is not None
                              else np.zeros(0, np.float32)))
        return d

    @classmethod
    def from_state_dict(cls, state: dict, **operators) -> "NoveltySearch":
        """Rebuild from :meth:`state_dict`; ``operators`` as for :meth:`GeneticAlgorithm.from_state_dict`."""
        with reading_state(cls.__name__):
            _check_kind(state, cls)
            ns = cls.__new__(cls)
            ns.ga = GeneticAlgorithm.from_state_dict(
                {k[3:]: v for k, v in state.items() if k.startswith("ga/")}, **operators)
            config = json.loads(state_text(cls.__name__, state, "config"))
            if not isinstance(config, dict):
                raise ValueError(f"{cls.__name__} state 'config' must be a JSON table")
            ns.k = check_int("k", config["k"], 1)
            ns.max_added = check_int("max_added", config["max_added"], 0)
            ns.fitness_weight = check_number("fitness_weight", config["fitness_weight"], 0.0, 1.0)
            ns.threshold = state_number(cls.__name__, state, "threshold", 0.0)
            archive = np.asarray(state["archive"])
            if archive.dtype != np.float64 or archive.ndim != 2 or not np.isfinite(archive).all() or (
                    archive.shape[0] and not archive.shape[1]):
                raise ValueError("state 'archive' must be a finite float64 (A, D) array, D >= 1 when A > 0")
            ns.archive = archive.copy()
            ns.best_genome, ns.best_fitness = _best(state, ns.ga.num_params, ns.generation, cls.__name__)
            ns.last_novelty = ns.last_behaviour = None
        return ns


def _check_kind(state: dict, cls) -> None:
    version, kind = state_int(cls.__name__, state, "version"), state_text(cls.__name__, state, "kind")
    if version != _STATE_VERSION or kind != cls.__name__:
        raise ValueError(f"state is of a {kind} (version {version}), not of {cls.__name__} (version {_STATE_VERSION})")


def _best(state: dict, num_params: int, generation: int, what: str) -> tuple:
    """The best genome (None before the first tell) and its fitness, checked."""
    best = np.asarray(state["best_genome"])
    genome = state_array(what, state, "best_genome", np.float32, (num_params,)) if best.size else None
    if (genome is None) != (generation == 0):
        raise ValueError(f"{what} state has a best genome exactly when it has been told a generation")
    return genome, state_number(what, state, "best_fitness", finite=False)


# -- MAP-Elites -----------------------------------------------------------------------------------


class MAPElites:
    """MAP-Elites (Mouret and Clune, 2015) over two behaviour dimensions, driven by ask/tell.

    The map is a ``bins[0]`` x ``bins[1]`` grid over the box ``low``..``high``
    of the two-dimensional behaviour descriptor (a descriptor outside the box
    counts in the nearest edge cell). ``tell`` puts every genome in its cell
    when the cell is empty or its fitness beats the cell's elite (strictly, in
    population order; NaN fitness never enters). The first population comes
    from ``init``; every later one is ``pop_size`` children of elites drawn
    uniformly from the filled cells, each varied by the iso+line operator of
    Vassiliades and Mouret (2018): ``x + sigma * N(0, I) + line * N(0, 1) * (y - x)``
    with ``y`` a second elite drawn the same way (``line=0``: plain Gaussian
    mutation).

    Parameters
    ----------
    num_params, pop_size, seed
        As for :class:`~evo.algorithms.ga.GeneticAlgorithm`.
    bins : int or (int, int)
        Cells along each dimension.
    low, high : (float, float)
        The box the grid covers.
    sigma : float
        Isotropic Gaussian step of a child.
    line : float
        Step along the line to the second elite (0.2 in Vassiliades and Mouret).
    init : callable, optional
        ``init(rng, P) -> (P, G)``; default N(0, ``init_scale``^2) per gene.
    init_scale : float

    Attributes
    ----------
    fitness_map : ndarray of shape bins, float64
        The elites' fitness; NaN where a cell is empty.
    genome_map : ndarray of shape (*bins, G), float32
    """

    needs_behaviour = True

    def __init__(self, num_params: int, pop_size: int, seed: int = 0, *, bins=20, low=(0.0, 0.0),
                 high=(1.0, 1.0), sigma: float = 0.1, line: float = 0.2, init=None, init_scale: float = 1.0):
        self.num_params = check_int("num_params", num_params, 1)
        self.pop_size = check_int("pop_size", pop_size, 1)
        self.seed = check_int("seed", seed, 0, MAX_SEED)
        pair = (bins, bins) if not isinstance(bins, (list, tuple)) else tuple(bins)
        if len(pair) != 2:
            raise ValueError(f"bins must be an integer or two integers, got {bins!r}")
        self.bins = tuple(check_int("bins", b, 1, 1000) for b in pair)
        cells = self.bins[0] * self.bins[1]
        check_memory(f"a MAP-Elites grid of {self.bins[0]} x {self.bins[1]} cells of {self.num_params} genes",
                     cells * (8.0 + 8.0 * self.num_params) + 24.0 * self.pop_size * self.num_params)
        self.low = np.array([check_number("low", v) for v in _two("low", low)])
        self.high = np.array([check_number("high", v) for v in _two("high", high)])
        if not (self.high > self.low).all():
            raise ValueError(f"high must exceed low in both dimensions, got low {low!r}, high {high!r}")
        self.sigma = check_number("sigma", sigma, 0.0, _LARGEST)
        self.line = check_number("line", line, 0.0, _LARGEST)
        self.init_scale = check_number("init_scale", init_scale, 0.0, _LARGEST)
        self.rng = np.random.default_rng(self.seed)
        if init is not None:
            pop = np.asarray(init(self.rng, self.pop_size))
        else:
            pop = self.rng.normal(0.0, self.init_scale, (self.pop_size, self.num_params))
        self.population = np.ascontiguousarray(pop, dtype=np.float32)
        if self.population.shape != (self.pop_size, self.num_params):
            raise ValueError(f"init returned shape {self.population.shape}, expected "
                             f"{(self.pop_size, self.num_params)}")
        self.fitness_map = np.full(self.bins, np.nan)
        self.genome_map = np.zeros((*self.bins, self.num_params), dtype=np.float32)
        self.generation = 0
        self.best_genome = None
        self.best_fitness = -np.inf

    def config(self) -> dict:
        return {"num_params": self.num_params, "pop_size": self.pop_size, "seed": self.seed,
                "bins": list(self.bins), "low": self.low.tolist(), "high": self.high.tolist(),
                "sigma": self.sigma, "line": self.line, "init_scale": self.init_scale}

    @property
    def coverage(self) -> float:
        """Fraction of the cells holding an elite."""
        return float((~np.isnan(self.fitness_map)).mean())

    def cells(self, behaviour) -> np.ndarray:
        """The grid cell ``(i, j)`` of every descriptor (P, 2), shape (P, 2), int64."""
        b = np.asarray(behaviour, dtype=np.float64)
        scaled = np.floor((b - self.low) / (self.high - self.low) * np.array(self.bins))
        return np.clip(np.nan_to_num(scaled, nan=0.0), 0, np.array(self.bins) - 1).astype(np.int64)

    def ask(self) -> np.ndarray:
        """The population to evaluate: a read-only view of shape (P, G), float32."""
        view = self.population.view()
        view.flags.writeable = False
        return view

    def tell(self, fitness, behaviour) -> None:
        """Place the asked genomes in the map, then draw the next population from its elites.

        Parameters
        ----------
        fitness : array_like of shape (P,)
            Maximised; a genome with NaN fitness or a NaN descriptor is dropped.
        behaviour : array_like of shape (P, 2)
        """
        fitness = _check_fitness(fitness, self.pop_size)
        b = _check_behaviour(behaviour, self.pop_size, 2)
        clean = np.where(np.isnan(fitness), -np.inf, fitness)
        best = int(np.argmax(clean))
        if self.best_genome is None or clean[best] > self.best_fitness:
            self.best_fitness = float(clean[best])
            self.best_genome = self.population[best].copy()
        cells = self.cells(b)
        for p in np.flatnonzero(~np.isnan(fitness) & ~np.isnan(b).any(axis=1)):
            i, j = cells[p]
            if not fitness[p] <= self.fitness_map[i, j]:  # empty (NaN) or beaten
                self.fitness_map[i, j] = fitness[p]
                self.genome_map[i, j] = self.population[p]
        filled = np.flatnonzero(~np.isnan(self.fitness_map.ravel()))
        rng = self.rng
        if filled.size == 0:  # nothing scored: start again from fresh genomes
            self.population = rng.normal(0.0, self.init_scale, self.population.shape).astype(np.float32)
        else:
            elites = self.genome_map.reshape(-1, self.num_params)
            x = elites[filled[rng.integers(0, filled.size, self.pop_size)]].astype(np.float64)
            y = elites[filled[rng.integers(0, filled.size, self.pop_size)]].astype(np.float64)
            kids = x + self.sigma * rng.standard_normal(x.shape) + self.line * rng.standard_normal((self.pop_size, 1)) * (y - x)
            self.population = np.ascontiguousarray(kids, dtype=np.float32)
        self.generation += 1

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically, as numpy arrays (``.npz``-ready)."""
        return {"version": np.array(_STATE_VERSION), "kind": np.array(type(self).__name__),
                "config": np.array(json.dumps(self.config())), "generation": np.array(self.generation),
                "population": self.population.copy(), "fitness_map": self.fitness_map.copy(),
                "genome_map": self.genome_map.copy(), "best_fitness": np.array(self.best_fitness),
                "best_genome": (self.best_genome.copy() if self.best_genome is not None
                                else np.zeros(0, np.float32)),
                "rng_state": np.array(json.dumps(self.rng.bit_generator.state))}

    @classmethod
    def from_state_dict(cls, state: dict) -> "MAPElites":
        """Rebuild from :meth:`state_dict` (ValueError naming what is wrong)."""
        with reading_state(cls.__name__):
            _check_kind(state, cls)
            what = cls.__name__
            config = json.loads(state_text(what, state, "config"))
            if not isinstance(config, dict):
                raise ValueError(f"{what} state 'config' must be a JSON table")
            me = cls(**config)
            G = me.num_params
            me.generation = state_int(what, state, "generation")
            me.population = state_array(what, state, "population", np.float32, (me.pop_size, G))
            me.genome_map = state_array(what, state, "genome_map", np.float32, (*me.bins, G))
            me.fitness_map = state_array(what, state, "fitness_map", np.float64, me.bins, finite=False)
            if me.generation == 0 and not np.isnan(me.fitness_map).all():
                raise ValueError(f"{what} state 'fitness_map' must be empty (NaN) before the first tell")
            me.best_genome, me.best_fitness = _best(state, G, me.generation, what)
            state_rng(what, state, "rng_state", me.rng)
        return me


def _two(name: str, value) -> tuple:
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) != 2:
        raise ValueError(f"{name} must be two numbers, got {value!r}")
    return tuple(value)
