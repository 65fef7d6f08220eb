"""Multilayer perceptrons whose weights are flat float32 genomes.

A genome is one row of a ``(P, G)`` float32 array. Layer by layer it holds
the weight matrix input by input, then the biases::

    [w(0,0) w(1,0) ... w(n_out-1,0)] ... [w(0,n_in-1) ... w(n_out-1,n_in-1)] [b(0) ... b(n_out-1)]

where ``w(j, i)`` is the weight from input ``i`` to neuron ``j``. The forward
pass reads each input's outgoing weights as one contiguous vector, which the
compiler vectorises. :class:`Layout` says which gene is which, including the
neuron each gene feeds (``units``), which the ``neurons`` crossover uses to
exchange a neuron's incoming weights and bias as a unit.

The forward pass is a Numba kernel over the whole population, one observation
row per genome, computed in float32 with the sums in a fixed order (results do
not depend on the number of threads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from evo._validation import as_numbers, check_int, check_memory, check_rng

ACTIVATIONS = ("linear", "tanh", "sigmoid", "relu", "step")
INITS = ("normal", "glorot", "he")
LINEAR, TANH, SIGMOID, RELU, STEP = range(5)

# Rational approximation of tanh on [-7.9053, 7.9053] (odd degree-13 numerator,
# even degree-6 denominator), the float32 scheme used by Eigen; within a few
# ulp of libm's tanhf and free of calls, so loops over it vectorise.
_TANH_CLAMP = np.float32(7.90531110763549805)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(error_model="numpy", inline="always")
def fast_tanh(x):
    """float32 tanh by a clamped rational approximation (branch-free, vectorisable)."""
    x = min(max(x, -_TANH_CLAMP), _TANH_CLAMP)
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    p = x * p
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return p / q


@njit(error_model="numpy", inline="always")
def _activate(buf, n, kind):
    if kind == TANH:
        for j in range(n):
            buf[j] = fast_tanh(buf[j])
    elif kind == SIGMOID:
        # sigmoid(x) = (1 + tanh(x / 2)) / 2
        for j in range(n):
            buf[j] = np.float32(0.5) * (_ONE + fast_tanh(np.float32(0.5) * buf[j]))
    elif kind == RELU:
        for j in range(n):
            buf[j] = max(buf[j], _ZERO)
    elif kind == STEP:
        for j in range(n):
            buf[j] = _ONE if buf[j] > _ZERO else _ZERO


@njit(error_model="numpy")
def forward_one(genome, x, sizes, acts, buf_a, buf_b, out):
    """Forward pass of one genome on one input ``x``; writes the outputs into ``out``.

    ``sizes`` (L+1,) layer widths and ``acts`` (L,) activation codes, as
    arrays or, in specialised kernels, as constant tuples; ``buf_a``/``buf_b``
    float32 scratch of at least ``max(sizes)``.
    """
    for i in range(sizes[0]):
        buf_a[i] = x[i]
    src = buf_a
    dst = buf_b
    g = 0
    for layer in range(len(sizes) - 1):
        n_in = sizes[layer]
        n_out = sizes[layer + 1]
        # dst = W^T x accumulated input by input: the inner loop runs over
        # contiguous outputs and vectorises; each output's sum keeps a fixed
        # order, so results do not depend on threads or inlining
        for j in range(n_out):
            dst[j] = _ZERO
        for i in range(n_in):
            xi = src[i]
            row = g + i * n_out
            for j in range(n_out):
                dst[j] += genome[row + j] * xi
        g += n_in * n_out
        for j in range(n_out):
            dst[j] += genome[g + j]
        g += n_out
        _activate(dst, n_out, acts[layer])
        src, dst = dst, src
    for j in range(sizes[len(sizes) - 1]):
        out[j] = src[j]


def lanes_forward_source(sizes, acts, lanes: int) -> str:
    """Source of ``load_lane(mem, l, genome)`` and ``forward_lanes(mem)``: ``lanes`` genomes in lockstep.

    ``mem`` is one float32 array holding, in this order, the genomes of the
    lanes side by side, then two buffers of ``max(sizes) * lanes`` values
    each, the first holding the inputs (input ``i`` of lane ``l`` at
    ``i * lanes + l``). ``load_lane`` stores a genome as lane ``l``'s: layer
    by layer, neuron by neuron, the neuron's incoming weights input by input,
    then its bias, each value beside the same value of the other lanes (at
    ``k * lanes + l`` for the neuron's ``k``-th value). A neuron's weights of
    every lane are thus one contiguous block, read front to back, which keeps
    the blocks of large networks streaming through the cache. ``forward_lanes``
    returns the offset ``o`` of the outputs: output ``j`` of lane ``l`` is
    ``mem[o + j * lanes + l]``.

    For each neuron, the loop over the lanes is the innermost, and each
    lane's sum is a scalar written out term by term in the source (input by
    input, in :func:`forward_one`'s order, then the bias), so that the
    compiler vectorises over the lanes whatever the layer widths; as one
    array with constant offsets, it can prove that the sums never overlap
    the weights and inputs they read. Every lane computes exactly what
    :func:`forward_one` computes for its genome, and no value crosses lanes.
    The source is a whole module (:func:`envs.specialise.specialise` imports
    it), which also defines ``GENES``, the genome length.
    """
    sizes = tuple(int(n) for n in sizes)
    genes = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    src, dst = genes * lanes, (genes + max(sizes)) * lanes
    load = ['@njit(error_model="numpy")', "def load_lane(mem, l, genome):"]
    lines = ['@njit(error_model="numpy")', "def forward_lanes(mem):"]
    g = 0
    for n_in, n_out, act in zip(sizes[:-1], sizes[1:], acts):
        b = g + n_in * n_out  # the genome's biases of this layer; its weights input by input from g
        load += [f"    for j in range({n_out}):",
                 f"        for i in range({n_in}):",
                 f"            mem[({g} + j * {n_in + 1} + i) * {lanes} + l] = genome[{g} + i * {n_out} + j]",
                 f"        mem[({g + n_in} + j * {n_in + 1}) * {lanes} + l] = genome[{b} + j]"]
        lines += [f"    for j in range({n_out}):",
                  f"        for l in range({lanes}):",
                  "            s = _ZERO"]
        lines += [f"            s += mem[({g + i} + j * {n_in + 1}) * {lanes} + l] * mem[{src + i * lanes} + l]"
                  for i in range(n_in)]
        lines += [f"            mem[{dst} + j * {lanes} + l] = s + mem[({g + n_in} + j * {n_in + 1}) * {lanes} + l]",
                  f"    _activate(mem[{dst}:{dst + n_out * lanes}], {n_out * lanes}, {int(act)})"]
        g = b + n_out
        src, dst = dst, src
    lines.append(f"    return {src}")
    head = ['"""An MLP\'s lockstep forward pass for one shape (generated by evo.networks.mlp; do not edit)."""',
            "from numba import njit", "from evo.networks.mlp import _ZERO, _activate", "", f"GENES = {genes}"]
    return "\n".join(head) + "\n\n\n" + "\n".join(load) + "\n\n\n" + "\n".join(lines) + "\n"


