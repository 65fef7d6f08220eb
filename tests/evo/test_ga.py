import io

import numpy as np
import pytest

from evo import GeneticAlgorithm, MLP, selection


def run(ga, fn, generations):
    for _ in range(generations):
        ga.tell(fn(ga.ask()))
    return ga


def sphere_fn(shift):
    return lambda x: -np.sum((x.astype(np.float64) - shift) ** 2, axis=1)


def test_defaults_work_as_is():
    ga = GeneticAlgorithm(num_params=7, pop_size=20, seed=0)
    pop = ga.ask()
    assert pop.shape == (20, 7) and pop.dtype == np.float32
    assert not pop.flags.writeable
    ga.tell(np.arange(20.0))
    assert ga.generation == 1 and ga.best_fitness == 19.0
    np.testing.assert_array_equal(ga.best_genome, pop[19])


def test_ask_twice_gives_the_same_population():
    ga = GeneticAlgorithm(num_params=3, pop_size=5, seed=1)
    np.testing.assert_array_equal(ga.ask(), ga.ask())


def test_elites_survive_unchanged():
    ga = GeneticAlgorithm(num_params=4, pop_size=10, seed=2, elite=3)
    pop = np.array(ga.ask())
    fit = np.array([5, 1, 9, 3, 7, 0, 2, 8, 4, 6], float)
    ga.tell(fit)
    np.testing.assert_array_equal(ga.ask()[:3], pop[[2, 7, 4]])


def test_fitness_shape_is_checked():
    ga = GeneticAlgorithm(num_params=4, pop_size=10, seed=0)
    with pytest.raises(ValueError, match="shape"):
        ga.tell(np.zeros(9))


def test_nan_fitness_is_worst_not_propagated():
    ga = GeneticAlgorithm(num_params=4, pop_size=10, seed=0, elite=2)
    pop = np.array(ga.ask())
    fit = np.full(10, np.nan)
    fit[6] = -100.0
    ga.tell(fit)
    assert ga.best_fitness == -100.0
    np.testing.assert_array_equal(ga.best_genome, pop[6])
    np.testing.assert_array_equal(ga.ask()[0], pop[6])
    assert np.isfinite(ga.ask()).all()


def test_best_fitness_never_decreases():
    ga = GeneticAlgorithm(num_params=5, pop_size=30, seed=4)
    rng = np.random.default_rng(0)
    bests = []
    for _ in range(20):
        ga.tell(rng.normal(size=30))
        bests.append(ga.best_fitness)
    assert all(b2 >= b1 for b1, b2 in zip(bests, bests[1:]))


def test_same_seed_same_run_different_seed_different_run():
    f = sphere_fn(0.5)
    a = run(GeneticAlgorithm(num_params=10, pop_size=32, seed=5), f, 15)
    b = run(GeneticAlgorithm(num_params=10, pop_size=32, seed=5), f, 15)
    c = run(GeneticAlgorithm(num_params=10, pop_size=32, seed=6), f, 15)
    np.testing.assert_array_equal(a.ask(), b.ask())
    assert not np.array_equal(a.ask(), c.ask())


def test_operators_by_name_with_parameters():
    ga = GeneticAlgorithm(num_params=6, pop_size=16, seed=0,
                          selection=("tournament", {"size": 5}),
                          crossover={"name": "blend", "alpha": 0.3},
                          mutation={"name": "gaussian", "sigma": {"kind": "linear", "start": 0.5,
                                                                  "end": 0.1, "generations": 10}, "rate": 0.2})
    run(ga, sphere_fn(0.0), 3)
    cfg = ga.config()
    assert cfg["selection"] == {"name": "tournament", "size": 5}
    assert cfg["crossover"] == {"name": "blend", "alpha": 0.3}


