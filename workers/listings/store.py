"""The one writer of `listings`, `comparable_sales` (from feeds and CSV files) and
`listing_feeds` (migrations/0004, 0018), each call in the caller's tenant transaction
(row-level security: only that tenant's rows exist in it).

- `apply`: a page's (or a file's) outcomes (`reso.classify`): listings upserted, Closed moved
  to comparable sales, removed keys deleted from both; each key lives in one table.
- `commit_page`: the feed's watermark and today's request count, only while this sync holds
  the feed's claim — called first in the transaction that `apply`s the page, so the page's
  rows and the watermark commit together or not at all.
- `reconcile`: feed rows whose keys the feed no longer has are deleted; first photos that
  changed without a ModificationTimestamp bump are updated.
- the feed's settings (`put_feed`, secrets encrypted with LEADMEM_MASTER_KEY as
  `workers.ghl.token_store` does), its claim (a lease: one sync per tenant at a time),
  `finish` (the last sync's outcome), `summary` (for `leadmem tenant show`), and `due`, the
  cross-tenant scan of feeds due for a sync (`listing_feeds_due`, a SECURITY DEFINER function).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from workers.db.tenant import json_value
from workers.listings import feed as feeds
from workers.listings.feed import BEARER, CLIENT_CREDENTIALS, Changes, Feed, FeedSettingsError
from workers.listings.replication import Watermark
from workers.listings.reso import Invalid, Listed, Outcome, Removed, Sold
from workers.secrets import MasterKey, decrypt, encrypt

FEED, CSV = "feed", "csv"  # listings.source / comparable_sales.source
SCAN_SCOPE = "~listings-scan"  # the scan's transaction sees no tenant's rows itself
OUTCOMES = ("listed", "sold", "removed", "invalid")

LISTING_COLUMNS = tuple(f.name for f in fields(Listed))
SALE_COLUMNS = tuple(f.name for f in fields(Sold))
_TYPES = {"price": "integer", "sold_price": "integer", "bedrooms": "integer",
          "living_area": "integer", "sqft": "integer", "bathrooms": "numeric",
          "features": "text[]", "modified_at": "timestamptz", "sold_at": "date"}


class ClaimLost(RuntimeError):
    """This sync's claim of the feed lapsed and another took it: it writes nothing more."""


def _recordset(columns: Sequence[str]) -> str:
    return ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in columns)


def _upsert(table: str, key: str, columns: Sequence[str], stamps: Sequence[str]) -> str:
    """INSERT ... ON CONFLICT DO UPDATE of the rows of a JSON array ($2), the tenant ($1)
    and the source ($3); `stamps` are set to now()."""
    cols = ", ".join((*columns, "source", *stamps))
    values = ", ".join((*columns, "$3", *("now()" for _ in stamps)))
    updates = ", ".join([f"{c} = EXCLUDED.{c}" for c in (*columns, "source") if c != key]
                        + [f"{s} = now()" for s in stamps])
    return (f"INSERT INTO {table} (tenant_id, {cols}) SELECT $1, {values} "
            f"FROM jsonb_to_recordset($2::text::jsonb) AS r({_recordset(columns)}) "
            f"ON CONFLICT (tenant_id, {key}) DO UPDATE SET {updates}")


_UPSERT_LISTINGS = _upsert("listings", "listing_id", LISTING_COLUMNS,
                           ("synced_at", "updated_at"))
_UPSERT_SALES = _upsert("comparable_sales", "sale_id", SALE_COLUMNS, ())


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _rows(outcomes: Iterable[Listed | Sold]) -> str:
    return json.dumps([{f.name: _json(getattr(o, f.name)) for f in fields(o)}
                       for o in outcomes])


async def _count(conn: asyncpg.Connection, sql: str, *args: Any) -> int:
    return int(await conn.fetchval(f"WITH d AS ({sql} RETURNING 1) SELECT count(*) FROM d",
                                   *args))


@dataclass
class Applied:
    """What `apply` did: records by outcome, and rows deleted."""

    counts: dict[str, int]
    deleted: int = 0


