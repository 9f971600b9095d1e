"""Session tokens, expiry and CSRF tokens (pure), as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.console import sessions

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIFE = sessions.Lifetime(ttl=timedelta(hours=8), idle=timedelta(minutes=30))


@pytest.mark.parametrize(("last_seen", "now", "state"), [
    (T0, T0, "valid"),
    (T0, T0 + timedelta(minutes=29, seconds=59), "valid"),
    (T0, T0 + timedelta(minutes=30), "idle"),
    (T0 + timedelta(hours=7, minutes=50), T0 + timedelta(hours=7, minutes=59), "valid"),
    (T0 + timedelta(hours=7, minutes=59), T0 + timedelta(hours=8), "expired"),  # however active
    (T0, T0 + timedelta(hours=9), "expired"),
])
def test_state(last_seen: datetime, now: datetime, state: str) -> None:
    assert sessions.state(T0, last_seen, now, LIFE) == state


@pytest.mark.parametrize(("seconds", "touch"), [(0, False), (59, False), (60, True),
                                               (3600, True)])
def test_last_use_is_written_at_most_once_a_minute(seconds: int, touch: bool) -> None:
    assert sessions.needs_touch(T0, T0 + timedelta(seconds=seconds)) is touch


def test_tokens_are_random_and_only_their_hash_is_kept() -> None:
    a, b = sessions.new_token(), sessions.new_token()
    assert a != b and len(a) >= 43
    assert sessions.token_hash(a) == sessions.token_hash(a) != sessions.token_hash(b)
    assert a not in sessions.token_hash(a) and len(sessions.token_hash(a)) == 64


@pytest.mark.parametrize(("token", "submitted", "ok"), [
    ("tok-a", sessions.csrf_token("tok-a"), True),
    ("tok-a", sessions.csrf_token("tok-b"), False),  # another session's token
    ("tok-a", sessions.csrf_token("tok-a")[:-1], False),
    ("tok-a", sessions.csrf_token("tok-a").upper(), False),
    ("tok-a", "", False),
    ("tok-a", None, False),
    (None, sessions.csrf_token("tok-a"), False),
    ("", sessions.csrf_token(""), False),
    ("tok-a", "ünïcode", False),  # not ASCII: refused, not an error
])
def test_csrf(token: str | None, submitted: str | None, ok: bool) -> None:
    assert sessions.csrf_ok(token, submitted) is ok


def test_the_csrf_token_reveals_nothing_of_the_session_token() -> None:
    token = sessions.new_token()
    assert token not in sessions.csrf_token(token)
    assert sessions.csrf_token(token) != sessions.token_hash(token)
