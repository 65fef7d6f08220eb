"""The ask/tell genetic algorithm.

One generation::

    genomes = ga.ask()            # (P, G) float32, the population to score
    ga.tell(fitness)              # (P,) fitness, maximised; NaN counts as worst

``tell`` keeps the ``elite`` best genomes unchanged, then fills the rest of the
next population with children: two parents drawn by ``selection``, mated by
``crossover`` with probability ``crossover_rate`` (otherwise the child is a
copy of the first parent), then ``mutation``. All randomness comes from one
``numpy.random.Generator`` owned by the GA, whose state is part of
:meth:`GeneticAlgorithm.state_dict`, so a restored GA continues bit for bit.

Operators are given either as callables with the operator signatures of
:mod:`evo.selection`, :mod:`evo.crossover` and :mod:`evo.mutation`, or by name
with parameters, which is how a TOML run config names them::

    GeneticAlgorithm(num_params=G, pop_size=P, seed=0,
                     selection=("tournament", {"size": 5}),
                     crossover="uniform",
                     mutation={"name": "gaussian", "sigma": 0.1, "rate": 0.05})

A mutation's ``sigma`` may be a schedule (see :func:`evo.mutation.schedule_from_spec`),
evaluated at the current generation.
"""

from __future__ import annotations

import inspect
import json
from typing import Callable

import numpy as np

from evo import crossover as _crossover
from evo import mutation as _mutation
from evo import selection as _selection
from evo._validation import MAX_SEED, check_int, check_memory, check_number

_STATE_VERSION = 1


def _parse_operator(spec, kind: str):
    """Split an operator spec into (name or None, params dict, callable or None)."""
    if callable(spec):
        return None, {}, spec
    if isinstance(spec, str):
        return spec, {}, None
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], dict):
        return spec[0], dict(spec[1]), None
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        params = {k: v for k, v in spec.items() if k != "name"}
        return spec["name"], params, None
    raise ValueError(f"{kind} must be a callable, a name, (name, params) or {{'name': ..., ...}}; got {spec!r}")


