"""The console's request plumbing: its clients (`Console`), who is asking (`Visit`: the session
from the cookie, its user and CSRF token), the wrapper every page goes through (`page`:
a session or the login page, operators-only pages, the CSRF check on every POST, error pages,
security headers), cookies and rendering with Jinja2 (autoescaping on: every value a page
shows is escaped unless it is markup the console made, like the charts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined
from redis.exceptions import RedisError

from workers.console import accounts, sessions
from workers.console.access import User, tenant_scope
from workers.console.client_address import Network, networks
from workers.console.ratelimit import LoginLimits, LoginThrottle
from workers.db.tenant import TenantDatabase
from workers.errors import RetryableError
from workers.runtime.clients import ProducerLink, open_admin_pool
from workers.runtime.kafka_access import KafkaAccess, kafka_access
from workers.settings import Settings

log = logging.getLogger(__name__)

COOKIE = "lm_console"  # the session's token
LOGIN_COOKIE = "lm_console_login"  # the login form's CSRF token, before a session exists
LOGIN_PATH = "/console/login"
HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Services away: the page says so (503) instead of a traceback.
UNAVAILABLE = (RetryableError, OSError, TimeoutError, asyncpg.PostgresConnectionError,
               asyncpg.InterfaceError, RedisError)


def when(value: datetime | None) -> str:
    """A time as pages show it (UTC)."""
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: Decimal | float | int | None) -> str:
    return f"${float(value or 0):,.4f}"


def environment() -> Environment:
    env = Environment(loader=PackageLoader("workers.console", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["seg"] = lambda v: quote(str(v), safe="")
    env.filters["when"] = when
    env.filters["money"] = money
    return env


class AdminPool:
    """The admin role's pool, opened at the first request (the host's `build` is not async),
    closed with the host's other clients."""

    def __init__(self, settings: Settings, stack: AsyncExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await open_admin_pool(self.settings, self.stack)
        return self._pool


@dataclass
class Console:
    """The console's clients and configuration, built once by its `WorkerSpec`."""

    settings: Settings
    db: TenantDatabase  # the workers' role: every read and write of a tenant's data
    admin: AdminPool  # the admin role: the console's own tables, cross-tenant pages, the DLQ
    redis: aioredis.Redis
    producer: ProducerLink | None  # ReplyDrafted of a released draft; DLQ replays
    templates: Environment = field(default_factory=environment)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def lifetime(self) -> sessions.Lifetime:
        s = self.settings
        return sessions.Lifetime(timedelta(seconds=s.console_session_ttl_s),
                                 timedelta(seconds=s.console_session_idle_s))

    @property
    def kafka(self) -> KafkaAccess:
        return kafka_access(self.settings)

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        return networks(self.settings.console_trusted_proxies)

    @property
    def throttle(self) -> LoginThrottle:
        s = self.settings
        return LoginThrottle(self.redis, LoginLimits(
            s.console_login_max_failures, s.console_login_max_failures_ip,
            s.console_login_window_s))

    def secure(self, request: web.Request) -> bool:
        """Cookies are Secure when the console is reached over https (directly, or behind a
        proxy whose public URL is https)."""
        public = self.settings.console_public_url or ""
        return request.secure or public.lower().startswith("https://")

    def set_cookie(self, request: web.Request, response: web.StreamResponse, name: str,
                   value: str, max_age: float) -> None:
        response.set_cookie(name, value, max_age=int(max_age), path="/", httponly=True,
                            samesite="Strict", secure=self.secure(request))

    def render(self, template: str, *, status: int = 200, visit: Visit | None = None,
               **context: Any) -> web.Response:
        page = self.templates.get_template(template).render(
            visit=visit, user=visit.user if visit else None,
            csrf=visit.csrf if visit else "", **context)
        return web.Response(text=page, status=status, content_type="text/html",
                            charset="utf-8")

    async def visit(self, request: web.Request) -> Visit | None:
        """Who is asking: the session of the request's cookie, if it is valid (its last use
        recorded at most once a minute); None otherwise."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        pool = await self.admin.get()
        digest = sessions.token_hash(token)
        found = await accounts.session(pool, digest)
        if found is None:
            return None
        now = self.clock()
        if sessions.state(found.created_at, found.last_seen_at, now, self.lifetime) != "valid":
            await accounts.close_session(pool, digest)
            return None
        if sessions.needs_touch(found.last_seen_at, now):
            await accounts.touch(pool, digest, now)
        return Visit(found.user, token, sessions.csrf_token(token))


@dataclass(frozen=True)
class Visit:
    """An authenticated request: its user, its session's token and CSRF token."""

    user: User
    token: str
    csrf: str


Handler = Callable[[Console, web.Request, Visit], Awaitable[web.StreamResponse]]


class NotFound(web.HTTPNotFound):
    """Not found, or not this user's to see: the same answer (404)."""


def scope(request: web.Request, visit: Visit) -> str:
    """The tenant of a `/console/t/{tenant}/...` request this user may reach (`NotFound`
    otherwise); its data is then read under that tenant's row-level security."""
    tenant = tenant_scope(visit.user, request.match_info["tenant"])
    if tenant is None:
        raise NotFound()
    return tenant


def secured(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def safe_next(target: str | None) -> str | None:
    """A path to go back to after logging in: only one of the console's own."""
    if target and target.startswith("/console/") and not target.startswith("//") \
            and "\\" not in target and "://" not in target:
        return target
    return None


def page(console: Console, handler: Handler, *,
         operators_only: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The route handler of a page: a valid session (or the login page for a GET; 403 for
    anything else), operators-only pages not found for agency admins, the CSRF token checked
    on every POST (403), errors as pages, security headers on every answer."""

    async def serve(request: web.Request) -> web.StreamResponse:
        visit: Visit | None = None
        try:
            visit = await console.visit(request)
            if visit is None:
                if request.method == "GET":
                    return secured(redirect(f"{LOGIN_PATH}?next={quote(request.path_qs)}"))
                return secured(console.render("error.html", status=403, title="Forbidden",
                                              message="Log in first."))
            if operators_only and not visit.user.operator:
                raise NotFound()
            if request.method == "POST":
                form = await request.post()
                submitted = form.get("csrf")
                if not sessions.csrf_ok(visit.token,
                                        submitted if isinstance(submitted, str) else None):
                    return secured(console.render(
                        "error.html", status=403, visit=visit, title="Forbidden",
                        message="This form's security token is missing or wrong (was it "
                                "opened in another session?). Go back, reload the page and "
                                "try again."))
            return secured(await handler(console, request, visit))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return secured(console.render("error.html", status=exc.status, visit=visit,
                                          title=exc.reason, message=""))
        except UNAVAILABLE as exc:
            log.warning("console: %s %s: a service is away: %r", request.method,
                        request.path, exc)
            return secured(console.render(
                "error.html", status=503, visit=visit, title="Service unavailable",
                message="A service the console needs did not answer (Postgres, Redis or "
                        "Kafka). Nothing was changed by this request; try again shortly."))

    return serve


def redirect(location: str) -> web.Response:
    """303 See Other: after a POST, the browser GETs `location`."""
    return web.Response(status=303, headers={"Location": location})


def form_values(form: Mapping[str, Any]) -> dict[str, list[str]]:
    """A submitted form as field -> every value (text fields only)."""
    out: dict[str, list[str]] = {}
    getall = getattr(form, "getall", None)
    for key in set(form):
        values = getall(key) if getall is not None else [form[key]]
        out[key] = [v for v in values if isinstance(v, str)]
    return out
