"""A lead's working context: what the learning worker and the responder read per message.

Two parts with one writer each: the memory part (contact, recent messages, summary, flags)
written by the memory worker, and the profile part written by the learning worker. Both are
cached in Redis under tenant-namespaced keys and rebuilt from Postgres on a miss.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.events import Channel, Direction, Sender

RECENT_MESSAGES = 20


class ContextMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    direction: Direction
    sender: Sender
    channel: Channel
    body: str
    at: AwareDatetime
    message_id: str | None = None


class ContactInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_name: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    state: str | None = None
    tags: list[str] = Field(default_factory=list)
    assigned_to: str | None = None


class MemoryPart(BaseModel):
    """Written by the memory worker on every change."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    contact_id: str
    contact: ContactInfo = Field(default_factory=ContactInfo)
    recent: list[ContextMessage] = Field(default_factory=list)
    summary: str = ""
    message_count: int = 0
    dnd: bool = False
    dnd_channels: dict[str, str] = Field(default_factory=dict)
    human_takeover: bool = False
    last_inbound_at: AwareDatetime | None = None


class ProfilePart(BaseModel):
    """Written by the learning worker when the profile changes."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    contact_id: str
    profile: dict[str, Any] = Field(default_factory=dict)
    score: str = "cold"
    score_reasons: list[str] = Field(default_factory=list)
    qualification: dict[str, Any] = Field(default_factory=dict)
    next_questions: list[str] = Field(default_factory=list)
    version: int = 0


class LeadContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    memory: MemoryPart
    profile: ProfilePart
