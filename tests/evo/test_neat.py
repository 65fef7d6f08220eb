"""NEAT: its operators, the compiled form against a naive evaluation, the fused rollout, checkpoints, configs."""

import math

import numba
import numpy as np
import pytest

import envs
import evo
from evo import rollout
from evo.algorithms.neat import NEAT, read_config
from evo.networks.neat import ACTIVATIONS, Genome, NEATNetwork, crossover, distance, pack


def genome(nodes, conns):
    """A genome from ``[(key, bias, activation name)]`` and ``[(innov, src, dst, weight, enabled)]``."""
    keys, bias, act = zip(*nodes) if nodes else ((), (), ())
    cols = list(zip(*conns)) if conns else [()] * 5
    return Genome(keys, bias, [ACTIVATIONS.index(a) for a in act], *cols).sorted()


def naive(g: Genome, x, outputs: int = 2) -> list:
    """The ``outputs`` outputs of ``g`` on ``x`` by recursion over the graph, in float64 with the textbook functions."""
    funcs = {"identity": lambda z: z, "sigmoid": lambda z: 1 / (1 + math.exp(-5 * z)),
             "tanh": lambda z: math.tanh(2.5 * z), "relu": lambda z: max(z, 0.0),
             "clamped": lambda z: min(max(z, -1.0), 1.0), "abs": abs,
             "gauss": lambda z: math.exp(-5 * min(max(z, -3.4), 3.4) ** 2),
             "sin": lambda z: math.sin(5 * min(max(z, -60), 60)), "square": lambda z: z * z}
    memo = {}

    def value(k):
        if k < 0:
            return float(x[-k - 1])
        if k not in memo:
            i = list(g.keys).index(k)
            s = g.bias[i] + sum(float(np.float32(w)) * value(int(a))
                                for a, b, w, on in zip(g.src, g.dst, g.weight, g.enabled) if on and b == k)
            memo[k] = funcs[ACTIVATIONS[g.act[i]]](float(np.float32(s)))
        return memo[k]
    return [value(j) for j in range(outputs)]


NUM_OUT = 2


def grown(seed=0, generations=12, pop=40, **settings):
    """A NEAT population grown for some generations on a fitness that rewards size (many hidden nodes)."""
    algo = NEAT(3, NUM_OUT, pop, seed, node_add_prob=0.6, conn_add_prob=0.8, node_delete_prob=0.05,
                conn_delete_prob=0.1, activation_default="random", activation_options=list(ACTIVATIONS),
                activation_mutate_rate=0.2, enabled_mutate_rate=0.1, **settings)
    for _ in range(generations):
        algo.ask()
        algo.tell(np.array([len(g.keys) + 0.1 * len(g.innov) for g in algo.population], float))
    return algo


# -- operators -------------------------------------------------------------------------------


def test_the_same_structural_mutation_in_one_generation_gets_the_same_numbers():
    algo = NEAT(2, 1, 10, 0, node_add_prob=1.0, conn_add_prob=1.0, node_delete_prob=0.0, conn_delete_prob=0.0,
                enabled_mutate_rate=0.0)
    base = algo.population[0]  # two connections, -1 -> 0 and -2 -> 0
    kids = algo.mutate([base] * 60)
    by_pair, by_split = {}, {}
    for kid in kids:
        assert np.all(np.diff(kid.innov) > 0) and np.all(np.diff(kid.keys) > 0)
        for i, s, d in zip(kid.innov, kid.src, kid.dst):
            assert by_pair.setdefault((int(s), int(d)), int(i)) == int(i)  # one number per connection
        (node,) = set(kid.keys.tolist()) - set(base.keys.tolist())
        (split,) = kid.innov[np.isin(kid.innov, base.innov) & ~kid.enabled]
        assert by_split.setdefault(int(split), node) == node  # one node key per split connection
    assert sorted(by_split) == base.innov.tolist()  # both connections were split, each to one new key
    assert len(set(by_pair.values())) == len(by_pair)
    again = algo.mutate([base] * 20)  # a new generation: the same splits are new innovations
    new_keys = {int(k) for kid in again for k in kid.keys} - set(base.keys.tolist())
    assert new_keys and not new_keys & set(by_split.values())


