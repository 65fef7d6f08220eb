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
:mod:`evo.operators.selection`, :mod:`evo.operators.crossover` and :mod:`evo.operators.mutation`, or by name
with parameters, which is how a TOML run config names them::

    GeneticAlgorithm(num_params=G, pop_size=P, seed=0,
                     selection=("tournament", {"size": 5}),
                     crossover="uniform",
                     mutation={"name": "gaussian", "sigma": 0.1, "rate": 0.05})

A mutation's ``sigma`` may be a schedule (see :func:`evo.operators.mutation.schedule_from_spec`),
evaluated at the current generation, or the 1/5-success rule
(``{"kind": "one_fifth", "start": 0.3}``), adapted from how often children beat
their parents.

The loop is chosen by ``replacement`` (``pop_size`` is always the number of
genomes ``ask`` returns, DEAP's ``lambda_``):

- ``"generational"``: the ``elite`` best plus ``pop_size - elite`` children
  of the asked population (``eaSimple`` with ``elite=0,
  children_per_pair=2``);
- ``"plus"``: the best ``survivors`` of the previous parents and the asked
  children are the parents (``eaMuPlusLambda``, ``survivors`` = ``mu``);
- ``"comma"``: the best ``survivors`` of the asked children only
  (``eaMuCommaLambda``);
- ``"steady_state"``: a population of ``survivors``; each asked child, in
  order, replaces the population's current worst member (delete-worst,
  Whitley's GENITOR), or joins it while it has fewer than ``survivors``
  members; a small ``pop_size`` gives the classic one-at-a-time loop;
- ``"nsga2"``: several objectives, ``tell`` taking (P, M) fitness: the
  ``survivors`` best of the previous parents and the asked children by
  front rank, then crowding distance (:func:`evo.operators.selection.nsga2`,
  Deb et al. 2002), and ``selection`` drawing parents by the same order
  among them (rank first, then crowding: a tournament is NSGA-II's crowded
  tournament); ``best_genome`` is the best on the first objective.

Every child comes from a pair of parents drawn by ``selection`` (from the
survivors outside the generational loop); a pair is crossed with probability
``crossover_rate`` (else its children are copies of the parents) and gives
``children_per_pair`` children, the second one the complement of the first
(the same random draws with the parents swapped, as DEAP's two children); a
child is then mutated with probability ``mutation_rate`` (DEAP's ``mutpb``) and
repaired into ``[low, high]`` when bounds are given.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
from typing import Callable

import numpy as np

from evo.operators import bounds as _bounds
from evo.operators import crossover as _crossover
from evo.operators import mutation as _mutation
from evo.operators import selection as _selection
from evo._validation import MAX_SEED, as_numbers, check_int, check_memory, check_number

_STATE_VERSION = 1
# the GA's options beside the operators, as config() and state_dict() record them
_LOOP_OPTIONS = ("replacement", "survivors", "children_per_pair", "mutation_rate", "low", "high", "repair")
REPLACEMENTS = ("generational", "plus", "comma", "steady_state", "nsga2")


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
        Number of best genomes copied unchanged into the next generation
        (``replacement="generational"`` only; the other loops keep their
        survivors by construction).
    crossover_rate : float
        Probability that a pair of parents is crossed rather than copied
        (DEAP's ``cxpb``; with one child per pair it is per child).
    replacement : {"generational", "plus", "comma", "steady_state", "nsga2"}
        The loop (see the module docstring).
    survivors : int, optional
        ``mu``, the parents kept by ``plus``, ``comma``, ``steady_state`` and ``nsga2``;
        default ``pop_size``; ``comma`` needs ``survivors <= pop_size``.
    children_per_pair : {1, 2}
        Children made from each pair of parents (DEAP's operators make 2).
    mutation_rate : float
        Probability that a child is mutated (DEAP's ``mutpb``); 1 mutates every
        child, the operator's own ``rate`` deciding which genes.
    low, high : float or array of shape (G,), optional
        Bounds every asked genome is repaired into (the initial population
        too); None: unbounded on that side.
    repair : {"clip", "reflect"}
        How a gene beyond a bound is brought back (:mod:`evo.operators.bounds`).
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
                 init: Callable | None = None, init_scale: float = 1.0, layout=None,
                 replacement: str = "generational", survivors: int | None = None,
                 children_per_pair: int = 1, mutation_rate: float = 1.0,
                 low=None, high=None, repair: str = "clip"):
        self.num_params = check_int("num_params", num_params, 1)
        self.pop_size = check_int("pop_size", pop_size, 1)
        self.seed = check_int("seed", seed, 0, MAX_SEED)
        if replacement not in REPLACEMENTS:
            raise ValueError(f"replacement must be one of {', '.join(REPLACEMENTS)}, got {replacement!r}")
        self.elite = check_int("elite", elite, 0, self.pop_size if replacement == "generational" else None)
        self.crossover_rate = check_number("crossover_rate", crossover_rate, 0.0, 1.0)
        self.replacement = replacement
        self.survivors = self.pop_size if survivors is None else check_int("survivors", survivors, 1)
        if replacement == "comma" and self.survivors > self.pop_size:
            raise ValueError(f"replacement 'comma' keeps survivors among the {self.pop_size} children: "
                             f"survivors must be <= pop_size, got {self.survivors}")
        self.children_per_pair = check_int("children_per_pair", children_per_pair, 1, 2)
        self.mutation_rate = check_number("mutation_rate", mutation_rate, 0.0, 1.0)
        self._box = _bounds.check(low, high, self.num_params, repair)
        largest = float(np.finfo(np.float32).max)
        if self._box is not None and not (np.all(self._box[0] <= largest) and np.all(self._box[1] >= -largest)):
            raise ValueError(f"low and high must leave room for finite float32 genes: low <= {largest:.4g} "
                             f"and high >= {-largest:.4g} for every gene")
        self.repair = repair
        self.low = None if low is None else np.asarray(low, dtype=np.float64).tolist()
        self.high = None if high is None else np.asarray(high, dtype=np.float64).tolist()
        self.init_scale = check_number("init_scale", init_scale, 0.0)
        if self.init_scale == 0:
            raise ValueError("init_scale must be > 0, got 0.0")
        # population, parents, children and the mutation's noise: about four copies
        check_memory(f"a population of {self.pop_size} x {self.num_params} genes",
                     4.0 * 4 * self.pop_size * self.num_params)
        self.layout = layout
        self._specs = {}
        self._one_fifth = None
        self._select = self._resolve("selection", selection, _selection)
        self._cross = self._resolve("crossover", crossover, _crossover)
        self._mutate = self._resolve("mutation", mutation, _mutation)
        self._self_adaptive = self._specs["mutation"][0] == "self_adaptive"
        self._per_gene = bool(self._self_adaptive and self._specs["mutation"][1].get("per_gene", False))
        self._try_operators()
        if replacement == "nsga2" and self._one_fifth is not None:
            raise ValueError("the 1/5-success rule compares one fitness: it does not work with replacement 'nsga2'")

        self.rng = np.random.default_rng(self.seed)
        if init is not None:
            pop = np.asarray(init(self.rng, self.pop_size))
        else:
            pop = self.rng.normal(0.0, self.init_scale, (self.pop_size, self.num_params))
        pop = np.ascontiguousarray(pop, dtype=np.float32)
        if pop.shape != (self.pop_size, self.num_params):
            raise ValueError(f"init returned shape {pop.shape}, expected {(self.pop_size, self.num_params)}")
        self.population = np.ascontiguousarray(_bounds.repair(pop, self._box, self.repair, np.float32))
        self.sigmas = None
        if self._self_adaptive:
            s0 = float(self._mutation_params.get("sigma", 0.1))
            shape = (self.pop_size, self.num_params) if self._per_gene else (self.pop_size,)
            self.sigmas = np.full(shape, s0, dtype=np.float64)
        # the parents kept between generations by "plus" and "steady_state": genomes, fitness, sigmas
        self.parents = self.parents_fitness = self.parents_sigmas = None
        # the 1/5-success rule: current step size, and the fitness of each asked child's parent
        self.step = self._one_fifth.start if self._one_fifth is not None else None
        self.parent_fitness = np.full(self.pop_size, np.nan)
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
            if name == "self_adaptive":
                if not isinstance(params.get("per_gene", False), bool):
                    raise ValueError(f"mutation self_adaptive: per_gene must be true or false, "
                                     f"got {params['per_gene']!r}")
                check_number("mutation self_adaptive: sigma", params.get("sigma", 0.1), 0.0, 1e30)
                static = {k: v for k, v in params.items() if k not in ("sigma", "per_gene")}
                self._check_params(kind, name, op, static, {})
                return lambda g, sigmas, rng: op(g, sigmas, rng, **static)
            schedules = {k: _mutation.schedule_from_spec(v) for k, v in params.items() if k == "sigma"}
            static = {k: v for k, v in params.items() if k not in schedules}
            self._check_params(kind, name, op, static, schedules)
            if isinstance(schedules.get("sigma"), _mutation.OneFifth):
                self._one_fifth = schedules["sigma"]
                return lambda g, rng: op(g, rng, **static, sigma=self.step)
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
                self._mutate(parents, np.full((2, self.num_params) if self._per_gene else 2, 0.1), rng)
                return
            self.step = self._one_fifth.start if self._one_fifth is not None else None
            for generation in (0, 10**6):  # a schedule is checked at both ends
                self.generation = generation
                if not np.isfinite(np.asarray(self._mutate(parents, rng), dtype=np.float64)).all():
                    raise ValueError("its settings give non-finite genes (steps too large for float32 genomes)")

        attempts = (("selection", lambda: self._select(np.arange(4.0), 2, rng)),
                    ("crossover", lambda: self._cross(parents, parents[::-1], rng)),
                    ("mutation", mutate))
        for kind, attempt in attempts:
            if self._specs[kind][0] is None:
                continue
            try:
                with np.errstate(all="ignore"):  # an overflow is reported as one line below, not as a warning
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
            out[kind] = {"name": name, **{k: v.to_spec() if hasattr(v, "to_spec") else v
                                          for k, v in params.items() if k != "layout"}}
        out.update(elite=self.elite, crossover_rate=self.crossover_rate, init_scale=self.init_scale,
                   **{k: getattr(self, k) for k in _LOOP_OPTIONS})
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
        fitness : array_like of shape (P,), or (P, M) with ``replacement="nsga2"``
            Fitness of every genome of :meth:`ask`, maximised. NaN is treated
            as the worst possible fitness. With ``nsga2``, every generation
            has the same M objectives ((P,) is one objective).
        """
        fitness = as_numbers("fitness", fitness)
        objectives = None
        if self.replacement == "nsga2":
            objectives = self._objectives(fitness)
            fitness = objectives[:, 0]
        elif fitness.shape != (self.pop_size,):
            raise ValueError(f"fitness must have shape ({self.pop_size},), got {fitness.shape}")
        clean = np.where(np.isnan(fitness), -np.inf, fitness)
        order = np.argsort(-clean, kind="stable")
        best = int(order[0])
        if self.best_genome is None or clean[best] > self.best_fitness:
            self.best_fitness = float(clean[best])
            self.best_genome = self.population[best].copy()
        self.last_fitness = (fitness if objectives is None else objectives).copy()

        if self._one_fifth is not None:
            bred = ~np.isnan(self.parent_fitness)
            if bred.any():
                won = clean[bred] > np.where(np.isnan(self.parent_fitness[bred]), -np.inf, self.parent_fitness[bred])
                self.step = self._one_fifth.update(self.step, float(won.mean()))

        if objectives is not None:
            pool, pool_fitness, pool_sigmas = self._nsga2_survivors(objectives)
        else:
            pool, pool_fitness, pool_sigmas = self._survivors(fitness, clean)
        n_kids = self.pop_size - self.elite if self.replacement == "generational" else self.pop_size
        kids, kid_sigmas, kid_parent_fitness = self._breed(pool, pool_fitness, pool_sigmas, n_kids)
        if self.replacement == "generational":
            keep = order[:self.elite]
            kids = np.concatenate([self.population[keep], kids])
            kid_parent_fitness = np.concatenate([np.full(self.elite, np.nan), kid_parent_fitness])
            if kid_sigmas is not None:
                kid_sigmas = np.concatenate([self.sigmas[keep], kid_sigmas])
        self.population = np.ascontiguousarray(kids, dtype=np.float32)
        self.sigmas = kid_sigmas
        self.parent_fitness = kid_parent_fitness
        self.generation += 1

    def _survivors(self, fitness, clean):
        """The genomes, fitness and sigmas the next children are bred from."""
        pop, sigmas = self.population, self.sigmas
        if self.replacement == "generational":
            return pop, fitness, sigmas
        if self.replacement == "comma" or self.parents is None:
            # comma, or the first generation of plus and steady state: the best of the asked genomes
            keep = np.argsort(-clean, kind="stable")[:self.survivors]
            parents, parents_fitness = pop[keep], fitness[keep]
            parents_sigmas = None if sigmas is None else sigmas[keep]
        elif self.replacement == "plus":
            union = np.concatenate([self.parents, pop])
            union_fitness = np.concatenate([self.parents_fitness, fitness])
            # stable: on a tie the older parent stays
            keep = np.argsort(-np.where(np.isnan(union_fitness), -np.inf, union_fitness), kind="stable")
            keep = keep[:self.survivors]
            parents, parents_fitness = union[keep], union_fitness[keep]
            parents_sigmas = None if sigmas is None else np.concatenate([self.parents_sigmas, sigmas])[keep]
        else:  # steady state: each child in turn joins a population not yet full, or replaces its worst
            room = min(self.survivors - len(self.parents), self.pop_size)
            parents = np.concatenate([self.parents, pop[:room]])
            parents_fitness = np.concatenate([self.parents_fitness, fitness[:room]])
            parents_sigmas = None if sigmas is None else np.concatenate([self.parents_sigmas, sigmas[:room]])
            key = np.where(np.isnan(parents_fitness), -np.inf, parents_fitness)
            for i in range(room, self.pop_size):
                worst = int(np.argmin(key))
                parents[worst], parents_fitness[worst], key[worst] = pop[i], fitness[i], clean[i]
                if sigmas is not None:
                    parents_sigmas[worst] = sigmas[i]
        if self.replacement != "comma":
            self.parents, self.parents_fitness, self.parents_sigmas = parents, parents_fitness, parents_sigmas
        return parents, parents_fitness, parents_sigmas

    def _objectives(self, fitness: np.ndarray) -> np.ndarray:
        """``tell``'s fitness as (P, M) objectives, M the same as in earlier generations."""
        if fitness.ndim == 1:
            fitness = fitness[:, None]
        m = None if self.parents_fitness is None else self.parents_fitness.shape[1]
        if fitness.ndim != 2 or fitness.shape[0] != self.pop_size or fitness.shape[1] < 1 \
                or m is not None and fitness.shape[1] != m:
            raise ValueError(f"fitness must have shape ({self.pop_size}, {'M' if m is None else m}), "
                             f"got {fitness.shape}")
        return fitness

    def _nsga2_survivors(self, objectives):
        """NSGA-II: the best ``survivors`` of the parents and the asked children; selection's key among them."""
        pop, sigmas = self.population, self.sigmas
        if self.parents is not None:
            pop = np.concatenate([self.parents, pop])
            objectives = np.concatenate([self.parents_fitness, objectives])
            sigmas = None if sigmas is None else np.concatenate([self.parents_sigmas, sigmas])
        keep = _selection.nsga2(objectives, min(self.survivors, len(pop)), self.rng)
        self.parents, self.parents_fitness = pop[keep], objectives[keep]
        self.parents_sigmas = None if sigmas is None else sigmas[keep]
        # the crowded order as one number, larger better: front rank first, then crowding distance
        ranks = _selection.non_dominated_sort(self.parents_fitness)
        distance = _selection.crowding_distance(self.parents_fitness, ranks)
        order = np.lexsort((-distance, ranks))
        r, d = ranks[order], distance[order]
        steps = np.r_[0, (r[1:] != r[:-1]) | (d[1:] != d[:-1])]
        key = np.empty(len(keep))
        key[order] = -np.cumsum(steps, dtype=np.float64)
        return self.parents, key, self.parents_sigmas

    def _breed(self, pool, pool_fitness, pool_sigmas, n_kids):
        """``n_kids`` children of ``pool``: (genomes, sigmas or None, fitness of each child's parent)."""
        rng = self.rng
        n_pairs = math.ceil(n_kids / self.children_per_pair)
        ia = self._select(pool_fitness, n_pairs, rng)
        ib = self._select(pool_fitness, n_pairs, rng)
        a, b = pool[ia], pool[ib]
        mated = rng.random(n_pairs) < self.crossover_rate
        first = a.copy()
        replay = rng.bit_generator.state if self.children_per_pair == 2 else None
        if mated.any():
            first[mated] = self._cross(a[mated], b[mated], rng)
        if self.children_per_pair == 2:
            second = b.copy()
            if mated.any():
                # the complementary child: the same draws with the parents swapped
                rng.bit_generator.state = replay
                second[mated] = self._cross(b[mated], a[mated], rng)
            kids = np.stack([first, second], axis=1).reshape(2 * n_pairs, -1)[:n_kids]
            source = np.stack([ia, ib], axis=1).reshape(-1)[:n_kids]
        else:
            kids, source = first, ia
        sigmas = None if pool_sigmas is None else pool_sigmas[source].copy()
        mutated = (rng.random(n_kids) < self.mutation_rate) if self.mutation_rate < 1.0 else None
        if mutated is None:
            if sigmas is None:
                kids = self._mutate(kids, rng)
            else:
                kids, sigmas = self._mutate(kids, sigmas, rng)
        elif mutated.any():
            kids = kids.copy()
            if sigmas is None:
                kids[mutated] = self._mutate(kids[mutated], rng)
            else:
                kids[mutated], sigmas[mutated] = self._mutate(kids[mutated], sigmas[mutated], rng)
        kids = _bounds.repair(kids, self._box, self.repair, np.float32)
        return kids, sigmas, np.asarray(pool_fitness, dtype=np.float64)[source]

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
        if self.parents is not None:
            d["parents"] = self.parents.copy()
            d["parents_fitness"] = self.parents_fitness.copy()
            if self.parents_sigmas is not None:
                d["parents_sigmas"] = self.parents_sigmas.copy()
        if self._one_fifth is not None:
            d["step"] = np.array(self.step, dtype=np.float64)
            d["parent_fitness"] = self.parent_fitness.copy()
        return d

    @classmethod
    def from_state_dict(cls, state: dict, **operators) -> "GeneticAlgorithm":
        """Rebuild a GA from :meth:`state_dict`.

        Operators given by name are restored from the stored config; pass
        ``selection=``, ``crossover=``, ``mutation=`` (and ``layout=``) again
        where the original GA was given callables or a layout.
        """
        with reading_state("GA"):
            version = _int_field(state, "version")
            if version != _STATE_VERSION:
                raise ValueError(f"GA state version {version} is not supported")
            config = json.loads(_text_field(state, "config"))
            if not isinstance(config, dict):
                raise ValueError("GA state 'config' must be a JSON table")
            kwargs = {k: config[k] for k in ("selection", "crossover", "mutation")}
            kwargs.update(elite=config["elite"], crossover_rate=config["crossover_rate"],
                          init_scale=config["init_scale"])
            kwargs.update({k: config[k] for k in _LOOP_OPTIONS if k in config})
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
                if sigmas.dtype != np.float64 or sigmas.shape != ga.sigmas.shape or not (sigmas > 0).all():
                    raise ValueError(f"GA state 'sigmas' must be positive float64 of shape {ga.sigmas.shape}")
                ga.sigmas = sigmas.copy()
            if ga.replacement in ("plus", "steady_state", "nsga2") and "parents" in state:
                rows = np.shape(state["parents"])[0] if np.ndim(state["parents"]) else 0
                if not 1 <= rows <= ga.survivors:
                    raise ValueError(f"GA state 'parents' must have 1 to {ga.survivors} rows")
                ga.parents = _array_field(state, "parents", np.float32, (num_params,), rows=rows)
                objectives = (max(1, *np.shape(state["parents_fitness"])[1:2]),) if ga.replacement == "nsga2" else ()
                ga.parents_fitness = _array_field(state, "parents_fitness", np.float64, (rows, *objectives),
                                                  finite=False)
                if ga._self_adaptive:
                    ga.parents_sigmas = _array_field(state, "parents_sigmas", np.float64, ga.sigmas.shape[1:],
                                                     rows=rows)
            if ga._one_fifth is not None:
                step = np.asarray(state["step"])
                if step.shape != () or step.dtype != np.float64 or not step > 0 or not np.isfinite(step):
                    raise ValueError("GA state 'step' must be a positive float64")
                ga.step = float(step)
                ga.parent_fitness = _array_field(state, "parent_fitness", np.float64, (pop_size,), finite=False)
        return ga


@contextlib.contextmanager
def reading_state(what: str):
    """Turn what a malformed state dict raises while it is read into one line: ``<what> state is missing 'key'``
    or ``<what> state is malformed: ...`` (ValueError)."""
    try:
        yield
    except KeyError as e:
        raise ValueError(f"{what} state is missing {e.args[0]!r}") from None
    except (TypeError, AttributeError, json.JSONDecodeError) as e:
        raise ValueError(f"{what} state is malformed: {e}") from None


def _int_field(state: dict, key: str) -> int:
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind not in "iu":
        raise ValueError(f"GA state {key!r} must be a single integer, got {v.dtype} of shape {v.shape}")
    return int(v)


def _array_field(state: dict, key: str, dtype, shape: tuple, *, rows: int | None = None,
                 finite: bool = True) -> np.ndarray:
    """A copy of ``state[key]``, checked for dtype and shape (``rows`` prepended when given)."""
    v = np.asarray(state[key])
    shape = shape if rows is None else (rows, *shape)
    if v.dtype != dtype or v.shape != shape or (finite and not np.isfinite(v).all()):
        raise ValueError(f"GA state {key!r} must be {'finite ' if finite else ''}{np.dtype(dtype)} of shape {shape}")
    return v.copy()


def _text_field(state: dict, key: str) -> str:
    v = np.asarray(state[key])
    if v.shape != () or v.dtype.kind != "U":
        raise ValueError(f"GA state {key!r} must be text, got {v.dtype} of shape {v.shape}")
    return str(v)
