"""NEAT networks compiled to flat float32 rows that the fused rollout plays.

A NEAT genome (:mod:`evo.algorithms.neat`) is a graph: input nodes, output
nodes, hidden nodes added by mutation, and weighted connections between them,
each enabled or not. Every generation the algorithm compiles each genome into
one row of a ``(P, G)`` float32 array, the same kind of population every other
network kind hands the rollout, so one generated kernel plays all topologies
of a generation at once. ``G`` depends only on the network's capacity
(``max_nodes`` non-input nodes, ``max_conns`` enabled connections), never on a
genome, so rows of any topology stack into one array and checkpoints keep one
shape. A row holds, in this order::

    [n_nodes, n_conns]                                     the counts used
    [slot, bias, activation, conn_end] * max_nodes          non-input nodes in topological order
    [source slot, weight] * max_conns                       enabled connections, grouped by destination

Values live in a scratch array of ``num_inputs + max_nodes`` slots: input
``i`` in slot ``i``, output ``j`` in slot ``num_inputs + j``, hidden nodes
after the outputs. Node ``k`` of the order reads the connections from the
previous node's ``conn_end`` up to its own, so one pass over the nodes and one
pass over the connections evaluate the network:
``value[slot] = activation(bias + sum(weight * value[source]))``, summed in
the row's order in float32 (the result does not depend on threads). Integers
are stored as float32, exact below 2**24. Only feed-forward graphs compile.

:class:`Genome` is the graph itself, with the operators that read two genomes
(:func:`distance`, :func:`crossover`, from :mod:`evo.networks.neat_genome`);
:mod:`evo.algorithms.neat` mutates and breeds them. A population travels as
one tuple of concatenated arrays (:func:`pack`): :func:`speciate_packed` sorts
it into species and :func:`compile_packed` writes its rows.
:attr:`NEATNetwork.layout` (:class:`NEATLayout`), :meth:`NEATNetwork.topology`
and :meth:`NEATNetwork.to_dot` read a compiled row back, for the viewer and
for exports.

The activation functions are those of neat-python, by the same names
(:data:`ACTIVATIONS`): ``sigmoid`` is ``1 / (1 + exp(-5 x))`` and ``tanh`` is
``tanh(2.5 x)``, so a neat-python config means the same here.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
from numba import njit

from evo._validation import check_int
from evo.networks.mlp import act_one as _act_one, fast_tanh
from evo.networks.neat_genome import (Genome, crossover, distance, distance_packed, pack,  # noqa: F401 (public here)
                                      reaches, speciate_packed)

ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "clamped", "abs", "gauss", "sin", "square")
"""Node activation functions by name; a node stores its function's index in this tuple."""
HEAD = 2
"""Values before the nodes: the number of nodes and of connections used."""
NODE = 4
"""Values per node: its value slot, bias, activation index and the end of its connections."""
CONN = 2
"""Values per connection: its source's value slot and its weight."""

_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


@njit(error_model="numpy", inline="always")
def activate(x, kind):
    """Activation ``kind`` (an index into :data:`ACTIVATIONS`) of the float32 ``x``, as neat-python defines it."""
    if kind == 1:  # sigmoid(5x) = (1 + tanh(2.5x)) / 2
        return _HALF * (_ONE + fast_tanh(np.float32(2.5) * x))
    if kind == 2:
        return fast_tanh(np.float32(2.5) * x)
    if kind == 3:
        return max(x, _ZERO)
    if kind == 4:
        return min(max(x, -_ONE), _ONE)
    if kind == 5:
        return abs(x)
    if kind == 6:
        x = min(max(x, np.float32(-3.4)), np.float32(3.4))
        return np.float32(math.exp(np.float32(-5.0) * x * x))
    if kind == 7:
        x = min(max(x, np.float32(-60.0)), np.float32(60.0))
        return np.float32(math.sin(np.float32(5.0) * x))
    if kind == 8:
        return x * x
    return x


@njit(error_model="numpy", inline="always")
def _nodes(row, n, conns_at, values, dest, offset):
    """Compute the row's ``n`` nodes in order from ``values`` (a slot per input and node), each into
    ``dest[slot - offset]``."""
    c = 0
    for k in range(n):
        at = HEAD + NODE * k
        end = int(row[at + 3])
        s = _ZERO
        while c < end:
            s += row[conns_at + CONN * c + 1] * values[int(row[conns_at + CONN * c])]
            c += 1
        dest[int(row[at]) - offset] = activate(row[at + 1] + s, int(row[at + 2]))


