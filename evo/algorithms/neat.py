"""NEAT: NeuroEvolution of Augmenting Topologies, ask/tell, its networks played by the fused rollout.

Stanley and Miikkulainen, "Evolving Neural Networks through Augmenting
Topologies", Evolutionary Computation 10(2), 2002. Networks start minimal
(every input wired to every output) and grow: a mutation adds a node by
splitting a connection (the old connection disabled, the new node of bias 0
fed with weight 1 and feeding on with the old weight), or adds a connection
from an input or hidden node to a hidden or output node where none was and no
cycle would close (with ``feed_forward = False``, neat-python's recurrent
networks, cycles and loops are allowed and every node reads the previous
step's values: :class:`evo.networks.neat.NEATNetwork`). Every new connection gene carries an innovation number,
and a structural mutation made twice in one generation (the same connection
split, the same pair of nodes joined) gets the same number and node key both
times, so crossover aligns genes by innovation: each attribute of a matching
gene comes from either parent at random, disjoint and excess genes from the
fitter. Genomes are grouped
into species by a compatibility distance; each species breeds within itself
and receives offspring in proportion to its members' mean fitness, shifted
and scaled over the population (adjusted fitness), so new structure is not
outcompeted before its weights are tuned. A species whose fitness has not
improved for ``max_stagnation`` generations is removed, unless it is among
the ``species_elitism`` best.

The settings carry neat-python's names and meanings (``read_config`` reads a
neat-python config file; docs/neat.md lists the differences). The distance is
neat-python's: over the non-input nodes and over the connections, each
``(disjoint_coefficient * disjoint + weight_coefficient * sum(difference of
matching genes)) / max(size of either genome)``, nodes matching by key and
connections by their two ends (not by innovation number: a connection
deleted and added again later matches its old self), a matching node differing by
``|bias difference| + (activations differ)`` and a matching connection by
``|weight difference| + (one enabled, the other not)``; the distance is the
sum of both parts. With ``target_species`` set, the threshold moves by
``threshold_step`` after each speciation towards that many species.

The population lives packed in concatenated arrays
(:func:`evo.networks.neat.pack`), and the work of a generation runs in Numba
kernels: speciation (:func:`evo.networks.neat_genome.speciate_packed`), breeding
(:mod:`evo.algorithms.neat_breed`) and compilation. ``ask()`` returns the
population compiled to rows of
:class:`evo.networks.neat.NEATNetwork` (:attr:`NEAT.net`), which
:func:`evo.rollout` and :meth:`NEATNetwork.forward` evaluate. All randomness
comes from one ``numpy.random.Generator`` whose state is part of
:meth:`NEAT.state_dict`, so a restored run continues bit for bit.
"""

from __future__ import annotations

import configparser
import json

import numpy as np

from evo._validation import MAX_SEED, check_int
from evo.algorithms.ga import reading_state
from evo.algorithms import neat_breed
from evo.networks import neat_genome
from evo.networks.neat import ACTIVATIONS, Genome, NEATNetwork, pack

_STATE_VERSION = 1
CONNECTIONS = ("full", "full_direct", "full_nodirect", "unconnected")
_TRUE, _FALSE = ("1", "yes", "true", "on"), ("0", "no", "false", "off")
SPECIES_FITNESS = {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}

