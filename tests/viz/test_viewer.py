"""The watch viewer driven in-process under SDL's dummy video driver (set by tests/conftest.py)."""

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

import envs  # noqa: E402
from evo.runs.config import RunConfig, default_config  # noqa: E402
from evo.runs.driver import Evolution  # noqa: E402
from evo.runs.rundir import RunDir  # noqa: E402
from viz.app import SPEEDS, Watch, open_window  # noqa: E402
from viz.episode import Episode  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402

SIZE = (800, 450)


def small_run(game, **settings):
    # the game's preset network: the shape of conftest's game_nets, whose kernels the session compiles once
    base = {"pop_size": 12, "episodes": 2, "target": 1e9, "validation_episodes": 5, "generations": 100}
    return Evolution(RunConfig.from_dict({**base, **settings}, base=default_config(game)))


@pytest.fixture
def screen():
    return open_window(SIZE)


def pixels(surface):
    return pygame.surfarray.array3d(surface).copy()


def key(k, unicode=""):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, unicode=unicode, mod=0))


@pytest.mark.parametrize("game", envs.names())
def test_every_game_plays_and_draws(game, screen, tmp_path, game_envs):
    w = Watch(small_run(game), screen, RunDir(tmp_path), frame_time=1 / 60)
    w.speed_i = 3  # 8x: several steps per frame
    w.run(frames=3)
    first = pixels(screen)
    w.run(frames=12)
    last = pixels(screen)
    assert w.frames == 15 and w.sim_steps > 0
    assert first.std() > 10 and last.std() > 10  # not blank
    assert (first != last).any()  # something moved
    path = tmp_path / "shot.png"
    w.save_screenshot(path)
    assert pygame.image.load(str(path)).get_size() == SIZE


@pytest.mark.parametrize("game", envs.names())
def test_what_is_drawn_is_what_is_scored(game, screen, game_envs):
    """The visible episode's returns equal the fused evaluation's episode 0, and those scores breed."""
    run = small_run(game)
    w = Watch(run, screen, None, frame_time=1 / 60)
    ep = w.episode
    while not ep.done:
        w.sim_step()
    np.testing.assert_array_equal(ep.batch.returns, w.scored.returns[:, 0])
    np.testing.assert_array_equal(ep.batch.steps, w.scored.steps[:, 0])
    fitness = w.scored.returns.mean(axis=1)
    w.sim_step()  # everyone is done: the GA breeds
    assert run.generation == 1 and w.episode is not ep
    assert run.history[0]["best"] == fitness.max() and run.history[0]["mean"] == fitness.mean()


def test_gymnasium_game_is_drawn_as_observation_lanes(screen):
    pytest.importorskip("gymnasium")
    run = small_run("gym:CartPole-v1", pop_size=6, episodes=1)
    w = Watch(run, screen, None, frame_time=1 / 60)
    ep = w.episode
    while not ep.done:
        w.sim_step()
    np.testing.assert_array_equal(ep.batch.returns, w.scored.returns[:, 0])  # GymEnv.rollout's episode 0
    w.run(frames=3)
    assert pixels(screen).std() > 10


def test_keys_pause_step_speed_and_quit(screen, tmp_path):
    w = Watch(small_run("cartpole"), screen, RunDir(tmp_path), frame_time=1 / 60)
    key(pygame.K_SPACE)
    w.run(frames=1)
    assert w.paused
    t = w.episode.t
    w.run(frames=5)
    assert w.episode.t == t  # paused: no steps
    key(pygame.K_PERIOD, ".")
    w.run(frames=1)
    assert w.episode.t == t + 1  # single step
    key(pygame.K_SPACE)
    key(pygame.K_PLUS, "+")
    key(pygame.K_EQUALS, "+")
    w.run(frames=1)
    assert not w.paused and w.speed == 4
    key(pygame.K_MINUS, "-")
    w.run(frames=1)
    assert w.speed == 2
    for _ in range(len(SPEEDS)):
        key(pygame.K_PLUS, "+")
    w.run(frames=1)
    assert w.speed_label() == "max"
    for k in (pygame.K_h, pygame.K_b, pygame.K_n):
        key(k)
    w.run(frames=1)
    assert w.show_help and w.only_best and not w.show_net
    key(pygame.K_s)
    w.run(frames=1)
    assert list(tmp_path.glob("screenshot-*.png"))
    key(pygame.K_q)
    w.run(frames=100)
    assert w.quit and w.frames < 20


