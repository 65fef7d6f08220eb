"""``neuroevo watch --follow RUN``: a window on a run written by someone else, read-only."""

import os
import subprocess
import sys

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")
from PIL import Image  # noqa: E402

from evo.cli import main  # noqa: E402
from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Driver, Evolution  # noqa: E402
from evo.runs.rundir import RunDir, RunFiles, atomic_write  # noqa: E402
from viz.follow import QUIET, Follow, FollowedRun, lock_held, read_log  # noqa: E402

# cartpole's preset, smaller; a checkpoint (which holds every generation's best) after every generation
SMALL = {"pop_size": 12, "episodes": 1, "hidden": [8], "target": 1e9, "checkpoint_every": 1}


def small_run(generations: int, **settings) -> Evolution:
    return Evolution(RunConfig.from_dict({**SMALL, "generations": generations, **settings},
                                         base=default_config("cartpole")))


def listing(path) -> dict:
    """Every entry of a directory (hidden ones too) with what a write would change."""
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size, p.stat().st_ino) for p in sorted(path.iterdir())}


def new_run(path, generations: int, **settings):
    """A run directory being written by a driver in this process (locked, as ``neuroevo run`` holds it)."""
    run = small_run(generations, **settings)
    rundir = RunDir(path)
    rundir.create(run)
    return run, rundir, Driver(run, [RunFiles(rundir, timing=[])])


def test_follow_picks_up_each_generation_without_writing_or_locking(tmp_path):
    path = tmp_path / "r"
    run, rundir, driver = new_run(path, generations=4)
    try:
        assert lock_held(path / ".lock") is not False  # the run holds its lock all along
        followed = FollowedRun(path)
        viewer = Follow(followed, pygame.Surface((960, 540)), frame_time=1 / 60, show=0)
        assert followed.generations == 0 and viewer.replay is None
        assert "waiting for the first generation" in viewer.status()
        viewer.run(frames=3)
        for g in range(4):
            driver.generation()
            before = listing(path)
            viewer.update()
            viewer.run(frames=5)
            assert listing(path) == before  # nothing written, renamed or created in RUN
            assert followed.generations == g + 1 and len(followed.history) == g + 1
            assert viewer.chart._cache[0][2] == g + 1  # the chart drawn has every logged generation
            if g < 3:
                assert followed.finished is None and viewer.showing == g
                assert np.array_equal(viewer.replay.genomes[0], run.bests[g])
                assert f"generation {g}'s best" in viewer.status()
        driver.stop("finished")
        viewer.update()
        assert followed.finished == "run finished at generation 3"
        assert viewer.showing is None and np.array_equal(viewer.replay.genomes[0], run.champion)
        assert "run finished" in viewer.status()
        viewer.pick(-1)  # [ : the last generation's best, then ] past it: the champion again
        assert viewer.pinned and viewer.showing == 3
        viewer.pick(+1)
        assert not viewer.pinned and viewer.showing is None
        shot = tmp_path / "follow.png"
        viewer.run(frames=3)
        viewer.save_screenshot(shot)
        assert np.asarray(Image.open(shot)).std() > 10
        viewer.close()
    finally:
        rundir.unlock()
    RunDir(path).lock()  # the viewer took no lock: the run's own is free once released


