"""Joining Ray: a ray:// server that fails to start a session is tried again, and its reason is said."""

import pytest

ray = pytest.importorskip("ray")

from evo.ray import connect as _connect  # noqa: E402

FAILURE = "Initialization failure from server:\nTraceback (most recent call last):\n  ...\nRuntimeError: no channel"


@pytest.fixture
def attempts(monkeypatch):
    calls = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(_connect, "CLIENT_PAUSE", 0.0)
    return calls


def test_a_session_the_server_failed_to_start_is_tried_again(attempts, monkeypatch):
    def init(**kwargs):
        attempts.append(kwargs["address"])
        if len(attempts) < _connect.CLIENT_ATTEMPTS:
            raise ConnectionAbortedError(FAILURE)

    monkeypatch.setattr(ray, "init", init)
    _connect.connect("ray://127.0.0.1:10001")
    assert attempts == ["ray://127.0.0.1:10001"] * _connect.CLIENT_ATTEMPTS


def test_the_last_failure_says_the_server_s_reason_in_one_line(attempts, monkeypatch):
    def init(**kwargs):
        attempts.append(kwargs["address"])
        raise ConnectionAbortedError(FAILURE)

    monkeypatch.setattr(ray, "init", init)
    with pytest.raises(ValueError) as e:
        _connect.connect("ray://127.0.0.1:10001")
    assert len(attempts) == _connect.CLIENT_ATTEMPTS
    assert "\n" not in str(e.value)
    assert str(e.value).startswith("cannot connect to Ray at ray://127.0.0.1:10001: Initialization failure from "
                                   "server: RuntimeError: no channel")


def test_a_refused_connection_is_not_tried_again(attempts, monkeypatch):
    def init(**kwargs):
        attempts.append(kwargs["address"])
        raise ConnectionError("Failed to connect to GCS at 127.0.0.1:1")

    monkeypatch.setattr(ray, "init", init)
    with pytest.raises(ValueError, match="cannot connect to Ray at 127.0.0.1:1: Failed to connect to GCS"):
        _connect.connect("127.0.0.1:1")
    assert len(attempts) == 1
