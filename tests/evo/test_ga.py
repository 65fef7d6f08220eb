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
