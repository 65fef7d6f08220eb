"""Gymnasium in both directions.

* Every neuroevo game as a ``gymnasium.Env``: ``gymnasium.make("neuroevo/Flappy-v0")``
  after ``import envs`` (which registers them when Gymnasium is installed).
* Any Gymnasium environment with a discrete or box action space as a neuroevo
  game: ``envs.make("gym:Acrobot-v1")``, evaluated through Gymnasium's vector
  API with the Numba forward pass (slower than a native game, but it works for
  any environment a user already has).
"""

from __future__ import annotations

import numpy as np

from envs.core import play
from envs.spec import EnvSpec

_rgb_renderer: list = []  # what draws a state for Gymnasium's rgb_array mode (set_rgb_renderer)


def set_rgb_renderer(draw) -> None:
    """Draw the frames of ``render_mode="rgb_array"`` with ``draw(game, state_row) -> ndarray (H, W, 3) uint8``.

    The games draw nothing themselves: the pygame viewer registers its renderer
    here when its renderers module is imported, and a program may register its own.
    """
    if not callable(draw):
        raise ValueError(f"an rgb renderer must be callable, got {draw!r}")
    _rgb_renderer[:] = [draw]

GYM_IDS = {
    "cartpole": "neuroevo/CartPole-v1",
    "flappy": "neuroevo/Flappy-v0",
    "snake": "neuroevo/Snake-v0",
    "pong": "neuroevo/Pong-v0",
    "racer": "neuroevo/Racer-v0",
    "maze": "neuroevo/Maze-v0",
    "acrobot": "neuroevo/Acrobot-v1",
    "mountaincar": "neuroevo/MountainCar-v0",
    "mountaincar_continuous": "neuroevo/MountainCarContinuous-v0",
    "pendulum": "neuroevo/Pendulum-v1",
    "xor": "neuroevo/Xor-v0",
    "circles": "neuroevo/Circles-v0",
    "spirals": "neuroevo/Spirals-v0",
    "blobs": "neuroevo/Blobs-v0",
    "iris": "neuroevo/Iris-v0",
}


_maker: list = []  # the registry's make (envs.make), handed over by register_all


def register_all(make) -> None:
    """Register every game with Gymnasium (idempotent); ``make(name, **params)`` makes a game by name.

    The package registers its games on import, handing its own ``make`` over, so
    this module never imports the package's registry back.
    """
    from gymnasium.envs.registration import register, registry

    _maker[:] = [make]
    for name, gym_id in GYM_IDS.items():
        if gym_id not in registry:
            register(id=gym_id, entry_point="envs.gym_wrappers:make_gym_env", kwargs={"name": name})


def make_gym_env(name: str, render_mode: str | None = None, **params):
    """A neuroevo game as a ``gymnasium.Env`` (entry point of the registered ids)."""
    import gymnasium
    from gymnasium import spaces

    make = _maker[0]

    class NeuroevoEnv(gymnasium.Env):
        metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

        def __init__(self):
            self.game = make(name, **params)
            spec = self.game.spec
            self.metadata = {**self.metadata, "render_fps": int(round(1.0 / self.game.dt))}
            self.render_mode = render_mode
            self.observation_space = spaces.Box(np.array(spec.obs_low, np.float32),
                                                np.array(spec.obs_high, np.float32), dtype=np.float32)
            if spec.discrete:
                self.action_space = spaces.Discrete(spec.num_actions)
            else:  # in the game's physical units where it has them (Pendulum: torque in [-2, 2])
                self._high = np.array(spec.action_high or (1.0,) * spec.action_size, np.float32)
                self.action_space = spaces.Box(-self._high, self._high, (spec.action_size,), dtype=np.float32)
            self._state = np.zeros(spec.state_size, np.float64)
            self._rng = np.zeros(1, np.uint64)
            self._obs = np.zeros(spec.obs_size, np.float32)
            self._action = np.zeros(spec.action_buffer_size, np.float64)
            self._t = 0
            self._renderer = None
            self._k = self.game.kernels()  # compiled once, cached on disk

        def _observation(self):
            self._k.observe_one(self._state, self.game.params, self._obs)
            return self._obs.copy()

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self._rng[0] = self._k.key(np.uint64(self.np_random.integers(0, 2**63)), 0, 0)
            self._k.reset_one(self._state, self.game.params, self._rng)
            self._t = 0
            return self._observation(), {}

        def step(self, action):
            if self.game.spec.discrete:
                self._action[0] = _discrete_action(action, self.game.spec.num_actions)
            else:
                self._action[:] = np.clip(_box_action(action, self.game.spec.action_size) / self._high, -1.0, 1.0)
            reward, terminated = self._k.step_one(self._state, self.game.params, self._action, self._rng)
            self._t += 1
            truncated = bool(self._t >= self.game.max_steps and not terminated)
            return self._observation(), float(reward), bool(terminated), truncated, {}

        def render(self):
            if self.render_mode != "rgb_array":
                return None
            if not _rgb_renderer:
                _load_rgb_renderer()
            return _rgb_renderer[0](self.game, self._state)

    return NeuroevoEnv()


