"""`GET /oauth/callback?code=...`: where GHL sends an admin back after installing the
Marketplace app (the app's redirect URI, `LEADMEM_GHL_OAUTH_REDIRECT_URI`), served by the
receiver beside `POST /webhooks/ghl` (`attach`, from `service.Receiver.attach`).

The callback exchanges the code (`ghl.oauth.OAuthClient.exchange`), keeps the tokens
encrypted and creates the tenants (`ghl.installs.record_install`), and answers a plain page
(`install_pages`): what was connected and what to do next, or what went wrong with its status
(400 for a missing, used, expired or unknown code; 502 when GHL did not answer or refused this
deployment's credentials; 503 when installing is not configured or the database is away).

The webhook path never depends on Postgres: the receiver's spec opens no database. This route
opens its own small pool (`runtime.clients.open_database`) at the first callback, on a stack
the host closes after its HTTP server stopped. The database is opened before the code is
exchanged, so a database that is away costs the admin a retry, not the (single-use) code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
import httpx
from aiohttp import web
from prometheus_client import Counter
from pydantic import SecretStr

from workers.db.tenant import TenantDatabase
from workers.errors import ConfigurationError, PipelineError, RetryableError
from workers.ghl.installs import NotStoredError, record_install
from workers.ghl.oauth import (
    MalformedGrantError,
    OAuthClient,
    OAuthRefusedError,
    OAuthUnavailableError,
    check_redirect_uri,
)
from workers.ghl.ratelimit import Clock, Sleep
from workers.receiver.install_pages import HEADERS, Page, connected_page, error_page
from workers.runtime.clients import open_database
from workers.runtime.host import Resources
from workers.runtime.http import Routes
from workers.secrets import encrypt
from workers.settings import Settings

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
MAX_CODE_CHARS = 2048
POOL_SIZE = 2  # installs are rare; a callback holds one connection at a time

INSTALLS = Counter(
    "leadmem_receiver_installs_total",
    "OAuth callbacks of the Marketplace app (GET /oauth/callback), by outcome: connected, "
    "no_code, declined, not_configured, db_unavailable, code_refused, client_refused, "
    "ghl_unavailable, bad_answer, not_stored.",
    ["outcome"],
)


@dataclass(frozen=True)
class InstallConfig:
    client_id: str
    client_secret: str
    redirect_uri: str
    master_key: SecretStr
    base_url: str
    timeout_s: float


def install_config(settings: Settings) -> InstallConfig | list[str]:
    """What the callback needs from the settings, or what is missing or unusable (names
    only, never values)."""
    s = settings
    secret = s.ghl_oauth_client_secret.get_secret_value() if s.ghl_oauth_client_secret else ""
    problems = [name for name, value in (
        ("LEADMEM_GHL_OAUTH_CLIENT_ID", s.ghl_oauth_client_id),
        ("LEADMEM_GHL_OAUTH_CLIENT_SECRET", secret),
        ("LEADMEM_GHL_OAUTH_REDIRECT_URI", s.ghl_oauth_redirect_uri),
        ("LEADMEM_MASTER_KEY", s.master_key)) if not value]
    if s.ghl_oauth_redirect_uri:
        try:
            check_redirect_uri(s.ghl_oauth_redirect_uri)
        except ValueError:
            problems.append("LEADMEM_GHL_OAUTH_REDIRECT_URI (not an absolute http(s) URL)")
    if s.master_key is not None:
        try:
            encrypt("probe", s.master_key)  # tokens are never stored in clear
        except ConfigurationError:
            problems.append("LEADMEM_MASTER_KEY (not a Fernet key)")
    if problems:
        return problems
    assert s.ghl_oauth_client_id and s.ghl_oauth_redirect_uri and s.master_key
    return InstallConfig(s.ghl_oauth_client_id, secret, s.ghl_oauth_redirect_uri,
                         s.master_key, s.ghl_base_url, s.outbound_timeout_s)


def _valid_code(code: str) -> bool:
    return 0 < len(code) <= MAX_CODE_CHARS and code.isascii() and code.isprintable() \
        and not any(c.isspace() for c in code)


class InstallHandler:
    def __init__(self, settings: Settings, *, clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._settings = settings
        self.config = install_config(settings)
        self._clock = clock
        self._sleep = sleep
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()
        self._db: TenantDatabase | None = None
        self._oauth: OAuthClient | None = None

    async def close(self) -> None:
        """Close the pool and the HTTP client, if a callback opened them."""
        await self._stack.aclose()

    async def _open(self, cfg: InstallConfig) -> tuple[TenantDatabase, OAuthClient]:
        async with self._lock:
            if self._oauth is None:
                http = httpx.AsyncClient(timeout=cfg.timeout_s, follow_redirects=False)
                self._stack.push_async_callback(http.aclose)
                self._oauth = OAuthClient(http, base_url=cfg.base_url,
                                          client_id=cfg.client_id,
                                          client_secret=cfg.client_secret)
            if self._db is None:
                self._db = await open_database(self._settings, self._stack, min_size=1,
                                               max_size=POOL_SIZE)
                log.info("receiver: opened the database for OAuth callbacks")
            return self._db, self._oauth

    async def callback(self, request: web.Request) -> web.Response:
        page = await self._answer(request)
        return web.Response(status=page.status, text=page.html, content_type="text/html",
                            charset="utf-8", headers=HEADERS)

    def _fail(self, outcome: str, status: int, title: str, what: str, next_step: str) -> Page:
        INSTALLS.labels(outcome).inc()
        return error_page(status, title, what, next_step)

    async def _answer(self, request: web.Request) -> Page:
        codes = request.query.getall("code", [])
        if not codes and request.query.get("error"):
            return self._fail("declined", 400, "Not installed",
                              "GHL sent you back without installing the app ("
                              f"{request.query.get('error', '')[:100]}).",
                              "Nothing was connected. To connect, install the app again "
                              "from GHL's Marketplace and approve it.")
        if len(codes) != 1 or not _valid_code(codes[0]):
            return self._fail("no_code", 400, "No install code",
                              "This address is where GHL sends an admin back after "
                              "installing the app, with a code; this request came without "
                              "a usable one.",
                              "Start the install from the app's page in GHL's Marketplace.")
        cfg = self.config
        if isinstance(cfg, list):
            log.error("receiver: an OAuth callback arrived but installing is not configured: "
                      "set %s", ", ".join(cfg))
            return self._fail("not_configured", 503, "Installing is not set up yet",
                              "This lead-memory deployment cannot take installs yet: its "
                              "operator has not finished its OAuth settings.",
                              "Nothing was connected. Tell the operator, then install again.")
        try:
            db, oauth = await self._open(cfg)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                RetryableError) as exc:
            log.error("receiver: OAuth callback: the database is unavailable: %r", exc)
            return self._fail("db_unavailable", 503, "Try again in a minute",
                              "lead-memory cannot reach its database right now; your install "
                              "code was not used.",
                              "Reload this page in a minute (the code stays valid for a few "
                              "minutes), or start the install again from GHL.")
        return await self._install(db, oauth, cfg, codes[0])

    async def _install(self, db: TenantDatabase, oauth: OAuthClient, cfg: InstallConfig,
                       code: str) -> Page:
        try:
            grant = await oauth.exchange(code, redirect_uri=cfg.redirect_uri)
        except OAuthRefusedError as exc:
            if exc.client_refused:
                log.error("receiver: GHL refused this deployment's OAuth client: %s (check "
                          "LEADMEM_GHL_OAUTH_CLIENT_ID / _SECRET)", exc)
                return self._fail("client_refused", 502, "GHL refused this app",
                                  "GHL did not accept this deployment's app credentials, so "
                                  "nothing was connected.",
                                  "Tell the operator of lead-memory, then install again.")
            log.warning("receiver: GHL refused an install code: %s", exc)
            return self._fail("code_refused", 400,
                              "This install link has expired or was already used",
                              f"GHL refused the install code ({exc.reason}); nothing was "
                              "connected.",
                              "Start the install again from the app's page in GHL's "
                              "Marketplace.")
        except OAuthUnavailableError as exc:
            log.warning("receiver: GHL did not answer the code exchange: %s", exc)
            return self._fail("ghl_unavailable", 502, "GHL did not answer",
                              "GHL did not answer in time, so nothing was connected.",
                              "Reload this page in a minute, or start the install again "
                              "from GHL.")
        except MalformedGrantError as exc:
            log.error("receiver: GHL's answer to an install code is unusable: %s", exc)
            return self._fail("bad_answer", 502, "GHL's answer could not be used",
                              f"{exc}; nothing was stored.",
                              "Start the install again from GHL; if it happens again, tell "
                              "the operator of lead-memory.")
        try:
            installed = await record_install(db, cfg.master_key, oauth, grant,
                                             clock=self._clock, sleep=self._sleep)
        except NotStoredError as exc:
            log.critical("receiver: an install was granted but not stored: %s", exc)
            return self._fail("not_stored", 503, "Connected at GHL, but not saved",
                              "GHL granted the install, but lead-memory could not save it.",
                              "Install the app again from GHL in a minute.")
        except PipelineError as exc:
            log.error("receiver: an install could not be kept: %s", exc)
            return self._fail("bad_answer", 502, "GHL's answer could not be used",
                              f"{exc}; nothing was stored.",
                              "Start the install again from GHL.")
        INSTALLS.labels("connected").inc()
        return connected_page(installed)


def attach(resources: Resources) -> InstallHandler:
    """Serve `GET /oauth/callback` on the receiver's port (beside its webhook route); its
    pool and HTTP client close after the HTTP server stopped."""
    handler = InstallHandler(resources.settings)
    resources.stack.push_async_callback(handler.close)
    resources.serve(Routes((web.get(CALLBACK_PATH, handler.callback),), f"GET {CALLBACK_PATH}",
                           client_max_size=1024, shutdown_timeout=5.0))
    if isinstance(handler.config, list):
        log.info("receiver: GET %s answers 503 until %s are set", CALLBACK_PATH,
                 ", ".join(handler.config))
    else:
        log.info("receiver: Marketplace installs on GET %s (redirect URI %s)", CALLBACK_PATH,
                 handler.config.redirect_uri)
    return handler
