"""Network kinds by name: the one place that knows every kind, so no kind's module imports another's.

A run config names its network by kind (``"mlp"`` or a recurrent cell) and a
checkpoint stores ``net.to_dict()``; :func:`build` and :func:`from_dict` turn
either back into a network.
"""

from __future__ import annotations

from evo.networks.cnn import CNN
from evo.networks.mlp import MLP
from evo.networks.neat import NEATNetwork
from evo.networks.recurrent import CELLS, RNN

KINDS = ("mlp", *CELLS, "cnn")


def from_dict(d: dict):
    """The network described by ``net.to_dict()``: an :class:`~evo.networks.mlp.MLP`, or an
    :class:`~evo.networks.recurrent.RNN` when ``cell`` is set, a
    :class:`~evo.networks.neat.NEATNetwork` when ``neat`` is."""
    if d.get("neat"):
        return NEATNetwork.from_dict(d)
    if "conv" in d:
        return CNN.from_dict(d)
    if "cell" in d:
        return RNN.from_dict(d)
    return MLP.from_dict(d)


def build(kind: str, sizes: list, *, activation: str = "tanh", output: str = "linear", init: str = "glorot",
          conv=(), input_shape=None):
    """The network a run config names: ``kind`` is ``"mlp"``, a recurrent cell (``elman``, ``gru``, ``lstm``)
    or ``"cnn"``, which reads images of ``input_shape`` (C, H, W) through the ``conv`` layers, then the dense
    layers ``sizes[1:-1]``, to ``sizes[-1]`` outputs."""
    if kind == "cnn":
        return CNN(input_shape, conv, sizes[1:-1], sizes[-1], hidden=activation, output=output, init=init)
    if kind == "mlp":
        return MLP(sizes, hidden=activation, output=output, init=init)
    if kind not in CELLS:
        raise ValueError(f"unknown network {kind!r}; known: {', '.join(KINDS)}")
    return RNN(sizes, cell=kind, hidden=activation, output=output, init=init)