DEFAULTS = {
    # the genome (neat-python's [DefaultGenome] names)
    "num_hidden": 0, "initial_connection": "full", "feed_forward": True,
    "activation_default": "tanh", "activation_options": ["tanh"],
    "activation_mutate_rate": 0.0,
    "bias_init_mean": 0.0, "bias_init_stdev": 1.0, "bias_min_value": -30.0, "bias_max_value": 30.0,
    "bias_mutate_power": 0.5, "bias_mutate_rate": 0.7, "bias_replace_rate": 0.1,
    "weight_init_mean": 0.0, "weight_init_stdev": 1.0, "weight_min_value": -30.0, "weight_max_value": 30.0,
    "weight_mutate_power": 0.5, "weight_mutate_rate": 0.8, "weight_replace_rate": 0.1,
    "enabled_mutate_rate": 0.01, "conn_add_prob": 0.5, "conn_delete_prob": 0.5,
    "node_add_prob": 0.2, "node_delete_prob": 0.2,
    "single_structural_mutation": False, "structural_mutation_surer": "default",
    "compatibility_disjoint_coefficient": 1.0, "compatibility_weight_coefficient": 0.5,
    # [DefaultSpeciesSet], and the target species count (0: the threshold stays put)
    "compatibility_threshold": 3.0, "target_species": 0, "threshold_step": 0.1, "threshold_min": 0.3,
    # [DefaultStagnation]
    "species_fitness_func": "max", "max_stagnation": 20, "species_elitism": 2,
    # [DefaultReproduction]
    "elitism": 2, "survival_threshold": 0.2, "min_species_size": 2,
    # capacity of a compiled network
    "max_nodes": 64, "max_conns": 256,
}
"""Every setting and its default: neat-python's names (the values of its XOR example with tanh nodes, each
structural mutation drawn on its own; :func:`read_config` reads a file without ``single_structural_mutation``
as neat-python does, as true), plus ``target_species``, ``threshold_step``, ``threshold_min``, ``max_nodes`` and ``max_conns``."""


