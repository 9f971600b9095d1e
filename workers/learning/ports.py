"""What the learning shell needs from outside, as Protocols: the statements of its tenant
transactions (`LearningStatements`: the reads of `store.Reads`, the facts and profile writes,
less the connection, plus the idempotency ledger; the real one is `worker.PostgresLearning`)
and the working-context cache it puts the profiles in after the commit (`ProfileCache`; the
real one is `workers.memory.context.ContextStore`). The unit tests fake both
(`tests/unit/learning_worker/fake_learning.py`); Claude is the handler's `Refine` callable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from schemas.context import ProfilePart
from workers.learning.assess import Assessment
from workers.learning.core import Row
from workers.runtime.processed import Ledger
from workers.tenants import TenantSettings


class LearningStatements(Ledger, Protocol):
    """The reads are read once per transaction (the writes here never change them)."""

    async def settings(self, tenant: str) -> TenantSettings: ...

    async def messages(self, tenant: str, contact: str) -> Sequence[Row]:
        """The lead's message rows in order, each saying whether it has an appointment."""

    async def facts(self, tenant: str, contact: str) -> dict[str, Any]:
        """The lead's current facts (kept current by `stated`)."""

    def stated(self, tenant: str, contact: str, spec: dict[str, Any]) -> None:
        """The lead's current facts are now `spec`'s stated fields."""

    async def write_versions(self, tenant: str, contact: str, changed: dict[str, Any], *,
                             at: datetime, sources: dict[str, str | None], event_id: str,
                             confidence: dict[str, float]) -> None: ...

    async def save_profile(self, tenant: str, contact: str, spec: dict[str, Any],
                           result: Assessment) -> tuple[int, str | None]:
        """The profile row's new version, and the score it had before (None: a new row)."""

    async def load_profile(self, tenant: str, contact: str) -> ProfilePart: ...


class ProfileCache(Protocol):
    async def put_many(self, parts: Sequence[ProfilePart]) -> bool: ...
