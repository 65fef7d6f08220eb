"""The Ray backend: bit-identical to the local one, and what survives what.

The module runs on one Ray cluster simulated on this machine
(``ray.cluster_utils.Cluster``): a head and two worker nodes of one CPU and
100 MB of object store each, everything on 127.0.0.1, token authentication
on (as a Ray 2.5x head enables it), in a temporary directory of its own
(``RAY_TMPDIR``) so that nothing else on the machine finds it. This process is
a driver attached to the head; fault tests kill worker nodes and add new ones.
The head is lost in a second, one-node cluster started with ``ray start``.
Chunks that sleep or fail in their actor come from ``tests/ray_faults.py``,
installed with pytest's monkeypatch. Tests assert what happened (the result,
who played which chunk, what was logged), never how long it took; waits have
generous timeouts that fail a test that hangs.
"""

import csv
import re
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import ray
from ray._private import ray_constants
from ray.cluster_utils import Cluster

from evo import MLP, evaluate, rollout
from evo.cli import main
from evo.ray import backend, settings
from evo.ray.pool import pool
from evo.ray.scheduler import chunks
from evo.runs.config import default_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ray_faults import Chunks  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")  # one worker plays every cluster test, one cluster at a time

NODE = dict(num_cpus=1, object_store_memory=100 << 20, node_ip_address="127.0.0.1")
# A run that never reaches its target, so it goes the full number of generations.
LONG = ["cartpole", "--pop", "24", "--episodes", "2", "--hidden", "8", "--target", "1e9", "--quiet"]
# A run whose generations take about a tenth of a second on the cluster, checkpointed at each.
SLOW = ["cartpole", "--pop", "2000", "--episodes", "4", "--hidden", "8", "--target", "1e9", "--quiet",
        "--checkpoint-every", "1"]
# A node that stops answering is declared dead after 3 missed health checks 1 s apart (Ray's default: 5
# missed, 3 s apart), so that the tests of nodes lost wait for Ray seconds, not fifteen, while a node
# slowed by the other tests' compiling is still not taken for dead.
DEATH = {"health_check_period_ms": 1000, "health_check_timeout_ms": 1000, "health_check_failure_threshold": 3}
SAME_FILES = ("config.toml", "log.csv", "checkpoint.npz", "champion.npz", "fitness.png")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node(**more) -> dict:
    """A node's settings, with ports of its own where Ray's defaults are fixed (8265, 10001, 52365):
    other Ray instances on this machine must not collide with the test's."""
    return {**NODE, "dashboard_agent_listen_port": free_port(), **more}


@pytest.fixture(scope="module")
def cluster():
    mp = pytest.MonkeyPatch()
    tmp = tempfile.mkdtemp(prefix="nr-")  # short: Ray's socket paths must fit in 107 bytes
    mp.setenv("RAY_TMPDIR", tmp)
    # Ray swaps 127.0.0.1 for this machine's address unless it believes clusters are off; nodes
    # started here do not check that belief, so everything stays on the loopback interface.
    mp.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    mp.setattr(ray_constants, "ENABLE_RAY_CLUSTER", False)
    mp.setenv("RAY_AUTH_MODE", "token")
    mp.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    ray._raylet.Config.initialize("")  # this process reads the mode again
    mp.setattr(settings, "WAIT_FOR_ACTORS", 120.0)  # generous: cold actors compile on a shared machine
    client_port = free_port()
    sim = Cluster(initialize_head=True, head_node_args=node(include_dashboard=False, dashboard_port=free_port(),
                                                            ray_client_server_port=client_port,
                                                            _system_config=DEATH))
    sim.client_address = f"ray://127.0.0.1:{client_port}"
    try:
        for _ in range(2):
            sim.add_node(**node())
        ray.init(address=sim.address, log_to_driver=False, logging_level=logging.ERROR)
        yield sim
    finally:
        backend.shutdown()
        ray.shutdown()
        sim.shutdown()
        mp.undo()
        ray._raylet.Config.initialize("")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def sim(cluster):
    """The cluster with its two worker nodes (a test before may have killed one)."""
    while len(cluster.worker_nodes) < 2:
        cluster.add_node(**node())
    return cluster