def test_fast_forward_and_champion_replay(screen, tmp_path):
    run = small_run("cartpole")
    w = Watch(run, screen, RunDir(tmp_path), frame_time=1 / 60)
    key(pygame.K_r)
    w.run(frames=1)
    assert w.replay is None  # no champion before the first generation
    key(pygame.K_f)
    w.run(frames=11)
    assert run.generation == 10 and w.ff_left == 0 and w.episode is not None
    key(pygame.K_r)
    w.run(frames=2)
    assert w.replay is not None and w.replay.n == 1
    np.testing.assert_array_equal(w.replay.genomes[0], run.champion)
    key(pygame.K_r)  # back to the population
    w.run(frames=1)
    assert w.replay is None


def test_quitting_keeps_a_checkpoint(screen, tmp_path):
    run = small_run("cartpole")
    rundir = RunDir(tmp_path / "run")
    rundir.create(run)
    w = Watch(run, screen, rundir, frame_time=1 / 60)
    w.speed_i = len(SPEEDS) - 1
    while run.generation < 2:
        w.run(frames=1)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    w.run()
    w.close()
    resumed = rundir.load_checkpoint()
    assert resumed.generation == run.generation and resumed.history == run.history
    assert rundir.champion_path.is_file() and rundir.log_path.is_file()


@pytest.mark.parametrize("size", [(1280, 720), (640, 480), (500, 700), (1920, 400)])
def test_any_window_size_is_laid_out(size, tmp_path):
    pygame.display.init()
    surface = pygame.Surface(size)
    w = Watch(small_run("flappy"), surface, None, frame_time=1 / 60)
    w.show_help = True
    w.run(frames=3)
    status, game, side = w.layout()
    assert game.w > 100 and game.h > 100
    assert side is None or (side.left >= game.right and side.right <= size[0])
    assert pixels(surface).std() > 10


def test_episode_leader_and_fading(game_envs):
    env = game_envs["cartpole"]
    run = small_run("cartpole", pop_size=30)
    ep = Episode(env, run.net, run.algorithm.ask(), seed=0)
    while not ep.done:
        ep.step()
        alive = ~ep.batch.done
        if alive.any():
            assert alive[ep.leader] and ep.batch.returns[ep.leader] == ep.batch.returns[alive].max()
        fade = ep.fade()
        assert (fade[alive] == 1).all() and (fade[~alive] < 1).all()
    for _ in range(ep.fade_steps):
        ep.t += 1
    assert (ep.fade() == 0).all()


@pytest.mark.parametrize("game", envs.names())
def test_renderers_draw_one_agent_or_only_the_leader(game, game_envs):
    env = game_envs[game]
    batch = env.batch(5, seed=1)
    batch.reset()
    r = renderer_for(env)
    surface = pygame.Surface((400, 300))
    fade = np.array([1.0, 1.0, 0.5, 0.0, 1.0])
    r.draw(surface, surface.get_rect(), batch.states, fade, leader=1)
    assert pixels(surface).std() > 5
    r.draw(surface, surface.get_rect(), batch.states, fade, leader=1, only_leader=True)
    r.draw(surface, surface.get_rect(), batch.states, fade, leader=None)


def test_any_generations_best_can_be_replayed(screen):
    run = small_run("cartpole")
    for _ in range(3):
        run.step()
    assert len(run.bests) == 3
    viewer = Watch(run, screen, None, frame_time=1 / 60)
    viewer.draw()  # lays out the chart
    rect = viewer._chart_rect
    left, right = rect.x + viewer.chart.PLOT[0], rect.right - viewer.chart.PLOT[1]
    viewer.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(left + 1, rect.centery), button=1))
    assert viewer.replaying == 0
    np.testing.assert_array_equal(viewer.replay.genomes[0], run.bests[0])
    viewer.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(right - 1, rect.centery), button=1))
    assert viewer.replaying == 2
    viewer.replay_generation(-1)
    assert viewer.replaying == 1 and "generation 1" in viewer.status()
    viewer.close()
    state = run.state_dict()
    from evo.runs.driver import Evolution
    np.testing.assert_array_equal(np.stack(Evolution.from_state_dict(state).bests), np.stack(run.bests))


