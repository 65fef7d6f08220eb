"""Fitness sharing, novelty search and MAP-Elites against slow references; state round trips; runs by name."""

import math

import numpy as np
import pytest

from evo.algorithms import registry as algorithms
from evo.runs.config import RunConfig, default_config
from evo.algorithms.diversity import MAPElites, NoveltySearch, novelty, shared_fitness
from evo.runs.driver import evolve


def slow_shared(fitness, genomes, radius, alpha):
    out = []
    for i, fi in enumerate(fitness):
        niche = 0.0
        for j in range(len(fitness)):
            d = math.sqrt(sum((float(a) - float(b)) ** 2 for a, b in zip(genomes[i], genomes[j])))
            niche += 1.0 - (d / radius) ** alpha if d < radius else 0.0
        out.append(fi / niche if fi >= 0 else fi * niche if fi < 0 else math.nan)
    return out


@pytest.mark.parametrize("radius, alpha", [(0.5, 1.0), (2.0, 2.0), (1e-6, 1.0), (100.0, 0.5)])
def test_shared_fitness_matches_the_slow_reference(radius, alpha):
    rng = np.random.default_rng(1)
    genomes = rng.normal(size=(30, 4)).astype(np.float32)
    genomes[5] = genomes[6]  # a twin: both share a niche count of at least 2
    fitness = rng.normal(size=30)
    fitness[3] = np.nan
    got = shared_fitness(fitness, genomes, radius, alpha)
    np.testing.assert_allclose(got, slow_shared(fitness, genomes, radius, alpha), rtol=1e-9, atol=1e-12)
    assert np.isnan(got[3]) and np.array_equal(np.sign(got[got == got]), np.sign(fitness[got == got]))


def test_shared_fitness_favours_the_lonely_and_refuses_bad_input():
    genomes = np.array([[0.0], [0.01], [0.02], [5.0]])
    for f in (2.0, -2.0):  # the loner is barely worse, and wins once shared
        shared = shared_fitness([f, f, f, f - 1e-9], genomes, radius=1.0)
        assert shared[3] > shared[:3].max()
    with pytest.raises(ValueError, match="radius"):
        shared_fitness([1.0], [[0.0]], radius=0.0)
    with pytest.raises(ValueError, match="must agree"):
        shared_fitness([1.0, 2.0], [[0.0]], radius=1.0)


def slow_novelty(behaviour, archive, k):
    out = []
    for i, b in enumerate(behaviour):
        if np.isnan(b).any():
            out.append(math.nan)
            continue
        others = [o for j, o in enumerate(behaviour) if j != i and not np.isnan(o).any()] + list(archive)
        d = sorted(math.dist(b, o) for o in others)[:k]
        out.append(sum(d) / len(d) if d else 0.0)
    return out


@pytest.mark.parametrize("k, archived", [(1, 0), (5, 0), (5, 7), (15, 3), (100, 4)])
def test_novelty_is_the_mean_distance_to_the_k_nearest(k, archived):
    rng = np.random.default_rng(k + archived)
    behaviour = rng.random((20, 2))
    behaviour[4] = behaviour[9]  # a twin is at distance 0 of the other, not of itself
    behaviour[7, 1] = np.nan
    archive = rng.random((archived, 2))
    np.testing.assert_allclose(novelty(behaviour, archive, k), slow_novelty(behaviour, archive, k), rtol=1e-12)


def toy_behaviour(genomes):
    """A behaviour the genome sets directly: its first two genes squashed into [0, 1]."""
    return 1.0 / (1.0 + np.exp(-np.asarray(genomes[:, :2], np.float64)))


