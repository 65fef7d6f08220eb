"""Evolution strategies: they solve what they should, restore bit for bit, survive NaN, refuse bad settings."""

import numpy as np
import pytest

from evo import shaping, strategies

NAMES = list(strategies.ALGORITHMS)


def sphere(x):
    return -np.sum(np.asarray(x, np.float64) ** 2, axis=1)


def ellipsoid(x):
    x = np.asarray(x, np.float64)
    return -np.sum(1e6 ** (np.arange(x.shape[1]) / (x.shape[1] - 1)) * x**2, axis=1)


def rosenbrock(x):
    x = np.asarray(x, np.float64)
    return -np.sum(100 * (x[:, 1:] - x[:, :-1] ** 2) ** 2 + (1 - x[:, :-1]) ** 2, axis=1)


def run(es, fn, generations):
    for _ in range(generations):
        es.tell(fn(es.ask()))
    return -es.best_fitness


# what each must reach on the 10-d sphere from mean 2, within 600 generations (OpenAI-ES, whose
# noise is fixed, settles at a floor set by sigma; the others, PGPE at its defaults too, converge)
SPHERE_TARGETS = {"cmaes": 1e-8, "sep_cmaes": 1e-8, "snes": 1e-8, "openai_es": 0.05, "pgpe": 1e-8}


@pytest.mark.parametrize("name", NAMES)
def test_each_solves_the_sphere(name):
    es = strategies.make(name, 10, seed=1, mean=np.full(10, 2.0))
    assert run(es, sphere, 600) < SPHERE_TARGETS[name]


def test_cmaes_learns_an_ill_conditioned_ellipsoid_and_rosenbrock():
    assert run(strategies.CMAES(10, seed=0, mean=np.full(10, 3.0)), ellipsoid, 800) < 1e-8
    es = strategies.CMAES(10, seed=1, mean=np.zeros(10), restarts=2)
    assert run(es, rosenbrock, 2000) < 1e-8


def test_ipop_restarts_double_the_population_when_the_search_stalls():
    es = strategies.CMAES(5, seed=0, restarts=2)
    for _ in range(300):
        es.tell(np.zeros(len(es.ask())))  # a flat landscape: nothing ever improves
    assert es.restarts_done == 2 and es.lam == 4 * es.pop_size and len(es.ask()) == es.lam


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_run_and_state_round_trip(name):
    a = strategies.make(name, 6, seed=3)
    b = strategies.make(name, 6, seed=3)
    for _ in range(5):
        x = a.ask()
        np.testing.assert_array_equal(x, b.ask())
        a.tell(sphere(x))
        b.tell(sphere(x))
    a.ask()  # a checkpoint between ask and tell keeps the asked population
    state = a.state_dict()
    for v in state.values():
        assert isinstance(v, np.ndarray) and v.dtype != object
    c = strategies.ALGORITHMS[name].from_state_dict(state)
    for _ in range(3):
        x = a.ask()
        np.testing.assert_array_equal(x, c.ask())
        a.tell(sphere(x))
        c.tell(sphere(x))
    np.testing.assert_array_equal(a.mean, c.mean)
    assert a.best_fitness == c.best_fitness and a.generation == c.generation == 8


@pytest.mark.parametrize("name", NAMES)
def test_nan_fitness_never_wins_and_never_poisons_the_mean(name):
    es = strategies.make(name, 4, seed=0, mean=np.ones(4))
    x = es.ask()
    f = sphere(x)
    f[0] = np.nan
    es.tell(f)
    assert np.isfinite(es.best_fitness) and not np.array_equal(es.best_genome, x[0])
    es.tell(np.full(len(es.ask()), np.nan))
    assert np.isfinite(es.mean).all() and np.isfinite(es.ask()).all()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad,error", [
    ({"num_params": 0}, ValueError), ({"num_params": 2.5}, TypeError), ({"pop_size": 1}, ValueError),
    ({"sigma": -1.0}, ValueError), ({"sigma": 0.0}, ValueError), ({"sigma": float("nan")}, ValueError),
    ({"sigma": True}, TypeError), ({"mean": [1.0, 2.0]}, ValueError), ({"seed": -1}, ValueError),
])
def test_bad_settings_are_refused_at_construction(name, bad, error):
    args = {"num_params": 4, "seed": 0, **bad}
    with pytest.raises(error) as info:
        strategies.make(name, args.pop("num_params"), **args)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name,bad", [("openai_es", {"pop_size": 7}), ("pgpe", {"pop_size": 9}),
                                      ("openai_es", {"learning_rate": 0.0}), ("pgpe", {"momentum": 1.5}),
                                      ("snes", {"eta_sigma": -1.0}), ("cmaes", {"restarts": -1})])
def test_strategy_specific_settings_are_checked(name, bad):
    with pytest.raises(ValueError):
        strategies.make(name, 4, **bad)


def test_tell_needs_an_ask_and_the_right_shape():
    es = strategies.SNES(3, seed=0)
    with pytest.raises(ValueError, match="needs a population from ask"):
        es.tell(np.zeros(es.pop_size))
    es.ask()
    with pytest.raises(ValueError, match="fitness must have shape"):
        es.tell(np.zeros(es.pop_size + 1))
    with pytest.raises(ValueError, match="unknown strategy 'annealing'"):
        strategies.make("annealing", 3)


def test_fitness_shaping():
    np.testing.assert_array_equal(shaping.centered_ranks([3.0, 1.0, 2.0]), [0.5, -0.5, 0.0])
    np.testing.assert_array_equal(shaping.centered_ranks([np.nan, 1.0, 2.0]), [-0.5, 0.0, 0.5])
    z = shaping.z_scores([1.0, 2.0, 3.0, np.nan])
    np.testing.assert_allclose(z[:3], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    assert z[3] == z[:3].min()
    assert np.all(shaping.z_scores([2.0, 2.0]) == 0)
    rng = np.random.default_rng(0)
    f = rng.normal(size=50)
    np.testing.assert_array_equal(shaping.centered_ranks(f), shaping.centered_ranks(np.exp(f)))  # order only


def test_a_run_evolves_with_an_evolution_strategy_and_resumes(tmp_path, capsys):
    from evo.cli import main
    out = tmp_path / "r"
    assert main(["run", "pendulum", "--algorithm", "cmaes", "--pop", "16", "--episodes", "1",
                 "--generations", "3", "--target", "1e9", "--out", str(out), "--quiet"]) == 0
    assert main(["run", "--resume", str(out), "--generations", "5", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "pendulum", "--algorithm", "cmaes", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert '[algorithm]\nname = "cmaes"' in text and "sigma = 0.5" in text and "restarts = 0" in text