class GeneticAlgorithm:
    """A generational genetic algorithm with elitism, driven by ask/tell.

    Parameters
    ----------
    num_params : int
        Genome length ``G``.
    pop_size : int
        Population size ``P``.
    seed : int
        Seed of the GA's generator; the same seed gives the same run.
    selection, crossover, mutation
        Operators: a callable, a name, ``(name, params)`` or ``{"name": ..., **params}``.
        Defaults: tournament of size 3, uniform crossover, Gaussian mutation
        (sigma 0.1, rate 0.1).
    elite : int
        Number of best genomes copied unchanged into the next generation.
    crossover_rate : float
        Probability that a child is made by crossover rather than copied from
        its first parent (mutation applies to both).
    init : callable, optional
        ``init(rng, P) -> (P, G)`` initial genomes (e.g. ``net.init``); by
        default N(0, ``init_scale``^2) per gene.
    init_scale : float
        Standard deviation of the default initialisation.
    layout : object, optional
        Network layout (``net.layout``), required by the ``neurons`` crossover
        when it is named rather than passed as a callable.

    Attributes
    ----------
    generation : int
        Number of completed ``tell`` calls.
    best_genome : ndarray of shape (G,) or None
        Best genome seen in any generation.
    best_fitness : float
        Its fitness (``-inf`` before the first ``tell``).
    """

    def __init__(self, num_params: int, pop_size: int, seed: int = 0, *,
                 selection="tournament", crossover="uniform", mutation="gaussian",
                 elite: int = 2, crossover_rate: float = 0.5,
                 init: Callable | None = None, init_scale: float = 1.0, layout=None):
        self.num_params = check_int("num_params", num_params, 1)
        self.pop_size = check_int("pop_size", pop_size, 1)
        self.seed = check_int("seed", seed, 0, MAX_SEED)
        self.elite = check_int("elite", elite, 0, self.pop_size)
        self.crossover_rate = check_number("crossover_rate", crossover_rate, 0.0, 1.0)
        self.init_scale = check_number("init_scale", init_scale, 0.0)
        if self.init_scale == 0:
            raise ValueError("init_scale must be > 0, got 0.0")
        # population, parents, children and the mutation's noise: about four copies
        check_memory(f"a population of {self.pop_size} x {self.num_params} genes",
                     4.0 * 4 * self.pop_size * self.num_params)
        self.layout = layout
        self._specs = {}
        self._select = self._resolve("selection", selection, _selection)
        self._cross = self._resolve("crossover", crossover, _crossover)
        self._mutate = self._resolve("mutation", mutation, _mutation)
        self._self_adaptive = self._specs["mutation"][0] == "self_adaptive"
        self._try_operators()

        self.rng = np.random.default_rng(self.seed)
        if init is not None:
            pop = np.asarray(init(self.rng, self.pop_size))
        else:
            pop = self.rng.normal(0.0, self.init_scale, (self.pop_size, self.num_params))
        pop = np.ascontiguousarray(pop, dtype=np.float32)
        if pop.shape != (self.pop_size, self.num_params):
            raise ValueError(f"init returned shape {pop.shape}, expected {(self.pop_size, self.num_params)}")
        self.population = pop
        self.sigmas = None
        if self._self_adaptive:
            s0 = float(self._mutation_params.get("sigma", 0.1))
            self.sigmas = np.full(self.pop_size, s0, dtype=np.float64)
        self.generation = 0
        self.best_genome = None
        self.best_fitness = -np.inf
        self.last_fitness = None

    # -- operators --------------------------------------------------------------

    def _resolve(self, kind: str, spec, module):
        name, params, fn = _parse_operator(spec, kind)
        self._specs[kind] = (name, params)
        if fn is not None:
            return fn
        op = module.get(name)
        if kind == "crossover" and name == "neurons":
            if self.layout is None:
                raise ValueError("crossover 'neurons' needs layout= (e.g. net.layout)")
            params = {**params, "layout": self.layout}
        if kind == "mutation":
            self._mutation_params = params
            schedules = {k: _mutation.schedule_from_spec(v) for k, v in params.items()
                         if k == "sigma" and name != "self_adaptive"}
            static = {k: v for k, v in params.items() if k not in schedules and not
                      (name == "self_adaptive" and k == "sigma")}
            self._check_params(kind, name, op, static, schedules)
            return lambda g, rng: op(g, rng, **static, **{k: s(self.generation) for k, s in schedules.items()})
        self._check_params(kind, name, op, params, {})
        return lambda *args: op(*args, **params)

    def _try_operators(self) -> None:
        """Run every named operator once on a tiny population, so bad parameters fail here, not at the first tell.

        Callables are the caller's own code and are not called before the first ``tell``.
        """
        rng = np.random.default_rng(0)  # a throwaway generator: the GA's own stream is untouched
        parents = rng.normal(size=(2, self.num_params)).astype(np.float32)

        def mutate():
            if self._self_adaptive:
                self._mutate_self_adaptive(parents, np.full(2, 0.1), rng)
                return
            for generation in (0, 10**6):  # a schedule is checked at both ends
                self.generation = generation
                self._mutate(parents, rng)

        attempts = (("selection", lambda: self._select(np.arange(4.0), 2, rng)),
                    ("crossover", lambda: self._cross(parents, parents[::-1], rng)),
                    ("mutation", mutate))
        for kind, attempt in attempts:
            if self._specs[kind][0] is None:
                continue
            try:
                attempt()
            except (TypeError, ValueError) as e:
                raise type(e)(f"{kind} {self._specs[kind][0]}: {e}") from None
        self.generation = 0

    @staticmethod
    def _check_params(kind, name, op, params, extra):
        sig = inspect.signature(op)
        accepted = {p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY}
        unknown = sorted((set(params) | set(extra)) - accepted)
        if unknown:
            raise ValueError(f"{kind} {name!r} has no parameter {unknown[0]!r}; "
                             f"known: {', '.join(sorted(accepted)) or 'none'}")

    def config(self) -> dict:
        """Operator names and parameters, as a TOML config would give them (callables show as None)."""
        out = {}
        for kind, (name, params) in self._specs.items():
            out[kind] = {"name": name, **{k: v for k, v in params.items() if k != "layout"}}
        out.update(elite=self.elite, crossover_rate=self.crossover_rate, init_scale=self.init_scale)
        return out

    # -- ask / tell -------------------------------------------------------------

    def ask(self) -> np.ndarray:
        """The population to evaluate: a read-only view of shape (P, G), float32."""
        view = self.population.view()
        view.flags.writeable = False
        return view

    def tell(self, fitness) -> None:
        """Record the fitness of the asked population and breed the next one.

        Parameters
        ----------
        fitness : array_like of shape (P,)
            Fitness of every genome of :meth:`ask`, maximised. NaN is treated
            as the worst possible fitness.
        """
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (self.pop_size,):
            raise ValueError(f"fitness must have shape ({self.pop_size},), got {fitness.shape}")
        clean = np.where(np.isnan(fitness), -np.inf, fitness)
        order = np.argsort(-clean, kind="stable")
        best = int(order[0])
        if self.best_genome is None or clean[best] > self.best_fitness:
            self.best_fitness = float(clean[best])
            self.best_genome = self.population[best].copy()
        self.last_fitness = fitness.copy()

        rng, pop = self.rng, self.population
        n_kids = self.pop_size - self.elite
        ia = self._select(fitness, n_kids, rng)
        ib = self._select(fitness, n_kids, rng)
        a, b = pop[ia], pop[ib]
        mated = rng.random(n_kids) < self.crossover_rate
        kids = a.copy()
        if mated.any():
            kids[mated] = self._cross(a[mated], b[mated], rng)
        if self._self_adaptive:
            kids, kid_sigmas = self._mutate_self_adaptive(kids, self.sigmas[ia], rng)
            self.sigmas = np.concatenate([self.sigmas[order[:self.elite]], kid_sigmas])
        else:
            kids = self._mutate(kids, rng)
        self.population = np.ascontiguousarray(
            np.concatenate([pop[order[:self.elite]], kids]), dtype=np.float32)
        self.generation += 1

    def _mutate_self_adaptive(self, kids, sigmas, rng):
        params = {k: v for k, v in self._mutation_params.items() if k != "sigma"}
        return _mutation.self_adaptive(kids, sigmas, rng, **params)

    # -- checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically, as numpy arrays (``.npz``-ready, no pickle)."""
        d = {
            "version": np.array(_STATE_VERSION),
            "num_params": np.array(self.num_params),
            "pop_size": np.array(self.pop_size),
            "seed": np.array(self.seed),
            "generation": np.array(self.generation),
            "population": self.population.copy(),
            "best_fitness": np.array(self.best_fitness),
            "best_genome": (self.best_genome.copy() if self.best_genome is not None
                            else np.zeros(0, np.float32)),
            "rng_state": np.array(json.dumps(self.rng.bit_generator.state)),
            "config": np.array(json.dumps(self.config())),
        }
        if self.sigmas is not None:
            d["sigmas"] = self.sigmas.copy()
        return d

    @classmethod
    def from_state_dict(cls, state: dict, **operators) -> "GeneticAlgorithm":
        """Rebuild a GA from :meth:`state_dict`.

        Operators given by name are restored from the stored config; pass
        ``selection=``, ``crossover=``, ``mutation=`` (and ``layout=``) again
        where the original GA was given callables or a layout.
        """
        try:
            version = _int_field(state, "version")
            if version != _STATE_VERSION:
                raise ValueError(f"GA state version {version} is not supported")
            config = json.loads(_text_field(state, "config"))
            if not isinstance(config, dict):
                raise ValueError("GA state 'config' must be a JSON table")
            kwargs = {k: config[k] for k in ("selection", "crossover", "mutation")}
            kwargs.update(elite=config["elite"], crossover_rate=config["crossover_rate"],
                          init_scale=config["init_scale"])
            kwargs.update(operators)
            for kind in ("selection", "crossover", "mutation"):
                if isinstance(kwargs[kind], dict) and kwargs[kind].get("name") is None:
                    raise ValueError(f"the stored GA used a callable {kind}: pass {kind}= to restore it")
            num_params, pop_size = _int_field(state, "num_params"), _int_field(state, "pop_size")
            pop = np.asarray(state["population"])
            if pop.dtype != np.float32 or pop.shape != (pop_size, num_params) or not np.isfinite(pop).all():
                raise ValueError(f"GA state 'population' must be finite float32 of shape ({pop_size}, {num_params})")
            ga = cls(num_params, pop_size, _int_field(state, "seed"), init=lambda rng, n: pop, **kwargs)
            ga.generation = _int_field(state, "generation")
            if ga.generation < 0:
                raise ValueError("GA state 'generation' must be >= 0")
            best_fitness = np.asarray(state["best_fitness"])
            if best_fitness.shape != () or best_fitness.dtype.kind != "f" or np.isnan(best_fitness):
                raise ValueError("GA state 'best_fitness' must be a number")
            ga.best_fitness = float(best_fitness)
            best = np.asarray(state["best_genome"])
            if best.size and (best.dtype != np.float32 or best.shape != (num_params,) or not np.isfinite(best).all()):
                raise ValueError(f"GA state 'best_genome' must be finite float32 of shape ({num_params},)")
            ga.best_genome = best.copy() if best.size else None
            if (ga.best_genome is None) != (ga.generation == 0):
                raise ValueError("GA state has a best genome exactly when it has bred a generation")
            ga.rng.bit_generator.state = json.loads(_text_field(state, "rng_state"))
            if ga._self_adaptive:
                sigmas = np.asarray(state["sigmas"])
                if sigmas.dtype != np.float64 or sigmas.shape != (pop_size,) or not (sigmas > 0).all():
                    raise ValueError(f"GA state 'sigmas' must be positive float64 of shape ({pop_size},)")
                ga.sigmas = sigmas.copy()
        except KeyError as e:
            raise ValueError(f"GA state is missing {e.args[0]!r}") from None
        except (TypeError, AttributeError, json.JSONDecodeError) as e:
            raise ValueError(f"GA state is malformed: {e}") from None
        return ga


def _int_field(state: dict, key: str) -> int:
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind not in "iu":
        raise ValueError(f"GA state {key!r} must be a single integer, got {v.dtype} of shape {v.shape}")
    return int(v)


def _text_field(state: dict, key: str) -> str:
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind != "U":
        raise ValueError(f"GA state {key!r} must be text, got {v.dtype} of shape {v.shape}")
    return str(v)
