"""The demo's admin console (`workers/console`): the console worker on its port, with the
other workers in this process, and two logins made through the console's own account code
(`workers.console.accounts`, the writer `leadmem console user add` uses; the password hashed
by `passwords`, checked by its policy; audited): an operator (every tenant) and the admin of
one agency. Their passwords are new random ones each run, printed by the demo (a demo's
only: the dev database is scratch data) and, with `--console-login FILE`, written to FILE
(mode 0600) for `leadmem console-shots`."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from devtools.kafka import port_open
from workers.console import accounts, audit, passwords
from workers.console.access import Role
from workers.console.service import SPEC
from workers.runtime.clients import open_admin_connection
from workers.runtime.host import WorkerHost
from workers.settings import Settings

OPERATOR = "operator@demo.lead-memory.invalid"
AGENCY_ADMIN = "admin@{tenant}.demo.lead-memory.invalid"
ACTOR = audit.Actor("demo")


@dataclass(frozen=True)
class Login:
    role: Role
    email: str
    password: str
    tenant: str | None = None


@dataclass(frozen=True)
class ConsoleLogins:
    url: str  # the console's home, e.g. http://127.0.0.1:9110/console/
    operator: Login
    agency: Login

    def write(self, path: Path) -> None:
        """The logins as JSON, readable by this user only (written whole, then renamed)."""
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(self), out, indent=2)
            out.write("\n")
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> ConsoleLogins:
        data = json.loads(path.read_text())
        return cls(data["url"], Login(**data["operator"]), Login(**data["agency"]))


def console_port(wanted: int) -> int:
    """`wanted` (LEADMEM_CONSOLE_PORT, 9110, or --console-port), or any free port when
    another process (a `leadmem run console`, another demo) listens there already."""
    return 0 if wanted and port_open("127.0.0.1", wanted) else wanted


@asynccontextmanager
async def console_running(settings: Settings, port: int) -> AsyncIterator[WorkerHost]:
    """The console worker (`leadmem run console`'s `WorkerSpec`) on `port` (0: any free)."""
    host = WorkerHost(SPEC, settings, http_port=console_port(port))
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters of [A-Za-z0-9_-]


async def ensure_login(settings: Settings, role: Role, email: str, tenant: str | None) -> Login:
    """The user `email` with a new password: added (as `leadmem console user add` adds one),
    or, kept from an earlier run, given the new password and enabled."""
    password = new_password()
    passwords.check(password, email)
    encoded = passwords.hash_password(password)
    async with AsyncExitStack() as stack:
        conn = await open_admin_connection(settings, stack)
        async with conn.transaction():
            found = await accounts.credentials(conn, email)
            if found is None:
                user = await accounts.add_user(conn, email, encoded, role, tenant)
                await audit.record(conn, ACTOR, "user.add", tenant=user.tenant, target=email,
                                   after={"role": user.role, "tenant": user.tenant})
            else:
                user = found[0]
                if (user.role, user.tenant) != (role, tenant):
                    raise accounts.AccountError(
                        f"{email} exists as {user.role} of {user.tenant or 'every tenant'}, "
                        f"not the demo's {role}")
                await accounts.set_password_hash(conn, user.user_id, encoded)
                await accounts.set_disabled(conn, email, False)
                await audit.record(conn, ACTOR, "user.password", tenant=user.tenant,
                                   target=email, after={"by": "demo"})
    return Login(role, email, password, tenant)


async def demo_logins(settings: Settings, url: str, agency: str) -> ConsoleLogins:
    """An operator and `agency`'s admin, each with a new password (the agency admin goes
    with its tenant when the demo resets it, so it is added anew each run)."""
    operator = await ensure_login(settings, "operator", OPERATOR, None)
    admin = await ensure_login(settings, "agency", AGENCY_ADMIN.format(
        tenant=agency.removeprefix("loc-")), agency)
    return ConsoleLogins(url, operator, admin)
