"""Champions that leave the package: ``neuroevo export RUN --format json|numpy|onnx --out FILE``.

Three forms of a run's champion (``champion.npz``, see ``docs/export.md`` for the schemas):

- ``json``: the network's kind, shape and weights layer by layer, the flat genome, the game it
  plays and how its outputs become actions (:func:`policy_json`);
- ``numpy``: a standalone ``policy.py`` whose ``act(obs)`` needs only numpy and gives the
  package's actions to the bit, for feed-forward and recurrent networks (:func:`policy_source`);
- ``onnx``: an ONNX model of a feed-forward network, with its outputs and its actions
  (:func:`onnx_model`; needs the ``onnx`` package, the ``onnx`` extra).

An export is written atomically and only where nothing but an earlier export of the same form
would be replaced (:func:`check_export_target`), so a run directory's own files are never
overwritten.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from evo.networks.mlp import MLP
from evo.networks.neat import NEATNetwork
from evo.networks.recurrent import GATES, RNN

FORMATS = {"json": ".json", "numpy": ".py", "onnx": ".onnx", "dot": ".dot"}
"""Export formats and the file suffix each writes."""
DEFAULT_OUT = {"json": "champion.json", "numpy": "policy.py", "onnx": "champion.onnx", "dot": "champion.dot"}
SCHEMA = "neuroevo.policy/1"
"""The JSON export's ``schema`` value: the format's name and version."""
_PY_HEADER = '"""A neuroevo champion as a standalone policy that needs only numpy.'
_GATE_NAMES = {"elman": ["h"], "gru": ["z", "r", "n"], "lstm": ["i", "f", "g", "o"]}


def _tanh_constants() -> dict:
    """The coefficients of the package's float32 tanh (:func:`evo.networks.mlp.fast_tanh`), as exact floats."""
    from evo.networks import mlp
    return {"clamp": float(mlp._TANH_CLAMP),
            "numerator": [float(getattr(mlp, f"_A{k}")) for k in (13, 11, 9, 7, 5, 3, 1)],
            "denominator": [float(getattr(mlp, f"_B{k}")) for k in (6, 4, 2, 0)]}


def _check_network(net, fmt: str) -> None:
    if isinstance(net, NEATNetwork) and fmt in ("json", "dot"):
        return
    if fmt == "dot":
        raise ValueError("--format dot draws NEAT networks (a run of --algorithm neat)")
    kinds = (MLP,) if fmt == "onnx" else (MLP, RNN)
    if not isinstance(net, kinds):
        what = "feed-forward (mlp) networks" if fmt == "onnx" else "mlp and recurrent (elman, gru, lstm) networks"
        raise ValueError(f"--format {fmt} exports {what}; this champion's network is "
                         f"{getattr(net, 'cell', None) or type(net).__name__.lower()}")


def _actions(env) -> dict:
    if env.num_actions is not None:
        return {"kind": "discrete", "count": int(env.num_actions),
                "rule": "the index of the largest output, the first on ties"}
    return {"kind": "continuous", "size": int(env.action_size), "rule": "tanh of every output, in [-1, 1]"}


def _layers(net, genome: np.ndarray) -> list:
    """The weights of ``net`` in ``genome`` layer by layer (the JSON schema's ``layers``); a NEAT network's
    one ``neat`` layer holds its nodes and connections (:meth:`evo.networks.neat.NEATNetwork.topology`)."""
    if isinstance(net, NEATNetwork):
        return [{"type": "neat", **net.topology(genome)}]
    if isinstance(net, MLP):
        return [{"type": "dense", "inputs": l.n_in, "outputs": l.n_out, "activation": l.activation,
                 "weights": net.layout.weights(genome, i).T.tolist(), "biases": net.layout.biases(genome, i).tolist()}
                for i, l in enumerate(net.layout.layers)]
    out = []
    for layer, (n_in, n_h) in enumerate(zip(net.sizes[:-2], net.sizes[1:-1])):
        W, U, b = net.layout._blocks(genome, layer)
        out.append({"type": net.cell, "inputs": n_in, "units": n_h, "gates": _GATE_NAMES[net.cell],
                    **({"activation": net.hidden} if net.cell == "elman" else {}),
                    "input_weights": W.tolist(), "recurrent_weights": U.tolist(), "biases": b.tolist()})
    W, _, b = net.layout._blocks(genome, len(net.sizes) - 2)
    out.append({"type": "dense", "inputs": net.sizes[-2], "outputs": net.sizes[-1], "activation": net.output,
                "weights": W.tolist(), "biases": b.tolist()})
    return out


