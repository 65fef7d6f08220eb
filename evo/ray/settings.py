"""The Ray backend's settings: module attributes, read when they are used.

Change them by assignment (``evo.ray.settings.WAIT_FOR_ACTORS = 120``) before
a call; a driver child process (``init(isolated=True)``) takes the values of
:data:`SHARED` from its parent when it starts.
"""

THREADS_PER_ACTOR: int | None = None
"""Numba threads (and CPUs reserved) per actor; None: the CPUs of the smallest node, so one
actor per node on a uniform cluster. See :func:`evo.ray.pool.pool`."""
CHUNKS_PER_ACTOR = 2
"""Most chunks per actor in a generation: more balance the load, fewer cost less per generation."""
SPLIT_ABOVE = 8192
"""(genome, episode) pairs per chunk below which an actor gets one chunk only: each chunk
costs a few milliseconds in Ray (see benchmarks/ray_backend.py)."""
WAIT_FOR_ACTORS = 60.0
"""Seconds a call waits while no actor can play (all lost, or none placed yet) before it raises
:class:`evo.ray.errors.ClusterLost`. Ray takes about 15 s to declare a silent node dead."""
LOSSES_PER_CHUNK = 3
"""Actors one chunk may lose in one call before the call gives up (a chunk that kills every actor
it meets is a bug, not bad luck)."""
RESIZE_EVERY = 2.0
"""Seconds between looks at the cluster's CPUs (to grow or shrink the pool); each costs a request
to the head."""
CONNECT_TIMEOUT = 120.0
"""Seconds ``init(isolated=True)`` waits for Ray to answer (``ray.init`` itself retries an address
that does not answer for ever)."""
LATE_AFTER = 3.0
LATE_MIN = 2.0
"""A chunk running ``LATE_AFTER`` times longer than the median chunk of its call, and at least
``LATE_MIN`` seconds, is also given to an idle actor (see :class:`evo.ray.scheduler.Generation`)."""
POLL = 0.5
"""Seconds between checks while waiting on Ray (stop requests, starving pools, the child process)."""

SHARED = ("THREADS_PER_ACTOR", "CHUNKS_PER_ACTOR", "SPLIT_ABOVE", "WAIT_FOR_ACTORS", "LOSSES_PER_CHUNK",
          "RESIZE_EVERY", "LATE_AFTER", "LATE_MIN", "POLL")
"""The settings a driver child process takes from its parent."""


def shared() -> dict:
    """{name: value} of the :data:`SHARED` settings now."""
    return {name: globals()[name] for name in SHARED}


def update(values: dict) -> None:
    """Set the settings named in ``values`` (a child process, with its parent's :func:`shared`)."""
    unknown = set(values) - set(SHARED)
    if unknown:
        raise ValueError(f"unknown Ray settings: {', '.join(sorted(unknown))}")
    globals().update(values)
