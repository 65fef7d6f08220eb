"""Test-only faults for the Ray backend: chunks that sleep or fail inside the actor that plays them.

:class:`Chunks` replaces :meth:`evo.ray.pool.Actor.play` (the one place a chunk
is handed to an actor) through pytest's monkeypatch, records every chunk
handed out, and runs the fault inside the actor's own process with Ray's
``__ray_call__``: killing or freezing the actor then catches its chunk in
flight, and an error raised there reaches the driver as Ray delivers a task's
error. The actor processes cannot import this module, so Ray pickles it by
value.
"""

from __future__ import annotations

import sys
import time

import ray
from ray import exceptions as rex

from evo.ray.pool import Actor

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
_PLAY = Actor.play  # as the backend has it, whatever is installed later

SIMULATED = {
    "OutOfMemoryError": lambda: rex.OutOfMemoryError("simulated: the memory monitor killed this worker"),
    "ObjectLostError": lambda: rex.ObjectLostError("0" * 56, None, "simulated"),
    "NodeDiedError": lambda: rex.NodeDiedError("simulated: the node died"),
}
"""The errors Ray raises when it loses a worker or an object, by name, made in the actor."""


def _slow(evaluator, delay, *args):
    time.sleep(delay)
    return evaluator.rollout(*args)


def _fail(evaluator, error):
    raise SIMULATED[error]() if isinstance(error, str) else error


class Chunks:
    """Every chunk handed to an actor while installed, as ``(actor, chunk)`` in :attr:`sent`; a chunk is
    ``(genomes, start, stop)``: the object ref of the genomes sent and the rows of it to play.

    ``delay``: each chunk first sleeps that many seconds in its actor. ``fail``:
    {n: error} makes the ``n``-th chunk handed out (0 first) raise ``error`` in
    its actor instead of playing: a name of :data:`SIMULATED` or an exception.
    """

    def __init__(self, delay: float = 0.0, fail: dict | None = None):
        self.delay, self.fail = delay, dict(fail or {})
        self.sent: list = []

    def install(self, monkeypatch) -> "Chunks":
        chunks = self

        def play(actor, key, game, genomes, start, stop, episodes, seed, kernel):
            n = len(chunks.sent)
            chunks.sent.append((actor, (genomes, start, stop)))
            if n in chunks.fail:
                return actor.handle.__ray_call__.remote(_fail, chunks.fail.pop(n))
            if chunks.delay:
                return actor.handle.__ray_call__.remote(_slow, chunks.delay, key, game, genomes, start, stop,
                                                        episodes, seed, kernel)
            return _PLAY(actor, key, game, genomes, start, stop, episodes, seed, kernel)

        monkeypatch.setattr(Actor, "play", play)
        return self

    def chunks(self, actor=None) -> list:
        """The chunks handed out (to ``actor`` only, if given), in order."""
        return [chunk for who, chunk in self.sent if actor is None or who is actor]

    def replayed(self, actor=None) -> list:
        """The chunks handed to more than one actor (of those handed to ``actor``, if given)."""
        return [chunk for chunk in dict.fromkeys(self.chunks(actor))
                if len({id(who) for who, c in self.sent if c == chunk}) > 1]
