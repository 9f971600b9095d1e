"""`leadmem tenant add|list|show|config|webhook-url`: onboard and configure agencies (GHL
locations).

Tenant-scoped reads and writes go through `TenantDatabase.transaction` as the workers' role,
under row-level security; `tenant list` reads across tenants on the admin connection.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, admin_conn, run, table, tenant_tx
from workers.errors import ConfigurationError
from workers.ghl.token_store import put_refresh_token
from workers.ingestion.workflow import WorkflowKey, webhook_url
from workers.listings import store as listings_store
from workers.listings.feed import Changes as FeedChanges
from workers.listings.feed import FeedSettingsError
from workers.listings.feed import changes as feed_changes
from workers.secrets import MasterKey, encrypt
from workers.tenants import TenantSettings, validate
from workers.tenants import store as tenants
from workers.tenants.lifecycle import LifecycleError
from workers.tenants.model import SETTINGS_FIELDS, to_column
from workers.tenants.validate import CHANNELS, CRM_KINDS, SettingsError
from workers.timers.follow_ups import iso


def register(sub: Sub) -> None:
    t = sub.add_parser("tenant", help="onboard and configure tenants (GHL locations)")
    ts = t.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    p = ts.add_parser("add", help="create a live tenant (idempotent; a location that "
                      "installs the app from GHL becomes a tenant without it)")
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
    p.add_argument("--ai", choices=("on", "off"),
                   help="AI replies on or off; on also makes a tenant installed from the GHL "
                        "Marketplace live, once it has --timezone, --persona and "
                        "--service-areas (given in the same command or before)")
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
    p.add_argument("--first-touch-sources", metavar="A,B",
                   help="GHL contact sources whose new leads consented to be texted first "
                        "(e.g. \"Website Form,Zillow\", case-insensitive), or off (the "
                        "default: only leads who wrote first are texted)")
    p.add_argument("--follow-ups", metavar="DURATIONS",
                   help="follow-ups of a quiet lead, ISO 8601 durations after our last text "
                        "(e.g. \"PT1H,P1D,P3D,P7D,P14D\"; at most 10), or off (the default)")
    p.add_argument("--calendar", metavar="CALENDAR_ID",
                   help="the GHL calendar showings and calls are booked on, or off (the "
                        "default: requests for a showing go to the agent)")
    add_reso_options(p)
    p.set_defaults(func=lambda a: run(tenant_config(a), a.settings))
    p = ts.add_parser("webhook-url", help="the tenant's workflow webhook URL, for a GHL "
                      "workflow's Webhook action (unsigned: this URL is bound to the tenant)")
    p.add_argument("tenant_id", metavar="ID")
    p.set_defaults(func=lambda a: run(tenant_webhook_url(a), a.settings))


def add_reso_options(p: argparse.ArgumentParser) -> None:
    """`tenant config`'s options of the agency's RESO Web API feed (workers/listings; stored
    in `listing_feeds`, secrets encrypted, never from argv)."""
    p.add_argument("--reso-url", metavar="URL",
                   help="the agency's RESO Web API (OData service root, e.g. "
                        "https://api.mlsgrid.com/v2): its listings are replicated from it; "
                        "off removes the feed")
    token = p.add_mutually_exclusive_group()
    token.add_argument("--reso-token-env", metavar="VAR",
                       help="the feed's bearer token, read from environment variable VAR "
                            "(stored encrypted)")
    token.add_argument("--reso-token-stdin", action="store_true",
                       help="the feed's bearer token, read from standard input")
    token.add_argument("--reso-token", nargs="?", const="", help=argparse.SUPPRESS)  # refused
    p.add_argument("--reso-client-id", metavar="ID",
                   help="OAuth2 client credentials instead of a token: the client id")
    secret_group = p.add_mutually_exclusive_group()
    secret_group.add_argument("--reso-client-secret-env", metavar="VAR",
                              help="the client secret, read from environment variable VAR "
                                   "(stored encrypted)")
    secret_group.add_argument("--reso-client-secret-stdin", action="store_true",
                              help="the client secret, read from standard input")
    secret_group.add_argument("--reso-client-secret", nargs="?", const="",
                              help=argparse.SUPPRESS)  # refused
    p.add_argument("--reso-token-url", metavar="URL",
                   help="the token URL the client credentials buy access tokens at")
    p.add_argument("--reso-filter", metavar="ODATA",
                   help="a $filter ANDed to every query, e.g. \"OriginatingSystemName eq "
                        "'actris'\", or off")
    p.add_argument("--reso-page-size", metavar="N",
                   help="records per page ($top; the vendor's maximum with $expand=Media, "
                        "default 200)")
    p.add_argument("--reso-rate", metavar="PER_S[/PER_DAY]",
                   help="the vendor's rate limit, kept by the sync: requests per second and "
                        "per day (MLS Grid: 2/40000, the default)")


def reso_changes(args: argparse.Namespace) -> FeedChanges:
    """The feed changes of the `--reso-*` options (CliError on bad input); secrets are read
    from the environment or standard input and refused on the command line."""
    for option in ("reso_token", "reso_client_secret"):
        if getattr(args, option) is not None:
            name = option.replace("_", "-")
            raise CliError(f"--{name} does not take the secret on the command line (it shows "
                           f"in `ps` and stays in shell history): use --{name}-env VAR or "
                           f"--{name}-stdin")
    if sum(bool(getattr(args, f, False)) for f in (
            "api_key_stdin", "ghl_refresh_token_stdin", "reso_token_stdin",
            "reso_client_secret_stdin")) > 1:
        raise CliError("several --*-stdin options would read standard input: pass all but "
                       "one with its -env option instead")
    token = secret(args, "reso-token", "RESO bearer token")
    client_secret = secret(args, "reso-client-secret", "RESO client secret")
    try:
        reso = feed_changes(url=args.reso_url, token=token, client_id=args.reso_client_id,
                            client_secret=client_secret, token_url=args.reso_token_url,
                            filter_text=args.reso_filter, page_size_text=args.reso_page_size,
                            rate_text=args.reso_rate)
    except FeedSettingsError as exc:
        raise CliError(str(exc)) from exc
    for value, what in ((reso.token, "the RESO token"),
                        (reso.client_secret, "the RESO client secret")):
        if value is not None:
            encrypted(args, value, what)  # refuse before writing anything
    return reso


async def tenant_add(args: argparse.Namespace) -> int:
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        created = await tenants.add(conn, args.tenant_id, args.name)
    print(f"{'added' if created else 'updated'} tenant {args.tenant_id}")
    return 0


async def tenant_list(args: argparse.Namespace) -> int:
    async with admin_conn(args.settings) as conn:
        rows = await conn.fetch(
            """SELECT t.id, coalesce(t.name, '') AS name, t.ai_enabled, t.status,
                      coalesce(s.claude_model, '-') AS model,
                      s.claude_api_key_enc IS NOT NULL AS own_key,
                      (SELECT count(*) FROM contacts c WHERE c.tenant_id = t.id) AS contacts
               FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id
               ORDER BY t.id""")
    table([("TENANT", "NAME", "STATUS", "AI", "MODEL", "OWN KEY", "CONTACTS")] + [
        (r["id"], r["name"], r["status"], "on" if r["ai_enabled"] else "off", r["model"],
         "yes" if r["own_key"] else "no", str(r["contacts"])) for r in rows])
    print(f"{len(rows)} tenant(s)")
    return 0


def shown_settings(conf: TenantSettings) -> dict[str, Any]:
    """A tenant's settings as `tenant show` prints them (secrets only as set / not set)."""
    out: dict[str, Any] = {}
    for name in SETTINGS_FIELDS:
        value = to_column(name, getattr(conf, name))
        out[name] = value
    out["claude_api_key"] = "set" if out.pop("claude_api_key_enc") else "not set"
    start, end = out.pop("no_texts_from"), out.pop("no_texts_until")
    out["quiet_hours"] = None if start is None or end is None else {
        "no_texts_from": f"{start:%H:%M}", "no_texts_until": f"{end:%H:%M}"}
    out["follow_ups"] = [iso(s) for s in conf.follow_ups]  # as `--follow-ups` takes them
    return out