def test_callable_operators_are_called():
    calls = []

    def pick_first(fitness, n, rng):
        calls.append(n)
        return np.zeros(n, dtype=np.int64)

    ga = GeneticAlgorithm(num_params=3, pop_size=6, seed=0, elite=1, selection=pick_first,
                          crossover_rate=0.0, mutation=lambda g, rng: g.copy())
    pop = np.array(ga.ask())
    ga.tell(np.arange(6.0))
    assert calls == [5, 5]
    # every child is a copy of genome 0, the elite is genome 5
    np.testing.assert_array_equal(ga.ask()[0], pop[5])
    np.testing.assert_array_equal(ga.ask()[1:], np.repeat(pop[:1], 5, axis=0))


@pytest.mark.parametrize("kwargs,match", [
    (dict(selection="lottery"), "unknown selection"),
    (dict(crossover="zipper"), "unknown crossover"),
    (dict(mutation="cosmic"), "unknown mutation"),
    (dict(selection=("tournament", {"sise": 3})), "no parameter 'sise'"),
    (dict(crossover="neurons"), "layout"),
    (dict(elite=11), "elite"),
    (dict(selection=42), "selection must be"),
])
def test_bad_configuration_is_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GeneticAlgorithm(num_params=3, pop_size=10, seed=0, **kwargs)


@pytest.mark.parametrize("bad", [dict(num_params=0, pop_size=5), dict(num_params=3, pop_size=-1)])
def test_bad_sizes(bad):
    with pytest.raises(ValueError):
        GeneticAlgorithm(seed=0, **bad)


def test_neurons_crossover_with_a_network_layout():
    net = MLP([3, 4, 2])
    ga = GeneticAlgorithm(num_params=net.num_params, pop_size=20, seed=0, crossover="neurons",
                          layout=net.layout, init=net.init, crossover_rate=1.0)
    run(ga, sphere_fn(0.2), 3)
    assert ga.ask().shape == (20, net.num_params)


def roundtrip(state):
    """Through an .npz file without pickle, as a checkpoint would."""
    buf = io.BytesIO()
    np.savez(buf, **state)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("mutation", [
    "gaussian",
    {"name": "gaussian", "sigma": {"kind": "exponential", "start": 0.5, "end": 0.01, "generations": 8}},
    {"name": "self_adaptive", "sigma": 0.3},
])
def test_restored_ga_continues_bit_identically(mutation):
    f = sphere_fn(1.0)
    straight = run(GeneticAlgorithm(num_params=8, pop_size=24, seed=9, mutation=mutation), f, 12)
    first = run(GeneticAlgorithm(num_params=8, pop_size=24, seed=9, mutation=mutation), f, 5)
    resumed = run(GeneticAlgorithm.from_state_dict(roundtrip(first.state_dict())), f, 7)
    assert resumed.generation == straight.generation == 12
    np.testing.assert_array_equal(resumed.ask(), straight.ask())
    np.testing.assert_array_equal(resumed.best_genome, straight.best_genome)
    assert resumed.best_fitness == straight.best_fitness


def test_restoring_a_callable_operator_needs_it_again():
    ga = GeneticAlgorithm(num_params=3, pop_size=6, seed=0, selection=lambda f, n, rng: selection.random(f, n, rng))
    state = roundtrip(ga.state_dict())
    with pytest.raises(ValueError, match="pass selection="):
        GeneticAlgorithm.from_state_dict(state)
    assert GeneticAlgorithm.from_state_dict(state, selection="random").generation == 0


def test_corrupted_state_is_a_clear_error():
    state = GeneticAlgorithm(num_params=3, pop_size=6, seed=0).state_dict()
    del state["rng_state"]
    with pytest.raises(ValueError, match="rng_state"):
        GeneticAlgorithm.from_state_dict(state)


# -- the GA on problems that are not games, through ask/tell alone ------------------------------


def test_solves_shifted_sphere_30d():
    shift = np.random.default_rng(42).uniform(-3, 3, 30)
    ga = GeneticAlgorithm(num_params=30, pop_size=200, seed=0, elite=4,
                          selection=("tournament", {"size": 4}), crossover="uniform",
                          mutation={"name": "gaussian", "rate": 0.1,
                                    "sigma": {"kind": "exponential", "start": 0.5, "end": 0.002,
                                              "generations": 400}})
    run(ga, sphere_fn(shift), 400)
    # a random start is about 30 * (3 + 1) = 120 away; demand 1e-3
    assert -ga.best_fitness < 1e-3


