"""The child process that drives Ray for a command, and the messages between it and its parent.

When the Ray node a driver is attached to stops (the head node, for a driver
started there), Ray ends the driver's process. ``neuroevo run`` and
``neuroevo sweep`` therefore drive Ray from a child process: if Ray ends it,
the command notices, keeps its checkpoint and says so in one line.

The parent (:class:`Driver`) sends ``(name, args)``; the child (:func:`serve`)
answers ``("value", v)``, a stream of ``("item", v)`` ended by ``("end", None)``,
or ``("error", (type name, message))``, with ``("note", (level, text))`` in
between for each record of its ``evo.ray`` loggers. Genomes travel in shared
memory, not through the socket.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing import resource_tracker, shared_memory
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import ray
from ray import exceptions as rex

from evo.ray import pool, scheduler, settings, sweep
from evo.ray.connect import connect
from evo.ray.errors import HEAD_LOST, ClusterLost, Interrupted, auth_hint, ray_failed

log = logging.getLogger(__name__)

STOP = threading.Event()
"""Set by a stop request (:func:`evo.ray.backend.request_stop`): every wait for the child ends with
:class:`Interrupted`."""
ERRORS = {"ClusterLost": ClusterLost, "ValueError": ValueError, "TypeError": TypeError}
"""The errors of the child raised again as themselves in the parent (others as RuntimeError)."""


class Driver:
    """A child process that is this process's Ray driver.

    A plain ``python`` process in a session of its own (a Ctrl-C at the
    terminal reaches this process only), talking over a socket pair, with
    genomes in shared memory. It answers with a value, a stream of items or
    an error, and forwards the records of its ``evo.ray`` loggers to this
    process's. Every wait here checks, each ``settings.POLL`` seconds, for a
    stop request and for the child's death.

    Raises
    ------
    ValueError
        One line: the child could not connect to Ray at ``address``.
    """

    def __init__(self, address: str | None, verbose: bool = False):
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[2])  # where evo is imported from, here and there
        code = (f"import sys; sys.path.insert(0, {root!r}); "
                f"from evo.ray import messages; messages.serve({theirs.fileno()})")
        quiet = None if verbose else subprocess.DEVNULL  # Ray's own messages stay out of the terminal
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                     stdin=subprocess.DEVNULL, stdout=quiet, stderr=quiet, start_new_session=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self.shm = None
        self.broken = False  # after a ClusterLost: the child is not asked for anything again
        self.busy = True  # until the child says it is connected
        atexit.register(self.close)
        joining = address or os.environ.get("RAY_ADDRESS")
        where = joining or "a new local instance"
        try:
            self.conn.send((address, settings.shared(), verbose))
            self._receive(deadline=time.monotonic() + settings.CONNECT_TIMEOUT)
            self.busy = False
        except TimeoutError:
            self.close()
            raise ValueError(f"cannot connect to Ray at {where}: no answer within {settings.CONNECT_TIMEOUT:g} s"
                             f"{auth_hint(joining)}") from None
        except ClusterLost as e:
            self.close()
            raise ValueError(f"cannot connect to Ray at {where}: {e}") from None
        except BaseException:
            self.close()
            raise

    def call(self, name: str, *args):
        """The value the child's function ``name`` returns for ``args``."""
        self._send((name, args))
        kind, value = self._receive()
        self.busy = False
        return value

    def stream(self, name: str, *args):
        """The items the child's generator ``name`` yields for ``args``, as they come."""
        self._send((name, args))
        while True:
            kind, value = self._receive()
            if kind == "end":
                self.busy = False
                return
            self.busy = True  # an "error" in between cleared it; a stream is busy until its "end"
            yield value

    def rollout(self, key, game, genomes, E, seed, threads, kernel) -> tuple:
        """:func:`evo.ray.scheduler.play` in the child, the genomes passed in shared memory."""
        if self.shm is None or self.shm.size < genomes.nbytes:
            self._free()
            self.shm = shared_memory.SharedMemory(create=True, size=max(genomes.nbytes, 1 << 16))
        np.ndarray(genomes.shape, genomes.dtype, buffer=self.shm.buf)[...] = genomes
        return self.call("rollout", key, game, self.shm.name, genomes.shape, E, seed, threads, kernel)

    def _send(self, message) -> None:
        if STOP.is_set():
            raise Interrupted()
        if self.busy:  # an earlier call was interrupted: its answer would be taken for this one's
            raise ClusterLost("the Ray driver process is still busy with an interrupted call")
        if self.broken:
            raise ClusterLost("the Ray driver process lost its cluster earlier")
        try:
            self.conn.send(message)
        except OSError:
            self.broken = True
            raise ClusterLost(self._death()) from None
        self.busy = True

    def _receive(self, deadline: float | None = None) -> tuple:
        """The next answer of the child: (kind, value); notes are logged, errors raised here.

        Raises TimeoutError past ``deadline`` (a ``time.monotonic()`` value).
        """
        while True:
            if STOP.is_set():
                raise Interrupted()
            try:
                message = self.conn.recv() if self.conn.poll(settings.POLL) else None
            except (EOFError, OSError):
                self.broken = True
                raise ClusterLost(self._death()) from None
            if message is None:
                if self.proc.poll() is not None:
                    self.broken = True
                    raise ClusterLost(self._death())
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError
                continue
            kind, value = message
            if kind == "note":
                log.log(*value)
            elif kind == "error":
                self.busy = False
                self.broken = value[0] == "ClusterLost"
                raise ERRORS.get(value[0], RuntimeError)(value[1])
            else:
                return kind, value

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        how = "is still running" if code is None else f"exited with status {code}" if code >= 0 else \
            f"was killed by signal {-code}"
        return (f"lost the Ray driver process: it {how} (Ray ends a driver when the Ray node it is attached "
                f"to stops: {HEAD_LOST})")

    def _free(self) -> None:
        if self.shm is not None:
            self.shm.close()
            self.shm.unlink()
            self.shm = None

    def close(self) -> None:
        """End the child: asked, or at once after a stop request, or if it is busy or lost its cluster.

        Asked, the child shuts Ray down in order (a local instance takes about 1.5 s). At once, its
        process group is killed: the child and, when it started a local Ray instance, that
        instance's processes (its workers end with their raylet); a cluster it joined notices its
        driver gone and ends its actors. A graceful Ray shutdown there would keep a stopped
        command waiting 2 s for no result.
        """
        if self.proc.poll() is None and not self.busy and not self.broken and not STOP.is_set():
            try:
                self.conn.send(("close", ()))
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session and group (start_new_session)
            except OSError:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.conn.close()
        self._free()


