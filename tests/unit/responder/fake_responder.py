"""The responder shell's outside in memory: `ResponderStatements` (the claimed replies as a
dict: the first claim of a message wins and a later one gets its events, as the `replies`
insert does; the lead facts and the other contacts' names as the test sets them),
`ContextReader` (the leads' contexts) and `Compose` (scripted texts, each call journaled,
in flight counted). Every decision stays with the code under test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from schemas.context import LeadContext
from tests.unit.runtime.fake_store import Entry, FakeTransactions
from workers.replies import Reply
from workers.responder.compose import Composition
from workers.responder.modes import Plan
from workers.responder.ports import Published
from workers.responder.store import LeadFacts
from workers.responder.tenant import TenantProfile


class FakeResponder(FakeTransactions):
    KEPT: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self, facts: LeadFacts, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.facts = facts
        self.rows: dict[tuple[str, str], Reply] = {}  # (tenant, idempotency key) -> claimed
        self.contacts: list[str] = []  # the full names of the tenant's other contacts
        self.profiles: list[Mapping[str, Any] | None] = []  # the profiles facts were read for

    async def published_or_facts(self, tenant: str, contact: str, key: str, today: date,
                                 profile: Mapping[str, Any] | None = None
                                 ) -> tuple[Published | None, LeadFacts | None]:
        self.note("published_or_facts", tenant, contact, key, today)
        self.profiles.append(profile)
        row = self.rows.get((tenant, key))
        return (list(row.published), None) if row is not None else (None, self.facts)

    async def contacts_named(self, tenant: str, contact: str,
                             candidates: list[str]) -> list[str]:
        self.note("contacts_named", tenant, contact)
        return [name for name in self.contacts if name.lower() in candidates]

    async def claim(self, row: Reply) -> Published:
        self.note("claim", row.tenant_id, row.idempotency_key, row.status)
        held = self.rows.setdefault((row.tenant_id, row.idempotency_key), row)
        return list(held.published)


class FakeContexts:
    """`ContextReader` over the contexts the test put."""

    def __init__(self, journal: list[Entry]) -> None:
        self.journal = journal
        self.held: dict[tuple[str, str], LeadContext] = {}

    async def get_context(self, tenant: str, contact: str,
                          holding: str | None = None) -> LeadContext | None:
        self.journal.append(("get_context", tenant, contact, holding))
        return self.held.get((tenant, contact))


class FakeComposer:
    """`Compose`: answers `text` (or `texts[contact]`) as Claude would (outcome "ok") unless
    `outcome` says it fell back; `before` runs in the call (another drafter's claim, say);
    `fail` makes the call for those contacts raise."""

    def __init__(self, journal: list[Entry], text: str = "Great! When are you hoping to move?",
                 outcome: str = "ok") -> None:
        self.journal = journal
        self.text, self.outcome = text, outcome
        self.texts: dict[str, str] = {}
        self.fail: dict[str, BaseException] = {}
        self.before: list[Callable[[], None]] = []
        self.in_flight = self.most_in_flight = 0

    async def compose(self, ctx: LeadContext, tenant: TenantProfile, plan: Plan, channel: str,
                      now: datetime, task: str | None = None) -> Composition:
        contact = ctx.memory.contact_id
        self.journal.append(("compose", tenant.tenant_id, contact, plan.mode, channel))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # a network call: other leads' drafts may overlap it
            for step in self.before:
                step()
            if contact in self.fail:
                raise self.fail[contact]
        finally:
            self.in_flight -= 1
        model = "claude-test" if self.outcome == "ok" else None
        return Composition(self.texts.get(contact, self.text), self.outcome, model)
