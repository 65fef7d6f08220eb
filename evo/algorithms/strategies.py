"""Evolution strategies with the ask/tell surface of :class:`evo.GeneticAlgorithm`.

::

    es = strategies.CMAES(num_params=G, seed=0, sigma=0.5)
    for generation in range(100):
        x = es.ask()                  # (P, G) float32, the same array until tell
        es.tell(fitness(x))           # (P,), maximised; NaN counts as the worst

Every strategy keeps a search distribution (a ``mean`` and a step size
``sigma``) and owns one ``numpy.random.Generator`` seeded by ``seed``;
``state_dict()`` holds numpy arrays only (``np.savez`` with
``allow_pickle=False`` stores it) and ``from_state_dict`` restores it so the
next ``ask()`` gives the same array, bit for bit. ``best_genome`` and
``best_fitness`` are the best sample told so far; ``mean`` is what a search
converges to. Bad parameters are refused at construction with one line.

=============  ===========================================================  =====================================
class          what                                                         source
=============  ===========================================================  =====================================
``CMAES``      full covariance, rank-one and rank-mu updates, CSA, IPOP     Hansen 2016 (arXiv:1604.00772);
                                                                            Auger and Hansen 2005 (IPOP)
``SepCMAES``   diagonal covariance: linear in the genome length             Ros and Hansen 2008
``OpenAIES``   mirrored sampling, centred ranks, Adam, weight decay         Salimans et al. 2017
``SNES``       separable natural ES: a mean and a step size per gene        Schaul, Glasmachers, Schmidhuber 2011
``PGPE``       symmetric sampling, per-gene step sizes, ClipUp optimiser    Sehnke et al. 2010; Toklu et al. 2020
=============  ===========================================================  =====================================
"""

from __future__ import annotations

import json
import math

import numpy as np

from evo._validation import (MAX_SEED, as_numbers, check_int, check_memory, check_number, state_array, state_int,
                              state_number, state_rng, state_text)
from evo.algorithms.ga import reading_state
from evo.operators.shaping import centered_ranks
from evo.operators.registry import lookup

_STATE_VERSION = 1
# The largest mean or step size a strategy takes: its samples become float32 genomes, finite only below 3.4e38.
_LARGEST = 1e30


def default_pop_size(num_params: int) -> int:
    """``4 + floor(3 ln G)``, the usual population of CMA-ES and SNES."""
    return 4 + int(3 * math.log(num_params))


