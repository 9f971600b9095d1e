"""The receiver's OAuth callback without services: what it needs from the settings, the pages
it answers (pure), its route served beside the webhook route, and what it does while
installing is not configured or the database is away (the webhook path unaffected, the code
not spent)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.signing import PUBLIC_PEM
from workers.ghl.installs import Connected, Installed
from workers.receiver.app import WEBHOOK_PATH
from workers.receiver.install import CALLBACK_PATH, InstallConfig, install_config
from workers.receiver.install_pages import HEADERS, connected_page, error_page
from workers.receiver.service import SPEC
from workers.runtime.host import Resources, WorkerHost
from workers.runtime.http import Routes
from workers.runtime.publisher import EventPublisher
from workers.secrets import generate_key
from workers.settings import Settings

KEY = generate_key()
REDIRECT = "https://hooks.example.com/oauth/callback"
CONFIGURED: dict[str, Any] = {
    "ghl_oauth_client_id": "app1-cid", "ghl_oauth_client_secret": SecretStr("s"),
    "ghl_oauth_redirect_uri": REDIRECT, "master_key": SecretStr(KEY)}


def test_the_callback_names_every_missing_setting() -> None:
    assert install_config(Settings()) == [
        "LEADMEM_GHL_OAUTH_CLIENT_ID", "LEADMEM_GHL_OAUTH_CLIENT_SECRET",
        "LEADMEM_GHL_OAUTH_REDIRECT_URI", "LEADMEM_MASTER_KEY"]
    bad = Settings(**{**CONFIGURED, "ghl_oauth_redirect_uri": "/oauth/callback",
                      "master_key": SecretStr("not-a-key")})
    assert install_config(bad) == [
        "LEADMEM_GHL_OAUTH_REDIRECT_URI (not an absolute http(s) URL)",
        "LEADMEM_MASTER_KEY (not a Fernet key)"]
    cfg = install_config(Settings(**CONFIGURED))
    assert isinstance(cfg, InstallConfig)
    assert (cfg.client_id, cfg.client_secret, cfg.redirect_uri) == ("app1-cid", "s", REDIRECT)


def test_a_location_install_page_says_what_to_do_next() -> None:
    page = connected_page(Installed("Location", "coA", (Connected("locA", "installed", True),)))
    assert page.status == 200 and page.title == "Connected to lead-memory"
    assert "<code>locA</code> (agency <code>coA</code>)" in page.html
    for step in ("--timezone", "--persona", "--service-areas", "--ai on"):
        assert f"leadmem tenant config locA {step}" in page.html
    assert "installed, not live" in page.html and "<script" not in page.html


def test_an_agency_install_page_lists_each_location() -> None:
    page = connected_page(Installed("Company", "coA", (
        Connected("locA", "installed", True),
        Connected("locB", "live", True),
        Connected("locC", "installed", False, "GHL answered 503 (mint a location token)"),
        Connected("locD", None, False, "not stored: postgres unavailable"))))
    html = page.html
    assert page.status == 200 and "agency <code>coA</code>" in html
    assert "<code>locB</code>: already live" in html
    assert "no access token yet (one is minted at its first send: GHL answered 503" in html
    assert "<code>locD</code>: not connected (not stored: postgres unavailable)" in html
    # The next steps are for the installed ones only (locA in full, then locC).
    assert "leadmem tenant config locA --timezone" in html
    assert "The same for <code>locC</code>." in html and "config locB" not in html


def test_an_agency_that_approved_no_location() -> None:
    page = connected_page(Installed("Company", "coA", ()))
    assert "No location was approved" in page.html and "<ol>" not in page.html


def test_error_pages_escape_what_they_show() -> None:
    page = error_page(400, "Not <installed>", "GHL said <script>alert(1)</script> & more",
                      "Try again")
    assert page.status == 400 and "<script>" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page.html
    assert "<title>Not &lt;installed&gt;</title>" in page.html


def test_routes_served_by_two_parts_of_a_worker_are_all_served() -> None:
    async def ok(_: web.Request) -> web.Response:
        return web.Response()

    res = Resources("receiver", Settings(), EventPublisher.__new__(EventPublisher))
    res.serve(Routes((web.post("/a", ok),), "POST /a", client_max_size=100, shutdown_timeout=3))
    res.serve(Routes((web.get("/b", ok),), "GET /b", client_max_size=10, shutdown_timeout=5))
    assert res.routes is not None
    assert [r.path for r in res.routes.routes] == ["/a", "/b"]
    assert (res.routes.summary, res.routes.client_max_size, res.routes.shutdown_timeout) == (
        "POST /a, GET /b", 100, 5)


# -- hosted, with no broker and no database answering ----------------------------------------

@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port that refuses connections (bound, not listening)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield closed.getsockname()[1]


@pytest.fixture
async def ghl() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(oauth_clients={"app1-cid": "s"}) as fake:
        yield fake


@contextlib.asynccontextmanager
async def receiver(**overrides: Any) -> AsyncIterator[str]:
    with refused_port() as kafka, refused_port() as pg:
        settings = Settings(**{
            "kafka_bootstrap": f"127.0.0.1:{kafka}", "receiver_produce_timeout_s": 0.2,
            "ghl_ed25519_public_key": PUBLIC_PEM,
            "database_url": f"postgresql://leadmem_app@127.0.0.1:{pg}/leadmem", **overrides})
        host = WorkerHost(SPEC, settings, http_port=0)
        await asyncio.wait_for(host.start(), 5)
        try:
            assert host.http is not None
            yield f"http://127.0.0.1:{host.http.port}"
        finally:
            await host.stop()


async def get(url: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def test_without_a_code_or_configuration_nothing_is_tried() -> None:
    async with receiver() as base:
        status, html, headers = await get(base + CALLBACK_PATH)
        assert status == 400 and "No install code" in html
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert {k: headers[k] for k in HEADERS} == HEADERS  # the code never leaks on
        status, html, _ = await get(base + CALLBACK_PATH + "?error=access_denied")
        assert status == 400 and "access_denied" in html
        status, html, _ = await get(base + CALLBACK_PATH + "?code=abc")
        assert status == 503 and "Installing is not set up yet" in html
        status, _, _ = await get(base + CALLBACK_PATH + "?code=a&code=b")
        assert status == 400


async def test_with_the_database_away_the_code_is_not_spent_and_webhooks_still_answer(
    ghl: FakeGHLAPI,
) -> None:
    code = ghl.oauth.authorize_location("locA", redirect_uri=REDIRECT)
    async with receiver(**CONFIGURED, ghl_base_url=ghl.base_url) as base:
        status, html, _ = await get(f"{base}{CALLBACK_PATH}?code={code}")
        assert status == 503 and "your install code was not used" in html
        assert ghl.requests == [] and not ghl.oauth.codes[code].used
        async with aiohttp.ClientSession() as http:
            async with http.post(base + WEBHOOK_PATH, data=b"{}") as resp:
                assert resp.status in (401, 429)  # judged as ever: no database involved
            async with http.get(base + "/health") as resp:
                checks = (await resp.json())["checks"]
        assert "postgres" not in checks