def _discrete_action(action, n: int) -> int:
    """``action`` as an index in ``0..n-1``, or a one-line ValueError naming it."""
    a = np.asarray(action)
    if a.shape != () or a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and float(a).is_integer()):
        raise ValueError(f"action must be one integer in 0..{n - 1}, got {action!r}")
    if not 0 <= int(a) < n:
        raise ValueError(f"action must be in 0..{n - 1} (the game has {n} actions), got {int(a)}")
    return int(a)


def _box_action(action, size: int) -> np.ndarray:
    """``action`` as ``size`` finite float64 values, or a one-line ValueError naming it."""
    numbers = f"{size} finite number{'s' if size != 1 else ''} (shape ({size},))"
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"action must be {numbers}, got {action!r}") from None
    if a.shape != (size,) or not np.isfinite(a).all():
        raise ValueError(f"action must be {numbers}, got {action!r}")
    return a


RENDERER_ENTRY_POINTS = "neuroevo.renderers"
"""Entry-point group of installed renderers: the first one named ``rgb`` draws ``rgb_array`` frames until
:func:`set_rgb_renderer` names another (the package's own pygame viewer declares one)."""


def _load_rgb_renderer() -> None:
    """Load the ``rgb`` renderer an installed package declares; one clear line when there is none."""
    from importlib.metadata import entry_points
    for ep in entry_points(group=RENDERER_ENTRY_POINTS):
        if ep.name == "rgb":
            draw = ep.load()  # the renderer's module may register itself on import
            if not _rgb_renderer:
                set_rgb_renderer(draw)
            return
    raise RuntimeError(f"nothing draws rgb_array frames: no installed package declares an 'rgb' renderer in "
                       f"the {RENDERER_ENTRY_POINTS!r} entry points; call envs.gym_wrappers.set_rgb_renderer")


def _allocate(batch, obs_size: int) -> None:
    """The arrays every Gymnasium batch of ``batch.n`` copies keeps (:class:`envs.core.Batch`), zeroed."""
    batch.states = np.zeros((batch.n, obs_size))
    batch.obs = np.zeros((batch.n, obs_size), np.float32)
    batch.done = np.zeros(batch.n, bool)
    batch.steps = np.zeros(batch.n, np.int64)
    batch.returns = np.zeros(batch.n)


