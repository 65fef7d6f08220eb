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

GYM_IDS = {
    "cartpole": "neuroevo/CartPole-v1",
    "flappy": "neuroevo/Flappy-v0",
    "snake": "neuroevo/Snake-v0",
    "pong": "neuroevo/Pong-v0",
    "racer": "neuroevo/Racer-v0",
    "acrobot": "neuroevo/Acrobot-v1",
    "mountaincar": "neuroevo/MountainCar-v0",
    "mountaincar_continuous": "neuroevo/MountainCarContinuous-v0",
    "pendulum": "neuroevo/Pendulum-v1",
}


def register_all() -> None:
    """Register every game with Gymnasium (idempotent)."""
    from gymnasium.envs.registration import register, registry

    for name, gym_id in GYM_IDS.items():
        if gym_id not in registry:
            register(id=gym_id, entry_point="envs.gym_wrappers:make_gym_env", kwargs={"name": name})


def make_gym_env(name: str, render_mode: str | None = None, **params):
    """A neuroevo game as a ``gymnasium.Env`` (entry point of the registered ids)."""
    import gymnasium
    from gymnasium import spaces

    import envs

    class NeuroevoEnv(gymnasium.Env):
        metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

        def __init__(self):
            self.game = envs.make(name, **params)
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
                self._action[0] = int(action)
            else:
                self._action[:] = np.clip(np.asarray(action, np.float64) / self._high, -1.0, 1.0)
            reward, terminated = self._k.step_one(self._state, self.game.params, self._action, self._rng)
            self._t += 1
            truncated = bool(self._t >= self.game.max_steps and not terminated)
            return self._observation(), float(reward), bool(terminated), truncated, {}

        def render(self):
            if self.render_mode != "rgb_array":
                return None
            from viz.renderers import render_rgb
            return render_rgb(self.game, self._state)

    return NeuroevoEnv()


class GymEnv:
    """A Gymnasium environment played by genomes, one vector env per episode.

    Has the attributes of :class:`envs.Env` that the evaluation reads
    (``obs_size``, ``num_actions``, ``action_size``, ``num_outputs``,
    ``max_steps``, ``solved_at``) and a :meth:`rollout` that
    :func:`evo.evaluate` calls instead of the fused kernel.
    """

    def __init__(self, gym_id: str, max_steps: int | None = None, **kwargs):
        try:
            import gymnasium
        except ImportError:
            raise ValueError("gym:<id> games need gymnasium: pip install 'neuroevo[gym]'") from None
        from gymnasium import spaces

        self.gym_id = gym_id
        self.name = f"gym:{gym_id}"
        self.kwargs = kwargs
        self.options = dict(kwargs)
        try:
            probe = gymnasium.make(gym_id, **kwargs)
        except Exception as e:  # gymnasium raises many kinds here; one line for the user
            raise ValueError(f"cannot make Gymnasium environment {gym_id!r}: {e}") from None
        obs_space, act_space = probe.observation_space, probe.action_space
        if not isinstance(obs_space, spaces.Box):
            raise ValueError(f"{gym_id}: only Box observation spaces are supported, got {obs_space}")
        self.obs_size = int(np.prod(obs_space.shape))
        if isinstance(act_space, spaces.Discrete):
            self.num_actions, self.action_size = int(act_space.n), None
        elif isinstance(act_space, spaces.Box) and len(act_space.shape) == 1:
            self.num_actions, self.action_size = None, int(act_space.shape[0])
            self._low = np.where(np.isfinite(act_space.low), act_space.low, -1.0)
            self._high = np.where(np.isfinite(act_space.high), act_space.high, 1.0)
        else:
            raise ValueError(f"{gym_id}: only Discrete or 1-d Box action spaces are supported, got {act_space}")
        self.num_outputs = self.num_actions or self.action_size
        spec = probe.spec
        self.max_steps = int(max_steps or (spec.max_episode_steps if spec and spec.max_episode_steps else 1000))
        threshold = spec.reward_threshold if spec is not None else None
        self.solved_at = float(threshold) if threshold is not None else float("inf")
        self.dt = 1.0 / probe.metadata.get("render_fps", 30)
        probe.close()

    def __repr__(self) -> str:
        return f"envs.make({self.name!r})"

    def rollout(self, net, genomes, episodes: int, seed: int):
        """Play every genome for ``episodes`` episodes (episode ``e`` seeded alike for all genomes)."""
        import gymnasium

        from evo.evaluate import Rollout

        P = genomes.shape[0]
        returns = np.zeros((P, episodes))
        steps = np.zeros((P, episodes), dtype=np.int64)
        vec = gymnasium.make_vec(self.gym_id, num_envs=P, vectorization_mode="sync", **self.kwargs)
        try:
            for e in range(episodes):
                episode_seed = int(np.random.SeedSequence([seed, e]).generate_state(1)[0])
                obs, _ = vec.reset(seed=[episode_seed] * P)
                done = np.zeros(P, dtype=bool)
                for _ in range(self.max_steps):
                    actions = net.act(genomes, obs.reshape(P, -1).astype(np.float32), self.num_actions)
                    if self.num_actions is None:
                        actions = self._low + (actions + 1.0) * 0.5 * (self._high - self._low)
                    obs, reward, terminated, truncated, _ = vec.step(actions)
                    running = ~done
                    returns[running, e] += reward[running]
                    steps[running, e] += 1
                    done |= terminated | truncated
                    if done.all():
                        break
        finally:
            vec.close()
        return Rollout(returns, steps)
