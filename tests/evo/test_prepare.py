"""Kernels compiled in a child before their first play: the line that says so, the cache it fills, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import envs
from evo import MLP, rollout
from evo.kernels import prepare as _prepare

@pytest.fixture(autouse=True)
def with_a_child(monkeypatch):
    """The child path this file tests, which the rest of the suite skips (conftest.py)."""
    monkeypatch.delenv(_prepare.HERE, raising=False)


COLD_RUN = ["-m", "evo", "run", "cartpole", "--generations", "1", "--pop", "8", "--episodes", "1", "--hidden", "3",
            "--seed", "0"]


def test_a_prepared_kernel_is_marked_ready_for_this_machine_and_plays_the_same():
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # the preset shape: compiled by other tests too
    said = []
    for kind in ("agent", "lockstep"):
        _prepare.prepare(env, net, kind, said.append)
        assert not _prepare.pending(env, net, kind)
        path = _prepare.marker(env, net, kind)
        assert path.exists() and path.name.endswith(f".{_prepare.machine()}.ready")
        assert path.name.startswith(f"neuroevo_{kind}_cartpole_")
    assert all(line.startswith("compiling the cartpole kernels") and "first time only" in line for line in said)
    said.clear()
    _prepare.prepare(env, net, "agent", said.append)
    assert said == []  # once ready, nothing more is said
    genomes = net.init(np.random.default_rng(1), 40)
    a = rollout(env, net, genomes, 3, 5, kernel="agent")
    b = rollout(env, net, genomes, 3, 5, kernel="lockstep")
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.steps, b.steps)


def test_the_marker_names_the_kernel_s_sources():
    env = envs.make("cartpole")
    small, large = _prepare.marker(env, MLP([4, 5, 2]), "agent"), _prepare.marker(env, MLP([4, 6, 2]), "agent")
    assert small != large  # another shape, another generated module, another marker
    assert _prepare.marker(env, MLP([4, 5, 2]), "agent") == small


@pytest.mark.parametrize("compiled", [True, False])
def test_a_kernel_another_process_is_compiling_is_waited_for_and_compiled_once(compiled, tmp_path, monkeypatch):
    """One process at a time compiles a kernel (a sweep's runs, Ray actors on one machine): the others wait
    for the kernel's lock, then load what it compiled (or compile it, where it did not)."""
    import threading
    from envs import specialise
    monkeypatch.delenv(_prepare.HERE, raising=False)
    monkeypatch.setattr(specialise, "_cache", [tmp_path])  # a cold cache: nothing marked ready
    monkeypatch.setattr(_prepare, "_ready", set())
    calls = []
    monkeypatch.setattr(_prepare, "_compile_in_child", lambda *a: calls.append(a[:3]) or True)
    env, net = envs.make("cartpole"), MLP([4, 8, 2])
    path = _prepare.marker(env, net, "agent")
    held, release = threading.Event(), threading.Event()

    def another_process():  # a lock taken through another open file: held against this thread too
        with _prepare._exclusive(path):
            held.set()
            release.wait(10)
            if compiled:
                path.touch()

    other = threading.Thread(target=another_process)
    other.start()
    held.wait(10)
    waiting = threading.Thread(target=lambda: _prepare.prepare(env, net, "agent", None))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and calls == []  # waits for the lock
    release.set()
    waiting.join(10)
    other.join(10)
    assert calls == ([] if compiled else [(env, net, "agent")]) and path.exists()
    assert not _prepare.pending(env, net, "agent")


def test_the_child_imports_the_package_this_process_runs(tmp_path, monkeypatch):
    """Run from a source tree of another copy (a checkout installed with ``pip install .``), the child that
    compiles imports this process's package, not the one in the current directory."""
    import evo
    (tmp_path / "evo").mkdir()
    (tmp_path / "evo" / "__init__.py").write_text("raise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    where = tmp_path / "where.txt"
    program = f"import evo; open({str(where)!r}, 'w').write(evo.__file__)"
    assert _prepare._compile_in_child(envs.make("cartpole"), MLP([4, 8, 2]), "agent", program, None)
    assert where.read_text() == evo.__file__


def _cold(tmp_path) -> dict:
    cache = tmp_path / "cache"
    env = {**os.environ, "NEUROEVO_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
    env.pop(_prepare.HERE, None)
    return env


@pytest.mark.slow  # two child processes, one of them compiling cold
def test_a_cold_run_says_it_compiles_once_before_its_progress_and_a_warm_one_says_nothing(tmp_path):
    env = _cold(tmp_path)
    first = subprocess.run([sys.executable, *COLD_RUN, "--out", str(tmp_path / "a")], env=env,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    compiling = [i for i, line in enumerate(lines) if "compiling the cartpole kernels" in line]
    assert len(compiling) == 1 and compiling[0] == 0, first.stderr  # one line, before the progress bar
    assert lines[0].startswith("neuroevo: compiling the cartpole kernels") and "first time only" in lines[0]
    assert len(list((tmp_path / "cache").glob("*.ready"))) == 1  # one kernel for the whole run
    second = subprocess.run([sys.executable, *COLD_RUN, "--out", str(tmp_path / "b")], env=env,
                            capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "compiling" not in second.stderr
    assert (tmp_path / "a" / "log.csv").read_text() == (tmp_path / "b" / "log.csv").read_text()


def _interrupt_while_compiling(root):
    """Start a cold run, send SIGINT as soon as it says it compiles; (exit status, stderr, run directory, cache)."""
    proc = subprocess.Popen([sys.executable, *COLD_RUN, "--out", str(root / "r")], env=_cold(root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "compiling the cartpole kernels" in line, line
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, line + proc.stderr.read(), root / "r", root / "cache"


@pytest.mark.slow  # a child process compiling cold
def test_ctrl_c_while_compiling_ends_the_command_and_writes_nothing(tmp_path):
    for attempt in range(3):
        code, err, out, cache = _interrupt_while_compiling(tmp_path / str(attempt))
        if not list(cache.glob("*.ready")):  # the signal landed while the child compiled
            break
        # the compile was over before this test's signal landed (a busy machine held the test back for
        # seconds): nothing was interrupted, so try again with another empty cache
    assert code == 130, err
    assert "neuroevo: interrupted" in err
    assert not out.exists()  # compiled before the run directory is written
    assert list(cache.glob("*.ready")) == []


@pytest.fixture
def choices(tmp_path, monkeypatch):
    """The measured choices in a file of this test's own."""
    from evo.kernels import choice
    path = tmp_path / "kernel-choices.json"
    monkeypatch.setattr(choice, "_path", lambda: path)
    monkeypatch.setattr(choice, "_choices", {})
    monkeypatch.setattr(choice, "_read", [])
    return path


def test_auto_follows_the_kernel_measured_the_faster_here(choices):
    from evo.kernels import choice
    from evo.kernels.play import choose_kernel, measure
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    said = []
    kind = measure(env, net, 1500, said.append)
    assert kind in ("agent", "lockstep") and any("timing both kernels on cartpole" in s for s in said)
    assert choose_kernel(net, "auto", env, 1500) == kind
    assert choose_kernel(net, "auto", env, 2047) == kind  # the same power of two
    other = "agent" if kind == "lockstep" else "lockstep"
    choice.store(env, net, 1500, other)
    assert choose_kernel(net, "auto", env, 1024) == other  # what is kept decides, not a fixed rule
    assert choose_kernel(net, "lockstep", env, 1024) == "lockstep"  # a kernel asked for by name is played
    said.clear()
    assert measure(env, net, 1500, said.append) == other and said == []  # measured once
    assert choice.known(env, net, 4096) is None  # another size of run is measured anew


def test_a_timing_on_a_busy_machine_is_timed_again_until_one_is_quiet(choices, monkeypatch):
    from evo.kernels import choice
    from evo.kernels.play import choose_kernel, measure
    monkeypatch.setattr(choice, "ROUNDS", 1)
    monkeypatch.setattr(choice, "TIMED_SECONDS", 0.0)
    share = [0.9]  # other processes kept 90% of the CPUs busy
    monkeypatch.setattr(choice, "others_share", lambda *a: share[0])
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    said = []
    for n in range(1, choice.BUSY_TIMINGS):
        kind = measure(env, net, 1500, said.append)
        assert choice.busy_timings(env, net, 1500) == n and not choice.settled(env, net, 1500)
        assert choose_kernel(net, "auto", env, 1500) == kind  # followed meanwhile
        assert ("again: the last timing was taken on a busy machine" in said[-1]) == (n > 1)
    measure(env, net, 1500, said.append)  # the last busy timing in a row stands
    assert choice.settled(env, net, 1500) and "again" in said[-1]
    said.clear()
    measure(env, net, 1500, said.append)
    assert said == []
    share[0] = 0.0
    measure(env, net, 4096, said.append)  # a quiet timing stands at once
    assert choice.settled(env, net, 4096) and choice.busy_timings(env, net, 4096) == 0
    measure(env, net, 4096, said.append)
    assert len(said) == 1
    kept = json.loads(choices.read_text())
    assert sorted(kept.values()) == sorted([choice.known(env, net, 1500), choice.known(env, net, 4096)])


def test_other_processes_cpu_is_read_from_proc():
    from evo.kernels import choice
    before = choice.cpu_ticks()
    if before is None:
        pytest.skip("no /proc on this system")
    t, cpu = time.perf_counter(), time.process_time()
    while time.process_time() - cpu < 0.3:  # this process busy: its own ticks are the machine's
        pass
    after = choice.cpu_ticks()
    machine_, own = after[0] - before[0], after[1] - before[1]
    assert own >= 0.2 * os.sysconf("SC_CLK_TCK") and machine_ >= own - 2
    assert 0.0 <= choice.others_share(before, after, time.perf_counter() - t) <= 1.0
    assert choice.others_share(None, after, 1.0) == 0.0
    others = 300 / (os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1))  # 400 busy ticks, 100 of them ours
    assert choice.others_share((0, 0), (400, 100), 1.0) == pytest.approx(others)


def test_an_unreadable_choices_file_is_measured_again(choices):
    from evo.kernels import choice
    from evo.kernels.play import choose_kernel
    choices.write_text("{not json")
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    assert choice.known(env, net, 2048) is None
    assert choose_kernel(net, "auto", env, 2048) in ("agent", "lockstep")  # the fixed rule
    choice.store(env, net, 2048, "agent")
    assert '"agent"' in choices.read_text()


def test_a_small_run_is_timed_only_when_both_kernels_are_compiled(choices, monkeypatch):
    from evo.kernels import play
    from evo.kernels.choice import MEASURE_MIN_PAIRS
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    small = MEASURE_MIN_PAIRS // 2
    timed = []
    monkeypatch.setattr(play, "measure", lambda *a, **k: timed.append(a[2]) or "lockstep")
    monkeypatch.setattr(_prepare, "pending", lambda env, net, kind, program=None: kind == "lockstep")
    assert play.auto_kernel(env, net, small, None) == play.choose_kernel(net, "auto", env, small) and timed == []
    assert play.auto_kernel(env, net, MEASURE_MIN_PAIRS, None) == "lockstep" and timed == [MEASURE_MIN_PAIRS]
    monkeypatch.setattr(_prepare, "pending", lambda env, net, kind, program=None: False)  # both compiled
    assert play.auto_kernel(env, net, small, None) == "lockstep" and timed[-1] == small


def test_a_timing_of_other_genomes_is_not_kept(choices):
    from evo.kernels import choice
    from evo.kernels.play import measure
    env, net = envs.make("cartpole"), MLP([4, 8, 2])
    genomes = np.random.default_rng(0).normal(size=(64, net.num_params)).astype(np.float32)
    assert measure(env, net, 64, None, genomes=genomes, keep=False) in ("agent", "lockstep")
    assert choice.known(env, net, 64) is None and not choices.exists()
