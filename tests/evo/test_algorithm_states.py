"""Every algorithm's saved state is checked field by field when it is read back: one line naming the field."""

import json

import numpy as np
import pytest

from evo import strategies
from evo.algorithms.diversity import MAPElites, NoveltySearch

G = 6


def played(algorithm, generations: int = 2, behaviour: bool = False):
    """``algorithm`` after a few generations on a sphere (with made-up behaviour when it needs some)."""
    rng = np.random.default_rng(1)
    for _ in range(generations):
        x = algorithm.ask()
        fitness = -np.sum(np.asarray(x, np.float64) ** 2, axis=1)
        if behaviour:
            algorithm.tell(fitness, rng.random((len(x), 2)))
        else:
            algorithm.tell(fitness)
    algorithm.ask()  # a state with a pending population
    return algorithm


STRATEGIES = {name: played(cls(G, seed=3)) for name, cls in strategies.ALGORITHMS.items()}


def _set(key, value):
    return lambda d: d.__setitem__(key, value)


def _scale(key, factor):
    return lambda d: d.__setitem__(key, d[key] * factor)


COMMON = [
    (_set("generation", np.array(-1)), "'generation' must be >= 0"),
    (_set("generation", np.array(1.5)), "'generation' must be a single integer"),
    (_set("best_genome", np.zeros(G - 1, np.float32)), "'best_genome' must be finite float32 of shape (6,)"),
    (_set("best_genome", np.full(G, np.nan, np.float32)), "'best_genome' must be finite"),
    (_set("best_genome", np.zeros(0, np.float32)), "a best genome exactly when"),
    (_set("best_fitness", np.array(np.nan)), "'best_fitness' must be not NaN"),
    (_set("rng_state", np.array('{"bit_generator": "MT19937"}')), "'rng_state' is not a PCG64 state"),
    (_set("rng_state", np.array(3)), "'rng_state' must be text"),
    (_set("config", np.array("[1, 2]")), "'config' must be a JSON table"),
    (_set("kind", np.array("Nothing")), "state is of a Nothing"),
    (_set("mean", np.full(G, np.inf)), "'mean' must be finite float64"),
    (lambda d: d.pop("mean"), "missing 'mean'"),
]
ASKED = [
    (lambda d: d["asked"].__setitem__((0, 0), np.nan), "'asked' must be finite"),
    (lambda d: d.__setitem__("asked", d["asked"][:-1]), "'asked' must be finite float64 of shape"),
]
OWN = {
    "cmaes": [(_set("sigma", np.array(-1.0)), "'sigma' must be finite, > 0"),
              (_set("sigma", np.array(0.0)), "'sigma' must be finite, > 0"),
              (_set("sigma", np.array(np.inf)), "'sigma' must be finite, > 0"),
              (_set("lam", np.array(1.5)), "'lam' must be a single integer"),
              (lambda d: d.__setitem__("lam", d["lam"] + 1), "disagree with pop_size"),
              (_set("restarts_done", np.array(3)), "disagree with pop_size"),
              (_set("C", -np.eye(G)), "positive diagonal"),
              (_set("C", np.eye(G + 1)), "'C' must be finite float64 of shape (6, 6)"),
              (_set("stall", np.array(-2)), "'stall' must be >= 0")],
    "sep_cmaes": [(_set("C", -np.ones(G)), "positive diagonal"),
                  (_set("sigma", np.array(np.inf)), "'sigma' must be finite, > 0")],
    "openai_es": [(_set("sigma", np.array(-1.0)), "'sigma' must be finite, > 0"),
                  (_set("v", -np.ones(G)), "'v' (Adam's second moment) must be >= 0"),
                  (_set("m", np.zeros(G, np.float32)), "'m' must be finite float64")],
    "snes": [(_scale("sigmas", -1.0), "'sigmas' must be finite positive"),
             (_set("sigmas", np.zeros(G)), "'sigmas' must be finite positive")],
    "pgpe": [(_scale("sigmas", np.inf), "'sigmas' must be finite positive"),
             (_set("velocity", np.full(G, np.nan)), "'velocity' must be finite")],
}
CASES = [(name, change, message) for name in STRATEGIES for change, message in COMMON + ASKED + OWN[name]]


@pytest.mark.parametrize("name,change,message", CASES)
def test_a_tampered_strategy_state_is_refused(name, change, message):
    es = STRATEGIES[name]
    state = {k: np.array(v, copy=True) for k, v in es.state_dict().items()}
    change(state)
    with pytest.raises(ValueError) as info:
        type(es).from_state_dict(state)
    assert message in str(info.value) and "\n" not in str(info.value), str(info.value)


