"""The maze is solvable by its route and deceptive: heading for the goal ends in the trap below it."""

import math

import numpy as np
import pytest

from envs import maze as m

ROUTE = [(130, 22), (180, 30), (180, 72), (120, 72), (120, 115), (180, 115), (180, 160), (20, 175), m.GOAL]


def drive(env, policy, seed=0, n=4):
    batch = env.batch(n, seed=seed, episodes=np.arange(n))
    batch.reset()
    while not batch.done.all():
        batch.step(np.array([policy(s) for s in batch.states]))
    return batch


def follow(route):
    state = {"next": 0}

    def policy(s):
        while state["next"] < len(route) - 1 and math.dist(s[:2], route[state["next"]]) < 5:
            state["next"] += 1
        x, y = route[state["next"]]
        error = (math.atan2(y - s[m.Y], x - s[m.X]) - s[m.HEADING] + math.pi) % (2 * math.pi) - math.pi
        return [float(np.clip(error / 0.3, -1, 1)), 1.0 if abs(error) < 0.3 else 0.2]
    return policy


def test_the_route_reaches_the_goal(game_envs):
    env = game_envs["maze"]
    for episode in range(3):
        batch = env.batch(1, seed=5, episodes=np.array([episode]))
        batch.reset()
        policy = follow(ROUTE)
        while not batch.done[0]:
            batch.step(np.array([policy(batch.states[0])]))
        assert batch.steps[0] < env.max_steps  # terminated: at the goal
        assert batch.returns[0] >= env.solved_at
        assert math.dist(m.GOAL, batch.states[0, [m.X, m.Y]]) < env.params[m.GOAL_RADIUS]


def test_heading_for_the_goal_ends_against_the_wall_below_it(game_envs):
    env = game_envs["maze"]
    batch = drive(env, lambda s: [0.0, 1.0])  # straight up, at the goal
    assert (batch.steps == env.max_steps).all()
    np.testing.assert_allclose(batch.states[:, m.Y], 140 - env.params[m.RADIUS], atol=3.0)
    assert batch.returns.max() < 0.72  # better than any point of the route's first legs ...
    right_end = (180.0, 30.0)  # ... which lead away: 215 units from the goal
    assert math.dist(right_end, m.GOAL) > 200


def test_walls_stop_the_robot_and_descriptors_are_where_it_stopped(game_envs):
    env = game_envs["maze"]
    batch = drive(env, lambda s: [0.0, -1.0])  # backwards into the bottom wall
    assert (batch.states[:, m.Y] >= env.params[m.RADIUS]).all()
    np.testing.assert_array_equal(env.describe(batch.states), batch.states[:, [m.X, m.Y]] / 200.0)
    assert env.behaviour_space == (("x", "y"), (0.0, 0.0), (1.0, 1.0))


@pytest.mark.parametrize("bad", [{"radius": 0.5}, {"goal_radius": 100.0}])
def test_parameters_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match="must be in"):
        m.default_params(**bad)