def test_solves_shifted_rastrigin_30d():
    shift = np.random.default_rng(7).uniform(-2, 2, 30)

    def rastrigin(x):
        z = x.astype(np.float64) - shift
        return -(10 * z.shape[1] + np.sum(z * z - 10 * np.cos(2 * np.pi * z), axis=1))

    ga = GeneticAlgorithm(num_params=30, pop_size=300, seed=0, elite=4, crossover_rate=0.9,
                          selection=("tournament", {"size": 3}), crossover="uniform",
                          mutation={"name": "gaussian", "rate": 0.03,
                                    "sigma": {"kind": "exponential", "start": 1.0, "end": 0.005,
                                              "generations": 500}})
    start = -rastrigin(np.asarray(ga.ask())).mean()
    run(ga, rastrigin, 500)
    # random starts score about 500; the global minimum is 0 and local minima sit at integer offsets
    assert start > 300
    assert -ga.best_fitness < 5.0


# -- the loops DEAP users know, bounds, self-adaptation per gene, the 1/5 rule ------------------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import naive  # noqa: E402

from evo import bounds, crossover, mutation  # noqa: E402


@pytest.mark.parametrize("replacement, survivors, elite", [
    ("generational", None, 0), ("generational", None, 3), ("plus", 5, 0), ("plus", None, 0),
    ("comma", 4, 0), ("steady_state", 7, 0), ("steady_state", 3, 0),
    ("steady_state", 14, 0), ("plus", 13, 0),
])
@pytest.mark.parametrize("children_per_pair", [1, 2])
@pytest.mark.parametrize("mutation_rate", [1.0, 0.4])
def test_loops_match_the_slow_reference(replacement, survivors, elite, children_per_pair, mutation_rate):
    low, high = -1.5, 2.0
    options = dict(replacement=replacement, survivors=survivors, elite=elite,
                   children_per_pair=children_per_pair, mutation_rate=mutation_rate, crossover_rate=0.6)
    ga = GeneticAlgorithm(num_params=5, pop_size=9, seed=4, selection=("tournament", {"size": 2}),
                          crossover=("blend", {"alpha": 0.5}), mutation={"name": "gaussian", "sigma": 0.8, "rate": 0.5},
                          low=low, high=high, repair="reflect", **options)
    box = bounds.check(low, high, 5, "reflect")
    ref = {"population": np.array(ga.ask()), "parents": None, "parents_fitness": None,
           **options, "survivors": survivors or 9}
    rng = np.random.default_rng(4)
    rng.bit_generator.state = ga.rng.bit_generator.state
    fn = sphere_fn(0.5)
    for g in range(6):
        f = fn(np.asarray(ga.ask()))
        f[g % 9] = np.nan  # NaN is the worst everywhere
        ga.tell(f)
        ref = naive.ga_tell(ref, f, rng,
                            select=lambda fit, n, r: selection.tournament(fit, n, r, size=2),
                            cross=lambda a, b, r: crossover.blend(a, b, r, alpha=0.5),
                            mutate=lambda x, r: mutation.gaussian(x, r, sigma=0.8, rate=0.5),
                            repair=lambda x: bounds.repair(x, box, "reflect", np.float32))
        np.testing.assert_array_equal(ga.ask(), ref["population"])


