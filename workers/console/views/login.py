"""Logging in and out. The login form carries a CSRF token of its own (a random token in a
short-lived cookie, `sessions.csrf_token` of it in the form: double submit); failed logins
are counted per account and per address (`ratelimit`), and an unknown address costs the
same password check as a wrong password. A success opens a session (its token in an
HttpOnly, SameSite=Strict cookie, Secure over https) and records the login in the audit."""

from __future__ import annotations

from aiohttp import web

from workers.console import accounts, audit, passwords, sessions
from workers.console.access import home
from workers.console.client_address import client_address
from workers.console.web import (
    COOKIE,
    LOGIN_COOKIE,
    LOGIN_PATH,
    UNAVAILABLE,
    Console,
    Visit,
    redirect,
    safe_next,
    secured,
)

LOGIN_FORM_TTL_S = 3600
REFUSED = "Wrong email or password, or the account is disabled."


def _form(console: Console, request: web.Request, *, status: int = 200, error: str = "",
          email: str = "") -> web.Response:
    token = request.cookies.get(LOGIN_COOKIE) or sessions.new_token()
    response = console.render("login.html", status=status, login_csrf=sessions.csrf_token(token),
                              error=error, email=email,
                              next=safe_next(request.query.get("next")) or "")
    console.set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_FORM_TTL_S)
    return response


async def login_form(console: Console, request: web.Request) -> web.StreamResponse:
    """`GET /console/login`."""
    try:
        visit = await console.visit(request)
    except UNAVAILABLE:
        visit = None
    if visit is not None:
        return secured(redirect(home(visit.user)))
    return secured(_form(console, request))


async def login(console: Console, request: web.Request) -> web.StreamResponse:
    """`POST /console/login`: email, password, csrf (and where to go next)."""
    form = await request.post()
    csrf, email_text, password = (form.get(k) for k in ("csrf", "email", "password"))
    if not sessions.csrf_ok(request.cookies.get(LOGIN_COOKIE),
                            csrf if isinstance(csrf, str) else None):
        return secured(console.render(
            "error.html", status=403, title="Forbidden",
            message="The login form's security token is missing or wrong: reload the login "
                    "page and try again."))
    email_text = email_text if isinstance(email_text, str) else ""
    password = password if isinstance(password, str) else ""
    try:
        email = accounts.normal_email(email_text)
    except accounts.AccountError:
        email = email_text.strip().lower()[:254] or "-"
    address = client_address(request.remote, request.headers.getall("X-Forwarded-For", []),
                             console.trusted_proxies)
    try:
        response = await _check(console, request, email, password, address)
    except UNAVAILABLE:
        return secured(_form(console, request, status=503, email=email_text, error=(
            "Logging in is not possible right now (the database or the login rate limit "
            "did not answer). Try again shortly.")))
    return secured(response)


async def _check(console: Console, request: web.Request, email: str, password: str,
                 address: str) -> web.StreamResponse:
    throttle = console.throttle
    if await throttle.refuses(email, address):
        minutes = max(1, round(console.settings.console_login_window_s / 60))
        return _form(console, request, status=429, email=email, error=(
            f"Too many failed logins: try again in {minutes} minutes."))
    pool = await console.admin.get()
    found = await accounts.credentials(pool, email)
    encoded = found[1] if found is not None else passwords.dummy_hash()
    matches = passwords.verify(encoded, password)
    if found is None or not matches or found[0].disabled:
        await throttle.failed(email, address)
        return _form(console, request, status=401, email=email, error=REFUSED)
    user = found[0]
    await throttle.succeeded(email)
    if passwords.needs_rehash(encoded):
        await accounts.set_password_hash(pool, user.user_id, passwords.hash_password(password))
    now = console.clock()
    lifetime = console.lifetime
    token = sessions.new_token()
    async with pool.acquire() as conn, conn.transaction():
        await accounts.prune_sessions(conn, now, lifetime)
        await accounts.open_session(conn, sessions.token_hash(token), user, now, lifetime,
                                    address)
        await audit.record(conn, audit.Actor.of(user), "login", tenant=user.tenant,
                           after={"address": address})
    form = await request.post()
    target = form.get("next")
    response = redirect(safe_next(target if isinstance(target, str) else None)
                        or home(user))
    console.set_cookie(request, response, COOKIE, token, lifetime.ttl.total_seconds())
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/logout`: the session ends (its row deleted, its cookie cleared)."""
    pool = await console.admin.get()
    async with pool.acquire() as conn, conn.transaction():
        await accounts.close_session(conn, sessions.token_hash(visit.token))
        await audit.record(conn, audit.Actor.of(visit.user), "logout",
                           tenant=visit.user.tenant)
    response = redirect(LOGIN_PATH)
    response.del_cookie(COOKIE, path="/")
    return response
