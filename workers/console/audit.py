"""The audit log (`console_audit`, migrations/0019): who changed what, when, for which tenant,
with the values before and after (secrets only as "set"). `record` is the one writer: a
change to a tenant's data is recorded in that change's own transaction (the workers' role,
under the tenant's row-level security, may insert the tenant's audit rows and read none), the
rest (logins, DLQ replays, users) over the admin connection. `recent` reads it back (admin
connection)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from workers.console.access import User


@dataclass(frozen=True)
class Actor:
    name: str  # the user's email, or `cli:<os user>` for a command
    role: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.email, user.role)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


async def record(conn: asyncpg.Connection, actor: Actor, action: str, *,
                 tenant: str | None = None, target: str | None = None,
                 before: Any = None, after: Any = None) -> None:
    """Append one entry (JSON passed as text: the same statement on a pool with or without
    the json codec)."""
    await conn.execute(
        """INSERT INTO console_audit (actor, actor_role, action, tenant, target, before, after)
           VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb)""",
        actor.name, actor.role, action, tenant, target, _json(before), _json(after))


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    tenant: str | None
    target: str | None
    before: Any
    after: Any


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def recent(conn: asyncpg.Connection, tenant: str | None = None,
                 limit: int = 200) -> list[Entry]:
    """The latest entries, newest first (of one tenant, or all)."""
    rows = await conn.fetch(
        """SELECT at, actor, actor_role, action, tenant, target, before, after
             FROM console_audit WHERE $1::text IS NULL OR tenant = $1
            ORDER BY at DESC, audit_id DESC LIMIT $2""", tenant, limit)
    return [Entry(r["at"], r["actor"], r["actor_role"], r["action"], r["tenant"],
                  r["target"], _decoded(r["before"]), _decoded(r["after"])) for r in rows]
