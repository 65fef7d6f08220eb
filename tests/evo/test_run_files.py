"""A run writes inside its run directory only: links planted under its file names are replaced, never followed."""

import os
import shutil
from pathlib import Path

import pytest

from evo.cli import main
from evo.runs.rundir import RUN_FILES, RunDir, atomic_write, check_output_file, is_run_file

SMALL = ["cartpole", "--pop", "16", "--episodes", "1", "--hidden", "8", "--target", "1e9"]
WRITTEN = ("config.toml", "log.csv", "timing.csv", "checkpoint.npz", "champion.npz", "fitness.png")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cartpole"
    assert main(["run", *SMALL, "--generations", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_atomic_write_never_follows_a_link_at_its_temporary_name(tmp_path):
    outside = tmp_path / "outside"
    path = tmp_path / "log.csv"
    tmp = tmp_path / f".log.csv.tmp{os.getpid()}"
    tmp.symlink_to(outside / "planted")  # dangling: following it would create outside/planted
    outside.mkdir()
    atomic_write(path, "mine\n")
    assert path.read_text() == "mine\n" and not path.is_symlink()
    assert not list(outside.iterdir()) and not os.path.lexists(tmp)
    victim = outside / "victim"
    victim.write_text("keep")
    tmp.symlink_to(victim)  # a link to an existing file: neither written through nor truncated
    atomic_write(path, "again\n")
    assert victim.read_text() == "keep" and path.read_text() == "again\n"


def test_atomic_write_replaces_a_link_at_the_destination(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    path = tmp_path / "config.toml"
    path.symlink_to(victim)
    atomic_write(path, "new")
    assert victim.read_text() == "keep"
    assert not path.is_symlink() and path.read_text() == "new"


def test_resume_writes_nothing_outside_its_directory_through_planted_links(finished_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in WRITTEN:  # under this process's temporary names (main runs here) and another's
        for pid in (os.getpid(), 4242):
            (run / f".{name}.tmp{pid}").symlink_to(outside / name)
    (run / "fitness.png").unlink()
    (run / "fitness.png").symlink_to(outside / "fitness.png")  # a link in place of a run file
    assert main(["run", "--resume", str(run), "--generations", "3", "--quiet"]) == 0
    assert not list(outside.iterdir())
    assert not [p.name for p in run.iterdir() if p.is_symlink()]
    assert all((run / name).is_file() for name in WRITTEN)


def test_clean_temporary_files_removes_dangling_links_and_stale_files_only(tmp_path):
    (tmp_path / ".log.csv.tmp17").symlink_to(tmp_path / "missing")
    (tmp_path / ".champion.npz.tmp18").write_bytes(b"PK")
    os.mkfifo(tmp_path / ".config.toml.tmp19")
    (tmp_path / ".notes.tmp20").mkdir()  # a directory is not something atomic_write leaves
    (tmp_path / "log.csv.tmp21").write_text("not a hidden temporary name")
    (tmp_path / ".log.csv.tmpx").write_text("no pid")
    removed = RunDir(tmp_path).clean_temporary_files()
    assert removed == [".champion.npz.tmp18", ".config.toml.tmp19", ".log.csv.tmp17"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".log.csv.tmpx", ".notes.tmp20", "log.csv.tmp21"]


@pytest.mark.parametrize("kind", ["dangling", "link", "fifo", "directory"])
def test_a_lock_that_is_not_a_plain_file_is_refused_and_never_followed(kind, finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    lock = run / ".lock"
    lock.unlink()
    target = tmp_path / "elsewhere"
    if kind == "dangling":
        lock.symlink_to(target)
    elif kind == "link":
        target.write_text("keep")
        lock.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and not p.is_symlink()}
    assert main(["run", "--resume", str(run), "--generations", "3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot lock" in err and len(err.strip().splitlines()) == 1, err
    assert target.exists() == (kind == "link")
    if kind == "link":
        assert target.read_text() == "keep"
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and not p.is_symlink()} == before


def test_output_files_are_checked(finished_run, tmp_path):
    assert all(is_run_file(finished_run / name) for name in RUN_FILES)
    assert not is_run_file(tmp_path / "fitness.png")  # no run here
    for path, message in [(finished_run / "fitness.png", "is a file of the run"),
                          (finished_run / "champion.npz", "is a file of the run"),
                          (tmp_path / "no" / "x.png", "does not exist"),
                          (tmp_path, "exists and is not a file"),
                          ("shot\n.png", "control character"), ("\x1b.png", "control character"),
                          ("", "non-empty path")]:
        with pytest.raises(ValueError, match=message):
            check_output_file(path, "--screenshot")
    assert check_output_file(tmp_path / "x.png", "--screenshot") == Path(tmp_path / "x.png")


@pytest.mark.parametrize("name", ["log.csv", "timing.csv", "champion.npz", "fitness.png", "config.toml"])
def test_a_directory_in_place_of_a_run_file_is_refused_before_the_run_goes_on(name, finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / name).unlink()
    (run / name).mkdir()
    assert main(["run", "--resume", str(run), "--generations", "3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{name} is not a file" in err and len(err.strip().splitlines()) == 1, err
    assert name == "log.csv" or len((run / "log.csv").read_text().splitlines()) == 3
