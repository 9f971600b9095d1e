"""Every statement of `console_users` and `console_sessions` (migrations/0019), the one writer:
users added, disabled and enabled (`leadmem console user ...`), passwords rehashed, sessions
opened, used, closed and pruned. All over the admin connection (the workers' role sees
neither table): each function takes a connection or a pool of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import asyncpg

from workers.console.access import ROLES, Role, User
from workers.console.sessions import Lifetime

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_USER_COLUMNS = "u.user_id, u.email, u.role, u.tenant, u.disabled_at IS NOT NULL AS disabled"


class AccountError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


def normal_email(text: str) -> str:
    """An account's address as it is kept (trimmed, lower case); `AccountError` if it is
    not one."""
    email = text.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise AccountError(f"{text!r} is not an email address")
    return email


def _user(row: Any) -> User:
    role = row["role"]
    assert role in ROLES
    return User(row["user_id"], row["email"], cast(Role, role), row["tenant"],
                bool(row["disabled"]))


async def add_user(conn: asyncpg.Connection, email: str, password_hash: str, role: Role,
                   tenant: str | None) -> User:
    """A new user; `AccountError` when the address is taken, the role and tenant do not go
    together, or the tenant does not exist."""
    if role not in ROLES:
        raise AccountError(f"role {role!r}: choose operator or agency")
    if (role == "agency") != (tenant is not None):
        raise AccountError("an agency admin needs --tenant (its one tenant); an operator "
                           "sees every tenant and takes none")
    if tenant is not None and not await conn.fetchval(
            "SELECT true FROM tenants WHERE id = $1", tenant):
        raise AccountError(f"no tenant {tenant!r}")
    row = await conn.fetchrow(
        f"""INSERT INTO console_users AS u (email, password_hash, role, tenant)
            VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING
            RETURNING {_USER_COLUMNS}""", email, password_hash, role, tenant)
    if row is None:
        raise AccountError(f"a user {email} exists already")
    return _user(row)


async def set_disabled(conn: asyncpg.Connection, email: str, disabled: bool) -> User | None:
    """Disable a user (its sessions end at once) or enable it again; None: no such user."""
    row = await conn.fetchrow(
        f"""UPDATE console_users AS u
               SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
             WHERE email = $1 RETURNING {_USER_COLUMNS}""", email, disabled)
    if row is not None and disabled:
        await conn.execute("DELETE FROM console_sessions WHERE user_id = $1", row["user_id"])
    return None if row is None else _user(row)


async def users(conn: asyncpg.Connection) -> list[User]:
    rows = await conn.fetch(f"SELECT {_USER_COLUMNS} FROM console_users u ORDER BY u.email")
    return [_user(r) for r in rows]


async def credentials(conn: asyncpg.Connection, email: str) -> tuple[User, str] | None:
    """The user of `email` and its password hash; None: no such user."""
    row = await conn.fetchrow(
        f"SELECT {_USER_COLUMNS}, u.password_hash FROM console_users u WHERE u.email = $1",
        email)
    return None if row is None else (_user(row), row["password_hash"])


async def set_password_hash(conn: asyncpg.Connection, user_id: int, encoded: str) -> None:
    await conn.execute("UPDATE console_users SET password_hash = $2 WHERE user_id = $1",
                       user_id, encoded)


@dataclass(frozen=True)
class Session:
    user: User
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


async def open_session(conn: asyncpg.Connection, token_hash: str, user: User, now: datetime,
                       lifetime: Lifetime, address: str | None) -> None:
    await conn.execute(
        """INSERT INTO console_sessions (token_hash, user_id, created_at, last_seen_at,
                                         expires_at, address)
           VALUES ($1, $2, $3, $3, $4, $5)""",
        token_hash, user.user_id, now, lifetime.expires_at(now), address)


async def session(conn: asyncpg.Connection, token_hash: str) -> Session | None:
    """The session of a token's hash with its user; None when there is none or its user is
    disabled (expiry is the caller's to judge: `sessions.state`)."""
    row = await conn.fetchrow(
        f"""SELECT {_USER_COLUMNS}, s.created_at, s.last_seen_at, s.expires_at
              FROM console_sessions s JOIN console_users u USING (user_id)
             WHERE s.token_hash = $1""", token_hash)
    if row is None or row["disabled"]:
        return None
    return Session(_user(row), row["created_at"], row["last_seen_at"], row["expires_at"])


async def touch(conn: asyncpg.Connection, token_hash: str, now: datetime) -> None:
    await conn.execute("UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1",
                       token_hash, now)


async def close_session(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM console_sessions WHERE token_hash = $1", token_hash)


async def prune_sessions(conn: asyncpg.Connection, now: datetime, lifetime: Lifetime) -> int:
    """Delete sessions past their expiry or idle timeout; returns how many."""
    status = await conn.execute(
        "DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        now, now - lifetime.idle)
    return int(status.rsplit(" ", 1)[-1])
