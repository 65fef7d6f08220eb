"""Mutation: perturb genomes, and schedules for the mutation strength.

Every operator has the signature ``f(genomes, rng, *, settings) -> genomes``
(except :func:`self_adaptive`, which also takes and returns step sizes):

- ``genomes``: ndarray of shape (n, G), floating point.
- ``rng``: a :class:`numpy.random.Generator`, the only source of randomness.
- returns a new ``ndarray of shape (n, G)`` with the input's dtype (float32
  in, float32 out; arithmetic is done in float64 and cast back); the input
  is never modified.

Operators
---------
- :func:`gaussian`       -- add N(0, sigma^2) to a random subset of genes
  (Schwefel 1981; Baeck & Schwefel 1993).
- :func:`reset`          -- redraw a random subset of genes from N(0, scale^2)
  (random resetting, Eiben & Smith 2015, Sect. 4.4.1).
- :func:`polynomial`     -- Deb's bounded polynomial mutation (Deb & Goyal 1996;
  Deb 2001, Sect. 4.2.1; as in NSGA-II).
- :func:`self_adaptive`  -- log-normal self-adaptation of the step sizes, then
  Gaussian mutation (Schwefel 1981; Beyer & Schwefel 2002).

Schedules (a strength that changes over generations, e.g. ``sigma``):
:func:`constant`, :func:`linear`, :func:`exponential` return a
:class:`Schedule`, a callable ``schedule(generation) -> float``;
:func:`schedule_from_spec` builds one from a number or a dict (TOML config).
:func:`one_fifth` is Rechenberg's 1/5-success rule, a step size the GA adapts
from its children's success (:class:`OneFifth`).

Use :func:`get` to look an operator up by name (e.g. from a TOML config).

Conventions for DEAP users: DEAP's ``mut*`` functions change an individual
in place; ours return a mutated copy of a whole batch. A gene-wise
probability (DEAP's ``indpb``) is our ``rate``. Whether a child is mutated
at all (DEAP's ``mutpb`` in ``eaSimple``) is the GA's ``mutation_rate``.
PyGAD's ``mutation_percent_genes`` mutates a fixed number of genes per child;
our ``rate`` mutates each gene independently (the same number on average).

References
----------
- H.-P. Schwefel, *Numerical Optimization of Computer Models*, Wiley, 1981.
- T. Baeck and H.-P. Schwefel, "An overview of evolutionary algorithms for
  parameter optimization", Evolutionary Computation 1(1), 1993, pp. 1-23.
- K. Deb and M. Goyal, "A combined genetic adaptive search (GeneAS) for
  engineering design", Computer Science and Informatics 26(4), 1996.
- K. Deb, *Multi-Objective Optimization using Evolutionary Algorithms*,
  Wiley, 2001.
- H.-G. Beyer and H.-P. Schwefel, "Evolution strategies: a comprehensive
  introduction", Natural Computing 1, 2002, pp. 3-52.
- I. Rechenberg, *Evolutionsstrategie*, Frommann-Holzboog, 1973.
- A. E. Eiben and J. E. Smith, *Introduction to Evolutionary Computing*,
  2nd ed., Springer, 2015.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evo.operators import bounds as _bounds
from evo.operators._docstrings import RNG, section, shared
from evo._validation import as_numbers, check_index, check_rng
from evo.operators.registry import getter

__all__ = [
    "NAMES",
    "OneFifth",
    "Schedule",
    "constant",
    "exponential",
    "gaussian",
    "get",
    "linear",
    "one_fifth",
    "polynomial",
    "reset",
    "schedule_from_spec",
    "self_adaptive",
]


# the sections several operators here document alike, filled in by _shared
_shared = shared(
    parameters=section("Parameters", ("genomes : ndarray of shape (n, G), floating", "Genomes to mutate."), RNG),
    mutated=section("Returns", ("ndarray of shape (n, G)", "Mutated copy, dtype of ``genomes``.")),
)


# --------------------------------------------------------------------------
# validation and kernels with explicit random draws (tested against tests/naive.py)
# --------------------------------------------------------------------------


def _genomes(genomes: NDArray, rng: object) -> NDArray:
    g = np.asarray(genomes)
    if g.ndim != 2:
        raise ValueError(f"genomes must have shape (n, G), got shape {g.shape}")
    if not np.issubdtype(g.dtype, np.floating):
        raise ValueError(f"genomes must be floating point, got dtype {g.dtype}")
    check_rng(rng)
    return g


def _rate(rate: float) -> float:
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    return rate


def _polynomial(
    x: NDArray[np.float64], u: NDArray[np.float64], low: NDArray[np.float64], high: NDArray[np.float64], eta: float
) -> NDArray[np.float64]:
    """Deb's bounded polynomial mutation of values ``x`` with uniforms ``u`` in [0, 1).

    ``x`` is clipped into [low, high] first; the result lies in [low, high].
    """
    x = np.clip(x, low, high)
    span = high - low
    d1 = (x - low) / span
    d2 = (high - x) / span
    m = 1.0 / (eta + 1.0)
    left = u < 0.5
    # u < 0.5: move down; u >= 0.5: move up
    v_left = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - d1) ** (eta + 1.0)
    v_right = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - d2) ** (eta + 1.0)
    delta = np.where(left, v_left**m - 1.0, 1.0 - v_right**m)
    return np.clip(x + delta * span, low, high)


# --------------------------------------------------------------------------
# operators
# --------------------------------------------------------------------------


@_shared
def gaussian(
    genomes: NDArray, rng: np.random.Generator, *, sigma: float | ArrayLike = 0.1, rate: float = 0.1,
    low: float | ArrayLike | None = None, high: float | ArrayLike | None = None, repair: str = "clip",
) -> NDArray:
    """Gaussian mutation: add ``N(0, sigma^2)`` to each gene with probability ``rate``.

    ``x'_ig = x_ig + sigma_i z_ig`` where ``z_ig ~ N(0, 1)`` for the genes
    picked by independent ``U(0,1) < rate`` draws, ``x'_ig = x_ig``
    otherwise (Schwefel 1981; Baeck & Schwefel 1993).

    DEAP: ``mutGaussian(ind, mu=0, sigma, indpb)`` with ``rate = indpb``
    (our noise has mean 0). PyGAD's ``"random"`` mutation adds
    ``U(random_mutation_min_val, random_mutation_max_val)`` noise instead.
    With ``low``/``high`` the mutated genes are repaired into the box
    (:mod:`evo.operators.bounds`; genes not picked are copied unchanged, even if
    outside it); DEAP has no bounded Gaussian mutation.

    $parameters
    sigma : float or ndarray of shape (n,) or (n, G), default 0.1
        Standard deviation, >= 0: one for all, one per individual, or one per
        gene of every individual.
    rate : float, default 0.1
        Probability that a gene is mutated, in [0, 1].
    low, high : float or ndarray of shape (G,) or None, default None
        Box the mutated genes are repaired into (None: unbounded on that side).
    repair : {"clip", "reflect"}, default "clip"
        How a gene pushed out of the box is brought back.

    $mutated
    """
    x = _genomes(genomes, rng)
    rate = _rate(rate)
    box = _bounds.check(low, high, x.shape[1], repair)
    s = as_numbers("sigma", sigma)
    n, g = x.shape
    if s.ndim == 1:
        if s.shape != (n,):
            raise ValueError(f"sigma must be a scalar or have shape ({n},) or {x.shape}, got {s.shape}")
        s = s[:, None]
    elif s.ndim != 0 and s.shape != x.shape:
        raise ValueError(f"sigma must be a scalar or have shape ({n},) or {x.shape}, got {s.shape}")
    if not np.all(s >= 0.0):
        raise ValueError("sigma must be >= 0")
    out = x.copy()
    mask = rng.random(x.shape) < rate
    z = rng.standard_normal(int(mask.sum()))
    sig = np.broadcast_to(s, x.shape)[mask]
    moved = x[mask].astype(np.float64) + sig * z
    if box is None:
        out[mask] = moved.astype(x.dtype)
    else:
        cols = np.nonzero(mask)[1]
        out[mask] = _bounds.repair(moved[:, None], (box[0][cols, None], box[1][cols, None]), repair, x.dtype)[:, 0]
    return out


@_shared
def reset(genomes: NDArray, rng: np.random.Generator, *, rate: float = 0.01, scale: float = 1.0) -> NDArray:
    """Random resetting: redraw each gene with probability ``rate`` from ``N(0, scale^2)``.

    The replacement ignores the old value (Eiben & Smith 2015, Sect. 4.4.1):
    ``x'_ig ~ N(0, scale^2)`` for the genes picked by independent
    ``U(0,1) < rate`` draws. ``N(0, scale^2)`` stands for the initial weight
    distribution; pass the ``scale`` your network was initialised with.

    DEAP has no real-valued reset (``mutUniformInt`` redraws integers
    uniformly). PyGAD's ``"random"`` mutation with
    ``mutation_by_replacement=True`` redraws uniformly in
    ``[random_mutation_min_val, random_mutation_max_val)``; ours is normal.

    $parameters
    rate : float, default 0.01
        Probability that a gene is redrawn, in [0, 1].
    scale : float, default 1.0
        Standard deviation of the redrawn genes, >= 0.

    $mutated
    """
    x = _genomes(genomes, rng)
    rate = _rate(rate)
    scale = float(scale)
    if not scale >= 0.0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    out = x.copy()
    mask = rng.random(x.shape) < rate
    out[mask] = (scale * rng.standard_normal(int(mask.sum()))).astype(x.dtype)
    return out


@_shared
def polynomial(
    genomes: NDArray,
    rng: np.random.Generator,
    *,
    eta: float = 20.0,
    low: float | ArrayLike = -1.0,
    high: float | ArrayLike = 1.0,
    rate: float | None = None,
) -> NDArray:
    """Deb's bounded polynomial mutation (Deb & Goyal 1996; Deb 2001), as in NSGA-II.

    Each gene is mutated with probability ``rate``. For a mutated gene ``x``
    (first clipped into ``[low, high]``), with ``u ~ U[0, 1)``,
    ``d1 = (x - low) / (high - low)``, ``d2 = (high - x) / (high - low)``
    and ``m = 1 / (eta + 1)``:

        ``u < 0.5``:  ``delta = (2u + (1 - 2u)(1 - d1)^(eta+1))^m - 1``
        ``u >= 0.5``: ``delta = 1 - (2(1-u) + 2(u - 1/2)(1 - d2)^(eta+1))^m``

    and ``x' = x + delta (high - low)``, clipped into ``[low, high]``. The
    perturbation never leaves the bounds; large ``eta`` keeps it small.
    Genes not picked are copied unchanged (even if outside the bounds).

    DEAP: ``mutPolynomialBounded(ind, eta, low, up, indpb)``, the same
    formula, with ``rate = indpb``. It is bounded by construction and needs
    no ``repair``.

    $parameters
    eta : float, default 20.0
        Distribution index, >= 0.
    low, high : float or ndarray of shape (G,), default -1.0 and 1.0
        Bounds per gene, ``low < high``.
    rate : float or None, default None
        Probability that a gene is mutated, in [0, 1]; None means ``1 / G``.

    $mutated
    """
    x = _genomes(genomes, rng)
    n, g = x.shape
    eta = float(eta)
    if not eta >= 0.0:
        raise ValueError(f"eta must be >= 0, got {eta}")
    rate = 1.0 / max(g, 1) if rate is None else _rate(rate)
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    for name, v in (("low", lo), ("high", hi)):
        if v.ndim > 1 or (v.ndim == 1 and v.shape != (g,)):
            raise ValueError(f"{name} must be a scalar or have shape ({g},), got {v.shape}")
    lo, hi = np.broadcast_to(lo, (g,)), np.broadcast_to(hi, (g,))
    if not np.all(lo < hi):
        raise ValueError("low must be < high for every gene")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("low and high must be finite")
    out = x.copy()
    mask = rng.random(x.shape) < rate
    cols = np.nonzero(mask)[1]
    u = rng.random(cols.size)
    out[mask] = _polynomial(x[mask].astype(np.float64), u, lo[cols], hi[cols], eta).astype(x.dtype)
    return out


def self_adaptive(
    genomes: NDArray,
    sigmas: ArrayLike,
    rng: np.random.Generator,
    *,
    tau: float | None = None,
    tau_prime: float | None = None,
    min_sigma: float = 1e-5,
) -> tuple[NDArray, NDArray]:
    """Self-adaptive Gaussian mutation with log-normal step sizes (Schwefel 1981).

    The step sizes mutate first, then every gene moves with the new step
    (Beyer & Schwefel 2002; Eiben & Smith 2015, Sect. 4.4.2). With ``G``
    genes and ``z, z_g ~ N(0, 1)`` (``z`` shared by an individual, ``z_g``
    per gene):

    - one sigma per individual, ``sigmas`` of shape (n,):
      ``sigma' = sigma exp(tau_prime z)``, default ``tau_prime = 1/sqrt(G)``
      (``tau`` does not apply and must be None);
    - one sigma per gene, ``sigmas`` of shape (n, G):
      ``sigma'_g = sigma_g exp(tau_prime z + tau z_g)``, defaults
      ``tau_prime = 1/sqrt(2G)``, ``tau = 1/sqrt(2 sqrt(G))``;

    then ``sigma' = max(sigma', min_sigma)`` and ``x'_g = x_g + sigma'_(g) N(0, 1)``
    for every gene. ``G = 0`` uses ``G = 1`` in the defaults.

    DEAP: ``mutESLogNormal(ind, c, indpb)`` on an individual with a
    ``strategy`` attribute (one sigma per gene) uses ``t0 = c / sqrt(2G)``
    (our ``tau_prime``) and ``t = c / sqrt(2 sqrt(G))`` (our ``tau``); our
    per-gene defaults are ``c = 1`` with ``indpb = 1``. The GA keeps one sigma
    per individual by default, or one per gene with ``per_gene = True``.

    Parameters
    ----------
    genomes : ndarray of shape (n, G), floating
        Genomes to mutate.
    sigmas : ndarray of shape (n,) or (n, G)
        Current step sizes, >= 0.
    rng : numpy.random.Generator
        Source of randomness.
    tau : float or None, default None
        Per-gene learning rate (per-gene sigmas only), >= 0.
    tau_prime : float or None, default None
        Per-individual learning rate, >= 0.
    min_sigma : float, default 1e-5
        Lower bound on the new step sizes, >= 0.

    Returns
    -------
    genomes : ndarray of shape (n, G)
        Mutated copy, dtype of ``genomes``.
    sigmas : ndarray of shape (n,) or (n, G)
        New step sizes, same shape as ``sigmas``, dtype of ``sigmas`` if
        floating, else float64.
    """
    x = _genomes(genomes, rng)
    n, g = x.shape
    s = np.asarray(sigmas)
    if s.shape not in ((n,), (n, g)):
        raise ValueError(f"sigmas must have shape ({n},) or {x.shape}, got {s.shape}")
    if s.dtype.kind not in "biuf":
        raise ValueError(f"sigmas must be real numbers, got dtype {s.dtype}")
    if not np.all(s >= 0):
        raise ValueError("sigmas must be >= 0")
    min_sigma = float(min_sigma)
    if not min_sigma >= 0.0:
        raise ValueError(f"min_sigma must be >= 0, got {min_sigma}")
    for name, t in (("tau", tau), ("tau_prime", tau_prime)):
        if t is not None and not float(t) >= 0.0:
            raise ValueError(f"{name} must be >= 0, got {t}")
    gg = max(g, 1)
    s64 = s.astype(np.float64)
    if s.ndim == 1:
        if tau is not None:
            raise ValueError(
                "tau applies to per-gene sigmas of shape (n, G); use tau_prime for one sigma per individual"
            )
        tp = 1.0 / math.sqrt(gg) if tau_prime is None else float(tau_prime)
        new = s64 * np.exp(tp * rng.standard_normal(n))
    else:
        tp = 1.0 / math.sqrt(2.0 * gg) if tau_prime is None else float(tau_prime)
        t = 1.0 / math.sqrt(2.0 * math.sqrt(gg)) if tau is None else float(tau)
        new = s64 * np.exp(tp * rng.standard_normal((n, 1)) + t * rng.standard_normal((n, g)))
    out_dtype = s.dtype if np.issubdtype(s.dtype, np.floating) else np.dtype(np.float64)
    floor = out_dtype.type(min_sigma)
    if floor < min_sigma:  # min_sigma not representable: round the bound up
        floor = np.nextafter(floor, out_dtype.type(np.inf))
    new = np.maximum(new.astype(out_dtype), floor)
    step = new.astype(np.float64)
    if s.ndim == 1:
        step = step[:, None]
    out = (x.astype(np.float64) + step * rng.standard_normal((n, g))).astype(x.dtype)
    return out, new


NAMES: dict[str, Callable[..., Any]] = {
    "gaussian": gaussian,
    "reset": reset,
    "polynomial": polynomial,
    "self_adaptive": self_adaptive,
}
"""Mutation operators by name (the names used in run configs).

