"""``neuroevo play GAME [RUN]``: a person plays with the keyboard, alone or beside a run's champion.

Both play the same episode (the same key), each on a board of its own, at the
game's real pace; the scores are shown side by side. When the person's
episode ends, Space (or Enter) starts the next one for both.

Controls
--------
=========  ===============================================================
flappy     Space or Up: flap
snake      Left / Right: turn; the snake goes straight otherwise
pong       Up / Down: move the paddle
racer      Left / Right: steer; Up: throttle; Down: brake
cartpole   Left / Right: push the cart
P          pause / resume
Esc, Q     quit
=========  ===============================================================
"""

from __future__ import annotations

import numpy as np

import viz  # noqa: F401  (sets PYGAME_HIDE_SUPPORT_PROMPT before pygame is imported)
import pygame  # noqa: E402  (viz sets PYGAME_HIDE_SUPPORT_PROMPT first)

from viz import theme as T  # noqa: E402
from viz.app import MAX_FRAME, init_pygame, need_display, open_window  # noqa: E402
from viz.panels import fit_text  # noqa: E402
from viz.renderers import renderer_for  # noqa: E402

KEYS = {
    "flappy": "Space or Up: flap",
    "snake": "Left / Right: turn",
    "pong": "Up / Down: move",
    "racer": "Left / Right: steer, Up: throttle, Down: brake",
    "cartpole": "Left / Right: push",
}


def human_action(game: str, held, pressed: set) -> np.ndarray:
    """The person's action for one step, from the keys ``held`` now and ``pressed`` since the last step.

    Returns the game's action: an index (discrete games, in an array of shape (1,)) or
    values in [-1, 1] (continuous games, shape (action_size,)).
    """
    left, right = held[pygame.K_LEFT], held[pygame.K_RIGHT]
    up, down = held[pygame.K_UP], held[pygame.K_DOWN]
    if game == "flappy":  # 0 nothing, 1 flap
        return np.array([1 if ({pygame.K_SPACE, pygame.K_UP} & pressed or held[pygame.K_SPACE] or up) else 0])
    if game == "snake":  # 0 left, 1 straight, 2 right: one turn per key press
        if pygame.K_LEFT in pressed:
            return np.array([0])
        if pygame.K_RIGHT in pressed:
            return np.array([2])
        return np.array([1])
    if game == "pong":  # 0 up, 1 stay, 2 down
        return np.array([0 if up and not down else 2 if down and not up else 1])
    if game == "cartpole":  # 0 left, 1 right
        return np.array([1 if right and not left else 0])
    if game == "racer":  # steering, throttle
        return np.array([float(right) - float(left), 1.0 if up else (-1.0 if down else 0.0)])
    raise ValueError(f"{game} cannot be played with the keyboard; playable: {', '.join(KEYS)}")


class Play:
    """The play window: the person's board, and the champion's beside it when there is one."""

    def __init__(self, env, surface, champion=None, seed: int = 0, frame_time: float | None = None):
        if env.name not in KEYS:
            raise ValueError(f"{env.name} cannot be played with the keyboard; playable: {', '.join(KEYS)}")
        self.env, self.surface, self.seed = env, surface, int(seed)
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
        mine = human_action(self.env.name, self.held, self.pressed)
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
        head = f"{self.env.name}{where}   episode {self.episode}   {KEYS[self.env.name]}   P pause   Esc quit"
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
            pygame.image.save(surface, str(screenshot))
    finally:
        pygame.display.quit()
    returns = game.batch.returns
    return float(returns[0]), (float(returns[1]) if champion is not None else None)


__all__ = ["play", "Play", "human_action", "KEYS"]
