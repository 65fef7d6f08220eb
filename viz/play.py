"""``neuroevo play GAME [RUN]``: a person plays with the keyboard, alone or beside a run's champion.

Both play the same episode (the same key), each on a board of its own, at the
game's real pace; the scores are shown side by side. When the person's
episode ends, Space (or Enter) starts the next one for both.

Controls
--------
Each game declares its keys (``CONTROLS``, an :class:`envs.Controls`; the
window's top line shows them), for example flappy: Space or Up to
flap; snake: Left / Right to turn; racer: Left / Right to steer, Up for
throttle, Down to brake. A game that declares none is played with generic
keys: 1-9 pick a discrete action (Left and Right the first and the last);
Left / Right and Down / Up drive the first two continuous dimensions.

=========  ===============================================================
P          pause / resume
Esc, Q     quit
=========  ===============================================================
"""

from __future__ import annotations

import numpy as np

import viz  # noqa: F401  (sets PYGAME_HIDE_SUPPORT_PROMPT before pygame is imported)
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

import envs  # noqa: E402
from envs.spec import Controls  # noqa: E402

from viz import theme as T  # noqa: E402
from viz.app import MAX_FRAME, init_pygame, need_display, open_window  # noqa: E402
from viz.panels import fit_text  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402
from viz.window import save_png  # noqa: E402

def key_code(name: str) -> int:
    """pygame's key code of a key named as in :class:`envs.Controls` (``"left"``, ``"space"``, ``"a"``, ``"1"``)."""
    attr = "K_" + (name.lower() if len(name) == 1 else name.upper())
    if not isinstance(name, str) or not hasattr(pygame, attr):
        raise ValueError(f"unknown key {name!r}: use pygame's names, e.g. left, right, up, down, space, a, 1")
    return getattr(pygame, attr)