def latest(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """One outcome per key, the last one (a page may carry a key twice: it was modified
    between pages); outcomes without a key are kept (they write nothing)."""
    by_key: dict[str, Outcome] = {}
    keyless: list[Outcome] = []
    for o in outcomes:
        if o.key is None:
            keyless.append(o)
        else:
            by_key.pop(o.key, None)
            by_key[o.key] = o
    return [*by_key.values(), *keyless]


async def apply(conn: asyncpg.Connection, tenant: str, outcomes: Sequence[Outcome],
                source: str) -> Applied:
    """Write `outcomes`: Listed upserted into listings (its key leaves comparable_sales),
    Sold into comparable_sales (its key leaves listings), Removed deleted from both. An
    Invalid record of a key we hold deletes it too: its data is no longer known to be
    current (the error is reported, not kept)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    listed: list[Listed] = []
    sold: list[Sold] = []
    gone: list[str] = []
    for o in latest(outcomes):
        if isinstance(o, Listed):
            listed.append(o)
            counts["listed"] += 1
        elif isinstance(o, Sold):
            sold.append(o)
            counts["sold"] += 1
        else:
            counts["removed" if isinstance(o, Removed) else "invalid"] += 1
            if o.key is not None:
                gone.append(o.key)
    deleted = 0
    not_listings = [o.sale_id for o in sold] + gone
    not_sales = [o.listing_id for o in listed] + gone
    if not_listings:
        deleted += await _count(
            conn, "DELETE FROM listings WHERE tenant_id = $1 AND listing_id = ANY($2::text[])",
            tenant, not_listings)
    if not_sales:
        deleted += await _count(
            conn, "DELETE FROM comparable_sales WHERE tenant_id = $1 "
            "AND sale_id = ANY($2::text[])", tenant, not_sales)
    if listed:
        await conn.execute(_UPSERT_LISTINGS, tenant, _rows(listed), source)
    if sold:
        await conn.execute(_UPSERT_SALES, tenant, _rows(sold), source)
    return Applied(counts, deleted)


# -- the feed's settings ---------------------------------------------------------------------

_FEED_COLUMNS = (
    "base_url, auth, token_enc, client_id, client_secret_enc, token_url, filter, page_size, "
    "rate_per_s, daily_limit, watermark, watermark_keys, requests_day, requests_today, "
    "last_reconciled_at")


def _feed(tenant: str, row: asyncpg.Record, master_key: MasterKey) -> Feed:
    token, secret = row["token_enc"], row["client_secret_enc"]
    return Feed(
        tenant_id=tenant, base_url=row["base_url"], auth=row["auth"],
        token=decrypt(token, master_key) if token is not None else None,
        client_id=row["client_id"],
        client_secret=decrypt(secret, master_key) if secret is not None else None,
        token_url=row["token_url"], filter=row["filter"], page_size=int(row["page_size"]),
        rate_per_s=float(row["rate_per_s"]), daily_limit=int(row["daily_limit"]),
        watermark=row["watermark"], watermark_keys=tuple(row["watermark_keys"]),
        requests_day=row["requests_day"], requests_today=int(row["requests_today"]),
        last_reconciled_at=row["last_reconciled_at"])


async def read_feed(conn: asyncpg.Connection, tenant: str, master_key: MasterKey
                    ) -> Feed | None:
    row = await conn.fetchrow(f"SELECT {_FEED_COLUMNS} FROM listing_feeds WHERE tenant_id = $1",
                              tenant)
    return None if row is None else _feed(tenant, row, master_key)


async def put_feed(conn: asyncpg.Connection, tenant: str, ch: Changes,
                   master_key: MasterKey) -> list[str]:
    """Apply `tenant config`'s feed changes (FeedSettingsError when the feed would be
    incomplete; ConfigurationError without a master key for a secret). A new base URL or
    filter is another set of records: the watermark restarts (the next sync replicates
    everything again; rows the new feed does not have go at its first reconciliation, which
    runs with that sync). What changed, for the operator."""
    if ch.remove:
        gone = await _count(conn, "DELETE FROM listing_feeds WHERE tenant_id = $1", tenant)
        return ["reso feed removed"] if gone else []
    # Encrypt before any write: a missing master key refuses the whole command.
    token_enc = encrypt(ch.token, master_key) if ch.token is not None else None
    secret_enc = encrypt(ch.client_secret, master_key) if ch.client_secret is not None else None
    row = await conn.fetchrow(
        "SELECT base_url, auth, token_enc IS NOT NULL AS has_token, client_id, "
        "client_secret_enc IS NOT NULL AS has_secret, token_url, filter "
        "FROM listing_feeds WHERE tenant_id = $1 FOR UPDATE", tenant)
    if row is None and ch.base_url is None:
        raise FeedSettingsError("the tenant has no RESO feed yet: give --reso-url with its "
                                "token (--reso-token-env VAR) or client credentials")
    auth = ch.auth or (row["auth"] if row is not None else BEARER)
    switched = row is None or auth != row["auth"]
    if auth == BEARER:
        has_token = token_enc is not None or (not switched and row is not None
                                              and row["has_token"])
        client_id = token_url = None
        has_secret = False
    else:
        has_token = False
        keep = not switched and row is not None
        client_id = ch.client_id or (row["client_id"] if keep and row is not None else None)
        token_url = ch.token_url or (row["token_url"] if keep and row is not None else None)
        has_secret = secret_enc is not None or (keep and row is not None and row["has_secret"])
    feeds.check_complete(auth, token=has_token, client_id=client_id, client_secret=has_secret,
                         token_url=token_url)
    base_url = ch.base_url or (row["base_url"] if row is not None else None)
    old_filter = row["filter"] if row is not None else None
    new_filter = None if ch.clear_filter else (ch.filter or old_filter)
    restart = row is not None and (base_url != row["base_url"] or new_filter != old_filter)
    await conn.execute(
        """INSERT INTO listing_feeds (tenant_id, base_url, auth, token_enc, client_id,
               client_secret_enc, token_url, filter, page_size, rate_per_s, daily_limit)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, 200), coalesce($10, 2),
                   coalesce($11, 40000))
           ON CONFLICT (tenant_id) DO UPDATE SET
               base_url = EXCLUDED.base_url, auth = EXCLUDED.auth,
               token_enc = CASE WHEN $3 = 'bearer'
                   THEN coalesce($4, listing_feeds.token_enc) END,
               client_id = EXCLUDED.client_id,
               client_secret_enc = CASE WHEN $3 = 'client_credentials'
                   THEN coalesce($6, listing_feeds.client_secret_enc) END,
               token_url = EXCLUDED.token_url, filter = EXCLUDED.filter,
               page_size = coalesce($9, listing_feeds.page_size),
               rate_per_s = coalesce($10, listing_feeds.rate_per_s),
               daily_limit = coalesce($11, listing_feeds.daily_limit),
               watermark = CASE WHEN $12 THEN NULL ELSE listing_feeds.watermark END,
               watermark_keys = CASE WHEN $12 THEN '{}' ELSE listing_feeds.watermark_keys END,
               last_reconciled_at = CASE WHEN $12 THEN NULL
                   ELSE listing_feeds.last_reconciled_at END,
               updated_at = now()""",
        tenant, base_url, auth, token_enc if auth == BEARER else None, client_id,
        secret_enc if auth == CLIENT_CREDENTIALS else None, token_url, new_filter,
        ch.page_size, ch.rate_per_s, ch.daily_limit, restart)
    shown = []
    if row is None:
        shown.append(f"reso feed {base_url} ({auth})")
    else:
        if ch.base_url is not None:
            shown.append(f"reso url {base_url}")
        if switched:
            shown.append(f"reso auth {auth}")
    if ch.token is not None:
        shown.append("reso token (encrypted)")
    if ch.client_id is not None:
        shown.append("reso client id")
    if ch.client_secret is not None:
        shown.append("reso client secret (encrypted)")
    if ch.token_url is not None:
        shown.append("reso token url")
    if ch.filter is not None or ch.clear_filter:
        shown.append(f"reso filter {'off' if new_filter is None else repr(new_filter)}")
    if ch.page_size is not None:
        shown.append(f"reso page size {ch.page_size}")
    if ch.rate_per_s is not None:
        shown.append(f"reso rate {ch.rate_per_s:g}/s"
                     + (f", {ch.daily_limit}/day" if ch.daily_limit is not None else ""))
    if restart:
        shown.append("watermark reset (the next sync replicates everything again)")
    return shown


async def reset_watermark(conn: asyncpg.Connection, tenant: str) -> bool:
    """Replicate everything again at the next sync (`leadmem listings sync --full`)."""
    done = await conn.fetchval(
        "UPDATE listing_feeds SET watermark = NULL, watermark_keys = '{}', updated_at = now() "
        "WHERE tenant_id = $1 RETURNING true", tenant)
    return bool(done)


# -- a sync's claim, progress and end --------------------------------------------------------

async def claim(conn: asyncpg.Connection, tenant: str, token: str, now: datetime,
                lease: timedelta, master_key: MasterKey) -> Feed | None:
    """Claim the feed for a sync (`token`) unless another sync's claim is younger than the
    lease; the feed, or None (no feed, or another sync holds it: `claimed_since` says)."""
    row = await conn.fetchrow(
        f"UPDATE listing_feeds SET sync_claim = $2, sync_claimed_at = $3 WHERE tenant_id = $1 "
        f"AND (sync_claim IS NULL OR sync_claimed_at <= $4) RETURNING {_FEED_COLUMNS}",
        tenant, token, now, now - lease)
    return None if row is None else _feed(tenant, row, master_key)


async def claimed_since(conn: asyncpg.Connection, tenant: str) -> datetime | None:
    """When the sync holding the feed claimed it (None: no sync holds it)."""
    at: datetime | None = await conn.fetchval(
        "SELECT sync_claimed_at FROM listing_feeds WHERE tenant_id = $1 "
        "AND sync_claim IS NOT NULL", tenant)
    return at


async def commit_page(conn: asyncpg.Connection, tenant: str, token: str, mark: Watermark,
                      requests_day: date, requests_today: int, now: datetime) -> None:
    """The watermark and today's request count, renewing the claim (ClaimLost when this sync
    no longer holds it: the caller's transaction must roll back)."""
    held = await conn.fetchval(
        "UPDATE listing_feeds SET watermark = $3, watermark_keys = $4, requests_day = $5, "
        "requests_today = $6, sync_claimed_at = $7, updated_at = now() "
        "WHERE tenant_id = $1 AND sync_claim = $2 RETURNING true",
        tenant, token, mark.at, list(mark.keys), requests_day, requests_today, now)
    if not held:
        raise ClaimLost(f"{tenant}: another sync took the feed over (this one's claim lapsed)")


