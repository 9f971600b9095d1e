"""A tenant's settings: the form of everything `leadmem tenant config` sets, validated by the
settings' owner (`console.forms` calls `workers.tenants.validate`), written by its one writer
(`workers.tenants.store.update`, `set_ai` for the AI switch and going live, the GHL token
store for a refresh token), all or nothing, audited in the same transaction (the fields'
texts before and after; secrets only as "set")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from workers.console import audit, forms
from workers.console.web import Console, NotFound, Visit, form_values, redirect, scope
from workers.errors import ConfigurationError
from workers.ghl.token_store import put_refresh_token
from workers.secrets import encrypt
from workers.tenants import TenantSettings
from workers.tenants import store as tenants
from workers.tenants.lifecycle import LifecycleError
from workers.tenants.validate import CHANNELS, CRM_KINDS


def _page(console: Console, visit: Visit, conf: TenantSettings, *, values: dict[str, str],
          errors: dict[str, str], status: int = 200, saved: str = "",
          ai: str | None = None) -> web.Response:
    return console.render(
        "settings.html", status=status, visit=visit, tenant=conf, fields=forms.FIELDS,
        values=values, errors=errors, saved=saved, channels=CHANNELS, crm_kinds=CRM_KINDS,
        ai=ai if ai is not None else ("on" if conf.ai_enabled else "off"),
        master_key=console.settings.master_key is not None)


async def show(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`GET /console/t/{tenant}/settings`."""
    tenant = scope(request, visit)
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
    if not conf.known:
        raise NotFound()
    saved = "The settings were saved." if request.query.get("saved") else ""
    return _page(console, visit, conf, values=forms.shown(conf), errors={}, saved=saved)


def _secret(text: str | None, what: str, console: Console,
            errors: dict[str, str], name: str) -> bytes | str | None:
    """A write-only secret of the form: None when left empty; else its encrypted bytes
    (the API key) or the checked text (the refresh token), or an error recorded."""
    value = (text or "").strip()
    if not value:
        return None
    if any(c.isspace() for c in value):
        errors[name] = f"the {what} must be one word (got several lines or words)"
        return None
    key = console.settings.master_key
    if key is None:
        errors[name] = (f"storing the {what} needs LEADMEM_MASTER_KEY to encrypt it; "
                        "refusing to store it in clear")
        return None
    try:
        encrypted = encrypt(value, key)
    except ConfigurationError as exc:
        errors[name] = str(exc)
        return None
    return encrypted if name == "api_key" else value


async def save(console: Console, request: web.Request, visit: Visit) -> web.StreamResponse:
    """`POST /console/t/{tenant}/settings` (form#settings)."""
    tenant = scope(request, visit)
    form = form_values(await request.post())
    async with console.db.transaction(tenant) as conn:
        conf = await tenants.read(conn, tenant)
        if not conf.known:
            raise NotFound()
        outcome = forms.read_form(form, conf)
        errors = dict(outcome.errors)
        changes: dict[str, Any] = dict(outcome.changes)
        api_key = _secret((form.get("api_key") or [""])[-1], "API key", console, errors,
                          "api_key")
        refresh = _secret((form.get("ghl_refresh_token") or [""])[-1], "GHL refresh token",
                          console, errors, "ghl_refresh_token")
        ai_text = (form.get("ai") or [""])[-1]
        was = "on" if conf.ai_enabled else "off"
        ai = ai_text if ai_text in ("on", "off") and ai_text != was else None
        before: dict[str, Any] = {k: b for k, (b, _) in outcome.texts.items()}
        after: dict[str, Any] = {k: a for k, (_, a) in outcome.texts.items()}
        if isinstance(api_key, bytes):
            changes["claude_api_key_enc"] = api_key
            before["api_key"] = "set" if conf.claude_api_key_enc else "not set"
            after["api_key"] = "set"
        if not errors:
            await tenants.update(conn, tenant, changes)
            if ai is not None:  # after the settings: going live checks them
                try:
                    await tenants.set_ai(conn, tenant, ai == "on")
                except LifecycleError as exc:
                    errors["ai"] = str(exc)
                else:
                    before["ai"], after["ai"] = was, ai
        if not errors and isinstance(refresh, str):
            version = await put_refresh_token(conn, tenant, refresh,
                                              console.settings.master_key)
            before["ghl_refresh_token"] = "-"  # a secret: never shown
            after["ghl_refresh_token"] = f"set (version {version})"
        if errors:
            # Nothing of this form is kept: the transaction rolls back with this exception.
            raise _Refused(conf, errors)
        if after:
            await audit.record(conn, audit.Actor.of(visit.user), "settings.update",
                               tenant=tenant, before=before, after=after)
    return redirect(f"/console/t/{tenant}/settings?saved=1")


class _Refused(Exception):
    def __init__(self, conf: TenantSettings, errors: dict[str, str]) -> None:
        super().__init__("the settings form was refused")
        self.conf = conf
        self.errors = errors


async def save_or_refuse(console: Console, request: web.Request,
                         visit: Visit) -> web.StreamResponse:
    """`save`, and a refused form shown again with the owner's errors (400), its values as
    submitted (secrets never echoed)."""
    try:
        return await save(console, request, visit)
    except _Refused as refused:
        form = form_values(await request.post())
        values = forms.shown(refused.conf)
        for field in forms.FIELDS:
            text = forms.submitted(field, form)
            if text is not None:
                values[field.name] = text
        ai = (form.get("ai") or [""])[-1]
        return _page(console, visit, refused.conf, values=values, errors=refused.errors,
                     status=400, ai=ai if ai in ("on", "off") else None)
