"""What the ingestion shell runs in its tenant transaction, as a Protocol: `Receipts` (the
real one is `worker.PostgresReceipts`, bound to each transaction's connection; a unit test's
is a fake without SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workers.tenants.model import Status

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
    async def tenant_status(self, tenant: str) -> Status | None:
        """The tenant's lifecycle status; None: no tenant (never installed, never added by
        an operator). Nothing is created."""

    async def claim(self, tenant: str, receipts: Sequence[Receipt]) -> list[Held]:
        """Claim each receipt's key unless it is claimed (one pipelined round trip, each
        claim seeing the ones before it); one `Held` per receipt, in order."""

    async def mark(self, marks: Sequence[Mark]) -> None:
        """Each contact's newest inbound message, unless a newer one is marked."""

    async def install(self, location: str, company: str | None, name: str | None,
                      at: datetime) -> Status:
        """The app's INSTALL for `location` (`workers.tenants.store.install`); the status
        after it."""

    async def uninstall(self, location: str, at: datetime) -> Status | None:
        """The app's UNINSTALL for `location` (`workers.tenants.store.uninstall`) and, when
        it is uninstalled, its GHL tokens deleted; the status after it (None: no tenant)."""

    async def company_locations(self, company: str) -> list[str]:
        """The tenants an agency's INSTALL recorded as its locations."""


class AgencyTokens(Protocol):
    async def forget(self, company: str) -> bool:
        """Delete an agency's own GHL tokens (its agency-level UNINSTALL); True when it had
        some."""