def test_a_recurrent_network_is_drawn_with_its_memory(screen):
    run = small_run("cartpole", network="gru", hidden=[6])  # the recurrent tests' shape
    viewer = Watch(run, screen, None, frame_time=1 / 60)
    for _ in range(5):
        viewer.sim_step()
    viewer.draw()
    ep = viewer.episode
    assert ep.memory.shape == (ep.n, 6) and np.abs(ep.memory).sum() > 0
    panel = pygame.surfarray.array3d(screen)[screen.get_width() * 3 // 4:, 60:400]
    assert panel.std() > 10  # the network is drawn, not left blank
    viewer.close()


@pytest.mark.parametrize("algorithm", ["novelty", "map_elites"])
def test_the_archive_or_the_elite_map_is_drawn(algorithm, screen):
    from viz import theme as T
    from viz.panels import BehaviourPanel
    run = small_run("maze", algorithm=algorithm, pop_size=16, episodes=1)
    w = Watch(run, screen, None, frame_time=1 / 60)
    assert isinstance(w.behaviour, BehaviourPanel)
    assert Watch(small_run("maze", algorithm="ga"), screen, None).behaviour is None
    panel, surf, rect = BehaviourPanel(run.env.behaviour_space), pygame.Surface((300, 340)), pygame.Rect(0, 0, 300, 340)

    def bright():  # pixels of the archive's dots or the best elite's cell
        panel.draw(surf, rect, run.algorithm)
        return int((pixels(surf) == T.LEADER).all(axis=2).sum())

    assert bright() == 0  # nothing archived or mapped before the first generation
    for _ in range(3):
        run.step()
    assert bright() > 0
    w.run(frames=2)  # the viewer draws it beside the game
    assert pixels(screen).std() > 10

def test_the_status_line_names_the_racer_track(screen):
    from envs import racer as R
    from viz.app import Replay
    w = Watch(small_run("racer"), screen, None, frame_time=1 / 60)
    w.run(frames=2)
    length = w.episode.batch.states[w.episode.leader][R.TRACK + R.T_LENGTH]
    assert f"procedural track ({length:.0f} m)" in w.status()
    env = envs.make("racer", track="hairpin")
    net = w.evo.net
    replay = Replay(env, net, net.init(np.random.default_rng(0), 1)[0], screen, label="champion")
    assert "track hairpin (485 m)" in replay.status()


def finished_run(game="cartpole", **settings):
    """A run evolution has finished (solved on an easy target, or out of its three generations)."""
    run = small_run(game, **{"target": 10, "generations": 3, **settings})
    while not run.finished:
        run.step()
    return run


def marked_column(screen, w):
    """The generation the chart's vertical marker stands at (None without one)."""
    from viz import theme as T
    rect, chart = w._chart_rect, w.chart
    left, right = rect.x + chart.PLOT[0], rect.right - chart.PLOT[1]
    area = pixels(screen)[left:right + 1, rect.y + chart.PLOT[2]:rect.bottom - chart.PLOT[3]]
    hits = (area == T.lerp(T.PANEL, T.LEADER, 0.6)).all(axis=2).sum(axis=1)
    if hits.max() < area.shape[1] // 3:
        return None
    n = len(w.evo.history)
    return int(round(int(np.argmax(hits)) / (right - left) * chart.span(n, w._playing())))


def test_a_generations_replay_after_a_solved_run_returns_to_the_champion(screen):
    """After the last generation, [ and ] and a click on the chart replay a generation's best; when that episode
    ends the champion plays again (never a frozen fast-forward screen), and the keys keep working."""
    run = finished_run()
    w = Watch(run, screen, None, frame_time=1 / 60)
    w.speed_i = SPEEDS.index(64)
    assert w.replay is not None and w.replaying is None  # the champion plays on
    last = len(run.bests) - 1
    for press in (pygame.K_LEFTBRACKET, pygame.K_RIGHTBRACKET, "click"):
        if press == "click":
            w.draw()
            rect = w._chart_rect
            w.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(rect.x + w.chart.PLOT[0] + 1, rect.centery),
                                        button=1))
            assert w.replaying == 0
        else:
            key(press)
            w.run(frames=1)
            assert w.replaying == (max(last - 1, 0) if press == pygame.K_LEFTBRACKET else last)
            np.testing.assert_array_equal(w.replay.genomes[0], run.bests[w.replaying])
        assert "champion" not in w.status() and f"generation {w.replaying}'s best" in w.status()
        assert w.subject() == f"generation {w.replaying}'s best"
        w.draw()
        assert marked_column(screen, w) == w.replaying  # the chart marks the generation replayed
        for _ in range(300):  # the generation's episode, then a second of its end
            w.run(frames=1)
            if w.replaying is None:
                break
        assert w.replaying is None and w.replay is not None and w.ff_left == 0  # the champion again
        np.testing.assert_array_equal(w.replay.genomes[0], run.champion)
        t = w.replay.t
        before = pixels(screen)
        w.run(frames=3)
        assert w.replay.t > t and (pixels(screen) != before).any()  # it plays: not frozen
        assert "replaying the champion" in w.status() and marked_column(screen, w) is None
    key(pygame.K_LEFTBRACKET)
    w.run(frames=1)
    key(pygame.K_r)  # R from a generation's best: the champion at once
    w.run(frames=1)
    assert w.replaying is None and w.replay is not None
    np.testing.assert_array_equal(w.replay.genomes[0], run.champion)
    w.close()


