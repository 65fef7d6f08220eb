"""Slow, obviously-correct reference implementations for the tests.

Plain Python loops over scalars, written straight from the formulas in the
operators' docstrings, with the random draws passed in. The fast operators
in ``evo`` are compared against these.
"""

from __future__ import annotations

import math

import numpy as np


# --------------------------------------------------------------------------
# selection
# --------------------------------------------------------------------------


def _cmp(x: float, y: float) -> int:
    """-1 if x is worse than y, 0 if tied, 1 if better; NaN is the worst and ties NaN."""
    xn, yn = math.isnan(x), math.isnan(y)
    if xn and yn:
        return 0
    if xn:
        return -1
    if yn:
        return 1
    return (x > y) - (x < y)


def worse_and_tied(fitness) -> list[tuple[int, int]]:
    """For each individual: (number strictly worse, number tied including itself)."""
    f = [float(v) for v in fitness]
    out = []
    for x in f:
        worse = sum(1 for y in f if _cmp(y, x) < 0)
        tied = sum(1 for y in f if _cmp(y, x) == 0)
        out.append((worse, tied))
    return out


def tournament_probabilities(fitness, size: int) -> np.ndarray:
    """P(i wins) for size-k tournaments with replacement, ties split evenly.

    The class of individuals tied with i wins when all k draws are from that
    class or worse and not all from strictly worse: ((c + m)^k - c^k) / P^k.
    """
    p = len(fitness)
    out = []
    for worse, tied in worse_and_tied(fitness):
        win_class = ((worse + tied) ** size - worse**size) / p**size
        out.append(win_class / tied)
    return np.array(out)


def rank_probabilities(fitness, pressure: float) -> np.ndarray:
    """Baker's linear ranking, rank = (#worse) + (#tied - 1) / 2, divided by P."""
    p = len(fitness)
    if p == 1:
        return np.array([1.0])
    out = []
    for worse, tied in worse_and_tied(fitness):
        r = worse + (tied - 1) / 2
        out.append((2 - pressure + 2 * (pressure - 1) * r / (p - 1)) / p)
    return np.array(out)


def roulette_probabilities(fitness) -> np.ndarray:
    """The documented roulette distribution, case by case."""
    f = [float(v) for v in fitness]
    p = len(f)
    if any(v == math.inf for v in f):
        w = [1.0 if v == math.inf else 0.0 for v in f]
    elif not any(math.isfinite(v) for v in f):
        if any(v == -math.inf for v in f):
            w = [1.0 if v == -math.inf else 0.0 for v in f]
        else:
            w = [1.0] * p
    else:
        lowest = min(v for v in f if math.isfinite(v))
        shift = min(0.0, lowest)
        w = [v - shift if math.isfinite(v) else 0.0 for v in f]
        if sum(w) == 0:
            w = [1.0 if math.isfinite(v) else 0.0 for v in f]
    total = sum(w)
    return np.array([x / total for x in w])


def sus(weights, n: int, offset: float) -> list[int]:
    """Baker's SUS: walk the wheel once; pointer k sits at ((offset + k) / n) * total."""
    w = [float(x) for x in weights]
    total = 0.0
    for x in w:
        total += x
    out: list[int] = []
    cum = 0.0
    k = 0
    for i, x in enumerate(w):
        cum += x
        while k < n and ((offset + k) / n) * total < cum:
            out.append(i)
            k += 1
    last = max(i for i, x in enumerate(w) if x > 0)
    while len(out) < n:  # a pointer rounded onto the total
        out.append(last)
    return out


# --------------------------------------------------------------------------
# crossover
# --------------------------------------------------------------------------


def one_point(a, b, cuts) -> np.ndarray:
    out = np.empty_like(a)
    n, g = a.shape
    for i in range(n):
        for j in range(g):
            out[i, j] = a[i, j] if j < cuts[i] else b[i, j]
    return out


def two_point(a, b, lo, hi) -> np.ndarray:
    out = np.empty_like(a)
    n, g = a.shape
    for i in range(n):
        for j in range(g):
            out[i, j] = b[i, j] if lo[i] <= j < hi[i] else a[i, j]
    return out