@njit(error_model="numpy")
def forward_row(row, x, n_in, n_out, conns_at, values, out):
    """Evaluate one compiled row on the float32 inputs ``x``; writes the outputs into ``out``.

    ``conns_at`` is where the row's connections begin (``HEAD + NODE * max_nodes``), ``values`` float32
    scratch of at least ``n_in + max_nodes`` slots.
    """
    for i in range(n_in):
        values[i] = x[i]
    _nodes(row, int(row[0]), conns_at, values, values, 0)  # in topological order: each reads this step's
    for j in range(n_out):
        out[j] = values[n_in + j]


@njit(error_model="numpy")
def step_row(row, x, n_in, n_out, conns_at, memory, values, out):
    """One step of a recurrent compiled row: every node reads the inputs ``x`` and the other nodes' values
    of the previous step, ``memory`` (float32, a value per non-input slot: output ``j`` at ``j``, hidden
    nodes after the outputs), which then holds this step's; writes the outputs into ``out``. ``values``
    is float32 scratch of at least ``n_in + max_nodes`` slots."""
    n = int(row[0])
    for i in range(n_in):
        values[i] = x[i]
    for k in range(n):
        values[n_in + k] = memory[k]
    _nodes(row, n, conns_at, values, memory, n_in)
    for j in range(n_out):
        out[j] = memory[j]


# The population loops run without reference counting (_nrt=False; their arrays belong to the caller): with
# it, every row and output taken from a 2-D array was counted in and out, which cost as much as the network.
@njit(error_model="numpy", _nrt=False)
def _step_rows(rows, obs, memory, n_in, n_out, conns_at, values, out):
    for p in range(rows.shape[0]):
        step_row(rows[p], obs[p], n_in, n_out, conns_at, memory[p], values, out[p])


@njit(error_model="numpy", _nrt=False)
def _forward_rows(rows, obs, n_in, n_out, conns_at, values, out):
    for p in range(rows.shape[0]):
        forward_row(rows[p], obs[p], n_in, n_out, conns_at, values, out[p])


@njit(error_model="numpy", _nrt=False)
def _forward_cases(rows, cases, n_in, n_out, conns_at, values, out):
    """:func:`forward_row` of every row on every case, a row's node read once for all cases (``values``:
    a row of scratch slots per case); each case's sums in the same order as :func:`forward_row`'s."""
    N = cases.shape[0]
    for p in range(rows.shape[0]):
        row = rows[p]
        for n in range(N):
            for i in range(n_in):
                values[n, i] = cases[n, i]
        c = 0
        for k in range(int(row[0])):
            at = HEAD + NODE * k
            end, slot, bias, kind = int(row[at + 3]), int(row[at]), row[at + 1], int(row[at + 2])
            for n in range(N):
                s = _ZERO
                for q in range(c, end):
                    s += row[conns_at + CONN * q + 1] * values[n, int(row[conns_at + CONN * q])]
                values[n, slot] = activate(bias + s, kind)
            c = end
        for n in range(N):
            for j in range(n_out):
                out[p, n, j] = values[n, n_in + j]


@njit(error_model="numpy")
def _act_rows(outputs, discrete, actions):
    for p in range(outputs.shape[0]):
        _act_one(outputs[p], discrete, actions[p])


NETWORK_TEMPLATE = '''\
"""NEAT rows of one capacity as a network module of the fused rollout (generated by evo.networks.neat; do not edit).

The names every network module provides (:mod:`evo.kernels.episode`): the memory (a recurrent network's
node values of the previous step, zero at every episode's start; none for a feed-forward one), the value
slots as work array, one step for one agent; no lockstep block.
"""
from numba import njit
from evo.networks.neat import $kernel as _play

N_IN = $n_in
N_OUT = $n_out
_CONNS = $conns_at
MEMORY = $memory
WORK_A = $width  # a value slot per input and per node
WORK_B = 1
LOCKSTEP = False


@njit(inline="always")
def reset(memory):
    memory[:] = 0.0


@njit(inline="always")
def step(genome, obs, memory, work_a, work_b, out):
    _play(genome, obs, N_IN, N_OUT, _CONNS, memory, work_a, out)
'''


