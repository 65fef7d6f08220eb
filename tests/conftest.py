"""Settings every test shares: a headless pygame, one kernel cache, the games made once.

Tiers: ``python -m pytest`` runs everything; ``python -m pytest -m "not slow"`` leaves out
the tests marked ``slow`` (child processes, installs, cold caches, Ray clusters, runs of
many generations), for the edit-test loop.

Kernels: a generated kernel compiles once per cache directory, and every process of a
session (this one and each child it starts: CLI runs, thread-count checks) must read the
same directory or compile it again. ``NEUROEVO_CACHE_DIR`` is therefore always set
before any kernel is built: kept when given (CI gives an empty one), else the directory
neuroevo itself would use (``~/.cache/neuroevo``, kept between sessions so that the
edit-test loop starts warm), else, with no usable one, a temporary directory for this
session. A test that needs another cache (a cold one, an unsafe one) passes its own to
the process it starts.
"""

import contextlib
import io
import os
import shutil
import tempfile

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
# Kernels compile where they are first played, not in a child process first (evo.kernels.prepare): a
# child's start only adds time here. The tests of the child path (test_prepare, test_compile_screen) unset it.
os.environ.setdefault("NEUROEVO_COMPILE_HERE", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402

import envs  # noqa: E402
from envs import specialise  # noqa: E402
from evo import MLP  # noqa: E402
from evo.runs.config import default_config  # noqa: E402


def _session_cache() -> str | None:
    """Make ``NEUROEVO_CACHE_DIR`` name the cache this session uses; the directory to remove at the end, if any."""
    if os.environ.get("NEUROEVO_CACHE_DIR"):
        return None
    with contextlib.redirect_stderr(io.StringIO()):  # a note on an unusable directory: the session makes one
        chosen = specialise.cache_dir()
    if chosen is not None:
        os.environ["NEUROEVO_CACHE_DIR"] = str(chosen)
        return None
    temporary = tempfile.mkdtemp(prefix="neuroevo-tests-")  # mode 0700, ours: a usable cache
    os.environ["NEUROEVO_CACHE_DIR"] = temporary
    specialise._cache.clear()  # decided before the variable was set: decide again
    specialise._noted.clear()
    return temporary


_TEMPORARY_CACHE = _session_cache()


def pytest_collection_modifyitems(config, items):
    """The Ray cluster tests first: they run one after another on one worker (their xdist group) and spend
    much of their time waiting on the cluster, so started first they overlap the other worker's compiling
    instead of running alone at the end."""
    def on_the_cluster(item):
        return any(mark.args[:1] == ("ray",) for mark in item.iter_markers("xdist_group"))
    items.sort(key=lambda item: not on_the_cluster(item))  # stable: the order within each part is kept


def pytest_sessionfinish(session, exitstatus):
    if _TEMPORARY_CACHE is not None:
        shutil.rmtree(_TEMPORARY_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def game_envs():
    """Every registered game, made once per test session (kernels compile or load once)."""
    return {name: envs.make(name) for name in envs.names()}


@pytest.fixture(scope="session")
def game_nets(game_envs):
    """One network per game, of the shape its runs use (the game's preset hidden layers).

    A fused kernel is compiled for each game, network shape and kernel kind: tests that
    play a game and need no particular shape take this one, and share its kernels with
    each other and with the runs (CLI, viewer) that use the preset.
    """
    return {name: MLP([env.obs_size, *default_config(name).hidden, env.num_outputs])
            for name, env in game_envs.items()}
