"""NEAT's breeding as Numba kernels over packed genomes (:func:`evo.networks.neat.pack`).

:func:`plan` picks the parents of a generation's children, species by
species: the best ``elitism`` members of each species are copied unchanged,
the others are bred from two members drawn at random (with replacement) from
the species' best ``survival_threshold`` share, at least two.
:func:`breed` makes the children: each is a copy of an elite, or a crossover
of two parents (:func:`evo.networks.neat.crossover`'s rule: the fitter
parent's genes, each matching gene's attributes taken from either parent at
random, a connection disabled in either parent disabled with probability 3/4)
followed by the mutations of :meth:`evo.algorithms.neat.NEAT.mutate`, in this
order: add a node, delete a node, add a connection, delete a connection (each
with its probability, or one of them with ``single_structural_mutation``),
then every weight, bias, enabled flag and activation. Randomness comes from the algorithm's
``numpy.random.Generator``, passed in and advanced in place, so its state is
the algorithm's state.

Structural innovations of the generation live in ``table`` (one row per
innovation: kind, two keys, and the numbers given) and ``counters`` (next
innovation number, next node key, rows used), so the same split of the same
connection, or the same pair of nodes joined, gets the same numbers in every
child of the generation.

The kernels copy genes with explicit loops into the children's own slices of
the output arrays: on genomes of a few genes, array slice assignment and
per-child scratch arrays cost more than the breeding itself. For the same
reason the work per child runs in functions compiled without reference
counting (``_nrt=False``; every array they touch belongs to their caller):
with it, every call counted each array argument in and out, which cost more
than the breeding too, and they draw bounded integers with :func:`_below`, which
allocates nothing.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit
from numba.np.random.generator_core import next_uint32
from numba.np.random.random_methods import bounded_lemire_uint64, buffered_bounded_lemire_uint32

NODE_ADD, NODE_DELETE, CONN_ADD, CONN_DELETE, ENABLED_RATE, ACT_RATE, MAX_NODES, MAX_CONNS = range(8)
WEIGHT, BIAS, RECURRENT, SINGLE, SURER = 8, 15, 22, 23, 24
"""Where the weight's and the bias's seven numbers start in the parameter array: their ``ATTRIBUTE`` values."""
ATTRIBUTE = ("init_mean", "init_stdev", "min_value", "max_value", "mutate_power", "mutate_rate", "replace_rate")
_CONN, _SPLIT = 0, 1


def parameters(s: dict) -> np.ndarray:
    """The float64 parameter array :func:`breed` reads, from :class:`~evo.algorithms.neat.NEAT`'s settings."""
    head = [s["node_add_prob"], s["node_delete_prob"], s["conn_add_prob"], s["conn_delete_prob"],
            s["enabled_mutate_rate"], s["activation_mutate_rate"], s["max_nodes"], s["max_conns"]]
    values = [s[f"{kind}_{a}"] for kind in ("weight", "bias") for a in ATTRIBUTE]
    single = bool(s["single_structural_mutation"])
    surer = single if s["structural_mutation_surer"] == "default" else s["structural_mutation_surer"] == "true"
    return np.array(head + values + [0.0 if s["feed_forward"] else 1.0, float(single), float(surer)], np.float64)


@njit(_nrt=False)
def _below(rng, n):
    """``rng.integers(0, n)`` for ``n >= 1``: the same draws from the generator and the same value (numba's
    own, for an int64 bound, without the one-element array it allocates for every call)."""
    r = n - 1
    if r == 0:
        return 0
    if r < 0xFFFFFFFF:
        return np.int64(buffered_bounded_lemire_uint32(rng.bit_generator, r))
    if r == 0xFFFFFFFF:
        return np.int64(next_uint32(rng.bit_generator))
    return np.int64(bounded_lemire_uint64(rng.bit_generator, r))