@njit(error_model="numpy", inline="always")
def play_row(row, x, n_in, n_out, conns_at, memory, values, out):
    """:func:`forward_row` with :func:`step_row`'s arguments (a feed-forward row keeps no memory)."""
    forward_row(row, x, n_in, n_out, conns_at, values, out)


@njit
def compile_packed(pk, n_in, n_out, conns_at, rows, recurrent=False):
    """Write every packed genome (:func:`pack`) as a row of ``rows`` (every value of the row written, unused
    ones 0). Returns -1 when all compiled; ``-2 - i`` when genome ``i`` is the first with more nodes or
    enabled connections than a row holds (then no row is written); else the index of the first genome
    whose enabled connections form a cycle. The nodes run in topological order, the smallest ready key
    first (``recurrent``: in key order, cycles allowed); each node's connections in order of their source's
    key."""
    node_at, conn_at, enabled = pk[0], pk[4], pk[9]
    P = len(node_at) - 1
    max_nodes, max_conns = (conns_at - HEAD) // NODE, (rows.shape[1] - conns_at) // CONN
    most_n, most_c = 1, 1
    for p in range(P):
        on = 0
        for c in range(conn_at[p], conn_at[p + 1]):
            on += enabled[c]
        if node_at[p + 1] - node_at[p] > max_nodes or on > max_conns:
            return -2 - p
        most_n = max(most_n, node_at[p + 1] - node_at[p])
        most_c = max(most_c, conn_at[p + 1] - conn_at[p])
    keys, bias, act, src, dst, weight = pk[1], pk[2], pk[3], pk[6], pk[7], pk[8]
    slot, waiting, done = np.empty(most_n, np.int64), np.empty(most_n, np.int64), np.empty(most_n, np.bool_)
    src_node, dst_node, src_slot = np.empty(most_c, np.int64), np.empty(most_c, np.int64), np.empty(most_c, np.int64)
    for p in range(P):
        row = rows[p]
        n0, c0 = node_at[p], conn_at[p]
        n, nc = node_at[p + 1] - n0, conn_at[p + 1] - c0
        for k in range(n):  # keys are sorted: outputs first, then hidden nodes by key
            key = keys[n0 + k]
            slot[k] = n_in + key if key < n_out else n_in + k
            waiting[k] = 0
            done[k] = False
        for c in range(nc):  # the node index of each enabled connection's ends (-1: none, not played)
            src_node[c], dst_node[c] = -1, -1
            if not enabled[c0 + c]:
                continue
            s, d = src[c0 + c], dst[c0 + c]
            src_slot[c] = -s - 1
            for k in range(n):
                if keys[n0 + k] == s:
                    src_node[c] = k
                    src_slot[c] = slot[k]
                if keys[n0 + k] == d:
                    dst_node[c] = k
            if s >= 0 and src_node[c] < 0:
                dst_node[c] = -1  # from a node the genome does not have: not played
            elif src_node[c] >= 0 and dst_node[c] >= 0:
                waiting[dst_node[c]] += 1
        used = 0
        for m in range(n):
            k = -1
            for q in range(n):  # the smallest ready key (keys are sorted)
                if not done[q] and (recurrent or waiting[q] == 0):
                    k = q
                    break
            if k < 0:
                return p
            done[k] = True
            last = np.iinfo(np.int64).min
            while True:  # this node's connections, by source key
                pick, low = -1, np.iinfo(np.int64).max
                for c in range(nc):
                    s = src[c0 + c]
                    if dst_node[c] == k and last < s < low:
                        pick, low = c, s
                if pick < 0:
                    break
                last = low
                row[conns_at + CONN * used] = src_slot[pick]
                row[conns_at + CONN * used + 1] = weight[c0 + pick]
                used += 1
            for c in range(nc):
                if src_node[c] == k and dst_node[c] >= 0:
                    waiting[dst_node[c]] -= 1
            at = HEAD + NODE * m
            row[at] = slot[k]
            row[at + 1] = bias[n0 + k]
            row[at + 2] = act[n0 + k]
            row[at + 3] = used
        row[0] = n
        row[1] = used
        row[HEAD + NODE * n:conns_at] = 0.0  # slices: a loop of single stores here cost more than the rest
        row[conns_at + CONN * used:] = 0.0
    return -1


