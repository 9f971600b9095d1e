"""The audit log: who changed what and when (operators: every tenant's and the console's
own, or one tenant's; an agency admin: its tenant's only)."""

from __future__ import annotations

from aiohttp import web

from schemas.ids import is_safe_id
from workers.console import audit
from workers.console.web import Console, NotFound, Visit

LIMIT = 200


async def index(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/audit[?tenant=T]`."""
    asked = request.query.get("tenant") or None
    if asked is not None and not is_safe_id(asked):
        raise NotFound()
    if not visit.user.operator:
        if asked is not None and asked != visit.user.tenant:
            raise NotFound()
        asked = visit.user.tenant
    pool = await console.admin.get()
    async with pool.acquire() as conn:
        entries = await audit.recent(conn, asked, LIMIT)
    return console.render("audit.html", visit=visit, entries=entries, tenant=asked or "",
                          limit=LIMIT)
