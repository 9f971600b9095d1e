"""The reader of a lead's word on *when* (`consent.timing`) on 160 requests written blind
(timing_heldout.jsonl).

A helper wrote and labelled them from a one-page spec of the conventions (what a pause, the
lead's own hours and a lift are, and when each ends), never reading `timing.py` or its tests
and never running code on them; a checker re-derived every pause's end. 110 English, 50
Spanish: 55 pauses, 35 hours, 10 lifts and 60 that ask nothing (made hard on purpose: times
by a contact word about something else, the lead doing the contacting, opt-outs, questions,
conditions).

First score, of the reader as it was first committed (e4cb1a9): kind 0.963 (154/160), and
every case read as the right kind also exactly (the pause's end, the hours). The misses
named mechanisms, fixed as such: whose contact it is ("i'll call you next week", "my wife
will text you tomorrow": the lead or someone else does it; "got your text at 9pm": a noun),
a time already here ("check back in march" in March), a time fronted before a Spanish
negation ("los domingos no me escriban"), and "hmu". Since then the set is a development set
too: it guards against falling back, and a fresh one would be the next honest measure.
"""

from __future__ import annotations

from pathlib import Path

from devtools.bench import optout as bench

SET = Path(__file__).with_name("timing_heldout.jsonl")


def test_every_request_is_read_as_its_kind_and_exactly() -> None:
    rows = bench.load(SET)
    assert len(rows) == 160 and len({r["id"] for r in rows}) == 160
    got = bench.timing_score(rows)
    assert got["misses"] == [], got["misses"]


def test_a_missed_request_is_reported_as_one() -> None:
    """The scorer itself: a case read wrongly is a miss, with what was wanted and read."""
    case = {"id": "x", "text": "no texts after 8pm", "now": "2026-12-07T16:00:00Z",
            "zone": "America/New_York", "expect": {"kind": "hours", "hours": "21:00-00:00"}}
    got = bench.timing_score([case])
    assert (got["kind_accuracy"], got["exact"]) == (1.0, 0.0)
    assert got["misses"][0]["got"] == {"kind": "hours", "hours": "20:00-00:00"}
