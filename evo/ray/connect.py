"""Joining Ray from this process, and noticing when the Ray node it is attached to stops."""

from __future__ import annotations

import logging
import os
import socket
import time

import ray
from ray import exceptions as rex

from evo.ray.errors import HEAD_LOST, ClusterLost, auth_hint, first_line


def connect(address: str | None = None) -> None:
    """Connect this process to Ray unless it is connected already.

    ``address=None`` starts a local instance with ``os.cpu_count()`` CPUs,
    without dashboard and without forwarding worker logs (or joins the
    cluster named by ``RAY_ADDRESS``); ``"auto"``, ``"host:port"`` or
    ``"ray://host:port"`` join a running cluster.

    Raises
    ------
    ValueError
        One line: the cluster cannot be reached (or ``ray://`` without ``ray[client]``).
    """
    if ray.is_initialized():
        return
    where = address or os.environ.get("RAY_ADDRESS")
    for attempt in range(1, CLIENT_ATTEMPTS + 1):
        try:
            if where:
                ray.init(address=address or None, log_to_driver=False, logging_level=logging.WARNING)
            else:  # "local": a new instance, never one that happens to be running on this machine
                ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR)
            return
        except ConnectionAbortedError as e:  # a ray:// server that failed to start this client's session
            if attempt == CLIENT_ATTEMPTS or "Initialization failure" not in str(e):
                raise ValueError(f"cannot connect to Ray at {where}: {first_line(e)}{auth_hint(where)}") from None
            time.sleep(CLIENT_PAUSE)
        except (ConnectionError, rex.RayError) as e:
            raise ValueError(f"cannot connect to Ray at {where}: {first_line(e)}{auth_hint(where)}") from None
        except ImportError as e:  # ray:// needs the client extra
            raise ValueError(f"cannot connect to Ray at {where}: {e} (pip install 'ray[client]')") from None


CLIENT_ATTEMPTS = 3
"""Tries of a ``ray://`` connection whose server fails to start the session ("Initialization failure from
server"): its head starts a process per client, which a busy head may fail to start in time."""
CLIENT_PAUSE = 2.0
"""Seconds between those tries."""


def session() -> tuple:
    """(node id, job id) of this process's Ray connection: a pool belongs to one session."""
    ctx = ray.get_runtime_context()
    return ctx.get_node_id(), ctx.get_job_id()


def cpus() -> int:
    """The CPUs of the cluster now (alive nodes)."""
    return int(ray.cluster_resources().get("CPU", 0))


def smallest_node() -> int:
    """The CPU count of the smallest alive node that has any (1 if none has)."""
    sizes = [int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    return min([c for c in sizes if c >= 1] or [1])


def check_local_node() -> None:
    """Raise :class:`ClusterLost` if the Ray node this process is attached to has stopped.

    Without it, the next call to the cluster's head would wait for Ray's GCS
    reconnection timeout (60 s) before Ray ends the process; the node's
    socket refusing a connection says so at once.
    """
    node = getattr(ray._private.worker.global_worker, "node", None)  # None for a ray:// client
    path = getattr(node, "raylet_socket_name", None)
    if not path:
        return
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(path)
        except OSError as e:
            raise ClusterLost(f"the Ray node this driver is attached to has stopped (its raylet: {e.strerror}); "
                              f"{HEAD_LOST}") from None
