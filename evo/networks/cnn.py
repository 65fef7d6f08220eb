"""Convolutional networks whose weights are flat float32 genomes, for observations that are images.

``CNN(input_shape=(C, H, W), conv=[(8, 4, 2), (16, 3, 1)], dense=[32], outputs=3)``
reads a ``C x H x W`` image through two convolution layers (8 channels of 4 x 4
kernels at stride 2, then 16 channels of 3 x 3 kernels at stride 1), flattens
the last feature maps in (channel, row, column) order, and maps them through a
dense layer of 32 units to 3 outputs. Every convolution is a "valid"
cross-correlation (no padding, no kernel flip), as in most frameworks::

    y[o, r, c] = act(b[o] + sum_{i, u, v} w[o, i, u, v] * x[i, r * stride + u, c * stride + v])

with ``(H - kernel) // stride + 1`` rows out (columns alike). The ``hidden``
activation follows every convolution and every dense layer but the last, which
takes ``output``.

Genome layout
    Layer by layer, a layer's weights, then its biases. Weights are stored
    input-major, as :mod:`evo.networks.mlp` stores them, so that the weights a
    single input sends to every output are one contiguous vector: a
    convolution's ``w[o, i, u, v]`` lives at ``((i * k + u) * k + v) * out + o``
    from the layer's start, a dense layer's ``W[i, j]`` (input ``i``, unit
    ``j``) at ``i * n_out + j``. :meth:`CNN.unpack` returns the arrays in the
    shapes frameworks use: each convolution's weight ``(out, in, k, k)`` and
    bias ``(out,)``, each dense layer's weight ``(in, out)`` and bias
    ``(out,)``.

Forward pass
    A kernel per network shape, generated with the shape as compile-time
    constants (:func:`network_source`). Inside it the feature maps are kept
    channel-last (an output position's channels side by side), so that each
    input value times its contiguous weight vector updates every output
    channel of a position at once, which the compiler vectorises; each output's
    sum runs over ``(i, u, v)`` in a fixed order, so the results do not depend
    on the number of threads. The same module is the per-agent half of the
    network's module of the fused rollout (:mod:`evo.kernels.episode`);
    :mod:`evo.networks.cnn_lanes` adds the lockstep block, which steps a block
    of genomes together, each to the bit as this step does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from evo._validation import as_numbers, check_int, check_memory, check_rng
from evo.networks.mlp import ACTIVATIONS, INITS, PARALLEL_MIN_WORK, LayerSlice, Layout, _activate, _ZERO


@njit(error_model="numpy", inline="always")
def conv_layer(genome, g, x, cs, ys, xs, C, H, W, O, K, S, act, dst):
    """One convolution from the map ``x`` (value ``(i, r, c)`` at ``i * cs + r * ys + c * xs``) into ``dst``,
    channel-last (``(r, c, o)`` at ``(r * OW + c) * O + o``), activated. Its genes start at ``g``;
    returns where the next layer's start."""
    OH = (H - K) // S + 1
    OW = (W - K) // S + 1
    b = g + C * K * K * O
    for r in range(OH):
        for c in range(OW):
            d = (r * OW + c) * O
            for o in range(O):
                dst[d + o] = _ZERO
            for i in range(C):
                for u in range(K):
                    at = i * cs + (r * S + u) * ys + c * S * xs
                    w = g + (i * K + u) * K * O
                    for v in range(K):
                        xi = x[at + v * xs]
                        for o in range(O):
                            dst[d + o] += genome[w + v * O + o] * xi
            for o in range(O):
                dst[d + o] += genome[b + o]
    _activate(dst, OH * OW * O, act)
    return b + O


@njit(error_model="numpy", inline="always")
def flat_dense(genome, g, x, C, H, W, n_out, act, dst):
    """A dense layer over the channel-last maps ``x`` (C x H x W) taken in (channel, row, column) order."""
    for j in range(n_out):
        dst[j] = _ZERO
    row = g
    for i in range(C):
        for r in range(H):
            for c in range(W):
                xi = x[(r * W + c) * C + i]
                for j in range(n_out):
                    dst[j] += genome[row + j] * xi
                row += n_out
    for j in range(n_out):
        dst[j] += genome[row + j]
    _activate(dst, n_out, act)
    return row + n_out


