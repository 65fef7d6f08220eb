import numpy as np
import pytest

from evo.runs.config import RunConfig, default_config
from evo.kernels.evaluate import rollout
from evo.runs.driver import Evolution, evolve


def test_evolve_solves_cartpole_and_reports_history():
    rows = []
    result = evolve("cartpole", generations=30, pop_size=64, seed=1, callback=rows.append)
    assert result.solved and result.champion_score >= 475
    assert rows == result.history and len(rows) == result.generations
    assert result.champion.shape == (result.net.num_params,)
    assert result.config.pop_size == 64 and result.config.hidden == default_config("cartpole").hidden


def test_callback_returning_false_stops_the_run():
    result = evolve("cartpole", generations=20, pop_size=16, seed=0, target=1e9, callback=lambda row: False)
    assert result.generations == 1 and not result.solved


def test_same_seed_same_history_other_seed_other():
    kw = dict(generations=4, pop_size=32, target=1e9, episodes=2)
    a = evolve("flappy", seed=3, **kw).history
    b = evolve("flappy", seed=3, **kw).history
    c = evolve("flappy", seed=4, **kw).history
    assert a == b and a != c


@pytest.mark.parametrize("game, algorithm", [("pong", "ga"), ("maze", "novelty"), ("maze", "map_elites")])
def test_evolution_state_roundtrip_continues_identically(game, algorithm):
    config = RunConfig.from_dict({"generations": 8, "pop_size": 20, "target": 1e9, "algorithm": algorithm},
                                 base=default_config(game))
    straight = Evolution(config)
    for _ in range(6):
        straight.step()
    first = Evolution(config)
    for _ in range(3):
        first.step()
    resumed = Evolution.from_state_dict(first.state_dict())
    for _ in range(3):
        resumed.step()
    assert resumed.history == straight.history
    np.testing.assert_array_equal(resumed.champion, straight.champion)


def test_nan_returns_count_as_worst_and_all_nan_is_an_error():
    run = Evolution(RunConfig.from_dict({"pop_size": 10, "episodes": 2}, base=default_config("cartpole")))
    returns = np.arange(20, dtype=float).reshape(10, 2)
    returns[3] = np.nan
    row = run.step(returns, np.ones((10, 2), np.int64))
    assert row["best"] == 18.5 and np.isfinite(run.algorithm.best_fitness)
    with pytest.raises(ValueError, match="every fitness is NaN"):
        run.step(np.full((10, 2), np.nan), np.ones((10, 2), np.int64))


def test_unknown_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown config key 'popsize'"):
        evolve("cartpole", popsize=10)
    with pytest.raises(ValueError, match="unknown game"):
        evolve("tetris")


def test_the_algorithm_is_named_in_the_config():
    from evo.runs.config import RunConfig, default_config
    config = RunConfig.from_dict({"algorithm": "truncation_ga"}, base=default_config("cartpole")).validate()
    assert config.algorithm == {"name": "truncation_ga", "fraction": 0.2, "sigma": 0.05, "elite": 1}
    run = Evolution(config)
    assert run.algorithm.crossover_rate == 0.0 and run.algorithm.elite == 1
    with pytest.raises(ValueError, match="unknown algorithm 'annealing'; known: ga, truncation_ga"):
        RunConfig(algorithm={"name": "annealing"}).validate()
    with pytest.raises(ValueError, match="has no parameter 'tau'"):
        RunConfig(algorithm={"name": "truncation_ga", "tau": 1}).validate()


def test_the_ga_table_takes_the_loop_options():
    table = {"name": "ga", "replacement": "plus", "survivors": 8, "children_per_pair": 2, "mutation_rate": 0.5,
             "low": -3.0, "high": 3.0, "repair": "reflect"}
    config = RunConfig.from_dict({"algorithm": table}, base=default_config("cartpole")).validate()
    ga = Evolution(config).algorithm
    assert (ga.replacement, ga.survivors, ga.children_per_pair, ga.mutation_rate, ga.repair) == \
        ("plus", 8, 2, 0.5, "reflect")
    assert np.abs(np.asarray(ga.ask())).max() <= 3.0
    with pytest.raises(ValueError, match="replacement must be one of"):
        Evolution(RunConfig.from_dict({"algorithm": {**table, "replacement": "best"}},
                                      base=default_config("cartpole")).validate())


