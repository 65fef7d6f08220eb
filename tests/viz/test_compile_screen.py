"""The window's "compiling" screen: drawn while a child compiles what the viewer plays; Esc or closing ends it."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

import envs  # noqa: E402
from evo import MLP  # noqa: E402
from evo.kernels import prepare as _prepare  # noqa: E402
from viz.app import compile_screen, open_window  # noqa: E402
from viz.episode import COMPILE, Episode  # noqa: E402


@pytest.fixture
def cold(tmp_path, monkeypatch):
    """Markers in a directory of this test's own: every kernel looks not yet compiled."""
    real = _prepare.marker
    monkeypatch.setattr(_prepare, "marker", lambda env, net, kind, program=None:
                        tmp_path / real(env, net, kind, program).name)
    monkeypatch.setattr(_prepare, "_ready", set())
    monkeypatch.delenv(_prepare.HERE, raising=False)  # the child path, which the rest of the suite skips
    return tmp_path


def test_the_screen_says_what_compiles_until_the_child_is_done(cold, tmp_path):
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    screen = open_window((640, 360))
    shot = tmp_path / "compiling.png"
    compile_screen(screen, env, net, "agent", shot=shot)
    assert _prepare.marker(env, net, "agent", COMPILE).exists()  # the child compiled the viewer's kernels
    assert _prepare.marker(env, net, "agent").exists()  # and the rollout's
    assert not _prepare.pending(env, net, "agent", COMPILE)
    drawn = pygame.surfarray.array3d(pygame.image.load(str(shot)))
    assert len(np.unique(drawn.reshape(-1, 3), axis=0)) > 5  # words on the background, not a blank window
    episode = Episode(env, net, net.init(np.random.default_rng(0), 3), 0)  # plays at once afterwards
    episode.step()
    assert episode.t == 1


def test_closing_the_window_while_compiling_ends_the_child(cold, monkeypatch):
    env, net = envs.make("cartpole"), MLP([4, 8, 2])  # cartpole's preset: kernels the other tests compile
    screen = open_window((640, 360))
    monkeypatch.setattr(pygame.event, "get", lambda: [pygame.event.Event(pygame.QUIT)])
    with pytest.raises(KeyboardInterrupt):
        compile_screen(screen, env, net, "agent")
    assert not _prepare.marker(env, net, "agent", COMPILE).exists()