class _Strategy:
    """The shared bookkeeping: validation, the generator, ask caching, NaN handling, best, state."""

    _ARRAYS: tuple = ()   # names of ndarray attributes that make up the state
    _SCALARS: tuple = ()  # names of float/int attributes that make up the state

    def __init__(self, num_params: int, pop_size: int | None, seed: int, sigma: float, mean, even: bool = False):
        self.num_params = check_int("num_params", num_params, 1)
        pop = default_pop_size(self.num_params) if pop_size is None else check_int("pop_size", pop_size, 2)
        if even and pop % 2:
            raise ValueError(f"pop_size must be even (mirrored samples come in pairs), got {pop}")
        self.pop_size = pop
        # the samples (float64), their float32 copy and the update's temporaries
        check_memory(f"a population of {pop} x {self.num_params} genes", 32.0 * pop * self.num_params)
        self.seed = check_int("seed", seed, 0, MAX_SEED)
        self.sigma0 = check_number("sigma", sigma, 0.0, _LARGEST)
        if self.sigma0 == 0:
            raise ValueError("sigma must be > 0, got 0.0")
        if mean is None:
            self.mean = np.zeros(self.num_params)
        else:
            m = as_numbers("mean", mean)
            if m.shape != (self.num_params,) or not np.isfinite(m).all():
                raise ValueError(f"mean must be {self.num_params} finite numbers, got shape {m.shape}")
            if np.abs(m).max() > _LARGEST:
                raise ValueError(f"mean must lie within +-{_LARGEST:g} (genomes are float32), "
                                 f"got {float(np.abs(m).max()):g}")
            self.mean = m.copy()
        self.rng = np.random.default_rng(self.seed)
        self.generation = 0
        self.best_genome = None
        self.best_fitness = -np.inf
        self._asked = None

    # -- ask / tell ---------------------------------------------------------------

    def ask(self) -> np.ndarray:
        """The population to evaluate, shape (P, G) float32, read-only; the same until :meth:`tell`."""
        if self._asked is None:
            self._asked = self._sample()
        view = self._asked.astype(np.float32)
        view.flags.writeable = False
        return view

    def tell(self, fitness) -> None:
        """Record the fitness of the asked population (maximised, NaN the worst) and update the distribution."""
        if self._asked is None:
            raise ValueError("tell() needs a population from ask() first")
        f = as_numbers("fitness", fitness)
        if f.shape != (len(self._asked),):
            raise ValueError(f"fitness must have shape ({len(self._asked)},), got {f.shape}")
        clean = np.where(np.isnan(f), -np.inf, f)
        best = int(np.argmax(clean))
        if self.best_genome is None or clean[best] > self.best_fitness:
            self.best_fitness = float(clean[best])
            self.best_genome = self._asked[best].astype(np.float32)
        self._update(self._asked, clean)
        self.generation += 1
        self._asked = None

    # -- checkpoints --------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically, as numpy arrays."""
        d = {
            "version": np.array(_STATE_VERSION),
            "kind": np.array(type(self).__name__),
            "config": np.array(json.dumps(self.config())),
            "generation": np.array(self.generation),
            "best_fitness": np.array(self.best_fitness),
            "best_genome": self.best_genome if self.best_genome is not None else np.zeros(0, np.float32),
            "asked": self._asked if self._asked is not None else np.zeros((0, self.num_params)),
            "rng_state": np.array(json.dumps(self.rng.bit_generator.state)),
            "mean": self.mean.copy(),
        }
        for name in self._ARRAYS:
            d[name] = np.array(getattr(self, name), copy=True)
        for name in self._SCALARS:
            d[name] = np.array(getattr(self, name))
        return d

    @classmethod
    def from_state_dict(cls, state: dict):
        """Rebuild a strategy from :meth:`state_dict`, every field checked (ValueError: one line naming it)."""
        what = cls.__name__
        with reading_state(what):
            version, kind = state_int(what, state, "version"), state_text(what, state, "kind")
            if version != _STATE_VERSION or kind != cls.__name__:
                raise ValueError(f"state is of a {kind} (version {version}), "
                                 f"not of {cls.__name__} (version {_STATE_VERSION})")
            config = json.loads(state_text(what, state, "config"))
            if not isinstance(config, dict):
                raise ValueError(f"{what} state 'config' must be a JSON table")
            es = cls(**config)
            G = es.num_params
            es.generation = state_int(what, state, "generation")
            es.best_fitness = state_number(what, state, "best_fitness", finite=False)
            best = np.asarray(state["best_genome"])
            es.best_genome = state_array(what, state, "best_genome", np.float32, (G,)) if best.size else None
            if (es.best_genome is None) != (es.generation == 0):
                raise ValueError(f"{what} state has a best genome exactly when it has been told a generation")
            state_rng(what, state, "rng_state", es.rng)
            es.mean = state_array(what, state, "mean", np.float64, (G,))
            for name in cls._SCALARS:
                current = getattr(es, name)
                if isinstance(current, int):
                    setattr(es, name, state_int(what, state, name))
                else:
                    setattr(es, name, state_number(what, state, name, finite=name not in cls._UNBOUNDED,
                                                   positive=name in cls._POSITIVE))
            for name in cls._ARRAYS:
                setattr(es, name, state_array(what, state, name, np.float64, np.shape(getattr(es, name)),
                                              positive=name in cls._POSITIVE))
            es._check_state()
            asked = np.asarray(state["asked"])
            rows = getattr(es, "lam", es.pop_size)
            es._asked = (state_array(what, state, "asked", np.float64, (rows, G)) if asked.size else None)
        es._restored()
        return es

    # state fields that must be > 0, and numbers that may be -inf (a best fitness not yet set)
    _POSITIVE: tuple = ()
    _UNBOUNDED: tuple = ()

    def _check_state(self) -> None:
        """Check what ties the restored fields together (ValueError); a strategy adds its own checks."""

    def _restored(self) -> None:
        """Recompute what derives from the state (eigendecompositions)."""

    def config(self) -> dict:
        """The constructor's arguments, as ``from_state_dict`` rebuilds the strategy from them."""
        raise NotImplementedError


