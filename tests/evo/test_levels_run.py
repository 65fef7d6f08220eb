"""A run's level (config, flags, files, eval) and pong by self-play."""

import numpy as np
import pytest

import envs
from envs import pong as P
from evo import MLP, rollout
from evo.cli import main
from evo.runs.config import RunConfig
from evo.runs.driver import Evolution
from evo.runs.fields import saved_config
from evo.runs.rundir import load_champion

TINY = ["--pop", "8", "--episodes", "1", "--hidden", "8", "--target", "1e9", "--quiet"]  # flappy's and cartpole's preset


def test_level_flag_reaches_the_run_its_files_and_eval(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "flappy", "--level", "classic", "--generations", "2", "--out", str(out), *TINY]) == 0
    assert 'level = "classic"' in (out / "config.toml").read_text()
    c = load_champion(out)
    assert c.config.level == c.env.level == "classic"
    np.testing.assert_array_equal(c.env.params, envs.make("flappy", level="classic").params)
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "3"]) == 0
    assert capsys.readouterr().out.startswith("flappy at level classic:")
    assert main(["eval", str(out), "--episodes", "3", "--level", "moving"]) == 0
    assert capsys.readouterr().out.startswith("flappy at level moving:")
    # resume plays the level the checkpoint recorded, and does not change it
    assert main(["run", "--resume", str(out), "--generations", "3", "--quiet"]) == 0
    assert load_champion(out).config.level == "classic"
    assert main(["run", "--resume", str(out), "--level", "moving"]) == 2
    assert "does not take --level" in capsys.readouterr().err


def test_default_level_is_named_and_a_config_file_can_name_one(tmp_path, capsys):
    assert main(["run", "snake", "--print-config"]) == 0
    assert 'level = "long"' in capsys.readouterr().out
    path = tmp_path / "c.toml"
    path.write_text('env = "pong"\nlevel = "classic"\n')
    assert main(["run", "--config", str(path), "--print-config"]) == 0
    assert 'level = "classic"' in capsys.readouterr().out


@pytest.mark.parametrize("args", [["run", "flappy", "--level", "clasic"], ["watch", "flappy", "--level", "clasic"],
                                  ["sweep", "flappy", "--level", "clasic"]])
def test_unknown_level_is_one_line_with_did_you_mean(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "unknown level 'clasic'; did you mean 'classic'?" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_eval_replay_record_refuse_an_unknown_level(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "cartpole", "--generations", "1", "--out", str(out), *TINY]) == 0
    for command in ("eval", "record"):
        assert main([command, str(out), "--level", "double-pole"]) == 2
        assert "cartpole: unknown level 'double-pole'" in capsys.readouterr().err


def test_files_written_before_levels_load_at_the_classic_level():
    assert saved_config({"env": "flappy"}).level == "classic"
    assert saved_config({"env": "acrobot"}).level == "default"
    assert RunConfig(env="flappy").validate().level == envs.default_level("flappy") == "moving"


# -- self-play ----------------------------------------------------------------------------------


def self_play_run(seed=3, generations=4):
    config = RunConfig(env="pong", env_params={"self_play": 1}, pop_size=12, episodes=1, hidden=[16],
                       generations=generations, seed=seed, validation_episodes=4, test_episodes=4, target=1e9)
    run = Evolution(config)
    opponents = []
    while not run.finished:
        env = run.train_env()
        opponents.append(None if env is run.env else env.params[P.NET:].copy())
        run.step()
    return run, opponents


def test_self_play_is_deterministic_and_draws_from_the_hall_of_fame():
    a, opponents = self_play_run()
    b, again = self_play_run()
    assert [r["best"] for r in a.history] == [r["best"] for r in b.history]
    np.testing.assert_array_equal(np.stack(a.bests), np.stack(b.bests))
    assert opponents[0] is None  # generation 0: only the built-in opponent is in the hall
    assert any(o is not None for o in opponents)
    for o, p in zip(opponents, again):
        assert (o is None) == (p is None) and (o is None or np.array_equal(o, p))
    for g, o in enumerate(opponents):  # a drawn opponent is an earlier generation's best
        if o is not None:
            genomes = o[3:]  # after the hidden width and the two activation codes
            assert any(np.array_equal(genomes, best.astype(np.float64)) for best in a.bests[:g])


def test_self_play_trains_against_networks_and_validates_against_the_built_in_opponent():
    run, opponents = self_play_run(generations=6)
    plain = Evolution(RunConfig(**{**run.config.to_dict(), "env_params": {}, "generations": 6}))
    while not plain.finished:
        plain.step()
    # the same genomes, episodes and validation; only the training opponent differs
    assert run.history[0]["best"] == plain.history[0]["best"]
    drawn = [g for g, o in enumerate(opponents) if o is not None]
    assert any(run.history[g]["mean"] != plain.history[g]["mean"] for g in drawn)
    with pytest.raises(ValueError, match="self_play needs"):
        Evolution(RunConfig(env="pong", env_params={"self_play": 1}, network="gru", hidden=[4]))


def test_lockstep_and_agent_kernels_agree_with_a_network_opponent():
    env = envs.make("pong")
    net = MLP([7, 16, 3])  # pong's preset
    opponent = net.init(np.random.default_rng(1), 1)[0]
    env.params = P.with_opponent(env.params, net.sizes, net.acts_array, opponent)
    genomes = net.init(np.random.default_rng(2), 37)
    genomes[::3] *= 3.0
    agent = rollout(env, net, genomes, 2, 5, kernel="agent")
    lockstep = rollout(env, net, genomes, 2, 5, kernel="lockstep")
    np.testing.assert_array_equal(lockstep.returns, agent.returns)
    np.testing.assert_array_equal(lockstep.steps, agent.steps)