class GymEnv:
    """Any Gymnasium environment as an :class:`envs.Environment`, played step by step.

    ``spec`` is built from its spaces (observation bounds, action counts),
    its ``max_episode_steps`` and ``reward_threshold``; :meth:`batch` plays
    ``n`` copies of it, each seeded by ``(seed, episode)``, stepping only the
    agents still playing, and :meth:`play` runs whole episodes through it.
    """

    fused = False
    params = None

    def __init__(self, gym_id: str, max_steps: int | None = None, workers: int = 1, **kwargs):
        try:
            import gymnasium
        except ImportError:
            raise ValueError("gym:<id> games need gymnasium: pip install 'neuroevo[gym]'") from None
        from gymnasium import spaces

        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers
        self.gym_id = gym_id
        self.name = f"gym:{gym_id}"
        self.kwargs = kwargs
        self.options = {**kwargs, **({"workers": workers} if workers > 1 else {})}
        try:
            probe = gymnasium.make(gym_id, **kwargs)
        except Exception as e:  # gymnasium raises many kinds here; one line for the user
            raise ValueError(f"cannot make Gymnasium environment {gym_id!r}: {e}") from None
        obs_space, act_space = probe.observation_space, probe.action_space
        if not isinstance(obs_space, spaces.Box):
            raise ValueError(f"{gym_id}: only Box observation spaces are supported, got {obs_space}")
        obs_size = int(np.prod(obs_space.shape))
        if isinstance(act_space, spaces.Discrete):
            num_actions, action_size = int(act_space.n), None
        elif isinstance(act_space, spaces.Box) and len(act_space.shape) == 1:
            num_actions, action_size = None, int(act_space.shape[0])
            self._low = np.where(np.isfinite(act_space.low), act_space.low, -1.0)
            self._high = np.where(np.isfinite(act_space.high), act_space.high, 1.0)
        else:
            raise ValueError(f"{gym_id}: only Discrete or 1-d Box action spaces are supported, got {act_space}")
        spec = probe.spec
        self.max_steps = int(max_steps or (spec.max_episode_steps if spec and spec.max_episode_steps else 1000))
        threshold = spec.reward_threshold if spec is not None else None
        self.spec = EnvSpec(
            name=self.name, obs_size=obs_size, num_actions=num_actions, action_size=action_size,
            max_steps=self.max_steps, dt=1.0 / probe.metadata.get("render_fps", 30),
            solved_at=float(threshold) if threshold is not None else float("inf"), solved_over=100,
            state_size=obs_size, obs_low=tuple(obs_space.low.ravel().astype(float)),
            obs_high=tuple(obs_space.high.ravel().astype(float)),
            obs_names=tuple(f"obs {i}" for i in range(obs_size)))
        probe.close()

    obs_size = property(lambda self: self.spec.obs_size)
    obs_shape = property(lambda self: (self.spec.obs_size,))
    obs = "features"
    num_actions = property(lambda self: self.spec.num_actions)
    action_size = property(lambda self: self.spec.action_size)
    num_outputs = property(lambda self: self.spec.num_outputs)
    dt = property(lambda self: self.spec.dt)
    solved_at = property(lambda self: self.spec.solved_at)

    def __repr__(self) -> str:
        return f"envs.make({self.name!r})"

    def held_out(self) -> "GymEnv":
        """Test episodes play the same environment (Gymnasium has no held-out split)."""
        return self

    def test_sets(self, fixed=()) -> list:
        """One unnamed test set: the environment itself."""
        return [("", self)]

    def batch(self, n: int, seed: int = 0, episodes=None) -> "GymBatch":
        """``n`` copies stepped together; agent ``i`` plays episode ``episodes[i]`` (default 0).

        With ``workers > 1`` (``envs.make("gym:LunarLander-v3", workers=2)``) the
        copies are stepped in that many processes: worth it where a step costs
        far more than sending its action and observation (Box2D); the results
        are those of one process.
        """
        return (GymBatch if self.workers == 1 else ProcessGymBatch)(self, n, seed, episodes)

    def play(self, net, genomes, episodes: int, seed: int) -> tuple:
        """Every genome plays ``episodes`` episodes (:func:`envs.core.play`): (returns, steps) of shape (P, E)."""
        return play(self, net, genomes, episodes, seed)

    def to_gym_action(self, actions: np.ndarray) -> np.ndarray:
        """Network actions (indices, or values in [-1, 1]) in the environment's own action space."""
        if self.num_actions is not None:
            return actions
        return self._low + (np.asarray(actions) + 1.0) * 0.5 * (self._high - self._low)