def test_crossover_aligns_genes_by_innovation_and_takes_the_rest_from_the_fitter():
    fitter = genome([(0, 0.5, "tanh"), (5, -1.0, "tanh")],
                    [(0, -1, 0, 1.0, True), (1, -2, 0, 2.0, True), (3, -1, 5, 3.0, True), (4, 5, 0, 4.0, False)])
    other = genome([(0, 9.5, "relu"), (7, 1.0, "tanh")],
                   [(0, -1, 0, -1.0, False), (1, -2, 0, -2.0, True), (2, -2, 7, -3.0, True), (9, 7, 0, 5.0, True)])
    seen = set()
    for seed in range(40):
        child = crossover(fitter, other, np.random.default_rng(seed))
        assert child.innov.tolist() == [0, 1, 3, 4] and child.keys.tolist() == [0, 5]
        assert child.src.tolist() == fitter.src.tolist() and child.dst.tolist() == fitter.dst.tolist()
        assert child.weight[2:].tolist() == [3.0, 4.0] and child.enabled[2:].tolist() == [True, False]
        assert child.bias[1] == -1.0 and child.enabled[1]
        seen.add((child.weight[0], bool(child.enabled[0]), child.weight[1], child.bias[0], int(child.act[0])))
    # each attribute of a matching gene comes from either parent, independently
    for k, values in enumerate([{1.0, -1.0}, {True, False}, {2.0, -2.0}, {0.5, 9.5}, {2, 3}]):
        assert {v[k] for v in seen} == values
    assert len({v[:2] for v in seen}) == 4


def test_crossover_disables_a_gene_disabled_in_either_parent_three_times_in_four():
    fitter = genome([(0, 0.0, "tanh")], [(0, -1, 0, 1.0, True), (1, -2, 0, 2.0, True)])
    other = genome([(0, 0.0, "tanh")], [(0, -1, 0, 1.0, False), (1, -2, 0, 2.0, True)])
    on = np.array([crossover(fitter, other, np.random.default_rng(seed)).enabled for seed in range(2000)])
    assert on[:, 1].all()  # enabled in both: stays enabled
    assert 0.1 < on[:, 0].mean() < 0.15  # the fitter's flag (1/2), then not disabled (1/4): 1/8


def test_the_breeding_kernel_crosses_over_as_the_reference_does():
    pop = grown(seed=1, generations=5).population
    still = NEAT(3, NUM_OUT, 10, 0, node_add_prob=0.0, node_delete_prob=0.0, conn_add_prob=0.0, conn_delete_prob=0.0,
                 weight_mutate_rate=0.0, weight_replace_rate=0.0, bias_mutate_rate=0.0, bias_replace_rate=0.0,
                 enabled_mutate_rate=0.0, activation_mutate_rate=0.0)  # children are their crossover alone
    matched = 0
    for i, j in [(0, 1), (3, 7), (10, 2), (5, 5)]:
        want = crossover(pop[i], pop[j], np.random.default_rng(99))
        still.rng = np.random.default_rng(99)
        kids = still._breed(pack([pop[i], pop[j]]), np.array([[0, 1]]), np.array([False]))
        for k, name in zip((1, 2, 3, 5, 6, 7, 8, 9), Genome.__slots__):
            np.testing.assert_array_equal(kids[k], getattr(want, name))
        matched += len(np.intersect1d(pop[i].innov, pop[j].innov))
    assert matched > 10


def test_forward_cases_is_forward_on_each_case_to_the_bit():
    algo = grown(seed=4, generations=8)  # every activation, hidden nodes
    rows = algo.ask()
    cases = np.random.default_rng(0).normal(0.0, 2.0, (5, 3)).astype(np.float32)
    out = algo.net.forward_cases(rows, cases)
    assert out.shape == (len(rows), 5, NUM_OUT) and rows[:, 0].max() > NUM_OUT
    for n in range(5):
        np.testing.assert_array_equal(out[:, n], algo.net.forward(rows, np.repeat(cases[n:n + 1], len(rows), 0)))