class NEAT:
    """NEAT with the ask/tell surface of :class:`evo.GeneticAlgorithm`.

    Parameters
    ----------
    num_inputs, num_outputs : int
        Widths of the networks' input and output.
    pop_size : int
        Genomes per generation (every generation has exactly this many).
    seed : int
        Seed of the algorithm's generator.
    **settings
        Any of :data:`DEFAULTS` (neat-python's names).

    Attributes
    ----------
    net : evo.networks.neat.NEATNetwork
        The network the rows of :meth:`ask` are for.
    population : list of Genome
    species : dict
        Species id -> ``{"members": [indices], "rep": index, "created", "last_improved", "best"}``.
    threshold : float
        The compatibility threshold now.
    generation, best_genome, best_fitness
        As for :class:`evo.GeneticAlgorithm`; ``best_genome`` is a compiled row.
    """

    def __init__(self, num_inputs: int, num_outputs: int, pop_size: int = 150, seed: int = 0, **settings):
        unknown = sorted(set(settings) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"NEAT has no setting {unknown[0]!r}")
        self.settings = s = {**DEFAULTS, **settings}
        s["activation_options"] = list(s["activation_options"])
        for name in (s["activation_default"], *s["activation_options"]):
            if name not in ACTIVATIONS and name != "random":
                raise ValueError(f"unknown NEAT activation {name!r}; known: {', '.join(ACTIVATIONS)}")
        if s["initial_connection"] not in CONNECTIONS:
            raise ValueError(f"unknown initial_connection {s['initial_connection']!r}; known: {', '.join(CONNECTIONS)}")
        surer = str(s["structural_mutation_surer"]).lower()
        s["structural_mutation_surer"] = ("true" if surer in _TRUE else "false" if surer in _FALSE else surer)
        if s["structural_mutation_surer"] not in ("true", "false", "default"):
            raise ValueError(f"structural_mutation_surer must be true, false or default, got {surer!r}")
        if s["species_fitness_func"] not in SPECIES_FITNESS:
            raise ValueError(f"unknown species_fitness_func {s['species_fitness_func']!r}; "
                             f"known: {', '.join(SPECIES_FITNESS)}")
        self.pop_size = check_int("pop_size", pop_size, 2)
        self.seed = check_int("seed", seed, 0, MAX_SEED)
        self.net = NEATNetwork(num_inputs, num_outputs, s["max_nodes"], s["max_conns"], not s["feed_forward"])
        self.num_inputs, self.num_outputs = self.net.num_inputs, self.net.num_outputs
        if self.num_outputs + s["num_hidden"] > s["max_nodes"]:
            raise ValueError("NEAT max_nodes must hold the outputs and the initial hidden nodes")
        self.rng = np.random.default_rng(self.seed)
        self.generation = 0
        self.threshold = float(s["compatibility_threshold"])
        self.best_genome: np.ndarray | None = None
        self.best_fitness = -np.inf
        self.next_innov = 0
        self.next_node = self.num_outputs + s["num_hidden"]
        self._made: dict = {}  # the first generation's innovations
        self._params = neat_breed.parameters(s)
        self._options = np.array([ACTIVATIONS.index(a) for a in s["activation_options"]], np.int64)
        self._default = -1 if s["activation_default"] == "random" else ACTIVATIONS.index(s["activation_default"])
        self.species: dict = {}
        self._reps = pack([])
        self._kept = None  # the representatives of _reps still in use (None: all)
        self._of = np.zeros(self.pop_size, np.int64)  # each genome's species, by place in sorted(self.species)
        self.next_species = 0
        self.packed = self._new_population(self.pop_size)
        self._speciate()
        self._rows = None

    @property
    def num_params(self) -> int:
        """Length of a compiled row (:attr:`NEAT.net`'s ``num_params``)."""
        return self.net.num_params

    @property
    def population(self) -> list:
        """The genomes of the population (a copy: assign a list to replace them)."""
        pk = self.packed
        return [Genome(*(pk[i][pk[0][p]:pk[0][p + 1]] for i in (1, 2, 3)),
                       *(pk[i][pk[4][p]:pk[4][p + 1]] for i in (5, 6, 7, 8, 9))).copy()
                for p in range(len(pk[0]) - 1)]

    @population.setter
    def population(self, genomes) -> None:
        genomes = list(genomes)
        if len(genomes) != self.pop_size:
            raise ValueError(f"a population has {self.pop_size} genomes, got {len(genomes)}")
        self.packed = pack(g.sorted() for g in genomes)
        self._rows = None

    # -- genomes --------------------------------------------------------------

    def _new_population(self, n: int) -> tuple:
        """``n`` new minimal genomes, packed: the initial connections of ``initial_connection``, biases, then
        activations, then weights drawn for all ``n`` genomes at once."""
        s = self.settings
        inputs = [-i - 1 for i in range(self.num_inputs)]
        outputs = list(range(self.num_outputs))
        hidden = list(range(self.num_outputs, self.num_outputs + s["num_hidden"]))
        pairs = []
        if s["initial_connection"] != "unconnected":
            if hidden:
                pairs += [(i, h) for i in inputs for h in hidden] + [(h, o) for h in hidden for o in outputs]
            if not hidden or s["initial_connection"] == "full_direct":
                pairs += [(i, o) for i in inputs for o in outputs]
            if not s["feed_forward"]:  # a recurrent genome starts with every node looped onto itself, as there
                pairs += [(k, k) for k in outputs + hidden]
        if len(pairs) > s["max_conns"]:
            raise ValueError(f"the initial networks have {len(pairs)} connections, more than max_conns")
        for pair in pairs:  # the first generation's innovation numbers: the same pair, the same number
            if pair not in self._made:
                self._made[pair] = self.next_innov
                self.next_innov += 1
        innov = np.array([self._made[pair] for pair in pairs], np.int64)  # increasing: numbered in this order
        keys = np.array(outputs + hidden, np.int64)
        nk, nc = len(keys), len(pairs)

        def drawn(kind: str, count: int) -> np.ndarray:
            values = self.rng.normal(s[f"{kind}_init_mean"], s[f"{kind}_init_stdev"], (n, count))
            return np.clip(values, s[f"{kind}_min_value"], s[f"{kind}_max_value"]).ravel()
        bias = drawn("bias", nk)
        act = (self._options[self.rng.integers(0, len(self._options), n * nk)] if self._default < 0
               else np.full(n * nk, self._default, np.int64))
        weight = drawn("weight", nc)
        ends = np.array(pairs, np.int64).reshape(nc, 2)
        return (np.arange(n + 1, dtype=np.int64) * nk, np.tile(keys, n), bias, act,
                np.arange(n + 1, dtype=np.int64) * nc, np.tile(innov, n), np.tile(ends[:, 0], n),
                np.tile(ends[:, 1], n), weight, np.ones(n * nc, np.bool_))

    def _breed(self, parents: tuple, pairs: np.ndarray, elite: np.ndarray) -> tuple:
        """Children of the packed ``parents`` (:func:`evo.algorithms.neat_breed.breed`), packed."""
        table = np.zeros((2 * len(pairs), 6), np.int64)
        counters = np.array([self.next_innov, self.next_node, 0], np.int64)
        kids = neat_breed.kernels().breed(
            parents, np.ascontiguousarray(pairs, np.int64), np.ascontiguousarray(elite, np.bool_), self.rng,
            self._params, self._default, self._options, self.num_inputs, self.num_outputs, table, counters)
        self.next_innov, self.next_node = int(counters[0]), int(counters[1])
        return kids

    def mutate(self, genomes) -> list:
        """Mutated copies of ``genomes``, as children are mutated, all in one generation (the same structural
        mutation gets the same numbers): add a node, delete a node, add a connection, delete a connection,
        each with its probability (or one of them, with ``single_structural_mutation``), then weights, biases,
        enabled flags and activations."""
        genomes = [g.sorted() for g in genomes]
        n = len(genomes)
        kids = self._breed(pack(genomes), np.repeat(np.arange(n), 2).reshape(n, 2), np.zeros(n, bool))
        return [Genome(*(kids[i][kids[0][k]:kids[0][k + 1]] for i in (1, 2, 3)),
                       *(kids[i][kids[4][k]:kids[4][k + 1]] for i in (5, 6, 7, 8, 9))) for k in range(n)]

    # -- species --------------------------------------------------------------

    def _speciate(self) -> None:
        """Sort the population into species: each species keeps the genome nearest its old representative
        as its new one, then every other genome joins the nearest species within the threshold, or founds
        one of its own (:func:`evo.networks.neat_genome.speciate_packed`)."""
        s = self.settings
        old = sorted(self.species)
        kept = np.arange(len(self._reps[0]) - 1) if self._kept is None else self._kept
        self._of, reps, members, counts, self._reps = neat_genome.kernels().speciate(
            self.packed, self._reps, kept, float(self.threshold), float(s["compatibility_disjoint_coefficient"]),
            float(s["compatibility_weight_coefficient"]))
        members, counts = members.tolist(), counts.tolist()
        species, at, live = {}, 0, 0
        for k, rep in enumerate(reps.tolist()):
            if rep < 0:
                continue
            if k < len(old):
                sid = old[k]
            else:
                sid = self.next_species
                self.next_species += 1
                self.species[sid] = {"created": self.generation, "last_improved": self.generation, "best": -np.inf}
            size = counts[live]
            species[sid] = {**self.species[sid], "rep": rep, "members": members[at:at + size]}
            at, live = at + size, live + 1
        self._kept = None
        self.species = species
        target = self.settings["target_species"]
        if target:
            step, low = self.settings["threshold_step"], self.settings["threshold_min"]
            if len(self.species) < target:
                self.threshold = max(low, self.threshold - step)
            elif len(self.species) > target:
                self.threshold += step

    # -- ask / tell ---------------------------------------------------------------

    def ask(self) -> np.ndarray:
        """The population compiled to rows of :attr:`net`: a read-only array of shape (P, G), float32."""
        if self._rows is None:
            rows = self.net.compile_packed(self.packed, np.empty((self.pop_size, self.net.num_params), np.float32))
            rows.flags.writeable = False
            self._rows = rows
        return self._rows

    def tell(self, fitness) -> None:
        """Record the fitness of the asked population (maximised; NaN worst) and breed the next one."""
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (self.pop_size,):
            raise ValueError(f"fitness must have shape ({self.pop_size},), got {fitness.shape}")
        ok = np.isfinite(fitness)
        if ok.all():  # read, never written
            clean, best = fitness, int(fitness.argmax())
        else:
            finite = fitness[ok]
            floor = float(finite.min()) if finite.size else 0.0
            clean = np.where(ok, fitness, floor)
            clean[np.isnan(fitness) | (fitness == -np.inf)] = floor
            best = int(np.argmax(np.where(np.isnan(fitness), -np.inf, fitness)))
        if self.best_genome is None or fitness[best] > self.best_fitness:
            self.best_fitness = float(fitness[best])
            self.best_genome = self.ask()[best].copy()
        self.packed = self._reproduce(clean)
        self.generation += 1
        self._speciate()
        self._rows = None

    def _surviving(self, ranked: np.ndarray, starts: np.ndarray) -> list:
        """Places (in sorted species ids) of the species that are not stagnant, in the order of their
        fitness (the least fit first; equals in id order), after recording each species' fitness; ``ranked`` holds the fitness grouped by species, best first, species ``i`` at
        ``starts[i]:starts[i + 1]``."""
        s = self.settings
        func = s["species_fitness_func"]
        if func == "max":
            scores = ranked[starts[:-1]].tolist()
        elif func == "min":
            scores = ranked[starts[1:] - 1].tolist()
        else:
            scores = [float(SPECIES_FITNESS[func](ranked[a:b])) for a, b in zip(starts[:-1], starts[1:])]
        sids = sorted(self.species)
        for sid, score in zip(sids, scores):
            sp = self.species[sid]
            if score > sp["best"]:
                sp["best"], sp["last_improved"] = score, self.generation
        ranking = sorted(range(len(sids)), key=lambda i: (-scores[i], -sids[i]))  # ties: the newer species
        protected = set(ranking[:s["species_elitism"]])
        alive = [i for i, sid in enumerate(sids)
                 if i in protected or self.generation - self.species[sid]["last_improved"] < s["max_stagnation"]]
        return sorted(alive, key=lambda i: scores[i])  # least fit first, as neat-python breeds them

    def _spawns(self, alive: list, ranked: np.ndarray, starts: np.ndarray) -> list:
        """Offspring per surviving species: in proportion to its adjusted fitness (``min_species_size``
        each when every adjusted fitness is 0), moved half-way from its size now, at least
        ``min_species_size``, summing to ``pop_size``: a shortfall goes one by one to the smallest species
        first, an excess is taken one by one from the largest first, as neat-python does."""
        s = self.settings
        least = max(s["min_species_size"], s["elitism"])
        bounds, values = starts.tolist(), ranked.tolist()  # a few species: Python numbers beat numpy calls
        first, last = [bounds[i] for i in alive], [bounds[i + 1] for i in alive]
        low, high = min(values[b - 1] for b in last), max(values[a] for a in first)
        span = max(1.0, high - low)
        sizes = [b - a for a, b in zip(first, last)]
        sums = np.add.reduceat(ranked, starts[:-1]).tolist()  # numpy's own summation order
        adjusted = [(sums[i] / size - low) / span for i, size in zip(alive, sizes)]
        total = sum(adjusted)
        spawn = []
        for size, af in zip(sizes, adjusted):
            goal = max(least, af / total * self.pop_size) if total > 0 else least
            change = (goal - size) * 0.5
            spawn.append(size + (int(round(change)) or (change > 0) - (change < 0)))  # or its sign
        scale = self.pop_size / max(1, sum(spawn))
        spawn = [max(least, int(round(n * scale))) for n in spawn]
        more = self.pop_size - sum(spawn)
        turn = sorted(range(len(spawn)), key=lambda i: spawn[i], reverse=more < 0)  # stable: ties in order
        k = 0
        while more and (more > 0 or any(spawn[i] > least for i in turn)):
            i = turn[k % len(turn)]
            if more > 0:
                spawn[i], more = spawn[i] + 1, more - 1
            elif spawn[i] > least:
                spawn[i], more = spawn[i] - 1, more + 1
            k += 1
        return spawn

    def _reproduce(self, fitness: np.ndarray) -> tuple:
        s = self.settings
        # by species, each best first; on ties the later genome first, as neat-python's newer genome id
        order, starts, ranked = neat_breed.kernels().rank(fitness, self._of, len(self.species))
        alive = self._surviving(ranked, starts)
        if not alive:  # every species stagnated: start over
            self.species, self._reps, self._kept, self._made = {}, pack([]), None, {}
            return self._new_population(self.pop_size)
        spawn = self._spawns(alive, ranked, starts)
        sids, kept = sorted(self.species), sorted(alive)
        self.species = {sids[i]: self.species[sids[i]] for i in kept}
        self._kept = np.array(kept, np.int64)  # a stagnant species' representative goes
        counters = np.array([self.next_innov, self.next_node, 0], np.int64)
        kids = neat_breed.kernels().offspring(
            self.packed, fitness, order, starts, np.array(alive, np.int64), np.array(spawn, np.int64),
            int(s["elitism"]), float(s["survival_threshold"]), self.pop_size, self.rng, self._params, self._default,
            self._options, self.num_inputs, self.num_outputs, counters)
        self.next_innov, self.next_node = int(counters[0]), int(counters[1])
        return kids

    # -- checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything needed to continue bit-identically, as numpy arrays (``.npz``-ready, no pickle).

        The genomes are concatenated: ``node_count``/``conn_count`` say how many nodes and
        connections each has, in population order.
        """
        pk = self.packed
        sids = sorted(self.species)
        d = {
            "version": np.array(_STATE_VERSION),
            "num_inputs": np.array(self.num_inputs), "num_outputs": np.array(self.num_outputs),
            "num_params": np.array(self.num_params), "pop_size": np.array(self.pop_size),
            "seed": np.array(self.seed), "generation": np.array(self.generation),
            "settings": np.array(json.dumps(self.settings)),
            "rng_state": np.array(json.dumps(self.rng.bit_generator.state)),
            "counters": np.array([self.next_innov, self.next_node, self.next_species], np.int64),
            "threshold": np.array(self.threshold),
            "best_fitness": np.array(self.best_fitness),
            "best_genome": self.best_genome.copy() if self.best_genome is not None else np.zeros(0, np.float32),
            "node_count": np.diff(pk[0]), "conn_count": np.diff(pk[4]),
            "species_ids": np.array(sids, np.int64),
            "species_rep": np.array([self.species[k]["rep"] for k in sids], np.int64),
            "species_created": np.array([self.species[k]["created"] for k in sids], np.int64),
            "species_improved": np.array([self.species[k]["last_improved"] for k in sids], np.int64),
            "species_best": np.array([self.species[k]["best"] for k in sids], np.float64),
            "species_of": np.array(sids, np.int64)[self._of],
        }
        for k, v in zip(Genome.__slots__, pk[1:4] + pk[5:]):
            d[f"genome_{k}"] = v.copy()
        return d

    @classmethod
    def from_state_dict(cls, state: dict) -> "NEAT":
        """Rebuild NEAT from :meth:`state_dict`; ValueError with one line when a field is missing or wrong."""
        with reading_state("NEAT"):
            if int(state["version"]) != _STATE_VERSION:
                raise ValueError(f"NEAT state version {int(state['version'])} is not supported")
            settings = json.loads(str(state["settings"]))
            algo = cls(int(state["num_inputs"]), int(state["num_outputs"]), int(state["pop_size"]),
                       int(state["seed"]), **settings)
            algo.generation = int(state["generation"])
            algo.rng.bit_generator.state = json.loads(str(state["rng_state"]))
            algo.next_innov, algo.next_node, algo.next_species = (int(v) for v in state["counters"])
            algo.threshold = float(state["threshold"])
            algo.best_fitness = float(state["best_fitness"])
            best = np.asarray(state["best_genome"])
            if best.size and (best.dtype != np.float32 or best.shape != (algo.num_params,)):
                raise ValueError(f"NEAT state 'best_genome' must be float32 of shape ({algo.num_params},)")
            algo.best_genome = best.copy() if best.size else None
            nodes, conns = np.asarray(state["node_count"]), np.asarray(state["conn_count"])
            if nodes.shape != (algo.pop_size,) or conns.shape != (algo.pop_size,) or (nodes < 0).any() \
                    or (conns < 0).any():
                raise ValueError(f"NEAT state counts must be {algo.pop_size} non-negative integers")
            node_at = np.concatenate([[0], np.cumsum(nodes)]).astype(np.int64)
            conn_at = np.concatenate([[0], np.cumsum(conns)]).astype(np.int64)
            kinds = dict(keys=np.int64, bias=np.float64, act=np.int64, innov=np.int64, src=np.int64, dst=np.int64,
                         weight=np.float64, enabled=np.bool_)
            fields = {k: np.asarray(state[f"genome_{k}"]) for k in Genome.__slots__}
            for k, v in fields.items():
                if v.dtype != kinds[k] or v.shape != ((node_at[-1],) if k in ("keys", "bias", "act") else (conn_at[-1],)):
                    raise ValueError(f"NEAT state 'genome_{k}' must be {np.dtype(kinds[k])} matching the genome counts")
            algo.packed = (node_at, *(fields[k].copy() for k in ("keys", "bias", "act")), conn_at,
                           *(fields[k].copy() for k in Genome.__slots__[3:]))
            algo.ask()  # a population that does not compile is refused here, not in a kernel
            of = np.asarray(state["species_of"])
            algo.species = {}
            for k, sid in enumerate(np.asarray(state["species_ids"]).tolist()):
                rep = int(state["species_rep"][k])
                if not 0 <= rep < algo.pop_size:
                    raise ValueError(f"NEAT state names genome {rep} as a representative")
                algo.species[sid] = {"created": int(state["species_created"][k]),
                                     "last_improved": int(state["species_improved"][k]),
                                     "best": float(state["species_best"][k]), "rep": rep,
                                     "members": np.flatnonzero(of == sid).tolist()}
            if sum(len(sp["members"]) for sp in algo.species.values()) != algo.pop_size:
                raise ValueError("NEAT state puts a genome in no species")
            place = {sid: i for i, sid in enumerate(sorted(algo.species))}
            algo._of = np.array([place[sid] for sid in of.tolist()], np.int64)
            algo._reps = neat_genome.kernels().take(
                neat_genome.by_pair(algo.packed), np.array([algo.species[k]["rep"] for k in sorted(algo.species)], np.int64))
        return algo


# -- neat-python config files ------------------------------------------------------

_SECTIONS = ("NEAT", "DefaultGenome", "DefaultSpeciesSet", "DefaultStagnation", "DefaultReproduction")
_NEUTRAL = {  # neat-python keys read only at the value that means what NEAT here does
    "aggregation_default": "sum", "aggregation_options": "sum", "aggregation_mutate_rate": 0.0,
    "response_init_mean": 1.0, "response_init_stdev": 0.0, "response_mutate_rate": 0.0,
    "response_replace_rate": 0.0, "enabled_default": True,
    "fitness_criterion": "max",
}
_IGNORED = {"response_max_value", "response_min_value", "response_mutate_power", "response_init_type",
            "bias_init_type", "weight_init_type", "no_fitness_termination",
            "reset_on_extinction", "enabled_rate_to_true_add", "enabled_rate_to_false_add", "seed"}
"""Keys read and set aside: bounds of the fixed response, and neat-python's loop options (here a run
config's business; every species stagnating always starts a new population)."""
_ABSENT = {  # what neat-python (2.0) does when a config file leaves a key out
    "initial_connection": "unconnected", "species_fitness_func": "mean", "max_stagnation": 15,
    "species_elitism": 0, "elitism": 0, "survival_threshold": 0.2, "min_species_size": 1,
    # its default for this key is the string 'false', which Python reads as true: one structural mutation
    # per child, and the 'default' structural_mutation_surer follows it
    "single_structural_mutation": True,
}
"""neat-python's own values for keys a config file may leave out, where they differ from :data:`DEFAULTS`."""