def controls_for(env) -> Controls:
    """The keyboard controls of ``env`` (a game or its name): the game's declared ones, else generic ones."""
    if isinstance(env, str):
        env = envs.make(env)
    declared = envs.declaration(env).controls
    if declared is not None:
        return declared
    if env.num_actions is not None:
        n = env.num_actions
        keys = {str(k + 1): k for k in range(min(n, 9))}
        keys.update({"left": 0, "right": n - 1})
        return Controls(keys, idle=n // 2 if n % 2 else 0, help=f"1-{min(n, 9)}: action, Left / Right: first / last")
    d = env.action_size
    keys = {"left": (-1.0,) + (0.0,) * (d - 1), "right": (1.0,) + (0.0,) * (d - 1)}
    if d >= 2:
        keys.update({"down": (0.0, -1.0) + (0.0,) * (d - 2), "up": (0.0, 1.0) + (0.0,) * (d - 2)})
    return Controls(keys, help="Left / Right: first output" + (", Down / Up: second" if d >= 2 else ""))


def controls_help(controls: Controls) -> str:
    """The one line the play window shows about the keys."""
    if controls.help:
        return controls.help
    return ", ".join(f"{k.capitalize()}: {v}" for k, v in controls.keys.items())


def human_action(game, held, pressed: set, controls: Controls | None = None) -> np.ndarray:
    """The person's action for one step, from the keys ``held`` now and ``pressed`` since the last step.

    ``game`` is a game or its name; ``controls`` its keys (default :func:`controls_for`). Returns
    the game's action: an index (discrete games, in an array of shape (1,)) or values in [-1, 1]
    (continuous games, shape (action_size,)).
    """
    controls = controls if controls is not None else controls_for(game)
    down = [k for k in controls.keys if key_code(k) in pressed or
            (not controls.per_press and held[key_code(k)])]
    values = list(controls.keys.values())
    if values and not isinstance(values[0], (int, np.integer)):  # continuous: the held keys' values summed
        total = np.zeros(len(values[0]))
        for k in down:
            total += np.asarray(controls.keys[k], dtype=float)
        return np.clip(total, -1.0, 1.0)
    chosen = {int(controls.keys[k]) for k in down}
    return np.array([chosen.pop() if len(chosen) == 1 else int(controls.idle)])


class Play:
    """The play window: the person's board, and the champion's beside it when there is one."""

    def __init__(self, env, surface, champion=None, seed: int = 0, frame_time: float | None = None):
        self.env, self.surface, self.seed = env, surface, int(seed)
        self.controls = controls_for(env)
        self.champion = champion  # (net, genome) or None
        self.frame_time = frame_time
        self.renderer = renderer_for(env, single=True)
        self.clock = pygame.time.Clock()
        self.quit = self.paused = False
        self.acc = 0.0
        self.pressed: set = set()
        self.held = _NoKeys()
        self.frames = 0
        self.episode = 0
        self.start()

    @property
    def agents(self) -> int:
        return 1 if self.champion is None else 2

    def start(self) -> None:
        """A new episode, the same for the person (agent 0) and the champion (agent 1)."""
        self.batch = self.env.batch(self.agents, seed=self.seed, episodes=np.full(self.agents, self.episode))
        self.obs = self.batch.reset()
        if self.champion is not None:
            net, _ = self.champion
            self.memory = net.initial_state(1)

    def actions(self) -> np.ndarray:
        mine = human_action(self.env, self.held, self.pressed, self.controls)
        self.pressed = set()
        if self.champion is None:
            return mine[None] if self.env.num_actions is None else mine
        net, genome = self.champion
        theirs, self.memory = net.step(genome[None], self.obs[1:2], self.memory, self.env.num_actions)
        if self.env.num_actions is None:
            return np.stack([mine, theirs[0]])
        return np.array([mine[0], theirs[0]])

    def step(self) -> None:
        if not self.batch.done[0]:
            self.obs, _, _ = self.batch.step(self.actions())

    def handle(self, event) -> None:
        if event.type == pygame.QUIT:
            self.quit = True
        elif event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.quit = True
            elif event.key == pygame.K_p:
                self.paused = not self.paused
            elif self.batch.done[0] and event.key in (pygame.K_SPACE, pygame.K_RETURN):
                self.episode += 1
                self.start()
            else:
                self.pressed.add(event.key)

    def run(self, frames: int | None = None, keys=None) -> None:
        """Play until quit (or ``frames`` frames; ``keys`` maps a frame number to the keys held then, for tests)."""
        dt = float(self.env.dt)
        while not self.quit and (frames is None or self.frames < frames):
            ms = self.clock.tick(60)
            for event in pygame.event.get():
                self.handle(event)
            if keys is not None:
                self.held = _HeldKeys(keys.get(self.frames, ()))
                self.pressed |= set(keys.get(self.frames, ()))
            elif self.surface is pygame.display.get_surface():
                self.held = pygame.key.get_pressed()
            if not self.paused:
                self.acc += min(self.frame_time or ms / 1000.0, MAX_FRAME)
                while self.acc >= dt:
                    self.acc -= dt
                    self.step()
            self.draw()
            if self.surface is pygame.display.get_surface():
                pygame.display.flip()
            self.frames += 1

    def draw(self) -> None:
        surf = self.surface
        W, H = surf.get_size()
        surf.fill(T.BG)
        names = ["you"] if self.champion is None else ["you", "champion"]
        width = (W - 30) // len(names)
        for i, who in enumerate(names):
            area = pygame.Rect(10 + i * (width + 10), 44, width, H - 90)
            aspect = self.renderer.aspect
            w = min(area.w, int(area.h * aspect))
            h = int(w / aspect)
            view = pygame.Rect(area.x + (area.w - w) // 2, area.y + (area.h - h) // 2, w, h)
            fade = np.array([1.0 if not self.batch.done[i] else 0.6])
            self.renderer.draw(surf, view, self.batch.states[i:i + 1], fade, 0)
            pygame.draw.rect(surf, T.LEADER if i == 0 else T.EDGE, view.inflate(2, 2), 1)
            done = "  (over)" if self.batch.done[i] else ""
            line = f"{who}: {self.batch.returns[i]:.4g}{done}   {self.renderer.info(self.batch.states[i])}"
            T.text(surf, fit_text(line, view.w, 20), (view.x, view.bottom + 8), 20, T.TEXT if i == 0 else T.DIM)
        setting = self.renderer.setting(self.batch.states[0])
        where = f"   {setting}" if setting else ""
        head = f"{self.env.name}{where}   episode {self.episode}   {controls_help(self.controls)}   P pause   Esc quit"
        if self.batch.done[0]:
            head = f"{self.env.name}   your episode is over: Space for the next one   Esc quit"
        T.text(surf, fit_text(head, W - 20, 20), (10, 12), 20, T.TEXT)


class _NoKeys:
    def __getitem__(self, key):
        return False


class _HeldKeys(_NoKeys):
    def __init__(self, keys):
        self.keys = set(keys)

    def __getitem__(self, key):
        return key in self.keys


def play(env, champion=None, *, seed: int = 0, frames: int | None = None, screenshot=None) -> tuple:
    """Open the play window; returns the last episode's (person's return, champion's return or None)."""
    need_display(frames is None)
    init_pygame()
    surface = open_window(title=f"neuroevo play {env.name}")
    game = Play(env, surface, champion, seed=seed, frame_time=1 / 60 if frames else None)
    try:
        game.run(frames=frames)
        if screenshot:
            save_png(surface, screenshot)
    finally:
        pygame.display.quit()
    returns = game.batch.returns
    return float(returns[0]), (float(returns[1]) if champion is not None else None)


__all__ = ["play", "Play", "human_action", "controls_for", "key_code"]
