"""The envelope every internal event carries, and stable event ids.

`event_id` is derived from the input an event came from (uuid5), so a re-run of any stage
yields the same ids and every write downstream can be idempotent on `(tenant_id, event_id)`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = 1
_NAMESPACE: Final = uuid.UUID("5b0c4f3e-6a43-4f1c-9d0e-6c1e8d2f7a10")


def derive_event_id(*parts: str) -> str:
    """A deterministic id for the event produced from `parts` (source id, stage, ...)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Fields shared by every internal event; subclasses add `type` and their payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1)
    tenant_id: str = Field(min_length=1)
    contact_id: str | None = None
    occurred_at: AwareDatetime
    received_at: AwareDatetime = Field(
        description="When the pipeline received the webhook this event descends from."
    )
    causation_id: str | None = None
    schema_version: int = SCHEMA_VERSION