@njit(_nrt=False)
def _plan_into(fitness, order, starts, alive, spawn, elitism, survival, rng, pairs, elite):
    """:func:`plan` written into ``pairs`` and ``elite`` (at least ``sum(spawn)`` rows, ``elite`` all False)."""
    k = 0
    for a in range(len(alive)):
        s = alive[a]
        first, size = starts[s], starts[s + 1] - starts[s]
        keep = min(elitism, spawn[a], size)
        for e in range(keep):
            pairs[k, 0] = pairs[k, 1] = order[first + e]
            elite[k] = True
            k += 1
        cut = min(size, max(2, int(np.ceil(survival * size))))
        for _ in range(spawn[a] - keep):
            i = order[first + _below(rng, cut)]
            j = order[first + _below(rng, cut)]
            if fitness[j] > fitness[i] or (fitness[j] == fitness[i] and j < i):
                i, j = j, i
            pairs[k, 0], pairs[k, 1] = i, j
            k += 1
    return k


@njit
def plan(fitness, order, starts, alive, spawn, elitism, survival, rng):
    """Parents of the next generation: ``(pairs, elite)``, ``sum(spawn)`` rows.

    ``order`` holds the genome indices grouped by species, each group best first; species ``s``'s group
    is ``order[starts[s]:starts[s + 1]]``. For each species ``alive[a]`` in turn, ``spawn[a]`` children:
    its best ``min(elitism, spawn[a])`` members as elites (``pairs[k] = (i, i)``, ``elite[k]``), then
    children of two members drawn from its best ``max(2, ceil(survival * size))`` (two integers per
    child from ``rng``), the fitter first (on equal fitness the smaller index); ``order`` puts the later
    genome first among equals, as neat-python does the newer genome id.
    """
    total = 0
    for a in range(len(alive)):
        total += spawn[a]
    pairs = np.empty((total, 2), np.int64)
    elite = np.zeros(total, np.bool_)
    _plan_into(fitness, order, starts, alive, spawn, elitism, survival, rng, pairs, elite)
    return pairs, elite


@njit(_nrt=False)
def _draw(rng, p, at):
    """A new value from the attribute's initial distribution, within its bounds."""
    return min(max(rng.normal(p[at], p[at + 1]), p[at + 2]), p[at + 3])


@njit(_nrt=False)
def _mutated(rng, v, p, at):
    """``v`` perturbed (with the mutate rate) or replaced (with the replace rate), within the bounds."""
    r = rng.random()
    if r < p[at + 5]:
        v = v + rng.normal(0.0, p[at + 4])
    elif r < p[at + 5] + p[at + 6]:
        v = rng.normal(p[at], p[at + 1])
    return min(max(v, p[at + 2]), p[at + 3])


@njit(_nrt=False)
def _activation(rng, default, options):
    return options[_below(rng, len(options))] if default < 0 else default


@njit(_nrt=False)
def _innovation(table, counters, kind, a, b):
    """The table row of a structural innovation of this generation, added when new."""
    for t in range(counters[2]):
        if table[t, 0] == kind and table[t, 1] == a and table[t, 2] == b:
            return t
    t = counters[2]
    counters[2] += 1
    table[t, 0], table[t, 1], table[t, 2] = kind, a, b
    if kind == _CONN:
        table[t, 3] = counters[0]
        counters[0] += 1
    else:  # a split: the new node's key, then the innovation numbers of its two connections
        table[t, 3] = counters[1]
        counters[1] += 1
        table[t, 4], table[t, 5] = counters[0], counters[0] + 1
        counters[0] += 2
    return t


@njit(_nrt=False)
def _insert_conn(ci, cs, cd, cw, ce, nc, innov, s, d, w, on):
    """Insert a connection keeping ``ci`` sorted; returns the new count."""
    p = nc
    while p > 0 and ci[p - 1] > innov:
        ci[p], cs[p], cd[p], cw[p], ce[p] = ci[p - 1], cs[p - 1], cd[p - 1], cw[p - 1], ce[p - 1]
        p -= 1
    ci[p], cs[p], cd[p], cw[p], ce[p] = innov, s, d, w, on
    return nc + 1


