"""Sweeps on Ray: one ``neuroevo run`` per seed as a Ray task, its files sent back to the driver."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ray
from ray import exceptions as rex

from evo.ray import settings
from evo.ray.connect import check_local_node, cpus
from evo.ray.errors import RAY_FAILED, ClusterLost, ray_failed
from evo.ray.pool import shutdown


PREFIX = "neuroevo-sweep-"
"""A task's scratch directory in the temporary directory: ``neuroevo-sweep-<worker pid>-<random>``."""


def _prctl():
    """Linux's ``prctl`` (looked up here, never in a forked child), or None elsewhere."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _die_with_parent() -> None:
    """In a task's ``neuroevo run`` process, between fork and exec: on Linux, killed when the worker
    that started it dies (its node lost), so it stops writing into its scratch directory."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def clean_stale_folders(where: str | None = None) -> list:
    """Remove the scratch directories of sweep tasks whose worker process is gone (its node was lost
    mid-run, so it never cleaned up), in ``where`` (default the temporary directory); returns them.

    Only this user's directories, whose name gives a process id that no longer runs on this machine.
    """
    removed = []
    for path in Path(where or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        try:
            pid = int(path.name[len(PREFIX):].split("-")[0])
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
                continue
            os.kill(pid, 0)
        except ValueError:  # not a name of ours
            continue
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:  # alive under another user, or unreadable: not ours to judge
            continue
    return removed


@ray.remote(num_cpus=1, max_retries=2)
def run_one(config_toml: str, seed: int, dest: str) -> tuple:
    """``neuroevo run`` for one seed on whichever node Ray picks, in a scratch directory.

    Returns (exit status, output with the scratch path replaced by ``dest``,
    {file name: bytes} of the run directory), so the driver writes the run
    directory where it wants it: no shared file system needed.
    """
    clean_stale_folders()  # those of tasks whose worker died with its node
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-") as tmp:
        config, out = Path(tmp) / "config.toml", Path(tmp) / f"seed-{seed}"
        config.write_text(config_toml)
        cmd = [sys.executable, "-m", "evo", "run", "--config", str(config), "--seed", str(seed),
               "--out", str(out), "--threads", "1", "--quiet", "--backend", "local", "--address", ""]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp,
                              preexec_fn=_die_with_parent)
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")} \
            if out.is_dir() else {}
        return proc.returncode, proc.stdout.strip().replace(str(out), dest), files


def tasks(config_toml, seeds: list, out: str) -> list:
    """The ``(key, config TOML, seed, destination)`` of every run of a sweep, in the order they start.

    ``config_toml`` is one config for every seed (key: the seed, destination
    ``out/seed-<S>``) or a dict ``{subdirectory: config}``, a config per
    setting of a grid sweep (key: ``(subdirectory, seed)``, destination
    ``out/<subdirectory>/seed-<S>``).
    """
    if isinstance(config_toml, str):
        return [(seed, config_toml, int(seed), str(Path(out) / f"seed-{seed}")) for seed in seeds]
    return [((sub, seed), toml, int(seed), str(Path(out) / sub / f"seed-{seed}"))
            for sub, toml in config_toml.items() for seed in seeds]


def run(config_toml, seeds: list, out: str, jobs: int | None = None):
    """Every run of a sweep as a Ray task from this process; yields ``(key, exit status, output, files)``
    as runs finish, the key a seed (or ``(subdirectory, seed)``: see :func:`tasks`; and
    :func:`evo.ray.backend.sweep`).

    Raises
    ------
    ClusterLost
        The cluster had no CPU for ``settings.WAIT_FOR_ACTORS`` seconds, or Ray failed.
    """
    try:
        yield from _run(tasks(config_toml, list(seeds), str(out)), jobs)
    except RAY_FAILED as e:
        raise ray_failed(e) from None
    finally:
        clean_stale_folders()  # a task on this machine whose worker died has left its folder


def _run(todo: list, jobs: int | None):
    shutdown()  # an evaluation pool would hold the CPUs these tasks need
    pending = todo[::-1]
    running: dict = {}
    starved, next_check = None, 0.0
    while pending or running:
        while pending and (jobs is None or len(running) < jobs):
            key, toml, seed, dest = pending.pop()
            running[run_one.remote(toml, seed, dest)] = key
        done, _ = ray.wait(list(running), num_returns=1, timeout=settings.POLL)
        if not done and time.monotonic() >= next_check:  # every few seconds: is there still a cluster?
            next_check = time.monotonic() + 10 * settings.POLL
            check_local_node()
            if cpus() >= 1:
                starved = None
            elif time.monotonic() - (starved := starved or time.monotonic()) > settings.WAIT_FOR_ACTORS:
                raise ClusterLost(f"the Ray cluster has had no CPU for {settings.WAIT_FOR_ACTORS:g} s "
                                  f"({len(running) + len(pending)} run(s) not finished)")
        for r in done:
            key = running.pop(r)
            try:
                code, text, files = ray.get(r)
            except rex.RayError as e:
                code, text, files = 1, f"failed on Ray: {type(e).__name__}", {}
            yield key, code, text, files
