"""What the Ray backend raises, and which of Ray's errors it recovers from."""

from __future__ import annotations

import errno
import os

from ray import exceptions as rex


class ClusterLost(RuntimeError):
    """Ray cannot go on with this call; the message is one line saying what happened.

    Raised when no actor could play for ``settings.WAIT_FOR_ACTORS`` seconds,
    when one chunk lost ``settings.LOSSES_PER_CHUNK`` actors, when a call to
    Ray itself fails (head node unreachable), or when the child process
    driving Ray ends. Nothing of the call's result is kept; the caller's
    state is as it was before the call.
    """


class Interrupted(Exception):
    """:func:`evo.ray.backend.request_stop` was called while a call waited for Ray."""


ACTOR_LOST = (rex.RayActorError, rex.ActorUnschedulableError, rex.OutOfMemoryError, rex.WorkerCrashedError,
              rex.NodeDiedError, rex.TaskUnschedulableError)
"""Whatever a task can die of that is not the task's own fault: its chunk is played again elsewhere."""
OBJECT_LOST = (rex.ObjectLostError,)
"""An object of the store is gone: it is put again."""
RAY_FAILED = (rex.RayError, ConnectionError, OSError)
"""Ray itself failed (the head, the object store): the call raises :class:`ClusterLost`."""


HEAD_LOST = "was the head node lost?"
"""What a lost connection to the cluster most likely means, said in every line that reports one."""


_BROKEN = (errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.ECONNREFUSED)
"""The errno of a connection whose other end is gone, whatever the exception's class."""


def ray_failed(error: BaseException) -> ClusterLost:
    """The :class:`ClusterLost` that says Ray failed with ``error``.

    A broken connection (``BrokenPipeError``, ``ConnectionResetError``, or a
    plain ``OSError`` with their errno or its words: the head's end of it is gone) or Ray's own word for an unreachable head
    (:class:`ray.exceptions.RaySystemError`, a GCS that does not answer) names
    the head node as the likely cause, as the driver process's death does.
    """
    what = f"{type(error).__name__}: {first_line(error)}"
    # a plain OSError(EPIPE) says the same, and so does one that carries the errno's words only (Ray's own)
    broken = isinstance(error, OSError) and (error.errno in _BROKEN or any(os.strerror(e) in str(error)
                                                                           for e in _BROKEN))
    if isinstance(error, (ConnectionError, rex.RaySystemError)) or broken or "GCS" in str(error):
        return ClusterLost(f"lost the connection to the Ray cluster ({what}): {HEAD_LOST}")
    return ClusterLost(f"Ray failed: {what}")


def first_line(error: BaseException) -> str:
    """One line for an error: its message's first line (its type's name if it has none).

    A first line that only introduces what follows ("Initialization failure from
    server:" before a server's traceback) gets the message's last line, the
    traceback's own error, after it.
    """
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].endswith(":") and len(lines) > 1:
        return f"{lines[0]} {lines[-1]}"
    return lines[0]


def auth_hint(address: str | None) -> str:
    """A hint for a cluster that refused or ignored us: Ray 2.5x heads enable token authentication."""
    if not address or os.environ.get("RAY_AUTH_MODE", "").lower() == "token":
        return ""
    return " (a cluster with token authentication needs RAY_AUTH_MODE=token and its token here)"