class GymBatch:
    """``n`` copies of a Gymnasium environment, the :class:`envs.core.Batch` of :class:`GymEnv`.

    Agent ``i``'s environment is reset with the seed of ``(seed, episodes[i])``,
    so every genome meets the same episode. An agent whose episode ended is not
    stepped again (no Gymnasium autoreset, no wasted steps): its reward is 0 and
    ``states`` keeps its last observation.
    """

    def __init__(self, env: GymEnv, n: int, seed: int = 0, episodes=None):
        import gymnasium

        self.env, self.n = env, int(n)
        episodes = np.zeros(self.n, np.int64) if episodes is None else np.asarray(episodes).reshape(self.n)
        self.seeds = [int(np.random.SeedSequence([int(seed), int(e)]).generate_state(1)[0]) for e in episodes]
        self.envs = [gymnasium.make(env.gym_id, **env.kwargs) for _ in range(self.n)]
        _allocate(self, env.obs_size)

    def reset(self) -> np.ndarray:
        for i, (e, s) in enumerate(zip(self.envs, self.seeds)):
            obs, _ = e.reset(seed=s)
            self.obs[i] = np.asarray(obs, np.float32).ravel()
        self.states[:] = self.obs
        self.done[:], self.steps[:], self.returns[:] = False, 0, 0.0
        return self.obs.copy()

    def step(self, actions):
        actions = self.env.to_gym_action(np.asarray(actions))
        rewards = np.zeros(self.n)
        for i in np.flatnonzero(~self.done):
            obs, reward, terminated, truncated, _ = self.envs[i].step(actions[i])
            rewards[i] = reward
            self.steps[i] += 1
            self.obs[i] = np.asarray(obs, np.float32).ravel()
            self.done[i] = terminated or truncated or self.steps[i] >= self.env.max_steps
        self.returns += rewards
        self.states[:] = self.obs
        return self.obs.copy(), rewards, self.done.copy()

    def close(self) -> None:
        for e in self.envs:
            e.close()


def _serve(conn, gym_id, kwargs, seeds) -> None:
    """A worker process: its share of the agents' environments, stepped on request."""
    import gymnasium

    envs = [gymnasium.make(gym_id, **kwargs) for _ in seeds]
    while True:
        message = conn.recv()
        if message is None:
            break
        if message == "reset":
            conn.send([np.asarray(e.reset(seed=s)[0], np.float32).ravel() for e, s in zip(envs, seeds)])
            continue
        results = []
        for i, action in message:
            obs, reward, terminated, truncated, _ = envs[i].step(action)
            results.append((i, np.asarray(obs, np.float32).ravel(), float(reward), bool(terminated or truncated)))
        conn.send(results)
    for e in envs:
        e.close()
    conn.close()


class ProcessGymBatch(GymBatch):
    """:class:`GymBatch` with its environments in ``env.workers`` processes, agent ``i`` in process
    ``i % workers``; each step sends every process its live agents' actions and gathers the results."""

    def __init__(self, env: GymEnv, n: int, seed: int = 0, episodes=None):
        import multiprocessing as mp

        self.env, self.n = env, int(n)
        episodes = np.zeros(self.n, np.int64) if episodes is None else np.asarray(episodes).reshape(self.n)
        seeds = [int(np.random.SeedSequence([int(seed), int(e)]).generate_state(1)[0]) for e in episodes]
        self.envs = []
        k = min(env.workers, self.n)
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self.pipes, self.procs = [], []
        for w in range(k):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, env.gym_id, env.kwargs, seeds[w::k]), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        _allocate(self, env.obs_size)

    def reset(self) -> np.ndarray:
        k = len(self.pipes)
        for pipe in self.pipes:
            pipe.send("reset")
        for w, pipe in enumerate(self.pipes):
            self.obs[w::k] = pipe.recv()
        self.states[:] = self.obs
        self.done[:], self.steps[:], self.returns[:] = False, 0, 0.0
        return self.obs.copy()

    def step(self, actions):
        actions = self.env.to_gym_action(np.asarray(actions))
        k = len(self.pipes)
        live = np.flatnonzero(~self.done)
        for w, pipe in enumerate(self.pipes):
            mine = live[live % k == w]
            pipe.send([(int(i) // k, actions[i]) for i in mine])
        rewards = np.zeros(self.n)
        for w, pipe in enumerate(self.pipes):
            for j, obs, reward, over in pipe.recv():
                i = j * k + w
                rewards[i] = reward
                self.steps[i] += 1
                self.obs[i] = obs
                self.done[i] = over or self.steps[i] >= self.env.max_steps
        self.returns += rewards
        self.states[:] = self.obs
        return self.obs.copy(), rewards, self.done.copy()

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for proc in self.procs:
            proc.join(timeout=10)
