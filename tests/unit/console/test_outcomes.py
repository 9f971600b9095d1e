"""What became of a reply (the console's one rule, in Python and as SQL), why it was held or
not sent, and the days of a chart."""

from __future__ import annotations

from datetime import date

import pytest

from workers.console.outcomes import SQL_OUTCOME, awaiting_review, outcome, per_day, why

CASES = [
    # status, reason, review -> outcome, awaiting a person
    ("sent", None, None, "sent", False),
    ("drafted", None, None, "pending", False),
    ("sending", None, None, "pending", False),
    ("held", "quiet_hours", None, "held", False),
    ("failed", None, None, "failed", False),
    ("suppressed", "reply_check:foreign_phone", None, "held", True),
    ("suppressed", "reply_check:foreign_phone", "cancelled", "cancelled", False),
    ("drafted", "reply_check:foreign_phone", "released", "pending", False),
    ("sent", "reply_check:foreign_phone", "released", "sent", False),
    ("suppressed", "superseded", "released", "blocked", False),
    ("suppressed", "opted_out", None, "blocked", False),
    ("suppressed", "human_takeover", None, "blocked", False),
    ("suppressed", None, None, "blocked", False),
]


@pytest.mark.parametrize(("status", "reason", "review", "out", "waiting"), CASES)
def test_outcome(status: str, reason: str | None, review: str | None, out: str,
                 waiting: bool) -> None:
    assert outcome(status, reason, review) == out
    assert awaiting_review(status, reason, review) is waiting


def test_the_sql_names_every_outcome_the_python_does() -> None:
    for _, _, _, out, _ in CASES:
        assert f"'{out}'" in SQL_OUTCOME


@pytest.mark.parametrize(("status", "reason", "review", "by", "text"), [
    ("suppressed", "reply_check:foreign_link", None, None,
     "held by the reply check (foreign_link): waiting for a person"),
    ("sent", "reply_check:foreign_link", "released", "ops@x.com",
     "held by the reply check (foreign_link), released by ops@x.com"),
    ("suppressed", "reply_check:foreign_link", "cancelled", "ops@x.com",
     "held by the reply check (foreign_link), cancelled by ops@x.com"),
    ("suppressed", "superseded", "released", "ops@x.com",
     "released by ops@x.com, then not sent: superseded"),
    ("held", "quiet_hours", None, None, "held for quiet hours"),
    ("suppressed", "opted_out", None, None, "opted_out"),
    ("sent", None, None, None, ""),
])
def test_why(status: str, reason: str | None, review: str | None, by: str | None,
             text: str) -> None:
    assert why(status, reason, review, by) == text


def test_per_day_fills_the_window_and_keeps_the_charted_series() -> None:
    today = date(2026, 12, 7)
    out = per_day([(date(2026, 12, 7), "sent", 3), (date(2026, 12, 7), "sent", 1),
                   (date(2026, 12, 5), "held", 2), (date(2026, 12, 6), "pending", 9),
                   (date(2026, 11, 1), "sent", 5)], today, days=3)
    assert [d.day for d in out] == [date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)]
    assert [dict(d.counts) for d in out] == [
        {"sent": 0, "held": 2, "blocked": 0}, {"sent": 0, "held": 0, "blocked": 0},
        {"sent": 4, "held": 0, "blocked": 0}]
