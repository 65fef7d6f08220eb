"""Recurrent networks whose weights are flat float32 genomes: Elman, GRU and LSTM cells.

``RNN([4, 16, 2], cell="gru")`` has one recurrent layer of 16 units between 4
inputs and 2 outputs; ``RNN([4, 16, 16, 2])`` stacks two. The output layer is
dense (no memory). Every step a layer reads its input ``x`` and its own
previous output ``h``:

``elman`` (Elman 1990)
    ``h' = act(W x + U h + b)`` with the ``hidden`` activation.
``gru`` (Cho et al. 2014)
    ``z = sigmoid(Wz x + Uz h + bz)``, ``r = sigmoid(Wr x + Ur h + br)``,
    ``n = tanh(Wn x + bn + r * (Un h))``, ``h' = (1 - z) * n + z * h``.
``lstm`` (Hochreiter and Schmidhuber 1997, with a forget gate)
    ``i, f, o = sigmoid(W. x + U. h + b.)``, ``g = tanh(Wg x + Ug h + bg)``,
    ``c' = f * c + i * g``, ``h' = o * tanh(c')``.

A layer's genes are its input weights ``W`` input by input, its recurrent
weights ``U`` unit by unit, then its biases. Each input's (or unit's) row
holds its weights into every gate, gate after gate (``z r n`` for GRU,
``i f g o`` for LSTM), so one contiguous row feeds all gates at once, as in
:mod:`evo.networks.mlp`; the output layer follows, laid out as an MLP layer.
``layout.units`` gives every gene the neuron it feeds (all gates of unit
``j`` belong to neuron ``j``), so the ``neurons`` crossover keeps working.

The hidden state of a genome is one float32 row: every layer's ``h``, then
(LSTM) its ``c``. It starts at zero: :meth:`RNN.initial_state` for a
population, and at the start of every episode in the fused rollout.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from evo._validation import as_numbers, check_int, check_memory, check_rng
from evo.networks.mlp import ACTIVATIONS, INITS, SIGMOID, TANH, fast_tanh

CELLS = ("elman", "gru", "lstm")
GATES = {"elman": 1, "gru": 3, "lstm": 4}
ELMAN, GRU, LSTM = range(3)
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_HALF = np.float32(0.5)


@njit(error_model="numpy", inline="always")
def _sigmoid(x):
    return _HALF * (_ONE + fast_tanh(_HALF * x))


@njit(error_model="numpy", inline="always")
def _apply(x, kind):
    if kind == TANH:
        return fast_tanh(x)
    if kind == SIGMOID:
        return _sigmoid(x)
    if kind == 3:  # relu
        return max(x, _ZERO)
    if kind == 4:  # step
        return _ONE if x > _ZERO else _ZERO
    return x


@njit(error_model="numpy", inline="always")
def _affine(genome, g, v, n_in, n_out, acc):
    """``acc += M^T v`` for the input-major matrix ``M`` (n_in x n_out) at gene ``g``; returns the next gene."""
    for i in range(n_in):
        vi = v[i]
        row = g + i * n_out
        for j in range(n_out):
            acc[j] += genome[row + j] * vi
    return g + n_in * n_out


@njit(error_model="numpy")
def step_one(genome, x, state, sizes, cell, hidden_act, output_act, buf_x, gates, out):
    """One step of one genome: reads ``x`` and ``state``, updates ``state`` in place, writes ``out``.

    ``sizes`` (L+1,) widths, ``cell`` a code of :data:`CELLS`; ``buf_x`` float32
    scratch of at least ``max(sizes)``, ``gates`` of at least ``8 * max(sizes)``.
    """
    n_layers = len(sizes) - 1
    k = 1 if cell == ELMAN else (3 if cell == GRU else 4)
    for i in range(sizes[0]):
        buf_x[i] = x[i]
    g = 0
    s = 0  # this layer's h in the state row
    for layer in range(n_layers - 1):
        n_in = sizes[layer]
        n_h = sizes[layer + 1]
        m = k * n_h
        # every gate at once: ax = W x + b and ah = U h, rows of k * n_h contiguous genes
        ax = gates[:m]
        ah = gates[m:2 * m]
        for j in range(m):
            ax[j] = _ZERO
            ah[j] = _ZERO
        g = _affine(genome, g, buf_x, n_in, m, ax)
        g = _affine(genome, g, state[s:s + n_h], n_h, m, ah)
        for j in range(m):
            ax[j] += genome[g + j]
        g += m
        if cell == ELMAN:
            for j in range(n_h):
                state[s + j] = _apply(ax[j] + ah[j], hidden_act)
            s += n_h
        elif cell == GRU:
            for j in range(n_h):
                z = _sigmoid(ax[j] + ah[j])
                r = _sigmoid(ax[n_h + j] + ah[n_h + j])
                n = fast_tanh(ax[2 * n_h + j] + r * ah[2 * n_h + j])
                state[s + j] = (_ONE - z) * n + z * state[s + j]
            s += n_h
        else:
            c = s + n_h
            for j in range(n_h):
                i_ = _sigmoid(ax[j] + ah[j])
                f_ = _sigmoid(ax[n_h + j] + ah[n_h + j])
                g_ = fast_tanh(ax[2 * n_h + j] + ah[2 * n_h + j])
                o_ = _sigmoid(ax[3 * n_h + j] + ah[3 * n_h + j])
                state[c + j] = f_ * state[c + j] + i_ * g_
                state[s + j] = o_ * fast_tanh(state[c + j])
            s += 2 * n_h
        h0 = s - (2 * n_h if cell == LSTM else n_h)
        for j in range(n_h):
            buf_x[j] = state[h0 + j]
    n_in = sizes[n_layers - 1]
    n_out = sizes[n_layers]
    for j in range(n_out):
        out[j] = _ZERO
    g = _affine(genome, g, buf_x, n_in, n_out, out)
    for j in range(n_out):
        out[j] = _apply(out[j] + genome[g + j], output_act)


_FORWARD_TEMPLATE = '''\
"""Population step of one recurrent network shape (generated by evo.networks.recurrent; do not edit)."""
import numpy as np
from numba import njit, prange
from evo.networks.recurrent import step_one as _step_one
from evo.networks.mlp import act_one as _act_one

_SIZES = $sizes
_CELL = $cell
_HIDDEN = $hidden
_OUTPUT = $output
_WIDTH = $width


@njit(cache=True, parallel=True, error_model="numpy")
def forward(genomes, obs, state, out):
    n = genomes.shape[0]
    chunk = 64
    for c in prange((n + chunk - 1) // chunk):
        buf_x = np.empty(_WIDTH, np.float32)
        gates = np.empty(8 * _WIDTH, np.float32)
        for p in range(c * chunk, min(n, (c + 1) * chunk)):
            _step_one(genomes[p], obs[p], state[p], _SIZES, _CELL, _HIDDEN, _OUTPUT, buf_x, gates, out[p])


@njit(cache=True, error_model="numpy")
def act_rows(outputs, discrete, actions):
    for p in range(outputs.shape[0]):
        _act_one(outputs[p], discrete, actions[p])
'''

NETWORK_TEMPLATE = '''\
"""A recurrent network of one shape as a network module of the fused rollout (generated by
evo.networks.recurrent; do not edit): its hidden state is the agent's memory, zero at every episode's start.
It plays per agent only (no lockstep block)."""
from numba import njit
from evo.networks.recurrent import step_one as _step_one

_SIZES = $sizes
_CELL = $cell
_HIDDEN = $hidden
_OUTPUT = $output
_WIDTH = $width
N_IN = $n_in
N_OUT = $n_out
MEMORY = $memory
WORK_A = _WIDTH  # a layer's input
WORK_B = 8 * _WIDTH  # every gate's input and recurrent sums
LOCKSTEP = False


@njit(inline="always")
def reset(memory):
    memory[:] = 0.0


@njit(inline="always")
def step(genome, obs, memory, work_a, work_b, out):
    _step_one(genome, obs, memory, _SIZES, _CELL, _HIDDEN, _OUTPUT, work_a, work_b, out)
'''


class RecurrentLayout:
    """Which gene of a recurrent genome is which weight; see the module docstring.

    Attributes
    ----------
    sizes : tuple of int
    cell : str
    num_params : int
    units : ndarray of shape (G,), int64
        The neuron every gene feeds (hidden neurons from the first layer on, then the outputs).
    num_units : int
    state_size : int
        Length of one genome's hidden state row.
    """

    def __init__(self, sizes, cell: str):
        self.sizes = tuple(sizes)
        self.cell = cell
        k = GATES[cell]
        units, first = [], 0
        for n_in, n_h in zip(self.sizes[:-2], self.sizes[1:-1]):
            gated = np.tile(np.arange(first, first + n_h, dtype=np.int64), k)  # one row: every gate's units
            units += [np.tile(gated, n_in), np.tile(gated, n_h), gated]  # W, U, b
            first += n_h
        neurons = np.arange(first, first + self.sizes[-1], dtype=np.int64)
        units += [np.tile(neurons, self.sizes[-2]), neurons]
        self.units = np.concatenate(units)
        self.num_params = len(self.units)
        self.num_units = sum(self.sizes[1:])
        self.state_size = sum(self.sizes[1:-1]) * (2 if cell == "lstm" else 1)

    def to_dict(self) -> dict:
        return {"sizes": list(self.sizes), "cell": self.cell}

    def _blocks(self, genome: np.ndarray, layer: int):
        """Views of a recurrent layer's W (n_in, k n_h), U (n_h, k n_h) and b (k n_h), or the output layer's."""
        k, g = GATES[self.cell], 0
        for n_in, n_h in zip(self.sizes[:-2], self.sizes[1:-1]):
            W = genome[g:g + n_in * k * n_h].reshape(n_in, k * n_h)
            U = genome[g + n_in * k * n_h:g + (n_in + n_h) * k * n_h].reshape(n_h, k * n_h)
            b = genome[g + (n_in + n_h) * k * n_h:g + (n_in + n_h + 1) * k * n_h]
            if layer == 0:
                return W, U, b
            layer -= 1
            g += (n_in + n_h + 1) * k * n_h
        n_in, n_out = self.sizes[-2], self.sizes[-1]
        return genome[g:g + n_in * n_out].reshape(n_in, n_out), None, genome[g + n_in * n_out:g + (n_in + 1) * n_out]

    def _candidate(self, n: int) -> slice:
        """The columns of the gate that writes new content (Elman's only gate, GRU's n, LSTM's g)."""
        q = 0 if self.cell == "elman" else 2
        return slice(q * n, (q + 1) * n)

    def weights(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """The input weights of ``layer`` as (n_out, n_in): a recurrent layer's candidate gate, or the output layer."""
        W, U, _ = self._blocks(genome, layer)
        return W.T if U is None else W[:, self._candidate(W.shape[1] // GATES[self.cell])].T

    def recurrent(self, genome: np.ndarray, layer: int) -> np.ndarray:
        """The recurrent weights of hidden layer ``layer``'s candidate gate as (n_h, n_h): ``U[j, i]`` feeds unit i to j."""
        _, U, _ = self._blocks(genome, layer)
        return U[:, self._candidate(U.shape[0])].T

    def hidden(self, state: np.ndarray) -> list:
        """Every recurrent layer's output ``h`` in a state row."""
        out, s = [], 0
        for n_h in self.sizes[1:-1]:
            out.append(state[s:s + n_h])
            s += 2 * n_h if self.cell == "lstm" else n_h
        return out

    def outputs(self, genome: np.ndarray, state: np.ndarray) -> np.ndarray:
        """The network's outputs (before the output activation) read from a state row's last ``h``."""
        W, _, b = self._blocks(genome, len(self.sizes) - 2)
        return self.hidden(state)[-1].astype(np.float64) @ W + b


class RNN:
    """A recurrent network evaluated for a whole population, with the surface of :class:`evo.MLP`.

    Parameters
    ----------
    sizes : sequence of int
        Widths: inputs, one or more recurrent layers, outputs, e.g. ``[4, 16, 2]``.
    cell : {"elman", "gru", "lstm"}
    hidden : str
        The Elman layers' activation (GRU and LSTM use their own sigmoid and tanh).
    output : str
        Activation of the dense output layer.
    init : {"glorot", "normal", "he"}
        As for :class:`evo.MLP`; recurrent weights are drawn like input weights.

    Examples
    --------
    >>> net = RNN([4, 16, 2], cell="gru")
    >>> out, state = net.forward(genomes, obs, net.initial_state(len(genomes)))   # doctest: +SKIP
    """

    def __init__(self, sizes, cell: str = "gru", hidden: str = "tanh", output: str = "linear", *,
                 init: str = "glorot"):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 3:
            raise ValueError(f"RNN sizes must list inputs, at least one recurrent layer and outputs, got {sizes!r}")
        sizes = [check_int("RNN layer width", s, 1) for s in sizes]
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; known: {', '.join(CELLS)}")
        for name, value in (("hidden", hidden), ("output", output)):
            if value not in ACTIVATIONS:
                raise ValueError(f"unknown {name} activation {value!r}; known: {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
        k = GATES[cell]
        genes = sum(k * (a + b + 1) * b for a, b in zip(sizes[:-2], sizes[1:-1])) + (sizes[-2] + 1) * sizes[-1]
        check_memory(f"an RNN {sizes}", 16.0 * genes)
        self.cell = cell
        self.hidden = hidden
        self.output = output
        self.init_scheme = init
        self.layout = RecurrentLayout(sizes, cell)
        self._kernel_module = None
        self._network_module = None

    sizes = property(lambda self: self.layout.sizes)
    num_params = property(lambda self: self.layout.num_params)
    num_inputs = property(lambda self: self.layout.sizes[0])
    num_outputs = property(lambda self: self.layout.sizes[-1])
    state_size = property(lambda self: self.layout.state_size)

    def __repr__(self) -> str:
        return (f"RNN({list(self.sizes)}, cell={self.cell!r}, hidden={self.hidden!r}, output={self.output!r}, "
                f"init={self.init_scheme!r})")

    def to_dict(self) -> dict:
        return {**self.layout.to_dict(), "hidden": self.hidden, "output": self.output, "init": self.init_scheme}

    @classmethod
    def from_dict(cls, d: dict) -> "RNN":
        return cls(d["sizes"], cell=d["cell"], hidden=d.get("hidden", "tanh"), output=d.get("output", "linear"),
                   init=d.get("init", "glorot"))

    def shape_constants(self) -> dict:
        """Template substitutions that make this network's shape compile-time constants."""
        width = max(self.sizes)
        return {"sizes": repr(tuple(self.sizes)), "cell": str(CELLS.index(self.cell)),
                "hidden": str(ACTIVATIONS.index(self.hidden)), "output": str(ACTIVATIONS.index(self.output)),
                "width": str(width), "memory": str(max(1, self.state_size))}

    lockstep = False
    """The lockstep kernel does not play recurrent networks: they play per agent."""

    def network_module(self, lanes: int):
        """This shape's network module (:data:`NETWORK_TEMPLATE`), compiled on first use or loaded from the
        cache; ``lanes`` is ignored (no lockstep block)."""
        if self._network_module is None:
            from envs.specialise import specialise
            self._network_module = specialise(NETWORK_TEMPLATE, "rnn", n_in=str(self.num_inputs),
                                              n_out=str(self.num_outputs), **self.shape_constants())
        return self._network_module

    def init(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` random genomes: weights by the init scheme (fan-in counts input and recurrent weights),
        biases zero (N(0, 1) with ``"normal"``). Returns an ndarray of shape (n, G), float32."""
        check_rng(rng)
        n = check_int("number of genomes", n, 0)
        check_memory(f"{n} genomes of {self.num_params} genes", 12.0 * n * self.num_params)
        genomes = np.zeros((n, self.num_params), dtype=np.float64)
        k, g = GATES[self.cell], 0
        for n_in, n_h in zip(self.sizes[:-2], self.sizes[1:-1]):
            weights = (n_in + n_h) * k * n_h
            genomes[:, g:g + weights] = rng.normal(0.0, self._scale(n_in + n_h, n_h), (n, weights))
            g += weights
            if self.init_scheme == "normal":
                genomes[:, g:g + k * n_h] = rng.normal(0.0, 1.0, (n, k * n_h))
            g += k * n_h
        n_in, n_out = self.sizes[-2], self.sizes[-1]
        genomes[:, g:g + n_in * n_out] = rng.normal(0.0, self._scale(n_in, n_out), (n, n_in * n_out))
        if self.init_scheme == "normal":
            genomes[:, g + n_in * n_out:] = rng.normal(0.0, 1.0, (n, n_out))
        return genomes.astype(np.float32)

    def _scale(self, fan_in: int, fan_out: int) -> float:
        if self.init_scheme == "normal":
            return 1.0
        return math.sqrt(2.0 / (fan_in + fan_out) if self.init_scheme == "glorot" else 2.0 / fan_in)

    def initial_state(self, n: int) -> np.ndarray:
        """The hidden state of ``n`` genomes at the start of an episode: zeros of shape (n, state_size), float32."""
        return np.zeros((check_int("number of genomes", n, 0), self.state_size), dtype=np.float32)

    def forward(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray) -> tuple:
        """One step of every genome on its own observation row.

        Parameters
        ----------
        genomes : ndarray of shape (P, G)
        obs : ndarray of shape (P, num_inputs)
        state : ndarray of shape (P, state_size)
            The hidden state before this step (:meth:`initial_state` at the start).

        Returns
        -------
        out : ndarray of shape (P, num_outputs), float32
        state : ndarray of shape (P, state_size), float32
            The hidden state after this step (a new array; ``state`` is not modified).
        """
        genomes = as_numbers("genomes", genomes, np.float32, contiguous=True)
        obs = as_numbers("obs", obs, np.float32, contiguous=True)
        P = genomes.shape[0] if genomes.ndim == 2 else -1
        if genomes.ndim != 2 or genomes.shape[1] != self.num_params:
            raise ValueError(f"genomes must have shape (P, {self.num_params}), got {genomes.shape}")
        if obs.shape != (P, self.num_inputs):
            raise ValueError(f"obs must have shape ({P}, {self.num_inputs}), got {obs.shape}")
        new_state = np.array(state, dtype=np.float32, copy=True, order="C")
        if new_state.shape != (P, self.state_size):
            raise ValueError(f"state must have shape ({P}, {self.state_size}), got {np.shape(state)}")
        out = np.empty((P, self.num_outputs), dtype=np.float32)
        self._kernels().forward(genomes, obs, new_state, out)
        return out, new_state

    def step(self, genomes: np.ndarray, obs: np.ndarray, state: np.ndarray, num_actions: int | None) -> tuple:
        """Actions for a game, as the fused rollout takes them, and the new state: ``(actions, state)``."""
        out, state = self.forward(genomes, obs, state)
        actions = np.empty(out.shape, dtype=np.float64)
        self._kernels().act_rows(out, num_actions is not None, actions)
        return (actions[:, 0].astype(np.int64) if num_actions is not None else actions), state

    def _kernels(self):
        if self._kernel_module is None:
            from envs.specialise import specialise
            self._kernel_module = specialise(_FORWARD_TEMPLATE, "recurrent_forward", **self.shape_constants())
        return self._kernel_module
