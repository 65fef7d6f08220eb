"""NEAT genomes as graphs, and the operators that read two of them: distance, speciation, crossover.

A :class:`Genome` holds the non-input nodes (key, bias, activation) and the
connections (innovation number, source, destination, weight, enabled flag)
of one network; :mod:`evo.networks.neat` compiles genomes into the flat rows
the rollout plays, and :mod:`evo.algorithms.neat` mutates and breeds them. A
population travels as one tuple of concatenated arrays (:func:`pack`), which
the kernels read: :func:`speciate_packed` sorts it into species by
:func:`distance`, neat-python's compatibility distance.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit


class Genome:
    """One NEAT genome (:mod:`evo.algorithms.neat`): non-input nodes sorted by key, connections sorted by
    innovation number.

    Inputs have keys ``-1 .. -num_inputs``, outputs ``0 .. num_outputs - 1``, hidden nodes larger keys.
    Attributes are numpy arrays: ``keys``, ``bias``, ``act`` (indices into
    :data:`evo.networks.neat.ACTIVATIONS`) for the nodes; ``innov``, ``src``, ``dst``, ``weight``,
    ``enabled`` for the connections.
    """

    __slots__ = ("keys", "bias", "act", "innov", "src", "dst", "weight", "enabled")

    def __init__(self, keys, bias, act, innov, src, dst, weight, enabled):
        self.keys = np.asarray(keys, np.int64)
        self.bias = np.asarray(bias, np.float64)
        self.act = np.asarray(act, np.int64)
        self.innov = np.asarray(innov, np.int64)
        self.src = np.asarray(src, np.int64)
        self.dst = np.asarray(dst, np.int64)
        self.weight = np.asarray(weight, np.float64)
        self.enabled = np.asarray(enabled, bool)

    def copy(self) -> "Genome":
        return Genome(*(getattr(self, k).copy() for k in self.__slots__))

    def sorted(self) -> "Genome":
        """This genome with nodes sorted by key and connections by innovation number."""
        n, c = np.argsort(self.keys, kind="stable"), np.argsort(self.innov, kind="stable")
        return Genome(self.keys[n], self.bias[n], self.act[n], *(getattr(self, k)[c] for k in self.__slots__[3:]))


def pack(genomes) -> tuple:
    """Genomes as one tuple of concatenated arrays, the form the kernels read: ``(node_at, keys, bias, act,
    conn_at, innov, src, dst, weight, enabled)``, genome ``i``'s nodes at ``node_at[i]:node_at[i + 1]`` and
    its connections at ``conn_at[i]:conn_at[i + 1]``."""
    genomes = list(genomes)
    nodes = np.zeros(len(genomes) + 1, np.int64)
    conns = np.zeros(len(genomes) + 1, np.int64)
    np.cumsum([len(g.keys) for g in genomes], out=nodes[1:])
    np.cumsum([len(g.innov) for g in genomes], out=conns[1:])

    def joined(name, dtype):
        return np.concatenate([getattr(g, name) for g in genomes]) if genomes else np.zeros(0, dtype)
    return (nodes, joined("keys", np.int64), joined("bias", np.float64), joined("act", np.int64), conns,
            joined("innov", np.int64), joined("src", np.int64), joined("dst", np.int64),
            joined("weight", np.float64), joined("enabled", np.bool_))


PAIR_SHIFT = 1 << 20


def by_pair(pk: tuple) -> tuple:
    """The packed genomes ``pk`` as :func:`speciate_packed` compares them: each genome's connections sorted
    by their ends (source, then destination) and keyed by them in place of their innovation numbers, as
    neat-python matches connections for the distance (the same pair of nodes joined in two generations
    is one gene there, two innovation numbers here)."""
    return kernels().by_pair(pk)


@njit
def _by_pair(pk):
    """:func:`by_pair`: each genome's connections in a stable insertion sort by their pair key (a genome has
    a few dozen at most)."""
    node_at, keys, bias, act, conn_at, innov, src, dst, weight, enabled = pk
    C = len(src)
    pair, p_src, p_dst = np.empty(C, np.int64), np.empty(C, np.int64), np.empty(C, np.int64)
    p_weight, p_enabled = np.empty(C, np.float64), np.empty(C, np.bool_)
    for g in range(len(conn_at) - 1):
        first = conn_at[g]
        for c in range(first, conn_at[g + 1]):
            key = ((src[c] + PAIR_SHIFT) << 32) + dst[c]  # input keys above -2**20, node keys below 2**32
            q = c
            while q > first and pair[q - 1] > key:
                pair[q], p_src[q], p_dst[q] = pair[q - 1], p_src[q - 1], p_dst[q - 1]
                p_weight[q], p_enabled[q] = p_weight[q - 1], p_enabled[q - 1]
                q -= 1
            pair[q], p_src[q], p_dst[q], p_weight[q], p_enabled[q] = key, src[c], dst[c], weight[c], enabled[c]
    return node_at, keys, bias, act, conn_at, pair, p_src, p_dst, p_weight, p_enabled


@njit(inline="always")
def _part(ka, xa, ya, a, a_end, kb, xb, yb, b, b_end, disjoint, weight):
    """One part of the distance: genes keyed by the sorted ``ka[a:a_end]`` and ``kb[b:b_end]``, a matching
    pair differing by ``|x difference| + (y differs)``."""
    n = max(a_end - a, b_end - b)
    if n == 0:
        return 0.0
    genes = a_end - a + b_end - b
    same, diff = 0, 0.0
    while a < a_end and b < b_end:  # both keys move on when they match: no three-way branch
        x, y = ka[a], kb[b]
        if x == y:
            diff += abs(xa[a] - xb[b]) + (ya[a] != yb[b])
            same += 1
        a += x <= y
        b += y <= x
    return (weight * diff + disjoint * (genes - 2 * same)) / n


@njit
def distance_packed(pa, i, pb, j, disjoint, weight):
    """:func:`distance` between genome ``i`` of the packed genomes ``pa`` and genome ``j`` of ``pb``
    (:func:`pack`): a merge of the sorted node keys, then of the sorted connection keys (innovation numbers,
    or the pair keys of :func:`by_pair`)."""
    an, ak, ab, aa, ac, ai, _, _, aw, ae = pa
    bn, bk, bb, ba, bc, bi, _, _, bw, be = pb
    nodes = _part(ak, ab, aa, an[i], an[i + 1], bk, bb, ba, bn[j], bn[j + 1], disjoint, weight)
    return nodes + _part(ai, aw, ae, ac[i], ac[i + 1], bi, bw, be, bc[j], bc[j + 1], disjoint, weight)


def distance(a: Genome, b: Genome, disjoint: float, weight: float) -> float:
    """neat-python's compatibility distance between two genomes (:mod:`evo.algorithms.neat` gives the formula):
    nodes matched by key, connections by their ends (:func:`by_pair`)."""
    return float(kernels().distance_packed(by_pair(pack([a])), 0, by_pair(pack([b])), 0, float(disjoint),
                                           float(weight)))


@njit
def speciate_packed(pop, reps, threshold, disjoint, weight):
    """Species of the packed population ``pop`` given the packed old representatives ``reps`` (one per
    species, in order): each old species takes the genome nearest its representative (the first on ties)
    as its new one, or vanishes when none is left; then every other genome, in order, joins the species
    whose representative is nearest (the first on ties) if nearer than ``threshold``, or founds a new
    species after the others. Returns ``(species of each genome, representative of each species)``, -1
    for a vanished species' representative.

    The tuples' fields are unpacked once and each distance written out as its two parts: indexing a tuple
    of arrays, or a helper taking them all, in the loop ran several times slower."""
    pn, pk, pb, pa, pc, pi, _, _, pw, pe = pop
    rn, rk, rb, ra, rc, ri, _, _, rw, re = reps
    P, R = len(pn) - 1, len(rn) - 1
    of = np.full(P, -1, np.int64)
    rep = np.full(R + P, -1, np.int64)
    for r in range(R):
        best, near = np.inf, -1
        for i in range(P):
            if of[i] < 0:
                d = (_part(rk, rb, ra, rn[r], rn[r + 1], pk, pb, pa, pn[i], pn[i + 1], disjoint, weight)
                     + _part(ri, rw, re, rc[r], rc[r + 1], pi, pw, pe, pc[i], pc[i + 1], disjoint, weight))
                if d < best:
                    best, near = d, i
        if near >= 0:
            of[near] = r
            rep[r] = near
    count = R
    for i in range(P):
        if of[i] >= 0:
            continue
        best, found = np.inf, -1
        for s in range(count):
            if rep[s] >= 0:
                j = rep[s]
                d = (_part(pk, pb, pa, pn[j], pn[j + 1], pk, pb, pa, pn[i], pn[i + 1], disjoint, weight)
                     + _part(pi, pw, pe, pc[j], pc[j + 1], pi, pw, pe, pc[i], pc[i + 1], disjoint, weight))
                if d < best:
                    best, found = d, s
        if found >= 0 and best < threshold:
            of[i] = found
        else:
            of[i] = count
            rep[count] = i
            count += 1
    return of, rep[:count]


@njit
def take(pk, rows):
    """The packed genomes ``rows`` of ``pk``, in that order, packed."""
    node_at, keys, bias, act, conn_at, innov, src, dst, weight, enabled = pk
    K = len(rows)
    out_n = np.zeros(K + 1, np.int64)
    out_c = np.zeros(K + 1, np.int64)
    for k in range(K):
        r = rows[k]
        out_n[k + 1] = out_n[k] + node_at[r + 1] - node_at[r]
        out_c[k + 1] = out_c[k] + conn_at[r + 1] - conn_at[r]
    o_keys, o_bias, o_act = np.empty(out_n[K], np.int64), np.empty(out_n[K], np.float64), np.empty(out_n[K], np.int64)
    o_innov, o_src, o_dst = np.empty(out_c[K], np.int64), np.empty(out_c[K], np.int64), np.empty(out_c[K], np.int64)
    o_weight, o_enabled = np.empty(out_c[K], np.float64), np.empty(out_c[K], np.bool_)
    for k in range(K):
        r = rows[k]
        a, b = out_n[k], node_at[r]
        for q in range(out_n[k + 1] - a):
            o_keys[a + q], o_bias[a + q], o_act[a + q] = keys[b + q], bias[b + q], act[b + q]
        a, b = out_c[k], conn_at[r]
        for q in range(out_c[k + 1] - a):
            o_innov[a + q], o_src[a + q], o_dst[a + q] = innov[b + q], src[b + q], dst[b + q]
            o_weight[a + q], o_enabled[a + q] = weight[b + q], enabled[b + q]
    return out_n, o_keys, o_bias, o_act, out_c, o_innov, o_src, o_dst, o_weight, o_enabled


@njit
def speciate(pk, reps, kept, threshold, disjoint, weight):
    """:func:`speciate_packed` of the packed population ``pk`` (:func:`by_pair` taken here) and the
    representatives ``reps[kept]`` (``reps`` in :func:`by_pair`'s form), as the algorithm keeps them. Returns ``(place,
    rep, members, counts, new_reps)``: each genome's place among the species left (the old ones in order,
    then the new), every species' representative (-1: vanished), the genome indices grouped by place (in
    index order within a species), the size of each species left, and the representatives of those
    species in :func:`by_pair`'s form."""
    view = _by_pair(pk)
    of, rep = speciate_packed(view, take(reps, kept), threshold, disjoint, weight)
    place = np.empty(len(rep), np.int64)
    live = 0
    for s in range(len(rep)):
        place[s] = live
        live += rep[s] >= 0
    heads = np.empty(live, np.int64)  # the representatives of the species left
    for s in range(len(rep)):
        if rep[s] >= 0:
            heads[place[s]] = rep[s]
    counts = np.zeros(live, np.int64)
    for i in range(len(of)):
        of[i] = place[of[i]]
        counts[of[i]] += 1
    at = np.zeros(live + 1, np.int64)
    for s in range(live):
        at[s + 1] = at[s] + counts[s]
    members = np.empty(len(of), np.int64)
    for i in range(len(of)):  # a stable counting sort by place
        members[at[of[i]]] = i
        at[of[i]] += 1
    return of, rep, members, counts, take(view, heads)