# Below this much work (genomes x genes) one thread beats waking the others.
PARALLEL_MIN_WORK = 1 << 17

_FORWARD_TEMPLATE = '''\
"""Population forward pass for one network shape (generated by evo.networks.mlp; do not edit)."""
import numpy as np
from numba import njit, prange
from evo.networks.mlp import forward_one as _forward_one, act_one as _act_one

# The network's shape as compile-time constants: fixed trip counts that the
# compiler unrolls and vectorises.
_SIZES = $sizes
_ACTS = $acts
_WIDTH = $width


@njit(cache=True, error_model="numpy")
def forward_range(genomes, obs, out, start, stop):
    buf_a = np.empty(_WIDTH, np.float32)
    buf_b = np.empty(_WIDTH, np.float32)
    for p in range(start, stop):
        _forward_one(genomes[p], obs[p], _SIZES, _ACTS, buf_a, buf_b, out[p])


@njit(cache=True, parallel=True, error_model="numpy")
def forward_parallel(genomes, obs, out):
    n = genomes.shape[0]
    chunk = 64
    for c in prange((n + chunk - 1) // chunk):
        forward_range(genomes, obs, out, c * chunk, min(n, (c + 1) * chunk))


@njit(cache=True, error_model="numpy")
def act_rows(outputs, discrete, actions):
    for p in range(outputs.shape[0]):
        _act_one(outputs[p], discrete, actions[p])
'''