def test_the_archive_takes_those_above_the_threshold_and_the_threshold_adapts():
    ns = NoveltySearch(6, 12, seed=0, k=3, threshold=0.1, max_added=4)
    for _ in range(6):
        b = toy_behaviour(ns.ask())
        archive, threshold = ns.archive.reshape(-1, 2).copy(), ns.threshold
        expected = np.array(slow_novelty(b, archive, 3))
        ns.tell(np.zeros(12), b)
        added = np.flatnonzero(expected > threshold)
        np.testing.assert_array_equal(ns.archive, np.concatenate([archive, b[added]]))
        want = threshold * 1.2 if len(added) > 4 else threshold * 0.95 if len(added) == 0 else threshold
        assert ns.threshold == pytest.approx(want, rel=1e-12)
        np.testing.assert_allclose(ns.last_novelty, expected, rtol=1e-12)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_the_ga_breeds_on_novelty_ranks_mixed_with_fitness_ranks(weight):
    told = []

    def select(fitness, n, rng):
        told.append(np.array(fitness))
        return rng.integers(0, len(fitness), n)

    ns = NoveltySearch(4, 10, seed=1, k=3, fitness_weight=weight, selection=select, elite=0)
    b = toy_behaviour(ns.ask())
    fitness = np.arange(10.0)[::-1]
    nov = novelty(b, np.zeros((0, 2)), 3)
    ns.tell(fitness, b)
    rank_n = np.argsort(np.argsort(nov)) / 9
    rank_f = np.argsort(np.argsort(fitness)) / 9
    np.testing.assert_allclose(told[0], (1 - weight) * rank_n + weight * rank_f, rtol=1e-12)
    assert ns.best_fitness == 9.0  # the best is by fitness, whatever the score


def slow_map(cells_of, fitness, population, bins):
    best, who = {}, {}
    for p, (f, cell) in enumerate(zip(fitness, cells_of)):
        if math.isnan(f):
            continue
        if cell not in best or f > best[cell]:
            best[cell], who[cell] = f, p
    fmap = np.full(bins, np.nan)
    gmap = np.zeros((*bins, population.shape[1]), np.float32)
    for cell, f in best.items():
        fmap[cell], gmap[cell] = f, population[who[cell]]
    return fmap, gmap


def test_map_elites_keeps_the_best_of_every_cell():
    me = MAPElites(3, 40, seed=2, bins=(4, 5), low=(-1.0, 0.0), high=(1.0, 2.0))
    pop = np.array(me.ask())
    rng = np.random.default_rng(0)
    b = rng.uniform(-1.5, 2.5, (40, 2))  # some outside the box: the nearest edge cell
    fitness = rng.integers(0, 3, 40).astype(float)  # ties: the first keeps the cell
    fitness[[2, 11]] = np.nan
    me.tell(fitness, b)
    cells = [(min(3, max(0, int(math.floor((x + 1) / 2 * 4)))), min(4, max(0, int(math.floor(y / 2 * 5)))))
             for x, y in b]
    fmap, gmap = slow_map(cells, fitness, pop, (4, 5))
    np.testing.assert_array_equal(me.fitness_map, fmap)
    np.testing.assert_array_equal(me.genome_map, gmap)
    assert me.coverage == pytest.approx(np.isfinite(fmap).mean())
    assert me.best_fitness == 2.0


def test_map_elites_children_are_variations_of_elites():
    me = MAPElites(5, 30, seed=3, bins=3, sigma=0.0, line=0.0)
    first = np.array(me.ask())
    me.tell(np.arange(30.0), toy_behaviour(first))
    elites = me.genome_map[np.isfinite(me.fitness_map)]
    kids = np.array(me.ask())
    assert all(any(np.array_equal(k, e) for e in elites) for k in kids)  # no variation: copies
    me2 = MAPElites(5, 30, seed=3, bins=3, sigma=0.0, line=0.2)
    me2.tell(np.arange(30.0), toy_behaviour(first))
    kids = np.array(me2.ask()).astype(np.float64)
    elites = elites.astype(np.float64)

    def on_a_line(kid):  # kid = x + c (y - x) for two elites x, y
        return any(np.linalg.matrix_rank(np.stack([kid - x, y - x]), tol=1e-5) <= 1 for x in elites for y in elites)

    assert all(on_a_line(k) for k in kids)
    assert not all(any(np.array_equal(k, e) for e in elites) for k in kids)


