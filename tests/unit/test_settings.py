"""Settings that only make sense together are rejected together, with a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workers.settings import Settings


def test_heartbeat_must_be_below_the_session_timeout() -> None:
    with pytest.raises(ValidationError, match=r"heartbeat_interval_ms \(6000\) must be below"):
        Settings(session_timeout_ms=6_000, heartbeat_interval_ms=6_000)


def test_the_defaults_heartbeat_three_times_per_session() -> None:
    settings = Settings()
    assert settings.heartbeat_interval_ms * 3 == settings.session_timeout_ms


def test_the_session_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_SESSION_TIMEOUT_MS", "9000")
    monkeypatch.setenv("LEADMEM_HEARTBEAT_INTERVAL_MS", "3000")
    settings = Settings()
    assert (settings.session_timeout_ms, settings.heartbeat_interval_ms) == (9000, 3000)