def game(game_envs, name, hidden=None):
    """A game and a network: of the game's preset shape (whose kernels the other tests compile), or ``hidden``."""
    env = game_envs[name]
    return env, MLP([env.obs_size, *(default_config(name).hidden if hidden is None else [hidden]), env.num_outputs])


def full_pool(env, net, n=3, timeout=60.0):
    """Play small generations until the pool has ``n`` warm, living actors (a replacement joins when
    placed); returns their (node id, pid)."""
    genomes = net.init(np.random.default_rng(0), 6)
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"the pool has {len(pool().ready)} actors, not {n}"
        rollout(env, net, genomes, 1, 0, backend="ray")  # finds the dead ones
        if len(pool().ready) == n:
            try:
                return [ray.get(a.handle.where.remote(), timeout=10) for a in pool().ready]
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                pass
        time.sleep(0.2)


def same(a, b):
    return np.array_equal(a.returns, b.returns) and np.array_equal(a.steps, b.steps)


def same_files(a, b, names=SAME_FILES):
    return [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]


def log_rows(path):
    try:
        return len(list(csv.reader(open(path / "log.csv")))) - 1
    except OSError:
        return 0


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)


def in_flight(kill, env, net, genomes, delay=1.5):
    """A generation whose chunks first sleep ``delay`` s in their actors; ``kill()`` once the first
    chunks are handed out. Returns (result, the :class:`ray_faults.Chunks` that recorded them)."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        faults = Chunks(delay=delay).install(mp)
        t = threading.Thread(target=lambda: out.update(r=backend.rollout(env, net, genomes, 2, 9)))
        t.start()
        wait_for(lambda: len(faults.sent) >= len(pool().ready), 60, "chunks handed out")
        kill()
        t.join(timeout=120)
        assert not t.is_alive(), "the generation did not end"
    return out["r"], faults


# -- results --------------------------------------------------------------------------------


@pytest.mark.slow  # a Ray cluster
@pytest.mark.parametrize("name", ["cartpole", "flappy", "racer"])
def test_ray_is_bit_identical_to_local_with_one_actor_per_node(name, sim, game_envs):
    env, net = game(game_envs, name)
    genomes = net.init(np.random.default_rng(3), 401)  # odd size: uneven chunks
    assert chunks(401, 3, 3) == [(0, 134), (134, 267), (267, 401)]
    assert len(chunks(65536, 1, 3)) == 6 and chunks(1, 1, 3) == [(0, 1)]
    local = rollout(env, net, genomes, episodes=3, seed=11)
    remote = rollout(env, net, genomes, episodes=3, seed=11, backend="ray")
    assert remote.returns.dtype == np.float64 and remote.steps.dtype == np.int64
    assert same(local, remote)
    np.testing.assert_array_equal(evaluate(env, net, genomes, 3, 11, backend="ray"), local.fitness)
    where = full_pool(env, net)
    assert len({node for node, _ in where}) == 3 and pool().threads == 1


@pytest.mark.slow  # a Ray cluster
def test_the_level_reaches_the_actors(sim):
    import envs
    env = envs.make("snake", level="classic")  # 16 x 16, not the default level's grid
    net = MLP([env.obs_size, 16, env.num_outputs])  # snake's preset
    genomes = net.init(np.random.default_rng(4), 40)
    local = rollout(env, net, genomes, episodes=2, seed=3)
    assert same(local, rollout(env, net, genomes, episodes=2, seed=3, backend="ray"))
    assert not same(local, rollout(envs.make("snake"), net, genomes, episodes=2, seed=3))


@pytest.mark.slow  # a Ray cluster
def test_actors_are_reused_across_calls_and_games(sim, game_envs):
    env, net = game(game_envs, "cartpole")
    before = sorted(full_pool(env, net))
    for name in ("cartpole", "flappy", "cartpole"):
        env, net = game(game_envs, name)
        rollout(env, net, net.init(np.random.default_rng(0), 64), 2, 0, backend="ray")
    assert sorted(ray.get([a.handle.where.remote() for a in pool().ready])) == before
    empty = rollout(env, net, np.zeros((0, net.num_params), np.float32), 2, 0, backend="ray")
    assert empty.returns.shape == (0, 2)


def test_unknown_backend_is_a_one_line_error(game_envs):
    env, net = game(game_envs, "cartpole", 4)
    with pytest.raises(ValueError, match="unknown backend 'gpu'; known: local, ray"):
        rollout(env, net, net.init(np.random.default_rng(0), 4), backend="gpu")


# -- faults inside one generation -----------------------------------------------------------


@pytest.mark.slow  # a Ray cluster
@pytest.mark.parametrize("how", ["SIGKILL", "ray.kill"])
def test_an_actor_killed_mid_generation_has_its_chunk_played_by_the_others(how, sim, game_envs, caplog):
    env, net = game(game_envs, "flappy")
    genomes = net.init(np.random.default_rng(5), 600)
    local = rollout(env, net, genomes, 2, 9)
    where = full_pool(env, net)
    victim = pool().ready[0]
    pid = where[0][1]
    kill = (lambda: os.kill(pid, signal.SIGKILL)) if how == "SIGKILL" else \
        (lambda: ray.kill(victim.handle, no_restart=True))
    with caplog.at_level(logging.WARNING, "evo.ray"):
        result, faults = in_flight(kill, env, net, genomes)
    assert same(result, local)
    assert len(faults.replayed(victim)) == 1  # the victim's chunk, played again by another actor
    assert victim not in pool().ready and "lost the actor" in caplog.text
    assert pid not in [p for _, p in full_pool(env, net)]  # replaced on a later call


@pytest.mark.slow  # a Ray cluster
def test_a_chunk_stuck_on_a_frozen_actor_is_played_by_another(sim, game_envs, caplog):
    """SIGSTOP: the actor neither answers nor dies, and Ray sees nothing wrong; the late chunk
    goes to an idle actor as well, and the first copy to finish counts."""
    env, net = game(game_envs, "flappy")
    genomes = net.init(np.random.default_rng(5), 600)
    local = rollout(env, net, genomes, 2, 9)
    pid = full_pool(env, net)[0][1]
    frozen = pool().ready[0]
    try:
        with caplog.at_level(logging.INFO, "evo.ray"):
            result, faults = in_flight(lambda: os.kill(pid, signal.SIGSTOP), env, net, genomes)
        assert same(result, local) and "are late on" in caplog.text
        assert len(faults.replayed(frozen)) == 1  # the frozen actor's chunk, played by another as well
    finally:
        os.kill(pid, signal.SIGKILL)


@pytest.mark.slow  # a Ray cluster
def test_a_node_killed_mid_generation_has_its_chunk_replayed_and_the_pool_grows_back(sim, game_envs, caplog):
    env, net = game(game_envs, "flappy")
    genomes = net.init(np.random.default_rng(6), 600)
    local = rollout(env, net, genomes, 2, 9)
    full_pool(env, net)
    victim = list(sim.worker_nodes)[0]
    with caplog.at_level(logging.WARNING, "evo.ray"):
        result, faults = in_flight(lambda: sim.remove_node(victim, allow_graceful=False), env, net, genomes)
    assert same(result, local) and "lost the actor" in caplog.text
    assert len(faults.replayed()) == 1  # the lost node's chunk, played again by a survivor
    assert len(pool().ready) == 2
    sim.add_node(**node())
    full_pool(env, net, 3)  # the pool grows back when the cluster does (or fails after its timeout)


@pytest.mark.slow  # a Ray cluster
@pytest.mark.parametrize("error", ["OutOfMemoryError", "ObjectLostError", "NodeDiedError"])
def test_every_ray_failure_of_a_chunk_has_it_played_again(error, sim, game_envs, caplog):
    env, net = game(game_envs, "cartpole")
    genomes = net.init(np.random.default_rng(7), 300)
    local = rollout(env, net, genomes, 2, 4)
    full_pool(env, net)
    with caplog.at_level(logging.WARNING, "evo.ray"), pytest.MonkeyPatch.context() as mp:
        faults = Chunks(fail={1: error}).install(mp)
        remote = backend.rollout(env, net, genomes, 2, 4)
    assert same(remote, local) and error in caplog.text
    rows = [chunk[1:] for chunk in faults.chunks()]  # (start, stop): a lost object is put again, a new ref
    assert rows.count(rows[1]) == 2  # the chunk that failed, and it again


@pytest.mark.slow  # a Ray cluster
def test_a_chunk_that_keeps_losing_actors_gives_up_and_a_bug_is_not_retried(sim, game_envs, monkeypatch):
    env, net = game(game_envs, "cartpole")
    genomes = net.init(np.random.default_rng(7), 300)
    full_pool(env, net)
    monkeypatch.setattr(settings, "LOSSES_PER_CHUNK", 1)
    Chunks(fail={1: "OutOfMemoryError"}).install(monkeypatch)
    with pytest.raises(backend.ClusterLost, match=r"genomes \d+\.\.\d+ failed on Ray 1 time\(s\) in a row"):
        backend.rollout(env, net, genomes, 2, 4)
    faults = Chunks(fail={1: RuntimeError("a bug in this chunk")}).install(monkeypatch)
    with pytest.raises(RuntimeError, match="a bug in this chunk"):  # the chunk's own exception, raised once
        backend.rollout(env, net, genomes, 2, 4)
    bug = faults.chunks()[1]
    assert faults.chunks().count(bug) == 1


@pytest.mark.slow  # a Ray cluster
def test_an_actor_killed_by_rays_memory_monitor_is_survived(sim, game_envs, caplog, monkeypatch):
    """A node whose memory monitor kills whatever runs on it: the pool's actor there dies of
    ``OutOfMemoryError`` (Ray's own path) and the generations go on, with the same results."""
    env, net = game(game_envs, "cartpole")
    genomes = net.init(np.random.default_rng(8), 300)
    local = rollout(env, net, genomes, 2, 4)
    full_pool(env, net)
    monkeypatch.setenv("RAY_memory_usage_threshold", "0.001")
    monkeypatch.setenv("RAY_memory_monitor_refresh_ms", "50")
    oom = sim.add_node(**node())
    monkeypatch.undo()
    try:
        deadline = time.monotonic() + 60
        with caplog.at_level(logging.WARNING, "evo.ray"):
            while "OutOfMemoryError" not in caplog.text:
                assert time.monotonic() < deadline, "no actor was killed for memory"
                assert same(rollout(env, net, genomes, 2, 4, backend="ray"), local)
                time.sleep(0.3)
        assert same(rollout(env, net, genomes, 2, 4, backend="ray"), local)
    finally:
        sim.remove_node(oom, allow_graceful=False)


@pytest.mark.slow  # a Ray cluster
def test_no_actor_to_play_is_cluster_lost_in_bounded_time(sim, game_envs, monkeypatch):
    env, net = game(game_envs, "cartpole")
    genomes = net.init(np.random.default_rng(9), 50)
    monkeypatch.setattr(settings, "WAIT_FOR_ACTORS", 2.0)
    with pytest.raises(backend.ClusterLost, match=r"no Ray actor could play for 2 s \(0 lost, 1 starting: "
                                                      r"waiting for a CPU, or compiling; the cluster has \d CPU\(s\), "
                                                      r"each actor needs 4\)"):
        backend.rollout(env, net, genomes, 1, 0, threads_per_actor=4)  # no node has 4 CPUs
    backend.shutdown()


# -- the command line -----------------------------------------------------------------------


@pytest.mark.slow  # a Ray cluster
def test_cli_run_on_ray_writes_the_same_files_as_a_local_run(sim, tmp_path, capsys):
    backend.shutdown()  # free the CPUs for the command's own actors
    args = [*LONG[:-1], "--generations", "3"]
    assert main(["run", *args, "--out", str(tmp_path / "l"), "--quiet"]) == 0
    assert main(["run", *args, "--out", str(tmp_path / "r"), "--backend", "ray", "--address", sim.address]) == 0
    captured = capsys.readouterr()
    assert "not solved after 3 generations" in captured.out
    assert re.search(r"starting \d Ray actors: a node compiles the kernels on first use", captured.err)  # cold nodes
    assert same_files(tmp_path / "l", tmp_path / "r") == []
    timing = list(csv.reader(open(tmp_path / "r" / "timing.csv")))
    assert timing[0] == ["generation", "seconds", "wall_seconds", "env_steps_per_second", "backend"]
    assert [row[4] for row in timing[1:]] == ["ray"] * 3


NEAT_RUN = ["cartpole", "--algorithm", "neat", "--pop", "16", "--episodes", "1", "--generations", "2",
            "--target", "1e9", "--quiet"]


@pytest.mark.slow  # a Ray cluster
def test_a_neat_run_on_ray_writes_the_same_files_as_a_local_run(sim, tmp_path, capsys):
    """The actors rebuild the generation's compiled NEAT networks from their description and play the rows sent."""
    backend.shutdown()  # the command's own actors get the cluster's CPUs
    assert main(["run", *NEAT_RUN, "--out", str(tmp_path / "local")]) == 0
    assert main(["run", *NEAT_RUN, "--out", str(tmp_path / "ray"), "--backend", "ray", "--address", sim.address]) == 0
    assert "not solved after 2 generations" in capsys.readouterr().out
    assert same_files(tmp_path / "local", tmp_path / "ray") == []  # config, log, checkpoint, champion, plot


@pytest.mark.slow  # a Ray cluster
def test_cli_run_through_a_ray_client_address_is_the_same_run(sim, tmp_path, capsys):
    backend.shutdown()
    args = [*LONG, "--generations", "2"]
    code = main(["run", *args, "--out", str(tmp_path / "c"), "--backend", "ray", "--address", sim.client_address])
    assert code == 0, capsys.readouterr().err
    assert main(["run", *args, "--out", str(tmp_path / "l")]) == 0
    assert same_files(tmp_path / "l", tmp_path / "c") == []


@pytest.mark.slow  # a Ray cluster
def test_cli_watch_on_ray_plays_the_local_generations(sim, tmp_path, monkeypatch):
    backend.shutdown()
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    config = tmp_path / "short.toml"  # episodes of a few steps: a generation ends within the frames
    config.write_text("[env_params]\ntheta_threshold = 0.02\n")
    # 12 genomes: at 24, one of them balances the pole for most of the frames
    args = ["watch", "cartpole", "--pop", "12", "--episodes", "2", "--hidden", "8", "--target", "1e9", "--quiet",
            "--config", str(config), "--frames", "240"]
    assert main([*args, "--out", str(tmp_path / "r"), "--backend", "ray", "--address", sim.address]) == 0
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    rows = lambda d: open(d / "log.csv").read().splitlines()  # noqa: E731
    n = min(len(rows(tmp_path / "r")), len(rows(tmp_path / "l")))
    assert n >= 2 and rows(tmp_path / "r")[:n] == rows(tmp_path / "l")[:n]


@pytest.mark.slow  # a Ray cluster
def test_cli_run_in_a_fresh_process_joins_the_cluster_quietly(sim, tmp_path):
    backend.shutdown()
    res = subprocess.run([sys.executable, "-m", "evo", "run", *LONG, "--generations", "2",
                          "--out", str(tmp_path / "r"), "--backend", "ray", "--address", sim.address],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    # nothing of Ray's own logging; an actor lost and played again elsewhere (a busy machine) is neuroevo's note
    noise = [line for line in res.stderr.splitlines() if not line.startswith("neuroevo: Ray: lost the actor")]
    assert noise == [] and len(res.stdout.strip().splitlines()) == 1, res.stderr


@pytest.mark.slow  # a Ray cluster
def test_cli_run_goes_on_when_a_node_dies(sim, tmp_path, capfd):
    backend.shutdown()
    out = tmp_path / "r"
    victim = list(sim.worker_nodes)[0]
    killer = threading.Thread(target=lambda: (wait_for(lambda: log_rows(out) >= 3, 120, "third generation"),
                                              sim.remove_node(victim, allow_graceful=False)))
    killer.start()
    # 60 generations: the node is surely removed while the run goes on (with 20, a warm run could finish first)
    code = main(["run", *SLOW, "--generations", "60", "--out", str(out), "--backend", "ray", "--address", sim.address])
    killer.join()
    err = capfd.readouterr().err
    assert code == 0, err
    # the node is named once Ray knows where the actor ran ("on 127.0.0.1"), not for one still starting
    assert "Ray: lost the actor on " in err and "Traceback" not in err
    assert main(["run", *SLOW, "--generations", "60", "--out", str(tmp_path / "l")]) == 0
    assert same_files(tmp_path / "l", out) == []


@pytest.mark.slow  # a Ray cluster
def test_cli_run_with_no_actor_left_checkpoints_and_says_how_to_resume(sim, tmp_path, capsys, monkeypatch):
    backend.shutdown()
    monkeypatch.setattr(settings, "WAIT_FOR_ACTORS", 2.0)
    monkeypatch.setattr(settings, "THREADS_PER_ACTOR", 4)  # more than any node has: nothing can play
    out = tmp_path / "r"
    assert main(["run", *LONG, "--generations", "3", "--out", str(out), "--backend", "ray",
                 "--address", sim.address]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("neuroevo: no Ray actor could play for 2 s")
    assert f"checkpoint saved at generation 0. Continue with: neuroevo run --resume {out}" in err
    assert main(["run", "--resume", str(out)]) == 0  # locally, to the same result
    assert main(["run", *LONG, "--generations", "3", "--out", str(tmp_path / "l")]) == 0
    assert same_files(tmp_path / "l", out) == []


@pytest.mark.slow  # a Ray cluster
def test_sigterm_ends_a_ray_run_with_a_checkpoint(sim, tmp_path):
    backend.shutdown()
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "evo", "run", *SLOW, "--generations", "200", "--out", str(out),
                             "--backend", "ray", "--address", sim.address], stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: log_rows(out) >= 2, 120, "second generation")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)  # a hang fails here
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "checkpoint saved. Continue with: neuroevo run --resume" in err and "Traceback" not in err
    g = int(err.split("interrupted at generation ")[1].split(";")[0])
    assert 2 <= g < 200 and log_rows(out) == g  # stopped mid-run, its log as far as its checkpoint
    assert main(["run", "--resume", str(out), "--generations", str(g + 1), "--quiet", "--backend", "ray",
                 "--address", sim.address]) == 0  # on Ray again, this time
    assert main(["run", *SLOW, "--generations", str(g + 1), "--out", str(tmp_path / "l")]) == 0
    assert same_files(tmp_path / "l", out) == []


