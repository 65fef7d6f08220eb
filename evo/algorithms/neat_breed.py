"""NEAT's breeding as one Numba kernel over packed genomes (:func:`evo.networks.neat.pack`).

:func:`breed` makes a generation's children: each is a copy of an elite, or a
crossover of two parents (:func:`evo.networks.neat.crossover`'s rule: the
fitter parent's genes, each matching gene taken whole from either parent at
random) followed by the mutations of :meth:`evo.algorithms.neat.NEAT.mutate`,
in this order: add a node, delete a node, add a connection, delete a
connection (each with its probability), then every weight, bias, enabled flag
and activation. Randomness comes from the algorithm's
``numpy.random.Generator``, passed in and advanced in place, so its state is
the algorithm's state.

Structural innovations of the generation live in ``table`` (one row per
innovation: kind, two keys, and the numbers given) and ``counters`` (next
innovation number, next node key, rows used), so the same split of the same
connection, or the same pair of nodes joined, gets the same numbers in every
child of the generation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NODE_ADD, NODE_DELETE, CONN_ADD, CONN_DELETE, ENABLED_RATE, ACT_RATE, MAX_NODES, MAX_CONNS = range(8)
WEIGHT, BIAS = 8, 15
"""Where the weight's and the bias's seven numbers start in the parameter array: their ``ATTRIBUTE`` values."""
ATTRIBUTE = ("init_mean", "init_stdev", "min_value", "max_value", "mutate_power", "mutate_rate", "replace_rate")
_CONN, _SPLIT = 0, 1


def parameters(s: dict) -> np.ndarray:
    """The float64 parameter array :func:`breed` reads, from :class:`~evo.algorithms.neat.NEAT`'s settings."""
    head = [s["node_add_prob"], s["node_delete_prob"], s["conn_add_prob"], s["conn_delete_prob"],
            s["enabled_mutate_rate"], s["activation_mutate_rate"], s["max_nodes"], s["max_conns"]]
    return np.array(head + [s[f"{kind}_{a}"] for kind in ("weight", "bias") for a in ATTRIBUTE], np.float64)


@njit
def _draw(rng, p, at):
    """A new value from the attribute's initial distribution, within its bounds."""
    return min(max(rng.normal(p[at], p[at + 1]), p[at + 2]), p[at + 3])


@njit
def _mutated(rng, v, p, at):
    """``v`` perturbed (with the mutate rate) or replaced (with the replace rate), within the bounds."""
    r = rng.random()
    if r < p[at + 5]:
        v = v + rng.normal(0.0, p[at + 4])
    elif r < p[at + 5] + p[at + 6]:
        v = rng.normal(p[at], p[at + 1])
    return min(max(v, p[at + 2]), p[at + 3])


@njit
def _activation(rng, default, options):
    return options[rng.integers(0, len(options))] if default < 0 else default


@njit
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


@njit
def _insert_conn(ci, cs, cd, cw, ce, nc, innov, s, d, w, on):
    """Insert a connection keeping ``ci`` sorted; returns the new count."""
    p = nc
    while p > 0 and ci[p - 1] > innov:
        ci[p], cs[p], cd[p], cw[p], ce[p] = ci[p - 1], cs[p - 1], cd[p - 1], cw[p - 1], ce[p - 1]
        p -= 1
    ci[p], cs[p], cd[p], cw[p], ce[p] = innov, s, d, w, on
    return nc + 1


@njit
def _reaches(cs, cd, nc, start, goal):
    """Whether connections (enabled or not) lead from node ``start`` to node ``goal``."""
    if start == goal:
        return True
    stack = np.empty(nc + 1, np.int64)
    seen = np.zeros(nc, np.bool_)  # connections followed
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


@njit(inline="always")
def _cross(keys, x, y, n, other_keys, other_x, other_y, b, b_end, rng):
    """Crossover of one kind of gene: where ``keys[:n]`` and ``other_keys[b:b_end]`` (both sorted) match,
    ``x`` then ``y`` each take the other parent's value with probability 1/2."""
    a = 0
    while a < n and b < b_end:
        if keys[a] == other_keys[b]:
            if rng.random() < 0.5:
                x[a] = other_x[b]
            if rng.random() < 0.5:
                y[a] = other_y[b]
            a += 1
            b += 1
        elif keys[a] < other_keys[b]:
            a += 1
        else:
            b += 1