@njit(_nrt=False)
def _reaches(cs, cd, nc, start, goal, stack, seen):
    """Whether connections (enabled or not) lead from node ``start`` to node ``goal``; ``stack`` and
    ``seen`` are scratch of at least ``nc + 1`` entries."""
    if start == goal:
        return True
    for c in range(nc):
        seen[c] = False  # connections followed
    stack[0] = start
    top = 1
    while top:
        top -= 1
        node = stack[top]
        for c in range(nc):
            if cs[c] == node and not seen[c]:
                if cd[c] == goal:
                    return True
                seen[c] = True
                stack[top] = cd[c]
                top += 1
    return False


@njit(_nrt=False)
def _contains(values, n, v):
    for i in range(n):
        if values[i] == v:
            return True
    return False


@njit(inline="always")
def _cross(keys, x, y, n, other_keys, other_x, other_y, b, b_end, rng, flag):
    """Crossover of one kind of gene: where ``keys[:n]`` and ``other_keys[b:b_end]`` (both sorted) match,
    ``x`` then ``y`` each take the other parent's value with probability 1/2. With ``flag`` (``y`` is the
    enabled flag), a gene disabled in either parent is then disabled with probability 3/4 (one more draw)."""
    a = 0
    while a < n and b < b_end:
        if keys[a] == other_keys[b]:
            off = flag and (y[a] == 0 or other_y[b] == 0)
            if rng.random() < 0.5:
                x[a] = other_x[b]
            if rng.random() < 0.5:
                y[a] = other_y[b]
            if off and rng.random() < 0.75:
                y[a] = 0
            a += 1
            b += 1
        elif keys[a] < other_keys[b]:
            a += 1
        else:
            b += 1


@njit(_nrt=False)
def _add_node(rng, p, default_act, options, table, counters, nn, nc, nk, nb, na, ci, cs, cd, cw, ce):
    """Split a connection (enabled or not) with a neutral node; returns (node count, connection count)."""
    j = _below(rng, nc)
    on = 0
    for c in range(nc):
        on += ce[c]
    if nn < p[MAX_NODES] and on - ce[j] + 2 <= p[MAX_CONNS]:
        t = _innovation(table, counters, _SPLIT, ci[j], 0)
        node = table[t, 3]
        if not _contains(nk, nn, node):
            ce[j] = False
            q = nn
            while q > 0 and nk[q - 1] > node:
                nk[q], nb[q], na[q] = nk[q - 1], nb[q - 1], na[q - 1]
                q -= 1
            nk[q], nb[q], na[q] = node, 0.0, _activation(rng, default_act, options)
            nn += 1
            src, dst, w = cs[j], cd[j], cw[j]
            nc = _insert_conn(ci, cs, cd, cw, ce, nc, table[t, 4], src, node, 1.0, True)
            nc = _insert_conn(ci, cs, cd, cw, ce, nc, table[t, 5], node, dst, w, True)
    return nn, nc


@njit(_nrt=False)
def _delete_node(rng, n_out, nn, nc, nk, nb, na, ci, cs, cd, cw, ce):
    """Delete a hidden node and its connections; returns (node count, connection count)."""
    hidden = 0
    for k in range(nn):
        hidden += nk[k] >= n_out
    if hidden:
        k = nn - hidden + _below(rng, hidden)  # keys are sorted: the hidden nodes come last
        node = nk[k]
        for q in range(k, nn - 1):
            nk[q], nb[q], na[q] = nk[q + 1], nb[q + 1], na[q + 1]
        nn -= 1
        kept = 0
        for c in range(nc):
            if cs[c] != node and cd[c] != node:
                ci[kept], cs[kept], cd[kept], cw[kept], ce[kept] = ci[c], cs[c], cd[c], cw[c], ce[c]
                kept += 1
        nc = kept
    return nn, nc


