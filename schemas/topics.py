"""The one registry of topic names. Every record on every topic is keyed by the tenant id."""

from __future__ import annotations

from typing import Final

GHL_EVENTS: Final = "ghl.events"
CONVERSATION_EVENTS: Final = "conversation.events"
MEMORY_UPDATED: Final = "memory.updated"
LEAD_PROFILE_UPDATED: Final = "lead.profile.updated"
REPLIES_OUTBOUND: Final = "replies.outbound"
REPLIES_DELIVERED: Final = "replies.delivered"
AGENT_ASSIST: Final = "agent.assist"
PIPELINE_DLQ: Final = "pipeline.dlq"

ALL_TOPICS: Final[tuple[str, ...]] = (
    GHL_EVENTS,
    CONVERSATION_EVENTS,
    MEMORY_UPDATED,
    LEAD_PROFILE_UPDATED,
    REPLIES_OUTBOUND,
    REPLIES_DELIVERED,
    AGENT_ASSIST,
    PIPELINE_DLQ,
)

# Header names that let tools route a record without decoding it.
HEADER_TENANT: Final = "tenant-id"
HEADER_EVENT_TYPE: Final = "event-type"