_NETWORK_MODULES: dict = {}
"""Network modules by (sizes, activation codes, lanes), generated once per process (the lockstep forward
pass's source and the module's cache key are built on the way)."""

NETWORK_TEMPLATE = '''\
"""An MLP of one shape as a network module of the fused rollout (generated by evo.networks.mlp; do not edit).

The names every network module provides (:mod:`evo.kernels.episode`): the
agent's memory (none here) and work arrays, one step for one agent, and the
lockstep block of LANES agents.
"""
from numba import njit
from evo.networks.mlp import forward_one as _forward_one
from $lanes_forward import GENES, load_lane, forward_lanes as _forward_lanes

_SIZES = $sizes
_ACTS = $acts
_WIDTH = $width
N_IN = $n_in
N_OUT = $n_out
MEMORY = 0  # an MLP remembers nothing between steps
WORK_A = _WIDTH  # a layer's inputs and outputs, in turn
WORK_B = _WIDTH
LOCKSTEP = True
LANES = $lanes
_X = GENES * LANES  # the lanes' inputs, after their genomes
BLOCK = _X + 2 * _WIDTH * LANES  # float32 values of a block: the genomes, then two buffers of WIDTH * LANES


@njit(inline="always")
def reset(memory):
    pass


@njit(inline="always")
def step(genome, obs, memory, work_a, work_b, out):
    _forward_one(genome, obs, _SIZES, _ACTS, work_a, work_b, out)


@njit(inline="always")
def reset_lane(mem, l):
    pass


@njit(inline="always")
def inputs(mem):
    return mem[_X:_X + N_IN * LANES].reshape((N_IN, LANES))


@njit(inline="always")
def step_lanes(mem):
    return _forward_lanes(mem)


@njit(inline="always")
def lane_agent(mem, l):
    # the block's buffers, which no lane steps in any more
    return mem[:0], mem[_X:_X + _WIDTH], mem[_X + _WIDTH:_X + 2 * _WIDTH], mem[_X + 2 * _WIDTH:_X + 2 * _WIDTH + N_OUT]
'''


def shape_constants(net) -> dict:
    """Template substitutions that make ``net``'s shape compile-time constants of a kernel."""
    return {"sizes": repr(tuple(net.sizes)), "acts": repr(tuple(int(a) for a in net.acts_array)),
            "width": str(max(net.sizes))}


@njit(error_model="numpy")
def act_one(out, discrete, action):
    """Turn network outputs into a game action, written into the float64 ``action``.

    Discrete: ``action[0]`` = index of the largest output (the first on ties).
    Continuous: ``action[i]`` = tanh(``out[i]``), in [-1, 1].
    """
    if discrete:
        best = 0
        for j in range(1, out.shape[0]):
            if out[j] > out[best]:
                best = j
        action[0] = best
    else:
        for j in range(out.shape[0]):
            action[j] = fast_tanh(out[j])


@njit(error_model="numpy")
def act_lanes(out, n_out, lanes, discrete, actions):
    """:func:`act_one` for every lane of :func:`forward_lanes`'s output; row ``l`` of ``actions`` is lane ``l``'s."""
    if discrete:
        for l in range(lanes):
            best = 0
            top = out[l]
            for j in range(1, n_out):
                if out[j * lanes + l] > top:
                    best = j
                    top = out[j * lanes + l]
            actions[l, 0] = best
    else:
        for l in range(lanes):
            for j in range(n_out):
                actions[l, j] = fast_tanh(out[j * lanes + l])


@dataclass(frozen=True)
class LayerSlice:
    """Where one layer lives in the genome."""

    offset: int
    n_in: int
    n_out: int
    activation: str

    @property
    def size(self) -> int:
        return self.n_out * (self.n_in + 1)