async def tenant_show(args: argparse.Namespace) -> int:
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        conf = await tenants.read(conn, args.tenant_id)
        if not conf.known:
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}")  # RLS: this tenant
                  for t in ("contacts", "messages", "replies", "lead_profiles")}
        oauth = await conn.fetchrow(
            "SELECT version, updated_by, updated_at, access_expires_at "
            "FROM ghl_oauth_tokens WHERE tenant_id = $1", args.tenant_id)
        listings = await listings_store.summary(conn, args.tenant_id)
    settings = shown_settings(conf)
    settings["ghl_refresh_token"] = "not set" if oauth is None else {
        "version": oauth["version"], "updated_by": oauth["updated_by"],
        "updated_at": oauth["updated_at"], "access_expires_at": oauth["access_expires_at"]}
    tenant = {"id": conf.tenant_id, "name": conf.name, "ai_enabled": conf.ai_enabled,
              "created_at": conf.created_at, "status": conf.status,
              "company_id": conf.company_id, "installed_at": conf.installed_at,
              "uninstalled_at": conf.uninstalled_at, "purged_at": conf.purged_at}
    print(json.dumps({**tenant, "settings": settings, "counts": counts,
                      "listings": listings}, indent=2, default=str))
    return 0


# `tenant config` option (argparse dest) -> the validator of its text (workers.tenants).
OPTIONS: tuple[tuple[str, Callable[[str], validate.Changes]], ...] = (
    ("model", validate.model),
    ("persona", validate.persona),
    ("service_areas", validate.service_areas),
    ("quiet_hours", validate.quiet_hours),
    ("channels", validate.channels),
    ("timezone", validate.timezone),
    ("allowed_domains", validate.allowed_domains),
    ("own_phones", validate.own_phones),
    ("own_emails", validate.own_emails),
    ("allowed_phrases", validate.allowed_phrases),
    ("crm", validate.crm_switches),
    ("custom_fields", validate.custom_fields),
    ("score_tags", validate.score_tags),
    ("crm_default_user", validate.crm_default_user),
    ("crm_opted_out_tag", validate.crm_opted_out_tag),
    ("first_touch_sources", validate.first_touch_sources),
    ("follow_ups", validate.follow_ups),
    ("calendar", validate.calendar),
)


