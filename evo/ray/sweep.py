"""Sweeps on Ray: one ``neuroevo run`` per seed as a Ray task, its files sent back to the driver."""

from __future__ import annotations

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


@ray.remote(num_cpus=1, max_retries=2)
def run_one(config_toml: str, seed: int, dest: str) -> tuple:
    """``neuroevo run`` for one seed on whichever node Ray picks, in a scratch directory.

    Returns (exit status, output with the scratch path replaced by ``dest``,
    {file name: bytes} of the run directory), so the driver writes the run
    directory where it wants it: no shared file system needed.
    """
    with tempfile.TemporaryDirectory(prefix="neuroevo-sweep-") as tmp:
        config, out = Path(tmp) / "config.toml", Path(tmp) / f"seed-{seed}"
        config.write_text(config_toml)
        cmd = [sys.executable, "-m", "evo", "run", "--config", str(config), "--seed", str(seed),
               "--out", str(out), "--threads", "1", "--quiet", "--backend", "local", "--address", ""]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")} \
            if out.is_dir() else {}
        return proc.returncode, proc.stdout.strip().replace(str(out), dest), files


def run(config_toml: str, seeds: list, out: str, jobs: int | None = None):
    """Every seed's run as a Ray task from this process; yields ``(seed, exit status, output, files)``
    as runs finish (see :func:`evo.ray.backend.sweep`).

    Raises
    ------
    ClusterLost
        The cluster had no CPU for ``settings.WAIT_FOR_ACTORS`` seconds, or Ray failed.
    """
    try:
        yield from _run(config_toml, list(seeds), str(out), jobs)
    except RAY_FAILED as e:
        raise ray_failed(e) from None


def _run(config_toml: str, seeds: list, out: str, jobs: int | None):
    shutdown()  # an evaluation pool would hold the CPUs these tasks need
    pending = seeds[::-1]
    running: dict = {}
    starved, next_check = None, 0.0
    while pending or running:
        while pending and (jobs is None or len(running) < jobs):
            seed = pending.pop()
            running[run_one.remote(config_toml, int(seed), str(Path(out) / f"seed-{seed}"))] = seed
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
            seed = running.pop(r)
            try:
                code, text, files = ray.get(r)
            except rex.RayError as e:
                code, text, files = 1, f"failed on Ray: {type(e).__name__}", {}
            yield seed, code, text, files
