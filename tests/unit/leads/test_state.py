"""`workers.leads.state`: the lead from the row each reader embeds, and the one consent
question the responder and the outbound both ask."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from workers.consent.quiet import QuietWindow
from workers.consent_ledger import ALL, NONE, Entry, Kind, Source, fold
from workers.leads import Lead, consent_state
from workers.leads import store as leads
from workers.leads.state import CONTACT_FIELDS, PREFIX, from_row
from workers.responder.tenant import TenantProfile
from workers.tenants import TenantSettings

AT = datetime(2026, 11, 10, 18, tzinfo=UTC)
STOP = Entry("m1:o", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, AT, "m1")


def row(known: bool = True, consent: Any = None, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {PREFIX + name: None for name in CONTACT_FIELDS}
    out[PREFIX + "human_takeover"] = False if known else None
    out.update({PREFIX + "known": known, PREFIX + "consent": consent or []})
    out.update({PREFIX + k: v for k, v in values.items()})
    return out


def test_every_contact_field_is_read_by_the_embedded_columns() -> None:
    sql = leads.columns("$1", "$2")
    for name in CONTACT_FIELDS:
        assert f".{name} AS {PREFIX}{name}" in sql
    assert f"AS {PREFIX}consent" in sql and "consent_events" in sql


def test_an_unknown_contact_is_nothing_known_but_its_recorded_consent() -> None:
    stored = [{"entry_id": "m1:o", "kind": "opted_out", "channel": "all",
               "source": "lead_message", "occurred_at": AT.isoformat(), "source_ref": "m1"}]
    lead = from_row("loc1", "c1", row(known=False, consent=stored))
    assert (lead.known, lead.human_takeover, lead.phone) == (False, False, None)
    assert lead.consent.opted_out_of("sms")  # forgotten contacts keep their opt-out


def test_a_known_contact_carries_its_flags() -> None:
    lead = from_row("loc1", "c1", row(phone="+15125550100", postal_code="79901",
                                      human_takeover=True, first_name="Ana"))
    assert lead == Lead("loc1", "c1", known=True, phone="+15125550100", postal_code="79901",
                        human_takeover=True, first_name="Ana")


CHICAGO = TenantProfile("loc1", reply_channels=frozenset({"sms"}), timezone="America/Chicago",
                        quiet=QuietWindow(time(20), time(9)))


@pytest.mark.parametrize("tenant", [
    CHICAGO,
    TenantSettings("loc1", known=True, ai_enabled=True, reply_channels=frozenset({"sms"}),
                   timezone="America/Chicago", no_texts_from=time(20),
                   no_texts_until=time(9)),
])
def test_both_slices_of_the_tenant_ask_the_same_question(tenant: Any) -> None:
    lead = Lead("loc1", "c1", known=True, phone="+19155550100", state="TX",
                consent=fold([STOP]))
    state = consent_state(tenant, lead, later_messages=("hello?",), in_flight=True,
                          texts_24h=2)
    assert (state.ai_enabled, state.reply_channels, state.tenant_quiet) == (
        True, frozenset({"sms"}), QuietWindow(time(20), time(9)))
    assert state.ledger.opted_out_of("sms") and state.human_takeover is False
    assert (state.later_messages, state.in_flight, state.texts_24h) == (("hello?",), True, 2)


def test_the_postal_code_counts_where_the_lead_may_be() -> None:
    """El Paso's ZIP puts a Texas lead in Mountain time too: both deciders see it (the
    responder read only the cached contact before, without the postal code)."""
    near = consent_state(CHICAGO, Lead("loc1", "c1", known=True, state="TX"))
    far = consent_state(CHICAGO, Lead("loc1", "c1", known=True, state="TX",
                                      postal_code="79901"))
    assert set(map(str, far.where.zones)) >= set(map(str, near.where.zones))
    assert "America/Denver" in set(map(str, far.where.zones))


def test_nothing_known_asks_with_nothing_recorded() -> None:
    state = consent_state(CHICAGO, Lead("loc1", "c1"))
    assert state.ledger == NONE and state.human_takeover is False
