"""The kernel cache: only in its own private directory, keyed by every source a kernel reaches."""

import linecache
import os
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import envs
from envs import specialise
from evo import MLP, rollout

ROOT = Path(__file__).resolve().parents[2]

# A rollout of a game given by module path; prints the mean return of 8 genomes.
ROLLOUT = """
import sys
import numpy as np
import envs
from evo import MLP, rollout
sys.path.insert(0, sys.argv[1])
envs.register("probe", sys.argv[2])
env = envs.make("probe")
net = MLP([env.obs_size, 4, env.num_outputs])
r = rollout(env, net, net.init(np.random.default_rng(0), 8), episodes=2, seed=1)
print(r.returns.mean())
"""
# The same for a built-in game, with its preset network: the kernels the test session compiles too.
NAMED = """
import sys
import numpy as np
import envs
from evo import MLP, rollout
from evo.runs.config import default_config
env = envs.make(sys.argv[2])
net = MLP([env.obs_size, *default_config(sys.argv[2]).hidden, env.num_outputs])
r = rollout(env, net, net.init(np.random.default_rng(0), 8), episodes=2, seed=1)
print(r.returns.mean())
"""
SESSION_CACHE = Path(os.environ["NEUROEVO_CACHE_DIR"])  # tests/conftest.py sets it for every test process

GAME = '''
"""A probe game: the reward comes from a helper module."""
import numpy as np
from numba import njit
from envs.spec import EnvSpec, build_params
import probe_helpers as _helpers

SPEC = EnvSpec(name="probe", obs_size=1, num_actions=2, action_size=None, max_steps=5, dt=0.1,
               solved_at=1.0, solved_over=1, state_size=1, obs_low=(0.0,), obs_high=(10.0,),
               obs_names=("t",))
PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES = (), (), ()


def default_params(**overrides):
    return build_params(PARAM_NAMES, PARAM_DEFAULTS, PARAM_RANGES, overrides, SPEC.name)


@njit
def reset(state, params, rng):
    state[0] = 0.0


@njit
def observe(state, params, obs):
    obs[0] = state[0]


@njit
def step(state, params, action, rng):
    state[0] += 1.0
    return _helpers.reward(), False
'''

HELPERS = '''
from numba import njit

SCALE = {scale}


@njit
def reward():
    return {value} * SCALE
'''