def test_the_breeding_kernels_bounded_draw_is_the_generators_own():
    from evo.algorithms.neat_breed import _below
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    for n in [1, 2, 3, 7, 150, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40] * 20:
        assert _below(ours, n) == theirs.integers(0, n)  # the same value from the same draws
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_compatibility_distance_against_a_hand_computed_case():
    a = genome([(0, 0.5, "tanh"), (1, 0.0, "tanh"), (4, 1.0, "tanh")],
               [(0, -1, 0, 1.0, True), (1, -2, 0, 2.0, True), (2, -1, 4, 0.5, True), (3, 4, 1, -1.0, False)])
    b = genome([(0, -0.5, "tanh"), (1, 0.0, "sigmoid")],
               [(0, -1, 0, 1.5, True), (1, -2, 0, 2.0, False), (5, -2, 1, 3.0, True)])
    # nodes: matching 0 (|0.5 + 0.5| = 1) and 1 (activations differ: 1), disjoint 4; 3 nodes at most
    nodes = (0.5 * (1.0 + 1.0) + 1.0 * 1) / 3
    # connections: matching 0 (0.5) and 1 (0 + enabled differs: 1), disjoint 2, 3 and 5; 4 at most
    conns = (0.5 * (0.5 + 1.0) + 1.0 * 3) / 4
    assert distance(a, b, 1.0, 0.5) == pytest.approx(nodes + conns)
    assert distance(a, b, 1.0, 0.5) == pytest.approx(distance(b, a, 1.0, 0.5))
    assert distance(a, a, 1.0, 0.5) == 0.0


def test_the_distance_matches_connections_by_their_ends_as_neat_python_does():
    a = genome([(0, 0.0, "tanh")], [(0, -1, 0, 1.0, True), (1, -2, 0, 2.0, True)])
    b = genome([(0, 0.0, "tanh")], [(1, -2, 0, 2.0, True), (7, -1, 0, 1.5, True)])  # -1 -> 0 deleted, added again
    assert distance(a, b, 1.0, 0.5) == pytest.approx(0.5 * 0.5 / 2)  # one weight apart, nothing disjoint


def reference_distance(a: Genome, b: Genome, disjoint: float, weight: float) -> float:
    """The distance by set operations on the genes (connections keyed by their ends), for comparison with the
    merging kernel."""
    total = 0.0
    ends = {id(g): g.src * 1_000_003 + g.dst for g in (a, b)}
    for keys, values in ((("keys",), ("bias", "act")), (("innov",), ("weight", "enabled"))):
        ka, kb = (getattr(g, keys[0]) if keys[0] == "keys" else ends[id(g)] for g in (a, b))
        _, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
        if max(len(ka), len(kb)):
            diff = np.abs(getattr(a, values[0])[ia] - getattr(b, values[0])[ib]).sum()
            diff += (getattr(a, values[1])[ia] != getattr(b, values[1])[ib]).sum()
            total += (weight * diff + disjoint * (len(ka) + len(kb) - 2 * len(ia))) / max(len(ka), len(kb))
    return total


def test_the_distance_kernel_agrees_with_set_operations_on_grown_genomes():
    pop = grown(seed=2, generations=6).population
    for a in pop[:8]:
        for b in pop[-8:]:
            assert distance(a, b, 1.3, 0.7) == pytest.approx(reference_distance(a, b, 1.3, 0.7), rel=1e-12)


def test_speciation_splits_distant_genomes_and_the_target_count_moves_the_threshold():
    algo = NEAT(2, 1, 20, 0, weight_init_stdev=0.01, bias_init_stdev=0.01)
    assert len(algo.species) == 1  # near-identical minimal genomes
    pop = algo.population
    for g in pop[10:]:
        g.weight += 50.0
    algo.population = pop
    algo.species, algo._reps = {}, pack([])
    algo._speciate()
    assert sorted(sorted(sp["members"]) for sp in algo.species.values()) == [list(range(10)), list(range(10, 20))]
    for target, start, moves in ((20, 3.0, -0.5), (1, 0.5, 0.5)):  # too few species, then too many
        algo = NEAT(2, 1, 20, 0, target_species=target, threshold_step=0.5, compatibility_threshold=start)
        seen = [algo.threshold]
        for _ in range(3):
            algo.tell(np.arange(20.0))
            seen.append(algo.threshold)
        assert (np.diff(seen) == moves).all()


