"""The learning shell's outside in memory: `LearningStatements` (the ledger, each lead's
message rows and current facts, the profile rows; every call journaled) and `ProfileCache`
(journaled), plus a scripted `Refine` standing in for Claude. The test sets up what Postgres
holds (`say`, `settings_of`); what is extracted, changed, scored and published is decided by
the code under test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from schemas.context import ProfilePart
from tests.unit.runtime.fake_store import Entry, FakeLedger
from workers.learning.assess import Assessment
from workers.learning.core import Row
from workers.learning.extract.model import Area, LeadProfile, Message
from workers.tenants import TenantSettings

Lead = tuple[str, str]  # (tenant, contact)


class FakeLearning(FakeLedger):
    KEPT: ClassVar[tuple[str, ...]] = ("ledger", "current", "profiles")

    def __init__(self, journal: list[Entry] | None = None) -> None:
        super().__init__(journal)
        self.rows: dict[Lead, list[Row]] = {}
        self.settings_of: dict[str, TenantSettings] = {}
        self.current: dict[Lead, dict[str, Any]] = {}  # the lead's current facts
        self.profiles: dict[Lead, tuple[ProfilePart, int]] = {}  # (row as cached, version)
        self.fail: dict[str, BaseException] = {}

    def _call(self, *entry: Any) -> None:
        self.note(*entry)
        if entry[0] in self.fail:
            raise self.fail[entry[0]]

    def say(self, tenant: str, contact: str, body: str, at: datetime, *,
            direction: str = "inbound", message_id: str | None = None) -> str:
        """A message the memory worker stored; returns its id."""
        rows = self.rows.setdefault((tenant, contact), [])
        message_id = message_id or f"m-{len(rows) + 1}"
        rows.append({"direction": direction, "channel": "sms", "body": body,
                     "message_id": message_id, "occurred_at": at, "appointment": False})
        return message_id

    async def settings(self, tenant: str) -> TenantSettings:
        self._call("settings", tenant)
        return self.settings_of.get(tenant, TenantSettings(tenant_id=tenant, known=True))

    async def messages(self, tenant: str, contact: str) -> Sequence[Row]:
        self._call("messages", tenant, contact)
        return list(self.rows.get((tenant, contact), []))

    async def facts(self, tenant: str, contact: str) -> dict[str, Any]:
        self._call("facts", tenant, contact)
        return dict(self.current.get((tenant, contact), {}))

    def stated(self, tenant: str, contact: str, spec: dict[str, Any]) -> None:
        self._call("stated", tenant, contact)

    async def write_versions(self, tenant: str, contact: str, changed: dict[str, Any], *,
                             at: datetime, sources: dict[str, str | None], event_id: str,
                             confidence: dict[str, float]) -> None:
        self._call("write_versions", tenant, contact, tuple(sorted(changed)), event_id,
                   dict(confidence))
        held = self.current.setdefault((tenant, contact), {})
        for field, value in changed.items():
            if value is None:
                held.pop(field, None)
            else:
                held[field] = value

    async def save_profile(self, tenant: str, contact: str, spec: dict[str, Any],
                           result: Assessment) -> tuple[int, str | None]:
        self._call("save_profile", tenant, contact)
        old = self.profiles.get((tenant, contact))
        version = old[1] + 1 if old else 1
        part = ProfilePart(tenant_id=tenant, contact_id=contact, profile=spec,
                           score=result.score, version=version)
        self.profiles[(tenant, contact)] = (part, version)
        return version, old[0].score if old else None

    async def load_profile(self, tenant: str, contact: str) -> ProfilePart:
        self._call("load_profile", tenant, contact)
        held = self.profiles.get((tenant, contact))
        return held[0] if held else ProfilePart(tenant_id=tenant, contact_id=contact)


class FakeProfileCache:
    """`ProfileCache`: journals each `put_many` and keeps the parts put."""

    def __init__(self, journal: list[Entry]) -> None:
        self.journal = journal
        self.parts: list[ProfilePart] = []

    async def put_many(self, parts: Sequence[ProfilePart]) -> bool:
        self.journal.append(("cache.put_many", tuple((p.contact_id, p.version) for p in parts)))
        self.parts += parts
        return True


class ScriptedClaude:
    """A `Refine`: notes each call in the journal (so a test sees it falls between two
    transactions), and adds `adds` to the profile as Claude's fields."""

    def __init__(self, journal: list[Entry], adds: dict[str, Any]) -> None:
        self.journal = journal
        self.adds = adds
        self.calls: list[tuple[str, TenantSettings, int]] = []  # tenant, settings, messages
        self.during: list[Any] = []  # run in the call (another consumer's doing, say)

    async def __call__(self, tenant: str, settings: TenantSettings, messages: list[Message],
                       areas: list[Area], now: datetime, profile: LeadProfile
                       ) -> tuple[LeadProfile, set[str]]:
        self.journal.append(("refine", tenant))
        self.calls.append((tenant, settings, len(messages)))
        for step in self.during:
            step()
        return profile.model_copy(update=self.adds), set(self.adds)
