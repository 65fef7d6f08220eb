"""The front of a run of several objectives in the viewer: the panel, and a window following such a run."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from evo.operators import selection  # noqa: E402
from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Driver, Evolution  # noqa: E402
from evo.runs.rundir import RunDir, RunFiles  # noqa: E402
from viz import theme as T  # noqa: E402
from viz.app import Watch  # noqa: E402
from viz.follow import Follow, FollowedRun  # noqa: E402
from viz.front import FrontPanel  # noqa: E402


def test_the_front_panel_draws_the_first_front():
    surf = pygame.Surface((360, 240))
    values = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [1.0, 1.0], [np.nan, 0.0]])
    ranks = selection.non_dominated_sort(values)
    panel = FrontPanel()
    panel.draw(surf, surf.get_rect(), (("return", "pace"), values, ranks))
    pixels = pygame.surfarray.array3d(surf)
    assert (pixels == T.LEADER).all(axis=2).sum() > 30  # the three first-front genomes and their line
    panel.draw(surf, surf.get_rect(), None)  # before the first generation: words, no dots
    assert not (pygame.surfarray.array3d(surf) == T.LEADER).all(axis=2).any()


def small(**settings) -> Evolution:
    settings = {"pop_size": 12, "episodes": 1, "target": 1e9, "generations": 20, "validation_episodes": 5,
                "objectives": ["size"], **settings}
    return Evolution(RunConfig.from_dict(settings, base=default_config("cartpole")))


def test_watching_a_run_of_several_objectives_draws_its_front_under_the_chart():
    run = small()
    w = Watch(run, pygame.Surface((960, 540)), None, frame_time=1 / 60)
    w.run(frames=2)
    assert w.front._cache[0][2] is None  # before the first generation
    w.breed()
    w.start_generation()
    w.run(frames=2)
    names, values, _ = run.objectives.front(run.algorithm)
    assert w.front._cache[0][2] == (names, values.tobytes())
    w.close()
    assert Watch(small(objectives=[]), pygame.Surface((960, 540)), None, frame_time=1 / 60).front is None


def test_following_a_run_of_several_objectives_shows_each_generation_s_front(tmp_path):
    run = small()
    rundir = RunDir(tmp_path / "r")
    rundir.create(run)
    driver = Driver(run, [RunFiles(rundir, timing=[])])
    try:
        followed = FollowedRun(rundir.path)
        viewer = Follow(followed, pygame.Surface((960, 540)), frame_time=1 / 60, show=0)
        assert viewer.front is not None and followed.front is None
        for g in range(3):  # no checkpoint after these: best.npz brings each front
            driver.generation()
            viewer.update()
            viewer.run(frames=2)
            names, values, ranks = followed.front
            assert names == ("return", "size (minimised)") and followed.latest.generation == g
            assert np.array_equal(values, run.objectives.front(run.algorithm)[1])
            assert viewer.front._cache[0][2] == (names, values.tobytes())  # the panel drew this front
        viewer.close()
    finally:
        rundir.unlock()