def crossover(fitter: Genome, other: Genome, rng: np.random.Generator) -> Genome:
    """A child with ``fitter``'s genes, where each attribute of a gene ``other`` shares (the same node key,
    the same innovation number) comes from either parent at random: a node's bias, then its activation;
    a connection's weight, then its enabled flag, and a connection disabled in either parent is then
    disabled with probability 3/4 (neat-python's rule, after the NEAT paper). Disjoint and excess genes
    come from ``fitter``. Draws two numbers per matching node, in key order, then two per matching
    connection, in innovation order, and a third for a connection disabled in either parent."""
    child = fitter.copy()
    _, ia, ib = np.intersect1d(fitter.keys, other.keys, assume_unique=True, return_indices=True)
    for a, b in zip(ia.tolist(), ib.tolist()):
        if rng.random() < 0.5:
            child.bias[a] = other.bias[b]
        if rng.random() < 0.5:
            child.act[a] = other.act[b]
    _, ia, ib = np.intersect1d(fitter.innov, other.innov, assume_unique=True, return_indices=True)
    for a, b in zip(ia.tolist(), ib.tolist()):
        off = not (fitter.enabled[a] and other.enabled[b])
        if rng.random() < 0.5:
            child.weight[a] = other.weight[b]
        if rng.random() < 0.5:
            child.enabled[a] = other.enabled[b]
        if off and rng.random() < 0.75:
            child.enabled[a] = False
    return child