def test_single_structural_mutation_makes_one_and_surer_enables_an_existing_connection():
    base = genome([(0, 0.0, "tanh")], [(0, -1, 0, 1.0, True), (1, -2, 0, 2.0, True), (2, -3, 0, 0.5, True)])
    still = dict(weight_mutate_rate=0.0, weight_replace_rate=0.0, bias_mutate_rate=0.0, bias_replace_rate=0.0,
                 enabled_mutate_rate=0.0)
    for single, grown_by in ((False, {1}), (True, {2, -1})):  # split then delete, or one of the two
        algo = NEAT(3, 1, 10, 0, node_add_prob=1.0, node_delete_prob=0.0, conn_add_prob=0.0, conn_delete_prob=1.0,
                    single_structural_mutation=single, **still)
        kids = algo.mutate([base] * 200)
        assert {len(k.innov) - len(base.innov) for k in kids} == grown_by
    off = genome([(0, 0.0, "tanh")], [(0, -1, 0, 1.0, False)])
    for surer, enabled in (("false", False), ("true", True), ("default", False)):
        algo = NEAT(1, 1, 10, 0, node_add_prob=0.0, node_delete_prob=0.0, conn_add_prob=1.0, conn_delete_prob=0.0,
                    structural_mutation_surer=surer, **still)
        assert [bool(k.enabled[0]) for k in algo.mutate([off] * 5)] == [enabled] * 5
    with pytest.raises(ValueError, match="structural_mutation_surer"):
        NEAT(1, 1, 10, 0, structural_mutation_surer="sometimes")


def test_a_recurrent_genome_starts_with_its_nodes_looped_onto_themselves():
    for forward, loops in ((True, set()), (False, {(0, 0), (1, 1)})):
        g = NEAT(2, 2, 4, 0, feed_forward=forward).population[0]
        assert {(s, d) for s, d in zip(g.src.tolist(), g.dst.tolist()) if s == d} == loops
        assert len(g.innov) == 4 + len(loops)


def test_offspring_counts_round_as_neat_pythons_do():
    algo = NEAT(2, 1, 20, 0)
    starts = np.array([0, 4, 10, 20])
    flat = np.zeros(20)  # every adjusted fitness 0: each species heads half-way to min_species_size (2)
    assert algo._spawns([0, 1, 2], flat, starts) == [5, 6, 9]  # 3, 4, 6 scaled by 20 / 13 and rounded
    ranked = np.concatenate([np.full(4, 3.0), np.full(6, 1.0), np.full(10, 0.0)])
    spawn = algo._spawns([0, 1, 2], ranked, starts)
    assert sum(spawn) == 20 and spawn[0] > 4 and spawn[2] < 10 and min(spawn) >= 2


def test_a_generation_keeps_pop_size_elites_and_capacity_and_survives_nan():
    algo = grown(max_nodes=6, max_conns=14, elitism=1)
    rows = algo.ask()
    assert rows.shape == (40, algo.net.num_params) and rows.dtype == np.float32
    assert max(len(g.keys) for g in algo.population) <= 6
    assert max(int(g.enabled.sum()) for g in algo.population) <= 14
    fitness = np.arange(40.0)
    fitness[1::3] = np.nan
    best = algo.ask()[int(np.nanargmax(fitness))].copy()
    algo.tell(fitness)
    assert len(algo.population) == 40 and algo.best_fitness == 39.0
    assert (algo.ask() == best).all(axis=1).any()  # the best of its species is kept unchanged
    assert sum(len(sp["members"]) for sp in algo.species.values()) == 40


def test_same_seed_same_population_other_seed_other():
    a, b, c = grown(seed=3, generations=5), grown(seed=3, generations=5), grown(seed=4, generations=5)
    np.testing.assert_array_equal(a.ask(), b.ask())
    assert not np.array_equal(a.ask(), c.ask())


