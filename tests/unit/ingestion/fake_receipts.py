"""`Receipts` in memory for the ingestion shell's tests: the `webhook_receipts` claims as a
dict (a key already held answers with its holder, as `ON CONFLICT DO NOTHING` does) and the
inbound marks as they were written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from tests.unit.runtime.fake_store import Entry, FakeTransactions
from workers.ingestion.ports import Held, Mark, Position, Receipt


class FakeReceipts(FakeTransactions):
    KEPT: ClassVar[tuple[str, ...]] = ("claims", "marks")

    def __init__(self, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.claims: dict[tuple[str, str], Position] = {}  # (tenant, dedupe key) -> holder
        self.marks: list[Mark] = []
        self.rows_lost = 0  # the next `claim` answers this many rows fewer

    async def ensure_tenant(self, tenant: str) -> None:
        self.note("ensure_tenant", tenant)

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