@njit(_nrt=False)
def _add_conn(rng, p, table, counters, n_in, n_out, nn, nc, nk, ci, cs, cd, cw, ce, stack, seen):
    """A new connection, unless it exists (then, with ``structural_mutation_surer``, it is enabled) or
    (feed-forward) closes a cycle; returns the connection count."""
    on = 0
    for c in range(nc):
        on += ce[c]
    if on < p[MAX_CONNS]:
        i = _below(rng, n_in + nn - n_out)  # from an input or a hidden node (keys are sorted: outputs first)
        src = -1 - i if i < n_in else nk[i - n_in + n_out]
        dst = nk[_below(rng, nn)]
        for c in range(nc):
            if cs[c] == src and cd[c] == dst:
                if p[SURER] > 0:
                    ce[c] = True
                return nc
        if src == dst and p[RECURRENT] == 0:  # a recurrent network may loop a node onto itself
            return nc
        if p[RECURRENT] > 0 or not _reaches(cs, cd, nc, dst, src, stack, seen):
            t = _innovation(table, counters, _CONN, src, dst)
            if not _contains(ci, nc, table[t, 3]):
                nc = _insert_conn(ci, cs, cd, cw, ce, nc, table[t, 3], src, dst, _draw(rng, p, WEIGHT), True)
    return nc


@njit(_nrt=False)
def _delete_conn(rng, nc, ci, cs, cd, cw, ce):
    """Delete a connection drawn at random; returns the connection count."""
    if nc:
        c = _below(rng, nc)
        for q in range(c, nc - 1):
            ci[q], cs[q], cd[q], cw[q], ce[q] = ci[q + 1], cs[q + 1], cd[q + 1], cw[q + 1], ce[q + 1]
        nc -= 1
    return nc


@njit(_nrt=False)
def _mutate(rng, p, default_act, options, n_in, n_out, table, counters, nn, nc, nk, nb, na, ci, cs, cd, cw, ce,
            stack, seen):
    """Mutate the child held in ``nk[:nn]`` ... ``ce[:nc]`` in place; returns its new (node count, connection
    count). Structural mutations first: each with its probability, in the order add a node, delete a node,
    add a connection, delete a connection; or, with ``single_structural_mutation``, one of them chosen by
    one draw (each with its probability over the sum of the four, when that sum is above 1). Adding a node
    to a genome without connections adds a connection instead when ``structural_mutation_surer`` holds."""
    todo = -1  # the one structural mutation drawn
    if p[SINGLE] > 0:
        r = rng.random() * max(1.0, p[NODE_ADD] + p[NODE_DELETE] + p[CONN_ADD] + p[CONN_DELETE])
        for op in range(4):
            if r < p[op]:
                todo = op
                break
            r -= p[op]
    for op in range(4):
        if p[SINGLE] == 0 and rng.random() >= p[op]:
            continue
        if p[SINGLE] > 0 and todo != op:
            continue
        if op == NODE_ADD:
            if nc:
                nn, nc = _add_node(rng, p, default_act, options, table, counters, nn, nc, nk, nb, na, ci, cs, cd,
                                   cw, ce)
            elif p[SURER] > 0:
                nc = _add_conn(rng, p, table, counters, n_in, n_out, nn, nc, nk, ci, cs, cd, cw, ce, stack, seen)
        elif op == NODE_DELETE:
            nn, nc = _delete_node(rng, n_out, nn, nc, nk, nb, na, ci, cs, cd, cw, ce)
        elif op == CONN_ADD:
            nc = _add_conn(rng, p, table, counters, n_in, n_out, nn, nc, nk, ci, cs, cd, cw, ce, stack, seen)
        else:
            nc = _delete_conn(rng, nc, ci, cs, cd, cw, ce)
    for c in range(nc):
        cw[c] = _mutated(rng, cw[c], p, WEIGHT)
    for k in range(nn):
        nb[k] = _mutated(rng, nb[k], p, BIAS)
    on = 0
    for c in range(nc):
        if rng.random() < p[ENABLED_RATE]:
            ce[c] = rng.random() < 0.5
        on += ce[c]
    for c in range(nc - 1, -1, -1):  # re-enabled genes may not outgrow the capacity: disable the last ones
        if on <= p[MAX_CONNS]:
            break
        if ce[c]:
            ce[c] = False
            on -= 1
    if p[ACT_RATE] > 0:
        for k in range(nn):
            if rng.random() < p[ACT_RATE]:
                na[k] = options[_below(rng, len(options))]
    return nn, nc


