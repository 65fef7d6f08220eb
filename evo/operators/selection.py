"""Parent selection: pick ``n`` indices into a population from its fitness.

Every function has the signature ``f(fitness, n, rng, *, settings) -> idx``:

- ``fitness``: array-like of shape (P,), **maximised**. NaN counts as the
  worst fitness (below ``-inf``); ties are treated symmetrically, never by
  position in the population.
- ``n``: number of indices to return (``n > P`` is fine: selection is with
  replacement; ``n == 0`` returns an empty array).
- ``rng``: a :class:`numpy.random.Generator`, the only source of randomness.
- returns ``ndarray of shape (n,)``, dtype int64, a new array; the input is
  never modified.

Operators
---------
- :func:`tournament`  -- k-way tournaments with replacement (Miller & Goldberg 1995).
- :func:`truncation`  -- uniform among the best fraction (Muehlenbein & Schlierkamp-Voosen 1993).
- :func:`roulette`    -- fitness-proportionate (Holland 1975; Goldberg 1989).
- :func:`sus`         -- stochastic universal sampling (Baker 1987).
- :func:`rank`        -- linear ranking (Baker 1985).
- :func:`random`      -- uniform, ignores fitness (a baseline).

Use :func:`get` to look an operator up by name (e.g. from a TOML config).

Several objectives
------------------
For a fitness array of shape (P, M), every objective maximised and NaN the
worst value of its objective (Deb et al. 2002):

- :func:`non_dominated_sort` -- each row's front rank, 0 for the first front.
- :func:`crowding_distance`  -- how far each row lies from its neighbours within its front.
- :func:`nsga2`              -- the ``n`` best rows by front rank, then crowding (NSGA-II's survivors).

These three are not parent selections (``NAMES`` does not hold them): a GA
uses them through ``GeneticAlgorithm(replacement="nsga2")``.

References
----------
- J. H. Holland, *Adaptation in Natural and Artificial Systems*, 1975.
- J. E. Baker, "Adaptive selection methods for genetic algorithms", Proc. ICGA
  1985, pp. 101-111.
- J. E. Baker, "Reducing bias and inefficiency in the selection algorithm",
  Proc. ICGA 1987, pp. 14-21.
- J. J. Grefenstette, "Optimization of control parameters for genetic
  algorithms", IEEE Trans. Systems, Man, and Cybernetics 16(1), 1986.
- D. E. Goldberg, *Genetic Algorithms in Search, Optimization and Machine
  Learning*, 1989.
- H. Muehlenbein and D. Schlierkamp-Voosen, "Predictive models for the
  breeder genetic algorithm", Evolutionary Computation 1(1), 1993.
- B. L. Miller and D. E. Goldberg, "Genetic algorithms, tournament selection,
  and the effects of noise", Complex Systems 9, 1995.
- T. Blickle and L. Thiele, "A comparison of selection schemes used in
  evolutionary algorithms", Evolutionary Computation 4(4), 1996.
- K. Deb, A. Pratap, S. Agarwal and T. Meyarivan, "A fast and elitist
  multiobjective genetic algorithm: NSGA-II", IEEE Trans. Evolutionary
  Computation 6(2), 2002.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evo.operators._docstrings import RNG, section, shared
from evo._validation import check_index, check_memory, check_rng
from evo.operators.registry import getter

__all__ = [
    "NAMES",
    "crowding_distance",
    "get",
    "non_dominated_sort",
    "nsga2",
    "random",
    "rank",
    "roulette",
    "sus",
    "tournament",
    "truncation",
]


# the sections several operators here document alike, filled in by _shared
_shared = shared(
    parameters=section("Parameters", ("fitness : array-like of shape (P,)", "Fitness to maximise; NaN is the worst."),
                       ("n : int", "Number of indices to return, >= 0."), RNG),
    drawn=section("Returns", ("ndarray of shape (n,), int64", "Independently drawn indices.")),
)


# --------------------------------------------------------------------------
# validation and shared helpers
# --------------------------------------------------------------------------


def _prepare(fitness: ArrayLike, n: int, rng: object) -> tuple[NDArray[np.float64], int]:
    """Validate the common arguments; return fitness as float64 (P,) and n as int."""
    n = check_index("n", n)
    f = np.asarray(fitness)
    if f.ndim != 1:
        raise ValueError(f"fitness must have shape (P,), got shape {f.shape}")
    if f.dtype.kind not in "biuf":
        raise ValueError(f"fitness must be real numbers, got dtype {f.dtype}")
    f = f.astype(np.float64, copy=False)
    if n > 0 and f.size == 0:
        raise ValueError("cannot select from an empty population (fitness has length 0)")
    check_rng(rng)
    return f, n


def _dense_key(f: NDArray[np.float64]) -> NDArray[np.int64]:
    """Integer key with the same order as ``f``, NaN lowest, equal values equal.

    NaN -> 0; otherwise 1 + the index of the value among the sorted distinct
    non-NaN values. Comparing keys is comparing fitness with NaN as the worst.
    """
    nan = np.isnan(f)
    key = np.zeros(f.shape, dtype=np.int64)
    good = f[~nan]
    key[~nan] = np.searchsorted(np.unique(good), good) + 1
    return key


def _average_ranks(f: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks 0 (worst) .. P-1 (best); tied individuals share the mean of their ranks.

    NaN individuals rank below everything else (and tie among themselves).
    """
    _, inverse, counts = np.unique(_dense_key(f), return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts
    return (first + (counts - 1) / 2.0)[inverse]


def _roulette_weights(f: NDArray[np.float64]) -> NDArray[np.float64]:
    """Non-negative selection weights for :func:`roulette` and :func:`sus`, max 1.

    ``w_i = f_i - min(0, min_j f_j)`` over the finite fitness values (so
    non-negative fitness is used as is and negative fitness is shifted up
    until the worst individual weighs 0). NaN and ``-inf`` weigh 0. Fallbacks
    that keep the distribution defined: if any fitness is ``+inf``, those
    individuals share the weight equally; if all finite weights are 0 (e.g.
    all equal), the finite individuals share it equally; if none is finite,
    the ``-inf`` ones, else all (all NaN), share it equally.
    """
    pos_inf = f == np.inf
    if pos_inf.any():
        return pos_inf.astype(np.float64)
    finite = np.isfinite(f)
    if not finite.any():
        neg_inf = f == -np.inf
        return (neg_inf if neg_inf.any() else np.ones(f.shape, bool)).astype(np.float64)
    shift = min(0.0, float(f[finite].min()))
    f_finite = np.where(finite, f, 0.0)
    with np.errstate(over="ignore"):
        w = np.where(finite, f_finite - shift, 0.0)
    if not np.isfinite(w).all():  # f - shift overflowed: halve both first
        w = np.where(finite, 0.5 * f_finite - 0.5 * shift, 0.0)
    top = w.max()
    if not top > 0.0:
        return finite.astype(np.float64)
    return w / top


def _rank_weights(f: NDArray[np.float64], pressure: float) -> NDArray[np.float64]:
    """Baker's linear-ranking expected counts ``2 - s + 2 (s - 1) r_i / (P - 1)``.

    ``r_i`` is the (tie-averaged) rank, 0 for the worst. The values sum to P;
    divided by P they are the selection probabilities. P = 1 gives [1].
    """
    p = f.size
    if p == 1:
        return np.ones(1)
    r = _average_ranks(f)
    return 2.0 - pressure + 2.0 * (pressure - 1.0) * r / (p - 1)


def _pick(weights: NDArray[np.float64], fractions: NDArray[np.float64]) -> NDArray[np.int64]:
    """Map fractions in [0, 1) of the wheel to indices.

    With ``cdf = cumsum(weights)``, the point ``u = fraction * cdf[-1]``
    lands on the first i with ``cdf[i] > u``, so zero-weight individuals are
    never picked.
    """
    cdf = np.cumsum(weights)
    idx = np.searchsorted(cdf, fractions * cdf[-1], side="right").astype(np.int64)
    # rounding can put a point at (or past) the total: give it to the last
    # individual with a positive weight
    last = np.flatnonzero(weights > 0.0)[-1]
    return np.minimum(idx, last)


def _sus(weights: NDArray[np.float64], n: int, offset: float) -> NDArray[np.int64]:
    """Baker's SUS with pointers ``(offset + k) * total / n``, k = 0..n-1, offset in [0, 1).

    Returns indices in increasing order (the caller shuffles).
    """
    return _pick(weights, (offset + np.arange(n, dtype=np.float64)) / n)


# --------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------


@_shared
def tournament(fitness: ArrayLike, n: int, rng: np.random.Generator, *, size: int = 3) -> NDArray[np.int64]:
    """Tournament selection: each index is the best of ``size`` uniform draws.

    For each of the ``n`` selections, ``size`` contestants are drawn
    uniformly *with replacement* from the P individuals and the fittest wins
    (Miller & Goldberg 1995). Because draws are with replacement, ``size`` may
    exceed P (the pressure keeps rising). With distinct fitness values the
    individual of rank r (0 = worst) wins with probability
    ``((r + 1)**size - r**size) / P**size`` (Blickle & Thiele 1996).

    DEAP: ``selTournament(pop, k, tournsize)`` is the same operator
    (``k = n``, ``tournsize = size``, aspirants drawn with replacement).
    PyGAD: ``parent_selection_type="tournament"`` with ``K_tournament = size``.

    Ties go to the contestant drawn first, so equally fit individuals are
    equally likely to win (all-equal fitness gives uniform selection). NaN
    loses to everything, including ``-inf``.

    $parameters
    size : int, default 3
        Contestants per tournament, >= 1. ``size=1`` is uniform selection.

    Returns
    -------
    ndarray of shape (n,), int64
        Indices of the winners.
    """
    f, n = _prepare(fitness, n, rng)
    size = check_index("tournament size", size, 1)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    key = _dense_key(f)
    contestants = rng.integers(0, f.size, size=(n, size), dtype=np.int64)
    winner = np.argmax(key[contestants], axis=1)  # first maximum: the earliest drawn
    return contestants[np.arange(n), winner]


@_shared
def truncation(
    fitness: ArrayLike, n: int, rng: np.random.Generator, *, fraction: float = 0.5
) -> NDArray[np.int64]:
    """Truncation selection: uniform among the best ``k = ceil(fraction * P)``.

    The population is sorted by fitness (NaN last) and each of the ``n``
    indices is drawn uniformly with replacement from the top ``k``
    (Muehlenbein & Schlierkamp-Voosen 1993). ``k`` is computed with a
    1e-12 relative tolerance, so ``fraction=0.3, P=10`` gives 3, not 4.
    Individuals tied at the cut are admitted in random order, never by
    position in the population.

    DEAP's ``selBest(pop, k)`` differs: it returns the ``k`` best once each,
    sorted, with no randomness (PyGAD's ``"sss"`` likewise). Our ``n`` draws
    sample the top ``fraction`` *with replacement*; ``selBest(k)`` corresponds
    to ``fraction = k / P`` only in which individuals are eligible. To keep
    the best ``mu`` of a population deterministically, as ``eaMuPlusLambda``
    does, use :class:`evo.algorithms.ga.GeneticAlgorithm` with ``replacement="plus"``.

    $parameters
    fraction : float, default 0.5
        Share of the population eligible, in (0, 1]. At least one individual
        is always eligible.

    Returns
    -------
    ndarray of shape (n,), int64
        Indices, all within the top ``k``.
    """
    f, n = _prepare(fitness, n, rng)
    fraction = float(fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    p = f.size
    k = min(p, max(1, math.ceil(fraction * p * (1.0 - 1e-12))))
    perm = rng.permutation(p)
    # stable sort of a random permutation: ties at the cut are broken at random
    order = perm[np.argsort(-_dense_key(f)[perm], kind="stable")]
    top = order[:k].astype(np.int64)
    return top[rng.integers(0, k, size=n)]


@_shared
def roulette(fitness: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Fitness-proportionate (roulette-wheel) selection.

    Individual i is drawn, independently for each of the ``n`` selections,
    with probability ``w_i / sum_j w_j`` where

        ``w_i = f_i - min(0, min_j f_j)``.

    Non-negative fitness is therefore used as is (Holland 1975); when any
    fitness is negative, all are shifted up by the minimum so that the worst
    individual weighs 0 ("windowing", Grefenstette 1986). NaN (and ``-inf``)
    individuals weigh 0. Degenerate cases stay defined: if all weights are 0
    (e.g. all-equal fitness) the selection is uniform over the finite
    individuals; if all fitness is NaN it is uniform over everyone; ``+inf``
    fitness takes all the weight, shared equally.

    DEAP: ``selRoulette(pop, k)`` uses the raw fitness as weights and is
    only defined for non-negative fitness; ours equals it there (``k = n``)
    and shifts negative fitness instead of failing. PyGAD's ``"rws"`` is the
    same for non-negative fitness.

    $parameters

    $drawn
    """
    f, n = _prepare(fitness, n, rng)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    w = _roulette_weights(f)
    return _pick(w, rng.random(n))


@_shared
def sus(fitness: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Stochastic universal sampling (Baker 1987) on the roulette weights.

    One spin of a wheel with ``n`` equally spaced pointers: with weights
    ``w`` as in :func:`roulette` (same shift, same NaN and degenerate-case
    rules) and total ``W``, the pointers are ``(u + k) W / n`` for
    ``k = 0 .. n-1`` with a single ``u ~ U[0, 1)``. Each individual is then
    selected either ``floor(e_i)`` or ``ceil(e_i)`` times, where
    ``e_i = n w_i / W`` is its expected count (zero bias, minimal spread).
    The selected indices are returned in random order (a permutation of the
    wheel order), so consecutive entries can be paired as parents.

    DEAP: ``selStochasticUniversalSampling(pop, k)`` draws the same counts
    (for non-negative fitness) but returns them in wheel order, best first,
    with the pointer offset drawn as ``U[0, W/k)``: the same as our ``u W / n``.
    PyGAD's ``"sus"`` likewise.

    $parameters

    Returns
    -------
    ndarray of shape (n,), int64
        Indices, shuffled.
    """
    f, n = _prepare(fitness, n, rng)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    idx = _sus(_roulette_weights(f), n, float(rng.random()))
    return rng.permutation(idx)


@_shared
def rank(
    fitness: ArrayLike, n: int, rng: np.random.Generator, *, pressure: float = 1.5
) -> NDArray[np.int64]:
    """Linear ranking selection (Baker 1985).

    Individuals are ranked ``r = 0`` (worst) to ``P - 1`` (best) and drawn
    independently with probability ``e_r / P``, where the expected count is

        ``e_r = 2 - s + 2 (s - 1) r / (P - 1)``,   ``s = pressure`` in [1, 2].

    The best individual expects ``s`` copies per P draws, the worst
    ``2 - s``; ``s = 1`` is uniform selection. Tied individuals (NaN counts
    as tied with other NaN) share the average of their ranks, so equal
    fitness means equal probability and the probabilities still sum to 1.
    NaN ranks below every number. P = 1 always selects index 0.

    DEAP has no linear ranking selection. PyGAD's ``"rank"`` draws rank
    ``r`` (1 = worst) with probability ``r / (P (P + 1) / 2)``, which is this
    operator with ``pressure = 2 P / (P + 1)``.

    $parameters
    pressure : float, default 1.5
        Selection pressure ``s`` in [1, 2].

    $drawn
    """
    f, n = _prepare(fitness, n, rng)
    pressure = float(pressure)
    if not 1.0 <= pressure <= 2.0:
        raise ValueError(f"pressure must be in [1, 2], got {pressure}")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    w = _rank_weights(f, pressure)
    return _pick(w, rng.random(n))


@_shared
def random(fitness: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Uniform selection with replacement; fitness only gives the population size P.

    Each index is ``rng.integers(0, P)``: a no-pressure baseline (and the
    distribution every other operator reduces to when all fitness is equal).

    DEAP: ``selRandom(pop, k)``; PyGAD: ``parent_selection_type="random"``.

    Parameters
    ----------
    fitness : array-like of shape (P,)
        Only its length is used.
    n : int
        Number of indices to return, >= 0.
    rng : numpy.random.Generator
        Source of randomness.

    $drawn
    """
    f, n = _prepare(fitness, n, rng)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    return rng.integers(0, f.size, size=n, dtype=np.int64)


# --------------------------------------------------------------------------
# several objectives
# --------------------------------------------------------------------------


def _objectives(fitness: ArrayLike) -> NDArray[np.float64]:
    """Validate a (P, M) fitness array of several objectives; return it as float64."""
    f = np.asarray(fitness)
    if f.ndim != 2 or f.shape[1] < 1:
        raise ValueError(f"fitness must have shape (P, M) with M >= 1 objectives, got shape {f.shape}")
    if f.dtype.kind not in "biuf":
        raise ValueError(f"fitness must be real numbers, got dtype {f.dtype}")
    return f.astype(np.float64, copy=False)


def non_dominated_sort(fitness: ArrayLike) -> NDArray[np.int64]:
    """Front rank of every row of a (P, M) fitness array: 0 for the non-dominated rows, 1 for the next front, ...

    Row ``a`` dominates row ``b`` when ``a`` is at least as good in every
    objective and better in one (every objective maximised, NaN worse than
    any number, ``-inf`` included, and equal to NaN). Front 0 holds the rows
    no row dominates; front ``k + 1`` the rows that only rows of fronts
    ``0 .. k`` dominate (Deb et al. 2002's fast non-dominated sort). Equal
    rows share a front. The ranks are those of DEAP's ``sortNondominated``
    (which returns the fronts as lists instead).

    Parameters
    ----------
    fitness : array-like of shape (P, M)
        Objectives to maximise; NaN is the worst value of its objective.

    Returns
    -------
    ndarray of shape (P,), int64
        Each row's front rank.
    """
    f = _objectives(fitness)
    p = f.shape[0]
    check_memory(f"a non-dominated sort of {p} rows", 3.0 * p * p)
    # comparing each objective's dense key is comparing its values with NaN the worst
    keys = [_dense_key(f[:, m]) for m in range(f.shape[1])]
    no_worse = np.ones((p, p), dtype=bool)  # [a, b]: a is at least as good as b in every objective
    better = np.zeros((p, p), dtype=bool)  # [a, b]: a is better than b in some objective
    for k in keys:
        no_worse &= k[:, None] >= k[None, :]
        better |= k[:, None] > k[None, :]
    dominates = no_worse & better
    del no_worse, better
    dominated_by = dominates.sum(axis=0)  # per row, how many rows dominate it
    ranks = np.full(p, -1, dtype=np.int64)
    front, rank = np.flatnonzero(dominated_by == 0), 0
    while front.size:
        ranks[front] = rank
        dominated_by[front] = -1  # placed: never found again
        dominated_by -= dominates[front].sum(axis=0)
        front, rank = np.flatnonzero(dominated_by == 0), rank + 1
    return ranks


def crowding_distance(fitness: ArrayLike, ranks: ArrayLike) -> NDArray[np.float64]:
    """Crowding distance of every row within its front (Deb et al. 2002).

    For each front and each objective in turn, the front's rows are sorted by
    that objective (a stable sort of the previous objective's order, the first
    objective starting from the rows' order in ``fitness``); the first and the
    last get an infinite distance, and every other row adds
    ``(next - previous) / (M * (max - min))``, the gap between its two
    neighbours over the objective's spread in the front. An objective whose
    values are all equal within the front adds nothing but its boundary rows'
    infinities. These are DEAP's ``assignCrowdingDist`` distances for a front
    listed in population order, to the bit. A row whose value of an objective
    is NaN or infinite is a boundary row of that objective (infinite
    distance), and the objective's other rows are crowded among themselves.

    Parameters
    ----------
    fitness : array-like of shape (P, M)
        Objectives to maximise.
    ranks : array-like of shape (P,), integers
        Each row's front (:func:`non_dominated_sort`); rows of equal rank form a front.

    Returns
    -------
    ndarray of shape (P,), float64
        Non-negative distances, ``inf`` at a front's boundaries; larger means less crowded.
    """
    f = _objectives(fitness)
    r = np.asarray(ranks)
    if r.shape != (f.shape[0],) or (r.size and r.dtype.kind not in "iu"):
        raise ValueError(f"ranks must be integers of shape ({f.shape[0]},), got {r.dtype} of shape {r.shape}")
    p, m = f.shape
    distance = np.zeros(p, dtype=np.float64)
    for rank in np.unique(r):
        order = np.flatnonzero(r == rank)
        for i in range(m):
            column = f[:, i]
            order = order[np.argsort(_dense_key(column[order]), kind="stable")]
            finite = np.isfinite(column[order])
            distance[order[~finite]] = np.inf
            rows = order[finite]
            if rows.size == 0:
                continue
            distance[rows[0]] = distance[rows[-1]] = np.inf
            lo, hi = column[rows[0]], column[rows[-1]]
            if hi == lo:
                continue
            norm = m * float(hi - lo)
            distance[rows[1:-1]] += (column[rows[2:]] - column[rows[:-2]]) / norm
    return distance


def nsga2(fitness: ArrayLike, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """NSGA-II's survivors: the ``n`` best rows by front rank, then by crowding distance (Deb et al. 2002).

    Whole fronts are taken in rank order (:func:`non_dominated_sort`) while
    they fit; the front that does not fit gives its least crowded rows
    (:func:`crowding_distance`, larger first). Rows equal in rank and distance
    are ordered at random, never by position in the population. DEAP's
    ``selNSGA2(pop, n)`` chooses the same rows, up to those ties (DEAP orders
    equal rows by how its sort met them).

    Parameters
    ----------
    fitness : array-like of shape (P, M)
        Objectives to maximise; NaN is the worst value of its objective.
    n : int
        Number of rows to keep, ``0 <= n <= P``; each is chosen at most once.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray of shape (n,), int64
        Distinct indices, best first: by front rank, then by decreasing crowding distance.
    """
    f = _objectives(fitness)
    n = check_index("n", n)
    check_rng(rng)
    if n > f.shape[0]:
        raise ValueError(f"nsga2 keeps distinct rows: n must be at most P = {f.shape[0]}, got {n}")
    ranks = non_dominated_sort(f)
    distance = crowding_distance(f, ranks)
    perm = rng.permutation(f.shape[0])
    # a stable sort of a random permutation: ties in rank and distance fall in random order
    order = perm[np.lexsort((-distance[perm], ranks[perm]))]
    return order[:n].astype(np.int64)


NAMES: dict[str, Callable[..., NDArray[np.int64]]] = {
    "tournament": tournament,
    "truncation": truncation,
    "roulette": roulette,
    "sus": sus,
    "rank": rank,
    "random": random,
}
"""Selection operators by name (the names used in run configs)."""


get = getter(NAMES, "selection")