class Layout:
    """Which gene of a flat genome is which weight or bias.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths, input first.
    layers : tuple of LayerSlice
        Offset, fan-in, fan-out and activation of every layer.
    num_params : int
        Genome length ``G``.
    units : ndarray of shape (G,), int64
        For every gene, the index of the neuron whose incoming weight or bias
        it is (neurons numbered from the first hidden layer on).
    num_units : int
        Number of neurons with incoming weights (hidden plus output).
    """

    def __init__(self, sizes, activations):
        self.sizes = tuple(int(s) for s in sizes)
        layers, offset = [], 0
        for n_in, n_out, act in zip(self.sizes[:-1], self.sizes[1:], activations):
            layers.append(LayerSlice(offset, n_in, n_out, act))
            offset += n_out * (n_in + 1)
        self.layers = tuple(layers)
        self.num_params = offset
        self.num_units = sum(self.sizes[1:])
        units, first = [], 0
        for l in layers:
            neurons = np.arange(first, first + l.n_out, dtype=np.int64)
            units += [np.tile(neurons, l.n_in), neurons]  # weights input by input, then biases
            first += l.n_out
        self.units = np.concatenate(units)

    def weights(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """Weight matrix of ``layer`` as a view of shape (n_out, n_in): ``W[j, i]`` feeds input i to neuron j."""
        l = self.layers[layer]
        return genome[l.offset:l.offset + l.n_in * l.n_out].reshape(l.n_in, l.n_out).T

    def biases(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """Bias vector of ``layer`` as a view of shape (n_out,)."""
        l = self.layers[layer]
        return genome[l.offset + l.n_in * l.n_out:l.offset + l.size]

    def to_dict(self) -> dict:
        return {"sizes": list(self.sizes), "activations": [l.activation for l in self.layers]}


class MLP:
    """A fully connected feed-forward network evaluated for a whole population.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, e.g. ``[4, 16, 2]``.
    hidden : str
        Activation of every hidden layer: ``"tanh"``, ``"sigmoid"``, ``"relu"``,
        ``"step"`` (1 if x > 0 else 0) or ``"linear"``.
    output : str
        Activation of the output layer.
    activations : sequence of str, optional
        One activation per layer; overrides ``hidden`` and ``output``.
    init : str
        Weight initialisation for :meth:`init`: ``"normal"`` (N(0, 1)),
        ``"glorot"`` (N(0, 2 / (fan_in + fan_out)), Glorot and Bengio 2010) or
        ``"he"`` (N(0, 2 / fan_in), He et al. 2015). Biases start at zero,
        except with ``"normal"``, which draws them N(0, 1) too.

    Examples
    --------
    >>> net = MLP([4, 16, 2])
    >>> net.num_params
    114
    """

    def __init__(self, sizes, hidden: str = "tanh", output: str = "linear", *,
                 activations=None, init: str = "glorot"):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
            raise ValueError(f"MLP sizes must be a list of at least two widths, got {sizes!r}")
        sizes = [check_int("MLP layer width", s, 1) for s in sizes]
        check_memory(f"an MLP {sizes}", 16.0 * sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
        for name, a in (("hidden", hidden), ("output", output)):  # checked even where no layer uses them
            if a not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {', '.join(ACTIVATIONS)}, got {a!r}")
        if activations is None:
            activations = [hidden] * (len(sizes) - 2) + [output]
        activations = list(activations)
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"MLP needs {len(sizes) - 1} activations, got {len(activations)}")
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; known: {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
        self.init_scheme = init
        self.layout = Layout(sizes, activations)
        self.sizes_array = np.array(sizes, dtype=np.int64)
        self.acts_array = np.array([ACTIVATIONS.index(a) for a in activations], dtype=np.int64)
        self._kernel_module = None

    @property
    def sizes(self) -> tuple:
        return self.layout.sizes

    @property
    def activations(self) -> tuple:
        return tuple(l.activation for l in self.layout.layers)

    @property
    def num_params(self) -> int:
        """Genome length ``G``."""
        return self.layout.num_params

    @property
    def num_inputs(self) -> int:
        return self.layout.sizes[0]

    @property
    def num_outputs(self) -> int:
        return self.layout.sizes[-1]

    def __repr__(self) -> str:
        return f"MLP({list(self.sizes)}, activations={list(self.activations)}, init={self.init_scheme!r})"

    def to_dict(self) -> dict:
        return {**self.layout.to_dict(), "init": self.init_scheme}

    @classmethod
    def from_dict(cls, d: dict) -> "MLP":
        return cls(d["sizes"], activations=d["activations"], init=d.get("init", "glorot"))

    def init(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` random genomes with the network's init scheme.

        Returns
        -------
        ndarray of shape (n, G), float32
        """
        check_rng(rng)
        n = check_int("number of genomes", n, 0)
        check_memory(f"{n} genomes of {self.num_params} genes", 12.0 * n * self.num_params)
        genomes = np.zeros((n, self.num_params), dtype=np.float64)
        for l in self.layout.layers:
            if self.init_scheme == "normal":
                genomes[:, l.offset:l.offset + l.size] = rng.normal(0.0, 1.0, (n, l.size))
            else:
                var = 2.0 / (l.n_in + l.n_out) if self.init_scheme == "glorot" else 2.0 / l.n_in
                genomes[:, l.offset:l.offset + l.n_in * l.n_out] = rng.normal(
                    0.0, math.sqrt(var), (n, l.n_in * l.n_out))
        return genomes.astype(np.float32)

    def forward(self, genomes: np.ndarray, obs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Outputs of every genome on its own observation row.

        Parameters
        ----------
        genomes : ndarray of shape (P, G)
        obs : ndarray of shape (P, num_inputs)
        out : ndarray of shape (P, num_outputs), float32, optional

        Returns
        -------
        ndarray of shape (P, num_outputs), float32
        """
        genomes = as_numbers("genomes", genomes, np.float32, contiguous=True)
        obs = as_numbers("obs", obs, np.float32, contiguous=True)
        if genomes.ndim != 2 or genomes.shape[1] != self.num_params:
            raise ValueError(f"genomes must have shape (P, {self.num_params}), got {genomes.shape}")
        if obs.shape != (genomes.shape[0], self.num_inputs):
            raise ValueError(f"obs must have shape ({genomes.shape[0]}, {self.num_inputs}), got {obs.shape}")
        if out is None:
            out = np.empty((genomes.shape[0], self.num_outputs), dtype=np.float32)
        kernels = self._kernels()
        if genomes.shape[0] * self.num_params < PARALLEL_MIN_WORK:
            kernels.forward_range(genomes, obs, out, 0, genomes.shape[0])
        else:
            kernels.forward_parallel(genomes, obs, out)
        return out

    def _kernels(self):
        """The forward kernels compiled for this shape (or loaded from the cache), kept on the instance."""
        if self._kernel_module is None:
            from envs.specialise import specialise
            self._kernel_module = specialise(_FORWARD_TEMPLATE, "forward", **shape_constants(self))
        return self._kernel_module

    lockstep = True
    """The lockstep kernel plays MLPs (:mod:`evo.kernels.episode`)."""

    def network_module(self, lanes: int):
        """This shape's network module (:data:`NETWORK_TEMPLATE`) with a lockstep block of ``lanes`` agents,
        compiled on first use or loaded from the cache."""
        key = (self.sizes, tuple(int(a) for a in self.acts_array), int(lanes))
        module = _NETWORK_MODULES.get(key)
        if module is None:
            from envs.specialise import specialise
            forward = specialise(lanes_forward_source(self.sizes, self.acts_array, lanes), "mlp_lanes")
            module = _NETWORK_MODULES[key] = specialise(
                NETWORK_TEMPLATE, "mlp", lanes_forward=forward.__name__, lanes=str(int(lanes)),
                n_in=str(self.num_inputs), n_out=str(self.num_outputs), **shape_constants(self))
        return module

    def initial_state(self, n: int) -> np.ndarray:
        """An MLP has no memory: an empty state of shape (n, 0), so code can treat every network alike."""
        return np.zeros((check_int("number of genomes", n, 0), 0), dtype=np.float32)

    def step(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray, num_actions: int | None) -> tuple:
        """``(act(genomes, obs, num_actions), state)``: the surface recurrent networks share."""
        return self.act(genomes, obs, num_actions), state

    def act(self, genomes: np.ndarray, obs: np.ndarray, num_actions: int | None) -> np.ndarray:
        """Actions for a game, exactly as the fused evaluation takes them.

        Returns the argmax index of the outputs, shape (P,) int64, when
        ``num_actions`` is set; otherwise tanh of the outputs, shape
        (P, num_outputs) float64.
        """
        out = self.forward(genomes, obs)
        actions = np.empty(out.shape, dtype=np.float64)
        self._kernels().act_rows(out, num_actions is not None, actions)
        if num_actions is not None:
            return actions[:, 0].astype(np.int64)
        return actions