async def reconcile(conn: asyncpg.Connection, tenant: str, token: str, keys: Sequence[str],
                    photos: dict[str, str | None], now: datetime) -> tuple[int, int]:
    """Delete feed rows (listings and comparable sales) whose keys are not in `keys`, the
    feed's every key now; update first photos that differ. (rows deleted, photos changed)."""
    held = await conn.fetchval(
        "UPDATE listing_feeds SET last_reconciled_at = $3, sync_claimed_at = $3 "
        "WHERE tenant_id = $1 AND sync_claim = $2 RETURNING true", tenant, token, now)
    if not held:
        raise ClaimLost(f"{tenant}: another sync took the feed over (this one's claim lapsed)")
    deleted = 0
    for table, column in (("listings", "listing_id"), ("comparable_sales", "sale_id")):
        # An anti-join on the unnested keys (hashed), not `<> ALL`: 50,000 keys against
        # 50,000 rows would be compared pair by pair.
        deleted += await _count(
            conn, f"DELETE FROM {table} t WHERE t.tenant_id = $1 AND t.source = '{FEED}' "
            f"AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS k(key) "
            f"WHERE k.key = t.{column})", tenant, list(keys))
    changed = await _count(
        conn, "UPDATE listings l SET photo_url = p.photo_url, updated_at = now() "
        "FROM jsonb_to_recordset($2::text::jsonb) AS p(listing_id text, photo_url text) "
        f"WHERE l.tenant_id = $1 AND l.listing_id = p.listing_id AND l.source = '{FEED}' "
        "AND l.photo_url IS DISTINCT FROM p.photo_url",
        tenant, json.dumps([{"listing_id": k, "photo_url": v} for k, v in photos.items()]))
    return deleted, changed


