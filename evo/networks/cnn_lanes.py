"""The lockstep block of a CNN: ``LANES`` genomes stepped together, each exactly as :mod:`evo.networks.cnn` steps one.

A block is one float32 array ``mem`` holding, in this order:

- the lanes' genomes, gene by gene, each gene beside the same gene of the
  other lanes (gene ``k`` of lane ``l`` at ``k * LANES + l``), so a genome is
  stored in the CNN's own gene order (:mod:`evo.networks.cnn`, input-major);
- the inputs, ``N_IN * LANES`` values, input ``i`` of lane ``l`` at
  ``i * LANES + l``, the image in (channel, row, column) order as the game
  draws it;
- two work buffers of ``WORK_A * LANES`` values each, which the layers fill in
  turn: a convolution's maps channel-last, value ``(r, c, o)`` of lane ``l`` at
  ``((r * OW + c) * O + o) * LANES + l``, a dense layer's unit ``j`` at
  ``j * LANES + l``.

Every lane computes what the per-agent step computes for its genome, the same
float32 operations in the same order: each output starts at zero, takes its
terms one at a time in the per-agent order (a convolution's over ``(i, u, v)``,
a dense layer's over its inputs), then its bias, then the same activation code.
The loop over the lanes is the innermost everywhere, so the compiler
vectorises across lanes, and no value crosses lanes.
"""

from __future__ import annotations


def _sums(n, loops, out, first, terms, bias, act, L):
    """Source lines of one layer: under ``loops`` (``(variable, count)`` pairs, outermost first), for every
    lane ``l`` a scalar sum that starts at zero, takes ``terms`` (pairs of source offsets: the gene's
    value of lane ``l`` in ``genes``, the input's in ``src``) one at a time, then the bias, and is stored
    at ``out + l`` of ``dst``; then the layer's activation over its ``n`` values."""
    lines, pad = [], "    "
    for variable, count in loops:
        lines.append(f"{pad}for {variable} in range({count}):")
        pad += "    "
    lines += [f"{pad}{first}", f"{pad}for l in range({L}):", f"{pad}    s = _ZERO"]
    lines += [f"{pad}    s += genes[{w} + l] * src[{x} + l]" for w, x in terms]
    lines += [f"{pad}    dst[{out} + l] = s + genes[{bias} + l]", f"    _activate(dst, {n}, {int(act)})"]
    return lines


def lanes_source(layout, acts: tuple, agent: str, lanes: int) -> str:
    """Source of the network module of one CNN shape with a lockstep block of ``lanes`` agents.

    ``layout``: the network's :class:`evo.networks.cnn.CNNLayout`; ``acts``: the activation code of
    every convolution, then of every dense layer; ``agent``: the name of the shape's per-agent module
    (:func:`evo.networks.cnn.network_source`), whose names the module passes on. Every layer is a
    function of its own, its terms written out one per line (offsets as numbers), so that the loop
    over the lanes is the innermost loop and each lane's sum a scalar, which the compiler vectorises
    across lanes while every sum keeps its order.
    """
    L = int(lanes)
    layers, calls, work = [], [], ("work_a", "work_b")
    src, strides = "x", None
    for n, l in enumerate(layout.conv):
        C, H, W = l.in_shape
        cs, ys, xs = (H * W, W, 1) if strides is None else strides
        O, K, S = l.out_channels, l.kernel, l.stride
        OC, OH, OW = l.out_shape
        terms = [(f"wb + {(l.offset + ((i * K + u) * K + v) * O) * L}", f"xb + {(i * cs + u * ys + v * xs) * L}")
                 for i in range(C) for u in range(K) for v in range(K)]
        first = f"xb = r * {S * ys * L} + c * {S * xs * L}; wb = o * {L}; d = ((r * {OW} + c) * {O} + o) * {L}"
        layers.append(_sums(OH * OW * O * L, (("r", OH), ("c", OW), ("o", O)), "d", first, terms,
                            f"wb + {(l.offset + C * K * K * O) * L}", acts[n], L))
        calls.append((src, work[n % 2]))
        src = work[n % 2]
        strides = (1, OW * OC, OC)
    OC, OH, OW = layout.conv[-1].out_shape
    for k, layer in enumerate(layout.layers):
        n = len(layout.conv) + k
        if k == 0:  # the flattened maps, channel-last in the buffer, taken in (channel, row, column) order
            at = [((r * OW + c) * OC + i) * L for i in range(OC) for r in range(OH) for c in range(OW)]
        else:
            at = [i * L for i in range(layer.n_in)]
        terms = [(f"wb + {(layer.offset + f * layer.n_out) * L}", str(x)) for f, x in enumerate(at)]
        layers.append(_sums(layer.n_out * L, (("j", layer.n_out),), "wb", f"wb = j * {L}", terms,
                            f"wb + {(layer.offset + layer.n_in * layer.n_out) * L}", acts[n], L))
        calls.append((src, work[n % 2]))
        src = work[n % 2]
    out = "_A" if src == "work_a" else "_B"
    defs = []
    for k, lines in enumerate(layers):
        defs += ["", "", '@njit(error_model="numpy", pipeline_class=_NoAlias)', f"def _layer{k}(genes, src, dst):",
                 *lines]
    defs = "\n".join(defs)
    body = "\n".join(f"    _layer{k}(genes, {a}, {b})" for k, (a, b) in enumerate(calls))
    return f'''\
"""A CNN of one shape with a lockstep block of {L} agents: the network module of the fused rollout
(generated by evo.networks.cnn_lanes; do not edit)."""
from numba import njit
from evo.kernels.threads import NoAlias as _NoAlias
from evo.networks.mlp import _activate, _ZERO
from {agent} import N_IN, N_OUT, MEMORY, WORK_A, WORK_B, reset, step

LOCKSTEP = True
LANES = {L}
GENES = {layout.num_params}
_X = GENES * LANES  # the lanes' genomes, then their inputs, then two work buffers
_A = _X + N_IN * LANES
_B = _A + WORK_A * LANES
BLOCK = _B + WORK_B * LANES


@njit(error_model="numpy")
def load_lane(mem, l, genome):
    for k in range(GENES):
        mem[k * LANES + l] = genome[k]


@njit(inline="always")
def reset_lane(mem, l):
    pass


@njit(inline="always")
def inputs(mem):
    return mem[_X:_A].reshape((N_IN, LANES))


# every layer reads the genomes and one part of the block and writes another, three arrays that never
# overlap (noalias): the compiler then keeps the lanes' sums in registers
{defs}


@njit(inline="always")
def _layers(genes, x, work_a, work_b):
{body}


@njit(inline="always")
def step_lanes(mem):
    _layers(mem[:_X], mem[_X:_A], mem[_A:_B], mem[_B:BLOCK])
    return {out}


@njit(inline="always")
def lane_agent(mem, l):
    # the block's work buffers and inputs, which no lane steps in any more
    return mem[:0], mem[_A:_A + WORK_A], mem[_B:_B + WORK_B], mem[_X:_X + N_OUT]
'''

