"""Several objectives: non-dominated sorting, crowding and NSGA-II survivors, against DEAP on fronts with ties,
and the GA's ``replacement="nsga2"``."""

import numpy as np
import pytest

from evo import GeneticAlgorithm, selection

creator = pytest.importorskip("deap.creator")  # in the test extra: never skipped there
from deap import base, tools  # noqa: E402
from deap.tools.emo import assignCrowdingDist  # noqa: E402



class _Ind(list):
    """A DEAP individual: a list holding its row index, with a ``fitness``."""


def _individuals(f):
    """DEAP individuals with the maximised fitness rows of ``f``."""
    name = f"NsgaFitness{f.shape[1]}"
    if not hasattr(creator, name):
        creator.create(name, base.Fitness, weights=(1.0,) * f.shape[1])
    out = []
    for i, row in enumerate(f):
        ind = _Ind([i])
        ind.fitness = getattr(creator, name)(tuple(float(v) for v in row))
        out.append(ind)
    return out


def _random_fitness(rng, p, m, levels):
    """(P, M) objectives drawn from ``levels`` values each: many ties, exact duplicates too."""
    return rng.integers(0, levels, size=(p, m)).astype(np.float64) * 0.25


CASES = [(seed, p, m, levels) for seed, (p, m, levels) in enumerate(
    [(1, 2, 3), (2, 2, 2), (12, 2, 4), (40, 2, 6), (40, 3, 4), (64, 3, 3), (80, 2, 80), (33, 1, 5), (50, 4, 3)])]


@pytest.mark.parametrize("seed, p, m, levels", CASES)
def test_ranks_equal_deaps_fronts(seed, p, m, levels):
    f = _random_fitness(np.random.default_rng(seed), p, m, levels)
    ranks = selection.non_dominated_sort(f)
    fronts = tools.sortNondominated(_individuals(f), p)
    expected = np.full(p, -1)
    for k, front in enumerate(fronts):
        expected[[ind[0] for ind in front]] = k
    assert ranks.dtype == np.int64 and ranks.shape == (p,)
    np.testing.assert_array_equal(ranks, expected)


@pytest.mark.parametrize("seed, p, m, levels", CASES)
def test_crowding_equals_deaps_on_each_front_in_population_order_to_the_bit(seed, p, m, levels):
    f = _random_fitness(np.random.default_rng(seed), p, m, levels)
    ranks = selection.non_dominated_sort(f)
    distance = selection.crowding_distance(f, ranks)
    expected = np.empty(p)
    for rank in np.unique(ranks):
        front = [ind for ind in _individuals(f) if ranks[ind[0]] == rank]
        assignCrowdingDist(front)
        for ind in front:
            expected[ind[0]] = ind.fitness.crowding_dist
    assert distance.tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed, p, m, levels", CASES)
def test_nsga2_keeps_deaps_fronts_and_the_least_crowded_of_the_last(seed, p, m, levels):
    f = _random_fitness(np.random.default_rng(seed), p, m, levels)
    ranks = selection.non_dominated_sort(f)
    distance = selection.crowding_distance(f, ranks)
    for n in sorted({0, 1, p // 2, p - 1, p} - {-1}):
        idx = selection.nsga2(f, n, np.random.default_rng(seed))
        assert idx.dtype == np.int64 and idx.shape == (n,) and len(set(idx.tolist())) == n
        chosen = [ind[0] for ind in tools.selNSGA2(_individuals(f), n)]
        # the same fronts, the same number from the last one, and the same crowding among those
        assert sorted(ranks[idx].tolist()) == sorted(ranks[chosen].tolist())
        if n:
            last = ranks[idx].max()
            mine = np.sort(distance[idx][ranks[idx] == last])
            kept_by_rank = [i for i in chosen if ranks[i] == last]
            left = np.setdiff1d(np.flatnonzero(ranks == last), idx)
            assert len(mine) == len(kept_by_rank)
            assert not left.size or distance[left].max() <= mine.min()
        # best first: rank ascending, then distance descending
        key = list(zip(ranks[idx].tolist(), (-distance[idx]).tolist()))
        assert key == sorted(key)


def test_fronts_follow_the_definition_of_domination():
    rng = np.random.default_rng(3)
    f = _random_fitness(rng, 60, 3, 5)
    ranks = selection.non_dominated_sort(f)

    def dominates(a, b):
        return bool(np.all(f[a] >= f[b]) and np.any(f[a] > f[b]))
    for b in range(len(f)):
        dominators = [ranks[a] for a in range(len(f)) if dominates(a, b)]
        assert all(r < ranks[b] for r in dominators)
        assert (ranks[b] == 0) == (not dominators) and (not dominators or max(dominators) == ranks[b] - 1)


def test_nan_is_the_worst_value_of_its_objective():
    f = np.array([[1.0, np.nan], [1.0, -np.inf], [0.0, 5.0], [np.nan, np.nan], [2.0, 0.0]])
    ranks = selection.non_dominated_sort(f)
    # NaN below -inf: row 1 dominates row 0, and everything dominates row 3 or ties it
    below = f.copy()
    below[np.isnan(below)] = -1e300
    below[np.isinf(below)] = -1e200
    np.testing.assert_array_equal(ranks, selection.non_dominated_sort(below))
    assert ranks[1] < ranks[0] and ranks[3] == ranks.max()
    d = selection.crowding_distance(f, ranks)
    assert not np.isnan(d).any() and (d >= 0).all()
    assert np.isinf(d[[0, 1, 3]]).all()  # a non-finite value makes its row a boundary row
    assert selection.nsga2(f, 2, np.random.default_rng(0)).tolist() in ([4, 2], [2, 4])


def test_inputs_are_untouched_and_ties_at_the_cut_are_broken_at_random():
    f = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.5, 0.5]])
    before = f.copy()
    picks = {tuple(selection.nsga2(f, 3, np.random.default_rng(s)).tolist()) for s in range(40)}
    np.testing.assert_array_equal(f, before)
    # rows 0 and 1 are boundaries (inf); the duplicates 2 and 3 share the third place
    assert {p[2] for p in picks} == {2, 3} and all(set(p[:2]) == {0, 1} for p in picks)
    assert selection.nsga2(f, 3, np.random.default_rng(7)).tolist() == \
        selection.nsga2(f, 3, np.random.default_rng(7)).tolist()