@njit(_nrt=False)
def _children(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters, most_n, most_c, kid_n,
              kid_c, k_keys, k_bias, k_act, k_innov, k_src, k_dst, k_weight, k_enabled, stack, seen):
    """:func:`breed`'s children written one after the other into the ``k_`` arrays, child ``k``'s genes from
    ``kid_n[k]`` and ``kid_c[k]`` (at most ``most_n`` and ``most_c`` of them) up to ``kid_n[k + 1]`` and
    ``kid_c[k + 1]``, which it sets."""
    node_at, keys, bias, act, conn_at, innov, src, dst, weight, enabled = pk
    for k in range(len(pairs)):
        f, o = pairs[k, 0], pairs[k, 1]
        a, c = kid_n[k], kid_c[k]
        n0, c0 = node_at[f], conn_at[f]
        nn, nc = node_at[f + 1] - n0, conn_at[f + 1] - c0
        for q in range(nn):
            k_keys[a + q], k_bias[a + q], k_act[a + q] = keys[n0 + q], bias[n0 + q], act[n0 + q]
        for q in range(nc):
            k_innov[c + q], k_src[c + q], k_dst[c + q] = innov[c0 + q], src[c0 + q], dst[c0 + q]
            k_weight[c + q], k_enabled[c + q] = weight[c0 + q], enabled[c0 + q]
        if not elite[k]:
            nk, nb, na = k_keys[a:a + most_n], k_bias[a:a + most_n], k_act[a:a + most_n]
            ci, cs, cd = k_innov[c:c + most_c], k_src[c:c + most_c], k_dst[c:c + most_c]
            cw, ce = k_weight[c:c + most_c], k_enabled[c:c + most_c]
            _cross(nk, nb, na, nn, keys, bias, act, node_at[o], node_at[o + 1], rng, False)  # the matching nodes
            _cross(ci, cw, ce, nc, innov, weight, enabled, conn_at[o], conn_at[o + 1], rng, True)  # and connections
            nn, nc = _mutate(rng, p, default_act, options, n_in, n_out, table, counters, nn, nc,
                             nk, nb, na, ci, cs, cd, cw, ce, stack, seen)
        kid_n[k + 1], kid_c[k + 1] = a + nn, c + nc


@njit(inline="always")
def _bred(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters):
    """:func:`breed`'s work, inlined into the kernels that breed (one level of calls fewer to compile: every
    level compiles again the machine code of those below it)."""
    node_at, keys, bias, act, conn_at, innov, src, dst, weight, enabled = pk
    K = len(pairs)
    most_n, most_c = np.int64(1), np.int64(3)  # a child: at most 1 node and 3 connections more than its fitter parent
    for k in range(K):
        f = pairs[k, 0]
        most_n = max(most_n, node_at[f + 1] - node_at[f] + 1)
        most_c = max(most_c, conn_at[f + 1] - conn_at[f] + 3)
    cap_n, cap_c = K * most_n, K * most_c
    k_keys, k_bias, k_act = np.empty(cap_n, np.int64), np.empty(cap_n, np.float64), np.empty(cap_n, np.int64)
    k_innov, k_src, k_dst = np.empty(cap_c, np.int64), np.empty(cap_c, np.int64), np.empty(cap_c, np.int64)
    k_weight, k_enabled = np.empty(cap_c, np.float64), np.empty(cap_c, np.bool_)
    stack, seen = np.empty(most_c + 1, np.int64), np.empty(most_c + 1, np.bool_)
    kid_n = np.zeros(K + 1, np.int64)
    kid_c = np.zeros(K + 1, np.int64)
    _children(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters, most_n, most_c, kid_n,
              kid_c, k_keys, k_bias, k_act, k_innov, k_src, k_dst, k_weight, k_enabled, stack, seen)
    n, c = kid_n[K], kid_c[K]
    return (kid_n, k_keys[:n].copy(), k_bias[:n].copy(), k_act[:n].copy(), kid_c, k_innov[:c].copy(),
            k_src[:c].copy(), k_dst[:c].copy(), k_weight[:c].copy(), k_enabled[:c].copy())