# -- the compiled form ------------------------------------------------------------------------


def test_compiled_rows_compute_what_a_naive_evaluation_of_the_graph_computes():
    algo = grown()
    assert max(len(g.keys) for g in algo.population) > 4  # hidden nodes were added
    assert any((~g.enabled).any() for g in algo.population)
    rows = algo.ask()
    x = np.random.default_rng(0).normal(0, 0.5, (len(rows), 3)).astype(np.float32)
    out = algo.net.forward(rows, x)
    want = np.array([naive(g, xi) for g, xi in zip(algo.population, x)])
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def test_a_cycle_or_an_oversized_genome_does_not_compile():
    net = NEATNetwork(1, 1, max_nodes=2, max_conns=2)
    cycle = genome([(0, 0, "tanh"), (1, 0, "tanh")], [(0, 0, 1, 1.0, True), (1, 1, 0, 1.0, True)])
    with pytest.raises(ValueError, match="cycle"):
        net.compile(cycle)
    big = genome([(0, 0, "tanh")], [(0, -1, 0, 1.0, True), (1, -1, 0, 1.0, True), (2, -1, 0, 1.0, True)])
    with pytest.raises(ValueError, match="capacity"):
        net.compile(big)


def test_the_fused_rollout_plays_neat_rows_the_same_with_one_and_two_threads():
    env = envs.make("cartpole")
    algo = NEAT(env.obs_size, env.num_outputs, 48, 1, node_add_prob=0.5)
    for g in range(3):
        algo.ask()
        algo.tell(rollout(env, algo.net, algo.ask(), 2, g).fitness)
    rows = algo.ask()
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = rollout(env, algo.net, rows, 3, 9)
        numba.set_num_threads(max(2, threads) if numba.config.NUMBA_NUM_THREADS > 1 else 1)
        many = rollout(env, algo.net, rows, 3, 9)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one.returns, many.returns)
    np.testing.assert_array_equal(one.steps, many.steps)
    # step by step, the network's own forward pass for every step (the reference loop): the same returns
    from envs.core import play
    returns, steps = play(env, algo.net, rows, 3, 9)
    np.testing.assert_array_equal(returns, one.returns)
    np.testing.assert_array_equal(steps, one.steps)


# -- checkpoints, runs, configs -------------------------------------------------------------------


def test_a_restored_state_continues_to_the_bit(tmp_path):
    algo = grown(seed=5, generations=4)
    np.savez(tmp_path / "s.npz", **algo.state_dict())
    with np.load(tmp_path / "s.npz", allow_pickle=False) as f:
        restored = NEAT.from_state_dict(dict(f))
    for a in (algo, restored):
        for _ in range(4):
            rows = a.ask()
            a.tell(rows[:, 2:40].sum(axis=1).astype(np.float64))
    np.testing.assert_array_equal(algo.ask(), restored.ask())
    assert algo.threshold == restored.threshold and algo.species.keys() == restored.species.keys()
    broken = algo.state_dict()
    broken["conn_count"] = broken["conn_count"][1:]
    with pytest.raises(ValueError, match="NEAT state"):
        NEAT.from_state_dict(broken)


def test_a_run_with_algorithm_neat_resumes_to_the_bit(tmp_path):
    from evo.runs.config import RunConfig, default_config
    from evo.runs.driver import Driver, Evolution
    config = RunConfig.from_dict({"generations": 6, "pop_size": 24, "episodes": 1, "target": 1e9,
                                  "algorithm": {"name": "neat", "node_add_prob": 0.5}},
                                 base=default_config("acrobot"))
    straight = Evolution(config)
    Driver(straight).drive()
    run = Evolution(config)
    for _ in range(3):
        run.step()
    np.savez(tmp_path / "checkpoint.npz", **run.state_dict())
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as f:
        resumed = Evolution.from_state_dict(dict(f))
    Driver(resumed).drive()
    assert resumed.history == straight.history
    np.testing.assert_array_equal(resumed.champion, straight.champion)
    assert isinstance(straight.net, NEATNetwork)


