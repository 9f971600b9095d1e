"""Rows of the memory tables as the context model: the one mapping from a `contacts` row (and
the lead's recent messages) to a `MemoryPart`, shared by the single-lead and the
many-leads reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from schemas.context import ContactInfo, ContextMessage, MemoryPart


def memory_part(tenant: str, contact: str, c: Mapping[str, Any],
                recent: Sequence[ContextMessage]) -> MemoryPart:
    """`c` is a `contacts` row (or a row with its columns); `recent` oldest first."""
    return MemoryPart(
        tenant_id=tenant, contact_id=contact,
        contact=ContactInfo(first_name=c["first_name"], name=c["name"], phone=c["phone"],
                            email=c["email"], timezone=c["timezone"], state=c["state"],
                            tags=list(c["tags"]), assigned_to=c["assigned_to"]),
        recent=list(recent), summary=c["summary"], message_count=c["message_count"],
        dnd=c["dnd"], dnd_channels=c["dnd_channels"], human_takeover=c["human_takeover"],
        last_inbound_at=c["last_inbound_at"],
    )
