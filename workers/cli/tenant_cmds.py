"""`leadmem tenant add|list|show|config`: onboard and configure agencies (GHL locations).

Tenant-scoped reads and writes go through `TenantDatabase.transaction` as the workers' role,
under row-level security; `tenant list` reads across tenants on the admin connection.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from schemas.events import DeadLetter
from workers.cli.errors import CliError
from workers.cli.ops_common import (
    _QUIET,
    CHANNELS,
    Sub,
    admin_conn,
    run,
    table,
    tenant_tx,
)
from workers.consent.quiet import FEDERAL, QuietWindow, next_open
from workers.errors import ConfigurationError
from workers.runtime.record import Record
from workers.secrets import encrypt


def register(sub: Sub) -> None:
    t = sub.add_parser("tenant", help="onboard and configure tenants (GHL locations)")
    ts = t.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    p = ts.add_parser("add", help="create a tenant (idempotent)")
    p.add_argument("tenant_id", metavar="ID", help="the GHL locationId")
    p.add_argument("--name")
    p.set_defaults(func=lambda a: run(tenant_add(a), a.settings))
    ts.add_parser("list", help="every tenant (admin connection)").set_defaults(
        func=lambda a: run(tenant_list(a), a.settings))
    p = ts.add_parser("show", help="one tenant's configuration and counts (JSON)")
    p.add_argument("tenant_id", metavar="ID")
    p.set_defaults(func=lambda a: run(tenant_show(a), a.settings))
    p = ts.add_parser("config", help="change a tenant's reply configuration")
    p.add_argument("tenant_id", metavar="ID")
    p.add_argument("--model", help="Claude model for this tenant")
    p.add_argument("--persona", help="who the assistant speaks as")
    p.add_argument("--api-key", help="the tenant's own Anthropic key (stored encrypted)")
    p.add_argument("--service-areas", metavar="JSON",
                   help='["Austin", {"name": "Round Rock", "aliases": ["RR"]}]')
    p.add_argument("--quiet-hours", metavar="HH:MM-HH:MM",
                   help="no automated texts from HH:MM until HH:MM, the lead's local time "
                        "(21:00-08:00 is one night; on top of the legal hours), or off")
    p.add_argument("--channels", help="reply channels, comma separated: " + ",".join(CHANNELS))
    p.add_argument("--ai", choices=("on", "off"), help="AI replies on or off")
    p.add_argument("--timezone", metavar="TZ", help="IANA name, e.g. America/Chicago")
    p.set_defaults(func=lambda a: run(tenant_config(a), a.settings))


async def tenant_add(args: argparse.Namespace) -> int:
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        created = await conn.fetchval(
            """INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
               SET name = COALESCE(EXCLUDED.name, tenants.name) RETURNING xmax = 0""",
            args.tenant_id, args.name)
        await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                           "ON CONFLICT (tenant_id) DO NOTHING", args.tenant_id)
    print(f"{'added' if created else 'updated'} tenant {args.tenant_id}")
    return 0


async def tenant_list(args: argparse.Namespace) -> int:
    async with admin_conn(args.settings) as conn:
        rows = await conn.fetch(
            """SELECT t.id, coalesce(t.name, '') AS name, t.ai_enabled,
                      coalesce(s.claude_model, '-') AS model,
                      s.claude_api_key_enc IS NOT NULL AS own_key,
                      (SELECT count(*) FROM contacts c WHERE c.tenant_id = t.id) AS contacts
               FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id
               ORDER BY t.id""")
    table([("TENANT", "NAME", "AI", "MODEL", "OWN KEY", "CONTACTS")] + [
        (r["id"], r["name"], "on" if r["ai_enabled"] else "off", r["model"],
         "yes" if r["own_key"] else "no", str(r["contacts"])) for r in rows])
    print(f"{len(rows)} tenant(s)")
    return 0


async def tenant_show(args: argparse.Namespace) -> int:
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        tenant = await conn.fetchrow("SELECT * FROM tenants WHERE id = $1", args.tenant_id)
        if tenant is None:
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        conf = await conn.fetchrow("SELECT * FROM tenant_settings WHERE tenant_id = $1",
                                   args.tenant_id)
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # RLS: this tenant
                  for t in ("contacts", "messages", "replies", "lead_profiles")}
    settings = dict(conf) if conf is not None else {}
    settings["claude_api_key"] = "set" if settings.pop("claude_api_key_enc", None) else "not set"
    settings.pop("tenant_id", None)
    start, end = settings.pop("no_texts_from", None), settings.pop("no_texts_until", None)
    settings["quiet_hours"] = None if start is None else {
        "no_texts_from": f"{start:%H:%M}", "no_texts_until": f"{end:%H:%M}"}
    print(json.dumps({**dict(tenant), "settings": settings, "counts": counts},
                     indent=2, default=str))
    return 0


def config_changes(args: argparse.Namespace) -> dict[str, Any]:
    """Validated column values for `tenant config` (raises CliError on bad input)."""
    changes: dict[str, Any] = {}
    if args.model is not None:
        if not args.model.strip():
            raise CliError("--model must not be empty")
        changes["claude_model"] = args.model.strip()
    if args.persona is not None:
        changes["persona"] = args.persona
    if args.api_key is not None:
        key = args.settings.master_key
        if key is None:
            raise CliError("--api-key needs LEADMEM_MASTER_KEY to encrypt it; refusing to "
                           "store it in clear")
        try:
            changes["claude_api_key_enc"] = encrypt(args.api_key, key)
        except ConfigurationError as exc:
            raise CliError(str(exc)) from exc
    if args.service_areas is not None:
        changes["service_areas"] = service_areas(args.service_areas)
    if args.quiet_hours is not None:
        changes["no_texts_from"], changes["no_texts_until"] = quiet_hours(args.quiet_hours)
    if args.channels is not None:
        chosen = [c.strip() for c in args.channels.split(",") if c.strip()]
        unknown = sorted(set(chosen) - set(CHANNELS))
        if not chosen or unknown:
            raise CliError(f"--channels: unknown {', '.join(unknown) or '(none given)'}; "
                           f"choose from {', '.join(CHANNELS)}")
        changes["reply_channels"] = chosen
    if args.timezone is not None:
        try:
            ZoneInfo(args.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise CliError(f"--timezone: unknown time zone {args.timezone!r}") from exc
        changes["timezone"] = args.timezone
    return changes


def service_areas(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--service-areas is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise CliError("--service-areas must be a JSON list")
    areas = []
    for item in data:
        if isinstance(item, str) and item.strip():
            areas.append({"name": item.strip(), "aliases": []})
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and all(
                isinstance(a, str) for a in item.get("aliases", [])):
            areas.append({"name": item["name"], "aliases": list(item.get("aliases", []))})
        else:
            raise CliError(f"--service-areas: {item!r} is not a name or "
                           '{"name": ..., "aliases": [...]}')
    return areas


def quiet_hours(text: str) -> tuple[time | None, time | None]:
    """`21:00-08:00` -> (21:00, 08:00): the quiet window itself, never the send window."""
    if text.lower() in ("off", "none", ""):
        return None, None
    match = _QUIET.match(text)
    if match is None:
        raise CliError(f"--quiet-hours {text!r}: expected HH:MM-HH:MM, e.g. 21:00-08:00")
    start, end = time.fromisoformat(match.group(1)), time.fromisoformat(match.group(3))
    if start == end:
        raise CliError(f"--quiet-hours {text!r}: start and end are the same time")
    window = QuietWindow(start, end)
    if next_open(datetime(2026, 1, 5, 12, tzinfo=UTC), ZoneInfo("UTC"),
                 (FEDERAL.quiet, window)) is None:
        raise CliError(f"--quiet-hours {text!r} with the legal hours ({FEDERAL.quiet}) "
                       "leaves no time at which a text may be sent")
    return start, end


async def tenant_config(args: argparse.Namespace) -> int:
    changes = config_changes(args)
    if not changes and args.ai is None:
        raise CliError("nothing to change: give at least one option (see --help)")
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        if not await conn.fetchval("SELECT 1 FROM tenants WHERE id = $1", args.tenant_id):
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        if args.ai is not None:
            await conn.execute("UPDATE tenants SET ai_enabled = $2 WHERE id = $1",
                               args.tenant_id, args.ai == "on")
        if changes:
            cols = list(changes)  # names come from config_changes, never from input
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
            await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1) "
                               "ON CONFLICT (tenant_id) DO NOTHING", args.tenant_id)
            await conn.execute(
                f"UPDATE tenant_settings SET {sets}, updated_at = now() WHERE tenant_id = $1",
                args.tenant_id, *changes.values())
    shown = [c if c != "claude_api_key_enc" else "claude_api_key (encrypted)" for c in changes]
    print(f"tenant {args.tenant_id}: updated "
          + ", ".join(shown + (["ai_enabled"] if args.ai is not None else [])))
    return 0


Letter = tuple[Record, DeadLetter]