async def finish(conn: asyncpg.Connection, tenant: str, token: str, outcome: str,
                 error: str | None, records: int, detail: dict[str, Any],
                 requests_day: date, requests_today: int, now: datetime) -> bool:
    """Record the sync's outcome and release its claim; False when it no longer held it."""
    done = await conn.fetchval(
        "UPDATE listing_feeds SET last_sync_at = $3, last_sync_outcome = $4, "
        "last_sync_error = $5, last_sync_records = $6, last_sync_detail = $7::text::jsonb, "
        "requests_day = $8, requests_today = $9, sync_claim = NULL, sync_claimed_at = NULL, "
        "updated_at = now() WHERE tenant_id = $1 AND sync_claim = $2 RETURNING true",
        tenant, token, now, outcome, error, records, json.dumps(detail, default=str),
        requests_day, requests_today)
    return bool(done)


async def record_outcome(conn: asyncpg.Connection, tenant: str, outcome: str, error: str,
                         now: datetime) -> None:
    """A sync that could not start (its secrets do not decrypt; the tenant uninstalled):
    recorded as its last sync, so the periodic loop waits its interval before trying again."""
    await conn.execute(
        "UPDATE listing_feeds SET last_sync_at = $2, last_sync_outcome = $3, "
        "last_sync_error = $4, last_sync_records = 0, updated_at = now() "
        "WHERE tenant_id = $1", tenant, now, outcome, error)