class CMAES(_Strategy):
    """(mu/mu_w, lambda)-CMA-ES: cumulative step-size adaptation, rank-one and rank-mu updates.

    Written from Hansen, "The CMA Evolution Strategy: A Tutorial" (2016,
    arXiv:1604.00772), with its default population ``4 + floor(3 ln G)``,
    recombination weights ``ln((lambda + 1) / 2) - ln i`` for the best half,
    its learning rates (``c_sigma`` and ``c_mu`` with the constants of Hansen's
    reference implementation, pycma: ``(mu_eff + 2) / (G + mu_eff + 3)`` and a
    ``1/4`` added to the ``c_mu`` numerator), and its active covariance update: the worse half of
    the samples gets the tutorial's negative weights, which shrinks the
    covariance along directions that failed. ``restarts > 0`` turns on IPOP (Auger and
    Hansen, 2005): when the search stalls (its step size collapses, its
    covariance degenerates or its best fitness stops changing for a while), it
    restarts from a fresh point near the initial mean with twice the
    population, up to ``restarts`` times.

    Parameters
    ----------
    num_params : int
    pop_size : int, optional
        lambda (default ``4 + floor(3 ln G)``).
    seed : int
    sigma : float
        Initial step size.
    mean : array_like of shape (G,), optional
        Initial mean (default zeros).
    restarts : int
        IPOP restarts allowed (0: none).
    """

    _ARRAYS = ("C", "pc", "ps")
    _SCALARS = ("sigma", "lam", "restarts_done", "stall", "best_recent")
    _POSITIVE = ("sigma",)
    _UNBOUNDED = ("best_recent",)

    def __init__(self, num_params: int, pop_size: int | None = None, seed: int = 0, *, sigma: float = 0.5,
                 mean=None, restarts: int = 0):
        super().__init__(num_params, pop_size, seed, sigma, mean)
        self.restarts = check_int("restarts", restarts, 0, 20)
        self._check_size()
        biggest = self.pop_size << self.restarts  # IPOP doubles the population at every restart
        check_memory(f"{self.restarts} restarts (a last population of {biggest} x {self.num_params} genes)",
                     32.0 * biggest * self.num_params)
        self.mean0 = self.mean.copy()
        self.restarts_done = 0
        self._start(self.pop_size)

    def config(self) -> dict:
        return {"num_params": self.num_params, "pop_size": self.pop_size, "seed": self.seed, "sigma": self.sigma0,
                "mean": self.mean0.tolist(), "restarts": self.restarts}

    def _start(self, lam: int) -> None:
        n = self.num_params
        self.lam = int(lam)
        self.sigma = float(self.sigma0)
        self.C = self._identity()
        self.pc = np.zeros(n)
        self.ps = np.zeros(n)
        self.stall = 0
        self.best_recent = -math.inf
        self._restored()

    def _check_state(self) -> None:
        if not 0 <= self.restarts_done <= self.restarts or self.lam != self.pop_size << self.restarts_done:
            raise ValueError(f"{type(self).__name__} state: 'lam' {self.lam} and 'restarts_done' {self.restarts_done} "
                             f"disagree with pop_size {self.pop_size} and restarts {self.restarts} (lam doubles "
                             f"at each restart)")
        diagonal = np.diagonal(self.C) if self.C.ndim == 2 else self.C
        if not (diagonal > 0).all():
            raise ValueError(f"{type(self).__name__} state 'C' must have a positive diagonal")

    def _check_size(self) -> None:
        """Refuse a covariance this machine cannot hold: C, its eigenvectors and the update's temporaries."""
        n = self.num_params
        check_memory(f"CMA-ES on {n} genes (a {n} x {n} covariance)", 40.0 * n * n)

    def _identity(self) -> np.ndarray:
        return np.eye(self.num_params)

    def _restored(self) -> None:
        n, lam = self.num_params, self.lam
        self.mu = lam // 2
        raw = math.log((lam + 1) / 2) - np.log(np.arange(1, lam + 1))  # positive for the best half
        pos, neg = raw[raw > 0], raw[raw < 0]
        mueff = self.mueff = pos.sum() ** 2 / np.sum(pos**2)
        self.weights = pos / pos.sum()  # recombination of the mean: the best mu, positive weights
        self.cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
        self.cs = (mueff + 2) / (n + mueff + 3)
        self.c1 = 2 / ((n + 1.3) ** 2 + mueff)
        self.cmu = min(1 - self.c1, 2 * (0.25 + mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
        self.damps = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + self.cs
        self.chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self._active_weights(raw, pos, neg)
        self._decompose()

    def _active_weights(self, raw, pos, neg) -> None:
        """The covariance weights of the tutorial's active CMA-ES: the worse half gets negative weights."""
        n, mueff = self.num_params, self.mueff
        mueff_neg = neg.sum() ** 2 / np.sum(neg**2) if len(neg) else 0.0
        scale = min(1 + self.c1 / self.cmu, 1 + 2 * mueff_neg / (mueff + 2),
                    (1 - self.c1 - self.cmu) / (n * self.cmu))
        self.cov_weights = np.where(raw >= 0, raw / pos.sum(), scale * raw / -neg.sum() if len(neg) else 0.0)

    def _decompose(self) -> None:
        if not np.isfinite(self.C).all():
            return  # _check_stall starts afresh
        self.C = np.triu(self.C) + np.triu(self.C, 1).T  # exactly symmetric
        d2, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(d2, 1e-300))

    def _sample(self) -> np.ndarray:
        z = self.rng.standard_normal((self.lam, self.num_params))
        return self.mean + self.sigma * (z * self.D) @ self.B.T

    def _update(self, x, fitness) -> None:
        n = self.num_params
        order = np.argsort(-fitness, kind="stable")
        y_all = (x[order] - self.mean) / self.sigma
        y = y_all[:self.mu]
        ymean = self.weights @ y
        self.mean = self.mean + self.sigma * ymean
        inv_sqrt_c_y = self.B @ ((self.B.T @ ymean) / self.D)
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * inv_sqrt_c_y
        ps_norm = float(np.linalg.norm(self.ps))
        g = self.generation + 1
        hsig = ps_norm / math.sqrt(1 - (1 - self.cs) ** (2 * g)) / self.chi_n < 1.4 + 2 / (n + 1)
        self.pc = (1 - self.cc) * self.pc + hsig * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * ymean
        w = self.cov_weights.copy()
        worse = w < 0  # a negative weight acts on the step's Mahalanobis-normalised length
        if worse.any():
            z = (y_all[worse] @ self.B) / self.D
            w[worse] *= n / np.maximum(np.sum(z**2, axis=1), 1e-300)
        rank_mu = (y_all * w[:, None]).T @ y_all
        delta = (1 - hsig) * self.cc * (2 - self.cc)
        self.C = ((1 + self.c1 * delta - self.c1 - self.cmu * self.cov_weights.sum()) * self.C
                  + self.c1 * np.outer(self.pc, self.pc) + self.cmu * rank_mu)
        self.sigma *= math.exp(min(1.0, (self.cs / self.damps) * (ps_norm / self.chi_n - 1)))
        self._decompose()
        self._check_stall(fitness)

    def _check_stall(self, fitness) -> None:
        if not (np.isfinite(self.C).all() and np.isfinite(self.mean).all() and 1e-300 < self.sigma < 1e300):
            # numerically exhausted (the search has collapsed far below any useful scale): start the
            # distribution afresh around the last finite mean
            if not np.isfinite(self.mean).all():
                self.mean = self.mean0.copy()
            self._start(self.lam)
            return
        best = float(np.max(fitness))
        if not math.isfinite(self.best_recent) or best > self.best_recent + 1e-12 * max(1.0, abs(self.best_recent)):
            self.best_recent, self.stall = best, 0
        else:
            self.stall += 1
        stalled = (self.sigma * self.D.max() < 1e-12 * self.sigma0
                   or self.D.max() > 1e7 * self.D.min()
                   or self.stall > 10 + int(30 * self.num_params / self.lam)
                   or not np.isfinite(self.C).all())
        if stalled and self.restarts_done < self.restarts:
            self.restarts_done += 1
            self.mean = self.mean0 + self.sigma0 * self.rng.uniform(-1.0, 1.0, self.num_params)
            self._start(self.lam * 2)


class SepCMAES(CMAES):
    """CMA-ES with a diagonal covariance (Ros and Hansen, "A Simple Modification in CMA-ES Achieving
    Linear Time and Space Complexity", 2008): every update costs O(G), so genomes of thousands of
    genes stay cheap; the rank-one and rank-mu rates grow by ``(G + 2) / 3`` as the paper gives.

    Parameters as :class:`CMAES`; ``C`` is the vector of the diagonal.
    """

    def _check_size(self) -> None:
        """A diagonal covariance: linear in the genome length, always held."""

    def _identity(self) -> np.ndarray:
        return np.ones(self.num_params)

    def _restored(self) -> None:
        super()._restored()
        scale = (self.num_params + 2) / 3
        self.c1 = min(1.0, self.c1 * scale)
        self.cmu = min(1 - self.c1, self.cmu * scale)

    def _decompose(self) -> None:
        self.D = np.sqrt(np.maximum(self.C, 1e-300))

    def _sample(self) -> np.ndarray:
        return self.mean + self.sigma * self.rng.standard_normal((self.lam, self.num_params)) * self.D

    def _update(self, x, fitness) -> None:
        n = self.num_params
        order = np.argsort(-fitness, kind="stable")[:self.mu]
        y = (x[order] - self.mean) / self.sigma
        ymean = self.weights @ y
        self.mean = self.mean + self.sigma * ymean
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * ymean / self.D
        ps_norm = float(np.linalg.norm(self.ps))
        g = self.generation + 1
        hsig = ps_norm / math.sqrt(1 - (1 - self.cs) ** (2 * g)) / self.chi_n < 1.4 + 2 / (n + 1)
        self.pc = (1 - self.cc) * self.pc + hsig * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * ymean
        self.C = ((1 - self.c1 - self.cmu) * self.C
                  + self.c1 * (self.pc**2 + (1 - hsig) * self.cc * (2 - self.cc) * self.C)
                  + self.cmu * (self.weights @ y**2))
        self.sigma *= math.exp(min(1.0, (self.cs / self.damps) * (ps_norm / self.chi_n - 1)))
        self._decompose()
        self._check_stall(fitness)


class OpenAIES(_Strategy):
    """The evolution strategy of Salimans, Ho, Chen, Sidor and Sutskever, "Evolution Strategies as a
    Scalable Alternative to Reinforcement Learning" (2017).

    Mirrored samples ``mean +- sigma * eps``; fitness shaped into centred ranks;
    the gradient estimate ``sum(F_i eps_i) / (P sigma)`` minus ``weight_decay *
    mean`` ascended with Adam (Kingma and Ba, 2015). ``sigma`` stays fixed.

    Parameters
    ----------
    num_params, pop_size (even; default 2 * (4 + floor(3 ln G)) // 2 * 2), seed, mean
    sigma : float
        Noise standard deviation.
    learning_rate, beta1, beta2, epsilon : float
        Adam's settings.
    weight_decay : float
        L2 pull of the mean towards zero.
    """

    _ARRAYS = ("m", "v")
    _SCALARS = ("sigma",)
    _POSITIVE = ("sigma",)

    def _check_state(self) -> None:
        if not (self.v >= 0).all():
            raise ValueError("OpenAIES state 'v' (Adam's second moment) must be >= 0")

    def __init__(self, num_params: int, pop_size: int | None = None, seed: int = 0, *, sigma: float = 0.1,
                 mean=None, learning_rate: float = 0.03, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.005):
        if pop_size is None:
            pop_size = 2 * ((default_pop_size(check_int("num_params", num_params, 1)) + 1) // 2)
        super().__init__(num_params, pop_size, seed, sigma, mean, even=True)
        self.sigma = self.sigma0
        self.learning_rate = check_number("learning_rate", learning_rate, 1e-12, 10.0)
        self.beta1 = check_number("beta1", beta1, 0.0, 0.999999)
        self.beta2 = check_number("beta2", beta2, 0.0, 0.999999)
        self.epsilon = check_number("epsilon", epsilon, 1e-300, 1.0)
        self.weight_decay = check_number("weight_decay", weight_decay, 0.0, 1.0)
        self.m = np.zeros(self.num_params)
        self.v = np.zeros(self.num_params)
        self.mean0 = self.mean.copy()

    def config(self) -> dict:
        return {"num_params": self.num_params, "pop_size": self.pop_size, "seed": self.seed, "sigma": self.sigma0,
                "mean": self.mean0.tolist(), "learning_rate": self.learning_rate, "beta1": self.beta1,
                "beta2": self.beta2, "epsilon": self.epsilon, "weight_decay": self.weight_decay}

    def _sample(self) -> np.ndarray:
        eps = self.rng.standard_normal((self.pop_size // 2, self.num_params))
        return self.mean + self.sigma * np.concatenate([eps, -eps])

    def _update(self, x, fitness) -> None:
        eps = (x - self.mean) / self.sigma
        grad = centered_ranks(fitness) @ eps / (len(x) * self.sigma) - self.weight_decay * self.mean
        t = self.generation + 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**t)
        v_hat = self.v / (1 - self.beta2**t)
        self.mean = self.mean + self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class SNES(_Strategy):
    """Separable natural evolution strategy (Schaul, Glasmachers and Schmidhuber, "High Dimensions and
    Heavy Tails for Natural Evolution Strategies", 2011; Wierstra et al., JMLR 2014).

    A mean and a step size per gene; rank-based utilities
    ``max(0, ln(P/2 + 1) - ln k)`` normalised, minus ``1/P``; the mean moves by
    ``eta_mu * sigma * sum(u_k s_k)`` and each step size is multiplied by
    ``exp(eta_sigma / 2 * sum(u_k (s_k^2 - 1)))``, with the paper's default
    rates (``eta_mu`` 1, ``eta_sigma`` ``(3 + ln G) / (5 sqrt G)``).

    Parameters
    ----------
    num_params, pop_size (default 4 + floor(3 ln G)), seed, mean
    sigma : float
        Initial step size of every gene.
    eta_mu, eta_sigma : float, optional
    """

    _ARRAYS = ("sigmas",)
    _POSITIVE = ("sigmas",)

    def __init__(self, num_params: int, pop_size: int | None = None, seed: int = 0, *, sigma: float = 0.5,
                 mean=None, eta_mu: float = 1.0, eta_sigma: float | None = None):
        super().__init__(num_params, pop_size, seed, sigma, mean)
        n = self.num_params
        self.eta_mu = check_number("eta_mu", eta_mu, 1e-9, 10.0)
        self.eta_sigma = (check_number("eta_sigma", eta_sigma, 1e-9, 10.0) if eta_sigma is not None
                          else (3 + math.log(n)) / (5 * math.sqrt(n)))
        self.sigmas = np.full(n, self.sigma0)
        self.mean0 = self.mean.copy()
        k = np.arange(1, self.pop_size + 1)
        u = np.maximum(0.0, math.log(self.pop_size / 2 + 1) - np.log(k))
        self.utilities = u / u.sum() - 1.0 / self.pop_size

    @property
    def sigma(self) -> float:
        """The mean step size over the genes (for display)."""
        return float(np.mean(self.sigmas))

    def config(self) -> dict:
        return {"num_params": self.num_params, "pop_size": self.pop_size, "seed": self.seed, "sigma": self.sigma0,
                "mean": self.mean0.tolist(), "eta_mu": self.eta_mu, "eta_sigma": self.eta_sigma}

    def _sample(self) -> np.ndarray:
        return self.mean + self.sigmas * self.rng.standard_normal((self.pop_size, self.num_params))

    def _update(self, x, fitness) -> None:
        s = (x - self.mean) / self.sigmas
        u = np.empty(len(x))
        u[np.argsort(-fitness, kind="stable")] = self.utilities
        self.mean = self.mean + self.eta_mu * self.sigmas * (u @ s)
        self.sigmas = self.sigmas * np.exp(self.eta_sigma / 2 * (u @ (s**2 - 1)))


class PGPE(_Strategy):
    """Policy gradients with parameter-based exploration (Sehnke et al., "Parameter-exploring policy
    gradients", Neural Networks 2010), with the ClipUp optimiser (Toklu, Liskowski and Srivastava,
    "ClipUp: A Simple and Powerful Optimizer for Distribution-based Policy Evolution", 2020).

    Symmetric samples ``mean +- eps``, ``eps ~ N(0, sigmas^2)``, fitness shaped
    into centred ranks. The mean's gradient ``sum(eps_i (f+_i - f-_i) / 2) / N``
    is normalised, scaled by ``step_size`` and added to a velocity with
    ``momentum``, whose length is clipped to ``max_speed``; the step sizes follow
    ``sum(((f+_i + f-_i) / 2 - mean f) (eps_i^2 - sigmas^2) / sigmas) / N`` at
    ``sigma_learning_rate``, each change clipped to ``max_sigma_change`` of its
    value.

    Unlike ClipUp's fixed ones, ``step_size`` and ``max_speed`` are scaled by
    the mean step size over its initial value (``mean(sigmas) / sigma``), so
    the mean's steps shrink as the search narrows: with fixed ones the mean
    keeps circling the optimum at a distance set by ``max_speed`` (a 10-d
    sphere stalled near 1e-2). The defaults (momentum 0.5, ``sigma_learning_rate``
    0.2) take a 10-d sphere from a mean of 2 below 1e-8 within 600 generations.

    Parameters
    ----------
    num_params, pop_size (even), seed, mean
    sigma : float
        Initial step size of every gene.
    step_size, momentum, max_speed : float
        ClipUp's settings at the initial step size (default ``step_size = max_speed / 2``).
    sigma_learning_rate, max_sigma_change : float
    """

    _ARRAYS = ("sigmas", "velocity")
    _POSITIVE = ("sigmas",)

    def __init__(self, num_params: int, pop_size: int | None = None, seed: int = 0, *, sigma: float = 0.1,
                 mean=None, max_speed: float = 0.15, step_size: float | None = None, momentum: float = 0.5,
                 sigma_learning_rate: float = 0.2, max_sigma_change: float = 0.2):
        if pop_size is None:
            pop_size = 2 * ((default_pop_size(check_int("num_params", num_params, 1)) + 1) // 2)
        super().__init__(num_params, pop_size, seed, sigma, mean, even=True)
        self.max_speed = check_number("max_speed", max_speed, 1e-12)
        self.step_size = (check_number("step_size", step_size, 1e-12) if step_size is not None
                          else self.max_speed / 2)
        self.momentum = check_number("momentum", momentum, 0.0, 0.999999)
        self.sigma_learning_rate = check_number("sigma_learning_rate", sigma_learning_rate, 0.0, 10.0)
        self.max_sigma_change = check_number("max_sigma_change", max_sigma_change, 0.0, 1.0)
        self.sigmas = np.full(self.num_params, self.sigma0)
        self.velocity = np.zeros(self.num_params)
        self.mean0 = self.mean.copy()

    @property
    def sigma(self) -> float:
        """The mean step size over the genes (for display)."""
        return float(np.mean(self.sigmas))

    def config(self) -> dict:
        return {"num_params": self.num_params, "pop_size": self.pop_size, "seed": self.seed, "sigma": self.sigma0,
                "mean": self.mean0.tolist(), "max_speed": self.max_speed, "step_size": self.step_size,
                "momentum": self.momentum, "sigma_learning_rate": self.sigma_learning_rate,
                "max_sigma_change": self.max_sigma_change}

    def _sample(self) -> np.ndarray:
        eps = self.rng.standard_normal((self.pop_size // 2, self.num_params)) * self.sigmas
        return self.mean + np.concatenate([eps, -eps])

    def _update(self, x, fitness) -> None:
        half = len(x) // 2
        eps = x[:half] - self.mean
        shaped = centered_ranks(fitness)
        plus, minus = shaped[:half], shaped[half:]
        grad = ((plus - minus) / 2) @ eps / half
        norm = float(np.linalg.norm(grad))
        scale = float(np.mean(self.sigmas)) / self.sigma0  # the steps narrow with the search
        if norm > 0:
            self.velocity = self.momentum * self.velocity + scale * self.step_size * grad / norm
            speed = float(np.linalg.norm(self.velocity))
            if speed > scale * self.max_speed:
                self.velocity *= scale * self.max_speed / speed
        self.mean = self.mean + self.velocity
        baseline = shaped.mean()
        grad_sigma = (((plus + minus) / 2 - baseline) @ ((eps**2 - self.sigmas**2) / self.sigmas)) / half
        change = np.clip(self.sigma_learning_rate * grad_sigma, -self.max_sigma_change * self.sigmas,
                         self.max_sigma_change * self.sigmas)
        self.sigmas = self.sigmas + change


ALGORITHMS = {"cmaes": CMAES, "sep_cmaes": SepCMAES, "openai_es": OpenAIES, "snes": SNES, "pgpe": PGPE}


def make(name: str, num_params: int, pop_size: int | None = None, seed: int = 0, **params):
    """A strategy by its name in :data:`ALGORITHMS` (ValueError listing the known ones)."""
    return lookup(ALGORITHMS, name, "strategy")(num_params, pop_size, seed, **params)


__all__ = ["CMAES", "SepCMAES", "OpenAIES", "SNES", "PGPE", "ALGORITHMS", "make", "default_pop_size"]
