"""`leadmem consent show|set TENANT CONTACT`: a lead's recorded consent, for operators.

`show` prints the consent in force (opted out of what, unsure, GHL's DND, a pause the lead
asked for and its own hours) and every ledger entry behind it with its source and time.
`set` appends one entry through the ledger's one writer (`workers.consent_ledger.store.
append`): an opt-out or a resubscription an operator took (by phone, by letter), or clearing
an unsure reading after a person checked it. Nothing is ever deleted: the history shows who
set what.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from workers.cli.errors import CliError
from workers.consent_ledger import ALL, Consent, Entry, Kind, Source, fold
from workers.consent_ledger import store as ledger
from workers.consent_ledger.entries import manual
from workers.runtime.clients import open_database

Sub = Any  # argparse's private _SubParsersAction
# What an operator may record: DND is GHL's (set it there; its webhook records it here).
SETTABLE = {"opted-out": Kind.OPTED_OUT, "resubscribed": Kind.RESUBSCRIBED,
            "unsure": Kind.UNSURE, "cleared": Kind.CLEARED}


def register(sub: Sub) -> None:
    p = sub.add_parser("consent", help="a lead's recorded consent: show it, or record a change")
    csub = p.add_subparsers(dest="consent_command", required=True)
    c = csub.add_parser("show", help="the consent in force and the ledger entries behind it")
    c.add_argument("tenant", help="tenant id (GHL locationId)")
    c.add_argument("contact", help="contact id")
    c.set_defaults(func=cmd_show)
    c = csub.add_parser("set", help="append an entry (nothing is ever deleted)")
    c.add_argument("tenant", help="tenant id (GHL locationId)")
    c.add_argument("contact", help="contact id")
    c.add_argument("state", choices=sorted(SETTABLE),
                   help="opted-out / resubscribed (by channel or all), unsure / cleared")
    c.add_argument("--channel", default=ALL, help="sms, email, ... or all (the default)")
    c.add_argument("--note", default="", help="why (shown in the history)")
    c.add_argument("--by", default=None, help="who records it (default: the OS user)")
    c.set_defaults(func=cmd_set)


def describe(consent: Consent, now: datetime) -> list[str]:
    """The consent in force at `now`, line by line (pure)."""
    opted = ", ".join(sorted(consent.opted_out)) or "no"
    lines = [f"opted out: {opted}"]
    if consent.opt_out is not None:
        lines.append(f"  since {consent.opt_out.occurred_at:%Y-%m-%d %H:%M %Z} "
                     f"({consent.opt_out.source}: {consent.opt_out.note or '-'})")
    lines.append("unsure: " + ("yes, since " + f"{consent.unsure.occurred_at:%Y-%m-%d %H:%M %Z}"
                               if consent.unsure else "no"))
    lines.append("GHL DND: " + (", ".join(sorted(consent.dnd)) or "none"))
    until = consent.paused_until(now)
    lines.append("paused by the lead: " + (f"until {until:%Y-%m-%d %H:%M %Z}" if until else "no"))
    lines.append("the lead's own hours: " + (consent.hours or "none"))
    return lines


def row(e: Entry) -> str:
    return (f"{e.occurred_at:%Y-%m-%d %H:%M:%S %Z}  {e.kind:<12} {e.channel:<8} "
            f"{e.source:<12} {e.source_ref or '-':<24} {e.note}")


async def _history(args: argparse.Namespace) -> list[Entry]:
    async with AsyncExitStack() as stack:
        db = await open_database(args.settings, stack, min_size=1)
        async with db.transaction(args.tenant) as conn:
            return await ledger.history(conn, args.tenant, args.contact)


def cmd_show(args: argparse.Namespace) -> int:
    entries = asyncio.run(_history(args))
    for line in describe(fold(entries), datetime.now(UTC)):
        print(line)
    print(f"{len(entries)} ledger entr{'y' if len(entries) == 1 else 'ies'}")
    for e in entries:
        print("  " + row(e))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    channel = args.channel.strip().lower()
    if not channel or not channel.replace("_", "").isalpha():
        raise CliError(f"--channel {args.channel!r}: a channel name (sms, email...) or all")
    who = args.by or getpass.getuser()
    entry = manual(kind=SETTABLE[args.state], channel=channel, source=Source.OPERATOR,
                   who=who, at=datetime.now(UTC), note=args.note)

    async def run() -> Consent:
        async with AsyncExitStack() as stack:
            db = await open_database(args.settings, stack, min_size=1)
            async with db.transaction(args.tenant) as conn:
                known = await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM contacts WHERE tenant_id = $1 "
                    "AND contact_id = $2)", args.tenant, args.contact)
                if not known:
                    raise CliError(f"no lead {args.contact!r} in tenant {args.tenant!r}")
                await ledger.append(conn, args.tenant, args.contact, [entry])
                return await ledger.read(conn, args.tenant, args.contact)

    consent = asyncio.run(run())
    print(f"recorded: {row(entry)}")
    for line in describe(consent, datetime.now(UTC)):
        print(line)
    return 0
