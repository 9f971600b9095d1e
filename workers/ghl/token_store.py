"""Where GHL OAuth tokens live between processes: `ghl_oauth_tokens`, one row per location,
encrypted with the master key (`workers.secrets`), read and written in the location's own
tenant transaction (row-level security).

Every write bumps `version`. The token provider writes a rotated refresh token only if the
row still has the version it read (`rotate`, a compare-and-set): of two replicas that
refreshed at once, the second write finds the version moved on and changes nothing, so the
newer token is never overwritten. Operators replace a location's token unconditionally
(`put_refresh_token`, used by `leadmem tenant config --ghl-refresh-token-stdin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from workers.db.tenant import TenantDatabase
from workers.secrets import MasterKey, decrypt, encrypt
from workers.tenants.store import ensure as ensure_tenant


@dataclass(frozen=True)
class StoredTokens:
    """A location's stored tokens, decrypted. `access_expires_at` None with an access token:
    GHL named no expiry (used until it is refused)."""

    refresh_token: str
    version: int
    access_token: str | None = None
    access_expires_at: datetime | None = None


class TokenStore(Protocol):
    async def load(self, location: str) -> StoredTokens | None:
        """The location's stored tokens; None when it has none."""
        ...

    async def seed(self, location: str, refresh_token: str) -> StoredTokens:
        """Store `refresh_token` for a location that has none yet; what is stored afterwards
        (another writer's row, when one got there first)."""
        ...

    async def rotate(
        self, location: str, expected_version: int, refresh_token: str,
        access_token: str, access_expires_at: datetime | None,
    ) -> StoredTokens | None:
        """Replace the tokens if the stored version is still `expected_version`; the new row,
        or None when another writer changed it first (nothing written)."""
        ...


_COLUMNS = "refresh_token_enc, access_token_enc, access_expires_at, version"


class PostgresTokenStore:
    """`TokenStore` on `ghl_oauth_tokens` as the workers' role; never stores a token in clear."""

    def __init__(self, db: TenantDatabase, master_key: MasterKey) -> None:
        encrypt("probe", master_key)  # a missing or malformed key fails now, at start-up
        self._db = db
        self._key = master_key

    def _row(self, row: asyncpg.Record | None) -> StoredTokens | None:
        if row is None:
            return None
        access = row["access_token_enc"]
        return StoredTokens(
            refresh_token=decrypt(row["refresh_token_enc"], self._key),
            version=int(row["version"]),
            access_token=decrypt(access, self._key) if access is not None else None,
            access_expires_at=row["access_expires_at"],
        )

    async def load(self, location: str) -> StoredTokens | None:
        async with self._db.transaction(location) as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM ghl_oauth_tokens WHERE tenant_id = $1", location)
        return self._row(row)

    async def seed(self, location: str, refresh_token: str) -> StoredTokens:
        enc = encrypt(refresh_token, self._key)
        async with self._db.transaction(location) as conn:
            await ensure_tenant(conn, location)
            await conn.execute(
                "INSERT INTO ghl_oauth_tokens (tenant_id, refresh_token_enc, updated_by) "
                "VALUES ($1, $2, 'settings') ON CONFLICT (tenant_id) DO NOTHING",
                location, enc)
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM ghl_oauth_tokens WHERE tenant_id = $1", location)
        stored = self._row(row)
        assert stored is not None
        return stored

    async def rotate(
        self, location: str, expected_version: int, refresh_token: str,
        access_token: str, access_expires_at: datetime | None,
    ) -> StoredTokens | None:
        # Encrypt before the transaction: the statement is the only thing between GHL's
        # answer and the durable token, and it is one round trip (plus BEGIN and COMMIT).
        refresh_enc = encrypt(refresh_token, self._key)
        access_enc = encrypt(access_token, self._key)
        async with self._db.transaction(location) as conn:
            version = await conn.fetchval(
                "UPDATE ghl_oauth_tokens SET refresh_token_enc = $3, access_token_enc = $4, "
                "access_expires_at = $5, version = version + 1, updated_by = 'refresh', "
                "updated_at = now() WHERE tenant_id = $1 AND version = $2 RETURNING version",
                location, expected_version, refresh_enc, access_enc, access_expires_at)
        if version is None:
            return None
        return StoredTokens(refresh_token, int(version), access_token, access_expires_at)


async def put_refresh_token(
    conn: asyncpg.Connection, location: str, refresh_token: str, master_key: MasterKey,
) -> int:
    """An operator's new refresh token for `location` (in its tenant transaction): replaces
    whatever is stored, drops the stored access token (the next send refreshes with the new
    token), and bumps the version so a refresh in flight cannot overwrite it. The new
    version."""
    version = await conn.fetchval(
        "INSERT INTO ghl_oauth_tokens (tenant_id, refresh_token_enc, updated_by) "
        "VALUES ($1, $2, 'operator') ON CONFLICT (tenant_id) DO UPDATE SET "
        "refresh_token_enc = EXCLUDED.refresh_token_enc, access_token_enc = NULL, "
        "access_expires_at = NULL, version = ghl_oauth_tokens.version + 1, "
        "updated_by = 'operator', updated_at = now() RETURNING version",
        location, encrypt(refresh_token, master_key))
    return int(version)
