"""The status machine: the claim's decision table (at most once per idempotency key), the
allowed edges, and every status write held to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.replies import EDGES, Action, Status, can_move, decide
from workers.replies import store as replies
from workers.replies.status import FINAL, INITIAL, RELEASED

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER, EARLIER = NOW + timedelta(hours=8), NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "send_after", "action"),
    [
        ("drafted", None, Action.SEND),
        ("drafted", EARLIER, Action.SEND),
        ("drafted", NOW, Action.SEND),
        ("drafted", LATER, Action.HOLD),
        ("held", LATER, Action.WAIT),
        ("held", EARLIER, Action.SEND),
        ("sending", None, Action.IN_DOUBT),  # a crash mid-send: never resend blindly
        ("sending", LATER, Action.IN_DOUBT),
        ("sent", None, Action.REPUBLISH),
        ("failed", None, Action.FAILED),
        ("cancelled", None, Action.SKIP),
    ],
)
def test_decide(status: str, send_after: datetime | None, action: Action) -> None:
    assert decide(status, send_after, NOW) is action


def test_decide_takes_the_enum_as_its_string() -> None:
    assert decide(Status.DRAFTED, LATER, NOW) is Action.HOLD
    assert decide(Status.SUPPRESSED, None, NOW) is Action.SKIP  # the claim reads blocked_at


def test_the_statuses_are_the_columns_values() -> None:
    assert {s.value for s in Status} == {"drafted", "held", "sending", "sent", "failed",
                                         "suppressed"}
    assert Status("held") is Status.HELD and Status.SENT == "sent"


DECLARED = sorted((name, a, b) for name, edges in replies.TRANSITIONS.items()
                  for a, b in edges)


@pytest.mark.parametrize(("write", "a", "b"), DECLARED)
def test_every_edge_a_write_moves_is_allowed(write: str, a: Status, b: Status) -> None:
    assert can_move(a, b), f"{write} moves {a} -> {b}, which is not in EDGES"


def test_every_allowed_edge_has_its_write() -> None:
    moved = {edge for edges in replies.TRANSITIONS.values() for edge in edges}
    assert moved == set(EDGES)


def test_the_status_writes_are_all_declared() -> None:
    assert set(replies.TRANSITIONS) == {
        "mark_sending", "mark_held", "mark_suppressed", "mark_sent", "mark_failed",
        "release", "note_in_doubt", "mark_drafted", "release_held"}


def test_nothing_leaves_a_final_status_but_sent_recorded_again_or_a_persons_release() -> None:
    out_of_final = {(a, b) for a, b in EDGES if a in FINAL}
    assert out_of_final == {(Status.SENT, Status.SENT), RELEASED}
    assert RELEASED == (Status.SUPPRESSED, Status.DRAFTED)
    for final in FINAL:
        for other in Status:
            if (final, other) not in ((Status.SENT, Status.SENT), RELEASED):
                assert not can_move(final, other)


def test_the_claimed_row_never_goes_back_to_held_or_suppressed() -> None:
    """'sending' is in doubt once committed: only its own outcome moves it."""
    assert {b for a, b in EDGES if a is Status.SENDING} == {
        Status.SENT, Status.FAILED, Status.DRAFTED, Status.SENDING}


def test_can_move() -> None:
    assert can_move("drafted", "sending") and can_move(Status.HELD, Status.DRAFTED)
    assert not can_move("sent", "drafted")
    assert not can_move("failed", "sending")
    assert can_move("suppressed", "drafted")  # only a person's release (the console)
    assert not can_move("suppressed", "sending")
    assert not can_move("drafted", "sent")  # only through a claim ('sending')
    assert not can_move("drafted", "cancelled")  # not a status of this machine
    assert not can_move("cancelled", "drafted")


def test_rows_start_drafted_or_suppressed_and_every_status_is_reachable() -> None:
    assert set(INITIAL) == {Status.DRAFTED, Status.SUPPRESSED}
    reached, frontier = set(INITIAL), list(INITIAL)
    while frontier:
        a = frontier.pop()
        for x, b in EDGES:
            if x is a and b not in reached:
                reached.add(b)
                frontier.append(b)
    assert reached == set(Status)
