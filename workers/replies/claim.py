"""The outbound claim's choice (pure): send, hold, block or leave a reply found in a status,
given the consent decision taken at that moment. `outbound.delivery.ReplyStore.claim` (the
SQL shell) and the unit tests' in-memory fake both call it, so the fake cannot pass while
the real rule changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from workers.consent.decision import ConsentDecision
from workers.replies.status import Action, Status, decide


@dataclass(frozen=True)
class ClaimStep:
    action: Action
    send_after: datetime | None  # a hold's new time (consent's), else as it was
    verdict: ConsentDecision | None = None  # decided by this claim (None: not asked)


def claim_action(status: str, send_after: datetime | None, now: datetime, *,
                 blocked_before: bool,
                 consent: Callable[[], ConsentDecision]) -> ClaimStep:
    """What the claim does with a locked row: consent is asked (`consent()`) only when the
    status machine says the reply may go now; a row blocked at an earlier claim is blocked
    again (its notice re-published), without asking."""
    action = decide(status, send_after, now)
    if action is Action.SEND:
        verdict = consent()
        if verdict.verdict == "hold":
            return ClaimStep(Action.HOLD, verdict.until, verdict)
        if verdict.verdict == "block":
            return ClaimStep(Action.BLOCKED, send_after, verdict)
        return ClaimStep(Action.SEND, send_after, verdict)
    if status == Status.SUPPRESSED and blocked_before:
        return ClaimStep(Action.BLOCKED, send_after)
    return ClaimStep(action, send_after)
