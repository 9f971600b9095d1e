"""The admin console (`leadmem run console`) over HTTP, on its worker host, against the real
Postgres, Redis and Kafka: logging in and out, the login rate limit, a disabled user, every
page, a setting changed (audited) and refused with its owner's message, CSRF, an agency admin
kept to its tenant (404 for another's pages and leads), a held draft released and cancelled,
a dead letter replayed after a confirmation. No browser: the pages are read as HTML (labels,
headings, `lang`)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from unittest.mock import patch

import aiohttp
import asyncpg
import pytest
from cryptography.fernet import Fernet

import workers.cli
from schemas import topics
from schemas.events import ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, read_until
from tests.support.tenants import add_tenants
from workers.console import accounts, audit, passwords
from workers.console.service import SPEC
from workers.console.views import dlq as dlq_page
from workers.db.tenant import TenantDatabase
from workers.errors import InvalidEventError
from workers.outbound.delivery import ReplyStore
from workers.replies import Action
from workers.runtime.boundary import dead_letter_headers
from workers.runtime.host import WorkerHost
from workers.settings import Settings
from workers.tenants import store as tenants

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
MASTER_KEY = Fernet.generate_key().decode()


# --- the console and its users --------------------------------------------------------------

@dataclass
class Running:
    url: str
    settings: Settings


@pytest.fixture
async def console(make_settings: Callable[..., Settings]) -> AsyncIterator[Running]:
    settings = make_settings(master_key=MASTER_KEY, console_login_max_failures=3,
                             console_login_max_failures_ip=50)
    host = WorkerHost(SPEC, settings, http_port=0)
    await host.start()
    try:
        assert host.http is not None
        yield Running(f"http://127.0.0.1:{host.http.port}", settings)
    finally:
        await host.stop()


async def add_user(settings: Settings, role: str, tenant: str | None = None,
                   password: str = PASSWORD) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        await accounts.add_user(conn, email, passwords.hash_password(password),
                                role, tenant)  # type: ignore[arg-type]
    finally:
        await conn.close()
    return email


class Page(HTMLParser):
    """What the tests read of a page: forms (id -> action, fields), inputs and their labels,
    headings, the `lang` attribute, the text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.forms: dict[str, dict[str, Any]] = {}
        self.headings: list[int] = []
        self.labels_for: set[str] = set()
        self.inputs: list[dict[str, str]] = []
        self._form: str | None = None
        self._in_label = 0
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "form":
            self._form = a.get("id", f"form{len(self.forms)}")
            self.forms[self._form] = {"action": a.get("action", ""), "fields": {}}
        elif tag in ("input", "select", "textarea"):
            if self._form is not None and a.get("name"):
                self.forms[self._form]["fields"].setdefault(a["name"], a.get("value", ""))
            self.inputs.append({**a, "_tag": tag, "_in_label": str(self._in_label > 0)})
        elif tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "label":
            self._in_label -= 1

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def accessible(self) -> None:
        """`lang`, one h1 first and no skipped heading level, every input labelled."""
        assert self.lang == "en"
        assert self.headings and self.headings[0] == 1 and self.headings.count(1) == 1
        for before, after in zip(self.headings, self.headings[1:], strict=False):
            assert after <= before + 1, self.headings
        for i in self.inputs:
            if i.get("type") in ("hidden", "submit"):
                continue
            assert i["_in_label"] == "True" or i.get("id") in self.labels_for, i


