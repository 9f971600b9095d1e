"""The outbound claim refuses every reply of a tenant that uninstalled the app (issue #25),
however and whenever it was drafted: the claim's own consent question (`delivery.consent_of`
over the locked row, then `claim_action`) reads the tenant's status in the same row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.consent.decision import decide
from workers.leads.state import CONTACT_FIELDS
from workers.leads.state import PREFIX as LEAD
from workers.outbound.delivery import consent_of
from workers.replies import Action
from workers.replies.claim import claim_action
from workers.tenants.model import PREFIX as TENANT
from workers.tenants.model import SETTINGS_FIELDS, TENANT_FIELDS

NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 11:00 in Chicago


def locked(status: str, **tenant: Any) -> dict[str, Any]:
    """A locked reply row as `delivery._LOCK` reads it: a lead in Texas who wrote a minute
    ago, of a tenant with AI on in `status`."""
    row: dict[str, Any] = {TENANT + n: None for n in (*TENANT_FIELDS, *SETTINGS_FIELDS)}
    row.update({TENANT + "known": True, TENANT + "ai_enabled": True, TENANT + "status": status})
    row.update({TENANT + k: v for k, v in tenant.items()})
    row.update({LEAD + n: None for n in CONTACT_FIELDS})
    row.update({LEAD + "known": True, LEAD + "human_takeover": False, LEAD + "state": "TX",
                LEAD + "timezone": "America/Chicago", LEAD + "consent": []})
    row.update({"tenant_id": "loc1", "contact_id": "c1", "later_messages": [],
                "in_flight": False, "texts_24h": 0, "due_at": NOW - timedelta(minutes=1),
                "reply_to_message_id": "m1"})
    return row


@pytest.mark.parametrize(("status", "reply_status", "action", "reason"), [
    ("live", "drafted", Action.SEND, "ok"),
    ("installed", "drafted", Action.BLOCKED, "ai_disabled"),  # AI off until live (below)
    # Drafted, or held for quiet hours, before the UNINSTALL: refused at the claim.
    ("uninstalled", "drafted", Action.BLOCKED, "uninstalled"),
    ("uninstalled", "held", Action.BLOCKED, "uninstalled"),
])
def test_the_claim_refuses_an_uninstalled_tenant_s_reply(
        status: str, reply_status: str, action: Action, reason: str) -> None:
    row = locked(status, ai_enabled=status != "installed")
    if status == "uninstalled":  # however its AI switch was left (the status decides)
        row[TENANT + "ai_enabled"] = True
    step = claim_action(reply_status, NOW if reply_status == "held" else None, NOW,
                        blocked_before=False,
                        consent=lambda: decide(*consent_of(row, "sms", "buyer"), NOW))
    assert step.action is action
    assert step.verdict is not None and step.verdict.reason == reason


def test_not_even_an_opt_out_confirmation_goes_out_for_it() -> None:
    out, state = consent_of(locked("uninstalled"), "sms", "opt_out_confirmation")
    assert out.confirmation and state.uninstalled
    assert decide(out, state, NOW).reason == "uninstalled"