@pytest.mark.parametrize("make", [
    lambda: NoveltySearch(6, 16, seed=4, k=4, fitness_weight=0.2),
    lambda: MAPElites(6, 16, seed=4, bins=(6, 7)),
])
def test_state_round_trip_continues_bit_for_bit(make):
    def play(algo, n):
        for _ in range(n):
            g = np.array(algo.ask())
            algo.tell(-np.abs(g).sum(axis=1), toy_behaviour(g))

    straight, first = make(), make()
    play(straight, 6)
    play(first, 3)
    state = {k: np.array(v) for k, v in first.state_dict().items()}
    resumed = type(first).from_state_dict(state)
    play(resumed, 3)
    np.testing.assert_array_equal(resumed.ask(), straight.ask())
    assert resumed.generation == straight.generation == 6
    assert resumed.best_fitness == straight.best_fitness
    np.testing.assert_array_equal(resumed.best_genome, straight.best_genome)
    for key in ("archive", "fitness_map", "genome_map"):
        if hasattr(straight, key):
            np.testing.assert_array_equal(getattr(resumed, key), getattr(straight, key))
    with pytest.raises(ValueError, match="missing 'kind'"):
        type(first).from_state_dict({k: v for k, v in state.items() if k != "kind"})


def test_behaviour_of_the_wrong_shape_is_refused():
    me = MAPElites(3, 4)
    with pytest.raises(ValueError, match=r"behaviour must have shape \(4, 2\)"):
        me.tell(np.zeros(4), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="high must exceed low"):
        MAPElites(3, 4, low=(0, 0), high=(1, 0))


def test_named_in_a_config_with_their_parameters():
    assert {"novelty", "map_elites"} <= set(algorithms.names())
    config = RunConfig.from_dict({"algorithm": {"name": "novelty", "k": 5}}, base=default_config("maze")).validate()
    assert config.algorithm == {"name": "novelty", "k": 5, "threshold": 0.05, "max_added": 4,
                                "fitness_weight": 0.0}
    config = RunConfig.from_dict({"algorithm": "map_elites"}, base=default_config("maze")).validate()
    assert config.algorithm["bins"] == 20 and config.algorithm["line"] == 0.2
    for name, key in (("novelty", "radius"), ("novelty", "init"), ("map_elites", "init")):
        with pytest.raises(ValueError, match=f"has no parameter '{key}'"):
            RunConfig(algorithm={"name": name, key: 1}).validate()


def test_a_game_without_descriptors_is_a_clear_error():
    with pytest.raises(ValueError, match="cartpole has no behaviour descriptor"):
        evolve("cartpole", generations=1, pop_size=8, algorithm="novelty")


def test_cli_runs_novelty_search_and_resumes(tmp_path):
    from evo.cli import main
    out = tmp_path / "r"
    assert main(["run", "maze", "--algorithm", "novelty", "--pop", "16", "--generations", "2",
                 "--out", str(out), "--quiet"]) == 0
    assert main(["run", "--resume", str(out), "--generations", "3", "--quiet"]) == 0
    assert main(["run", "racer", "--algorithm", "map_elites", "--pop", "16", "--generations", "1",
                 "--episodes", "1", "--out", str(tmp_path / "m"), "--quiet"]) == 0


def test_racer_and_snake_describe_where_the_episode_ended(game_envs):
    from envs import racer, snake
    env = game_envs["racer"]
    batch = env.batch(3, seed=1, episodes=np.arange(3))
    batch.reset()
    for _ in range(30):
        batch.step(np.tile([0.2, 1.0], (3, 1)))
    for row, got in zip(batch.states, env.describe(batch.states)):
        _, left, right = racer.track_geometry(row)  # each episode's own track
        walls = np.concatenate([left, right])
        lo, hi = walls.min(axis=0), walls.max(axis=0)
        np.testing.assert_allclose(got, (row[[racer.X, racer.Y]] - lo) / (hi - lo), rtol=1e-12)
    env = game_envs["snake"]
    batch = env.batch(2, seed=1, episodes=np.arange(2))
    batch.reset()
    got = env.describe(batch.states)
    size = env.params[snake.SIZE]
    np.testing.assert_array_equal(got, batch.states[:, [snake.HEAD_X, snake.HEAD_Y]] / (size - 1))
    assert np.all(got == (size // 2) / (size - 1))  # the head starts in the middle cell