@dataclass(frozen=True)
class ConvSlice:
    """Where one convolution layer lives in the genome, and the shapes of its input and output maps."""

    offset: int
    in_shape: tuple
    out_channels: int
    kernel: int
    stride: int
    activation: str

    @property
    def out_shape(self) -> tuple:
        _, h, w = self.in_shape
        return (self.out_channels, (h - self.kernel) // self.stride + 1, (w - self.kernel) // self.stride + 1)

    @property
    def size(self) -> int:
        return (self.in_shape[0] * self.kernel * self.kernel + 1) * self.out_channels


class CNNLayout:
    """Which gene of a CNN genome is which weight or bias (see the module docstring).

    Attributes
    ----------
    input_shape : tuple of int
        ``(C, H, W)``.
    conv : tuple of ConvSlice
        Every convolution layer: offset, input map shape, channels, kernel, stride, activation.
    layers : tuple of LayerSlice
        Every dense layer, the output layer last.
    sizes : tuple of int
        Widths of the dense part: the flattened last maps, the dense layers, the outputs.
    num_params : int
        Genome length ``G``.
    units : ndarray of shape (G,), int64
        For every gene, the unit whose weight or bias it is: the output channels of the convolutions,
        then the dense units, numbered in order (a channel's kernel and bias are one unit).
    num_units : int
    """

    def __init__(self, input_shape, conv, dense, outputs, hidden, output):
        self.input_shape = tuple(input_shape)
        convs, offset, shape, units, first = [], 0, self.input_shape, [], 0
        for channels, kernel, stride in conv:
            layer = ConvSlice(offset, shape, channels, kernel, stride, hidden)
            convs.append(layer)
            neurons = np.arange(first, first + channels, dtype=np.int64)
            units += [np.tile(neurons, shape[0] * kernel * kernel), neurons]
            offset += layer.size
            first += channels
            shape = layer.out_shape
        self.conv = tuple(convs)
        self.sizes = (int(np.prod(shape)), *dense, outputs)
        layers = []
        for k, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(LayerSlice(offset, n_in, n_out, output if k == len(self.sizes) - 2 else hidden))
            neurons = np.arange(first, first + n_out, dtype=np.int64)
            units += [np.tile(neurons, n_in), neurons]
            offset += layers[-1].size
            first += n_out
        self.layers = tuple(layers)
        self.num_params = offset
        self.num_units = first
        self.units = np.concatenate(units)

    def conv_weights(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """Weights of convolution ``layer`` as a view of shape (out, in, k, k)."""
        l = self.conv[layer]
        c, k, o = l.in_shape[0], l.kernel, l.out_channels
        return genome[l.offset:l.offset + c * k * k * o].reshape(c, k, k, o).transpose(3, 0, 1, 2)

    def conv_biases(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """Biases of convolution ``layer``, a view of shape (out,)."""
        l = self.conv[layer]
        return genome[l.offset + l.size - l.out_channels:l.offset + l.size]

    # the dense layers are laid out as an MLP's: its views of a layer's weights (n_out, n_in) and biases
    weights = Layout.weights
    biases = Layout.biases


def network_source(layout: CNNLayout, acts: tuple) -> str:
    """Source of a network module (:mod:`evo.kernels.episode`) and population forward pass for one shape.

    ``acts``: the activation code of every convolution, then of every dense layer. ``step`` runs the
    convolutions in turn between the two work arrays (the first reads the observation, (C, H, W) in
    rows), then the dense layers; every call is given the layer's shape as numbers, which the compiler
    then knows. The layers run in a function compiled with the promise that its arrays (genome,
    observation, work arrays, outputs) never overlap, which every caller keeps.
    """
    lines, work = [], ("work_a", "work_b")
    src, strides = "obs", None
    g = "0"
    for k, l in enumerate(layout.conv):
        c, h, w = l.in_shape
        cs, ys, xs = (h * w, w, 1) if strides is None else strides
        dst = work[k % 2]
        lines.append(f"    g = _conv(genome, {g}, {src}, {cs}, {ys}, {xs}, {c}, {h}, {w}, {l.out_channels}, "
                     f"{l.kernel}, {l.stride}, {acts[k]}, {dst})")
        g, src = "g", dst
        oc, oh, ow = l.out_shape
        strides = (1, ow * oc, oc)
    oc, oh, ow = layout.conv[-1].out_shape
    first = layout.layers[0]
    act = acts[len(layout.conv)]
    if len(layout.layers) == 1:
        lines.append(f"    _flat_dense(genome, g, {src}, {oc}, {oh}, {ow}, {first.n_out}, {act}, out)")
    else:
        dst = work[len(layout.conv) % 2]
        other = work[(len(layout.conv) + 1) % 2]
        lines.append(f"    g = _flat_dense(genome, g, {src}, {oc}, {oh}, {ow}, {first.n_out}, {act}, {dst})")
        head, head_acts = layout.sizes[1:], tuple(acts[len(layout.conv) + 1:])
        # forward_one copies its input into its first buffer, then alternates between the two
        lines.append(f"    _forward_one(genome[g:], {dst}, {head!r}, {head_acts!r}, {other}, {dst}, out)")
    width = max([int(np.prod(l.out_shape)) for l in layout.conv] + list(layout.sizes[1:]))
    step = "\n".join(lines)
    return f'''\
"""A CNN of one shape: one agent's step in the fused rollout and the population forward pass
(generated by evo.networks.cnn; do not edit). The lockstep block is evo.networks.cnn_lanes's."""
import numpy as np
from numba import njit, prange
from evo.kernels.threads import NoAlias as _NoAlias
from evo.networks.cnn import conv_layer as _conv, flat_dense as _flat_dense
from evo.networks.mlp import forward_one as _forward_one, act_one as _act_one

N_IN = {int(np.prod(layout.input_shape))}
N_OUT = {layout.sizes[-1]}
WORK_A = {width}  # feature maps and dense activations, in turn
WORK_B = {width}
MEMORY, LOCKSTEP = 0, False  # it remembers nothing between steps; the lockstep block is another module's


@njit(inline="always")
def reset(memory):
    return None


@njit(inline="always")
def step(genome, obs, memory, work_a, work_b, out):
    _layers(genome, obs, work_a, work_b, out)


# a function of its own, whose five arrays never overlap (noalias): the compiler then keeps a position's
# sums in registers while it adds up the position's taps
@njit(error_model="numpy", pipeline_class=_NoAlias)
def _layers(genome, obs, work_a, work_b, out):
{step}


@njit(cache=True, error_model="numpy")
def forward_range(genomes, obs, out, start, stop):
    memory = np.empty(0, np.float32)
    work_a = np.empty(WORK_A, np.float32)
    work_b = np.empty(WORK_B, np.float32)
    for p in range(start, stop):
        step(genomes[p], obs[p], memory, work_a, work_b, out[p])


@njit(cache=True, parallel=True, error_model="numpy")
def forward_parallel(genomes, obs, out):
    blocks = (genomes.shape[0] + 7) // 8  # eight genomes a task: a CNN's step is long
    for c in prange(blocks):
        forward_range(genomes, obs, out, 8 * c, min(genomes.shape[0], 8 * c + 8))


@njit(cache=True, error_model="numpy")
def act_rows(outputs, discrete, actions):
    for p in range(outputs.shape[0]):
        _act_one(outputs[p], discrete, actions[p])
'''


def _positive_ints(what: str, values, length: int | None = None) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or (
            length is not None and len(values) != length):
        n = f"{length} " if length is not None else ""
        raise ValueError(f"CNN {what} must be a list of {n}positive integers, got {values!r}")
    return tuple(check_int(f"CNN {what} entry", v, 1) for v in values)


class CNN:
    """A convolutional network evaluated for a whole population, with the surface of :class:`evo.MLP`.

    Parameters
    ----------
    input_shape : (C, H, W)
        The image every genome sees: channels, rows, columns.
    conv : sequence of (channels, kernel, stride)
        Convolution layers, at least one: output channels, square kernel side, stride. "Valid": a layer
        maps ``H`` rows to ``(H - kernel) // stride + 1``, which must be at least 1.
    dense : sequence of int
        Widths of the dense hidden layers after the flattened maps (may be empty).
    outputs : int
        Output width.
    hidden : str
        Activation of every convolution and dense hidden layer (as :class:`evo.MLP`'s).
    output : str
        Activation of the output layer.
    init : {"he", "glorot", "normal"}
        Weights N(0, 2 / fan_in) (He et al. 2015), N(0, 2 / (fan_in + fan_out)) or N(0, 1), with a
        convolution's fan-in ``in * k * k`` and fan-out ``out * k * k``; biases zero (N(0, 1) with
        ``"normal"``).

    Examples
    --------
    >>> net = CNN(input_shape=(2, 16, 16), conv=[(4, 4, 2)], dense=[16], outputs=3)
    >>> net.num_params
    3331
    """

    def __init__(self, input_shape, conv, dense=(), outputs: int = 1, hidden: str = "relu",
                 output: str = "linear", init: str = "he"):
        input_shape = _positive_ints("input_shape", input_shape, 3)
        if isinstance(conv, (str, bytes)) or not hasattr(conv, "__len__") or not conv:
            raise ValueError(f"CNN conv must be a list of at least one (channels, kernel, stride), got {conv!r}")
        conv = tuple(_positive_ints("conv layer (channels, kernel, stride)", layer, 3) for layer in conv)
        dense = _positive_ints("dense", dense)
        outputs = check_int("CNN outputs", outputs, 1)
        for name, value in (("hidden", hidden), ("output", output)):
            if value not in ACTIVATIONS:
                raise ValueError(f"unknown {name} activation {value!r}; known: {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
        shape = input_shape
        for k, (channels, kernel, stride) in enumerate(conv):
            if kernel > shape[1] or kernel > shape[2]:
                raise ValueError(f"CNN conv layer {k}: a {kernel} x {kernel} kernel does not fit its "
                                 f"{shape[1]} x {shape[2]} input")
            shape = (channels, (shape[1] - kernel) // stride + 1, (shape[2] - kernel) // stride + 1)
        self.input_shape, self.conv, self.dense, self.outputs = input_shape, conv, dense, outputs
        self.hidden, self.output, self.init_scheme = hidden, output, init
        self.layout = CNNLayout(input_shape, conv, dense, outputs, hidden, output)
        check_memory(f"a CNN of {self.layout.num_params} genes", 16.0 * self.layout.num_params)
        codes = [ACTIVATIONS.index(hidden)] * (len(conv) + len(dense)) + [ACTIVATIONS.index(output)]
        self.acts_array = np.array(codes, dtype=np.int64)
        self._module = None

    sizes = property(lambda self: self.layout.sizes)
    num_params = property(lambda self: self.layout.num_params)
    num_outputs = property(lambda self: self.outputs)

    @property
    def num_inputs(self) -> int:
        """Length of a flattened observation, ``C * H * W``."""
        return int(np.prod(self.input_shape))

    def __repr__(self) -> str:
        return (f"CNN(input_shape={self.input_shape}, conv={[list(c) for c in self.conv]}, "
                f"dense={list(self.dense)}, outputs={self.outputs}, hidden={self.hidden!r}, "
                f"output={self.output!r}, init={self.init_scheme!r})")

    def to_dict(self) -> dict:
        return {"input_shape": list(self.input_shape), "conv": [list(c) for c in self.conv],
                "dense": list(self.dense), "outputs": self.outputs, "hidden": self.hidden,
                "output": self.output, "init": self.init_scheme}

    @classmethod
    def from_dict(cls, d: dict) -> "CNN":
        return cls(d["input_shape"], d["conv"], d.get("dense", ()), d["outputs"], hidden=d.get("hidden", "relu"),
                   output=d.get("output", "linear"), init=d.get("init", "he"))

    def init(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` random genomes with the network's init scheme. Returns an ndarray of shape (n, G), float32."""
        check_rng(rng)
        n = check_int("number of genomes", n, 0)
        check_memory(f"{n} genomes of {self.num_params} genes", 12.0 * n * self.num_params)
        genomes = np.zeros((n, self.num_params), dtype=np.float64)
        blocks = [(l.offset, l.in_shape[0] * l.kernel ** 2, l.out_channels * l.kernel ** 2, l.out_channels, l.size)
                  for l in self.layout.conv]
        blocks += [(l.offset, l.n_in, l.n_out, l.n_out, l.size) for l in self.layout.layers]
        for offset, fan_in, fan_out, biases, size in blocks:
            weights = size - biases
            if self.init_scheme == "normal":
                genomes[:, offset:offset + size] = rng.normal(0.0, 1.0, (n, size))
            else:
                var = 2.0 / (fan_in + fan_out) if self.init_scheme == "glorot" else 2.0 / fan_in
                genomes[:, offset:offset + weights] = rng.normal(0.0, math.sqrt(var), (n, weights))
        return genomes.astype(np.float32)

    def unpack(self, genome: np.ndarray) -> list:
        """The layers' arrays of one genome, in genome order (views where the layout allows).

        Returns
        -------
        list of ndarray
            Each convolution's weight ``(out, in, k, k)`` and bias ``(out,)``, then each dense layer's
            weight ``(in, out)`` and bias ``(out,)``, the output layer last.
        """
        genome = np.asarray(genome)
        if genome.shape != (self.num_params,):
            raise ValueError(f"genome must have shape ({self.num_params},), got {genome.shape}")
        arrays = []
        for k in range(len(self.layout.conv)):
            arrays += [self.layout.conv_weights(genome, k), self.layout.conv_biases(genome, k)]
        for k in range(len(self.layout.layers)):
            arrays += [self.layout.weights(genome, k).T, self.layout.biases(genome, k)]
        return arrays

    def forward(self, genomes: np.ndarray, obs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Outputs of every genome on its own image.

        Parameters
        ----------
        genomes : ndarray of shape (P, G)
        obs : ndarray of shape (P, C, H, W), or (P, C * H * W) flattened in that order
        out : ndarray of shape (P, outputs), float32, optional

        Returns
        -------
        ndarray of shape (P, outputs), float32
        """
        genomes = as_numbers("genomes", genomes, np.float32, contiguous=True)
        if genomes.ndim != 2 or genomes.shape[1] != self.num_params:
            raise ValueError(f"genomes must have shape (P, {self.num_params}), got {genomes.shape}")
        P = genomes.shape[0]
        obs = as_numbers("obs", obs, np.float32, contiguous=True)
        if obs.shape not in ((P, *self.input_shape), (P, self.num_inputs)):
            raise ValueError(f"obs must have shape ({P}, {', '.join(map(str, self.input_shape))}), got {obs.shape}")
        obs = obs.reshape(P, self.num_inputs)
        if out is None:
            out = np.empty((P, self.outputs), dtype=np.float32)
        module = self._agent_module()
        if P * self.num_params < PARALLEL_MIN_WORK and P < 64:
            module.forward_range(genomes, obs, out, 0, P)
        else:
            module.forward_parallel(genomes, obs, out)
        return out

    lockstep = True
    """The lockstep kernel plays CNNs (:mod:`evo.networks.cnn_lanes`)."""

    lockstep_min_pairs = 128
    """Fewest pairs ``kernel="auto"`` plays in lockstep (:func:`evo.kernels.play.choose_kernel`), whatever
    the game's own limit: a block of CNNs steps its lanes' networks so much faster than one agent at a
    time that from this many pairs on it pays even where blocks drain part-empty (docs/cnn.md)."""

    def _agent_module(self):
        """This shape's per-agent step and forward pass (:func:`network_source`), compiled on first use or
        loaded from the cache."""
        if self._module is None:
            from envs.specialise import specialise
            self._module = specialise(network_source(self.layout, self._acts()), "cnn")
        return self._module

    def _acts(self) -> tuple:
        return tuple(int(a) for a in self.acts_array)

    def network_module(self, lanes: int):
        """This shape's network module (:mod:`evo.kernels.episode`): the per-agent step of
        :func:`network_source` with a lockstep block of ``lanes`` agents
        (:func:`evo.networks.cnn_lanes.lanes_source`), compiled on first use or loaded from the cache."""
        from envs.specialise import specialise
        from evo.networks.cnn_lanes import lanes_source
        return specialise(lanes_source(self.layout, self._acts(), self._agent_module().__name__, lanes),
                          "cnn_lanes")

    def initial_state(self, n: int) -> np.ndarray:
        """A CNN has no memory: an empty state of shape (n, 0), so code can treat every network alike."""
        return np.zeros((check_int("number of genomes", n, 0), 0), dtype=np.float32)

    def step(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray, num_actions: int | None) -> tuple:
        """``(act(genomes, obs, num_actions), state)``: the surface recurrent networks share."""
        return self.act(genomes, obs, num_actions), state

    def act(self, genomes: np.ndarray, obs: np.ndarray, num_actions: int | None) -> np.ndarray:
        """Actions for a game, as the fused rollout takes them: argmax indices (P,) int64 when ``num_actions``
        is set, else tanh of the outputs, (P, outputs) float64."""
        out = self.forward(genomes, obs)
        actions = np.empty(out.shape, dtype=np.float64)
        self._agent_module().act_rows(out, num_actions is not None, actions)
        return actions[:, 0].astype(np.int64) if num_actions is not None else actions