@njit
def _child(pk, fitter, other, elite, rng, p, default_act, options, n_in, n_out, table, counters,
           nk, nb, na, ci, cs, cd, cw, ce):
    """Build one child in the scratch arrays; returns its (node count, connection count)."""
    n0, n1, c0, c1 = pk[0][fitter], pk[0][fitter + 1], pk[4][fitter], pk[4][fitter + 1]
    nn, nc = n1 - n0, c1 - c0
    nk[:nn], nb[:nn], na[:nn] = pk[1][n0:n1], pk[2][n0:n1], pk[3][n0:n1]
    ci[:nc], cs[:nc], cd[:nc] = pk[5][c0:c1], pk[6][c0:c1], pk[7][c0:c1]
    cw[:nc], ce[:nc] = pk[8][c0:c1], pk[9][c0:c1]
    if elite:
        return nn, nc
    _cross(nk, nb, na, nn, pk[1], pk[2], pk[3], pk[0][other], pk[0][other + 1], rng)  # the matching nodes
    _cross(ci, cw, ce, nc, pk[5], pk[8], pk[9], pk[4][other], pk[4][other + 1], rng)  # and connections
    max_nodes, max_conns = p[MAX_NODES], p[MAX_CONNS]
    if rng.random() < p[NODE_ADD] and nc:  # split a connection (enabled or not) with a neutral node
        j = rng.integers(0, nc)
        on = 0
        for c in range(nc):
            on += ce[c]
        if nn < max_nodes and on - ce[j] + 2 <= max_conns:
            t = _innovation(table, counters, _SPLIT, ci[j], 0)
            node = table[t, 3]
            if node not in nk[:nn]:
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
    if rng.random() < p[NODE_DELETE]:  # a hidden node and its connections
        hidden = 0
        for k in range(nn):
            hidden += nk[k] >= n_out
        if hidden:
            pick = rng.integers(0, hidden)
            k = nn - hidden + pick  # keys are sorted: the hidden nodes come last
            node = nk[k]
            nk[k:nn - 1], nb[k:nn - 1], na[k:nn - 1] = nk[k + 1:nn].copy(), nb[k + 1:nn].copy(), na[k + 1:nn].copy()
            nn -= 1
            kept = 0
            for c in range(nc):
                if cs[c] != node and cd[c] != node:
                    ci[kept], cs[kept], cd[kept], cw[kept], ce[kept] = ci[c], cs[c], cd[c], cw[c], ce[c]
                    kept += 1
            nc = kept
    if rng.random() < p[CONN_ADD]:  # a new connection, unless it exists or closes a cycle
        on = 0
        for c in range(nc):
            on += ce[c]
        if on < max_conns:
            i = rng.integers(0, n_in + nn - n_out)  # from an input or a hidden node (keys are sorted: outputs first)
            src = -1 - i if i < n_in else nk[i - n_in + n_out]
            dst = nk[rng.integers(0, nn)]
            ok = src != dst
            for c in range(nc):
                if cs[c] == src and cd[c] == dst:
                    ok = False
            if ok and not _reaches(cs, cd, nc, dst, src):
                t = _innovation(table, counters, _CONN, src, dst)
                if table[t, 3] not in ci[:nc]:
                    nc = _insert_conn(ci, cs, cd, cw, ce, nc, table[t, 3], src, dst, _draw(rng, p, WEIGHT), True)
    if rng.random() < p[CONN_DELETE] and nc:
        c = rng.integers(0, nc)
        ci[c:nc - 1], cs[c:nc - 1], cd[c:nc - 1] = ci[c + 1:nc].copy(), cs[c + 1:nc].copy(), cd[c + 1:nc].copy()
        cw[c:nc - 1], ce[c:nc - 1] = cw[c + 1:nc].copy(), ce[c + 1:nc].copy()
        nc -= 1
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
        if on <= max_conns:
            break
        if ce[c]:
            ce[c] = False
            on -= 1
    if p[ACT_RATE] > 0:
        for k in range(nn):
            if rng.random() < p[ACT_RATE]:
                na[k] = options[rng.integers(0, len(options))]
    return nn, nc


