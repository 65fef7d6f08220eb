"""`neuroevo play`: a person's keys drive the game; a champion plays the same episode beside them."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

import envs  # noqa: E402
from evo.cli import main  # noqa: E402
from viz.app import open_window  # noqa: E402
from viz.play import Play, controls_for, human_action, key_code  # noqa: E402


class Held:
    def __init__(self, *keys):
        self.keys = set(keys)

    def __getitem__(self, k):
        return k in self.keys


def test_keys_map_to_each_games_actions():
    assert human_action("flappy", Held(), {pygame.K_SPACE})[0] == 1
    assert human_action("flappy", Held(), set())[0] == 0
    assert human_action("snake", Held(), {pygame.K_LEFT})[0] == 0
    assert human_action("snake", Held(), set())[0] == 1
    assert human_action("pong", Held(pygame.K_DOWN), set())[0] == 2
    np.testing.assert_array_equal(human_action("racer", Held(pygame.K_LEFT, pygame.K_UP), set()), [-1.0, 1.0])
    # a snake turns once per press: a held key does not keep turning it
    assert human_action("snake", Held(pygame.K_LEFT), set())[0] == 1
    # keys for different actions at once play the idle action
    assert human_action("pong", Held(pygame.K_UP, pygame.K_DOWN), set())[0] == 1
    np.testing.assert_array_equal(human_action("racer", Held(pygame.K_UP, pygame.K_DOWN), set()), [0.0, 0.0])


def test_every_game_has_keys_a_game_without_declared_ones_generic_keys():
    for name in envs.names():
        controls = controls_for(name)
        assert all(key_code(k) for k in controls.keys), name
    # acrobot declares its keys; a game declaring none gets digits and the arrows
    assert human_action("acrobot", Held(pygame.K_RIGHT), set())[0] == 2
    env = envs.make("cartpole")
    generic = controls_for(env).__class__({"1": 0, "2": 1})
    assert human_action(env, Held(pygame.K_2), set(), generic)[0] == 1
    with pytest.raises(ValueError, match="unknown key"):
        key_code("no such key")


@pytest.mark.slow  # 400 frames drawn
def test_flapping_keeps_the_bird_up_longer_than_not_flapping():
    env = envs.make("flappy")
    screen = open_window((640, 360))
    lazy = Play(env, screen, frame_time=1 / 60)
    lazy.run(frames=200, keys={})
    busy = Play(env, screen, frame_time=1 / 60)
    busy.run(frames=200, keys={f: (pygame.K_SPACE,) for f in range(0, 200, 9)})
    assert lazy.batch.done[0] and busy.batch.steps[0] > lazy.batch.steps[0]
    assert np.asarray(pygame.surfarray.array3d(screen)).std() > 10


def test_play_beside_a_champion(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", "pong", "--pop", "12", "--episodes", "1", "--hidden", "16", "--generations", "1",
                 "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    shot = tmp_path / "play.png"
    assert main(["play", "pong", str(run), "--frames", "30", "--screenshot", str(shot)]) == 0
    assert "you scored" in capsys.readouterr().out and shot.is_file()
    assert main(["play", "flappy", str(run), "--frames", "5"]) == 2
    assert "is a champion of pong, not flappy" in capsys.readouterr().err
    assert main(["play", "acrobat", "--frames", "5"]) == 2
