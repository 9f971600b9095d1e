"""The funnel's pure core as tables: which stage a lead counts in, the window, the rates and
the nearest-rank percentiles of the time to first touch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.outcomes.funnel import (
    STAGES,
    Funnel,
    Lead,
    booked,
    funnel,
    percentile,
    qualified,
    replied,
    time_to_first_text,
)

UNTIL = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=7)
T0 = SINCE + timedelta(days=1)
S = timedelta(seconds=1)


def lead(**changes: Any) -> Lead:
    return replace(Lead("c1", arrived_at=T0), **changes)


# One field of a baseline lead (arrived, nothing else) varied per row: the stages it is in.
@pytest.mark.parametrize(("changes", "stages"), [
    ({}, {"new"}),
    ({"first_text_at": T0 + 30 * S}, {"new", "texted"}),
    ({"first_text_at": T0 + 30 * S, "first_touch": True}, {"new", "texted", "first_touched"}),
    # a first-touch mode without a sent text is not a touch
    ({"first_touch": True}, {"new"}),
    # the lead wrote after our first text: replied
    ({"first_text_at": T0 + 30 * S, "last_inbound_at": T0 + 90 * S},
     {"new", "texted", "replied"}),
    # its newest message is the one we answered: not a reply to us
    ({"first_text_at": T0 + 30 * S, "last_inbound_at": T0 + 10 * S}, {"new", "texted"}),
    ({"first_text_at": T0 + 30 * S, "last_inbound_at": T0 + 30 * S}, {"new", "texted"}),
    # wrote, never texted: nothing to reply to
    ({"last_inbound_at": T0 + 90 * S}, {"new"}),
    ({"open_questions": ()}, {"new", "qualified"}),
    ({"open_questions": ("financing",)}, {"new"}),
    ({"open_questions": None}, {"new"}),  # never assessed
    ({"appointment_statuses": ("confirmed",)}, {"new", "booked"}),
    ({"appointment_statuses": ("new",)}, {"new", "booked"}),
    ({"appointment_statuses": ("showed",)}, {"new", "booked"}),
    ({"appointment_statuses": ("noshow",)}, {"new", "booked"}),  # booked, then not kept
    ({"appointment_statuses": ("cancelled",)}, {"new"}),
    ({"appointment_statuses": ("Cancelled",)}, {"new"}),
    ({"appointment_statuses": ("invalid",)}, {"new"}),
    ({"appointment_statuses": ("cancelled", "confirmed")}, {"new", "booked"}),  # rebooked
    ({"opted_out": True}, {"new", "opted_out"}),
])
def test_the_stages_a_lead_counts_in(changes: dict[str, Any], stages: set[str]) -> None:
    counts = funnel([lead(**changes)], SINCE, UNTIL).stages()
    assert {s for s, n in counts.items() if n} == stages
    assert all(n in (0, 1) for n in counts.values())


@pytest.mark.parametrize(("arrived", "counted"), [
    (SINCE, True),  # the window includes its start
    (SINCE - S, False),
    (UNTIL - S, True),
    (UNTIL, False),  # and excludes its end
])
def test_the_window(arrived: datetime, counted: bool) -> None:
    assert funnel([lead(arrived_at=arrived)], SINCE, UNTIL).new_leads == int(counted)


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="an empty window"):
        funnel([], UNTIL, UNTIL)


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 0.5, None),
    ([7.0], 0.5, 7.0),
    ([7.0], 0.95, 7.0),
    ([1, 2, 3, 4], 0.5, 2),
    ([4, 3, 2, 1], 0.5, 2),  # order does not matter
    ([1, 2, 3, 4, 5], 0.5, 3),
    (list(range(1, 21)), 0.95, 19),
    (list(range(1, 101)), 0.95, 95),
    (list(range(1, 101)), 1.0, 100),
])
def test_nearest_rank_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize("q", [0.0, -0.5, 1.5])
def test_a_percentile_out_of_range_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        percentile([1.0], q)


@pytest.mark.parametrize(("arrived", "first_text", "expected"), [
    (T0, None, None),
    (T0, T0 + 42 * S, 42.0),
    (T0, T0 + timedelta(hours=2), 7200.0),
    (T0, T0 - 2 * S, 0.0),  # GHL's clock a little ahead of ours: never negative
])
def test_time_to_first_text(arrived: datetime, first_text: datetime | None,
                            expected: float | None) -> None:
    assert time_to_first_text(lead(arrived_at=arrived, first_text_at=first_text)) == expected


def test_a_week_of_leads() -> None:
    waits = [5, 10, 20, 40, 600]  # seconds to the first text of the five texted leads
    leads = [
        lead(contact_id=f"t{i}", first_text_at=T0 + w * S, first_touch=i < 3,
             last_inbound_at=T0 + (w + 60) * S if i < 2 else None,
             open_questions=() if i == 0 else ("budget",),
             appointment_statuses=("confirmed",) if i == 0 else ())
        for i, w in enumerate(waits)
    ] + [
        lead(contact_id="quiet"),
        lead(contact_id="stop", opted_out=True, first_text_at=T0 + 3 * S,
             last_inbound_at=T0 + 9 * S),
        lead(contact_id="last-month", arrived_at=SINCE - timedelta(days=20),
             first_text_at=SINCE, open_questions=()),
    ]
    f = funnel(leads, SINCE, UNTIL)
    assert f.stages() == {"new": 7, "texted": 6, "first_touched": 3, "replied": 3,
                          "qualified": 1, "booked": 1, "opted_out": 1}
    assert list(f.stages()) == list(STAGES)
    # waits of the six texted: 3, 5, 10, 20, 40, 600
    assert (f.time_to_first_touch_p50_s, f.time_to_first_touch_p95_s) == (10.0, 600.0)
    assert f.reply_rate == pytest.approx(3 / 6)
    assert f.texted_rate == pytest.approx(6 / 7)
    assert f.first_touch_rate == pytest.approx(3 / 7)
    assert (f.qualified_rate, f.booked_rate, f.opted_out_rate) == pytest.approx(
        (1 / 7, 1 / 7, 1 / 7))


def test_no_leads_no_rates() -> None:
    f = funnel([], SINCE, UNTIL)
    assert f == Funnel(SINCE, UNTIL)
    assert (f.reply_rate, f.texted_rate, f.qualified_rate) == (None, None, None)
    assert f.quantiles() == {0.5: None, 0.95: None}


def test_json_carries_the_window_counts_rates_and_quantiles() -> None:
    f = funnel([lead(first_text_at=T0 + 8 * S, last_inbound_at=T0 + 60 * S)], SINCE, UNTIL)
    out = f.to_json()
    assert out["since"] == SINCE.isoformat() and out["until"] == UNTIL.isoformat()
    assert (out["new_leads"], out["leads_texted"], out["leads_replied"]) == (1, 1, 1)
    assert out["time_to_first_touch_s"] == {"p50": 8.0, "p95": 8.0}
    assert out["rates"]["reply"] == 1.0 and out["rates"]["booked"] == 0.0


def test_the_predicates_agree_with_the_counts() -> None:
    a = lead(first_text_at=T0 + S, last_inbound_at=T0 + 2 * S, open_questions=(),
             appointment_statuses=("confirmed",))
    assert replied(a) and qualified(a) and booked(a)
    assert not (replied(lead()) or qualified(lead()) or booked(lead()))
