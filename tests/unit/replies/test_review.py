"""A person's review of a draft the reply check held: release moves it suppressed -> drafted
(due at the release, who and when kept), cancel keeps it suppressed and records the decision;
both only for a draft still awaiting review."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.replies.test_store import Conn
from workers.replies import Status
from workers.replies import store as replies
from workers.replies.status import RELEASED, can_move

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GUARD = ("AND status = 'suppressed' AND suppressed_reason LIKE 'reply_check:%' "
         "AND review IS NULL")
ROW = {"tenant_id": "t1", "idempotency_key": "k1", "event_id": "e1", "contact_id": "c1",
       "reply_to_message_id": "m1", "channel": "sms", "body": "Call 555", "mode": "buyer",
       "status": "drafted", "suppressed_reason": "reply_check:foreign_phone",
       "send_after": AT, "review": "released"}


async def test_release_moves_only_a_draft_awaiting_review() -> None:
    conn = Conn(row=ROW)
    released = await replies.release_held(conn, "t1", "k1", "ops@example.com", AT)
    [(sql, args)] = conn.calls
    assert GUARD in sql and "SET status = 'drafted', send_after = $4" in sql
    assert args == ("t1", "k1", "ops@example.com", AT)
    assert released is not None and released.status == "drafted" and released.body == "Call 555"
    assert replies.TRANSITIONS["release_held"] == {RELEASED}
    assert can_move(Status.SUPPRESSED, Status.DRAFTED)
    assert await replies.release_held(Conn(row=None), "t1", "k1", "x", AT) is None


async def test_cancel_records_the_decision_and_moves_no_status() -> None:
    conn = Conn(value=True)
    assert await replies.cancel_held(conn, "t1", "k1", "ops@example.com", AT)
    [(sql, args)] = conn.calls
    assert GUARD in sql and "SET review = 'cancelled'" in sql and "SET status" not in sql
    assert args == ("t1", "k1", "ops@example.com", AT)
    assert "cancel_held" not in replies.TRANSITIONS  # not a status write
    assert not await replies.cancel_held(Conn(value=None), "t1", "k1", "x", AT)
