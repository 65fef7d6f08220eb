"""The viewer at a game's level, and watching pong trained by self-play."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from envs import pong as P  # noqa: E402
from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Evolution  # noqa: E402
from viz.app import Watch, open_window  # noqa: E402


def test_watching_self_play_draws_what_is_scored_and_names_the_level():
    config = RunConfig.from_dict({"pop_size": 10, "episodes": 1, "hidden": [16], "target": 1e9, "validation_episodes": 3,
                                  "test_episodes": 3, "generations": 20, "seed": 3, "env_params": {"self_play": 1}},
                                 base=default_config("pong"))
    run = Evolution(config)
    while run.train_env() is run.env:  # on to a generation whose opponent is an earlier best
        run.step()
    assert run.train_env().params.shape[0] > P.NET
    w = Watch(run, open_window((640, 400)), None, frame_time=1 / 60)
    assert w.status().startswith("pong (level fast)   generation")
    ep = w.episode
    while not ep.done:
        w.sim_step()
    np.testing.assert_array_equal(ep.batch.returns, w.scored.returns[:, 0])
    np.testing.assert_array_equal(ep.batch.steps, w.scored.steps[:, 0])
    generation, scored = run.generation, w.scored
    w.sim_step()  # the GA breeds on the scores the network opponent gave, then the next generation is scored
    assert run.generation == generation + 1
    assert run.history[-1]["best"] == scored.returns.mean(axis=1).max()
