"""The Ray backend: bit-identical to the local one, survives killed actors, runs and sweeps from the CLI.

Everything runs on one local Ray instance with 2 CPUs, started once for the module.
"""

import csv
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import ray

import envs
from evo import MLP, distributed, evaluate, rollout
from evo.cli import main

# A run that never reaches its target, so it goes the full number of generations.
LONG = ["cartpole", "--pop", "24", "--episodes", "2", "--hidden", "4", "--target", "1e9", "--quiet"]


@pytest.fixture(scope="session")
def local_ray():
    """Ray with 2 CPUs; the pool has 2 single-thread actors (the default would be one with 2 threads)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    distributed.THREADS_PER_ACTOR = 1
    yield
    distributed.THREADS_PER_ACTOR = None
    distributed.shutdown()
    ray.shutdown()


def pids():
    return ray.get([a.pid.remote() for a in distributed.pool()])


def same(a, b):
    return np.array_equal(a.returns, b.returns) and np.array_equal(a.steps, b.steps)


@pytest.mark.parametrize("name", ["cartpole", "flappy", "racer"])
def test_ray_is_bit_identical_to_local(name, local_ray, game_envs):
    env = game_envs[name]
    net = MLP([env.obs_size, 8, env.num_outputs])
    genomes = net.init(np.random.default_rng(3), 401)  # odd size: uneven chunks
    assert distributed.chunks(401, 3, 2) == [(0, 200), (200, 401)]
    assert len(distributed.chunks(65536, 1, 2)) == 4 and distributed.chunks(1, 1, 2) == [(0, 1)]
    local = rollout(env, net, genomes, episodes=3, seed=11)
    remote = rollout(env, net, genomes, episodes=3, seed=11, backend="ray")
    assert remote.returns.dtype == np.float64 and remote.steps.dtype == np.int64
    assert same(local, remote)
    np.testing.assert_array_equal(evaluate(env, net, genomes, 3, 11, backend="ray"), local.fitness)


def test_default_pool_is_one_actor_per_node_with_all_its_threads(local_ray, game_envs, monkeypatch):
    env = game_envs["cartpole"]
    net = MLP([4, 8, 2])
    genomes = net.init(np.random.default_rng(4), 6000)
    monkeypatch.setattr(distributed, "THREADS_PER_ACTOR", None)
    assert len(distributed.pool()) == 1 and distributed._pool["threads"] == 2
    assert len(distributed.chunks(6000, 3, 1)) == 2
    assert same(rollout(env, net, genomes, 3, 2, backend="ray"), rollout(env, net, genomes, 3, 2))
    monkeypatch.undo()
    assert len(distributed.pool()) == 2


def test_actors_are_reused_across_calls_and_games(local_ray, game_envs):
    before = pids()
    assert len(before) == 2
    for name in ("cartpole", "flappy", "cartpole"):
        env = game_envs[name]
        net = MLP([env.obs_size, 8, env.num_outputs])
        rollout(env, net, net.init(np.random.default_rng(0), 64), 2, 0, backend="ray")
    assert pids() == before
    empty = rollout(env, net, np.zeros((0, net.num_params), np.float32), 2, 0, backend="ray")
    assert empty.returns.shape == (0, 2)


def test_unknown_backend_is_a_one_line_error(game_envs):
    env = game_envs["cartpole"]
    net = MLP([4, 4, 2])
    with pytest.raises(ValueError, match="unknown backend 'gpu'; known: local, ray"):
        rollout(env, net, net.init(np.random.default_rng(0), 4), backend="gpu")


def kill_mid_generation(kill, game_envs):
    """Start a generation whose chunks sleep first, ``kill`` an actor while they do; check the result."""
    env = game_envs["flappy"]
    net = MLP([env.obs_size, 8, env.num_outputs])
    genomes = net.init(np.random.default_rng(5), 600)
    local = rollout(env, net, genomes, 2, 9)
    actors, before = list(distributed.pool()), pids()
    out = {}
    t = threading.Thread(target=lambda: out.update(r=distributed.rollout(env, net, genomes, 2, 9, _delay=1.5)))
    start = time.perf_counter()
    t.start()
    time.sleep(0.7)  # both actors are sleeping in their first chunk
    kill(actors[0], before[0])
    t.join(timeout=60)
    assert not t.is_alive() and same(out["r"], local)
    assert time.perf_counter() - start > 2.5  # the killed chunk really was played again
    after = pids()
    assert after[0] != before[0] and after[1] == before[1]


def test_actor_killed_mid_generation_is_replaced_and_its_chunk_rerun(local_ray, game_envs):
    kill_mid_generation(lambda actor, pid: os.kill(pid, signal.SIGKILL), game_envs)


def test_actor_killed_through_ray_is_replaced_too(local_ray, game_envs):
    kill_mid_generation(lambda actor, pid: ray.kill(actor, no_restart=True), game_envs)


def test_cli_run_with_ray_writes_the_same_log(local_ray, tmp_path, capsys):
    assert main(["run", *LONG, "--generations", "3", "--out", str(tmp_path / "l")]) == 0
    assert main(["run", *LONG, "--generations", "3", "--out", str(tmp_path / "r"), "--backend", "ray"]) == 0
    assert "not solved after 3 generations" in capsys.readouterr().out
    assert (tmp_path / "r" / "log.csv").read_bytes() == (tmp_path / "l" / "log.csv").read_bytes()
    assert 'backend = "ray"' in (tmp_path / "r" / "config.toml").read_text()
    with np.load(tmp_path / "r" / "champion.npz") as a, np.load(tmp_path / "l" / "champion.npz") as b:
        np.testing.assert_array_equal(a["genome"], b["genome"])


def test_cli_run_in_a_fresh_process_joins_the_cluster_quietly(local_ray, tmp_path):
    distributed.shutdown()  # free the CPUs for the other process's actors
    address = ray.get_runtime_context().gcs_address
    res = subprocess.run([sys.executable, "-m", "evo.cli", "run", *LONG, "--generations", "2",
                          "--out", str(tmp_path / "r"), "--backend", "ray", "--address", address],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stderr == "" and len(res.stdout.strip().splitlines()) == 1
    assert main(["run", *LONG, "--generations", "2", "--out", str(tmp_path / "l")]) == 0
    assert (tmp_path / "r" / "log.csv").read_bytes() == (tmp_path / "l" / "log.csv").read_bytes()


def test_cli_sweep_on_ray_matches_the_local_sweep(local_ray, tmp_path, capsys):
    args = ["sweep", "cartpole", "--seeds", "0-1", "--generations", "2", "--pop", "16", "--hidden", "4",
            "--episodes", "1", "--target", "1e9"]
    assert main([*args, "--out", str(tmp_path / "r"), "--backend", "ray"]) == 0
    assert "as Ray tasks" in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "l")]) == 0
    read = lambda p: list(csv.reader(open(p)))  # noqa: E731
    assert read(tmp_path / "r" / "summary.csv") == read(tmp_path / "l" / "summary.csv")
    assert read(tmp_path / "r" / "summary.csv")[0][:3] == ["seed", "solved", "generations"]
    for seed in (0, 1):
        r, l_ = tmp_path / "r" / f"seed-{seed}", tmp_path / "l" / f"seed-{seed}"
        files = lambda d: sorted(p.name for p in d.iterdir() if p.name != ".lock")  # noqa: E731
        assert files(r) == files(l_)
        assert (r / "log.csv").read_bytes() == (l_ / "log.csv").read_bytes()


def test_config_checks_backend_and_address():
    from evo.config import RunConfig
    with pytest.raises(ValueError, match="backend must be local or ray"):
        RunConfig(backend="gpu").validate()
    with pytest.raises(ValueError, match="address must be a Ray address"):
        RunConfig(backend="ray", address=None).validate()
    config = RunConfig(backend="ray", address="auto").validate()
    assert config.address == "auto" and "address" not in config.to_dict()  # never written to a file


def test_unreachable_cluster_is_one_line_and_writes_nothing(capsys, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance.\nmore detail")
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    for cmd in ("run", "sweep"):
        assert main([cmd, "cartpole", "--backend", "ray", "--address", "auto", "--out", str(tmp_path / cmd)]) == 2
        err = capsys.readouterr().err
        assert "cannot connect to Ray at auto: Could not find" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / cmd).exists()
