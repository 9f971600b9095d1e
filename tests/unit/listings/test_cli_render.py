"""What `leadmem listings sync` prints: the progress line on stderr, the outcome on stdout."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from workers.cli.listings_cmds import ProgressBar, describe
from workers.listings.sync import Progress, SyncResult, first_photos


def test_the_outcome_of_a_sync() -> None:
    r = SyncResult("loc1", "ok", counts={"listed": 2017, "sold": 300, "removed": 183,
                                         "invalid": 0, "skipped": 3},
                   pages=13, requests=26, seconds=3.21, rate_limited=2, reconciled=True,
                   reconcile_removed=4, photos_changed=1,
                   watermark=datetime(2026, 1, 5, 8, 1, 29, 500000, tzinfo=UTC))
    assert describe(r) == [
        "tenant loc1: sync ok in 3.2 s: 2,503 records in 13 pages (26 requests, 2 answered 429)",
        "  listed 2,017, sold 300, removed 183, invalid 0, already applied 3",
        "  reconciled: 4 rows the feed dropped removed, 1 first photos changed",
        "  watermark 2026-01-05T08:01:29.500000+00:00",
    ]
    stopped = SyncResult("loc1", "http_error", "no page after 5 attempts (500: boom)", pages=4,
                         invalid=["K9: ListPrice: not a number ('x')"])
    assert describe(stopped)[-2:] == [
        "  invalid: K9: ListPrice: not a number ('x')",
        "  stopped: no page after 5 attempts (500: boom) (the next sync resumes from the "
        "watermark)"]


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line() -> None:
    p = Progress("loc1", pages=3, records=600,
                 counts={"listed": 500, "sold": 60, "removed": 40, "invalid": 0, "skipped": 0},
                 watermark=datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC))
    out = Pipe()
    bar = ProgressBar(out, "loc1")
    bar.update(p)
    bar.update(Progress("loc1", phase="reconciling", keys=2500))
    bar.close()
    first, second = out.getvalue().splitlines()
    assert first.startswith("loc1 [") and "3 pages, 600 records" in first
    assert "listed 500 sold 60 removed 40 invalid 0, up to 2026-01-05 08:00:30" in first
    assert "reconciling: 2,500 keys read" in second
    tty = Terminal()
    bar = ProgressBar(tty, "loc1")
    bar.update(p)
    bar.update(p)
    bar.close()
    assert tty.getvalue().count("\r\x1b[2K") == 2 and tty.getvalue().endswith("\n")


def test_the_first_photos_a_key_page_carries() -> None:
    assert first_photos([
        {"ListingKey": "A", "Media": [{"MediaURL": "https://p.test/2.jpg", "Order": 2},
                                      {"MediaURL": "https://p.test/1.jpg", "Order": 1}]},
        {"ListingKey": "B", "Media": []},
        {"ListingKey": "C"},  # Media not expanded: its photo is left alone
        {"ListingKey": "D", "Media": "junk"},  # unreadable: left alone
    ]) == {"A": "https://p.test/1.jpg", "B": None}
