"""The demo's console logins (`devtools/demo/console.py`): made through the console's own
account code, a new password each run (the old one no longer opens), audited, kept to their
role, and written for `leadmem console-shots` readable by this user only."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from devtools.demo.console import OPERATOR, ConsoleLogins, demo_logins, ensure_login
from tests.conftest import new_tenant
from tests.support.tenants import add_tenants
from workers.console import accounts, passwords
from workers.db.tenant import TenantDatabase
from workers.settings import Settings

pytestmark = pytest.mark.integration


async def check(settings: Settings, email: str, password: str) -> bool:
    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        found = await accounts.credentials(conn, email)
    finally:
        await conn.close()
    assert found is not None and not found[0].disabled
    return passwords.verify(found[1], password)


async def test_each_run_gets_new_passwords_through_the_console_accounts(
        make_settings: Callable[..., Settings], db: TenantDatabase, tmp_path: Path) -> None:
    settings = make_settings()
    agency = new_tenant()
    await add_tenants(db, agency)
    first = await demo_logins(settings, "http://127.0.0.1:9110/console/", agency)
    assert (first.operator.email, first.operator.role, first.operator.tenant) == (
        OPERATOR, "operator", None)
    assert (first.agency.role, first.agency.tenant) == ("agency", agency)
    for login in (first.operator, first.agency):
        assert len(login.password) >= passwords.MIN_LENGTH
        assert await check(settings, login.email, login.password)

    second = await demo_logins(settings, first.url, agency)  # the next run
    assert second.operator.password != first.operator.password
    assert await check(settings, OPERATOR, second.operator.password)
    assert not await check(settings, OPERATOR, first.operator.password)

    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM console_audit WHERE actor = 'demo' AND target = $1 "
            "ORDER BY audit_id", first.agency.email)]
    finally:
        await conn.close()
    assert actions == ["user.add", "user.password"]

    with pytest.raises(accounts.AccountError, match="not the demo's agency"):
        await ensure_login(settings, "agency", OPERATOR, agency)  # an operator stays one

    path = tmp_path / "console.json"
    second.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ConsoleLogins.read(path) == second