def config_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The settings `tenant config` changes, as the model's values (CliError on bad input)."""
    changes: dict[str, Any] = {}
    try:
        for dest, check in OPTIONS:
            text = getattr(args, dest)
            if text is not None:
                changes.update(check(text))
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    api_key = secret(args, "api-key", "Anthropic API key")
    if api_key is not None:
        changes["claude_api_key_enc"] = encrypted(args, api_key, "the API key")
    return changes


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


async def tenant_config(args: argparse.Namespace) -> int:
    refuse_secrets_in_argv(args)
    changes = config_changes(args)
    refresh_token = secret(args, "ghl-refresh-token", "GHL refresh token")
    if refresh_token is not None:
        encrypted(args, refresh_token, "the refresh token")  # refuse before writing anything
    reso = reso_changes(args)
    if not changes and args.ai is None and refresh_token is None and reso.empty:
        raise CliError("nothing to change: give at least one option (see --help)")
    token_version: int | None = None
    reso_shown: list[str] = []
    async with tenant_tx(args.settings, args.tenant_id) as conn:
        if not await tenants.exists(conn, args.tenant_id):
            raise CliError(f"no tenant {args.tenant_id!r} (add it with `tenant add`)")
        await tenants.update(conn, args.tenant_id, changes)
        if args.ai is not None:  # after the settings: going live checks them (all or none)
            try:
                await tenants.set_ai(conn, args.tenant_id, args.ai == "on")
            except LifecycleError as exc:
                raise CliError(str(exc)) from exc
        if refresh_token is not None:
            token_version = await put_refresh_token(
                conn, args.tenant_id, refresh_token, args.settings.master_key)
        if not reso.empty:
            try:
                reso_shown = await listings_store.put_feed(conn, args.tenant_id, reso,
                                                           args.settings.master_key)
            except FeedSettingsError as exc:
                raise CliError(str(exc)) from exc
    shown = [c if c != "claude_api_key_enc" else "claude_api_key (encrypted)" for c in changes]
    if args.ai is not None:
        shown.append("ai_enabled")
    if token_version is not None:
        shown.append(f"ghl_refresh_token (encrypted, version {token_version})")
    shown += reso_shown
    print(f"tenant {args.tenant_id}: updated " + (", ".join(shown) or "nothing"))
    return 0


async def tenant_webhook_url(args: argparse.Namespace) -> int:
    """Print `leadmem tenant webhook-url ID`: derived from LEADMEM_WORKFLOW_WEBHOOK_KEY (the
    receiver checks it the same way) under LEADMEM_PUBLIC_URL; the tenant must exist."""
    s = args.settings
    key = WorkflowKey.from_setting(
        s.workflow_webhook_key.get_secret_value() if s.workflow_webhook_key else None)
    if key is None:
        raise CliError("LEADMEM_WORKFLOW_WEBHOOK_KEY is not set (the receiver serves no "
                       "workflow webhook URL without it)")
    if not s.public_url:
        raise CliError("LEADMEM_PUBLIC_URL is not set: the receiver's public base URL, e.g. "
                       "https://hooks.example.com")
    async with tenant_tx(s, args.tenant_id) as conn:
        if not await tenants.exists(conn, args.tenant_id):
            raise CliError(f"no tenant {args.tenant_id!r}")
    print(webhook_url(s.public_url, key, args.tenant_id))
    return 0
