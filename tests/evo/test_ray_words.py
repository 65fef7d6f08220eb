"""What the Ray backend says and leaves behind, checked without a cluster: a lost head named as such,
out-of-memory kills said as such, a stopped driver process ended at once, no sweep folder left."""

import os
import socket
import subprocess
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from ray import exceptions as rex

from evo.ray import messages, sweep
from evo.ray.errors import ClusterLost, ray_failed
from evo.ray.scheduler import give_up_message


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset by peer"),
                                   OSError(32, "Broken pipe"),  # as a head lost mid-call was once reported
                                   OSError("Broken pipe"),  # and once without its errno
                                   rex.RaySystemError("System error: Failed to get the GCS address")])
def test_a_broken_connection_to_the_cluster_names_the_head(error):
    lost = ray_failed(error)
    assert isinstance(lost, ClusterLost)
    assert str(lost).startswith("lost the connection to the Ray cluster (") and "was the head node lost?" in str(lost)
    assert type(error).__name__ in str(lost)


def test_another_ray_failure_says_what_failed():
    assert str(ray_failed(ValueError("bad\nsecond line"))) == "Ray failed: ValueError: bad"
    assert str(ray_failed(OSError("No space left on device"))) == "Ray failed: OSError: No space left on device"


def test_giving_up_after_out_of_memory_kills_says_memory():
    oom = [rex.OutOfMemoryError("Task was killed due to the node running low on memory.")] * 3
    line = give_up_message("0..99", oom, 5)
    assert line.startswith("genomes 0..99 failed on Ray 3 time(s) in a row (OutOfMemoryError; 5 actor(s) lost")
    assert "out of memory" in line and "--pop" in line and "a bug" not in line
    mixed = give_up_message("0..99", [rex.WorkerCrashedError(), *oom[:2]], 3)
    assert "OutOfMemoryError, WorkerCrashedError" in mixed and "out of memory" in mixed
    crashed = give_up_message("5..9", [rex.WorkerCrashedError()] * 3, 3)
    assert "memory" not in crashed and crashed.endswith("a bug, or a node that kills what it runs")


def test_a_stopped_driver_process_is_ended_at_once_with_its_process_group(monkeypatch):
    """After a stop request the child is not asked to shut Ray down (a local instance takes seconds):
    its process group, where a local Ray instance's processes run, is killed."""
    proc = subprocess.Popen(["sh", "-c", "sleep 600 & echo $!; wait"], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    grandchild = int(proc.stdout.readline())
    ours, theirs = socket.socketpair()
    theirs.close()
    driver = object.__new__(messages.Driver)
    driver.proc, driver.conn, driver.shm, driver.busy, driver.broken = proc, Connection(ours.detach()), None, False, False
    monkeypatch.setattr(messages.STOP, "is_set", lambda: True)
    driver.close()
    assert proc.returncode is not None and proc.returncode < 0  # killed, not asked
    deadline = time.monotonic() + 30
    while True:  # the group's other process is gone too (a zombie until its reaper runs)
        try:
            with open(f"/proc/{grandchild}/stat") as f:
                if f.read().split(")")[1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        assert time.monotonic() < deadline, "the process group was not killed"
        time.sleep(0.05)


def test_a_sweep_task_folder_left_by_a_dead_worker_is_cleaned(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tempfile.mkdtemp(prefix=f"{sweep.PREFIX}{dead.pid}-", dir=tmp_path)
    (Path(stale) / "config.toml").write_text("seed = 1\n")
    alive = tempfile.mkdtemp(prefix=f"{sweep.PREFIX}{os.getpid()}-", dir=tmp_path)
    other = tmp_path / "neuroevo-sweep-notapid-x"
    other.mkdir()
    assert sweep.clean_stale_folders(str(tmp_path)) == [tmp_path / os.path.basename(stale)]
    assert not os.path.exists(stale) and os.path.isdir(alive) and other.is_dir()


def test_a_ray_failure_in_the_driver_process_comes_back_as_the_cluster_lost(monkeypatch):
    """The child that drives Ray answers a call that Ray failed (here a warm-up whose connection broke)
    with ClusterLost naming the head, and a bug in a worker as the bug it is."""
    import threading

    errors = [rex.RaySystemError("Broken pipe"),
              rex.RayTaskError("warm", "Traceback ...", ValueError("not enough values to unpack"))]

    def warm(*args):
        raise errors.pop(0)
    monkeypatch.setattr(messages, "connect", lambda address: None)
    monkeypatch.setattr(messages.pool, "warm", warm)
    monkeypatch.setattr(messages.pool, "shutdown", lambda: None)
    monkeypatch.setattr(messages.ray, "shutdown", lambda: None)
    ours, theirs = socket.socketpair()
    child = threading.Thread(target=messages.serve, args=(theirs.detach(),), daemon=True)
    child.start()
    conn = Connection(ours.detach())
    conn.send((None, {}, False))
    assert conn.poll(30) and conn.recv() == ("value", None)
    answers = []
    for _ in range(2):
        conn.send(("warm", ("key", (), None)))
        assert conn.poll(30), "no answer"
        answers.append(conn.recv())
    (kind, (name, text)), (kind2, (name2, text2)) = answers
    assert (kind, name) == ("error", "ClusterLost") and "was the head node lost?" in text and "Broken pipe" in text
    assert (kind2, name2) == ("error", "RuntimeError") and "head" not in text2
    conn.send(("close", ()))
    child.join(timeout=30)
    assert not child.is_alive()
