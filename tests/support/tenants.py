"""Tenants as an operator adds them (`leadmem tenant add`: live, AI on), for tests that feed
the pipeline: ingestion keeps every location that never installed the app and was never
added out of the pipeline, and no worker creates a tenant on first sight (issue #25)."""

from __future__ import annotations

from workers.db.tenant import TenantDatabase
from workers.tenants import store


async def add_tenants(db: TenantDatabase | str, *tenants: str) -> None:
    """Add each tenant (idempotent), over `db` or a pool opened on the database URL."""
    own = isinstance(db, str)
    pool = await TenantDatabase.connect(db, min_size=1, max_size=1) if isinstance(db, str) \
        else db
    try:
        for tenant in tenants:
            async with pool.transaction(tenant) as conn:
                await store.add(conn, tenant, None)
    finally:
        if own:
            await pool.close()