@pytest.mark.slow  # a Ray cluster
def test_the_head_node_lost_is_one_line_a_checkpoint_and_a_resume(tmp_path):
    """A one-node cluster of its own (``ray start --head``), whose processes all die at once."""
    tmp = tempfile.mkdtemp(prefix="nh-")
    port = free_port()
    env = {**os.environ, "RAY_TMPDIR": tmp, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_AUTH_TOKEN", None)
    ray_cli = str(Path(sys.executable).with_name("ray"))  # Ray's command beside this Python, on PATH or not
    head = subprocess.Popen([ray_cli, "start", "--head", "--block", "--port", str(port), "--num-cpus", "1",
                             "--object-store-memory", str(100 << 20), "--include-dashboard", "false",
                             "--node-ip-address", "127.0.0.1", "--disable-usage-stats",
                             *[f"--{k}={free_port()}" for k in ("dashboard-port", "dashboard-agent-listen-port",
                                                                 "ray-client-server-port")]],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    out = tmp_path / "r"
    run = None
    try:
        run = subprocess.Popen([sys.executable, "-m", "evo", "run", *SLOW, "--generations", "200", "--out",
                                str(out), "--backend", "ray", "--address", f"127.0.0.1:{port}"],
                               env=env, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: log_rows(out) >= 2 or run.poll() is not None, 120, "second generation")
        os.killpg(head.pid, signal.SIGKILL)  # the head machine's Ray, all at once
        _, err = run.communicate(timeout=120)  # a hang fails here
    finally:
        for p in (run, head):
            if p is not None and p.poll() is None:
                p.kill()
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    assert run.returncode == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "was the head node lost?" in err and "checkpoint saved at generation" in err
    assert f"Continue with: neuroevo run --resume {out}" in err
    g = int(err.split("checkpoint saved at generation ")[1].split(".")[0])
    assert main(["run", "--resume", str(out), "--generations", str(g + 1), "--quiet"]) == 0
    assert main(["run", *SLOW, "--generations", str(g + 1), "--out", str(tmp_path / "l")]) == 0
    assert same_files(tmp_path / "l", out) == []


@pytest.mark.slow  # a Ray cluster
def test_cli_sweep_on_ray_survives_a_lost_node_and_matches_the_local_sweep(sim, tmp_path, capsys):
    backend.shutdown()
    args = ["sweep", "cartpole", "--seeds", "0-2", "--generations", "12", "--pop", "3000", "--hidden", "8",
            "--episodes", "2", "--target", "1e9"]
    victim = list(sim.worker_nodes)[0]
    killed = []
    # a task's run writes its log in the task's scratch directory, sent back at its end: played a generation
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("neuroevo-sweep-*/seed-*"))  # of earlier sweeps (a worker killed leaves its folder)
    started = lambda: any(log_rows(d) for d in set(scratch.glob("neuroevo-sweep-*/seed-*")) - before)  # noqa: E731
    killer = threading.Thread(target=lambda: (wait_for(started, 120, "first generation"),
                                              sim.remove_node(victim, allow_graceful=False), killed.append(True)))
    killer.start()
    assert main([*args, "--out", str(tmp_path / "r"), "--backend", "ray", "--address", sim.address]) == 0
    killed_before_the_end = bool(killed)
    killer.join()
    assert killed_before_the_end  # the node died while the runs were going on
    assert "as Ray tasks" in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    read = lambda p: list(csv.reader(open(p)))  # noqa: E731
    assert read(tmp_path / "r" / "summary.csv") == read(tmp_path / "l" / "summary.csv")
    assert read(tmp_path / "r" / "summary.csv")[0][:3] == ["seed", "solved", "generations"]
    for seed in (0, 1, 2):
        r, l_ = tmp_path / "r" / f"seed-{seed}", tmp_path / "l" / f"seed-{seed}"
        files = lambda d: sorted(p.name for p in d.iterdir() if p.name != ".lock")  # noqa: E731
        assert files(r) == files(l_)
        assert same_files(r, l_) == []


@pytest.mark.slow  # a Ray cluster
def test_cli_grid_sweep_on_ray_gives_the_local_summary(sim, tmp_path, capsys):
    backend.shutdown()
    args = ["sweep", "cartpole", "--grid", "pop_size=8,12", "--seeds", "0", "--generations", "3", "--hidden", "8",
            "--episodes", "1", "--target", "60"]
    assert main([*args, "--out", str(tmp_path / "r"), "--backend", "ray", "--address", sim.address]) == 0
    assert "as Ray tasks" in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    read = lambda p: list(csv.reader(open(p)))  # noqa: E731
    summary = read(tmp_path / "r" / "summary.csv")
    assert summary == read(tmp_path / "l" / "summary.csv") and len(summary) == 3
    assert summary[0][:4] == ["setting", "pop_size", "seeds", "solved"]
    for setting in ("setting-0", "setting-1"):
        assert read(tmp_path / "r" / setting / "summary.csv") == read(tmp_path / "l" / setting / "summary.csv")
        assert same_files(tmp_path / "r" / setting / "seed-0", tmp_path / "l" / setting / "seed-0") == []


# -- settings and bad input -----------------------------------------------------------------


def test_config_keeps_backend_and_address_out_of_files():
    from evo.runs.config import RunConfig
    with pytest.raises(ValueError, match="backend must be local or ray"):
        RunConfig(backend="gpu").validate()
    with pytest.raises(ValueError, match="address must be a Ray address"):
        RunConfig(backend="ray", address=None).validate()
    config = RunConfig(backend="ray", address="auto").validate()
    assert config.address == "auto" and "address" not in config.to_dict() and "backend" not in config.to_dict()
    assert RunConfig.from_dict({"backend": "ray"}).backend == "ray"  # a config file may still choose it


@pytest.mark.slow  # child processes waiting for an address that does not answer
def test_unreachable_cluster_is_one_line_and_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "CONNECT_TIMEOUT", 3.0)  # ray.init retries a silent address for ever
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    for cmd in ("run", "sweep"):
        assert main([cmd, "cartpole", "--backend", "ray", "--address", f"127.0.0.1:{free_port()}",
                     "--out", str(tmp_path / cmd)]) == 2
        err = capsys.readouterr().err
        assert "no answer within 3 s (a cluster with token authentication needs RAY_AUTH_MODE=token" in err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / cmd).exists()
