"""A tenant wired to the fake Claude and GHL APIs, for tests that run the whole pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from workers.db.tenant import TenantDatabase
from workers.settings import Settings


def fake_api_settings(make_settings: Callable[..., Settings], claude: FakeMessagesAPI,
                      ghl: FakeGHLAPI, tenant: str, **overrides: Any) -> Settings:
    """Settings pointing Claude and GHL at the fakes, with a GHL token for `tenant`."""
    ghl.add_token(f"tok-{tenant}", tenant)
    return make_settings(
        anthropic_api_key=SecretStr("test-key"), anthropic_base_url=claude.base_url,
        ghl_base_url=ghl.base_url, ghl_tokens={tenant: SecretStr(f"tok-{tenant}")},
        **overrides)


async def onboard(database_url: str, tenant: str, areas: list[dict[str, Any]]) -> None:
    """The tenant as an operator adds it: a name, service areas and a persona."""
    db = await TenantDatabase.connect(database_url)
    try:
        async with db.transaction(tenant) as conn:
            await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, 'Hill Country "
                               "Homes')", tenant)
            await conn.execute("INSERT INTO tenant_settings (tenant_id, service_areas, "
                               "persona) VALUES ($1, $2::jsonb, 'Friendly Austin agent')",
                               tenant, areas)
    finally:
        await db.close()