def test_unknown_neat_settings_are_one_line_errors():
    from evo.algorithms import registry
    with pytest.raises(ValueError, match="no parameter 'bogus'"):
        registry.parameters({"name": "neat", "bogus": 1})
    with pytest.raises(ValueError, match="unknown NEAT activation"):
        NEAT(2, 1, 10, 0, activation_default="softmax")


XOR = {  # neat-python's XOR example, section by section
    "NEAT": dict(fitness_criterion="max", fitness_threshold=3.9, pop_size=150, reset_on_extinction=False),
    "DefaultGenome": dict(
        activation_default="sigmoid", activation_mutate_rate=0.0, activation_options="sigmoid",
        aggregation_default="sum", aggregation_mutate_rate=0.0, aggregation_options="sum",
        bias_init_mean=0.0, bias_init_stdev=1.0, bias_max_value=30.0, bias_min_value=-30.0, bias_mutate_power=0.5,
        bias_mutate_rate=0.7, bias_replace_rate=0.1, compatibility_disjoint_coefficient=1.0,
        compatibility_weight_coefficient=0.5, conn_add_prob=0.5, conn_delete_prob=0.5, enabled_default=True,
        enabled_mutate_rate=0.01, feed_forward=True, initial_connection="full", node_add_prob=0.2,
        node_delete_prob=0.2, num_hidden=0, num_inputs=2, num_outputs=1, response_init_mean=1.0,
        response_init_stdev=0.0, response_max_value=30.0, response_min_value=-30.0, response_mutate_power=0.0,
        response_mutate_rate=0.0, response_replace_rate=0.0, weight_init_mean=0.0, weight_init_stdev=1.0,
        weight_max_value=30, weight_min_value=-30, weight_mutate_power=0.5, weight_mutate_rate=0.8,
        weight_replace_rate=0.1),
    "DefaultSpeciesSet": dict(compatibility_threshold=3.0),
    "DefaultStagnation": dict(species_fitness_func="max", max_stagnation=20),
    "DefaultReproduction": dict(elitism=2, survival_threshold=0.2),
}


def config_text(sections: dict) -> str:
    return "\n".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) for name, keys in sections.items())


XOR_CONFIG = config_text(XOR)


def test_read_config_reads_neat_pythons_xor_example_and_refuses_what_it_cannot_do(tmp_path):
    path = tmp_path / "config-feedforward"
    path.write_text(XOR_CONFIG)
    config = evo.neat.read_config(path)
    assert (config.pop_size, config.num_inputs, config.num_outputs, config.fitness_threshold) == (150, 2, 1, 3.9)
    assert config["activation_options"] == ["sigmoid"] and config["weight_max_value"] == 30.0
    assert config["elitism"] == 2 and config["max_stagnation"] == 20
    # left out, a key means what neat-python makes of it: its default 'false' string is true in Python
    assert config["single_structural_mutation"] and config["min_species_size"] == 1
    assert config["species_elitism"] == 0
    path.write_text(XOR_CONFIG.replace("num_hidden = 0", "num_hidden = 0\nsingle_structural_mutation = off"))
    assert not read_config(path)["single_structural_mutation"]
    algo = config.build(seed=0)
    assert algo.pop_size == 150 and algo.settings["activation_default"] == "sigmoid"
    for old, new, message in [("aggregation_default = sum", "aggregation_default = max", "only"),
                              ("feed_forward = True", "feed_forward = maybe", "true or false"),
                              ("num_hidden = 0", "num_hidden = 0\nfoo = 1", "no such"),
                              ("initial_connection = full", "initial_connection = partial 0.5", "initial_connection"),
                              ("[DefaultStagnation]", "[Stagnation]", "no \\[DefaultStagnation\\]"),
                              ("pop_size = 150", "pop_size = many", "pop_size")]:
        assert old in XOR_CONFIG
        path.write_text(XOR_CONFIG.replace(old, new))
        with pytest.raises(ValueError, match=message):
            read_config(path)
    with pytest.raises(ValueError, match="cannot read"):
        read_config(tmp_path / "missing")


