"""`leadmem tenant add|list|show|config`: onboard and configure agencies (GHL locations).

Tenant-scoped reads and writes go through `TenantDatabase.transaction` as the workers' role,
under row-level security; `tenant list` reads across tenants on the admin connection.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
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
from workers.consent.quiet import FEDERAL_QUIET, QuietWindow, next_open
from workers.errors import ConfigurationError
from workers.ghl.token_store import put_refresh_token
from workers.learning.extract.model import PROFILE_FIELDS
from workers.runtime.record import Record
from workers.secrets import MasterKey, encrypt


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
    # Secrets are read from standard input or the environment, never from the command line
    # (argv shows in `ps` and stays in shell history).
    key = p.add_mutually_exclusive_group()
    key.add_argument("--api-key-stdin", action="store_true",
                     help="the tenant's own Anthropic key, read from standard input "
                          "(stored encrypted)")
    key.add_argument("--api-key-env", metavar="VAR",
                     help="the tenant's own Anthropic key, read from environment variable VAR")
    key.add_argument("--api-key", nargs="?", const="", help=argparse.SUPPRESS)  # refused
    ghl = p.add_mutually_exclusive_group()
    ghl.add_argument("--ghl-refresh-token-stdin", action="store_true",
                     help="store (or replace) the location's GHL OAuth refresh token, read "
                          "from standard input (stored encrypted)")
    ghl.add_argument("--ghl-refresh-token-env", metavar="VAR",
                     help="the same, read from environment variable VAR")
    p.add_argument("--service-areas", metavar="JSON",
                   help='["Austin", {"name": "Round Rock", "aliases": ["RR"]}]')
    p.add_argument("--quiet-hours", metavar="HH:MM-HH:MM",
                   help="no automated texts from HH:MM until HH:MM, the lead's local time "
                        "(21:00-08:00 is one night; on top of the legal hours), or off")
    p.add_argument("--channels", help="reply channels, comma separated: " + ",".join(CHANNELS))
    p.add_argument("--ai", choices=("on", "off"), help="AI replies on or off")
    p.add_argument("--timezone", metavar="TZ", help="IANA name, e.g. America/Chicago")
    p.add_argument("--allowed-domains", metavar="A,B",
                   help="domains a drafted reply may link to (subdomains included; the "
                        "listings' own link domains always are), comma separated, or off")
    p.add_argument("--own-phones", metavar="A,B",
                   help="the agency's own phone numbers a reply may give, comma separated")
    p.add_argument("--own-emails", metavar="A,B",
                   help="the agency's own email addresses a reply may give, comma separated")
    p.add_argument("--allowed-phrases", metavar="JSON",
                   help='offers the agency makes itself, not held as commitments: '
                        '["free buyer consultation", "consulta gratis"]')
    p.add_argument("--crm", metavar="KIND=on|off,...",
                   help="CRM write-backs to GHL, each on or off: " + ", ".join(CRM_KINDS)
                        + " (e.g. tasks=on,fields=off)")
    p.add_argument("--custom-fields", metavar="JSON",
                   help='profile fields written to GHL custom fields: '
                        '{"budget_max": "<GHL field id>", "timeline": "..."}')
    p.add_argument("--score-tags", metavar="JSON",
                   help='tag names for the score: {"hot": "hot-lead", "warm": "warm-lead", '
                        '"cold": "cold-lead"}')
    p.add_argument("--crm-default-user", metavar="USER_ID",
                   help="GHL user a hand-off task goes to when the contact has no owner")
    p.add_argument("--crm-opted-out-tag", metavar="TAG",
                   help="tag added in GHL to a lead who opted out in words (default "
                        "opted-out; '' for none)")
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
        oauth = await conn.fetchrow(
            "SELECT version, updated_by, updated_at, access_expires_at "
            "FROM ghl_oauth_tokens WHERE tenant_id = $1", args.tenant_id)
    settings = dict(conf) if conf is not None else {}
    settings["claude_api_key"] = "set" if settings.pop("claude_api_key_enc", None) else "not set"
    settings["ghl_refresh_token"] = "not set" if oauth is None else {
        "version": oauth["version"], "updated_by": oauth["updated_by"],
        "updated_at": oauth["updated_at"], "access_expires_at": oauth["access_expires_at"]}
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
    api_key = secret(args, "api-key", "Anthropic API key")
    if api_key is not None:
        changes["claude_api_key_enc"] = encrypted(args, api_key, "the API key")
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
    if args.allowed_domains is not None:
        changes["allowed_link_domains"] = allowed_domains(args.allowed_domains)
    if args.own_phones is not None:
        changes["own_phones"] = own_phones(args.own_phones)
    if args.own_emails is not None:
        changes["own_emails"] = own_emails(args.own_emails)
    if args.allowed_phrases is not None:
        changes["allowed_phrases"] = allowed_phrases(args.allowed_phrases)
    if args.crm is not None:
        changes.update(crm_switches(args.crm))
    if args.custom_fields is not None:
        changes["crm_custom_fields"] = custom_fields(args.custom_fields)
    if args.score_tags is not None:
        changes["crm_tag_names"] = score_tags(args.score_tags)
    if args.crm_default_user is not None:
        changes["crm_default_user"] = args.crm_default_user.strip() or None
    if args.crm_opted_out_tag is not None:
        changes["crm_opted_out_tag"] = args.crm_opted_out_tag.strip()
    return changes


CRM_KINDS = ("tasks", "notes", "tags", "fields")


def crm_switches(text: str) -> dict[str, bool]:
    """`tasks=on,fields=off` -> {"crm_tasks": True, "crm_fields": False}."""
    out: dict[str, bool] = {}
    for item in _items(text):
        kind, _, value = item.partition("=")
        if kind.strip() not in CRM_KINDS or value.strip() not in ("on", "off"):
            raise CliError(f"--crm: {item!r} is not KIND=on|off with KIND one of "
                           + ", ".join(CRM_KINDS))
        out[f"crm_{kind.strip()}"] = value.strip() == "on"
    if not out:
        raise CliError("--crm: give KIND=on|off, e.g. tasks=on,fields=off")
    return out


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{option} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             and v.strip() for k, v in data.items()):
        raise CliError(f'{option} must be a JSON object of names to strings')
    return {k: v.strip() for k, v in data.items()}


def custom_fields(text: str) -> dict[str, str]:
    mapping = _json_object(text, "--custom-fields")
    unknown = sorted(set(mapping) - set(PROFILE_FIELDS))
    if unknown:
        raise CliError(f"--custom-fields: {', '.join(unknown)} not profile fields; choose "
                       f"from {', '.join(PROFILE_FIELDS)}")
    return mapping


def score_tags(text: str) -> dict[str, str]:
    tags = _json_object(text, "--score-tags")
    if set(tags) != {"hot", "warm", "cold"} or len(set(tags.values())) != 3:
        raise CliError('--score-tags needs three different names for "hot", "warm", "cold"')
    return tags


def _items(text: str) -> list[str]:
    if text.strip().lower() in ("off", "none", ""):
        return []
    return list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")


def allowed_domains(text: str) -> list[str]:
    """`Acme.com, https://www.listings.example/` -> ["acme.com", "listings.example"]."""
    domains = []
    for item in _items(text):
        host = item.lower()
        host = host.split("://", 1)[1] if "://" in host else host
        host = host.split("/", 1)[0].removeprefix("www.").rstrip(".")
        if not _DOMAIN.fullmatch(host):
            raise CliError(f"--allowed-domains: {item!r} is not a domain (e.g. acme.com)")
        domains.append(host)
    return list(dict.fromkeys(domains))


def own_phones(text: str) -> list[str]:
    phones = _items(text)
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        if not 7 <= len(digits) <= 15 or not re.fullmatch(r"[+\d\s().-]+", phone):
            raise CliError(f"--own-phones: {phone!r} is not a phone number")
    return phones


def own_emails(text: str) -> list[str]:
    emails = [e.lower() for e in _items(text)]
    for email in emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email):
            raise CliError(f"--own-emails: {email!r} is not an email address")
    return emails


def allowed_phrases(text: str) -> list[str]:
    if text.strip().lower() in ("off", "none", ""):
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--allowed-phrases is not JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise CliError("--allowed-phrases must be a JSON list of strings")
    phrases = [" ".join(x.split()) for x in data if x.strip()]
    if any(len(p) < 4 for p in phrases):
        raise CliError("--allowed-phrases: a phrase needs at least 4 characters")
    return list(dict.fromkeys(phrases))


def secret(args: argparse.Namespace, option: str, what: str) -> str | None:
    """The secret of `--OPTION-stdin` (all of standard input, stripped; a prompt without
    echo on a terminal) or `--OPTION-env VAR`; None when neither was given."""
    attr = option.replace("-", "_")
    from_stdin, env = getattr(args, f"{attr}_stdin"), getattr(args, f"{attr}_env")
    if from_stdin:
        if sys.stdin is None:
            raise CliError(f"--{option}-stdin: there is no standard input")
        value = (getpass.getpass(f"{what}: ") if sys.stdin.isatty() else sys.stdin.read())
        value = value.strip()
        if not value:
            raise CliError(f"--{option}-stdin: standard input was empty")
    elif env is not None:
        value = os.environ.get(env, "").strip()
        if not value:
            raise CliError(f"--{option}-env: environment variable {env} is not set or empty")
    else:
        return None
    if any(c.isspace() for c in value):
        raise CliError(f"--{option}-{'stdin' if from_stdin else 'env'}: the {what} must be "
                       "one word (got several lines or words)")
    return value


def encrypted(args: argparse.Namespace, value: str, what: str) -> bytes:
    key: MasterKey = args.settings.master_key
    if key is None:
        raise CliError(f"storing {what} needs LEADMEM_MASTER_KEY to encrypt it; refusing to "
                       "store it in clear")
    try:
        return encrypt(value, key)
    except ConfigurationError as exc:
        raise CliError(str(exc)) from exc


def refuse_secrets_in_argv(args: argparse.Namespace) -> None:
    if args.api_key is not None:
        raise CliError(
            "--api-key no longer takes the key on the command line (it shows in `ps` and "
            "stays in shell history; rotate a key given that way): use --api-key-stdin "
            "(the key on standard input) or --api-key-env VAR (the name of an environment "
            "variable holding it)")
    if args.api_key_stdin and args.ghl_refresh_token_stdin:
        raise CliError("--api-key-stdin and --ghl-refresh-token-stdin both read standard "
                       "input: pass one of them with its -env option instead")


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
                 (FEDERAL_QUIET, window)) is None:
        raise CliError(f"--quiet-hours {text!r} with the legal hours ({FEDERAL_QUIET}) "
                       "leaves no time at which a text may be sent")
    return start, end


async def tenant_config(args: argparse.Namespace) -> int:
    refuse_secrets_in_argv(args)
    changes = config_changes(args)
    refresh_token = secret(args, "ghl-refresh-token", "GHL refresh token")
    if refresh_token is not None:
        encrypted(args, refresh_token, "the refresh token")  # refuse before writing anything
    if not changes and args.ai is None and refresh_token is None:
        raise CliError("nothing to change: give at least one option (see --help)")
    token_version: int | None = None
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
        if refresh_token is not None:
            token_version = await put_refresh_token(
                conn, args.tenant_id, refresh_token, args.settings.master_key)
    shown = [c if c != "claude_api_key_enc" else "claude_api_key (encrypted)" for c in changes]
    if args.ai is not None:
        shown.append("ai_enabled")
    if token_version is not None:
        shown.append(f"ghl_refresh_token (encrypted, version {token_version})")
    print(f"tenant {args.tenant_id}: updated " + ", ".join(shown))
    return 0


Letter = tuple[Record, DeadLetter]