class Browser:
    """A person at the console: a cookie jar, and pages read as `Page`."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             headers=headers)

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str, status: int = 200) -> Page:
        async with self.session.get(self.base + path, allow_redirects=False) as resp:
            text = await resp.text()
            assert resp.status == status, (path, resp.status, text[:2000])
            return Page(text)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]],
                   status: int = 303) -> tuple[aiohttp.ClientResponse, Page]:
        async with self.session.post(self.base + path, data=data,
                                     allow_redirects=False) as resp:
            text = await resp.text()
            assert resp.status == status, (path, resp.status, text[:2000])
            return resp, Page(text)

    async def csrf(self, path: str) -> str:
        """The CSRF token the page at `path` puts in its forms."""
        page = await self.get(path)
        tokens = {f["fields"].get("csrf") for f in page.forms.values()} - {None}
        assert len(tokens) == 1, tokens
        return str(tokens.pop())

    async def log_in(self, email: str, password: str = PASSWORD, status: int = 303) -> Page:
        form = (await self.get("/console/login")).forms["login"]
        assert set(form["fields"]) == {"csrf", "next", "email", "password"}
        _, page = await self.post("/console/login", {
            "csrf": form["fields"]["csrf"], "email": email, "password": password},
            status=status)
        return page

    def cookie(self, name: str) -> str | None:
        found = [c for c in self.session.cookie_jar if c.key == name]
        return found[0].value if found else None


@pytest.fixture
async def browser(console: Running) -> AsyncIterator[Browser]:
    b = Browser(console.url)
    yield b
    await b.close()


# --- data of two tenants ----------------------------------------------------------------------

@dataclass
class Seeded:
    a: str
    b: str
    lead: str  # of a
    other_lead: str  # of b
    held: list[str]  # keys of drafts held for a person, of a


async def seed(db: TenantDatabase) -> Seeded:
    a, b = new_tenant(), new_tenant()
    await add_tenants(db, a, b)
    now = datetime.now(UTC)
    lead, other = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    held = [f"m-held-{uuid.uuid4().hex[:6]}", f"m-held-{uuid.uuid4().hex[:6]}"]
    async with db.transaction(a) as conn:
        await conn.execute(
            """INSERT INTO contacts (tenant_id, contact_id, first_name, last_name, email, phone,
                                     source)
               VALUES ($1, $2, 'Dana', 'Whitfield', 'dana@example.com', '+15125550123',
                       'Zillow')""", a, lead)
        for i, (direction, body) in enumerate((
                ("inbound", "Hi, looking for a 3 bed in Austin under 450k"),
                ("outbound", "Happy to help! When would you like to move?"),
                ("inbound", "By March. Call me at 512 555 0199"))):
            await conn.execute(
                """INSERT INTO messages (tenant_id, event_id, message_id, contact_id,
                                         direction, channel, sender, body, occurred_at)
                   VALUES ($1, $2, $3, $4, $5, 'sms', $6, $7, $8)""",
                a, f"e{i}-{lead}", f"m{i}-{lead}", lead, direction,
                "lead" if direction == "inbound" else "ai", body,
                now - timedelta(minutes=30 - i))
        await conn.execute(
            """INSERT INTO lead_profiles (tenant_id, contact_id, profile, score, score_reasons)
               VALUES ($1, $2, '{"bedrooms_min": 3, "budget_max": 450000}'::jsonb, 'hot',
                       '["asked for a call", "timeline under 3 months"]'::jsonb)""", a, lead)
        await conn.execute(
            """INSERT INTO lead_facts (tenant_id, contact_id, field, value, source_message_id,
                                       valid_from, valid_to)
               VALUES ($1, $2, 'budget_max', '400000'::jsonb, $3, $4, $5),
                      ($1, $2, 'budget_max', '450000'::jsonb, $6, $5, NULL)""",
            a, lead, f"m0-{lead}", now - timedelta(days=2), now - timedelta(minutes=30),
            f"m0-{lead}")
        await conn.execute(
            """INSERT INTO consent_events (tenant_id, entry_id, contact_id, channel, kind,
                                           source, note, occurred_at)
               VALUES ($1, 'op:1', $2, 'email', 'opted_out', 'operator', 'asked by phone',
                       $3)""", a, lead, now - timedelta(hours=1))
        await conn.execute(
            """INSERT INTO consent_events (tenant_id, entry_id, contact_id, channel, kind,
                                           source, note, occurred_at, until, hours)
               VALUES ($1, 'msg:p:paused', $2, 'all', 'paused', 'lead_message',
                       'the lead asked us to wait', $3, $4, ''),
                      ($1, 'msg:p:hours', $2, 'all', 'hours', 'lead_message',
                       'the lead''s own hours', $3, NULL, '20:00-00:00 sun')""",
            a, lead, now - timedelta(minutes=50), now + timedelta(days=6))
        for key in held:
            await conn.execute(
                """INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id,
                                        reply_to_message_id, channel, body, mode, status,
                                        suppressed_reason, cost_usd)
                   VALUES ($1, $2, $3, $4, $2, 'sms', 'Sure, call my colleague at 512 555 0111',
                           'buyer', 'suppressed', 'reply_check:foreign_phone', 0.0123)""",
                a, key, f"r-{key}", lead)
        await conn.execute(
            """INSERT INTO replies (tenant_id, idempotency_key, event_id, contact_id, channel,
                                    body, mode, status, sent_at)
               VALUES ($1, $2, $3, $4, 'sms', 'Happy to help!', 'buyer', 'sent', now())""",
            a, f"m-sent-{lead}", f"r-sent-{lead}", lead)
    async with db.transaction(b) as conn:
        await conn.execute(
            """INSERT INTO contacts (tenant_id, contact_id, first_name, email)
               VALUES ($1, $2, 'Other', 'other@example.com')""", b, other)
    return Seeded(a, b, lead, other, held)


@pytest.fixture
async def data(db: TenantDatabase) -> Seeded:
    return await seed(db)


async def audit_rows(settings: Settings, action: str, tenant: str | None) -> list[Any]:
    conn = await asyncpg.connect(settings.admin_database_url)
    try:
        return list(await conn.fetch(
            "SELECT * FROM console_audit WHERE action = $1 AND tenant IS NOT DISTINCT FROM $2 "
            "ORDER BY audit_id", action, tenant))
    finally:
        await conn.close()


# --- logging in ---------------------------------------------------------------------------------

async def test_log_in_see_every_page_and_log_out(console: Running, browser: Browser,
                                                 data: Seeded) -> None:
    ops = await add_user(console.settings, "operator")
    async with browser.session.get(console.url + "/console/tenants",
                                   allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"].startswith("/console/login?next=")
    login = await browser.get("/console/login")
    login.accessible()
    await browser.log_in(ops, "wrong password!!", status=401)
    assert browser.cookie("lm_console") is None
    await browser.log_in(ops)
    token = browser.cookie("lm_console")
    assert token
    async with browser.session.get(console.url + "/console/tenants") as resp:
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert resp.headers["Cache-Control"] == "no-store"
    set_cookie = await _login_cookie_header(console, ops)
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain http here; https makes it Secure

    a = data.a
    pages = {
        "/console/tenants": [a, data.b],
        f"/console/t/{a}": ["Replies per day", "Lead funnel", "Drafts waiting for a person"],
        f"/console/t/{a}/settings": ["Quiet hours"],
        f"/console/t/{a}/leads?q=whitfield": ["Dana Whitfield", "Call me at 512 555 0199"],
        f"/console/t/{a}/leads?q=555-0123": ["Dana Whitfield"],
        f"/console/t/{a}/leads/{data.lead}": [
            "Hi, looking for a 3 bed in Austin under 450k", "asked for a call", "budget_max",
            "400000", "held by the reply check (foreign_phone): waiting for a person",
            "asked by phone", "Opted out email", "Paused by the lead", "no automated text "
            "before then", "no texts 20:00-00:00 sun"],
        f"/console/t/{a}/held": ["Sure, call my colleague at 512 555 0111", "foreign_phone"],
        "/console/dlq": ["dead letter(s) on"],
        "/console/audit": ["login", ops],
        "/console/status": ["ingestion", "receiver", "Dead letters on"],
    }
    for path, expected in pages.items():
        page = await browser.get(path)
        page.accessible()
        for text in expected:
            assert text in page.text, (path, text)
    none = await browser.get(f"/console/t/{a}/leads?q=nobody-like-this")
    assert "No lead matches." in none.text
    overview = await browser.get(f"/console/t/{a}")
    assert "<svg" not in overview.text  # parsed as markup, not shown as text
    async with browser.session.get(console.url + f"/console/t/{a}") as resp:
        html = await resp.text()
    assert html.count('role="img"') == 2 and "Replies per day, last 14 days" in html

    csrf = await browser.csrf("/console/tenants")
    await browser.post("/console/logout", {"csrf": csrf})
    assert browser.cookie("lm_console") is None
    # the session is gone on the server too: its cookie no longer opens a page
    async with aiohttp.ClientSession(cookies={"lm_console": token}) as stale, \
            stale.get(console.url + "/console/tenants", allow_redirects=False) as resp:
        assert resp.status == 303
    assert await audit_rows(console.settings, "logout", None)


async def _login_cookie_header(console: Running, email: str) -> str:
    b = Browser(console.url)
    try:
        form = (await b.get("/console/login")).forms["login"]
        async with b.session.post(console.url + "/console/login", data={
                "csrf": form["fields"]["csrf"], "email": email, "password": PASSWORD},
                allow_redirects=False) as resp:
            return next(v for v in resp.headers.getall("Set-Cookie")
                        if v.startswith("lm_console="))
    finally:
        await b.close()


async def test_logins_are_rate_limited_per_account(console: Running, browser: Browser) -> None:
    ops = await add_user(console.settings, "operator")
    for _ in range(3):  # console_login_max_failures=3
        await browser.log_in(ops, "not the password", status=401)
    refused = await browser.log_in(ops, status=429)  # the right password, refused now
    assert "Too many failed logins" in refused.text
    assert browser.cookie("lm_console") is None
    other = await add_user(console.settings, "operator")
    await browser.log_in(other)  # another account from the same address still may


async def test_behind_a_trusted_proxy_logins_are_limited_per_forwarded_client(
        make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(master_key=MASTER_KEY, console_login_max_failures=50,
                             console_login_max_failures_ip=2,
                             console_trusted_proxies=["127.0.0.1"])
    host = WorkerHost(SPEC, settings, http_port=0)
    await host.start()
    # fresh client addresses each run (the counts live in Redis for the window)
    attacker, agent = (f"2001:db8::{uuid.uuid4().hex[:4]}:{i}" for i in (1, 2))
    try:
        assert host.http is not None
        url = f"http://127.0.0.1:{host.http.port}"
        ops = await add_user(settings, "operator")
        other = await add_user(settings, "operator")
        bad = Browser(url, {"X-Forwarded-For": f"{agent}, {attacker}"})  # left: spoofed
        good = Browser(url, {"X-Forwarded-For": agent})
        try:
            for email in (ops, other):  # two accounts: the address, not an account, is limited
                await bad.log_in(email, "not the password", status=401)
            await bad.log_in(ops, status=429)
            # the same proxy forwards another client: not limited
            await good.log_in(other)
            assert good.cookie("lm_console") is not None
        finally:
            await bad.close()
            await good.close()
    finally:
        await host.stop()


async def test_the_login_form_needs_its_csrf_token(console: Running, browser: Browser) -> None:
    ops = await add_user(console.settings, "operator")
    await browser.get("/console/login")
    _, page = await browser.post("/console/login", {"email": ops, "password": PASSWORD},
                                 status=403)
    assert "security token" in page.text
    await browser.post("/console/login", {"csrf": "forged", "email": ops,
                                          "password": PASSWORD}, status=403)
    assert browser.cookie("lm_console") is None


async def test_a_disabled_user_cannot_log_in_and_its_sessions_end(
        console: Running, browser: Browser, data: Seeded, monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = f"agency-{uuid.uuid4().hex[:6]}@example.com"
    leadmem = cli(console.settings, monkeypatch)
    added = await leadmem("console", "user", "add", email, "--role", "agency", "--tenant",
                          data.a, stdin=PASSWORD + "\n")
    assert added == (0, f"added agency {email} (tenant {data.a})\n", "")
    short = await leadmem("console", "user", "add", "x" + email, "--role", "agency",
                          "--tenant", data.a, stdin="short\n")
    assert short[0] == 2 and "fewer than 12" in short[2]
    nowhere = await leadmem("console", "user", "add", "y" + email, "--role", "agency",
                            stdin=PASSWORD)
    assert nowhere[0] == 2 and "needs --tenant" in nowhere[2]
    await browser.log_in(email)
    assert (await browser.get(f"/console/t/{data.a}")).lang == "en"
    disabled = await leadmem("console", "user", "disable", email)
    assert disabled[0] == 0 and "sessions ended" in disabled[1]
    async with browser.session.get(console.url + f"/console/t/{data.a}",
                                   allow_redirects=False) as resp:
        assert resp.status == 303  # its session ended: to the login page
    again = Browser(console.url)
    try:
        page = await again.log_in(email, status=401)
        assert "Wrong email or password, or the account is disabled." in page.text
    finally:
        await again.close()
    listed = await leadmem("console", "user", "list")
    [line] = [x.split() for x in listed[1].splitlines() if x.startswith(email)]
    assert line == [email, "agency", data.a, "disabled"]
    assert [r["after"] for r in await audit_rows(console.settings, "user.disable", data.a)
            if r["target"] == email]


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """`leadmem ARGS...` with the test's services in the environment and `stdin` as its
    standard input: (exit code, stdout, stderr)."""
    env = {"KAFKA_BOOTSTRAP": settings.bootstrap, "DATABASE_URL": settings.database_url,
           "ADMIN_DATABASE_URL": settings.admin_database_url, "REDIS_URL": settings.redis_url}
    for name, value in env.items():
        monkeypatch.setenv(f"LEADMEM_{name}", value)

    def invoke(argv: tuple[str, ...], stdin: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with redirect_stdout(out), redirect_stderr(err), \
                patch.object(sys, "stdin", io.StringIO(stdin)):
            try:
                workers.cli.main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        return code, out.getvalue(), err.getvalue()

    async def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return await asyncio.to_thread(invoke, argv, stdin)

    return run


# --- settings, CSRF ---------------------------------------------------------------------------

async def test_a_setting_changed_audited_and_a_bad_value_refused(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase) -> None:
    await browser.log_in(await add_user(console.settings, "operator"))
    path = f"/console/t/{data.a}/settings"
    page = await browser.get(path)
    form = page.forms["settings"]["fields"]
    assert {"csrf", "quiet_hours", "timezone", "channels", "crm", "ai", "api_key",
            "follow_ups", "calendar"} <= set(form)
    resp, _ = await browser.post(path, {"csrf": form["csrf"], "quiet_hours": "22:00-07:00",
                                        "follow_ups": "PT2H,P1D"})
    assert resp.headers["Location"] == f"{path}?saved=1"
    async with db.transaction(data.a) as conn:
        conf = await tenants.read(conn, data.a)
    assert f"{conf.no_texts_from:%H:%M}-{conf.no_texts_until:%H:%M}" == "22:00-07:00"
    assert conf.follow_ups == (7200, 86400)
    [row] = await audit_rows(console.settings, "settings.update", data.a)
    assert json.loads(row["before"]) == {"quiet_hours": "", "follow_ups": ""}
    assert json.loads(row["after"]) == {"quiet_hours": "22:00-07:00", "follow_ups": "PT2H,P1D"}

    _, refused = await browser.post(path, {"csrf": form["csrf"], "timezone": "Mars/Olympus",
                                           "persona": "Not saved either"}, status=400)
    assert "--timezone: unknown time zone 'Mars/Olympus'" in refused.text
    assert "Nothing was saved" in refused.text
    refused.accessible()
    async with db.transaction(data.a) as conn:
        after = await tenants.read(conn, data.a)
    assert after.timezone is None and after.persona is None  # all or nothing
    assert len(await audit_rows(console.settings, "settings.update", data.a)) == 1

    # the API key: write-only, stored encrypted, audited as "set"
    await browser.post(path, {"csrf": form["csrf"], "api_key": "sk-ant-console-test"})
    async with db.transaction(data.a) as conn:
        stored = (await tenants.read(conn, data.a)).claude_api_key_enc
    assert stored and b"sk-ant" not in stored
    last = (await audit_rows(console.settings, "settings.update", data.a))[-1]
    assert json.loads(last["after"]) == {"api_key": "set"}
    assert "sk-ant" not in (await browser.get(path)).text


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase) -> None:
    await browser.log_in(await add_user(console.settings, "operator"))
    path = f"/console/t/{data.a}/settings"
    _, page = await browser.post(path, {"quiet_hours": "20:00-09:00"}, status=403)
    assert "security token" in page.text
    await browser.post(path, {"quiet_hours": "20:00-09:00", "csrf": "0" * 64}, status=403)
    other = Browser(console.url)  # another session's token is wrong here too
    try:
        await other.log_in(await add_user(console.settings, "operator"))
        foreign = await other.csrf(path)
    finally:
        await other.close()
    await browser.post(path, {"quiet_hours": "20:00-09:00", "csrf": foreign}, status=403)
    await browser.post(f"/console/t/{data.a}/replies/{data.held[0]}/cancel", {}, status=403)
    async with db.transaction(data.a) as conn:
        assert (await tenants.read(conn, data.a)).no_texts_from is None
        assert await conn.fetchval("SELECT review FROM replies WHERE idempotency_key = $1",
                                   data.held[0]) is None


# --- an agency admin ---------------------------------------------------------------------------

async def test_an_agency_admin_of_a_cannot_reach_b(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase) -> None:
    await browser.log_in(await add_user(console.settings, "agency", data.a))
    home = f"/console/t/{data.a}"
    async with browser.session.get(console.url + "/console/", allow_redirects=False) as resp:
        assert resp.headers["Location"] == home
    assert "Dana Whitfield" in (await browser.get(f"{home}/leads")).text
    assert "Other" not in (await browser.get(f"{home}/leads?q=other")).text
    for path in (f"/console/t/{data.b}", f"/console/t/{data.b}/settings",
                 f"/console/t/{data.b}/leads", f"/console/t/{data.b}/leads/{data.other_lead}",
                 f"/console/t/{data.b}/held",
                 f"{home}/leads/{data.other_lead}",  # B's lead under A's URL: RLS finds none
                 "/console/tenants", "/console/dlq", "/console/status",
                 "/console/dlq/replay?all=1", f"/console/audit?tenant={data.b}"):
        page = await browser.get(path, status=404)
        assert "not yours to see" in page.text, path
    csrf = await browser.csrf(f"{home}/settings")
    await browser.post(f"/console/t/{data.b}/settings",
                       {"csrf": csrf, "quiet_hours": "20:00-09:00"}, status=404)
    await browser.post("/console/dlq/replay", {"csrf": csrf, "all": "1", "confirm": "yes"},
                       status=404)
    async with db.transaction(data.b) as conn:
        assert (await tenants.read(conn, data.b)).no_texts_from is None
    audit = await browser.get("/console/audit")
    assert "login" in audit.text


# --- held replies --------------------------------------------------------------------------------

async def test_a_held_draft_released_and_another_cancelled(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase,
        kafka: str) -> None:
    email = await add_user(console.settings, "agency", data.a)
    await browser.log_in(email)
    held = await browser.get(f"/console/t/{data.a}/held")
    held.accessible()
    release, cancel = data.held
    assert {f"release-{release}", f"cancel-{release}", f"cancel-{cancel}"} <= set(held.forms)
    csrf = held.forms[f"release-{release}"]["fields"]["csrf"]
    resp, _ = await browser.post(f"/console/t/{data.a}/replies/{release}/release",
                                 {"csrf": csrf})
    assert resp.headers["Location"] == f"/console/t/{data.a}/held?done=released"
    await browser.post(f"/console/t/{data.a}/replies/{cancel}/cancel", {"csrf": csrf})
    async with db.transaction(data.a) as conn:
        rows = {r["idempotency_key"]: r for r in await conn.fetch(
            "SELECT idempotency_key, status, review, reviewed_by, send_after FROM replies "
            "WHERE idempotency_key = ANY($1::text[])", data.held)}
    assert (rows[release]["status"], rows[release]["review"]) == ("drafted", "released")
    assert rows[release]["reviewed_by"] == email and rows[release]["send_after"] is not None
    assert (rows[cancel]["status"], rows[cancel]["review"]) == ("suppressed", "cancelled")

    # the outbound connector gets the ReplyDrafted it claims (consent decided there)
    [record] = await read_until(
        kafka, topics.REPLIES_OUTBOUND, lambda s: len(s) >= 1, settle_s=0.5,
        where=lambda r: r.key == data.a.encode())
    event = json.loads(record.value)
    assert event["type"] == "reply.drafted" and event["idempotency_key"] == release
    assert event["body"] == "Sure, call my colleague at 512 555 0111"
    assert dict(record.headers)["tenant-id"] == data.a.encode()
    # ...and its claim decides consent as for any draft: the lead may be texted now (or
    # later, in its quiet hours); the cancelled draft is never claimed
    claims = ReplyStore(db)
    claimed = await claims.claim(ReplyDrafted.model_validate(event), datetime.now(UTC))
    assert claimed.action in (Action.SEND, Action.HOLD), claimed
    assert claimed.consent is not None and claimed.consent.reason in ("ok", "quiet_hours")
    cancelled_event = ReplyDrafted.model_validate({**event, "idempotency_key": cancel,
                                                   "event_id": str(uuid.uuid4())})
    assert (await claims.claim(cancelled_event, datetime.now(UTC))).action is Action.SKIP

    # decided once: a second release or cancel is refused, nothing published again
    await browser.post(f"/console/t/{data.a}/replies/{release}/release", {"csrf": csrf},
                       status=409)
    await browser.post(f"/console/t/{data.a}/replies/{cancel}/release", {"csrf": csrf},
                       status=409)
    assert [r["target"] for r in await audit_rows(console.settings, "reply.release",
                                                  data.a)] == [release]
    assert [r["target"] for r in await audit_rows(console.settings, "reply.cancel",
                                                  data.a)] == [cancel]
    lead = await browser.get(f"/console/t/{data.a}/leads/{data.lead}")
    assert f"released by {email}" in lead.text and f"cancelled by {email}" in lead.text


# --- the DLQ --------------------------------------------------------------------------------------

async def dead_letter(kafka: str, tenant: str, *, offset: int, trace: str
                      ) -> tuple[str, bytes]:
    """A broken GHL delivery of `tenant` that ingestion dead-lettered (from source `offset`),
    put on the DLQ: its position there ("partition:offset") and its bytes."""
    value = b'{"type": "InboundMessage", "locationId": "' + tenant.encode() + b'"'
    headers = dead_letter_headers({"x-trace": trace}, worker="ingestion",
                                  source_topic=topics.GHL_EVENTS, partition=0,
                                  offset=offset, exc=InvalidEventError("not JSON"),
                                  attempts=1, tenant=tenant)
    async with RawProducer(kafka) as producer:
        sent = await producer.send(topics.PIPELINE_DLQ, value, key=tenant, headers=headers)
    return f"{sent.partition}:{sent.offset}", value


async def test_a_dead_letter_replayed_after_a_confirmation(
        console: Running, browser: Browser, data: Seeded, kafka: str) -> None:
    ops = await add_user(console.settings, "operator")
    await browser.log_in(ops)
    where, value = await dead_letter(kafka, data.a, offset=10**9 + 7, trace="t1")

    listed = await browser.get(f"/console/dlq?tenant={data.a}")
    listed.accessible()
    assert where in listed.text and "InvalidEventError" in listed.text
    shown = await browser.get(f"/console/dlq/{where.replace(':', '/')}")
    shown.accessible()
    assert '"x-trace": "t1"' in shown.text and '"replayed": false' in shown.text
    confirm = await browser.get(f"/console/dlq/replay?position={where}")
    confirm.accessible()
    form = confirm.forms["dlq-replay"]["fields"]
    assert form["confirm"] == "yes" and form["position"] == where
    assert "1 not replayed yet" in confirm.text

    unconfirmed = {k: v for k, v in form.items() if k != "confirm"}
    _, page = await browser.post("/console/dlq/replay", unconfirmed, status=400)
    assert "Confirm the replay first." in page.text  # nothing replayed without it
    _, done = await browser.post("/console/dlq/replay", form, status=200)
    assert f"Replayed 1 dead letter(s): {where}" in done.text
    done.accessible()
    _, again = await browser.post("/console/dlq/replay", form, status=200)
    assert f"Skipped 1 already replayed: {where}" in again.text

    [replayed] = await read_until(
        kafka, topics.GHL_EVENTS, lambda s: len(s) >= 1, settle_s=0.5,
        where=lambda r: any(k == "replay-of" for k, _ in r.headers) and r.key == data.a.encode())
    assert replayed.value == value and dict(replayed.headers)["x-trace"] == b"t1"
    [row, _] = [r for r in await audit_rows(console.settings, "dlq.replay", None)
                if r["actor"] == ops]  # this test's (the session's database is shared)
    assert json.loads(row["after"])["sent"] == [where]
    assert "yes" in (await browser.get(f"/console/dlq?tenant={data.a}")).text
    await browser.get("/console/dlq/replay?position=0:99999999999", status=400)


async def test_the_dead_letter_page_reads_only_the_newest_records(
        console: Running, browser: Browser, data: Seeded, kafka: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """However large the DLQ grew, the page reads at most `SCAN` of its newest records and
    says so; `leadmem dlq list` reads all of it."""
    await browser.log_in(await add_user(console.settings, "operator"))
    older, _ = await dead_letter(kafka, data.b, offset=10**9 + 11, trace="old")
    newer, _ = await dead_letter(kafka, data.b, offset=10**9 + 12, trace="new")
    monkeypatch.setattr(dlq_page, "SCAN", 1)
    page = await browser.get("/console/dlq")
    page.accessible()
    assert "among the newest 1 of the" in page.text and "Older ones were not read" in page.text
    assert older not in page.text  # not the newest of its partition: not read
    monkeypatch.setattr(dlq_page, "SCAN", 10**6)
    whole = await browser.get(f"/console/dlq?tenant={data.b}")
    assert older in whole.text and newer in whole.text
    assert "Older ones were not read" not in whole.text


# --- the console's own tables -----------------------------------------------------------------

async def test_the_workers_role_reads_no_user_session_or_audit_and_audits_its_tenant_only(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase) -> None:
    await browser.log_in(await add_user(console.settings, "operator"))  # a user, a session
    async with db.transaction(data.a) as conn:
        for table in ("console_users", "console_sessions", "console_audit"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        await audit.record(conn, audit.Actor("test"), "settings.update", tenant=data.a)
    for tenant in (data.b, None):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with db.transaction(data.a) as conn:
                await audit.record(conn, audit.Actor("test"), "settings.update", tenant=tenant)
    assert [r["actor"] for r in await audit_rows(console.settings, "settings.update",
                                                 data.a)] == ["test"]


async def test_a_lead_exported_and_forgotten_after_a_confirmation(
        console: Running, browser: Browser, data: Seeded, db: TenantDatabase) -> None:
    await browser.log_in(await add_user(console.settings, "agency", data.a))
    lead = f"/console/t/{data.a}/leads/{data.lead}"
    async with browser.session.get(console.url + lead + "/export.json") as resp:
        assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
        exported = json.loads(await resp.text())
    assert exported["contact"]["email"] == "dana@example.com"
    assert len(exported["messages"]) == 3
    await browser.get(f"/console/t/{data.a}/leads/{data.other_lead}/export.json", status=404)
    confirm = await browser.get(lead + "/forget")
    confirm.accessible()
    form = confirm.forms["forget"]["fields"]
    await browser.post(f"/console/t/{data.a}/leads/{data.other_lead}/forget", form,
                       status=404)  # B's lead: not there to forget
    await browser.post(lead + "/forget", {"csrf": form["csrf"]}, status=400)  # unconfirmed
    resp, _ = await browser.post(lead + "/forget", form)
    assert resp.headers["Location"].startswith(f"/console/t/{data.a}/leads?forgotten=")
    async with db.transaction(data.a) as conn:
        assert await conn.fetchval("SELECT count(*) FROM messages WHERE contact_id = $1",
                                   data.lead) == 0
        # kept, detached from the contact: the opt-out, the pause and the lead's own hours
        assert await conn.fetchval("SELECT count(*) FROM consent_events "
                                   "WHERE contact_id IS NULL") == 3
    async with db.transaction(data.b) as conn:
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 1
    await browser.get(lead, status=404)
    [row] = await audit_rows(console.settings, "contact.forget", data.a)
    assert row["target"] == data.lead and json.loads(row["after"])["rows_removed"] > 0