KERNELS_TEMPLATE = '''\
"""NEAT's population kernels (generated by evo.networks.neat; do not edit): cached in the kernel cache,
so a new process loads them rather than compiling them again."""
import numpy as np
from numba import njit
from evo.networks.neat import compile_packed as _compile_packed, _forward_rows, _forward_cases, _step_rows, _act_rows


@njit(cache=True)
def compile_packed(pk, n_in, n_out, conns_at, rows, recurrent):
    return _compile_packed(pk, n_in, n_out, conns_at, rows, recurrent)


@njit(cache=True)
def step_rows(rows, obs, memory, n_in, n_out, conns_at, width, out):
    _step_rows(rows, obs, memory, n_in, n_out, conns_at, np.empty(width, np.float32), out)


@njit(cache=True)
def forward_rows(rows, obs, n_in, n_out, conns_at, width, out):
    _forward_rows(rows, obs, n_in, n_out, conns_at, np.empty(width, np.float32), out)


@njit(cache=True)
def forward_cases(rows, cases, n_in, n_out, conns_at, width, out):
    _forward_cases(rows, cases, n_in, n_out, conns_at, np.empty((cases.shape[0], width), np.float32), out)


@njit(cache=True)
def act_rows(outputs, discrete, actions):
    _act_rows(outputs, discrete, actions)
'''


@functools.cache
def kernels():
    """The cached module of :data:`KERNELS_TEMPLATE`: :func:`compile_packed` and the population forward
    passes, compiled once per kernel cache."""
    from envs.specialise import specialise
    return specialise(KERNELS_TEMPLATE, "neat_kernels")


