"""Bad input, family by family: one line, exit 2 (ValueError/TypeError in Python), nothing written or changed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import envs
import evo
from evo import MLP, GeneticAlgorithm, evaluate, mutation, shaping, strategies
from evo.algorithms.diversity import MAPElites, NoveltySearch
from evo.cli import main
from evo.runs.driver import held_out_seed, episode_seed
from evo.runs.rundir import load_npz, save_npz

ROOT = Path(__file__).resolve().parents[2]
# cartpole's preset network (58 genes), whose kernels the other tests compile too
SMALL = ["cartpole", "--pop", "16", "--episodes", "1", "--hidden", "8", "--target", "1e9"]


def snapshot(directory: Path) -> dict:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def refused(args, capsys, message, cwd: Path):
    """Run the CLI in ``cwd``; assert exit 2, one line naming ``message``, and no file touched in ``cwd``."""
    before = snapshot(cwd)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main([str(a) for a in args])
    finally:
        os.chdir(old)
    err = capsys.readouterr().err
    assert code == 2, err
    # a check that needs the run's first moments (creating its directory) may follow their notices
    notices = ("neuroevo: compiling the ", "neuroevo: timing both kernels ")
    err = "\n".join(line for line in err.strip().splitlines() if not line.startswith(notices))
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert message in err, err
    assert snapshot(cwd) == before


# -- config files -------------------------------------------------------------------------------

BAD_CONFIGS = [
    ("env = 5", "env must be a game name"),
    ('env = ""', "name a game"),
    ("env_params = 3", "env_params must be a table"),
    ('[env_params]\ngravity = "x"', "parameter 'gravity' must be a number"),
    ("[env_params]\ntau = 0", "parameter 'tau' must be in"),
    ("[env_params]\nwarp = 1", "unknown parameter 'warp'"),
    ('pop_size = "many"', "pop_size must be an integer"),
    ("pop_size = 2.5", "pop_size must be an integer"),
    ("pop_size = true", "pop_size must be an integer"),
    ("pop_size = 0", "pop_size must be >= 1"),
    ("generations = 0", "generations must be >= 1"),
    ("episodes = 1000000000000", "would need about"),
    ("hidden = [100000, 100000]", "would need about"),
    ('hidden = "16"', "hidden must be a list"),
    ("hidden = [0]", "hidden must be a list"),
    ("crossover_rate = true", "crossover_rate must be a number"),
    ("crossover_rate = 2.0", "crossover_rate must be in"),
    ("target = nan", "target must be finite"),
    ('target = "high"', "target must be a number"),
    ("seed = -1", "seed must be in 0.."),
    ("elite = 500", "leaves no room for children"),
    ('selection = "tournament"', "selection must be a table"),
    ('[selection]\nname = "tournament"\nsize = 0', "tournament size must be >= 1"),
    ('[selection]\nname = "best"', "unknown selection 'best'"),
    ('[mutation]\nname = "gaussian"\nrate = 2.0', "rate must be in [0, 1]"),
    ('[mutation]\nname = "gaussian"\nsigma = -1.0', "sigma must be >= 0"),
    ('[mutation]\nname = "polynomial"\nlow = 1.0\nhigh = -1.0', "low must be < high"),
    ('[mutation]\nname = "gaussian"\n[mutation.sigma]\nkind = "linear"\nstart = 0.1\nend = 0.0\ngenerations = 0',
     "schedule generations must be >= 1"),
    ('[crossover]\nname = "sbx"\neta = -1.0', "eta must be >= 0"),
    ("[crossover]\nname = \"uniform\"\nswaps = 3", "has no parameter 'swaps'"),
    ('activation = "swish"', "activation must be one of"),
    ("threads = -1", "threads must be >= 0"),
    ("checkpoint_every = 0", "checkpoint_every must be >= 1"),
    ("test_episodes = 0", "test_episodes must be >= 1"),
    ("validation_episodes = 2.5", "validation_episodes must be an integer"),
    ("colour = 3", "unknown config key 'colour'"),
    ('address = "10.0.0.1:6379"', "never from a file"),
    ('env = "gym:this:X-v0"', "would import a module"),
    ('env = "gym:NoSuchThing-v9"', "is not a registered Gymnasium id"),
    ("pop_size = ", "malformed TOML"),
    ('[mutation]\nname = "self_adaptive"\nsigma = -1.0', "sigma must be in [0.0, 1e+30]"),
    ('[mutation]\nname = "self_adaptive"\nsigma = 1e300', "sigma must be in [0.0, 1e+30]"),
    ('[mutation]\nname = "gaussian"\nsigma = 1e300', "non-finite genes"),
    ('[mutation]\nname = "reset"\nscale = 1e300', "non-finite genes"),
    ('[algorithm]\nname = "truncation_ga"\nsigma = 1e300', "non-finite genes"),
    ('[algorithm]\nname = "ga"\nlow = -inf\nhigh = -inf', "room for finite float32 genes"),
    ('[algorithm]\nname = "ga"\nlow = 1e300', "room for finite float32 genes"),
    ('[algorithm]\nname = "cmaes"\nsigma = 1e300', "sigma must be in"),
    ("hidden = [8]\n[algorithm]\nname = \"cmaes\"\nmean = [" + ", ".join(["1e300"] * 58) + "]",
     "mean must lie within"),
    ('hidden = [2000, 2000]\n[algorithm]\nname = "cmaes"', "covariance) would need about"),
    ('[algorithm]\nname = "novelty"', "has no behaviour descriptor"),
]


@pytest.mark.parametrize("text,message", BAD_CONFIGS)
def test_a_bad_config_file_is_refused_before_anything_is_written(text, message, tmp_path, capsys):
    config = tmp_path / "c.toml"
    header = "" if text.startswith("env =") else 'env = "cartpole"\n'
    # top-level keys must come before tables in TOML
    config.write_text(header + text + "\n")
    refused(["run", "--config", config], capsys, message, tmp_path)


# -- command-line flags and output paths -----------------------------------------------------------

BAD_FLAGS = [
    (["--seed", "-1"], "seed must be in 0.."),
    (["--seed", str(2**64)], "seed must be in 0.."),
    (["--pop", "1000000000"], "would need about"),
    (["--hidden", "100000,100000"], "would need about"),
    (["--episodes", "0"], "episodes must be >= 1"),
    (["--generations", "-3"], "generations must be >= 1"),
    (["--target", "nan"], "target must be finite"),
    (["--target", "inf"], "target must be finite"),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS)
def test_bad_flags_are_refused(flags, message, tmp_path, capsys):
    refused(["run", "cartpole", *flags], capsys, message, tmp_path)


OTHER_COMMANDS = [
    (["run", *SMALL, "--algorithm", "novelty"], "has no behaviour descriptor"),
    (["sweep", *SMALL, "--seeds", "1,1"], "seed 1 appears twice"),
    (["sweep", *SMALL, "--seeds", "0-3,2"], "seed 2 appears twice"),
    (["sweep", *SMALL, "--seeds", "0-1000000000"], "at most 100000 seeds"),
    (["sweep", *SMALL, "--seeds", "0-" + str(2**70)], "at most 100000 seeds"),
    (["run", *SMALL, "--out", "a\nb"], "control character"),
    (["run", *SMALL, "--out", "run\x1b[31m"], "control character"),
    (["sweep", *SMALL, "--seeds", "0-1", "--out", "a\tb"], "control character"),
    (["play", "cartpole", "--screenshot", "a\nb.png"], "control character"),
    (["record", "nowhere", "--out", "a\nb.gif"], "control character"),
    (["export", "nowhere", "--out", "a\nb.json"], "control character"),
    (["eval", "a\nb"], "no champion at a\\nb"),  # a name's newline written as an escape: one line
]


@pytest.mark.parametrize("args,message", OTHER_COMMANDS)
def test_bad_input_to_any_command_is_one_line_before_anything_is_written(args, message, tmp_path, capsys):
    refused(args, capsys, message, tmp_path)


def test_a_screenshot_never_replaces_a_file_of_a_run(finished_run, tmp_path, capsys):
    for name in ("fitness.png", "champion.npz", "config.toml"):
        shot = finished_run / name
        before = shot.read_bytes()
        message = "is a file of the run" if name == "fitness.png" else "must name a .png"
        refused(["play", "cartpole", "--screenshot", shot], capsys, message, tmp_path)
        assert shot.read_bytes() == before


def test_watch_without_a_display_leaves_no_run_directory(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pygame")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)
    refused(["watch", *SMALL], capsys, "no display", tmp_path)
    assert not (tmp_path / "runs").exists()


def test_an_unwritable_output_directory_is_refused(finished_run, tmp_path, capsys, monkeypatch):
    # checked with os.access, which says yes to root whatever the mode: the answer is what is tested
    empty = tmp_path / "locked"
    empty.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != empty and real_access(p, mode, **kw))
    refused(["run", *SMALL, "--out", empty], capsys, f"cannot write in {empty}", tmp_path)
    refused(["play", "cartpole", "--screenshot", empty / "x.png"], capsys, f"cannot write in {empty}", tmp_path)
    pytest.importorskip("pygame")
    for out in (empty, empty / "frames", empty / "x.gif"):
        refused(["record", finished_run, "--out", out], capsys, f"cannot write in {empty}", tmp_path)


def test_check_game_reports_a_module_that_exits_when_imported(tmp_path, capsys):
    module = tmp_path / "quitter.py"
    module.write_text("import sys\nsys.exit(0)\n")
    assert main(["check-game", str(module)]) == 1
    assert "calls sys.exit(0)" in capsys.readouterr().out


def test_racer_track_files_are_checked_before_they_are_read(tmp_path, capsys):
    import threading
    nan = tmp_path / "nan.csv"
    nan.write_text("0,0\n10,0\nnan,10\n0,10\n")
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)

    def unblock():  # were the FIFO read, a writer arriving later ends the read instead of a hang
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:
                time.sleep(0.5)
    threading.Thread(target=unblock, daemon=True).start()
    for track, message in ((nan, "coordinates must be finite"), (fifo, "is not a regular file"),
                           (tmp_path, "is not a regular file"), (tmp_path / "none.csv", "no track file")):
        config = tmp_path / "c.toml"
        config.write_text(f'env = "racer"\n[env_params]\ntrack = "{track}"\n')
        refused(["run", "--config", config], capsys, message, tmp_path)
        config.unlink()


def test_bad_output_paths_are_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    for out, message in [("", "must be a non-empty path"),
                         (tmp_path / "file", "exists and is not a directory"),
                         (tmp_path / "file" / "run", "which is not a directory"),
                         ("/dev/null", "exists and is not a directory"),
                         (tmp_path / "full", "already exists and is not empty"),
                         ("/proc/neuroevo-run", "cannot")]:
        refused(["run", *SMALL, "--out", out], capsys, message, tmp_path)
        refused(["sweep", *SMALL, "--seeds", "0-1", "--out", out], capsys, message, tmp_path)


def test_record_never_writes_into_a_directory_of_other_files(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", *SMALL, "--generations", "1", "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("mine")
    (tmp_path / "photo.gif").write_bytes(b"\x89PNG not a gif")
    for out, message in [(tmp_path / "mine", "holds other files"), (".", "current directory"),
                         (tmp_path / "photo.gif", "is not a GIF"), (tmp_path / "x.mp4", "must be a .gif")]:
        refused(["record", run, "--out", out], capsys, message, tmp_path)


# -- resume --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cartpole"
    assert main(["run", *SMALL, "--generations", "3", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize("flag", [["--pop", "32"], ["--seed", "4"], ["--hidden", "5"], ["--out", "elsewhere"],
                                  ["--episodes", "2"], ["--target", "3"], ["--config", "c.toml"]])
def test_resume_refuses_flags_that_would_change_the_run(flag, finished_run, tmp_path, capsys):
    before = snapshot(finished_run)
    refused(["run", "--resume", finished_run, *flag], capsys, f"does not take {flag[0]}", tmp_path)
    assert snapshot(finished_run) == before


def tampered(finished_run, tmp_path, name, change):
    """A copy of the run whose ``name`` (.npz) has ``change(dict)`` applied."""
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    d = load_npz(copy / name, name)
    change(d)
    save_npz(copy / name, d)
    return copy


def _set(key, value):
    def change(d):
        d[key] = value
    return change


def _config_edit(old, new):
    def change(d):
        d["config"] = np.array(str(d["config"]).replace(old, new))
    return change


CHECKPOINT_TAMPERING = [
    (_set("version", np.array(99)), "version 99 is not supported"),
    (_set("ga/population", np.zeros((16, 58), np.float32)), "unknown field 'ga/population'"),
    (_set("version", np.array("1")), "'version' must be a single integer"),
    (_set("champion", np.zeros(3, np.float32)), "'champion' must be float32 of shape"),
    (_set("champion", np.full(58, np.nan, np.float32)), "'champion' has non-finite genes"),
    (_set("algorithm/population", np.full((16, 58), np.nan, np.float32)), "'population' must be finite float32"),
    (_set("algorithm/population", np.zeros((16, 58))), "'population' must be finite float32"),
    (_set("history", np.array('{"a": 1}')), "history must list 3 generations"),
    (_set("history", np.array(7)), "'history' must be a text field"),
    (_set("algorithm/rng_state", np.array('{"bit_generator": "MT19937"}')), "PCG64"),
    (_set("algorithm/generation", np.array(-1)), "'generation' must be >= 0"),
    (_config_edit('env = "cartpole"', 'env = "flappy"'), "does not match its config"),
    (_config_edit("hidden = [\n    8,\n]", "hidden = [\n    9,\n]"), "does not match its config"),
    (_config_edit('env = "cartpole"', 'env = "gym:this:X-v0"'), "would import a module"),
    (_config_edit("pop_size = 16", "pop_size = 0"), "pop_size must be >= 1"),
    (_config_edit("[env_params]", "[env_params]\ntau = 0.0"), "parameter 'tau' must be in"),
]


@pytest.mark.parametrize("change,message", CHECKPOINT_TAMPERING)
def test_a_tampered_checkpoint_is_refused_and_nothing_changes(change, message, finished_run, tmp_path, capsys):
    run = tampered(finished_run, tmp_path, "checkpoint.npz", change)
    before = snapshot(run)
    refused(["run", "--resume", run, "--generations", "6"], capsys, message, tmp_path)
    assert snapshot(run) == before


@pytest.fixture(scope="module")
def cmaes_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cmaes"
    assert main(["run", *SMALL[:1], *SMALL[3:], "--algorithm", "cmaes", "--generations", "2", "--out", str(out),
                 "--quiet"]) == 0
    return out


def _asked_nan(d):
    d["algorithm/asked"] = np.full((int(d["algorithm/lam"]), 58), np.nan)


def _config_sigma(d):
    config = json.loads(str(d["algorithm/config"]))
    d["algorithm/config"] = np.array(json.dumps({**config, "sigma": config["sigma"] * 2}))


STRATEGY_TAMPERING = [
    (_set("algorithm/sigma", np.array(-1.0)), "'sigma' must be finite, > 0"),
    (_set("algorithm/sigma", np.array(0.0)), "'sigma' must be finite, > 0"),
    (_set("algorithm/sigma", np.array(np.inf)), "'sigma' must be finite, > 0"),
    (_set("algorithm/lam", np.array(1.5)), "'lam' must be a single integer"),
    (_asked_nan, "'asked' must be finite"),
    (_set("algorithm/best_genome", np.zeros(10, np.float32)), "'best_genome' must be finite float32 of shape (58,)"),
    (_config_sigma, "settings"),
]


@pytest.mark.parametrize("change,message", STRATEGY_TAMPERING)
def test_a_tampered_strategy_checkpoint_is_refused(change, message, cmaes_run, tmp_path, capsys):
    run = tampered(cmaes_run, tmp_path, "checkpoint.npz", change)
    before = snapshot(run)
    refused(["run", "--resume", run, "--generations", "4"], capsys, message, tmp_path)
    assert snapshot(run) == before


def test_a_checkpoint_of_another_run_is_refused(finished_run, tmp_path, capsys):
    other = tmp_path / "other"
    assert main(["run", "flappy", "--pop", "16", "--episodes", "1", "--generations", "1", "--out", str(other),
                 "--quiet"]) == 0
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    shutil.copy(other / "checkpoint.npz", copy / "checkpoint.npz")
    refused(["run", "--resume", copy], capsys, "differs from", tmp_path)


def test_a_checkpoint_never_chooses_the_ray_address_or_backend(finished_run, tmp_path, capsys):
    run = tampered(finished_run, tmp_path, "checkpoint.npz",
                   _config_edit("threads = 0", 'threads = 0\nbackend = "ray"\naddress = "10.1.2.3:6379"'))
    from evo.runs.rundir import RunDir, load_npz
    assert 'address = "10.1.2.3:6379"' in str(load_npz(run / "checkpoint.npz", "checkpoint")["config"])
    config = RunDir(run).load_checkpoint().config
    assert config.address == "" and config.backend == "local"


CHAMPION_TAMPERING = [
    (_set("genome", np.zeros(5, np.float32)), "'genome' must be float32 of shape (58,)"),
    (_set("genome", np.full(58, np.inf, np.float32)), "non-finite genes"),
    (_set("version", np.array(0)), "version 0 is not supported"),
    (_set("env", np.array("flappy")), "disagree with its config"),
    (_set("network", np.array('{"sizes": [4, 9, 2]}')), "disagree with its config"),
    (_config_edit('env = "cartpole"', 'env = "gym:this:X-v0"'), "would import a module"),
    (_config_edit("[env_params]", "[env_params]\ntau = 0.0"), "parameter 'tau' must be in"),
    (_config_edit("[env_params]", "[env_params]\nmasspole = -1.0"),
     "parameter 'masspole' must be in"),
    (_set("test", np.array("high")), "'test' must be a single number"),
    (lambda d: d.pop("genome"), "missing 'genome'"),
]


@pytest.mark.parametrize("change,message", CHAMPION_TAMPERING)
def test_a_tampered_champion_is_refused(change, message, finished_run, tmp_path, capsys):
    run = tampered(finished_run, tmp_path, "champion.npz", change)
    refused(["eval", run], capsys, message, tmp_path)
    refused(["record", run, "--out", tmp_path / "x.gif"], capsys, message, tmp_path)


def test_a_corrupted_file_is_refused(finished_run, tmp_path, capsys):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    (copy / "champion.npz").write_bytes(b"PK\x03\x04garbage")
    refused(["eval", copy], capsys, "corrupted champion", tmp_path)


# -- the Python API ------------------------------------------------------------------------------


@pytest.mark.parametrize("call,error", [
    (lambda: MLP([4, 2.5, 2]), TypeError),
    (lambda: MLP([4, -1, 2]), ValueError),
    (lambda: MLP([4, 100000, 100000, 2]), ValueError),
    (lambda: MLP([4, 8, 2]).init(np.random.default_rng(0), 2.0), TypeError),
    (lambda: evaluate(envs.make("cartpole"), MLP([4, 2]), np.zeros((2, 10), np.float32), episodes=2.5), TypeError),
    (lambda: evaluate(envs.make("cartpole"), MLP([4, 2]), np.zeros((2, 10), np.float32), seed=-1), ValueError),
    (lambda: evaluate(envs.make("cartpole"), MLP([4, 2]), np.zeros((2, 10), np.float32), episodes=10**13),
     ValueError),
    (lambda: envs.make("cartpole", tau=0.0), ValueError),
    (lambda: envs.make("cartpole", max_steps=10**12), ValueError),
    (lambda: envs.make(5), ValueError),
    (lambda: GeneticAlgorithm(num_params=4, pop_size=2.5), TypeError),
    (lambda: GeneticAlgorithm(num_params=4, pop_size=8, seed=2**64), ValueError),
    (lambda: GeneticAlgorithm(num_params=4, pop_size=8, selection=("tournament", {"size": 0})), ValueError),
    (lambda: GeneticAlgorithm(num_params=4, pop_size=8, mutation={"name": "gaussian", "rate": 2.0}), ValueError),
    (lambda: GeneticAlgorithm(num_params=10**6, pop_size=10**6), ValueError),
])
def test_the_python_api_raises_value_or_type_errors(call, error):
    with pytest.raises(error) as info:
        call()
    assert "\n" not in str(info.value)


def _registered_non_game():
    envs.register("not_a_game", "os")
    try:
        return envs.make("not_a_game")
    finally:  # the registry is the session's: leave no game behind
        envs._GAMES.pop("not_a_game", None)
        envs._DECLARED.pop("not_a_game", None)


def _gym_step(action):
    gymnasium = pytest.importorskip("gymnasium")
    env = gymnasium.make("neuroevo/CartPole-v1")
    env.reset(seed=0)
    return env.step(action)


@pytest.mark.parametrize("call,name", [
    (lambda: evo.RNN([4, 8, 2]).init(None, 3), "rng"),
    (lambda: MLP([4, 8, 2]).init(None, 3), "rng"),
    (lambda: MLP([4, 2]).forward("abc", np.zeros((1, 4), np.float32)), "genomes"),
    (lambda: MLP([4, 2]).forward(np.zeros((1, 10), np.float32), "abc"), "obs"),
    (lambda: evaluate(envs.make("cartpole"), MLP([4, 2]), "abc"), "genomes"),
    (lambda: evaluate("cartpole", MLP([4, 2]), np.zeros((2, 10), np.float32)), "env"),
    (lambda: shaping.centered_ranks("abc"), "fitness"),
    (lambda: (lambda ga: (ga.ask(), ga.tell("abc")))(GeneticAlgorithm(num_params=4, pop_size=4)), "fitness"),
    (lambda: (lambda es: (es.ask(), es.tell("abc")))(strategies.CMAES(4)), "fitness"),
    (lambda: strategies.CMAES(4, mean=["a"] * 4), "mean"),
    (lambda: strategies.CMAES(10**6), "covariance"),
    (lambda: strategies.CMAES(8, restarts=20, pop_size=10**6), "restarts"),
    (lambda: MAPElites(10**5, 4, bins=1000), "MAP-Elites grid"),
    (lambda: NoveltySearch(4, 4).tell(np.zeros(4), "abc"), "behaviour"),
    (_registered_non_game, "not a game"),
    (lambda: mutation.gaussian(np.zeros((2, 3), np.float32), np.random.default_rng(0), sigma="x"), "sigma"),
    (lambda: MLP([4, 2], hidden=5), "hidden must be one of"),
    (lambda: envs.make("cartpole").batch("x"), "batch size n"),
    (lambda: _gym_step(5), "action"),
    (lambda: _gym_step("left"), "action"),
])
def test_python_api_errors_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert name in str(info.value) and "\n" not in str(info.value), str(info.value)


# -- the run directory ---------------------------------------------------------------------------


def cli(*args):
    return [sys.executable, "-m", "evo", *map(str, args)]


def child_env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.mark.slow  # child processes
def test_a_run_killed_before_its_first_generation_resumes(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen(cli("run", *SMALL, "--generations", "3", "--out", out, "--quiet"), env=child_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "checkpoint.npz").exists():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    res = subprocess.run(cli("run", "--resume", out, "--quiet"), env=child_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert len((out / "log.csv").read_text().splitlines()) == 4


@pytest.mark.slow  # child processes
def test_one_run_directory_one_process(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen(cli("run", *SMALL, "--generations", "100000", "--out", out, "--quiet"),
                            env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (out / "log.csv").exists():
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.01)
        again = subprocess.run(cli("run", *SMALL, "--out", out, "--quiet"), env=child_env(), capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 2 and "already exists" in again.stderr
        resumed = subprocess.run(cli("run", "--resume", out, "--quiet"), env=child_env(), capture_output=True,
                                 text=True, timeout=120)
        assert resumed.returncode == 2 and "in use by another neuroevo process" in resumed.stderr
    finally:
        proc.kill()
        proc.wait()


def test_resume_cleans_the_temporary_files_of_a_killed_writer(finished_run, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    (copy / ".log.csv.tmp4242").write_text("half a log")
    (copy / ".checkpoint.npz.tmp4243").write_bytes(b"PK")
    assert main(["run", "--resume", str(copy), "--generations", "4", "--quiet"]) == 0
    assert not list(copy.glob(".*.tmp*"))


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.4, 0.8, 1.5])
@pytest.mark.slow  # child processes
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(delay, tmp_path):
    # The clock starts when neuroevo's own code runs: before that the interpreter is still starting
    # (Python's own Ctrl-C handling), which on a loaded machine can take longer than the shortest delay.
    # ``-X importtime`` reports every import on stderr as it ends; after the ``evo`` package's report
    # and those of evo/__main__.py's own imports (os, signal), the next comes from evo.cli's imports,
    # which start after evo/__main__.py installed its handler.
    cmd = cli("run", *SMALL, "--generations", "100000", "--out", tmp_path / "r", "--quiet")
    proc = subprocess.Popen([cmd[0], "-X", "importtime", *cmd[1:]], env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen_package = in_cli = False
    for line in proc.stderr:
        module = line.rsplit("|", 1)[-1].strip()
        if seen_package and module not in ("os", "signal"):
            in_cli = True
            break
        seen_package = seen_package or module == "evo"
    assert in_cli, "the child never started evo.cli"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith("import time:"))
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


# -- solved on fresh episodes --------------------------------------------------------------------


def test_test_episodes_are_keyed_apart_from_training_and_validation():
    for seed in range(4):
        keys = {episode_seed(seed, g, purpose) for g in range(500) for purpose in (1, 2)}
        assert held_out_seed(seed) not in keys
    assert len({held_out_seed(s) for s in range(100)}) == 100


def test_a_run_is_solved_only_when_its_test_lower_bound_reaches_the_target(tmp_path, capsys):
    # target just above what validation reaches at once, so the test decides
    out = tmp_path / "r"
    assert main(["run", "cartpole", "--pop", "32", "--hidden", "8", "--generations", "6", "--out", str(out),
                 "--quiet"]) == 0
    summary = capsys.readouterr().out
    import csv
    with open(out / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    tested = [r for r in rows if r["test"]]
    assert tested, "a run that stops has tested its champion"
    solved = float(tested[-1]["test_lower"]) >= 475  # the 95% lower bound of the test mean decides
    assert ("cartpole: solved" in summary) == solved
    with np.load(out / "champion.npz", allow_pickle=False) as z:
        assert float(z["test"]) == float(tested[-1]["test"])
        assert float(z["validation"]) == max(float(r["validation"]) for r in rows if r["validation"])
    assert main(["eval", str(out)]) == 0
    assert ("; solved: test mean" in capsys.readouterr().out) == solved
    json.loads(json.dumps(rows))  # the log is plain data