class NEATConfig(dict):
    """What :func:`read_config` read: the settings of :class:`NEAT` (a dict of :data:`DEFAULTS` keys),
    plus ``pop_size``, ``num_inputs``, ``num_outputs`` and ``fitness_threshold`` as attributes."""

    pop_size: int
    num_inputs: int
    num_outputs: int
    fitness_threshold: float | None

    @property
    def algorithm(self) -> dict:
        """The settings as a run config's ``[algorithm]`` table (``evo.evolve(..., algorithm=...)``)."""
        return {"name": "neat", **self}

    def build(self, seed: int = 0) -> NEAT:
        """A :class:`NEAT` with these settings."""
        return NEAT(self.num_inputs, self.num_outputs, self.pop_size, seed, **self)


def _value(text: str, like):
    """``text`` of a config file read as the type of ``like``."""
    if isinstance(like, bool):
        if text.lower() not in _TRUE + _FALSE:
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() in _TRUE
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    if isinstance(like, list):
        return text.split()
    return text.strip()


def read_config(path) -> NEATConfig:
    """Read a neat-python config file (its ``[NEAT]``, ``[DefaultGenome]``, ``[DefaultSpeciesSet]``,
    ``[DefaultStagnation]`` and ``[DefaultReproduction]`` sections).

    Keys with the same name and meaning become :class:`NEAT` settings; ``pop_size``, ``num_inputs``,
    ``num_outputs`` and ``fitness_threshold`` are attributes of the result. Aggregation, response
    and a few other keys are accepted only at the value that means what this NEAT does (sum, a fixed
    response of 1); docs/neat.md lists them. A key the file leaves out takes neat-python's value for it
    (:data:`_ABSENT`), so the file means here what it means there: an absent ``single_structural_mutation``
    is read as true, as neat-python does.

    Raises
    ------
    ValueError
        One line: an unreadable file, a missing section or key, a value of the wrong type, a key
        this NEAT does not know, or a setting it does not support.
    """
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise ValueError(f"cannot read NEAT config {path}: {str(e).splitlines()[0]}") from None
    missing = [s for s in _SECTIONS if not parser.has_section(s)]
    if missing:
        raise ValueError(f"NEAT config {path} has no [{missing[0]}] section")
    config = NEATConfig()
    extra = {"pop_size": 150, "num_inputs": 1, "num_outputs": 1, "fitness_threshold": 0.0}
    for section in _SECTIONS:
        for key, text in parser.items(section):
            try:
                if key in extra:
                    setattr(config, key, _value(text, extra[key]))
                elif key in _NEUTRAL:
                    value = _value(text, _NEUTRAL[key])
                    if value != _NEUTRAL[key]:
                        raise ValueError(f"only {key} = {_NEUTRAL[key]} is supported")
                elif key in _IGNORED:
                    continue
                elif key in DEFAULTS:
                    config[key] = _value(text, DEFAULTS[key])
                else:
                    raise ValueError("this NEAT has no such setting (docs/neat.md lists the keys it reads)")
            except ValueError as e:
                raise ValueError(f"NEAT config {path}, [{section}] {key}: {e}") from None
    for key in ("pop_size", "num_inputs", "num_outputs"):
        if not hasattr(config, key):
            raise ValueError(f"NEAT config {path} does not set {key}")
    config.fitness_threshold = getattr(config, "fitness_threshold", None)
    for key, value in _ABSENT.items():
        config.setdefault(key, value)
    try:
        config.build()  # every setting checked now, not when a run starts
    except ValueError as e:
        raise ValueError(f"NEAT config {path}: {e}") from None
    return config