def run(code, *args, cache, extra_env=None):
    env = {**os.environ, "NEUROEVO_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=300)


def write_game(directory, value, scale=1.0):
    (directory / "probe_game.py").write_text(GAME)
    (directory / "probe_helpers.py").write_text(HELPERS.format(value=value, scale=scale))


def per_kind(cache):
    """How many generated modules of each kind (agent kernel, lockstep kernel, game adapter) the probe game has."""
    return Counter(p.name.rsplit("_", 1)[0] for p in cache.glob("neuroevo_*probe_*.py"))


@pytest.mark.slow  # child processes with cold caches
def test_an_edited_dependency_is_seen_with_the_cache_warm(tmp_path):
    cache, game = tmp_path / "cache", tmp_path / "game"
    game.mkdir()
    write_game(game, 1.0)
    first = run(ROLLOUT, game, "probe_game", cache=cache)
    assert first.returncode == 0, first.stderr
    assert float(first.stdout) == 5.0
    again = run(ROLLOUT, game, "probe_game", cache=cache)
    assert float(again.stdout) == 5.0
    assert set(per_kind(cache).values()) == {1}  # one module of each kind (kernels, game adapter): none new
    write_game(game, 3.0)  # a function two calls away from the kernel
    edited = run(ROLLOUT, game, "probe_game", cache=cache)
    assert edited.returncode == 0, edited.stderr
    assert float(edited.stdout) == 15.0
    write_game(game, 3.0, scale=2.0)  # a global constant the helper reads
    assert float(run(ROLLOUT, game, "probe_game", cache=cache).stdout) == 30.0
    kinds = per_kind(cache)
    assert kinds.pop("neuroevo_starts_probe") == 1  # the episode starts reach reset only, which no edit touched
    assert set(kinds.values()) == {3}  # each edit gave every module that reaches it a new name


def test_dependencies_are_found_by_walking_the_calls():
    env = envs.make("cartpole")
    source = f"from {env.module.__name__} import step as _step\nfrom evo.networks.mlp import forward_one\n"
    files, values = specialise.dependencies(source)
    names = {Path(f).name for f in files}
    assert {"cartpole.py", "mlp.py"} <= names
    assert "rng.py" not in names  # cartpole.step draws no random numbers
    reset_files, _ = specialise.dependencies(f"from {env.module.__name__} import reset\n")
    assert "rng.py" in {Path(f).name for f in reset_files}
    assert any(v.startswith(b"evo.networks.mlp._TANH_CLAMP=") for v in values)


def test_a_kernel_s_key_covers_its_network_module_adapter_and_agent_module(game_envs):
    """The lockstep kernel imports generated modules (network, game adapter, agent kernel): their sources,
    and the sources they reach, are part of its cache key."""
    from evo.kernels import episode, lanes

    env, net = game_envs["cartpole"], MLP([4, 3, 2])
    kernel = episode.lockstep_module(env, net, 16, 4)
    files, values = specialise.dependencies("".join(linecache.getlines(kernel.__file__)))
    generated = {net.network_module(16).__file__, lanes.adapter(env, 16).__file__,
                 episode.agent_module(env, net, 16).__file__}
    assert generated <= set(files)
    assert {"cartpole.py", "mlp.py", "threads.py"} <= {Path(f).name for f in files}
    assert any(v.endswith(b".LANES=16int") for v in values)  # the lane count, imported as a constant


def test_an_intrinsic_s_source_is_a_dependency_imported_or_reached():
    """An intrinsic's Python source generates its code: an edit to it must give a kernel a new name."""
    files, _ = specialise.dependencies("from evo.kernels.threads import fetch_add\n")
    assert {Path(f).name for f in files} == {"threads.py"}
    files, _ = specialise.dependencies("from tests.evo.test_threads import _count\n")  # as threads.fetch_add
    assert {"threads.py", "test_threads.py"} <= {Path(f).name for f in files}


@pytest.fixture(scope="module")
def cold_cache(tmp_path_factory):
    """A cache that one child filled from empty (cartpole's preset kernels): shared by the tests that look at
    what a cold run leaves, which run on one worker (their xdist group) so that it compiles once."""
    cache = tmp_path_factory.mktemp("cold") / "cache"
    res = run(NAMED, cache.parent, "cartpole", cache=cache)
    assert res.returncode == 0, res.stderr
    return cache


@pytest.mark.slow  # a child process with a cold cache
@pytest.mark.xdist_group("cold-cache")
def test_nothing_compiled_is_written_beside_the_package(cold_cache):
    for package in ("envs", "evo", "viz"):
        leftovers = [p for p in (ROOT / package).rglob("*") if p.suffix in (".nbi", ".nbc")]
        assert leftovers == []
    assert list((cold_cache / "__pycache__").glob("*.nbi"))
    assert stat.S_IMODE(cold_cache.stat().st_mode) == 0o700


@pytest.mark.slow  # child processes with cold caches
@pytest.mark.xdist_group("cold-cache")
def test_a_planted_module_is_replaced_not_run(cold_cache, tmp_path):
    cache = cold_cache  # in place: a module's name covers the paths of the modules it imports from the cache
    code = NAMED
    (module,) = cache.glob("neuroevo_agent_cartpole_*.py")
    expected = module.read_text()
    marker = tmp_path / "pwned"
    module.write_text(f"open({str(marker)!r}, 'w').close()\n" + expected)
    res = run(code, tmp_path, "cartpole", cache=cache)
    assert res.returncode == 0, res.stderr
    assert not marker.exists()
    assert module.read_text() == expected


@pytest.mark.slow  # child processes, one without a cache
def test_an_unsafe_cache_directory_is_bypassed_with_one_note_and_the_same_results(tmp_path):
    """A world-writable cache holding the very kernels a run needs, each with a payload in front: the run
    compiles without a cache (one note), runs none of it, and gives the cached kernels' results."""
    good, cache = SESSION_CACHE, tmp_path / "cache"
    marker = tmp_path / "pwned"
    code = NAMED.replace("print(r.returns.mean())", "print(r.returns.tobytes().hex())")
    cached = run(code, tmp_path, "cartpole", cache=good)
    assert cached.returncode == 0, cached.stderr
    cache.mkdir()
    for module in good.glob("neuroevo_*.py"):
        (cache / module.name).write_text(f"open({str(marker)!r}, 'w').close()\n" + module.read_text())
    os.chmod(cache, 0o777)
    res = run(code, tmp_path, "cartpole", cache=cache)
    assert res.returncode == 0, res.stderr
    assert res.stdout == cached.stdout and np.frombuffer(bytes.fromhex(res.stdout.strip())).mean() > 0
    notes = [line for line in res.stderr.splitlines() if line.startswith("neuroevo: note:")]
    assert len(notes) == 1 and "without a kernel cache" in notes[0] and "writable by other users" in notes[0]
    assert not marker.exists()


def test_each_unsafe_cache_directory_is_named_for_what_is_wrong(tmp_path, monkeypatch, capsys):
    """The reasons a directory is refused (the run above shows what a refusal does)."""
    good = tmp_path / "good"
    assert specialise._private_dir(good) is None and specialise.unsafe_reason(good) is None
    (tmp_path / "file").write_text("")
    (tmp_path / "link").symlink_to(good)
    assert specialise.unsafe_reason(tmp_path / "file") == "is not a directory"
    assert specialise.unsafe_reason(tmp_path / "link") == "is a symbolic link"
    assert specialise.unsafe_reason(tmp_path / "missing").startswith("cannot be read")
    open_ = tmp_path / "open"
    open_.mkdir()
    os.chmod(open_, 0o770)
    assert specialise.unsafe_reason(open_) == "is writable by other users"
    if hasattr(os, "getuid") and os.getuid() == 0:  # only root can give a directory away
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, 65534, 65534)
        assert specialise.unsafe_reason(theirs) == "belongs to another user"
    # a cache directory that cannot be created: no cache, one note
    monkeypatch.setenv("NEUROEVO_CACHE_DIR", "/proc/neuroevo-cache")
    monkeypatch.setattr(specialise, "_cache", [])
    monkeypatch.setattr(specialise, "_noted", [])
    assert specialise.cache_dir() is None and specialise.cache_dir() is None
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("neuroevo: note:")]
    assert len(notes) == 1 and "compiling without a kernel cache: /proc/neuroevo-cache cannot be created" in notes[0]


@pytest.mark.slow  # a child process
def test_the_temp_fallback_refuses_a_directory_another_user_prepared(tmp_path):
    if not hasattr(os, "getuid"):
        pytest.skip("POSIX ownership")
    tmp = tmp_path / "tmp"
    planted = tmp / f"neuroevo-{os.getuid()}"
    planted.mkdir(parents=True)
    os.chmod(planted, 0o777)
    env = {k: v for k, v in os.environ.items() if k != "NEUROEVO_CACHE_DIR"}
    env.update(HOME="/proc/no-home", TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    code = "from envs.specialise import cache_dir; print(cache_dir())"
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "None"
    assert "writable by other users" in res.stderr


def test_kernels_are_memoised_per_process(game_envs):
    env = game_envs["cartpole"]
    net = MLP([4, 8, 2])  # cartpole's preset: the kernel the other tests compile
    genomes = net.init(np.random.default_rng(1), 4)
    a = rollout(env, net, genomes, 1, 0)
    from evo.kernels.play import compiled
    assert compiled(env, net) is compiled(env, MLP([4, 8, 2]))
    np.testing.assert_array_equal(a.returns, rollout(env, net, genomes, 1, 0).returns)