def test_a_config_solves_xor_through_ask_and_tell(tmp_path):
    path = tmp_path / "config-feedforward"
    path.write_text(XOR_CONFIG)
    algo = read_config(path).build(seed=1)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([0, 1, 1, 0], np.float32)
    for _ in range(300):
        rows = algo.ask()
        out = np.stack([algo.net.forward(rows, np.repeat(xi[None], len(rows), 0))[:, 0] for xi in x], 1)
        fitness = 4.0 - ((out - y) ** 2).sum(axis=1)
        if fitness.max() > 3.9:
            break
        algo.tell(fitness)
    assert fitness.max() > 3.9


def test_topology_and_dot_describe_the_compiled_network():
    algo = grown(seed=4, generations=6)
    pop, rows = algo.population, algo.ask()
    i = int(np.argmax([len(g.keys) for g in pop]))
    t = algo.net.topology(rows[i])
    assert [n["name"] for n in t["nodes"][:3]] == ["in0", "in1", "in2"]
    assert sorted(n["name"] for n in t["nodes"] if n["kind"] == "output") == ["out0", "out1"]
    assert len(t["nodes"]) == 3 + len(pop[i].keys) and len(t["connections"]) == int(pop[i].enabled.sum())
    assert sorted(e["weight"] for e in t["connections"]) == sorted(np.float32(pop[i].weight[pop[i].enabled]).tolist())
    dot = algo.net.to_dot(rows[i])
    assert dot.startswith("// neuroevo NEAT network") and dot.count("->") == len(t["connections"])


def test_a_neat_run_exports_its_champion_as_json_and_dot(tmp_path, capsys):
    import json
    from evo.cli import main
    run = tmp_path / "run"
    assert main(["run", "cartpole", "--algorithm", "neat", "--generations", "2", "--pop", "16", "--episodes", "1",
                 "--target", "1e9", "--out", str(run), "--quiet"]) == 0
    assert main(["export", str(run), "--out", str(tmp_path / "c.json")]) == 0
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["network"]["kind"] == "neat" and data["layers"][0]["type"] == "neat"
    assert main(["export", str(run), "--out", str(tmp_path / "c.dot")]) == 0
    assert (tmp_path / "c.dot").read_text().startswith("// neuroevo NEAT network")
    assert main(["export", str(run), "--format", "numpy", "--out", str(tmp_path / "p.py")]) == 2
    assert "exports mlp and recurrent" in capsys.readouterr().err


def test_the_layout_places_nodes_by_depth_and_reads_the_rollouts_values():
    g = genome([(0, 0.1, "tanh"), (3, -0.2, "relu"), (4, 0.3, "sigmoid")],
               [(0, -1, 3, 0.7, True), (1, 3, 4, -1.1, True), (2, 4, 0, 0.9, True), (3, -2, 0, 0.4, True)])
    net = NEATNetwork(2, 1)
    row = net.compile(g)
    nodes, edges = net.layout.graph(row)
    depth = {slot: d for slot, _, d in nodes}
    assert depth == {0: 0, 1: 0, 3: 1, 4: 2, 2: 3}  # in -> h(3) -> h(4) -> out, the output deepest
    assert sorted(edges) == sorted([(0, 3, np.float32(0.7)), (3, 4, np.float32(-1.1)), (4, 2, np.float32(0.9)),
                                    (1, 2, np.float32(0.4))])
    x = np.array([0.5, -1.0], np.float32)
    values = net.layout.values(row, x)
    assert values[2] == net.forward(row[None], x[None])[0, 0]
    np.testing.assert_allclose(values[:3], [0.5, -1.0, naive(g, x, 1)[0]], atol=1e-5)


def test_a_neat_run_plays_at_least_neat_pythons_population_unless_told():
    from evo.runs.config import RunConfig, default_config
    flappy, snake = default_config("flappy"), default_config("snake")
    assert flappy.pop_size < 150 and snake.pop_size > 150  # the GA presets
    assert (default_config("flappy", "neat").pop_size, default_config("flappy", "neat").episodes) == (150, flappy.episodes)
    assert default_config("snake", "neat").pop_size == snake.pop_size  # at least 150: a larger preset stays
    assert default_config("snake", "neat").episodes == 8 != snake.episodes  # NEAT's own episodes for snake
    given = RunConfig.from_dict({"pop_size": 30, "algorithm": "neat"}, base=default_config("flappy", "neat"))
    assert given.pop_size == 30


