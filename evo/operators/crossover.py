"""Crossover (recombination): one child per pair of parents.

Every function has the signature ``f(a, b, rng, *, settings) -> children``:

- ``a``, ``b``: ndarrays of shape (n, G), the parents; row i of ``a`` is
  mated with row i of ``b``.
- ``rng``: a :class:`numpy.random.Generator`, the only source of randomness.
- returns a new ``ndarray of shape (n, G)`` with the parents' dtype
  (``numpy.result_type(a, b)``: float32 in, float32 out); the parents are
  never modified. ``n = 0`` and ``G = 0`` give empty results.

Gene-swapping operators (:func:`uniform`, :func:`one_point`,
:func:`two_point`, :func:`neurons`) copy genes, so every child gene equals
the gene of one parent at the same position, and they work for any dtype.
Blending operators (:func:`blend`, :func:`sbx`, :func:`arithmetic`) compute
in float64 and cast back; they need floating-point genomes.

Operators
---------
- :func:`uniform`     -- each gene from either parent (Syswerda 1989).
- :func:`one_point`   -- head from one parent, tail from the other (Holland 1975).
- :func:`two_point`   -- a middle segment from the other parent (De Jong 1975).
- :func:`neurons`     -- uniform over whole neurons: a unit's incoming weights
  and bias travel together (cf. Montana & Davis 1989, "crossover-nodes").
- :func:`blend`       -- BLX-alpha (Eshelman & Schaffer 1993).
- :func:`sbx`         -- simulated binary crossover (Deb & Agrawal 1995).
- :func:`arithmetic`  -- a random convex combination of the parents
  (whole arithmetic recombination, Michalewicz 1996).

Use :func:`get` to look an operator up by name (e.g. from a TOML config).

Conventions for DEAP users: DEAP's ``cx*`` functions modify two parents in
place and return two children; ours return one new child per pair, and the
second child DEAP would give is the same distribution with ``a`` and ``b``
swapped. :class:`evo.algorithms.ga.GeneticAlgorithm` with ``children_per_pair=2`` keeps
both children of a pair, as DEAP's ``varAnd`` does. Each docstring gives the
parameter conversion.

Bounds: :func:`blend` and :func:`sbx` take ``low``, ``high`` and ``repair``
(see :mod:`evo.operators.bounds`); with bounds, :func:`sbx` uses Deb's bounded form.

References
----------
- J. H. Holland, *Adaptation in Natural and Artificial Systems*, 1975.
- K. A. De Jong, *An analysis of the behavior of a class of genetic adaptive
  systems*, PhD thesis, University of Michigan, 1975.
- G. Syswerda, "Uniform crossover in genetic algorithms", Proc. ICGA 1989.
- D. J. Montana and L. Davis, "Training feedforward neural networks using
  genetic algorithms", Proc. IJCAI 1989, pp. 762-767.
- L. J. Eshelman and J. D. Schaffer, "Real-coded genetic algorithms and
  interval-schemata", Foundations of Genetic Algorithms 2, 1993, pp. 187-202.
- K. Deb and R. B. Agrawal, "Simulated binary crossover for continuous search
  space", Complex Systems 9(2), 1995, pp. 115-148.
- Z. Michalewicz, *Genetic Algorithms + Data Structures = Evolution
  Programs*, 3rd ed., 1996.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evo.operators import bounds as _bounds
from evo.operators._docstrings import RNG, section, shared
from evo._validation import check_rng
from evo.operators.registry import getter

__all__ = [
    "NAMES",
    "arithmetic",
    "blend",
    "get",
    "neurons",
    "one_point",
    "sbx",
    "two_point",
    "uniform",
]


_PARENTS = "Parents; row i of ``a`` is mated with row i of ``b``."
_PARENTS_RNG = section("Parameters", ("a, b : ndarray of shape (n, G)", _PARENTS), RNG)
_CHILDREN = section("Returns", ("ndarray of shape (n, G)", "Children, dtype of the parents."))
# the sections several operators here document alike, filled in by _shared
_shared = shared(
    parents=_PARENTS_RNG,
    float_parents=section("Parameters", ("a, b : ndarray of shape (n, G), floating", _PARENTS), RNG),
    children=_CHILDREN,
    signature=f"{_PARENTS_RNG}\n\n{_CHILDREN}",
)


# --------------------------------------------------------------------------
# validation and kernels with explicit random draws (tested against tests/naive.py)
# --------------------------------------------------------------------------


def _parents(a: NDArray, b: NDArray, rng: object, *, floating: bool = False) -> tuple[NDArray, NDArray]:
    """Validate the parents; return them as arrays (no copies)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 2:
        raise ValueError(f"parents must have shape (n, G), got a with shape {a.shape}")
    if a.shape != b.shape:
        raise ValueError(f"parents a and b must have the same shape, got {a.shape} and {b.shape}")
    if floating and not (
        np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating)
    ):
        raise ValueError(f"this crossover needs floating-point genomes, got {a.dtype} and {b.dtype}")
    check_rng(rng)
    return a, b


