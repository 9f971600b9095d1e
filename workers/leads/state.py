"""A lead as every consent question reads it: the contact's stored flags and its recorded
consent (the consent ledger's fold), and the one function that turns them, with the
tenant's settings, into the state `workers.consent.decision.decide` rules on.

Pure. The row comes from `store.columns` embedded in each reader's own statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from workers.consent.decision import ConsentState, lead_state
from workers.consent.quiet import QuietWindow
from workers.consent_ledger import NONE, Consent
from workers.consent_ledger import store as ledger
from workers.db.tenant import json_value

PREFIX = "lead__"
CONTACT_FIELDS = ("first_name", "last_name", "name", "email", "phone", "timezone", "state",
                  "postal_code", "source", "assigned_to", "human_takeover", "tags",
                  "custom_fields")


@dataclass(frozen=True)
class Lead:
    tenant_id: str
    contact_id: str
    known: bool = False  # a contacts row exists
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    state: str | None = None
    postal_code: str | None = None
    source: str | None = None
    assigned_to: str | None = None
    human_takeover: bool = False  # an agent stepped in: no automated text
    tags: tuple[str, ...] = ()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)  # GHL field id -> value
    consent: Consent = NONE  # the lead's recorded consent (the ledger's fold)


def from_row(tenant_id: str, contact_id: str, row: Mapping[str, Any]) -> Lead:
    """The lead from a row carrying `store.columns` (no contact row: nothing known)."""
    consent = ledger.consent_of(row[PREFIX + "consent"])
    if not row[PREFIX + "known"]:
        return Lead(tenant_id, contact_id, consent=consent)
    values = {name: row[PREFIX + name] for name in CONTACT_FIELDS}
    values["human_takeover"] = bool(values["human_takeover"])
    values["tags"] = tuple(values["tags"] or ())
    values["custom_fields"] = dict(json_value(values["custom_fields"]) or {})
    return Lead(tenant_id, contact_id, known=True, consent=consent, **values)


class SendSettings(Protocol):
    """What a consent question needs of the tenant's settings (`workers.tenants`)."""

    @property
    def ai_enabled(self) -> bool: ...

    @property
    def reply_channels(self) -> frozenset[str]: ...

    @property
    def timezone(self) -> str | None: ...

    @property
    def quiet(self) -> QuietWindow | None: ...

    @property
    def uninstalled(self) -> bool: ...


def consent_state(tenant: SendSettings, lead: Lead, *, later_messages: Sequence[str] = (),
                  in_flight: bool = False, texts_24h: int = 0) -> ConsentState:
    """What consent rests on, for the responder when it drafts and for the outbound when it
    claims: the tenant's switches and quiet hours, the lead's flags, every zone it may be in,
    its recorded consent; the outbound adds what happened since the message answered. A
    tenant that uninstalled the app is asked about too: nothing is sent for it."""
    return lead_state(
        ai_enabled=tenant.ai_enabled, reply_channels=tenant.reply_channels,
        human_takeover=lead.human_takeover, ledger=lead.consent, contact_tz=lead.timezone,
        phone=lead.phone, state=lead.state, postal_code=lead.postal_code,
        tenant_tz=tenant.timezone, tenant_quiet=tenant.quiet,
        later_messages=later_messages, in_flight=in_flight, texts_24h=texts_24h,
        uninstalled=tenant.uninstalled)