# -- the child's side -----------------------------------------------------------------------


class _Forward(logging.Handler):
    """Sends the child's log records to the parent, which logs them again."""

    def __init__(self, conn):
        super().__init__(logging.INFO)
        self.conn = conn

    def emit(self, record):
        try:
            self.conn.send(("note", (record.levelno, record.getMessage())))
        except (OSError, ValueError):
            pass


def serve(fd: int) -> None:
    """The child process: connect, then answer requests until told to close or the parent goes."""
    conn = Connection(fd)
    address, shared, verbose = conn.recv()
    settings.update(shared)
    logger = logging.getLogger("evo.ray")
    logger.addHandler(_Forward(conn))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        connect(address)
    except ValueError as e:
        conn.send(("error", ("ValueError", str(e))))
        return
    conn.send(("value", None))
    memory: dict = {}

    def genomes(name, shape):
        if name not in memory:
            memory[name] = shared_memory.SharedMemory(name=name)
            # The parent owns it; before Python 3.13, attaching registers it with this process's
            # resource tracker too, which would unlink it when this process ends.
            resource_tracker.unregister(memory[name]._name, "shared_memory")
        return np.ndarray(shape, np.float32, buffer=memory[name].buf)

    served = {
        "rollout": lambda key, game, name, shape, E, seed, threads, kernel:
            scheduler.play(key, game, genomes(name, shape), E, seed, threads, kernel),
        "warm": pool.warm,
        "shutdown": pool.shutdown,
        "sweep": sweep.run,
    }
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            break
        if name == "close":
            break
        try:
            result = served[name](*args)
            if name == "sweep":
                for item in result:
                    conn.send(("item", item))
                conn.send(("end", None))
            else:
                conn.send(("value", result))
        except (EOFError, OSError):
            break
        except rex.RayError as e:
            if isinstance(e, rex.RayTaskError):  # our code failed in a worker: a bug, said as it is
                conn.send(("error", ("RuntimeError", str(e) or type(e).__name__)))
            else:  # Ray itself failed (warming up, say): the cluster is lost, and the line says so
                conn.send(("error", ("ClusterLost", str(ray_failed(e)))))
        except Exception as e:  # noqa: BLE001 - every error goes back to the parent as one line
            if verbose:
                traceback.print_exc()
            conn.send(("error", (type(e).__name__, str(e) or type(e).__name__)))
    for m in memory.values():
        m.close()
    pool.shutdown()
    ray.shutdown()
