"""What became of a reply, as the console counts and shows it (pure): sent, held (for quiet
hours, or a draft the reply check held for a person), blocked (suppressed for any other
reason), cancelled (a held draft a person discarded), failed, or pending (drafted or being
sent). `SQL_OUTCOME` is the same rule as a SQL expression over a `replies` row `r`, for the
counts per tenant and per day; the tests hold the two to one table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from workers.console.charts import Day
from workers.replies.status import HELD_FOR_REVIEW

OUTCOMES = ("sent", "held", "blocked", "cancelled", "failed", "pending")
CHARTED = ("sent", "held", "blocked")


def outcome(status: str, suppressed_reason: str | None, review: str | None) -> str:
    if status == "sent":
        return "sent"
    if status == "held":
        return "held"
    if status == "failed":
        return "failed"
    if status == "suppressed":
        if review == "cancelled":
            return "cancelled"
        if (suppressed_reason or "").startswith(HELD_FOR_REVIEW) and review is None:
            return "held"
        return "blocked"
    return "pending"


def awaiting_review(status: str, suppressed_reason: str | None, review: str | None) -> bool:
    """A draft the reply check held, which no person released or cancelled yet."""
    return (status == "suppressed" and (suppressed_reason or "").startswith(HELD_FOR_REVIEW)
            and review is None)


SQL_OUTCOME = f"""CASE
    WHEN r.status = 'sent' THEN 'sent'
    WHEN r.status = 'held' THEN 'held'
    WHEN r.status = 'failed' THEN 'failed'
    WHEN r.status = 'suppressed' AND r.review = 'cancelled' THEN 'cancelled'
    WHEN r.status = 'suppressed' AND r.review IS NULL
         AND coalesce(r.suppressed_reason, '') LIKE '{HELD_FOR_REVIEW}%' THEN 'held'
    WHEN r.status = 'suppressed' THEN 'blocked'
    ELSE 'pending' END"""


def why(status: str, suppressed_reason: str | None, review: str | None,
        reviewed_by: str | None) -> str:
    """Why a reply was held or not sent (empty for a sent or pending one), in words."""
    reason = suppressed_reason or ""
    by_check = reason.startswith(HELD_FOR_REVIEW)
    rule = reason.removeprefix(HELD_FOR_REVIEW)
    if review == "released":
        if by_check:
            return f"held by the reply check ({rule}), released by {reviewed_by}"
        return f"released by {reviewed_by}, then not sent: {reason}"
    if review == "cancelled":
        return f"held by the reply check ({rule}), cancelled by {reviewed_by}"
    if by_check:
        return f"held by the reply check ({rule}): waiting for a person"
    if status == "held":
        return "held for quiet hours"
    return reason


def per_day(rows: Iterable[tuple[date, str, int]], today: date, days: int = 14,
            series: Iterable[str] = CHARTED) -> list[Day]:
    """(day, outcome, count) rows -> one `Day` per day of the last `days` (today last),
    zeros where a day has no row; outcomes outside `series` are left out."""
    wanted = tuple(series)
    counts: dict[date, dict[str, int]] = {}
    for day, what, n in rows:
        if what in wanted:
            counts.setdefault(day, {})
            counts[day][what] = counts[day].get(what, 0) + n
    first = today - timedelta(days=days - 1)
    out = []
    for i in range(days):
        d = first + timedelta(days=i)
        found: Mapping[str, int] = counts.get(d, {})
        out.append(Day(d, {s: found.get(s, 0) for s in wanted}))
    return out
