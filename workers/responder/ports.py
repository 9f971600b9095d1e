"""What the responder shell needs from outside, as Protocols: the statements of its tenant
transactions (`ResponderStatements`: `store`'s reads and the reply's claim in
`workers.replies`, less the connection; the real one is `worker.PostgresResponder`), the
lead's working context (`ContextReader`; the real one is `workers.memory.context.
ContextStore`) and the reply's text (`Compose`: Claude or the fallback; the real one is
`compose.Composer`). The unit tests fake all three (`tests/unit/responder/fake_responder.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from schemas.context import LeadContext
from workers.replies import Reply
from workers.responder.compose import Composition
from workers.responder.modes import Plan
from workers.responder.store import LeadFacts
from workers.responder.tenant import TenantProfile

Published = list[dict[str, Any]]  # the events a claimed reply publishes


class ResponderStatements(Protocol):
    async def published_or_facts(self, tenant: str, contact: str, key: str, today: date,
                                 profile: Mapping[str, Any] | None = None
                                 ) -> tuple[Published | None, LeadFacts | None]:
        """What the reply to `key` published, if it is claimed; else the facts to draft it
        (the listings and sales for the lead's `profile`)."""

    async def contacts_named(self, tenant: str, contact: str,
                             candidates: list[str]) -> list[str]:
        """The tenant's other contacts whose full name is among `candidates`."""

    async def claim(self, row: Reply) -> Published:
        """Store the reply unless its message has one; what the claimed reply publishes."""


class ContextReader(Protocol):
    async def get_context(self, tenant: str, contact: str,
                          holding: str | None = None) -> LeadContext | None: ...


class Compose(Protocol):
    async def compose(self, ctx: LeadContext, tenant: TenantProfile, plan: Plan, channel: str,
                      now: datetime, task: str | None = None) -> Composition: ...