def test_a_replay_during_evolution_returns_to_the_generation_playing(screen):
    run = small_run("cartpole")
    run.step()
    w = Watch(run, screen, None, frame_time=1 / 60)
    w.speed_i = SPEEDS.index(64)
    playing = w.episode
    w.replay_generation(0)
    for _ in range(300):
        w.run(frames=1)
        if w.replay is None:
            break
    assert w.replay is None and w.replaying is None and w.episode is not None
    assert w.subject().startswith("leader #")
    w.close()


def test_the_status_line_and_the_chart_name_the_same_generation(screen):
    run = small_run("cartpole")
    for _ in range(3):
        run.step()
    w = Watch(run, screen, None, frame_time=1 / 60)
    w.draw()
    assert "generation 3" in w.status() and w._playing() == 3
    assert w.chart.span(len(run.history), w._playing()) == 3  # the axis reaches the generation in play
    done = finished_run()
    w = Watch(done, screen, None, frame_time=1 / 60)
    last = done.history[-1]["generation"]
    assert f"at generation {last}" in w.status() and f"generation {done.generation} " not in w.status() + " "
    assert w._playing() is None and w.chart.span(len(done.history), None) == last


def test_a_classification_task_is_told_in_accuracy(screen, game_envs):
    run = small_run("spirals")
    run.step()
    w = Watch(run, screen, None, frame_time=1 / 60)
    w.run(frames=10)
    status = w.status()
    assert "alive" not in status and "this gen" not in status
    assert "% right" in status and f"of {int(run.env.params[0])}" in status
    ep = w.episode
    points = run.env.params[0]
    answered = ep.batch.states[ep.leader][0]
    right = round(ep.batch.returns[ep.leader] * points)
    assert w.renderer.score(float(ep.batch.returns[ep.leader]), ep.batch.states[ep.leader]) == \
        f"{100 * right / answered:.0f}% right"
    w.close()


def test_pongs_score_is_drawn_in_the_players_colours(game_envs):
    from envs import pong as P
    from viz import theme as T
    env = game_envs["pong"]
    batch = env.batch(1, seed=0)
    batch.reset()
    batch.states[0, P.SCORE], batch.states[0, P.OPP_SCORE] = 3, 7
    surface = pygame.Surface((500, 400))
    renderer_for(env).draw(surface, surface.get_rect(), batch.states, np.ones(1), leader=0)
    top = pixels(surface)[:, :120]
    for colour in (T.LEADER, T.BAD):
        shown = np.array(T.lerp(T.FIELD, colour, 0.8))
        assert (np.abs(top.astype(int) - shown).sum(axis=2) < 12).sum() > 50  # a large figure, not a faint one