async def due(conn: asyncpg.Connection, now: datetime, interval: timedelta, lease: timedelta,
              limit: int) -> list[str]:
    """Tenants whose feed is due for a sync, across tenants (`listing_feeds_due`,
    migrations/0018); run in a `SCAN_SCOPE` transaction."""
    rows = await conn.fetch("SELECT tenant_id FROM listing_feeds_due($1, $2, $3, $4)",
                            now, interval.total_seconds(), lease.total_seconds(), limit)
    return [r["tenant_id"] for r in rows]


# -- a CSV import ----------------------------------------------------------------------------

async def import_rows(conn: asyncpg.Connection, tenant: str, outcomes: Sequence[Outcome],
                      *, replace: bool) -> Applied:
    """A CSV's rows (validated: no Invalid among them), written as `apply` writes a page;
    `replace`: rows an earlier import wrote that this file does not have are deleted."""
    if any(isinstance(o, Invalid) for o in outcomes):
        raise ValueError("an import writes validated rows only")
    applied = await apply(conn, tenant, outcomes, CSV)
    if replace:
        keys = [o.key for o in outcomes if o.key is not None]
        for table, column in (("listings", "listing_id"), ("comparable_sales", "sale_id")):
            applied.deleted += await _count(
                conn, f"DELETE FROM {table} t WHERE t.tenant_id = $1 AND t.source = '{CSV}' "
                f"AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS k(key) "
                f"WHERE k.key = t.{column})", tenant, keys)
    return applied


# -- what `leadmem tenant show` reports ------------------------------------------------------

async def summary(conn: asyncpg.Connection, tenant: str) -> dict[str, Any]:
    """Listings by status (and by source), comparable sales, and the feed: its settings
    (secrets as set / not set), watermark, last sync and its outcome, last reconciliation."""
    by_status = {r["status"]: int(r["n"]) for r in await conn.fetch(
        "SELECT status, count(*) AS n FROM listings WHERE tenant_id = $1 GROUP BY status "
        "ORDER BY status", tenant)}
    by_source = {r["source"]: int(r["n"]) for r in await conn.fetch(
        "SELECT source, count(*) AS n FROM listings WHERE tenant_id = $1 GROUP BY source "
        "ORDER BY source", tenant)}
    sales = await conn.fetchrow(
        "SELECT count(*) AS n, min(sold_at) AS first, max(sold_at) AS last "
        "FROM comparable_sales WHERE tenant_id = $1", tenant)
    row = await conn.fetchrow(
        "SELECT base_url, auth, token_enc IS NOT NULL AS has_token, client_id, token_url, "
        "client_secret_enc IS NOT NULL AS has_secret, filter, page_size, rate_per_s, "
        "daily_limit, watermark, requests_day, requests_today, sync_claimed_at, "
        "last_sync_at, last_sync_outcome, last_sync_error, last_sync_records, "
        "last_sync_detail, last_reconciled_at FROM listing_feeds WHERE tenant_id = $1", tenant)
    feed: dict[str, Any] | None = None
    if row is not None:
        feed = {"base_url": row["base_url"], "auth": row["auth"]}
        if row["auth"] == BEARER:
            feed["token"] = "set" if row["has_token"] else "not set"
        else:
            feed.update(client_id=row["client_id"], token_url=row["token_url"],
                        client_secret="set" if row["has_secret"] else "not set")
        feed.update(
            filter=row["filter"], page_size=row["page_size"],
            rate=f"{row['rate_per_s']:g}/s, {row['daily_limit']}/day",
            requests_today=(row["requests_today"]
                            if row["requests_day"] == datetime.now(UTC).date() else 0),
            watermark=row["watermark"],
            syncing_since=row["sync_claimed_at"], last_sync_at=row["last_sync_at"],
            last_sync_outcome=row["last_sync_outcome"], last_sync_error=row["last_sync_error"],
            last_sync_records=row["last_sync_records"],
            last_sync_detail=json_value(row["last_sync_detail"]),
            last_reconciled_at=row["last_reconciled_at"])
    return {"by_status": by_status, "by_source": by_source,
            "active": by_status.get("active", 0),
            "comparable_sales": int(sales["n"]),
            "comparable_sales_dates": None if not sales["n"] else
            {"first": sales["first"], "last": sales["last"]},
            "feed": feed}
