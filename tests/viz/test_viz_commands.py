"""``neuroevo watch --frames``, ``replay``, ``record``, their errors, and pygame staying out of headless runs."""

import os
import subprocess
import sys

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")
from PIL import Image  # noqa: E402

from evo.cli import main  # noqa: E402

SMALL = ["--pop", "12", "--episodes", "1", "--hidden", "8", "--target", "1e9"]  # cartpole's preset


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cartpole"
    assert main(["run", "cartpole", *SMALL, "--generations", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_watch_frames_writes_a_screenshot_and_a_run_directory_only_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shot = tmp_path / "watch.png"
    assert main(["watch", "cartpole", *SMALL, "--frames", "20", "--screenshot", str(shot)]) == 0
    img = np.asarray(Image.open(shot))
    assert img.shape[2] == 3 and img.std() > 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["watch.png"]  # a screenshot leaves no run behind
    capsys.readouterr()
    assert main(["watch", "cartpole", *SMALL, "--frames", "20", "--out", "w", "--quiet"]) == 0
    run = tmp_path / "w"
    assert (run / "checkpoint.npz").is_file() and (run / "config.toml").is_file()
    assert capsys.readouterr().out.startswith("cartpole: ")  # --quiet, as for run: the last line only
    assert main(["watch", "--resume", "w", "--frames", "20"]) == 0  # the window continues the run
    assert "checkpoint in w" in capsys.readouterr().out
    assert main(["watch", "--resume", "w", "--pop", "30", "--frames", "20"]) == 2


def test_record_gif_and_png_frames(run_dir, tmp_path, capsys):
    gif = tmp_path / "champion.gif"
    assert main(["record", str(run_dir), "--out", str(gif), "--steps", "40"]) == 0
    with Image.open(gif) as im:
        assert im.n_frames > 1
        assert np.asarray(im.convert("RGB")).std() > 10
    frames = tmp_path / "frames"
    assert main(["record", str(run_dir), "--out", str(frames), "--steps", "10", "--seed", "3"]) == 0
    pngs = sorted(frames.glob("frame_*.png"))
    assert len(pngs) > 1 and pngs[0].name == "frame_00000.png"


def test_replay_plays_until_quit(run_dir):
    pygame.display.init()
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert main(["replay", str(run_dir)]) == 0


def test_replay_viewer_plays_episodes(run_dir):
    from evo.runs.rundir import load_champion
    from viz.app import Replay, open_window

    c = load_champion(run_dir)
    env, net, genome = c.env, c.net, c.genome
    r = Replay(env, net, genome, open_window((640, 400)), seed=0, frame_time=1 / 60)
    r.speed_i = 7  # max
    r.run(frames=20)
    assert r.episode.t > 0 or r.seed > 0
    assert pygame.surfarray.array3d(r.surface).std() > 10


def test_watch_frames_at_a_higher_speed_shows_a_later_generation(tmp_path, capsys):
    said = {}
    for speed in ("1", "64x"):
        shot = tmp_path / f"speed-{speed}.png"
        assert main(["watch", "cartpole", *SMALL, "--frames", "120", "--speed", speed, "--screenshot", str(shot)]) == 0
        said[speed] = capsys.readouterr().out
        assert np.asarray(Image.open(shot)).std() > 10
    assert said["1"].startswith("cartpole: generation 0,")  # 2 game seconds: the first generation still plays
    later = int(said["64x"].split("generation ")[1].split(",")[0])  # 64x, as the status line writes speeds
    assert later >= 2, said["64x"]


def test_replay_frames_writes_a_screenshot_without_a_display(run_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    shot = tmp_path / "replay.png"
    assert main(["replay", str(run_dir), "--frames", "30", "--speed", "4", "--screenshot", str(shot)]) == 0
    img = np.asarray(Image.open(shot))
    assert img.shape[2] == 3 and img.std() > 10
    assert main(["replay", str(run_dir), "--frames", "5", "--screenshot", str(shot)]) == 0  # a screenshot again


@pytest.mark.parametrize("command", ["replay", "watch", "play"])
@pytest.mark.parametrize("target", ["champion.npz", "notes.png", "folder.png", "link.png", "nope/a.png", "a.jpg", ""])
def test_a_screenshot_never_replaces_what_is_not_a_screenshot(command, target, run_dir, tmp_path, capsys):
    (tmp_path / "notes.png").write_text("my notes")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "link.png").symlink_to(tmp_path / "elsewhere.png")
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    path = str(run_dir / target) if target == "champion.npz" else str(tmp_path / target) if target else ""
    argv = {"replay": ["replay", str(run_dir)], "watch": ["watch", "cartpole", *SMALL],
            "play": ["play", "cartpole"]}[command]
    assert main([*argv, "--frames", "2", "--screenshot", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("--screenshot" in err or "does not exist" in err)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before
    assert (tmp_path / "notes.png").read_text() == "my notes" and not (tmp_path / "elsewhere.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["record", "{missing}", "--out", "{tmp}/a.gif"], "no champion"),
    (["record", "{corrupt}", "--out", "{tmp}/a.gif"], "corrupted champion"),
    (["record", "{run}", "--out", "{tmp}/a.png"], ".gif file or a directory"),
    (["record", "{run}", "--out", "{tmp}/nope/a.gif"], "does not exist"),
    (["replay", "{missing}"], "no champion"),
    (["watch", "cartpole", "--frames", "0"], "--frames"),
    (["watch", "cartpole", "--frames", "2", "--screenshot", "{tmp}/a.jpg"], ".png"),
    (["watch", "nosuchgame", "--frames", "2"], "unknown game"),
    (["watch", "cartpole", "--frames", "2", "--speed", "3"], "--speed must be one of 1, 2, 4"),
    (["replay", "{run}", "--frames", "2", "--speed", "fast"], "--speed must be one of"),
    (["replay", "{run}", "--frames", "0"], "--frames"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, run_dir, tmp_path, capsys):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "champion.npz").write_bytes(b"not a zip file")
    subs = {"missing": str(tmp_path / "missing"), "corrupt": str(corrupt), "run": str(run_dir), "tmp": str(tmp_path)}
    assert main([a.format(**subs) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.slow  # a child process
def test_headless_run_never_imports_pygame(tmp_path):
    code = ("import sys; from evo.cli import main; "
            f"main(['run', 'cartpole', '--generations', '2', '--out', {str(tmp_path / 'r')!r}, '--quiet']); "
            "print('pygame' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEODRIVER"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.slow  # a child process
def test_the_episode_model_plays_without_pygame():
    code = ("import sys, numpy as np, envs; from evo import MLP; from viz.episode import Episode; "
            "env = envs.make('cartpole'); net = MLP([env.obs_size, 8, env.num_outputs]); "
            "e = Episode(env, net, net.init(np.random.default_rng(0), 3), seed=0); "
            "[e.step() for _ in range(5)]; print(e.t, 'pygame' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["5", "False"]
