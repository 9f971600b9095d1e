"""The console's routes on the worker host's port (beside `/health` and `/metrics`), and the
form ids a browser test finds them by:

    GET  /console/login                              form#login (email, password, csrf)
    POST /console/login, POST /console/logout        form#logout
    GET  /console/tenants                            operators: every tenant
    GET  /console/status                             operators: `leadmem status`
    GET  /console/t/{tenant}                         a tenant at a glance, with its charts
    GET  /console/t/{tenant}/settings, POST ...      form#settings
    GET  /console/t/{tenant}/leads?q=                form#lead-search
    GET  /console/t/{tenant}/leads/{contact}         one lead (.../export.json: its rows)
    GET  /console/t/{tenant}/leads/{contact}/forget, POST: form#forget (confirm=yes)
    GET  /console/t/{tenant}/held                    form#release-{key}, form#cancel-{key}
    POST /console/t/{tenant}/replies/{key}/release   ... /cancel
    GET  /console/dlq[?tenant=], /console/dlq/{partition}/{offset}   operators
    GET  /console/dlq/replay?position=P:O | ?all=1[&tenant=T], POST: form#dlq-replay
    GET  /console/audit[?tenant=]

Every POST form carries `csrf`; every page but the login goes through `web.page`."""

from __future__ import annotations

from functools import partial
from importlib.resources import files

from aiohttp import web

from workers.console.access import home
from workers.console.views import audit_log, dlq, leads, login, replies, settings, tenants
from workers.console.web import Console, Visit, page, redirect, secured
from workers.runtime.http import Routes

MAX_BODY_BYTES = 256 * 1024  # a settings form with long JSON fits; nothing else comes near
SHUTDOWN_S = 10.0
CSS = files("workers.console").joinpath("static/console.css").read_bytes()


async def _root(_: web.Request) -> web.StreamResponse:
    return secured(redirect("/console/"))


async def _css(_: web.Request) -> web.StreamResponse:
    return secured(web.Response(body=CSS, content_type="text/css", charset="utf-8",
                                headers={"Cache-Control": "public, max-age=300"}))


def routes(console: Console) -> Routes:
    served = [
        web.get("/", _root),
        web.get("/console", _root),
        web.get("/console/", page(console, _home)),
        web.get("/console/static/console.css", _css),
        web.get("/console/login", partial(login.login_form, console)),
        web.post("/console/login", partial(login.login, console)),
        web.post("/console/logout", page(console, login.logout)),
        web.get("/console/tenants", page(console, tenants.index, operators_only=True)),
        web.get("/console/status", page(console, tenants.status, operators_only=True)),
        web.get("/console/t/{tenant}", page(console, tenants.overview)),
        web.get("/console/t/{tenant}/settings", page(console, settings.show)),
        web.post("/console/t/{tenant}/settings", page(console, settings.save_or_refuse)),
        web.get("/console/t/{tenant}/leads", page(console, leads.index)),
        web.get("/console/t/{tenant}/leads/{contact}", page(console, leads.lead)),
        web.get("/console/t/{tenant}/leads/{contact}/export.json",
                page(console, leads.export)),
        web.get("/console/t/{tenant}/leads/{contact}/forget",
                page(console, leads.forget_confirm)),
        web.post("/console/t/{tenant}/leads/{contact}/forget", page(console, leads.forget)),
        web.get("/console/t/{tenant}/held", page(console, replies.index)),
        web.post("/console/t/{tenant}/replies/{key}/release", page(console, replies.release)),
        web.post("/console/t/{tenant}/replies/{key}/cancel", page(console, replies.cancel)),
        web.get("/console/dlq", page(console, dlq.index, operators_only=True)),
        web.get(r"/console/dlq/{partition:\d+}/{offset:\d+}",
                page(console, dlq.show, operators_only=True)),
        web.get("/console/dlq/replay", page(console, dlq.confirm, operators_only=True)),
        web.post("/console/dlq/replay", page(console, dlq.run, operators_only=True)),
        web.get("/console/audit", page(console, audit_log.index)),
    ]
    return Routes(tuple(served), "console pages on /console/", client_max_size=MAX_BODY_BYTES,
                  shutdown_timeout=SHUTDOWN_S)


async def _home(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    return redirect(home(visit.user))