@njit
def breed(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters):
    """Children of the packed genomes ``pk``: child ``k`` from ``pairs[k] = (fitter, other)``, an unchanged
    copy of ``fitter`` where ``elite[k]``. Returns the children packed."""
    return _bred(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters)


@njit
def rank(fitness, of, n_species):
    """The population grouped by species, each group best first and, among equal fitness, the later genome
    first (numpy's ``lexsort((-arange(P), -fitness, of))``): ``(order, starts, ranked)``, species ``s``'s
    genomes ``order[starts[s]:starts[s + 1]]`` and their fitness ``ranked[starts[s]:starts[s + 1]]``."""
    P = len(of)
    starts = np.zeros(n_species + 1, np.int64)
    for i in range(P):
        starts[of[i] + 1] += 1
    for s in range(n_species):
        starts[s + 1] += starts[s]
    at = starts[:-1].copy()
    order = np.empty(P, np.int64)
    ranked = np.empty(P, np.float64)
    for i in range(P - 1, -1, -1):  # the later genome first, then an insertion sort that keeps equals in place
        s = of[i]
        q = at[s]
        at[s] += 1
        while q > starts[s] and ranked[q - 1] < fitness[i]:
            order[q], ranked[q] = order[q - 1], ranked[q - 1]
            q -= 1
        order[q], ranked[q] = i, fitness[i]
    return order, starts, ranked


@njit
def offspring(pk, fitness, order, starts, alive, spawn, elitism, survival, pop_size, rng, p, default_act, options,
              n_in, n_out, counters):
    """The next population: :func:`plan`'s parents (every one drawn), the first ``pop_size`` of them kept or,
    when fewer, the list repeated from its start to ``pop_size`` as children bred anew, then :func:`breed`'s
    children of them, packed (``counters`` as :func:`breed` takes them)."""
    total = 0
    for a in range(len(alive)):
        total += spawn[a]
    pairs = np.empty((max(total, pop_size), 2), np.int64)
    elite = np.zeros(max(total, pop_size), np.bool_)
    _plan_into(fitness, order, starts, alive, spawn, elitism, survival, rng, pairs, elite)
    for k in range(total, pop_size):
        pairs[k, 0], pairs[k, 1] = pairs[(k - total) % total, 0], pairs[(k - total) % total, 1]
    table = np.zeros((2 * pop_size, 6), np.int64)
    return _bred(pk, pairs[:pop_size].copy(), elite[:pop_size].copy(), rng, p, default_act, options, n_in, n_out,
                 table, counters)


KERNELS_TEMPLATE = '''\
"""NEAT's breeding kernels (generated by evo.algorithms.neat_breed; do not edit): cached in the kernel
cache, so a new process loads them rather than compiling them again."""
from numba import njit
from evo.algorithms.neat_breed import plan as _plan, breed as _breed, offspring as _offspring, rank as _rank


@njit(cache=True)
def plan(fitness, order, starts, alive, spawn, elitism, survival, rng):
    return _plan(fitness, order, starts, alive, spawn, elitism, survival, rng)


@njit(cache=True)
def breed(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters):
    return _breed(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters)


@njit(cache=True)
def rank(fitness, of, n_species):
    return _rank(fitness, of, n_species)


@njit(cache=True)
def offspring(pk, fitness, order, starts, alive, spawn, elitism, survival, pop_size, rng, p, default_act, options,
              n_in, n_out, counters):
    return _offspring(pk, fitness, order, starts, alive, spawn, elitism, survival, pop_size, rng, p, default_act,
                      options, n_in, n_out, counters)
'''


@functools.cache
def kernels():
    """The cached module of :data:`KERNELS_TEMPLATE` (:func:`plan`, :func:`breed`, :func:`offspring`,
    :func:`rank`), compiled once per kernel cache."""
    from envs.specialise import specialise
    return specialise(KERNELS_TEMPLATE, "neat_breed")