@pytest.mark.parametrize("call, message", [
    (lambda: selection.non_dominated_sort(np.zeros(4)), r"shape \(P, M\)"),
    (lambda: selection.non_dominated_sort(np.array([["a", "b"]])), "real numbers"),
    (lambda: selection.crowding_distance(np.zeros((3, 2)), np.zeros(2, int)), "ranks must be integers"),
    (lambda: selection.crowding_distance(np.zeros((3, 2)), np.zeros(3)), "ranks must be integers"),
    (lambda: selection.nsga2(np.zeros((3, 2)), 4, np.random.default_rng(0)), "at most P = 3"),
    (lambda: selection.nsga2(np.zeros((3, 2)), 1, 0), "Generator"),
])
def test_bad_input_is_one_line(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_empty_population():
    assert selection.non_dominated_sort(np.zeros((0, 2))).shape == (0,)
    assert selection.crowding_distance(np.zeros((0, 2)), np.zeros(0, np.int64)).shape == (0,)
    assert selection.nsga2(np.zeros((0, 2)), 0, np.random.default_rng(0)).shape == (0,)


# -- the GA's nsga2 loop ------------------------------------------------------------------


def _two_objectives(genomes):
    """Maximise -|x - 1|^2 and -|x + 1|^2: a front of compromises between the two points."""
    g = np.asarray(genomes, dtype=np.float64)
    return np.stack([-((g - 1.0) ** 2).sum(axis=1), -((g + 1.0) ** 2).sum(axis=1)], axis=1)


def test_ga_nsga2_spreads_along_the_front_and_restores_bit_for_bit():
    ga = GeneticAlgorithm(num_params=2, pop_size=24, seed=1, replacement="nsga2", init_scale=3.0,
                          mutation={"name": "gaussian", "sigma": 0.2, "rate": 1.0})
    for _ in range(25):
        ga.tell(_two_objectives(ga.ask()))
    f = _two_objectives(ga.parents)
    assert ga.parents.shape == (24, 2) and ga.parents_fitness.shape == (24, 2)
    assert (selection.non_dominated_sort(f) == 0).mean() > 0.9  # the survivors lie on the front
    # the front is the segment between (1, 1) and (-1, -1): spread along it, close to it
    x = ga.parents.astype(np.float64)
    gap = np.abs(x[:, 0] - x[:, 1])
    assert np.ptp(x[:, 0]) > 1.0 and gap.max() < 1.0 and gap.mean() < 0.3
    assert ga.best_fitness == pytest.approx(np.max(ga.parents_fitness[:, 0]))

    copy = GeneticAlgorithm.from_state_dict(ga.state_dict())
    for _ in range(3):
        f1, f2 = _two_objectives(ga.ask()), _two_objectives(copy.ask())
        ga.tell(f1)
        copy.tell(f2)
    assert ga.ask().tobytes() == copy.ask().tobytes()


def test_ga_nsga2_checks_the_fitness_shape():
    ga = GeneticAlgorithm(num_params=2, pop_size=6, seed=0, replacement="nsga2")
    with pytest.raises(ValueError, match=r"shape \(6, M\)"):
        ga.tell(np.zeros((5, 2)))
    ga.tell(np.zeros((6, 3)))
    with pytest.raises(ValueError, match=r"shape \(6, 3\)"):
        ga.tell(np.zeros((6, 2)))
    plain = GeneticAlgorithm(num_params=2, pop_size=6, seed=0)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        plain.tell(np.zeros((6, 2)))


def test_ga_nsga2_takes_one_objective_as_a_vector():
    a = GeneticAlgorithm(num_params=3, pop_size=8, seed=4, replacement="nsga2")
    b = GeneticAlgorithm(num_params=3, pop_size=8, seed=4, replacement="nsga2")
    for _ in range(3):
        f = -np.abs(a.ask()).sum(axis=1)
        a.tell(f)
        b.tell(f[:, None])
    assert a.ask().tobytes() == b.ask().tobytes() and a.best_fitness == b.best_fitness


def test_ga_nsga2_refuses_the_one_fifth_rule():
    with pytest.raises(ValueError, match="1/5-success rule"):
        GeneticAlgorithm(num_params=2, pop_size=6, replacement="nsga2",
                         mutation={"name": "gaussian", "sigma": {"kind": "one_fifth", "start": 0.3}})
