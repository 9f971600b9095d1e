"""`leadmem report TENANT [--days 7] [--json]`: a tenant's lead funnel, for people and scripts.

The leads that arrived in the last DAYS days and what has become of each of them by now
(`workers.outcomes`: the stages and where each comes from): new leads, texted (and how many
by a first touch), replied, qualified, booked, opted out, as bars drawn in text; the time to
first touch (P50, P95) and the reply rate under them. The window is printed in the tenant's
timezone. Read in one transaction as the workers' role, under row-level security; `--json`
prints the same figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.cli.errors import CliError
from workers.cli.ops_common import Sub, run, tenant_tx
from workers.outcomes import Funnel
from workers.outcomes import store as outcomes
from workers.tenants import store as tenants

MAX_DAYS = 365
WIDTH = 40  # characters of a full bar
_EIGHTHS = " ▏▎▍▌▋▊▉"
LABELS = {"new": "new leads", "texted": "texted", "first_touched": "  by first touch",
          "replied": "replied", "qualified": "qualified", "booked": "booked",
          "opted_out": "opted out"}


def register(sub: Sub) -> None:
    p = sub.add_parser("report", help="a tenant's lead funnel: new leads, time to first "
                       "touch, reply rate, qualified, booked, opted out")
    p.add_argument("tenant", help="tenant id (GHL locationId)")
    p.add_argument("--days", type=int, default=7,
                   help=f"the leads that arrived in the last DAYS days (1-{MAX_DAYS}; 7)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=lambda a: run(report(a), a.settings))


def bar(fraction: float, width: int = WIDTH) -> str:
    """A bar of `fraction` (0..1) of `width` characters, in eighths of a character."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def duration(seconds: float) -> str:
    """`42 s`, `6 min 10 s`, `2 h 5 min`, `3 d 4 h`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = round(seconds)
    for unit, size, sub_unit, sub_size in (("d", 86_400, "h", 3600), ("h", 3600, "min", 60),
                                           ("min", 60, "s", 1)):
        if s >= size:
            big, rest = divmod(s, size)
            small = rest // sub_size
            return f"{big} {unit}" + (f" {small} {sub_unit}" if small else "")
    return f"{s} s"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}%"


def render(tenant: str, f: Funnel, zone: tzinfo = UTC, name: str | None = None) -> list[str]:
    """The report as lines (pure)."""
    days = (f.until - f.since) / timedelta(days=1)
    span = f"{days:g} day{'s' if days != 1 else ''}"
    when = "%a %d %b %Y %H:%M"
    lines = [f"Lead funnel of {tenant}" + (f" ({name})" if name else ""),
             f"Leads that arrived from {f.since.astimezone(zone):{when}} to "
             f"{f.until.astimezone(zone):{when}} ({zone}, {span});",
             "each stage counts those leads as they stand now.", ""]
    stages = f.stages()
    digits = max(len(str(n)) for n in stages.values())
    label_width = max(map(len, LABELS.values()))
    for stage, count in stages.items():
        share = count / f.new_leads if f.new_leads else 0.0
        line = (f"  {LABELS[stage]:<{label_width}}  {count:>{digits}}  {bar(share)} "
                f"{percent(share if f.new_leads else None):>4}")
        if stage == "replied":
            line += f"  (reply rate {percent(f.reply_rate)} of texted)"
        lines.append(line)
    lines.append("")
    if f.new_leads == 0:
        lines.append("  no lead arrived in this window")
    elif (p50 := f.time_to_first_touch_p50_s) is None or (
            p95 := f.time_to_first_touch_p95_s) is None:
        lines.append("  time to first touch: no lead texted yet")
    else:
        lines.append(f"  time to first touch: P50 {duration(p50)}, P95 {duration(p95)} "
                     f"({f.leads_texted} lead{'s' if f.leads_texted != 1 else ''} texted)")
    return lines


def zone_of(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


async def report(args: argparse.Namespace, now: datetime | None = None) -> int:
    if not 1 <= args.days <= MAX_DAYS:
        raise CliError(f"--days {args.days}: a number of days from 1 to {MAX_DAYS}")
    until = now or datetime.now(UTC)
    since = until - timedelta(days=args.days)
    async with tenant_tx(args.settings, args.tenant) as conn:
        conf = await tenants.read(conn, args.tenant)
        if not conf.known:
            raise CliError(f"no tenant {args.tenant!r} (add it with `tenant add`)")
        result = await outcomes.read(conn, args.tenant, since, until)
    if args.json:
        print(json.dumps({"tenant": args.tenant, "days": args.days, **result.to_json()},
                         indent=2))
    else:
        print("\n".join(render(args.tenant, result, zone_of(conf.timezone), conf.name)))
    return 0
