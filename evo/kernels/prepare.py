"""Kernels compiled before they are first played: in a child process, with a word to the user.

Numba compiles a kernel at its first call, which for a game's fused rollout
takes seconds to tens of seconds, and a process compiling cannot act on
Ctrl-C until the compiler returns. So the first time a kernel is met on this
machine, :func:`prepare` says so in one line, compiles it in a child process
that writes the machine code to the kernel cache (:mod:`envs.specialise`),
and waits for the child where Ctrl-C acts at once (the child is ended with
it). This process then loads the machine code from the cache, as every later
process does.

A file beside the kernel in the cache, named for the kernel's module (whose
name hashes every source it reaches) and for this machine's CPU, remembers
that the child succeeded. Without a cache directory, or where the child
fails (a game module the child cannot import), the kernel compiles here, as
it would have, after the same line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from envs.specialise import cache_dir
from evo.kernels import episode as _episode
from evo.kernels import lanes as _lanes

_CHILD = "import sys; from evo.kernels.play import compile_request; compile_request(sys.argv[1])"
"""What the child runs (:func:`evo.kernels.play.compile_request`)."""
_SAME_PATH = "import json, sys; sys.path[:] = json.loads(sys.argv[1])['path']\n"
"""Run before the child's program: its imports search where this process's do. ``python -c`` would put the
current directory first, and a source tree there (a checkout installed with ``pip install .``) would give
the child another copy of the package than this process, whose kernels this process would not find."""
CHILD = "NEUROEVO_COMPILING"
"""Set in the child's environment: the child compiles where it is, never in a child of its own."""
HERE = "NEUROEVO_COMPILE_HERE"
"""Set (to anything but "" or "0") to compile every kernel in the process that plays it, at its first call,
without a child and without the line: the test suite does, where a child's start would only add time."""

_ready: set = set()
"""Kernels this process knows to be compiled (or to compile in this process)."""


def _say(line: str) -> None:
    print(f"neuroevo: {line}", file=sys.stderr, flush=True)


notice = _say
"""Called with the line that says kernels are compiling (``None``: say nothing). The CLI's ``--quiet``
sets it to None; the viewer draws the line instead."""


def machine() -> str:
    """A short digest of what Numba compiles for here (target triple, CPU name and features): the cache's
    machine code is only loaded on a machine where this is the same."""
    from numba.core.registry import cpu_target
    magic = cpu_target.target_context.codegen().magic_tuple()
    return hashlib.sha256(repr(magic).encode()).hexdigest()[:12]


def modules(env, net, kind: str) -> list:
    """The generated modules (:mod:`evo.kernels.episode`) a rollout of ``kind`` plays ``env`` and ``net`` with."""
    if kind == "agent":
        kernel = _episode.agent_module(env, net, _lanes.LANES)
    else:
        kernel = _episode.lockstep_module(env, net, _lanes.LANES, _lanes.TAIL_LANES)
    return [_episode.starts_module(env), kernel]


def marker(env, net, kind: str, program: str | None = None) -> Path | None:
    """The file that says the kernels of ``kind`` for ``env`` and ``net`` are compiled on this machine
    (None without a cache directory); ``program``: a child program of another caller's, which compiles more."""
    directory = cache_dir()
    if directory is None:
        return None
    starts, kernel = (Path(m.__file__).stem for m in modules(env, net, kind))
    tag = "" if program is None else "." + hashlib.sha256(program.encode()).hexdigest()[:8]
    return directory / f"{kernel}.{starts.rsplit('_', 1)[-1][:8]}{tag}.{machine()}.ready"


def pending(env, net, kind: str, program: str | None = None) -> bool:
    """Whether playing ``env`` with ``net`` on the ``kind`` kernel would compile first."""
    if not getattr(env, "fused", False) or (env.module.__name__, repr(net), kind, program) in _ready:
        return False
    path = marker(env, net, kind, program)
    return path is None or not path.exists()


def prepare(env, net, kind: str, say="notice", *, program: str | None = None, stop=None) -> None:
    """Make sure the fused rollout of ``kind`` ("agent" or "lockstep") for ``env`` and ``net`` is compiled
    before it is played, saying so if it is not; see the module's docstring.

    Parameters
    ----------
    say : callable or None
        Called with the line that says kernels compile (default: :data:`notice`; None says nothing).
    program : str, optional
        Python source the child runs (``sys.argv[1]``: the request, JSON) instead of
        :func:`evo.kernels.play.compile_request`, to compile more than the rollout (the
        viewer's step-by-step kernels); it is part of the marker's name.
    stop : threading.Event, optional
        Set by another thread to end the child and this call (KeyboardInterrupt).

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C (or ``stop``) while the child compiled: the child is ended first.
    """
    key = (getattr(getattr(env, "module", None), "__name__", None), repr(net), kind, program)
    if key in _ready or os.environ.get(CHILD) or os.environ.get(HERE, "0") not in ("", "0"):
        return  # known, or compiled where it is played: decided by the environment, which may change
    if not pending(env, net, kind, program):
        _ready.add(key)
        return
    path = marker(env, net, kind, program)
    say = notice if say == "notice" else say
    if say is not None:
        say(f"compiling the {env.name} kernels for this network ({kind} kernel), first time only")
    if path is not None:
        with _exclusive(path, stop):  # another process compiling it: wait, then load what it compiled
            if not path.exists() and _compile_in_child(env, net, kind, program or _CHILD, stop):
                path.touch()
                if program is not None:  # the child compiled the rollout's own kernels too
                    marker(env, net, kind).touch()
    _ready.add(key)  # compiled in the child, or compiles here on the first call


@contextlib.contextmanager
def _exclusive(path: Path, stop=None):
    """Hold the lock of the kernel whose marker is ``path``: processes that need the same kernel at the same
    time (a sweep's runs, Ray actors on one machine) compile it once, the others wait and then load it
    from the cache. Ctrl-C (or ``stop``) ends the wait. Where files cannot be locked (no
    ``fcntl``, a read-only cache), nothing is held."""
    try:
        import fcntl
        handle = open(path.with_name(path.name.split(".", 1)[0] + ".lock"), "a")
    except (ImportError, OSError):
        yield
        return
    with handle:  # closing the file lets go of the lock
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt from None
                time.sleep(0.02)
            except OSError:  # a file system without locks: nothing held
                break
        yield


def _compile_in_child(env, net, kind: str, program: str, stop) -> bool:
    """Compile in a child process; True if it did. Ctrl-C (or ``stop``) ends the child and is raised here."""
    try:  # a network the child cannot rebuild from its dict compiles here
        request = json.dumps({"game": env.module.__name__, "network": net.to_dict(), "kind": kind,
                              "lanes": _lanes.LANES, "path": [p for p in sys.path if isinstance(p, str)]})
    except (AttributeError, TypeError, ValueError):
        return False
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen([sys.executable, "-c", _SAME_PATH + program, request],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 env={**os.environ, CHILD: "1"})
        try:
            while child.poll() is None:
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt
                time.sleep(0.02)
        except BaseException:  # Ctrl-C, or anything else that ends this wait: the child goes too
            child.kill()
            child.wait()
            raise
    return child.returncode == 0