def test_validation_runs_when_the_best_improves_unless_every_generation_is_asked_for():
    from evo.runs.config import RunConfig, default_config
    counts = {}
    for policy in ("improvement", "every"):
        config = RunConfig.from_dict({"pop_size": 16, "episodes": 1, "target": 1e9,
                                      "generations": 40, "validate_on": policy, "validation_episodes": 5},
                                     base=default_config("pendulum"))
        run = Evolution(config)
        while not run.finished:
            run.step()
        validated = [r for r in run.history if r["validation"] is not None]
        assert all(r["validation_steps"] > 0 for r in validated)
        counts[policy] = len(validated)
        # a genome is validated only when its training fitness reaches that of every genome validated
        # before, or that of the champion replayed on the generation's own episodes
        best, champion, score, replayed = -np.inf, None, -np.inf, 0
        for g, r in enumerate(run.history):
            if policy == "improvement" and r["validation"] is not None and r["best"] < best:
                assert r["best"] >= rollout(run.env, run.net, champion[None], 1, run.train_seed(g)).fitness[0]
                replayed += 1
            if r["validation"] is not None:
                best = max(best, r["best"])
                if r["validation"] > score:
                    champion, score = run.bests[g], r["validation"]
        assert policy == "every" or replayed >= 1  # episodes differ per generation: the replay lets some in
    assert counts["every"] == 40 and 1 <= counts["improvement"] < 40


