"""`Receipts` in memory for the ingestion shell's tests: the `webhook_receipts` claims as a
dict (a key already held answers with its holder, as `ON CONFLICT DO NOTHING` does), the
inbound marks as they were written, and the tenants' lifecycle (`tenants`: location ->
status, moved by the real `workers.tenants.lifecycle` as `store.install/uninstall` do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from tests.unit.runtime.fake_store import Entry, FakeTransactions
from workers.ingestion.ports import Held, Mark, Position, Receipt
from workers.tenants import lifecycle
from workers.tenants.lifecycle import Lifecycle
from workers.tenants.model import Status


class FakeReceipts(FakeTransactions):
    KEPT: ClassVar[tuple[str, ...]] = ("claims", "marks", "tenants", "tokens")

    def __init__(self, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.claims: dict[tuple[str, str], Position] = {}  # (tenant, dedupe key) -> holder
        self.marks: list[Mark] = []
        self.rows_lost = 0  # the next `claim` answers this many rows fewer
        self.tenants: dict[str, Lifecycle] = {}
        self.companies: dict[str, str] = {}  # location -> the company its INSTALL named
        self.tokens: set[str] = set()  # locations with stored GHL tokens

    def add(self, *locations: str, status: Status = "live") -> None:
        """Tenants as an operator (or an earlier INSTALL) left them."""
        for location in locations:
            self.tenants[location] = Lifecycle(status, status == "live")

    async def tenant_status(self, tenant: str) -> Status | None:
        self.note("tenant_status", tenant)
        found = self.tenants.get(tenant)
        return None if found is None else found.status

    async def install(self, location: str, company: str | None, name: str | None,
                      at: datetime) -> Status:
        self.note("install", location, company)
        current = self.tenants.get(location)
        new = lifecycle.install(current, at) or current
        assert new is not None
        self.tenants[location] = new
        if company:
            self.companies[location] = company
        return new.status

    async def uninstall(self, location: str, at: datetime) -> Status | None:
        self.note("uninstall", location)
        current = self.tenants.get(location)
        new = lifecycle.uninstall(current, at) or current
        if new is None:
            return None
        self.tenants[location] = new
        if new.status == "uninstalled":
            self.tokens.discard(location)
        return new.status

    async def company_locations(self, company: str) -> list[str]:
        self.note("company_locations", company)
        return sorted(loc for loc, c in self.companies.items() if c == company)

    async def claim(self, tenant: str, receipts: Sequence[Receipt]) -> list[Held]:
        self.note("claim", tenant, tuple(r.dedupe_key for r in receipts))
        held = []
        for r in receipts:
            key = (tenant, r.dedupe_key)
            if key in self.claims:
                held.append(Held(self.claims[key], False))
            else:
                self.claims[key] = r.position
                held.append(Held(r.position, True))
        lost, self.rows_lost = self.rows_lost, 0
        return held[:len(held) - lost]

    async def mark(self, marks: Sequence[Mark]) -> None:
        self.note("mark", tuple((m[1], m[2]) for m in marks))
        self.marks += marks