def test_two_children_per_pair_are_complements():
    """Uniform crossover, no mutation: the two children of a pair hold each parent gene exactly once."""
    ga = GeneticAlgorithm(num_params=6, pop_size=40, seed=1, elite=0, children_per_pair=2, crossover_rate=1.0,
                          mutation_rate=0.0, init=lambda rng, n: rng.integers(0, 1000, (n, 6)).astype(np.float32))
    pop = np.array(ga.ask())
    ga.tell(np.arange(40.0))
    kids = np.array(ga.ask()).reshape(20, 2, 6)
    sums = kids.sum(axis=1)
    # every pair's genes are those of two population members, split between the children
    pair_sums = {tuple(pop[i] + pop[j]) for i in range(40) for j in range(40)}
    assert all(tuple(s) in pair_sums for s in sums)
    assert not np.array_equal(kids[:, 0], kids[:, 1])


def test_mutation_rate_is_the_share_of_children_mutated():
    ga = GeneticAlgorithm(num_params=4, pop_size=2000, seed=3, elite=0, crossover_rate=0.0, mutation_rate=0.3,
                          mutation={"name": "gaussian", "sigma": 1.0, "rate": 1.0})
    pop = np.array(ga.ask())
    ga.tell(np.zeros(2000))
    kids = np.array(ga.ask())
    copied = (kids[:, None, :] == pop[None, :, :]).all(axis=2).any(axis=1)
    assert abs((~copied).mean() - 0.3) < 0.04


def test_plus_keeps_the_best_of_parents_and_children_and_comma_only_children():
    fn = sphere_fn(0.0)
    plus = GeneticAlgorithm(num_params=3, pop_size=12, seed=0, replacement="plus", survivors=4)
    comma = GeneticAlgorithm(num_params=3, pop_size=12, seed=0, replacement="comma", survivors=4)
    for ga in (plus, comma):
        history = []
        for _ in range(8):
            f = fn(np.asarray(ga.ask()))
            previous = None if ga.parents is None else ga.parents_fitness.copy()
            ga.tell(f)
            if ga.replacement == "plus":
                union = f if previous is None else np.concatenate([previous, f])
                np.testing.assert_array_equal(np.sort(ga.parents_fitness), np.sort(union)[-4:])
                history.append(ga.parents_fitness.max())
        if ga.replacement == "plus":
            assert history == sorted(history)
        else:
            assert ga.parents is None


def test_steady_state_children_replace_the_worst():
    ga = GeneticAlgorithm(num_params=2, pop_size=1, seed=0, replacement="steady_state", survivors=5,
                          init=lambda rng, n: np.zeros((n, 2), np.float32))
    for g in range(7):
        ga.tell(np.array([float(g)]))
        assert ga.parents.shape == (min(g + 1, 5), 2)  # the population fills up, then holds 5
    np.testing.assert_array_equal(np.sort(ga.parents_fitness), [2.0, 3.0, 4.0, 5.0, 6.0])
    ga = GeneticAlgorithm(num_params=2, pop_size=5, seed=0, replacement="steady_state", survivors=5)
    ga.tell(np.array([3.0, 1.0, 4.0, 1.5, 9.0]))
    child = np.array(ga.ask())
    ga2 = GeneticAlgorithm(num_params=2, pop_size=5, seed=0, replacement="steady_state", survivors=5)
    ga2.tell(np.array([3.0, 1.0, 4.0, 1.5, 9.0]))
    ga2.tell(np.array([-1.0, 0.0, 0.5, 2.0, 2.5]))
    # -1 replaces 1.0; 0 replaces -1; 0.5 replaces 0; 2.0 replaces 0.5; 2.5 replaces 1.5
    np.testing.assert_array_equal(np.sort(ga2.parents_fitness), [2.0, 2.5, 3.0, 4.0, 9.0])
    np.testing.assert_array_equal(ga2.parents[np.argsort(ga2.parents_fitness)][:2], child[[3, 4]])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), repair=st.sampled_from(["clip", "reflect"]),
       crossover_name=st.sampled_from(["blend", "sbx", "uniform", "arithmetic"]))