def test_a_half_appended_log_line_is_left_out(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("generation,best,mean,test\n0,1.5,1.0,\n1,2.5,2.0,\n2,3.")
    rows = read_log(log)
    assert [r["generation"] for r in rows] == [0, 1] and rows[1]["best"] == 2.5 and rows[0]["test"] is None
    log.write_text("generation,best,mean\n0,1.5,1.0\nx,2,2\n1,2\n")  # a garbled row and a short one
    assert [r["generation"] for r in read_log(log)] == [0]
    assert read_log(tmp_path / "none.csv") == []


def test_a_stopped_run_counts_as_finished_once_quiet(tmp_path):
    path = tmp_path / "r"
    run, rundir, driver = new_run(path, generations=10)
    if lock_held(path / ".lock") is None:
        pytest.skip("no /proc/locks on this system: a lock's release cannot be seen without taking it")
    driver.generation()
    driver.generation()
    driver.stop("requested")
    followed = FollowedRun(path)
    assert followed.generations == 2
    assert followed.poll(QUIET * 10) is False and followed.finished is None  # its process still holds it
    rundir.unlock()
    assert lock_held(path / ".lock") is False
    followed.poll(QUIET * 10 + 0.1)
    assert followed.finished is None  # released: finished once nothing has changed for QUIET seconds
    followed.poll(QUIET * 12)
    assert followed.finished == "run finished at generation 1 (its process stopped)"


def test_a_run_without_a_checkpoint_waits_for_its_first_generation(tmp_path):
    path = tmp_path / "r"
    path.mkdir()
    source = small_run(3)
    atomic_write(path / "config.toml", source.config.to_toml())
    followed = FollowedRun(path)
    viewer = Follow(followed, pygame.Surface((800, 450)), frame_time=1 / 60, show=0)
    viewer.run(frames=2)
    assert followed.run is None and "waiting for the first generation" in viewer.status()
    other = tmp_path / "other"
    _, rundir, driver = new_run(other, generations=3)
    driver.generation()
    rundir.unlock()
    for name in ("checkpoint.npz", "log.csv"):  # as a run writes them: whole files, renamed into place
        atomic_write(path / name, (other / name).read_bytes())
    viewer.update()
    assert followed.generations == 1 and viewer.showing == 0 and len(followed.history) == 1
    viewer.close()


def test_cli_follow_frames_screenshot_and_bad_runs(tmp_path, capsys):
    path = tmp_path / "r"
    assert main(["run", "cartpole", "--pop", "12", "--episodes", "1", "--hidden", "8", "--target", "1e9",
                 "--generations", "3", "--out", str(path), "--quiet"]) == 0
    capsys.readouterr()
    before = listing(path)
    shot = tmp_path / "follow.png"
    assert main(["watch", "--follow", str(path), "--frames", "30", "--screenshot", str(shot)]) == 0
    assert capsys.readouterr().out == f"cartpole: followed {path} to generation 2, run finished at generation 2\n"
    assert listing(path) == before
    assert np.asarray(Image.open(shot)).std() > 10
    (tmp_path / "plain").mkdir()
    for bad, words in ((tmp_path / "missing", "no run directory at"), (tmp_path / "plain", "is not a run directory"),
                       (path / "log.csv", "no run directory at")):
        assert main(["watch", "--follow", str(bad), "--frames", "3"]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1
    assert main(["watch", "cartpole", "--follow", str(path), "--frames", "3"]) == 2
    assert "--follow" in capsys.readouterr().err
    assert main(["watch", "--follow", str(path), "--pop", "30", "--frames", "3"]) == 2
    assert "--pop" in capsys.readouterr().err
    assert main(["watch", "--follow", str(path), "--frames", "3", "--screenshot", str(path / "x.png")]) == 2
    assert "never writes into" in capsys.readouterr().err
    assert listing(path) == before


@pytest.mark.slow
def test_follow_a_run_in_another_process(tmp_path):
    """A headless ``neuroevo run`` in a child process, followed until it finishes."""
    path = tmp_path / "r"
    child = subprocess.Popen([sys.executable, "-m", "evo", "run", "cartpole", "--pop", "64", "--episodes", "4",
                              "--hidden", "8", "--target", "1e9", "--generations", "40", "--out", str(path),
                              "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(6000):  # its directory appears whole (made aside, renamed into place)
            if path.is_dir():
                break
            child.poll()
            pygame.time.wait(10)
        followed = FollowedRun(path)
        viewer = Follow(followed, pygame.Surface((800, 450)), frame_time=1 / 60, show=0)
        seen = []
        for _ in range(12000):
            viewer.update()
            viewer.run(frames=1)
            seen.append(followed.generations)
            if followed.finished:
                break
            pygame.time.wait(5)
        assert child.wait(timeout=300) == 0
        viewer.update()
        assert followed.finished == "run finished at generation 39"
        assert followed.generations == 40 and len(followed.history) == 40
        assert seen == sorted(seen)  # generations only ever come, never go
        assert os.listdir(path).count(".lock") == 1 and not [n for n in os.listdir(path) if n.endswith(".png")
                                                            and n != "fitness.png"]
        viewer.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_between_checkpoints_each_generation_s_best_lands_from_best_npz(tmp_path):
    path = tmp_path / "r"
    run, rundir, driver = new_run(path, generations=10, checkpoint_every=3)
    try:
        followed = FollowedRun(path)
        viewer = Follow(followed, pygame.Surface((800, 450)), frame_time=1 / 60, show=0)
        for g in range(5):
            driver.generation()
            before = listing(path)
            viewer.update()
            viewer.run(frames=2)
            assert listing(path) == before  # read, never written
            assert len(followed.history) == g + 1  # log.csv: every generation
            assert len(followed.run.bests) == (3 if g >= 2 else 0)  # the checkpoint: every third
            assert followed.generations == g + 1 and followed.latest.generation == g  # best.npz: every one
            assert viewer.showing == g and np.array_equal(viewer.replay.genomes[0], run.bests[g])
        late = FollowedRun(path)  # a window opened between checkpoints starts from best.npz
        assert late.generations == 5 and np.array_equal(late.best(4), run.bests[4]) and late.best(3) is None
        # generations 5 to 7 land between two looks: the checkpoint after 5 keeps its best, 7 shows,
        # 6 was never seen and [ steps over it
        for _ in range(3):
            driver.generation()
        viewer.update()
        assert viewer.showing == 7 and followed.best(6) is None and followed.known() == [0, 1, 2, 3, 4, 5, 7]
        viewer.pick(-1)
        assert viewer.pinned and viewer.showing == 5
        viewer.close()
    finally:
        rundir.unlock()
