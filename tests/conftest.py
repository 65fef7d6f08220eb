import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402

import envs  # noqa: E402


@pytest.fixture(scope="session")
def game_envs():
    """Every registered game, made once per test session (kernels compile or load once)."""
    return {name: envs.make(name) for name in envs.names()}