class NEATLayout:
    """What a viewer reads to draw a compiled row: the graph with every node's depth, and node values.

    ``net.layout`` of a :class:`NEATNetwork`.
    """

    def __init__(self, net: "NEATNetwork"):
        self.net = net

    def graph(self, row: np.ndarray) -> tuple:
        """``(nodes, edges)`` of a row: ``nodes`` a list of ``(slot, kind, depth)`` (inputs first, at depth 0,
        then the others in the order they are computed, each one deeper than its deepest source, outputs
        at the greatest depth), ``edges`` a list of ``(source slot, destination slot, weight)``."""
        net = self.net
        row = np.asarray(row, np.float32)
        depth = {i: 0 for i in range(net.num_inputs)}
        nodes, edges, c = [], [], 0
        for k in range(int(row[0])):
            slot, _, _, end = (int(v) for v in row[HEAD + NODE * k:HEAD + NODE * (k + 1)])
            sources = [int(row[net.conns_at + CONN * i]) for i in range(c, end)]
            edges += [(s, slot, float(row[net.conns_at + CONN * i + 1])) for s, i in zip(sources, range(c, end))]
            depth[slot] = 1 + max((depth.get(s, 0) for s in sources), default=0)  # recurrent: later ones count 0
            c = end
            nodes.append(slot)
        last = max([depth[s] for s in nodes] + [1])
        kinds = ["output" if s < net.num_inputs + net.num_outputs else "hidden" for s in nodes]
        placed = [(i, "input", 0) for i in range(net.num_inputs)]
        placed += [(s, kind, last if kind == "output" else depth[s]) for s, kind in zip(nodes, kinds)]
        return placed, edges

    def values(self, row: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Every value slot of the row on the input ``x`` (inputs, outputs, then hidden nodes), float32:
        what the rollout computes (a recurrent network: its first step of an episode)."""
        net = self.net
        row, x = np.asarray(row, np.float32), np.asarray(x, np.float32)
        values = np.zeros(net.width, np.float32)
        if net.recurrent:
            memory = np.zeros(net.max_nodes, np.float32)
            step_row(row, x, net.num_inputs, net.num_outputs, net.conns_at, memory, values,
                     np.empty(net.num_outputs, np.float32))
            values[net.num_inputs:] = memory
            return values
        forward_row(row, x, net.num_inputs, net.num_outputs, net.conns_at, values, np.empty(net.num_outputs, np.float32))
        return values


class NEATNetwork:
    """NEAT networks of a fixed capacity, as compiled rows of one length.

    Parameters
    ----------
    num_inputs, num_outputs : int
        Widths of the observation and of the output.
    max_nodes : int
        Most non-input nodes (outputs included) a genome may have.
    max_conns : int
        Most enabled connections a genome may have.
    recurrent : bool
        False (feed-forward): connections form no cycle and a step computes the nodes in topological
        order. True (neat-python's ``feed_forward = False``): connections may form cycles, and at every
        step each node reads the inputs and the other nodes' values of the previous step (zero at an
        episode's start), which the network keeps as its memory.

    Attributes
    ----------
    num_params : int
        Length ``G`` of a compiled row: ``2 + 4 * max_nodes + 2 * max_conns``.
    """

    lockstep = False
    """The lockstep kernel does not play NEAT rows; the per-agent kernel does."""

    def __init__(self, num_inputs: int, num_outputs: int, max_nodes: int = 64, max_conns: int = 256,
                 recurrent: bool = False):
        self.recurrent = bool(recurrent)
        self.num_inputs = check_int("NEAT inputs", num_inputs, 1)
        self.num_outputs = check_int("NEAT outputs", num_outputs, 1)
        self.max_nodes = check_int("NEAT max_nodes", max_nodes, self.num_outputs)
        self.max_conns = check_int("NEAT max_conns", max_conns, 1)
        if self.max_nodes + self.num_inputs >= 1 << 24 or self.max_conns >= 1 << 24:
            raise ValueError("NEAT max_nodes and max_conns must stay below 2**24 (stored as float32)")
        self.conns_at = HEAD + NODE * self.max_nodes
        self.num_params = self.conns_at + CONN * self.max_conns
        self.width = self.num_inputs + self.max_nodes
        self.memory = self.max_nodes if self.recurrent else 0  # float32 values an agent keeps between steps
        self.layout = NEATLayout(self)

    @property
    def sizes(self) -> tuple:
        """``(num_inputs, num_outputs)``, for messages that name a network's shape."""
        return (self.num_inputs, self.num_outputs)

    def __repr__(self) -> str:
        return (f"NEATNetwork({self.num_inputs}, {self.num_outputs}, max_nodes={self.max_nodes}, "
                f"max_conns={self.max_conns}{', recurrent=True' if self.recurrent else ''})")

    def to_dict(self) -> dict:
        return {"neat": True, "num_inputs": self.num_inputs, "num_outputs": self.num_outputs,
                "max_nodes": self.max_nodes, "max_conns": self.max_conns, "recurrent": self.recurrent}

    @classmethod
    def from_dict(cls, d: dict) -> "NEATNetwork":
        return cls(d["num_inputs"], d["num_outputs"], d["max_nodes"], d["max_conns"], d.get("recurrent", False))

    def compile(self, genome: Genome, out: np.ndarray | None = None) -> np.ndarray:
        """``genome`` as a row of shape (G,), float32 (written into ``out`` when given).

        Raises ValueError when the genome exceeds the capacity or its enabled connections form a cycle.
        """
        row = np.zeros(self.num_params, np.float32) if out is None else out
        self.compile_all([genome], row[None])
        return row

    def compile_all(self, genomes, rows: np.ndarray) -> np.ndarray:
        """Every genome of ``genomes`` as a row of ``rows`` (P, G) float32; ValueError as :meth:`compile`."""
        return self.compile_packed(pack(genomes), rows)

    def compile_packed(self, pk: tuple, rows: np.ndarray) -> np.ndarray:
        """Every genome of the packed ``pk`` (:func:`pack`) as a row of ``rows``; ValueError as :meth:`compile`."""
        if rows.ndim != 2 or rows.shape != (len(pk[0]) - 1, self.num_params) or rows.dtype != np.float32:
            raise ValueError(f"rows must be float32 of shape ({len(pk[0]) - 1}, {self.num_params}), got "
                             f"{rows.dtype} {rows.shape}")
        failed = kernels().compile_packed(pk, self.num_inputs, self.num_outputs, self.conns_at, rows, self.recurrent)
        if failed <= -2:
            i = -2 - failed
            nodes, on = pk[0][i + 1] - pk[0][i], int(pk[9][pk[4][i]:pk[4][i + 1]].sum())
            raise ValueError(f"a genome of {nodes} nodes and {on} connections exceeds the capacity "
                             f"({self.max_nodes} nodes, {self.max_conns} connections)")
        if failed >= 0:
            raise ValueError("the genome's connections form a cycle; only feed-forward genomes compile")
        return rows

    def _name(self, slot: int) -> str:
        if slot < self.num_inputs:
            return f"in{slot}"
        if slot < self.num_inputs + self.num_outputs:
            return f"out{slot - self.num_inputs}"
        return f"h{slot - self.num_inputs - self.num_outputs}"

    def topology(self, row: np.ndarray) -> dict:
        """The network a compiled row plays, as plain data: ``nodes`` (every input, then the non-input
        nodes in the order they are computed, each with its ``name`` (``in0``, ``out0``, ``h0``...),
        ``bias`` and ``activation``) and ``connections`` (``from``, ``to``, ``weight``, by name)."""
        row = np.asarray(row, np.float32)
        if row.shape != (self.num_params,):
            raise ValueError(f"a NEAT row must have shape ({self.num_params},), got {row.shape}")
        nodes = [{"name": self._name(i), "kind": "input"} for i in range(self.num_inputs)]
        links, c = [], 0
        for k in range(int(row[0])):
            slot, bias, act, end = row[HEAD + NODE * k:HEAD + NODE * (k + 1)]
            name = self._name(int(slot))
            nodes.append({"name": name, "kind": "output" if name.startswith("out") else "hidden",
                          "bias": float(bias), "activation": ACTIVATIONS[int(act)]})
            for c in range(c, int(end)):
                at = self.conns_at + CONN * c
                links.append({"from": self._name(int(row[at])), "to": name, "weight": float(row[at + 1])})
            c = int(end)
        return {"nodes": nodes, "connections": links}

    def to_dot(self, row: np.ndarray, title: str = "") -> str:
        """A compiled row as a Graphviz digraph: inputs at the top, outputs at the bottom, each edge's width
        by its weight's size and its colour by its sign (blue positive, red negative)."""
        t = self.topology(row)
        lines = ["// neuroevo NEAT network", "digraph neat {", "  rankdir=TB;", '  node [shape=circle, fontsize=10];']
        if title:
            lines.append(f"  label={json.dumps(title)};")
        for kind, shape in (("input", "box"), ("output", "doublecircle")):
            names = " ".join(f'"{n["name"]}"' for n in t["nodes"] if n["kind"] == kind)
            lines.append(f"  {{ rank={'source' if kind == 'input' else 'sink'}; node [shape={shape}]; {names} }}")
        for n in t["nodes"]:
            if n["kind"] != "input":
                lines.append(f'  "{n["name"]}" [tooltip="bias {n["bias"]:.4g}, {n["activation"]}"];')
        for e in t["connections"]:
            w = e["weight"]
            lines.append(f'  "{e["from"]}" -> "{e["to"]}" [color="{"blue" if w >= 0 else "red"}", '
                         f'penwidth={0.5 + min(abs(w), 5.0):.2f}, tooltip="{w:.4g}"];')
        return "\n".join(lines + ["}"]) + "\n"

    def forward(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
        """Outputs of every compiled row on its own observation row.

        Parameters
        ----------
        genomes : ndarray of shape (P, G)
        obs : ndarray of shape (P, num_inputs)
        state : ndarray of shape (P, max_nodes), float32, optional
            Recurrent networks only: the nodes' values of the previous step (:meth:`initial_state`; zeros
            when None), updated in place to this step's.

        Returns
        -------
        ndarray of shape (P, num_outputs), float32
        """
        genomes, obs = (np.ascontiguousarray(a, dtype=np.float32) for a in (genomes, obs))
        P = len(genomes)
        if genomes.shape != (P, self.num_params) or obs.shape != (P, self.num_inputs):
            raise ValueError(f"genomes and obs must have shapes (P, {self.num_params}) and (P, {self.num_inputs}), "
                             f"got {genomes.shape} and {obs.shape}")
        out = np.empty((P, self.num_outputs), np.float32)
        if not self.recurrent:
            if state is not None:
                raise ValueError("a feed-forward NEAT network keeps no state")
            kernels().forward_rows(genomes, obs, self.num_inputs, self.num_outputs, self.conns_at, self.width, out)
            return out
        state = self.initial_state(P) if state is None else state
        if not isinstance(state, np.ndarray) or state.shape != (P, self.max_nodes) or state.dtype != np.float32 \
                or not state.flags.c_contiguous or not state.flags.writeable:
            raise ValueError(f"state must be a writable C-contiguous float32 array of shape (P, {self.max_nodes})")
        kernels().step_rows(genomes, obs, state, self.num_inputs, self.num_outputs, self.conns_at, self.width, out)
        return out

    def forward_cases(self, genomes: np.ndarray, cases: np.ndarray) -> np.ndarray:
        """Outputs of every compiled row on every row of ``cases`` (a data set every network sees), in
        one kernel call.

        Parameters
        ----------
        genomes : ndarray of shape (P, G)
        cases : ndarray of shape (N, num_inputs)

        Returns
        -------
        ndarray of shape (P, N, num_outputs), float32: ``forward_cases(g, x)[:, n]`` equals
        ``forward(g, x[n] repeated P times)``.
        """
        if self.recurrent:
            raise ValueError("forward_cases plays feed-forward NEAT networks; a recurrent one steps with forward")
        genomes, cases = np.ascontiguousarray(genomes, dtype=np.float32), np.ascontiguousarray(cases, dtype=np.float32)
        if genomes.ndim != 2 or genomes.shape[1] != self.num_params or cases.ndim != 2 \
                or cases.shape[1] != self.num_inputs:
            raise ValueError(f"genomes and cases must have shapes (P, {self.num_params}) and (N, {self.num_inputs}), "
                             f"got {genomes.shape} and {cases.shape}")
        out = np.empty((len(genomes), len(cases), self.num_outputs), np.float32)
        kernels().forward_cases(genomes, cases, self.num_inputs, self.num_outputs, self.conns_at, self.width, out)
        return out

    def network_module(self, lanes: int):
        """This capacity's network module (:data:`NETWORK_TEMPLATE`), compiled on first use or loaded from
        the cache; ``lanes`` is not used (no lockstep block)."""
        from envs.specialise import specialise
        return specialise(NETWORK_TEMPLATE, "neat_recurrent" if self.recurrent else "neat",
                          kernel="step_row" if self.recurrent else "play_row", memory=str(self.memory),
                          n_in=str(self.num_inputs), n_out=str(self.num_outputs), conns_at=str(self.conns_at),
                          width=str(self.width))

    def init(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Not available: NEAT's rows are compiled from genomes (:meth:`evo.algorithms.neat.NEAT.ask`),
        never drawn as flat genes. Raises TypeError."""
        raise TypeError("NEAT rows are compiled from genomes by evo.neat.NEAT.ask(), not drawn by a network")

    def initial_state(self, n: int) -> np.ndarray:
        """The state at an episode's start: zeros of shape (n, max_nodes) for a recurrent network; an
        empty state of shape (n, 0), as for an MLP, for a feed-forward one."""
        n = check_int("number of genomes", n, 0)
        return np.zeros((n, self.max_nodes if self.recurrent else 0), dtype=np.float32)

    def step(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray, num_actions: int | None) -> tuple:
        """``(actions, new state)``, the surface every network kind shares (:meth:`act`'s actions; the state
        is a new array)."""
        if not self.recurrent:
            return self.act(genomes, obs, num_actions), state
        state = np.array(state, dtype=np.float32, order="C")
        return self._actions(self.forward(genomes, obs, state), num_actions), state

    def act(self, genomes: np.ndarray, obs: np.ndarray, num_actions: int | None) -> np.ndarray:
        """Actions for a game, as the fused rollout takes them (a recurrent network: one step from its
        initial state): the argmax index (P,) int64 when ``num_actions`` is set, else tanh of the outputs
        (P, num_outputs) float64."""
        return self._actions(self.forward(genomes, obs), num_actions)

    def _actions(self, outputs: np.ndarray, num_actions: int | None) -> np.ndarray:
        actions = np.empty((len(outputs), self.num_outputs), np.float64)
        kernels().act_rows(outputs, num_actions is not None, actions)
        return actions[:, 0].astype(np.int64) if num_actions is not None else actions
