"""What the ingestion shell runs in its tenant transaction, as a Protocol: `Receipts` (the
real one is `worker.PostgresReceipts`, bound to each transaction's connection; a unit test's
is a fake without SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

Position = tuple[int, int]  # (partition, offset) of a `ghl.events` record
# An inbound mark: (tenant, contact, event_id, message_id, occurred_at); see `inbound_marks`.
Mark = tuple[str, str, str, str | None, datetime]


@dataclass(frozen=True)
class Receipt:
    """A delivery's claim on its dedupe key: the `webhook_receipts` row it would insert."""

    dedupe_key: str
    event_id: str
    event_type: str
    position: Position  # the record the claim belongs to (a replay's: the original's)


@dataclass(frozen=True)
class Held:
    """A dedupe key's claim after `claim`: the record that holds it, and whether this
    receipt made it just now."""

    position: Position
    claimed: bool


class Receipts(Protocol):
    async def ensure_tenant(self, tenant: str) -> None:
        """The tenant's row, created on first sight."""

    async def claim(self, tenant: str, receipts: Sequence[Receipt]) -> list[Held]:
        """Claim each receipt's key unless it is claimed (one pipelined round trip, each
        claim seeing the ones before it); one `Held` per receipt, in order."""

    async def mark(self, marks: Sequence[Mark]) -> None:
        """Each contact's newest inbound message, unless a newer one is marked."""