def reaches(genome: Genome, start: int, goal: int) -> bool:
    """Whether a path of connections (enabled or not) leads from node ``start`` to ``goal``."""
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for d in genome.dst[genome.src == node]:
            if int(d) not in seen:
                seen.add(int(d))
                todo.append(int(d))
    return False


KERNELS_TEMPLATE = '''\
"""NEAT's speciation kernels (generated by evo.networks.neat_genome; do not edit): cached in the kernel
cache, so a new process loads them rather than compiling them again."""
from numba import njit
from evo.networks.neat_genome import (speciate_packed as _speciate_packed, distance_packed as _distance_packed,
                                      speciate as _speciate, _by_pair, take as _take)


@njit(cache=True)
def speciate_packed(pop, reps, threshold, disjoint, weight):
    return _speciate_packed(pop, reps, threshold, disjoint, weight)


@njit(cache=True)
def distance_packed(pa, i, pb, j, disjoint, weight):
    return _distance_packed(pa, i, pb, j, disjoint, weight)


@njit(cache=True)
def speciate(pk, reps, kept, threshold, disjoint, weight):
    return _speciate(pk, reps, kept, threshold, disjoint, weight)


@njit(cache=True)
def by_pair(pk):
    return _by_pair(pk)


@njit(cache=True)
def take(pk, rows):
    return _take(pk, rows)
'''


@functools.cache
def kernels():
    """The cached module of :data:`KERNELS_TEMPLATE` (:func:`speciate_packed`, :func:`distance_packed`,
    :func:`speciate`, :func:`by_pair`, :func:`take`), compiled once per kernel cache."""
    from envs.specialise import specialise
    return specialise(KERNELS_TEMPLATE, "neat_species")
