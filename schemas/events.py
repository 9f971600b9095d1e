"""Internal events, one model per fact, named in the past tense.

`ConversationEvent` is what ingestion publishes on `conversation.events`; the other models
are each published on the topic named in `TOPIC_OF`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas import topics
from schemas.envelope import Envelope

Channel = Literal[
    "sms", "email", "call", "voicemail", "gmb", "fb", "ig", "live_chat", "whatsapp", "other"
]
Sender = Literal["lead", "ai", "human", "workflow", "system"]
Direction = Literal["inbound", "outbound"]


class MessageIngested(Envelope):
    """A message of a lead's conversation, in either direction."""

    type: Literal["message.ingested"] = "message.ingested"
    direction: Direction
    channel: Channel
    body: str = ""
    message_id: str | None = None
    conversation_id: str | None = None
    sender: Sender
    user_id: str | None = None
    source: str | None = None
    subject: str | None = None
    status: str | None = None
    attachments: list[str] = Field(default_factory=list)
    # The lead's address the message came from (an inbound SMS's number), when GHL gives it.
    from_address: str | None = None


class ContactSnapshot(BaseModel):
    """The contact as GHL last described it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    source: str | None = None
    assigned_to: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    # None: the webhook did not mention it, which says nothing about it (merged, never
    # overwritten with a default).
    dnd: bool | None = None
    dnd_channels: dict[str, str] | None = Field(
        default=None, description="channel -> active | inactive | permanent"
    )


class ContactChanged(Envelope):
    type: Literal["contact.changed"] = "contact.changed"
    change: Literal["create", "update", "tags", "dnd"]
    contact: ContactSnapshot
    # When GHL changed the contact (`dateUpdated`, else the delivery's `timestamp`): contact
    # state applies in this order, so a late retry never overwrites a newer state.
    changed_at: AwareDatetime | None = None


class ContactDeleted(Envelope):
    type: Literal["contact.deleted"] = "contact.deleted"


class LeadActivityRecorded(Envelope):
    """Opportunities, appointments, notes, tasks, unread counts and unknown types."""

    type: Literal["lead.activity"] = "lead.activity"
    kind: Literal["opportunity", "appointment", "note", "task", "conversation", "unknown"]
    ghl_type: str
    ref_id: str | None = None
    title: str | None = None
    status: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


ConversationEvent = Annotated[
    MessageIngested | ContactChanged | ContactDeleted | LeadActivityRecorded,
    Field(discriminator="type"),
]
CONVERSATION_EVENT: TypeAdapter[ConversationEvent] = TypeAdapter(ConversationEvent)


class MemoryUpdated(Envelope):
    """What the memory worker changed, and whether a lead message awaits a reply."""

    type: Literal["memory.updated"] = "memory.updated"
    changes: list[str] = Field(default_factory=list)
    message_id: str | None = None
    channel: Channel | None = None
    reply_needed: bool = False
    human_takeover: bool = False
    deleted: bool = False


Score = Literal["hot", "warm", "cold"]


class ProfileUpdated(Envelope):
    type: Literal["lead.profile.updated"] = "lead.profile.updated"
    changed: dict[str, Any] = Field(default_factory=dict)
    profile: dict[str, Any] = Field(default_factory=dict)
    score: Score = "cold"
    score_reasons: list[str] = Field(default_factory=list)
    next_questions: list[str] = Field(default_factory=list)
    message_id: str | None = None
    channel: Channel | None = None
    reply_needed: bool = False


class ReplyDrafted(Envelope):
    """A reply for the outbound connector; `idempotency_key` is the inbound message's id."""

    type: Literal["reply.drafted"] = "reply.drafted"
    idempotency_key: str
    channel: Channel
    body: str
    mode: str
    reply_to_message_id: str | None = None
    send_after: AwareDatetime | None = None
    model: str | None = None
    # Claude usage of this reply (all zero / None for a deterministic reply).
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float | None = None


class ReplyDelivered(Envelope):
    """GHL accepted a reply; the memory worker stores it as the AI's message and links the
    `OutboundMessage` echo that GHL sends for it by `ghl_message_id`."""

    type: Literal["reply.delivered"] = "reply.delivered"
    idempotency_key: str
    ghl_message_id: str
    conversation_id: str | None = None
    channel: Channel = "sms"
    body: str = ""


class AgentAssistRequested(Envelope):
    type: Literal["agent.assist"] = "agent.assist"
    # possible_opt_out: a message that may ask to stop, left to a person; reply_stale: a draft
    # not delivered in time, handed to the agent as a suggestion; reply_held: a draft the
    # reply check stopped (workers/consent/reply_check.py), handed to the agent as well;
    # reply_in_doubt: a reply GHL may or may not have sent (no answer proved it), never resent.
    reason: Literal["handoff", "coaching", "human_takeover", "possible_opt_out", "reply_stale",
                    "reply_held", "reply_in_doubt"]
    note: str


class DeadLetter(BaseModel):
    """A record that could not be processed, as read back from `pipeline.dlq`: the record's
    value is the original bytes; the rest travels in its `dlq-*` headers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["dead.letter"] = "dead.letter"
    worker: str
    source_topic: str
    partition: int
    offset: int
    key_b64: str | None = None
    value_b64: str = Field(description="The original bytes, base64.")
    headers: dict[str, str] = Field(default_factory=dict)
    error_type: str
    error: str
    attempts: int
    tenant_id: str | None = None
    dead_lettered_at: datetime
    source_timestamp_ms: int | None = Field(
        default=None, description="When the source record reached the pipeline (its Kafka "
        "timestamp): a replay carries it, so the replay window judges it as it judged the "
        "original.")


TOPIC_OF: dict[type[BaseModel], str] = {
    MessageIngested: topics.CONVERSATION_EVENTS,
    ContactChanged: topics.CONVERSATION_EVENTS,
    ContactDeleted: topics.CONVERSATION_EVENTS,
    LeadActivityRecorded: topics.CONVERSATION_EVENTS,
    MemoryUpdated: topics.MEMORY_UPDATED,
    ProfileUpdated: topics.LEAD_PROFILE_UPDATED,
    ReplyDrafted: topics.REPLIES_OUTBOUND,
    ReplyDelivered: topics.REPLIES_DELIVERED,
    AgentAssistRequested: topics.AGENT_ASSIST,
    DeadLetter: topics.PIPELINE_DLQ,
}
