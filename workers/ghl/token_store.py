"""Where GHL OAuth tokens live between processes: `ghl_oauth_tokens`, one row per location,
encrypted with the master key (`workers.secrets`), read and written in the location's own
tenant transaction (row-level security).

Every write bumps `version`. The token provider writes a rotated refresh token only if the
row still has the version it read (`rotate`, a compare-and-set): of two replicas that
refreshed at once, the second write finds the version moved on and changes nothing, so the
newer token is never overwritten. An install (`put_grant`, the receiver's OAuth callback)
and an operator (`put_refresh_token`, `leadmem tenant config --ghl-refresh-token-stdin`)
replace a location's tokens unconditionally.

Agency (Company) installs (migration 0015): `ghl_company_tokens`, one row per agency, read
and written only in a transaction naming the company (`TenantDatabase.company_transaction`;
no tenant transaction sees it), with the same compare-and-set (`PostgresCompanyTokenStore`,
a `TokenStore` keyed by company id); and `ghl_company_locations`, per location (tenant), the
agency whose token mints its access token and the last one minted (`PostgresCompanyLinks`,
`link_location`, `put_location_token`). `delete_tokens` forgets all of a location's.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from workers.db.tenant import TenantDatabase
from workers.secrets import MasterKey, decrypt, encrypt
from workers.tenants.store import ensure as ensure_tenant

# Who wrote a row last (`updated_by`): an install (the OAuth callback), an operator, the
# settings' seed, or a refresh.
INSTALL, OPERATOR, SETTINGS, REFRESH = "install", "operator", "settings", "refresh"


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

    _TABLE, _KEY = "ghl_oauth_tokens", "tenant_id"

    def __init__(self, db: TenantDatabase, master_key: MasterKey) -> None:
        encrypt("probe", master_key)  # a missing or malformed key fails now, at start-up
        self._db = db
        self._key = master_key

    def _transaction(self, key: str) -> AbstractAsyncContextManager[asyncpg.Connection]:
        return self._db.transaction(key)

    async def _before_seed(self, conn: asyncpg.Connection, key: str) -> None:
        await ensure_tenant(conn, key)  # the row references its tenant

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
        async with self._transaction(location) as conn:
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM {self._TABLE} WHERE {self._KEY} = $1", location)
        return self._row(row)

    async def seed(self, location: str, refresh_token: str) -> StoredTokens:
        enc = encrypt(refresh_token, self._key)
        async with self._transaction(location) as conn:
            await self._before_seed(conn, location)
            await conn.execute(
                f"INSERT INTO {self._TABLE} ({self._KEY}, refresh_token_enc, updated_by) "
                f"VALUES ($1, $2, '{SETTINGS}') ON CONFLICT ({self._KEY}) DO NOTHING",
                location, enc)
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM {self._TABLE} WHERE {self._KEY} = $1", location)
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
        async with self._transaction(location) as conn:
            version = await conn.fetchval(
                f"UPDATE {self._TABLE} SET refresh_token_enc = $3, access_token_enc = $4, "
                f"access_expires_at = $5, version = version + 1, updated_by = '{REFRESH}', "
                f"updated_at = now() WHERE {self._KEY} = $1 AND version = $2 RETURNING version",
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
        f"VALUES ($1, $2, '{OPERATOR}') ON CONFLICT (tenant_id) DO UPDATE SET "
        "refresh_token_enc = EXCLUDED.refresh_token_enc, access_token_enc = NULL, "
        "access_expires_at = NULL, version = ghl_oauth_tokens.version + 1, "
        f"updated_by = '{OPERATOR}', updated_at = now() RETURNING version",
        location, encrypt(refresh_token, master_key))
    return int(version)


async def put_grant(
    conn: asyncpg.Connection, location: str, refresh_token: str, access_token: str,
    access_expires_at: datetime | None, master_key: MasterKey,
) -> int:
    """A location's tokens from an install of the app (its OAuth callback, in the location's
    tenant transaction): replaces whatever is stored and bumps the version, so a refresh in
    flight cannot overwrite it. The new version."""
    version = await conn.fetchval(
        "INSERT INTO ghl_oauth_tokens (tenant_id, refresh_token_enc, access_token_enc, "
        f"access_expires_at, updated_by) VALUES ($1, $2, $3, $4, '{INSTALL}') "
        "ON CONFLICT (tenant_id) DO UPDATE SET refresh_token_enc = EXCLUDED.refresh_token_enc, "
        "access_token_enc = EXCLUDED.access_token_enc, "
        "access_expires_at = EXCLUDED.access_expires_at, version = ghl_oauth_tokens.version + 1, "
        "updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING version",
        location, encrypt(refresh_token, master_key), encrypt(access_token, master_key),
        access_expires_at)
    return int(version)


async def delete_tokens(conn: asyncpg.Connection, location: str) -> bool:
    """Forget every GHL token of `location` (in its tenant transaction; an UNINSTALL): its
    own tokens and its agency link with the last minted token. The agency's own tokens stay
    (its other locations use them). True when there was anything to delete."""
    own = await conn.fetchval(
        "WITH d AS (DELETE FROM ghl_oauth_tokens WHERE tenant_id = $1 RETURNING 1) "
        "SELECT count(*) FROM d", location)
    linked = await conn.fetchval(
        "WITH d AS (DELETE FROM ghl_company_locations WHERE tenant_id = $1 RETURNING 1) "
        "SELECT count(*) FROM d", location)
    return bool(own or linked)


# -- agency (Company) installs ---------------------------------------------------------------

class PostgresCompanyTokenStore(PostgresTokenStore):
    """`TokenStore` on `ghl_company_tokens`, keyed by company id: each call runs in a
    transaction naming the company, the only one that sees its row."""

    _TABLE, _KEY = "ghl_company_tokens", "company_id"

    def _transaction(self, key: str) -> AbstractAsyncContextManager[asyncpg.Connection]:
        return self._db.company_transaction(key)

    async def _before_seed(self, conn: asyncpg.Connection, key: str) -> None:
        return None  # an agency is no tenant


async def put_company_grant(
    conn: asyncpg.Connection, company: str, refresh_token: str, access_token: str,
    access_expires_at: datetime | None, master_key: MasterKey,
) -> int:
    """An agency's tokens from its install (in the company's transaction): replaces whatever
    is stored, bumping the version. The new version."""
    version = await conn.fetchval(
        "INSERT INTO ghl_company_tokens (company_id, refresh_token_enc, access_token_enc, "
        f"access_expires_at, updated_by) VALUES ($1, $2, $3, $4, '{INSTALL}') "
        "ON CONFLICT (company_id) DO UPDATE SET refresh_token_enc = EXCLUDED.refresh_token_enc, "
        "access_token_enc = EXCLUDED.access_token_enc, "
        "access_expires_at = EXCLUDED.access_expires_at, "
        "version = ghl_company_tokens.version + 1, updated_by = EXCLUDED.updated_by, "
        "updated_at = now() RETURNING version",
        company, encrypt(refresh_token, master_key), encrypt(access_token, master_key),
        access_expires_at)
    return int(version)


async def link_location(conn: asyncpg.Connection, location: str, company: str) -> None:
    """`location` gets its access tokens from agency `company` (in the location's tenant
    transaction); moved to another agency, its last minted token is dropped."""
    await conn.execute(
        "INSERT INTO ghl_company_locations (tenant_id, company_id) VALUES ($1, $2) "
        "ON CONFLICT (tenant_id) DO UPDATE SET company_id = EXCLUDED.company_id, "
        "access_token_enc = CASE WHEN ghl_company_locations.company_id = EXCLUDED.company_id "
        "THEN ghl_company_locations.access_token_enc END, "
        "access_expires_at = CASE WHEN ghl_company_locations.company_id = EXCLUDED.company_id "
        "THEN ghl_company_locations.access_expires_at END, updated_at = now()",
        location, company)


async def put_location_token(
    conn: asyncpg.Connection, location: str, company: str, access_token: str,
    access_expires_at: datetime | None, master_key: MasterKey,
) -> bool:
    """The access token minted for `location` with agency `company`'s token (in the
    location's tenant transaction); nothing is written (False) when the location is no
    longer linked to that agency."""
    updated = await conn.fetchval(
        "UPDATE ghl_company_locations SET access_token_enc = $3, access_expires_at = $4, "
        "updated_at = now() WHERE tenant_id = $1 AND company_id = $2 RETURNING true",
        location, company, encrypt(access_token, master_key), access_expires_at)
    return bool(updated)


@dataclass(frozen=True)
class CompanyLink:
    """A location whose access tokens are minted with agency `company_id`'s token, and the
    last one minted (decrypted), if any."""

    company_id: str
    access_token: str | None = None
    access_expires_at: datetime | None = None


class CompanyLinks(Protocol):
    async def link(self, location: str) -> CompanyLink | None:
        """The agency `location` gets its tokens from; None when there is none."""
        ...

    async def save_token(self, location: str, company: str, access_token: str,
                         access_expires_at: datetime | None) -> None:
        """Keep the token minted for `location` with `company`'s token."""
        ...