def policy_json(champion) -> dict:
    """The JSON export of a champion (:class:`evo.runs.rundir.Champion`): see ``docs/export.md``.

    Every weight is a float32 value written as the shortest decimal that reads back to it, so
    ``np.float32(value)`` recovers the genome to the bit.
    """
    _check_network(champion.net, "json")
    net, env, config = champion.net, champion.env, champion.config
    kind = net.cell if isinstance(net, RNN) else "neat" if isinstance(net, NEATNetwork) else "mlp"
    return {
        "schema": SCHEMA,
        "env": {"name": config.env, "level": config.level, "params": dict(config.env_params),
                "obs_size": int(env.obs_size), "actions": _actions(env)},
        "network": {"kind": kind, **net.to_dict()},
        "layers": _layers(net, champion.genome),
        "genome": champion.genome.tolist(),
        "scores": {"validation": champion.validation, "test": champion.test, "test_episodes": config.test_episodes},
        "tanh": _tanh_constants(),
    }


_POLICY_TEMPLATE = '''\
"""A neuroevo champion as a standalone policy that needs only numpy.

Exported by ``neuroevo export`` from a champion of $env. ``act(obs)`` gives the action
neuroevo's game takes from this network, to the bit: for a discrete game the index of the
largest output (the first on ties), an int; for a continuous one tanh of every output, a float64
array in [-1, 1]. A recurrent network keeps its state from one call to the next: call
``reset()`` at the start of every episode.

    import policy
    policy.reset()
    action = policy.act(obs)    # obs: the game's observation, OBS_SIZE numbers

Everything is computed in float32 in neuroevo's order, with its tanh (a clamped rational
approximation), so the results are neuroevo's own.
"""
import base64

import numpy as np

ENV = $env
OBS_SIZE = $obs_size
NUM_ACTIONS = $num_actions  # None for a continuous game
ACTION_SIZE = $action_size  # None for a discrete game
NETWORK = $network
GENOME = np.frombuffer(base64.b64decode("$genome"), dtype="<f4").astype(np.float32)

_F = np.float32
_ZERO, _ONE, _HALF = _F(0.0), _F(1.0), _F(0.5)
_CLAMP = _F($clamp)
_NUMERATOR = [_F(v) for v in $numerator]
_DENOMINATOR = [_F(v) for v in $denominator]
_GATES = {"elman": 1, "gru": 3, "lstm": 4}


def _tanh(x):
    x = np.minimum(np.maximum(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _NUMERATOR[0] + _NUMERATOR[1]
    for a in _NUMERATOR[2:]:
        p = x2 * p + a
    p = x * p
    q = x2 * _DENOMINATOR[0] + _DENOMINATOR[1]
    for b in _DENOMINATOR[2:]:
        q = x2 * q + b
    return p / q


def _sigmoid(x):
    return _HALF * (_ONE + _tanh(_HALF * x))


def _activate(x, name):
    if name == "tanh":
        return _tanh(x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "relu":
        return np.where(_ZERO > x, _ZERO, x)
    if name == "step":
        return np.where(x > _ZERO, _ONE, _ZERO)
    return x


def _affine(matrix, v, acc):
    """acc + matrix^T v, summed input by input (matrix rows are inputs)."""
    for i in range(matrix.shape[0]):
        acc = acc + matrix[i] * v[i]
    return acc


def _take(n_rows, n_cols, at):
    return GENOME[at:at + n_rows * n_cols].reshape(n_rows, n_cols), at + n_rows * n_cols


def _unpack():
    """Layers of the genome: (W, b, activation) per dense layer; (W, U, b) per recurrent layer."""
    sizes, at, layers = NETWORK["sizes"], 0, []
    if NETWORK["kind"] == "mlp":
        for n_in, n_out, act in zip(sizes[:-1], sizes[1:], NETWORK["activations"]):
            W, at = _take(n_in, n_out, at)
            layers.append((W, GENOME[at:at + n_out], act))
            at += n_out
        return layers, None
    k = _GATES[NETWORK["kind"]]
    for n_in, n_h in zip(sizes[:-2], sizes[1:-1]):
        W, at = _take(n_in, k * n_h, at)
        U, at = _take(n_h, k * n_h, at)
        layers.append((W, U, GENOME[at:at + k * n_h]))
        at += k * n_h
    W, at = _take(sizes[-2], sizes[-1], at)
    return layers, (W, GENOME[at:at + sizes[-1]], NETWORK["output"])


_LAYERS, _OUTPUT = _unpack()
_state = []


def reset():
    """Forget the recurrent state (zeros, as at the start of every episode in neuroevo)."""
    _state.clear()
    for W, U, b in (_LAYERS if _OUTPUT is not None else ()):
        n_h = U.shape[0]
        _state.append([np.zeros(n_h, _F), np.zeros(n_h, _F)])  # h, and c for an LSTM


def _recurrent_step(x):
    cell = NETWORK["kind"]
    for (W, U, b), memory in zip(_LAYERS, _state):
        h, c = memory
        n = U.shape[0]
        ax = _affine(W, x, np.zeros(W.shape[1], _F)) + b
        ah = _affine(U, h, np.zeros(U.shape[1], _F))
        if cell == "elman":
            h = _activate(ax + ah, NETWORK["hidden"])
        elif cell == "gru":
            z = _sigmoid(ax[:n] + ah[:n])
            r = _sigmoid(ax[n:2 * n] + ah[n:2 * n])
            candidate = _tanh(ax[2 * n:] + r * ah[2 * n:])
            h = (_ONE - z) * candidate + z * h
        else:
            i = _sigmoid(ax[:n] + ah[:n])
            f = _sigmoid(ax[n:2 * n] + ah[n:2 * n])
            g = _tanh(ax[2 * n:3 * n] + ah[2 * n:3 * n])
            o = _sigmoid(ax[3 * n:] + ah[3 * n:])
            c = f * c + i * g
            h = o * _tanh(c)
        memory[0], memory[1] = h, c
        x = h
    W, b, act = _OUTPUT
    return _activate(_affine(W, x, np.zeros(W.shape[1], _F)) + b, act)


def forward(obs):
    """The network's outputs (float32) for one observation; a recurrent network steps its state."""
    x = np.asarray(obs, dtype=_F).reshape(-1)
    if x.shape != (OBS_SIZE,):
        raise ValueError(f"obs must hold {OBS_SIZE} numbers, got shape {np.shape(obs)}")
    if _OUTPUT is not None:
        return _recurrent_step(x)
    for W, b, act in _LAYERS:
        x = _activate(_affine(W, x, np.zeros(W.shape[1], _F)) + b, act)
    return x


def act(obs):
    """The action for one observation: an int (discrete game) or a float64 array (continuous)."""
    out = forward(obs)
    if NUM_ACTIONS is not None:
        best = 0
        for j in range(1, out.shape[0]):
            if out[j] > out[best]:
                best = j
        return best
    return _tanh(out).astype(np.float64)


reset()
'''