@pytest.mark.parametrize("name", STRATEGIES)
def test_an_untouched_strategy_state_continues_bit_for_bit(name):
    es = STRATEGIES[name]
    again = type(es).from_state_dict(es.state_dict())
    assert np.array_equal(again.ask(), es.ask())
    fresh = type(es).from_state_dict(type(es)(G, seed=3).state_dict())  # never told: no best genome
    assert fresh.best_genome is None and fresh.generation == 0


NOVELTY = played(NoveltySearch(G, 8, seed=2), behaviour=True)
MAP = played(MAPElites(G, 8, seed=2, bins=4), behaviour=True)

DIVERSITY = [
    (NOVELTY, _set("archive", np.full((3, 2), np.nan)), "'archive' must be a finite float64"),
    (NOVELTY, _set("archive", np.zeros((3, 0))), "D >= 1 when A > 0"),
    (NOVELTY, _set("threshold", np.array(-1.0)), "'threshold' must be finite, >= 0"),
    (NOVELTY, _set("threshold", np.array(np.inf)), "'threshold' must be finite"),
    (NOVELTY, _set("best_genome", np.zeros(2, np.float32)), "'best_genome' must be finite float32"),
    (NOVELTY, _set("config", np.array(json.dumps({"k": 0, "max_added": 4, "fitness_weight": 0.0}))),
     "k must be >= 1"),
    (NOVELTY, _set("ga/population", np.full((8, G), np.nan, np.float32)), "'population' must be finite"),
    (NOVELTY, _set("version", np.array("1")), "'version' must be a single integer"),
    (MAP, _set("population", np.full((8, G), np.nan, np.float32)), "'population' must be finite float32"),
    (MAP, _set("genome_map", np.zeros((4, 4, G + 1), np.float32)), "'genome_map' must be finite float32"),
    (MAP, _set("fitness_map", np.zeros((3, 4))), "'fitness_map' must be float64 of shape (4, 4)"),
    (MAP, _set("generation", np.array(2.0)), "'generation' must be a single integer"),
    (MAP, _set("generation", np.array(0)), "'fitness_map' must be empty (NaN) before the first tell"),
    (MAP, _set("best_genome", np.full(G, np.inf, np.float32)), "'best_genome' must be finite"),
    (MAP, _set("rng_state", np.array("{}")), "'rng_state' is not a PCG64 state"),
    (MAP, _set("config", np.array(json.dumps({**MAP.config(), "sigma": 1e300}))), "sigma must be in"),
]


@pytest.mark.parametrize("algorithm,change,message", DIVERSITY)
def test_a_tampered_novelty_or_map_elites_state_is_refused(algorithm, change, message):
    state = {k: np.array(v, copy=True) for k, v in algorithm.state_dict().items()}
    change(state)
    with pytest.raises(ValueError) as info:
        type(algorithm).from_state_dict(state)
    assert message in str(info.value) and "\n" not in str(info.value), str(info.value)


@pytest.mark.parametrize("algorithm", [NOVELTY, MAP])
def test_an_untouched_diversity_state_continues_bit_for_bit(algorithm):
    again = type(algorithm).from_state_dict(algorithm.state_dict())
    assert np.array_equal(again.ask(), algorithm.ask())


@pytest.mark.parametrize("algorithm,table", [("cmaes", {"sigma": 0.25}), ("snes", {"eta_mu": 0.5}),
                                             ("novelty", {"k": 3}), ("ga", {"mutation_rate": 0.5})])
def test_a_checkpoint_must_agree_with_its_runs_algorithm_settings(algorithm, table):
    from evo.runs.config import RunConfig, default_config
    from evo.runs.driver import Evolution

    env = "snake" if algorithm == "novelty" else "cartpole"
    config = RunConfig.from_dict({"env": env, "hidden": [4], "pop_size": 8, "algorithm": algorithm},
                                 base=default_config(env))
    state = Evolution(config).state_dict()
    Evolution.from_state_dict(state)  # as saved: accepted
    other = RunConfig.from_dict({**config.to_dict(), "algorithm": {"name": algorithm, **table}})
    foreign = Evolution(other).state_dict()
    tampered = {**state, **{k: v for k, v in foreign.items() if k.startswith("algorithm/")}}
    with pytest.raises(ValueError, match="settings .* do not match its config"):
        Evolution.from_state_dict(tampered)