class PostgresCompanyLinks:
    """`CompanyLinks` on `ghl_company_locations`, in each location's tenant transaction."""

    def __init__(self, db: TenantDatabase, master_key: MasterKey) -> None:
        encrypt("probe", master_key)
        self._db = db
        self._key = master_key

    async def link(self, location: str) -> CompanyLink | None:
        async with self._db.transaction(location) as conn:
            row = await conn.fetchrow(
                "SELECT company_id, access_token_enc, access_expires_at "
                "FROM ghl_company_locations WHERE tenant_id = $1", location)
        if row is None:
            return None
        access = row["access_token_enc"]
        return CompanyLink(row["company_id"],
                           decrypt(access, self._key) if access is not None else None,
                           row["access_expires_at"])

    async def save_token(self, location: str, company: str, access_token: str,
                         access_expires_at: datetime | None) -> None:
        async with self._db.transaction(location) as conn:
            await put_location_token(conn, location, company, access_token, access_expires_at,
                                     self._key)


async def delete_company_tokens(conn: asyncpg.Connection, company: str) -> bool:
    """Forget an agency's own tokens (in the company's transaction; its agency-level
    UNINSTALL: no location of it is called again). True when it had some."""
    deleted = await conn.fetchval(
        "WITH d AS (DELETE FROM ghl_company_tokens WHERE company_id = $1 RETURNING 1) "
        "SELECT count(*) FROM d", company)
    return bool(deleted)
