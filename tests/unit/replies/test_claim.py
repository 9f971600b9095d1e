"""The outbound claim's choice as a table (`workers.replies.claim.claim_action`): what the
SQL shell and the unit fake both do with a locked row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.consent.decision import ConsentDecision
from workers.replies import Action
from workers.replies.claim import claim_action

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
SEND = ConsentDecision("send", "ok")
HOLD = ConsentDecision("hold", "quiet_hours", LATER)
BLOCK = ConsentDecision("block", "opted_out")


@pytest.mark.parametrize(("status", "send_after", "blocked", "consent", "action", "after",
                          "asked"), [
    ("drafted", None, False, SEND, Action.SEND, None, True),
    ("held", NOW, False, SEND, Action.SEND, NOW, True),  # due: consent asked again
    ("drafted", None, False, HOLD, Action.HOLD, LATER, True),  # consent's time wins
    ("held", NOW, False, HOLD, Action.HOLD, LATER, True),
    ("drafted", None, False, BLOCK, Action.BLOCKED, None, True),
    ("drafted", LATER, False, SEND, Action.HOLD, LATER, False),  # not due: consent not asked
    ("held", LATER, False, SEND, Action.WAIT, LATER, False),
    ("sending", None, False, SEND, Action.IN_DOUBT, None, False),  # never resent blindly
    ("sent", None, False, SEND, Action.REPUBLISH, None, False),
    ("failed", None, False, SEND, Action.FAILED, None, False),
    ("suppressed", None, True, SEND, Action.BLOCKED, None, False),  # its notice again
    ("suppressed", None, False, SEND, Action.SKIP, None, False),  # the responder's silence
])
def test_claim_action(status: str, send_after: datetime | None, blocked: bool,
                      consent: ConsentDecision, action: Action, after: datetime | None,
                      asked: bool) -> None:
    calls: list[int] = []

    def ask() -> ConsentDecision:
        calls.append(1)
        return consent

    step = claim_action(status, send_after, NOW, blocked_before=blocked, consent=ask)
    assert (step.action, step.send_after, bool(calls)) == (action, after, asked)
    assert step.verdict == (consent if asked else None)
