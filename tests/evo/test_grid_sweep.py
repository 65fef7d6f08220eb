"""Grid and random sweeps (`neuroevo sweep --grid/--random`) and `neuroevo plot`."""

import csv
import io

import numpy as np
import pytest
from PIL import Image

from evo.cli import main
from evo.runs import grid
from evo.runs.config import default_config
from evo.runs.plot import overlay_png

TINY = ["--pop", "8", "--episodes", "1", "--generations", "2"]  # cartpole's preset network: kernels shared


@pytest.mark.parametrize("text, key, values", [
    ("pop_size=8,16", "pop_size", [8, 16]),
    ("hidden=16,32x32", "hidden", [16, [32, 32]]),
    ("hidden=16;32,32", "hidden", [16, [32, 32]]),
    ("mutation.sigma=0.05,0.2", "mutation.sigma", [0.05, 0.2]),
    ("activation=tanh,relu", "activation", ["tanh", "relu"]),
])
def test_grid_values_parse_as_toml_would_read_them(text, key, values):
    assert grid.parse_grid(text) == (key, values)


@pytest.mark.parametrize("text, message", [
    ("popsize=8,16", "did you mean pop_size"),
    ("seed=1,2", "seed cannot be swept"),
    ("pop_size=", "expected KEY=V1,V2"),
    ("pop_size=8,8", "appears twice"),
    ("pop_size=8,,16", "empty value"),
])
def test_bad_grid_arguments_are_one_line(text, message):
    with pytest.raises(ValueError, match=message):
        grid.parse_grid(text)


def test_settings_are_the_grid_product_times_the_random_trials():
    s = grid.settings([("pop_size", [8, 16]), ("hidden", [3, [2, 2]])], [("elite", 1, 3)], 2, seed=0)
    assert len(s) == 8
    assert [(x["pop_size"], x["hidden"]) for x in s[::2]] == [(8, 3), (8, [2, 2]), (16, 3), (16, [2, 2])]
    assert all(1 <= x["elite"] <= 3 and isinstance(x["elite"], int) for x in s)
    assert [x["elite"] for x in s[:2]] == [x["elite"] for x in s[2:4]]  # every grid point meets the same draws


def test_random_trials_come_again_from_the_same_seed():
    random = [("mutation.sigma", 0.01, 0.3), ("pop_size", 8, 64)]
    a, b, c = (grid.settings([], random, 5, seed) for seed in (7, 7, 8))
    assert a == b and a != c
    assert all(0.01 <= x["mutation.sigma"] < 0.3 and 8 <= x["pop_size"] <= 64 for x in a)
    assert len({x["mutation.sigma"] for x in a}) == 5


@pytest.mark.parametrize("grid_args, random, trials, message", [
    ([("pop_size", [8])], [("pop_size", 1, 3)], 2, "swept twice"),
    ([], [("elite", 1, 3)], None, "needs --trials"),
    ([("pop_size", [8])], [], 3, "give at least one --random"),
    ([], [("elite", 1, 3)], 0, "positive integer"),
])
def test_settings_refuse_what_does_not_fit_together(grid_args, random, trials, message):
    with pytest.raises(ValueError, match=message):
        grid.settings(grid_args, random, trials, 0)


def test_a_setting_lays_dotted_and_list_values_over_the_config():
    base = default_config("cartpole").validate()
    c = grid.apply(base, {"mutation.sigma": 0.3, "hidden": 5, "pop_size": 12})
    assert c.mutation["sigma"] == 0.3 and c.mutation["name"] == base.mutation["name"]
    assert c.hidden == [5] and c.pop_size == 12
    assert base.hidden != [5]  # the base is left as it was
    with pytest.raises(ValueError, match="pop_size is not a table"):
        grid.apply(base, {"pop_size.x": 1})