class Recorder:
    """A hook that writes down every point the driver calls, and can ask for a stop."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def after_evaluation(self, run, result):
        self.calls.append(("evaluated", run.generation, result.returns.shape))

    def generation_end(self, run, row, seconds):
        self.calls.append(("end", row["generation"]))
        assert seconds > 0 and row == run.history[-1]
        return None if self.stop_after is None else run.generation < self.stop_after

    def checkpoint(self, run):
        self.calls.append(("checkpoint", run.generation))

    def stop(self, run, reason, error):
        self.calls.append(("stop", reason, error))


def test_a_hook_sees_every_point_of_the_loop_and_evolve_takes_hooks():
    from evo.runs.driver import Driver

    hook = Recorder()
    config = RunConfig.from_dict({"generations": 5, "pop_size": 12, "episodes": 2, "target": 1e9,
                                  "checkpoint_every": 2}, base=default_config("cartpole"))
    run = Evolution(config)
    assert Driver(run, [hook]).drive() == "finished"
    ends = [c[1] for c in hook.calls if c[0] == "end"]
    assert ends == [0, 1, 2, 3, 4] and len(run.history) == 5
    assert [c for c in hook.calls if c[0] == "evaluated"] == [("evaluated", g, (12, 2)) for g in range(5)]
    # every checkpoint_every generations and at the finish, once: the stop does not keep the same state again
    assert [c[1] for c in hook.calls if c[0] == "checkpoint"] == [2, 4, 5]
    assert hook.calls[-1] == ("stop", "finished", None) and hook.calls[-2] == ("checkpoint", 5)
    # evolve goes through the same driver: its callback first, then the hooks given
    rows, again = [], Recorder()
    result = evolve("cartpole", generations=5, pop_size=12, episodes=2, target=1e9, checkpoint_every=2,
                    callback=rows.append, hooks=[again])
    assert again.calls == hook.calls and rows == result.history == run.history


def test_a_hook_that_asks_to_stop_ends_the_run_cleanly_and_it_resumes_identically(tmp_path):
    from evo.runs.driver import Driver
    from evo.runs.rundir import RunDir, RunFiles

    config = RunConfig.from_dict({"generations": 6, "pop_size": 12, "episodes": 2, "target": 1e9,
                                  "checkpoint_every": 4}, base=default_config("flappy"))
    straight = Evolution(config)
    Driver(straight).drive()
    hook, rundir = Recorder(stop_after=3), RunDir(tmp_path / "run")
    run = Evolution(config)
    rundir.create(run)
    assert Driver(run, [RunFiles(rundir, timing=[]), hook]).drive() == "requested"
    assert run.generation == 3 and not run.finished
    # generation 3 was no multiple of checkpoint_every: the stop kept it, then told the hooks
    assert hook.calls[-2:] == [("checkpoint", 3), ("stop", "requested", None)]
    assert {p.name for p in rundir.path.iterdir()} >= {"config.toml", "log.csv", "timing.csv", "checkpoint.npz",
                                                        "champion.npz", "fitness.png"}
    rundir.unlock()
    resumed = rundir.load_checkpoint()
    assert resumed.history == run.history
    assert Driver(resumed).drive() == "finished"
    assert resumed.history == straight.history
    np.testing.assert_array_equal(resumed.champion, straight.champion)


def test_an_exception_named_in_stop_on_stops_the_run_at_the_start_of_its_generation():
    from evo.runs.driver import Driver

    class Lost(RuntimeError):
        pass

    config = RunConfig.from_dict({"generations": 5, "pop_size": 12, "episodes": 2, "target": 1e9},
                                 base=default_config("cartpole"))
    run, hook = Evolution(config), Recorder()
    driver = Driver(run, [hook])
    played = run.evaluate

    def evaluate():
        if run.generation == 2:
            raise Lost("the cluster is gone")
        return played()
    run.evaluate = evaluate
    assert driver.drive({Lost: "lost"}) == "lost"
    assert run.generation == 2 and len(run.history) == 2
    assert hook.calls[-2] == ("checkpoint", 2)
    reason, error = hook.calls[-1][1:]
    assert reason == "lost" and isinstance(error, Lost)
    run.evaluate = lambda: (_ for _ in ()).throw(KeyError("other"))
    with pytest.raises(KeyError):  # anything else propagates, and no hook is told
        Driver(run, [hook]).drive({Lost: "lost"})
    assert hook.calls[-1][0] == "stop" and hook.calls[-1][1] == "lost"


def test_a_strategy_plays_its_own_preset_not_the_games_ga_population(capsys):
    from evo.cli import main
    from evo.runs.config import KIND_PRESETS

    own = KIND_PRESETS["strategy"]
    snake = default_config("snake")
    assert snake.pop_size == 512 and snake.algorithm["name"] == "truncation_ga"
    for algorithm in ("cmaes", {"name": "snes", "sigma": 0.3}):
        config = default_config("snake", algorithm)
        assert (config.pop_size, config.episodes) == (own["pop_size"], own["episodes"])
        assert (config.generations, config.hidden, config.level) == (snake.generations, snake.hidden, snake.level)
    assert default_config("pendulum", "cmaes").pop_size == default_config("pendulum").pop_size == 16  # same kind
    assert default_config("pendulum", "ga").pop_size == RunConfig().pop_size  # a GA on a strategy's game
    result = evolve("snake", algorithm="cmaes", generations=1, target=1e9, test_episodes=2)
    assert result.config.pop_size == own["pop_size"] and len(result.history) == 1
    # the printed config: the strategy's population, and none of the GA's sections
    assert main(["run", "snake", "--algorithm", "cmaes", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert f"pop_size = {own['pop_size']}" in text and 'name = "cmaes"' in text
    assert not any(k in text for k in ("[mutation]", "[selection]", "[crossover]", "crossover_rate", "elite"))
    assert main(["run", "snake", "--algorithm", "cmaes", "--pop", "64", "--print-config"]) == 0
    assert "pop_size = 64" in capsys.readouterr().out  # a flag still decides
    assert main(["run", "cartpole", "--print-config"]) == 0
    ga = capsys.readouterr().out
    assert "[mutation]" in ga and "elite = " in ga  # the GA's, where they apply
    # the GA's elite bounds no strategy's population
    RunConfig.from_dict({"algorithm": "cmaes", "pop_size": 2}, base=default_config("cartpole")).validate()