# -- recurrent networks (feed_forward = False) ---------------------------------------------------


def naive_steps(g: Genome, xs, outputs: int = 2) -> list:
    """Outputs of a recurrent genome over the inputs ``xs``, step by step as neat-python's recurrent networks
    compute: every node reads the inputs and the previous step's node values (zero at first)."""
    funcs = {"tanh": lambda z: math.tanh(2.5 * z), "relu": lambda z: max(z, 0.0), "identity": lambda z: z}
    prev, seen = {int(k): 0.0 for k in g.keys}, []
    for x in xs:
        now = {}
        for i, k in enumerate(g.keys.tolist()):
            s = g.bias[i] + sum(float(np.float32(w)) * (float(x[-a - 1]) if a < 0 else prev[int(a)])
                                for a, b, w, on in zip(g.src, g.dst, g.weight, g.enabled) if on and b == k)
            now[k] = funcs[ACTIVATIONS[g.act[i]]](float(np.float32(s)))
        prev = now
        seen.append([now[j] for j in range(outputs)])
    return seen


def test_a_recurrent_network_steps_with_the_previous_steps_values():
    g = genome([(0, 0.1, "tanh"), (1, -0.2, "identity"), (4, 0.3, "relu")],  # a loop 4 -> 4, a cycle 4 -> 0 -> 4
               [(0, -1, 4, 0.7, True), (1, 4, 4, 0.5, True), (2, 4, 0, 0.9, True), (3, 0, 4, -0.6, True),
                (4, -2, 1, 0.4, True), (5, 0, 1, 1.2, True), (6, -2, 0, 2.0, False)])
    with pytest.raises(ValueError, match="cycle"):
        NEATNetwork(2, 2).compile(g)
    net = NEATNetwork(2, 2, recurrent=True)
    rows = np.repeat(net.compile(g)[None], 2, 0)
    xs = np.random.default_rng(1).normal(0, 1, (6, 2)).astype(np.float32)
    state = net.initial_state(2)
    assert state.shape == (2, net.max_nodes) and not state.any()
    got = [net.forward(rows, np.repeat(x[None], 2, 0), state)[0] for x in xs]
    np.testing.assert_allclose(got, naive_steps(g, xs), rtol=1e-5, atol=1e-6)
    assert net.layout.values(rows[0], xs[0])[2:4].tolist() == pytest.approx(naive_steps(g, xs[:1])[0], abs=1e-6)
    assert NEATNetwork.from_dict(net.to_dict()).recurrent
    with pytest.raises(ValueError, match="keeps no state"):
        NEATNetwork(2, 2).forward(rows, xs[:2], state)


def test_recurrent_neat_grows_cycles_and_the_fused_rollout_plays_them_as_the_reference_loop():
    env = envs.make("cartpole")
    algo = NEAT(env.obs_size, env.num_outputs, 32, 2, feed_forward=False, node_add_prob=0.6, conn_add_prob=0.9)
    assert algo.net.recurrent
    for g in range(4):
        algo.tell(rollout(env, algo.net, algo.ask(), 1, g).fitness)
    back = [(s, d) for g in algo.population for s, d, on in zip(g.src, g.dst, g.enabled)
            if on and d >= 0 and (s == d or reaches_back(g, int(s), int(d)))]
    assert back  # loops or cycles grew
    rows = algo.ask()
    from envs.core import play
    fused = rollout(env, algo.net, rows, 2, 9)
    returns, steps = play(env, algo.net, rows, 2, 9)
    np.testing.assert_array_equal(returns, fused.returns)
    np.testing.assert_array_equal(steps, fused.steps)


def reaches_back(g: Genome, src: int, dst: int) -> bool:
    """Whether the connection src -> dst closes a cycle (dst leads back to src)."""
    from evo.networks.neat import reaches
    return reaches(g, dst, src)