def _probability(name: str, p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {p}")
    return p


def _one_point(a: NDArray, b: NDArray, cuts: NDArray[np.int64]) -> NDArray:
    """Child i = a[i, :cuts[i]] followed by b[i, cuts[i]:]."""
    head = np.arange(a.shape[1])[None, :] < cuts[:, None]
    return np.where(head, a, b).astype(np.result_type(a, b), copy=False)


def _two_point(a: NDArray, b: NDArray, lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray:
    """Child i = a[i] with the segment [lo[i], hi[i]) taken from b[i]."""
    g = np.arange(a.shape[1])[None, :]
    middle = (g >= lo[:, None]) & (g < hi[:, None])
    return np.where(middle, b, a).astype(np.result_type(a, b), copy=False)


def _sbx(a: NDArray, b: NDArray, u: NDArray[np.float64], first: NDArray[np.bool_], eta: float) -> NDArray:
    """SBX spread factor from u in [0, 1); returns child 1 where ``first``, else child 2."""
    e = 1.0 / (eta + 1.0)
    with np.errstate(divide="ignore"):
        beta = np.where(u <= 0.5, (2.0 * u) ** e, (0.5 / (1.0 - u)) ** e)
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    mean = 0.5 * (a64 + b64)
    half = 0.5 * beta * (a64 - b64)
    # child 1 = 0.5 ((1 + beta) a + (1 - beta) b) = mean + half
    # child 2 = 0.5 ((1 - beta) a + (1 + beta) b) = mean - half
    child = np.where(first, mean + half, mean - half)
    return child.astype(np.result_type(a, b))


def _sbx_bounded(a: NDArray, b: NDArray, u: NDArray[np.float64], first: NDArray[np.bool_], eta: float,
                 low: NDArray[np.float64], high: NDArray[np.float64]) -> NDArray[np.float64]:
    """Deb's bounded SBX from u in [0, 1): the child on ``a``'s side where ``first``, else the other (float64).

    Genes with ``|a - b| <= 1e-14`` are returned as ``a``.
    """
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    y1 = np.minimum(a64, b64)
    y2 = np.maximum(a64, b64)
    d = y2 - y1
    live = d > 1e-14
    d = np.where(live, d, 1.0)
    e = eta + 1.0

    def spread(room):
        # beta's CDF F is 0.5 b^e on [0, 1] and 1 - 0.5 b^-e above; truncate it at the room left
        beta_max = 1.0 + 2.0 * np.maximum(room, 0.0) / d
        alpha = 2.0 - beta_max ** -e
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(u <= 1.0 / alpha, (u * alpha) ** (1.0 / e), (1.0 / (2.0 - u * alpha)) ** (1.0 / e))

    lower = 0.5 * (y1 + y2 - spread(y1 - low) * d)
    upper = 0.5 * (y1 + y2 + spread(high - y2) * d)
    # ``first`` picks the child on a's side, so that swapping the parents gives the other child
    return np.where(live, np.where(first == (a64 <= b64), lower, upper), a64)


# --------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------


@_shared
def uniform(a: NDArray, b: NDArray, rng: np.random.Generator, *, p: float = 0.5) -> NDArray:
    """Uniform crossover (Syswerda 1989): every gene from ``a`` with probability ``p``.

    ``child[i, g] = a[i, g]`` if ``U(0,1) < p`` else ``b[i, g]``, independently
    for every gene.

    DEAP's ``cxUniform(ind1, ind2, indpb)`` swaps each gene with probability
    ``indpb``, so its first child takes a gene from ``ind1`` with probability
    ``1 - indpb``: ``p = 1 - indpb`` (the usual 0.5 is the same in both).
    PyGAD's ``"uniform"`` crossover is ``p = 0.5``.

    $parents
    p : float, default 0.5
        Probability that a gene comes from ``a``, in [0, 1].

    $children
    """
    a, b = _parents(a, b, rng)
    p = _probability("p", p)
    from_a = rng.random(a.shape) < p
    return np.where(from_a, a, b).astype(np.result_type(a, b), copy=False)


@_shared
def one_point(a: NDArray, b: NDArray, rng: np.random.Generator) -> NDArray:
    """One-point crossover (Holland 1975).

    For each pair a cut ``c`` is drawn uniformly from ``{1, ..., G-1}`` and
    the child is ``a[:c]`` followed by ``b[c:]``, so it always has at least
    one gene of each parent. With G < 2 there is no cut point and the child
    is a copy of ``a``.

    DEAP: ``cxOnePoint`` (same cut distribution; its second child is
    ``b[:c] + a[c:]``). PyGAD: ``"single_point"``.

    $signature
    """
    a, b = _parents(a, b, rng)
    n, g = a.shape
    if g < 2:
        return a.astype(np.result_type(a, b), copy=True)
    cuts = rng.integers(1, g, size=n, dtype=np.int64)
    return _one_point(a, b, cuts)


@_shared
def two_point(a: NDArray, b: NDArray, rng: np.random.Generator) -> NDArray:
    """Two-point crossover (De Jong 1975).

    For each pair two distinct cut points ``lo < hi`` are drawn uniformly
    from ``{1, ..., G}`` (every unordered pair equally likely) and the child
    is ``a`` with the segment ``[lo, hi)`` taken from ``b`` (as in DEAP's
    ``cxTwoPoint``; ``hi = G`` makes it a one-point crossover). With G < 2
    the child is a copy of ``a``.

    DEAP: ``cxTwoPoint``, same distribution of cuts. PyGAD: ``"two_points"``.

    $signature
    """
    a, b = _parents(a, b, rng)
    n, g = a.shape
    if g < 2:
        return a.astype(np.result_type(a, b), copy=True)
    x = rng.integers(1, g + 1, size=n, dtype=np.int64)
    y = rng.integers(1, g, size=n, dtype=np.int64)
    y += y >= x  # y uniform over {1..G} without x
    return _two_point(a, b, np.minimum(x, y), np.maximum(x, y))


@_shared
def neurons(a: NDArray, b: NDArray, rng: np.random.Generator, *, layout: Any, p: float = 0.5) -> NDArray:
    """Layer-aware uniform crossover: whole neurons from one parent.

    Each gene belongs to a unit (a neuron: its incoming weights and its
    bias). For every child and unit, the unit comes from ``a`` with
    probability ``p`` and otherwise from ``b``, all its genes together, so
    the features a neuron has learned are not torn apart (Montana & Davis
    1989, "crossover-nodes"; a uniform crossover on units).

    $parents
    layout : object
        Has ``units``, an integer array of shape (G,) giving the unit
        (0 .. U-1) each gene belongs to, and ``num_units``, the int U
        (e.g. ``net.layout``). Genes of a unit need not be contiguous.
    p : float, default 0.5
        Probability that a unit comes from ``a``, in [0, 1].

    $children
    """
    a, b = _parents(a, b, rng)
    p = _probability("p", p)
    try:
        units = np.asarray(layout.units)
        num_units = int(layout.num_units)
    except AttributeError:
        raise ValueError("layout must have attributes units (shape (G,)) and num_units") from None
    n, g = a.shape
    if units.shape != (g,):
        raise ValueError(f"layout.units must have shape ({g},) to match the genomes, got {units.shape}")
    if units.dtype.kind not in "iu":
        raise ValueError(f"layout.units must be integers, got dtype {units.dtype}")
    if num_units < 0 or (g > 0 and (units.min() < 0 or units.max() >= num_units)):
        raise ValueError(f"layout.units must lie in [0, num_units={num_units})")
    from_a = rng.random((n, num_units)) < p
    return np.where(from_a[:, units], a, b).astype(np.result_type(a, b), copy=False)


@_shared
def blend(a: NDArray, b: NDArray, rng: np.random.Generator, *, alpha: float = 0.5,
          low: float | ArrayLike | None = None, high: float | ArrayLike | None = None,
          repair: str = "clip") -> NDArray:
    """Blend crossover BLX-alpha (Eshelman & Schaffer 1993).

    Per gene, with ``d = |a - b|``, the child is drawn uniformly from

        ``[min(a, b) - alpha d, max(a, b) + alpha d]``.

    ``alpha = 0`` samples between the parents; ``alpha = 0.5`` keeps the
    population's variance in expectation. The child is drawn as
    ``a + gamma (b - a)`` with ``gamma ~ U[-alpha, 1 + alpha)``, so the same
    draws with ``a`` and ``b`` swapped give the mirrored child.

    DEAP: ``cxBlend(ind1, ind2, alpha)`` draws ``gamma ~ U[-alpha, 1 + alpha)``
    and gives ``(1 - gamma) ind1 + gamma ind2``: the same interval, same
    ``alpha``, each child uniform on it. DEAP has no bounds for it; here
    ``low``/``high`` with ``repair`` keep children in a box.

    $float_parents
    alpha : float, default 0.5
        Extension of the interval on each side, as a fraction of ``d``, >= 0.
    low, high : float or ndarray of shape (G,) or None, default None
        Box the children are repaired into (None: unbounded on that side).
    repair : {"clip", "reflect"}, default "clip"
        How a child gene outside the box is brought back (:mod:`evo.operators.bounds`).

    $children
    """
    a, b = _parents(a, b, rng, floating=True)
    alpha = float(alpha)
    if not alpha >= 0.0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    box = _bounds.check(low, high, a.shape[1], repair)
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    gamma = (1.0 + 2.0 * alpha) * rng.random(a.shape) - alpha
    child = np.clip(a64 + gamma * (b64 - a64), np.minimum(a64, b64) - alpha * np.abs(a64 - b64),
                    np.maximum(a64, b64) + alpha * np.abs(a64 - b64))  # against rounding at the ends
    return _bounds.repair(child, box, repair, np.result_type(a, b))


@_shared
def sbx(a: NDArray, b: NDArray, rng: np.random.Generator, *, eta: float = 15.0, prob: float = 1.0,
        low: float | ArrayLike | None = None, high: float | ArrayLike | None = None,
        repair: str = "clip") -> NDArray:
    """Simulated binary crossover (Deb & Agrawal 1995), unbounded or in Deb's bounded form.

    Each gene is crossed with probability ``prob`` (otherwise the child keeps
    ``a``'s gene). Unbounded, with ``u ~ U[0, 1)`` the spread factor is

        ``beta = (2u)^(1/(eta+1))``            if ``u <= 0.5``,
        ``beta = (1 / (2(1-u)))^(1/(eta+1))``  otherwise,

    and the two SBX children are ``c1 = ((1+beta) a + (1-beta) b) / 2`` and
    ``c2 = ((1-beta) a + (1+beta) b) / 2``. One of the two is returned,
    chosen at random independently per gene, i.e.
    ``child = (a+b)/2 +/- beta (a-b)/2``: the pair mean is kept exactly by
    ``c1 + c2 = a + b`` and the child's expectation is ``(a+b)/2``. Large
    ``eta`` keeps children near the parents.

    With ``low`` or ``high`` given, the spread follows Deb's bounded SBX (as
    in NSGA-II and DEAP's ``cxSimulatedBinaryBounded``): with
    ``y1 = min(a, b)``, ``y2 = max(a, b)``, each side's ``beta`` is drawn from
    the SBX distribution truncated so that the child cannot pass the bound on
    that side (``beta <= 1 + 2 (y1 - low) / (y2 - y1)`` for the lower child,
    ``beta <= 1 + 2 (high - y2) / (y2 - y1)`` for the upper one), the child is
    the lower or the upper one at random, and genes with ``|a - b| <= 1e-14``
    are not crossed. Parents outside the box give children that ``repair``
    brings back. Unbounded parents at +-5 with ``eta = 2`` give children
    far outside [-5, 5]; bounded ones never leave it.

    Conventions: our default ``prob = 1`` crosses every gene; Deb's code and
    DEAP's ``cxSimulatedBinaryBounded(eta, low, up)`` cross each gene with
    probability 0.5 (``prob=0.5``); DEAP's unbounded ``cxSimulatedBinary``
    crosses every gene (``prob=1``) and gives ``c1`` to the first child and
    ``c2`` to the second, whose mixture is our child. ``eta`` is the same
    distribution index everywhere.

    $float_parents
    eta : float, default 15.0
        Distribution index, >= 0.
    prob : float, default 1.0
        Probability that a gene is crossed, in [0, 1].
    low, high : float or ndarray of shape (G,) or None, default None
        Bounds per gene (None: unbounded on that side); either one selects
        the bounded form.
    repair : {"clip", "reflect"}, default "clip"
        How a gene of a parent outside the box is brought back (:mod:`evo.operators.bounds`).

    $children
    """
    a, b = _parents(a, b, rng, floating=True)
    eta = float(eta)
    if not eta >= 0.0:
        raise ValueError(f"eta must be >= 0, got {eta}")
    prob = _probability("prob", prob)
    box = _bounds.check(low, high, a.shape[1], repair)
    u = rng.random(a.shape)
    first = rng.random(a.shape) < 0.5
    crossed = rng.random(a.shape) < prob if prob < 1.0 else np.ones(a.shape, bool)
    if box is None:
        child = _sbx(a, b, u, first, eta)
    else:
        child = _sbx_bounded(a, b, u, first, eta, *box)
    child = np.where(crossed, child, a)
    return _bounds.repair(child, box, repair, np.result_type(a, b))


@_shared
def arithmetic(a: NDArray, b: NDArray, rng: np.random.Generator) -> NDArray:
    """Whole arithmetic recombination with a random weight (Michalewicz 1996).

    ``child = w a + (1 - w) b`` with one ``w ~ U[0, 1)`` per child, shared
    by all its genes: the child lies on the segment between its parents
    (clipped to ``[min(a, b), max(a, b)]`` against rounding).

    $float_parents

    $children
    """
    a, b = _parents(a, b, rng, floating=True)
    w = rng.random((a.shape[0], 1))
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    child = np.clip(w * a64 + (1.0 - w) * b64, np.minimum(a64, b64), np.maximum(a64, b64))
    return child.astype(np.result_type(a, b))


NAMES: dict[str, Callable[..., NDArray]] = {
    "uniform": uniform,
    "one_point": one_point,
    "two_point": two_point,
    "neurons": neurons,
    "blend": blend,
    "sbx": sbx,
    "arithmetic": arithmetic,
}
"""Crossover operators by name (the names used in run configs).

``neurons`` needs a ``layout=`` keyword that a config cannot express: the
caller passes the network's layout.
"""


get = getter(NAMES, "crossover")