def test_ga_bounds_are_never_left(seed, repair, crossover_name):
    low = np.array([-1.0, 0.0, 2.0, -0.01])
    high = np.array([1.0, 0.5, 2.0, 0.01])
    ga = GeneticAlgorithm(num_params=4, pop_size=16, seed=seed, crossover=crossover_name, low=low, high=high,
                          repair=repair, init_scale=5.0, mutation={"name": "gaussian", "sigma": 3.0, "rate": 0.8})
    for _ in range(4):
        x = np.asarray(ga.ask()).astype(np.float64)
        assert np.all(x >= low) and np.all(x <= high)
        ga.tell(-np.abs(x).sum(axis=1))


def test_per_gene_self_adaptation_carries_one_sigma_per_gene():
    ga = GeneticAlgorithm(num_params=6, pop_size=10, seed=0,
                          mutation={"name": "self_adaptive", "sigma": 0.2, "per_gene": True})
    assert ga.sigmas.shape == (10, 6)
    run(ga, sphere_fn(0.0), 3)
    assert ga.sigmas.shape == (10, 6) and len(np.unique(ga.sigmas[ga.elite:])) > 10
    with pytest.raises(ValueError, match="per_gene"):
        GeneticAlgorithm(num_params=2, pop_size=4, mutation={"name": "self_adaptive", "per_gene": "yes"})


def test_one_fifth_rule_shrinks_without_success_and_grows_with_it():
    spec = {"name": "gaussian", "rate": 1.0, "sigma": {"kind": "one_fifth", "start": 0.5, "factor": 0.8}}
    flat = run(GeneticAlgorithm(num_params=3, pop_size=10, seed=0, mutation=spec), lambda x: np.zeros(len(x)), 4)
    assert flat.step == pytest.approx(0.5 * 0.8**3)  # the first tell has no children to judge
    rising = GeneticAlgorithm(num_params=3, pop_size=10, seed=0, mutation=spec, elite=0)
    for g in range(4):
        rising.ask()
        rising.tell(np.full(10, float(g)))  # every child beats its parent
    assert rising.step == pytest.approx(0.5 / 0.8**3)
    with pytest.raises(ValueError, match="factor"):
        GeneticAlgorithm(num_params=3, pop_size=10, mutation={**spec, "sigma": {"kind": "one_fifth", "start": 1.0,
                                                                                 "factor": 1.5}})


@pytest.mark.parametrize("options", [
    dict(mutation={"name": "self_adaptive", "sigma": 0.3, "per_gene": True}),
    dict(mutation={"name": "gaussian", "sigma": {"kind": "one_fifth", "start": 0.4}}),
    dict(replacement="plus", survivors=6, mutation={"name": "self_adaptive", "sigma": 0.3, "per_gene": True}),
    dict(replacement="steady_state", survivors=30, children_per_pair=2, mutation_rate=0.5),
    dict(replacement="comma", survivors=10, low=[-1.0] * 8, high=2.0, repair="reflect", crossover="sbx"),
])
def test_loop_options_restore_bit_identically(options):
    f = sphere_fn(1.0)
    straight = run(GeneticAlgorithm(num_params=8, pop_size=24, seed=9, **options), f, 9)
    first = run(GeneticAlgorithm(num_params=8, pop_size=24, seed=9, **options), f, 4)
    resumed = run(GeneticAlgorithm.from_state_dict(roundtrip(first.state_dict())), f, 5)
    np.testing.assert_array_equal(resumed.ask(), straight.ask())
    assert resumed.best_fitness == straight.best_fitness
    for key in ("sigmas", "parents", "parents_fitness", "parents_sigmas", "step"):
        a, b = getattr(resumed, key), getattr(straight, key)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, match", [
    (dict(replacement="elitist"), "replacement must be one of"),
    (dict(replacement="comma", survivors=30), "survivors must be <= pop_size"),
    (dict(children_per_pair=3), "children_per_pair"),
    (dict(mutation_rate=1.5), "mutation_rate"),
    (dict(low=1.0, high=0.0), "low must be <= high"),
    (dict(low=[0.0, 1.0], high=2.0), "shape"),
])
def test_bad_loop_options_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GeneticAlgorithm(num_params=3, pop_size=20, **kwargs)
