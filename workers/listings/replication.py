"""The replication watermark: where a feed's sync resumes, and what a page moves it to (pure).

The watermark is the last `ModificationTimestamp` committed and the ListingKeys already
applied at that instant. The next query asks `ModificationTimestamp ge <instant>` and skips
those keys: an instant may hold more records than one page (a bulk update stamps thousands
alike), so `gt` would lose the rest of it after a crash between pages, and comparing keys by
order would trust the server's collation. Re-reading an instant's records costs a few rows;
skipping is exact whatever order the server sorts keys in.

A server that does not return records in `ModificationTimestamp` order would make a committed
watermark unsafe (a later page could hold an older record): `advance` refuses such a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from workers.listings.odata import odata_instant
from workers.listings.reso import Outcome

MAX_TIE_KEYS = 5000  # keys kept for one instant; past that the rest are re-read (harmless)


class UnorderedError(ValueError):
    """A page is not in ModificationTimestamp order."""


@dataclass(frozen=True)
class Watermark:
    at: datetime | None = None
    keys: tuple[str, ...] = ()


def query_filter(mark: Watermark, tenant_filter: str | None) -> str | None:
    """The `$filter` of a replication from `mark`, ANDed with the tenant's own filter."""
    parts = [f"ModificationTimestamp ge {odata_instant(mark.at)}"] if mark.at else []
    if tenant_filter:
        parts.append(f"({tenant_filter})")
    return " and ".join(parts) or None


def already_applied(outcome: Outcome, mark: Watermark) -> bool:
    """A record of the watermark's own instant whose key was committed with it."""
    return (mark.at is not None and outcome.modified_at == mark.at
            and outcome.key is not None and outcome.key in mark.keys)


def advance(mark: Watermark, outcomes: Iterable[Outcome]) -> Watermark:
    """The watermark once `outcomes` (one page, in the server's order) are committed."""
    at, keys = mark.at, dict.fromkeys(mark.keys)  # a dict: ordered, and a set
    for outcome in outcomes:
        when = outcome.modified_at
        if when is None:
            continue
        if at is not None and when < at:
            raise UnorderedError(
                f"{outcome.key or 'a record'} modified {odata_instant(when)} comes after "
                f"{odata_instant(at)}: the server does not order by ModificationTimestamp")
        if at is None or when > at:
            at, keys = when, {}
        if outcome.key is not None and len(keys) < MAX_TIE_KEYS:
            keys.setdefault(outcome.key)
    return Watermark(at, tuple(keys))