@njit
def breed(pk, pairs, elite, rng, p, default_act, options, n_in, n_out, table, counters):
    """Children of the packed genomes ``pk``: child ``k`` from ``pairs[k] = (fitter, other)``, an unchanged
    copy of ``fitter`` where ``elite[k]``. Returns the children packed."""
    K = len(pairs)
    node_at = np.zeros(K + 1, np.int64)
    conn_at = np.zeros(K + 1, np.int64)
    most_n, most_c = 1, 3  # a child has at most one node and three connections more than its fitter parent
    for k in range(K):
        f = pairs[k, 0]
        most_n = max(most_n, pk[0][f + 1] - pk[0][f] + 1)
        most_c = max(most_c, pk[4][f + 1] - pk[4][f] + 3)
    cap_n, cap_c = K * most_n, K * most_c
    keys, bias, act = np.empty(cap_n, np.int64), np.empty(cap_n, np.float64), np.empty(cap_n, np.int64)
    innov, src, dst = np.empty(cap_c, np.int64), np.empty(cap_c, np.int64), np.empty(cap_c, np.int64)
    weight, enabled = np.empty(cap_c, np.float64), np.empty(cap_c, np.bool_)
    nk, nb, na = np.empty(most_n, np.int64), np.empty(most_n, np.float64), np.empty(most_n, np.int64)
    ci, cs, cd = np.empty(most_c, np.int64), np.empty(most_c, np.int64), np.empty(most_c, np.int64)
    cw, ce = np.empty(most_c, np.float64), np.empty(most_c, np.bool_)
    for k in range(K):
        nn, nc = _child(pk, pairs[k, 0], pairs[k, 1], elite[k], rng, p, default_act, options, n_in, n_out,
                        table, counters, nk, nb, na, ci, cs, cd, cw, ce)
        a, c = node_at[k], conn_at[k]
        keys[a:a + nn], bias[a:a + nn], act[a:a + nn] = nk[:nn], nb[:nn], na[:nn]
        innov[c:c + nc], src[c:c + nc], dst[c:c + nc] = ci[:nc], cs[:nc], cd[:nc]
        weight[c:c + nc], enabled[c:c + nc] = cw[:nc], ce[:nc]
        node_at[k + 1], conn_at[k + 1] = a + nn, c + nc
    n, c = node_at[K], conn_at[K]
    return (node_at, keys[:n].copy(), bias[:n].copy(), act[:n].copy(), conn_at, innov[:c].copy(), src[:c].copy(),
            dst[:c].copy(), weight[:c].copy(), enabled[:c].copy())


@njit
def take(pk, rows):
    """The packed genomes ``rows`` of ``pk``, in that order, packed."""
    K = len(rows)
    node_at = np.zeros(K + 1, np.int64)
    conn_at = np.zeros(K + 1, np.int64)
    for k in range(K):
        r = rows[k]
        node_at[k + 1] = node_at[k] + pk[0][r + 1] - pk[0][r]
        conn_at[k + 1] = conn_at[k] + pk[4][r + 1] - pk[4][r]
    keys, bias, act = np.empty(node_at[K], np.int64), np.empty(node_at[K], np.float64), np.empty(node_at[K], np.int64)
    innov, src, dst = np.empty(conn_at[K], np.int64), np.empty(conn_at[K], np.int64), np.empty(conn_at[K], np.int64)
    weight, enabled = np.empty(conn_at[K], np.float64), np.empty(conn_at[K], np.bool_)
    for k in range(K):
        r = rows[k]
        a, b, c, d = node_at[k], node_at[k + 1], pk[0][r], pk[0][r + 1]
        keys[a:b], bias[a:b], act[a:b] = pk[1][c:d], pk[2][c:d], pk[3][c:d]
        a, b, c, d = conn_at[k], conn_at[k + 1], pk[4][r], pk[4][r + 1]
        innov[a:b], src[a:b], dst[a:b], weight[a:b], enabled[a:b] = (pk[5][c:d], pk[6][c:d], pk[7][c:d],
                                                                    pk[8][c:d], pk[9][c:d])
    return node_at, keys, bias, act, conn_at, innov, src, dst, weight, enabled