def policy_source(champion) -> str:
    """The source of a standalone ``policy.py`` for a champion (:class:`evo.runs.rundir.Champion`).

    The genome is held inside it (base64 of its little-endian float32 bytes), so the file is all
    a user needs beside numpy.
    """
    from string import Template

    _check_network(champion.net, "numpy")
    net, env = champion.net, champion.env
    network = {"kind": net.cell if isinstance(net, RNN) else "mlp", **net.to_dict()}
    genome = np.ascontiguousarray(champion.genome, dtype="<f4")
    tanh = _tanh_constants()
    return Template(_POLICY_TEMPLATE).substitute(
        env=repr(champion.config.env), obs_size=int(env.obs_size),
        num_actions=repr(None if env.num_actions is None else int(env.num_actions)),
        action_size=repr(None if env.action_size is None else int(env.action_size)),
        network=repr(network), genome=base64.b64encode(genome.tobytes()).decode("ascii"),
        clamp=repr(tanh["clamp"]), numerator=repr(tanh["numerator"]), denominator=repr(tanh["denominator"]))


def onnx_model(champion) -> bytes:
    """An ONNX model of a feed-forward champion, serialised.

    Input ``obs`` (float32, shape (N, obs_size)); outputs ``outputs`` (float32, (N, num_outputs))
    and ``action``: int64 (N,) argmax for a discrete game, float32 (N, action_size) tanh for a
    continuous one. ONNX's own MatMul and Tanh compute them, so they agree with the package's to
    float32 rounding, not to the bit (``policy.py`` is the exact export).
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise ValueError("--format onnx needs the onnx package: pip install 'neuroevo[onnx]'") from None
    _check_network(champion.net, "onnx")
    net, env = champion.net, champion.env
    ops = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "linear": "Identity"}
    nodes, weights, x = [], [numpy_helper.from_array(np.zeros((), np.float32), "zero")], "obs"
    for i, layer in enumerate(net.layout.layers):
        W = np.ascontiguousarray(net.layout.weights(champion.genome, i).T)
        b = np.ascontiguousarray(net.layout.biases(champion.genome, i))
        weights += [numpy_helper.from_array(W, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("MatMul", [x, f"W{i}"], [f"product{i}"]),
                  helper.make_node("Add", [f"product{i}", f"b{i}"], [f"sum{i}"])]
        y = "outputs" if i == len(net.layout.layers) - 1 else f"layer{i}"
        if layer.activation == "step":
            nodes += [helper.make_node("Greater", [f"sum{i}", "zero"], [f"positive{i}"]),
                      helper.make_node("Cast", [f"positive{i}"], [y], to=TensorProto.FLOAT)]
        else:
            nodes.append(helper.make_node(ops[layer.activation], [f"sum{i}"], [y]))
        x = y
    if env.num_actions is not None:
        nodes.append(helper.make_node("ArgMax", ["outputs"], ["action"], axis=1, keepdims=0))
        action = helper.make_tensor_value_info("action", TensorProto.INT64, ["N"])
    else:
        nodes.append(helper.make_node("Tanh", ["outputs"], ["action"]))
        action = helper.make_tensor_value_info("action", TensorProto.FLOAT, ["N", net.num_outputs])
    graph = helper.make_graph(
        nodes, "neuroevo_policy", [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["N", net.num_inputs])],
        [helper.make_tensor_value_info("outputs", TensorProto.FLOAT, ["N", net.num_outputs]), action], weights)
    model = helper.make_model(graph, producer_name="neuroevo", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # opset 13 needs no newer IR; older runtimes read it
    helper.set_model_props(model, {"env": champion.config.env, "network": json.dumps(net.to_dict())})
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _is_export(path: Path, fmt: str) -> bool:
    """Whether the file at ``path`` is an earlier export of ``fmt`` (which an export may replace)."""
    try:
        head = path.read_bytes()[:1 << 20] if fmt != "json" else path.read_bytes()
    except OSError:
        return False
    if fmt == "json":
        try:
            return json.loads(head).get("schema", "").startswith("neuroevo.policy/")
        except (ValueError, AttributeError, UnicodeDecodeError):
            return False
    if fmt == "numpy":
        return head.startswith(_PY_HEADER.encode())
    if fmt == "dot":
        return head.startswith(b"// neuroevo NEAT network")
    return b"\x12\x08neuroevo" in head[:32]  # ONNX: the producer_name field near the start


def check_export_target(out, fmt: str) -> Path:
    """Refuse, with one line, an ``--out`` that an export of ``fmt`` must not write.

    The file must end in the format's suffix (``.json``, ``.py``, ``.onnx``), lie in an existing
    directory, and be new or an earlier export of the same format: a run directory's files, or
    any other file, are never replaced.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if str(out).strip() == "":
        raise ValueError(f"--out must name a {FORMATS[fmt]} file")
    out = Path(out)
    if out.suffix.lower() != FORMATS[fmt]:
        raise ValueError(f"--format {fmt} writes a {FORMATS[fmt]} file, got --out {out}")
    if not out.parent.is_dir():
        raise ValueError(f"directory {out.parent} does not exist")
    from evo.runs.rundir import check_output_file
    check_output_file(out, "--out")  # a newline in the name, an unwritable directory
    if out.is_dir() or out.exists() and not _is_export(out, fmt):
        raise ValueError(f"{out} exists and is not a neuroevo {fmt} export; choose another --out")
    return out


def cmd_export(args) -> int:
    """``neuroevo export RUN [--format json|numpy|onnx] [--out FILE]``: write the run's champion."""
    from evo.runs.commands import UsageError, bad_input
    from evo.runs.rundir import atomic_write, load_champion

    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower() if args.out else ""
        fmt = next((name for name, s in FORMATS.items() if s == suffix), "json" if not args.out else None)
        if fmt is None:
            raise UsageError(f"neuroevo: cannot tell the format from --out {args.out}: give --format json, "
                             f"numpy or onnx")
    with bad_input():
        out = check_export_target(args.out if args.out is not None else DEFAULT_OUT[fmt], fmt)
        champion = load_champion(args.dir)
        if fmt == "json":
            data = json.dumps(policy_json(champion), indent=1) + "\n"
        elif fmt == "numpy":
            data = policy_source(champion)
        elif fmt == "dot":
            _check_network(champion.net, fmt)
            data = champion.net.to_dot(champion.genome, f"{champion.config.env} champion")
        else:
            data = onnx_model(champion)
    atomic_write(out, data)
    print(f"{champion.config.env}: champion exported as {fmt} to {out}")
    return 0
