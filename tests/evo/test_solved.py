"""When a run is solved: the lower end of the 95% interval of its test mean, each test on fresh episodes."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from evo.runs import driver
from evo.runs.config import RunConfig, default_config
from evo.runs.driver import Evolution, evolve, held_out_seed

lower_bound, key_of_test = driver.test_lower, driver.test_seed  # (names pytest does not collect)


def _results(*sets):
    return [(f"set{i}", SimpleNamespace(returns=np.asarray(r, dtype=np.float64)[None])) for i, r in enumerate(sets)]


def test_lower_bound_is_the_worst_sets_mean_less_its_interval():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10.0, 2.0, 100), rng.normal(10.5, 12.0, 100)
    expected = [r.mean() - 1.96 * np.sqrt(((r - r.mean()) ** 2).sum() / (r.size - 1)) / np.sqrt(r.size) for r in (a, b)]
    assert lower_bound(_results(a, b)) == pytest.approx(min(expected), rel=1e-12)
    assert min(expected) == expected[1]  # the noisier set decides, though its mean is the higher
    assert lower_bound(_results([500.0] * 50)) == 500.0  # no spread: the bound is the mean
    assert lower_bound(_results([3.0])) == -np.inf  # one episode gives no interval


def test_a_mean_just_over_the_target_does_not_solve():
    # cartpole seed 3: generation 1's champion tests 475.33 over 1000 episodes, 95% lower bound 472.9:
    # solved by the mean alone, not with the margin; a later champion's fresh test solves it
    result = evolve("cartpole", seed=3)
    tested = [r for r in result.history if r["test"] is not None]
    assert tested[0]["test"] >= 475 > tested[0]["test_lower"]
    assert result.solved and tested[-1]["test_lower"] >= 475 and tested[-1] is result.history[-1]
    assert all(r["test_lower"] < 475 for r in tested[:-1])
    assert all(r["test_lower"] <= r["test"] for r in tested)


def test_every_test_plays_fresh_episodes_and_the_champion_file_names_them(monkeypatch, tmp_path):
    seeds = []
    real = driver.test_results

    def recording(env, net, genome, episodes, seed, *args, **kwargs):
        seeds.append(seed)
        return real(env, net, genome, episodes, seed, *args, **kwargs)
    monkeypatch.setattr(driver, "test_results", recording)
    config = RunConfig.from_dict({"generations": 6, "pop_size": 16, "episodes": 1, "test_episodes": 20,
                                  "target": -1e9, "validate_on": "every"}, base=default_config("cartpole"))
    run = Evolution(config)
    for _ in range(6):
        run.step()
        run.champion_test = run.champion_lower = None  # as if the champion changed every generation
    assert len(seeds) == 6 and len(set(seeds)) == 6
    assert seeds == [key_of_test(config.seed, k) for k in range(6)] and seeds[0] == held_out_seed(config.seed)
    assert run.tests == 6 and run.champion_test_seed == key_of_test(config.seed, 6)  # untested: the next key

    from evo.runs.rundir import load_champion, RunDir
    run.step()
    rundir = RunDir(tmp_path / "r")
    rundir.path.mkdir()
    rundir.save_champion(run)
    assert load_champion(rundir.path).held_out_seed == seeds[-1] == key_of_test(config.seed, 6)


def _old_state(run: Evolution, champion_test: float) -> dict:
    """``run``'s checkpoint as a version that logged no lower bound wrote it."""
    state = run.state_dict()
    history = [{k: v for k, v in row.items() if k != "test_lower"} for row in run.history]
    state["history"] = np.array(json.dumps(history))
    state["champion_test"] = np.array(champion_test)
    return state


def test_a_checkpoint_without_lower_bounds_resumes_and_its_solved_champion_is_tested_again():
    config = RunConfig.from_dict({"generations": 3, "pop_size": 16, "episodes": 1, "test_episodes": 50},
                                 base=default_config("cartpole"))
    run = Evolution(config)
    for _ in range(3):
        run.step()
    assert run.champion_test is not None  # tested at the last generation at least
    passed = Evolution.from_state_dict(_old_state(run, 480.0))
    # solved by its mean alone: tested again, on the next fresh key, before the run can be solved
    assert passed.champion_test is None and not passed.solved and passed.tests == run.tests
    assert passed.champion_test_seed == key_of_test(config.seed, run.tests)
    failed = Evolution.from_state_dict(_old_state(run, 20.0))
    assert failed.champion_test == 20.0 and failed.champion_lower is None and not failed.solved
    assert failed.champion_test_seed == held_out_seed(config.seed)  # the old version's one test key
    passed.config.generations = 5
    passed.step()
    assert passed.history[-1]["test_lower"] is not None  # tested again under the new rule
    # a checkpoint with lower bounds restores them
    again = Evolution.from_state_dict(passed.state_dict())
    assert (again.champion_lower, again.tests, again.solved) == (passed.champion_lower, passed.tests, passed.solved)


def test_eval_gives_the_runs_verdict_on_the_champions_own_test(tmp_path, capsys):
    from evo.cli import main

    out = tmp_path / "c"
    assert main(["run", "cartpole", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert main(["eval", str(out)]) == 0
    line = capsys.readouterr().out
    decided = summary.split(": ", 2)[2].split(" over ")[0]
    assert summary.startswith("cartpole: solved after") and line.rstrip().endswith(f"; solved: {decided}")
    assert main(["eval", str(out), "--episodes", "1"]) == 0  # one episode gives no interval: never solved
    assert "not solved: test mean 500, 95% lower bound -inf < 475" in capsys.readouterr().out


def test_a_sweep_summary_counts_to_the_test_whose_lower_bound_solved(tmp_path, capsys):
    import csv

    from evo.cli import main
    from evo.runs.sweep import summary_row

    out = tmp_path / "s"
    assert main(["run", "cartpole", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    config = default_config("cartpole")
    # generation 1's test mean reached 475 but not its bound; generation 2's solved it
    assert summary_row(out, 3, config)[1:4] == ("yes", 3, 3)
    with open(out / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out / "log.csv", "w", newline="") as f:  # as a version before the bound wrote it
        w = csv.DictWriter(f, [c for c in rows[0] if c != "test_lower"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    assert summary_row(out, 3, config)[1:4] == ("yes", 3, 2)