def sbx(a, b, u, first, eta: float) -> np.ndarray:
    """Deb & Agrawal's two children, gene by gene; keep child 1 where ``first``."""
    out = np.empty(a.shape, dtype=np.float64)
    n, g = a.shape
    for i in range(n):
        for j in range(g):
            x, y, v = float(a[i, j]), float(b[i, j]), float(u[i, j])
            if v <= 0.5:
                beta = (2 * v) ** (1 / (eta + 1))
            else:
                beta = (1 / (2 * (1 - v))) ** (1 / (eta + 1))
            c1 = 0.5 * ((1 + beta) * x + (1 - beta) * y)
            c2 = 0.5 * ((1 - beta) * x + (1 + beta) * y)
            out[i, j] = c1 if first[i, j] else c2
    return out


# --------------------------------------------------------------------------
# mutation
# --------------------------------------------------------------------------


def polynomial(x, u, low, high, eta: float) -> np.ndarray:
    """Deb's bounded polynomial mutation, element by element (NSGA-II's C code)."""
    out = np.empty(len(x))
    for k in range(len(x)):
        xl, xu = float(low[k]), float(high[k])
        y = min(max(float(x[k]), xl), xu)
        d1 = (y - xl) / (xu - xl)
        d2 = (xu - y) / (xu - xl)
        r = float(u[k])
        mut_pow = 1.0 / (eta + 1.0)
        if r < 0.5:
            xy = 1.0 - d1
            val = 2.0 * r + (1.0 - 2.0 * r) * xy ** (eta + 1.0)
            deltaq = val**mut_pow - 1.0
        else:
            xy = 1.0 - d2
            val = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * xy ** (eta + 1.0)
            deltaq = 1.0 - val**mut_pow
        y = y + deltaq * (xu - xl)
        out[k] = min(max(y, xl), xu)
    return out


# --------------------------------------------------------------------------
# recurrent networks
# --------------------------------------------------------------------------


def rnn_step(genome, x, state, sizes, cell: str):
    """One step of a recurrent genome, written from the equations with float64 matrices.

    Returns (outputs, new state). Gene order as documented in evo.networks.recurrent: per
    layer W (n_in x k n_h), U (n_h x k n_h), b (k n_h), the k gates side by side
    in every row; then the dense output layer.
    """
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    genome = np.asarray(genome, np.float64)
    g, s, new_state, inp = 0, 0, [], np.asarray(x, np.float64)

    def take(n_in, n_out):
        nonlocal g
        m = genome[g:g + n_in * n_out].reshape(n_in, n_out)
        g += n_in * n_out
        return m

    for n_in, n_h in zip(sizes[:-2], sizes[1:-1]):
        h = np.asarray(state[s:s + n_h], np.float64)
        k = {"elman": 1, "gru": 3, "lstm": 4}[cell]
        W_all, U_all, b_all = take(n_in, k * n_h), take(n_h, k * n_h), take(1, k * n_h)[0]
        gates = [(W_all[:, q * n_h:(q + 1) * n_h], U_all[:, q * n_h:(q + 1) * n_h], b_all[q * n_h:(q + 1) * n_h])
                 for q in range(k)]
        if cell == "elman":
            W, U, b = gates[0]
            h = np.tanh(inp @ W + h @ U + b)
            new_state.append(h)
            s += n_h
        elif cell == "gru":
            (Wz, Uz, bz), (Wr, Ur, br), (Wn, Un, bn) = gates
            z = sig(inp @ Wz + h @ Uz + bz)
            r = sig(inp @ Wr + h @ Ur + br)
            n = np.tanh(inp @ Wn + bn + r * (h @ Un))
            h = (1 - z) * n + z * h
            new_state.append(h)
            s += n_h
        else:
            c = np.asarray(state[s + n_h:s + 2 * n_h], np.float64)
            (Wi, Ui, bi), (Wf, Uf, bf), (Wg, Ug, bg), (Wo, Uo, bo) = gates
            i = sig(inp @ Wi + h @ Ui + bi)
            f = sig(inp @ Wf + h @ Uf + bf)
            gg = np.tanh(inp @ Wg + h @ Ug + bg)
            o = sig(inp @ Wo + h @ Uo + bo)
            c = f * c + i * gg
            h = o * np.tanh(c)
            new_state += [h, c]
            s += 2 * n_h
        inp = h
    W = take(sizes[-2], sizes[-1])
    out = inp @ W + take(1, sizes[-1])[0]
    return out, np.concatenate(new_state)


