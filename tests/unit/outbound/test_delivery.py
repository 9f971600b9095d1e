"""The claim's decision table: at most once per idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.outbound.delivery import Action, decide

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER, EARLIER = NOW + timedelta(hours=8), NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "send_after", "action"),
    [
        ("drafted", None, Action.SEND),
        ("drafted", EARLIER, Action.SEND),
        ("drafted", NOW, Action.SEND),
        ("drafted", LATER, Action.HOLD),
        ("held", LATER, Action.WAIT),
        ("held", EARLIER, Action.SEND),
        ("sending", None, Action.IN_DOUBT),  # a crash mid-send: never resend blindly
        ("sending", LATER, Action.IN_DOUBT),
        ("sent", None, Action.REPUBLISH),
        ("failed", None, Action.FAILED),
        ("cancelled", None, Action.SKIP),
    ],
)
def test_decide(status: str, send_after: datetime | None, action: Action) -> None:
    assert decide(status, send_after, NOW) is action