@pytest.mark.parametrize("flags, message", [
    (["--grid", "popsize=8,16"], "unknown config key 'popsize'"),
    (["--grid", "pop_size=8,0"], "setting 1 (pop_size=0): pop_size must be >= 1"),
    (["--grid", "mutation.bogus=1"], "has no parameter 'bogus'"),
    (["--random", "mutation.sigma=0.3:0.1", "--trials", "2"], "LOW must be below HIGH"),
    (["--grid", "hidden=3,x"], "hidden must be a list of positive layer widths"),
])
def test_a_bad_setting_is_refused_before_anything_is_written(tmp_path, capsys, flags, message):
    out = tmp_path / "sweep"
    assert main(["sweep", "cartpole", *TINY, "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_ray_sweep_gives_each_setting_and_seed_its_own_task():
    tasks = pytest.importorskip("evo.ray.sweep").tasks
    assert tasks("a = 1", [0, 2], "out") == [(0, "a = 1", 0, "out/seed-0"), (2, "a = 1", 2, "out/seed-2")]
    assert tasks({"setting-0": "x", "setting-1": "y"}, [3], "out") == [
        (("setting-0", 3), "x", 3, "out/setting-0/seed-3"), (("setting-1", 3), "y", 3, "out/setting-1/seed-3")]


def fake_run(path, best, steps, target=100.0):
    path.mkdir(parents=True)
    (path / "config.toml").write_text(f'env = "cartpole"\ntarget = {target}\n')
    rows = ["generation,best,validation,env_steps"] + [f"{g},{b},,{s}" for g, (b, s) in enumerate(zip(best, steps))]
    (path / "log.csv").write_text("\n".join(rows) + "\n")


def test_plot_overlays_every_run_of_a_sweep(tmp_path, capsys):
    fake_run(tmp_path / "sweep" / "setting-0" / "seed-0", [10, 50, 90], [100, 200, 300])
    fake_run(tmp_path / "sweep" / "setting-1" / "seed-0", [20, 120], [150, 150])
    out = tmp_path / "runs.png"
    assert main(["plot", str(tmp_path / "sweep"), "--out", str(out)]) == 0
    img = Image.open(out)
    assert img.format == "PNG" and img.size == (720, 420)
    assert "2 runs" in capsys.readouterr().out
    pixels = np.asarray(img.convert("RGB")).astype(int)
    assert len({tuple(p) for p in pixels.reshape(-1, 3)}) > 10  # curves, ticks and text, not a blank image


def test_overlay_draws_each_curve_in_its_colour():
    png = overlay_png([("a", np.array([0.0, 500.0]), np.array([1.0, 2.0])),
                       ("b", np.array([0.0, 1000.0]), np.array([3.0, 3.0]))], width=400, height=300, targets=[2.5])
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert pixels.shape == (300, 400, 3)
    for colour in ((214, 96, 77), (67, 147, 195)):
        assert (np.abs(pixels - colour).sum(axis=2) < 10).sum() > 20


@pytest.mark.parametrize("name, message", [
    ("log.csv", "is a file of the run"),
    ("a\nb.png", "control character"),
    ("plot.txt", "name it FILE.png"),
    ("missing/plot.png", "does not exist"),
])
def test_plot_refuses_a_bad_out(tmp_path, capsys, name, message):
    run = tmp_path / "run"
    fake_run(run, [1, 2], [10, 10])
    assert main(["plot", str(run), "--out", str(run / name) if name == "log.csv" else str(tmp_path / name)]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_plot_refuses_a_path_without_runs(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["plot", str(tmp_path / "empty"), "--out", str(tmp_path / "p.png")]) == 2
    assert "no run in it" in capsys.readouterr().err


@pytest.mark.slow  # eight runs in child processes
def test_a_2x2_grid_sweep_summarises_each_setting(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", "cartpole", *TINY, "--grid", "pop_size=8,12", "--grid", "hidden=8,2x2",
                 "--seeds", "0-1", "--out", str(out)])
    assert code == 0
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["setting"], r["pop_size"], r["hidden"]) for r in rows] == [
        ("0", "8", "8"), ("1", "8", "2,2"), ("2", "12", "8"), ("3", "12", "2,2")]
    assert "hidden = [\n    2,\n    2,\n]" in (out / "setting-3" / "config.toml").read_text()
    assert "pop_size = 12" in (out / "setting-3" / "config.toml").read_text()
    for i, r in enumerate(rows):
        assert r["seeds"] == "2"
        with open(out / f"setting-{i}" / "summary.csv") as f:
            seeds = list(csv.DictReader(f))
        solved = [s for s in seeds if s["solved"] == "yes"]
        assert int(r["solved"]) == len(solved)
        steps = []
        for s in solved:
            with open(out / f"setting-{i}" / f"seed-{s['seed']}" / "log.csv") as f:
                log = list(csv.DictReader(f))
            steps.append(sum(int(g["env_steps"]) for g in log[:int(s["generations_to_solve"])]))
        assert (float(r["median_steps_to_solve"]) == np.median(steps)) if steps else r["median_steps_to_solve"] == ""
    printed = capsys.readouterr().out
    assert "setting 3: pop_size=12 hidden=2,2" in printed and "median_steps_to_solve" in printed
    assert main(["plot", str(out), "--out", str(tmp_path / "sweep.png")]) == 0
    assert Image.open(tmp_path / "sweep.png").size == (720, 420)