``self_adaptive`` has a different signature: ``(genomes, sigmas, rng, ...)``
returning ``(genomes, sigmas)``; the caller keeps the step sizes.
"""


get = getter(NAMES, "mutation")


# --------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------

_KINDS = ("constant", "linear", "exponential")


@dataclass(frozen=True)
class Schedule:
    """A value that changes with the generation: ``schedule(generation) -> float``.

    With ``t = min(generation, generations) / generations``:

    - ``"constant"``: ``start`` (``end == start``);
    - ``"linear"``: ``start + (end - start) t``;
    - ``"exponential"``: ``start (end / start)^t`` (geometric decay or
      growth; ``start`` and ``end`` > 0).

    The value is ``start`` at generation 0 and stays at ``end`` from
    generation ``generations`` on. Build one with :func:`constant`,
    :func:`linear`, :func:`exponential` or :func:`schedule_from_spec`;
    :meth:`to_spec` gives back the config form.

    Attributes
    ----------
    kind : str
        ``"constant"``, ``"linear"`` or ``"exponential"``.
    start, end : float
        Values at generation 0 and from ``generations`` on.
    generations : int
        Length of the ramp, >= 1 (1 for constant).
    """

    kind: str
    start: float
    end: float
    generations: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown schedule kind {self.kind!r}; known: {', '.join(_KINDS)}")
        for name in ("start", "end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"schedule {name} must be a number, got {v!r}")
            if not math.isfinite(v):
                raise ValueError(f"schedule {name} must be finite, got {v}")
            object.__setattr__(self, name, float(v))
        gens = self.generations
        if isinstance(gens, bool) or not isinstance(gens, (int, np.integer)):
            raise ValueError(f"schedule generations must be an integer, got {gens!r}")
        if gens < 1:
            raise ValueError(f"schedule generations must be >= 1, got {gens}")
        object.__setattr__(self, "generations", int(gens))
        if self.kind == "constant" and self.end != self.start:
            raise ValueError("a constant schedule needs end == start")
        if self.kind == "exponential" and not (self.start > 0.0 and self.end > 0.0):
            raise ValueError(f"exponential schedule needs start > 0 and end > 0, got {self.start} and {self.end}")

    def __call__(self, generation: int) -> float:
        """Value at ``generation`` (an integer >= 0)."""
        generation = check_index("generation", generation)
        if self.kind == "constant" or generation >= self.generations:
            return self.end
        t = generation / self.generations
        if self.kind == "linear":
            return self.start + (self.end - self.start) * t
        return self.start * (self.end / self.start) ** t

    def to_spec(self) -> float | dict[str, Any]:
        """The config form: a float for a constant, else a dict for :func:`schedule_from_spec`."""
        if self.kind == "constant":
            return self.start
        return {"kind": self.kind, "start": self.start, "end": self.end, "generations": self.generations}


@dataclass(frozen=True)
class OneFifth:
    """Rechenberg's 1/5-success rule: a step size steered by how often children beat their parents.

    After each generation, with ``p`` the share of children fitter than
    the parent they were copied from, the step size is divided by ``factor``
    if ``p > target``, multiplied by it if ``p < target``, and kept if equal
    (Rechenberg 1973; Schwefel 1981 applies ``factor = 0.817`` every ``G``
    generations, Beyer & Schwefel 2002 give ``factor`` in [0.817, 1) per
    generation). Unlike :class:`Schedule` it is not a function of the
    generation alone: :class:`evo.algorithms.ga.GeneticAlgorithm` carries the current
    value in its state and updates it with :meth:`update`. Config form:
    ``{"kind": "one_fifth", "start": s, "factor": f, "target": t}``
    (``factor`` and ``target`` optional).

    Attributes
    ----------
    start : float
        Step size at generation 0, > 0.
    factor : float
        Change per generation, in (0, 1).
    target : float
        Success rate kept at equilibrium, in (0, 1).
    """

    start: float
    factor: float = 0.85
    target: float = 0.2

    def __post_init__(self) -> None:
        for name, lo, hi in (("start", 0.0, math.inf), ("factor", 0.0, 1.0), ("target", 0.0, 1.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"one_fifth {name} must be a number, got {v!r}")
            if not lo < v < hi:
                raise ValueError(f"one_fifth {name} must be in ({lo}, {hi}), got {v}")
            object.__setattr__(self, name, float(v))

    def update(self, value: float, success_rate: float) -> float:
        """The step size after a generation whose children succeeded at ``success_rate``."""
        if success_rate > self.target:
            return value / self.factor
        if success_rate < self.target:
            return value * self.factor
        return value

    def to_spec(self) -> dict[str, Any]:
        """The config form, for :func:`schedule_from_spec`."""
        return {"kind": "one_fifth", "start": self.start, "factor": self.factor, "target": self.target}


def one_fifth(start: float, factor: float = 0.85, target: float = 0.2) -> OneFifth:
    """The 1/5-success rule starting at ``start`` (see :class:`OneFifth`)."""
    return OneFifth(start, factor, target)


def constant(value: float) -> Schedule:
    """Schedule that always returns ``value``."""
    return Schedule("constant", value, value)


def linear(start: float, end: float, generations: int) -> Schedule:
    """Schedule going linearly from ``start`` (generation 0) to ``end`` (generation ``generations`` on).

    ``value(g) = start + (end - start) min(g, generations) / generations``.
    """
    return Schedule("linear", start, end, generations)


def exponential(start: float, end: float, generations: int) -> Schedule:
    """Schedule going geometrically from ``start`` to ``end``, both > 0.

    ``value(g) = start (end / start)^(min(g, generations) / generations)``:
    a constant factor per generation, e.g. 0.5 -> 0.05 over 100 generations
    multiplies by 0.1^(1/100) each generation.
    """
    return Schedule("exponential", start, end, generations)


def schedule_from_spec(spec: float | dict[str, Any] | Schedule | OneFifth) -> Schedule | OneFifth:
    """Build a :class:`Schedule` from its config form.

    Accepted forms:

    - a number: ``constant(number)``;
    - ``{"kind": "constant", "value": v}``;
    - ``{"kind": "linear" | "exponential", "start": s, "end": e, "generations": g}``;
    - ``{"kind": "one_fifth", "start": s}`` with optional ``factor`` and
      ``target``: a :class:`OneFifth` (adapted by the GA, not by generation);
    - a :class:`Schedule` or :class:`OneFifth` (returned as is).

    Raises
    ------
    ValueError
        For anything else: unknown kind, missing or unexpected keys, wrong
        types or out-of-range values.
    """
    if isinstance(spec, (Schedule, OneFifth)):
        return spec
    if isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        return constant(spec)
    if not isinstance(spec, dict):
        raise ValueError(f"schedule spec must be a number or a table with a 'kind', got {spec!r}")
    kind = spec.get("kind")
    if kind == "one_fifth":
        extra = sorted(set(spec) - {"kind", "start", "factor", "target"})
        if "start" not in spec or extra:
            raise ValueError(f"one_fifth schedule needs 'start' and takes 'factor', 'target'; "
                             f"{'unexpected ' + str(extra) if extra else 'missing start'}")
        return OneFifth(**{k: v for k, v in spec.items() if k != "kind"})
    if kind == "constant":
        required = ("value",)
    elif kind in ("linear", "exponential"):
        required = ("start", "end", "generations")
    else:
        raise ValueError(f"unknown schedule kind {kind!r}; known: {', '.join(_KINDS)}, one_fifth")
    keys = set(spec) - {"kind"}
    if keys != set(required):
        missing = sorted(set(required) - keys)
        extra = sorted(keys - set(required))
        what = "; ".join(
            part for part in (f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else "") if part
        )
        raise ValueError(f"{kind} schedule needs keys {list(required)}: {what}")
    if kind == "constant":
        return constant(spec["value"])
    return Schedule(kind, spec["start"], spec["end"], spec["generations"])