# --------------------------------------------------------------------------
# the GA's loops
# --------------------------------------------------------------------------


def _worst_first(values) -> list[int]:
    """Indices sorted best first, NaN last, ties in index order (a plain stable sort)."""
    key = [(-math.inf if math.isnan(v) else v) for v in values]
    return sorted(range(len(key)), key=lambda i: -key[i])


def ga_tell(ga_like: dict, fitness, rng, *, select, cross, mutate, repair) -> dict:
    """One ``tell`` of :class:`evo.algorithms.ga.GeneticAlgorithm`, written out child by child.

    ``ga_like`` holds ``population`` (P, G), ``parents`` and ``parents_fitness`` (or None) and the
    options ``replacement``, ``survivors``, ``elite``, ``children_per_pair``, ``crossover_rate``,
    ``mutation_rate``. The operators are called on the same batches, in the same order, as the GA
    calls them, so that the random draws match; everything else is loops. Returns the new state.
    """
    pop = [row.copy() for row in ga_like["population"]]
    fit = [float(f) for f in fitness]
    mode, mu = ga_like["replacement"], ga_like["survivors"]
    parents, parents_fitness = ga_like["parents"], ga_like["parents_fitness"]
    if mode == "generational":
        pool, pool_fit = pop, fit
    elif mode == "comma" or parents is None:
        best = _worst_first(fit)[:mu]
        pool, pool_fit = [pop[i] for i in best], [fit[i] for i in best]
    elif mode == "plus":
        union, union_fit = list(parents) + pop, list(parents_fitness) + fit
        best = _worst_first(union_fit)[:mu]
        pool, pool_fit = [union[i] for i in best], [union_fit[i] for i in best]
    else:
        pool, pool_fit = [p.copy() for p in parents], list(parents_fitness)
        for child, f in zip(pop, fit):
            if len(pool) < mu:
                pool.append(child.copy())
                pool_fit.append(f)
                continue
            keys = [(-math.inf if math.isnan(v) else v) for v in pool_fit]
            worst = keys.index(min(keys))
            pool[worst], pool_fit[worst] = child.copy(), f
    new_parents = (None, None) if mode in ("generational", "comma") else (pool, pool_fit)

    elite = ga_like["elite"] if mode == "generational" else 0
    n_kids = len(pop) - elite
    per_pair = ga_like["children_per_pair"]
    n_pairs = -(-n_kids // per_pair)
    pool_arr, pool_fit_arr = np.array(pool), np.array(pool_fit)
    ia = select(pool_fit_arr, n_pairs, rng)
    ib = select(pool_fit_arr, n_pairs, rng)
    mated = rng.random(n_pairs) < ga_like["crossover_rate"]
    where = [i for i in range(n_pairs) if mated[i]]
    a = np.array([pool_arr[ia[i]] for i in where]).reshape(len(where), -1)
    b = np.array([pool_arr[ib[i]] for i in where]).reshape(len(where), -1)
    replay = rng.bit_generator.state
    crossed = {i: row for i, row in zip(where, cross(a, b, rng))} if where else {}
    kids = []
    if per_pair == 2 and where:
        rng.bit_generator.state = replay
        crossed_back = {i: row for i, row in zip(where, cross(b, a, rng))}
    for i in range(n_pairs):
        kids.append(crossed[i] if mated[i] else pool_arr[ia[i]].copy())
        if per_pair == 2:
            kids.append(crossed_back[i] if mated[i] else pool_arr[ib[i]].copy())
    kids = np.array(kids[:n_kids]).reshape(n_kids, -1)
    if ga_like["mutation_rate"] < 1.0:
        chosen = rng.random(n_kids) < ga_like["mutation_rate"]
        picked = [i for i in range(n_kids) if chosen[i]]
        if picked:
            for i, row in zip(picked, mutate(kids[picked], rng)):
                kids[i] = row
    else:
        kids = mutate(kids, rng)
    kids = repair(kids)
    elites = [pop[i] for i in _worst_first(fit)[:elite]]
    population = np.array(elites + list(kids), dtype=np.float32).reshape(len(pop), -1)
    return {**ga_like, "population": population, "parents": new_parents[0], "parents_fitness": new_parents[1]}
