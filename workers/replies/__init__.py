"""The `replies` table has one owner: this package. Three workers write it (the responder
claims a message with its decision, the outbound sends at most once, memory records the
delivery), so its row, its status machine and its writes live here, where a change to one is
checked against the others, instead of in three workers' stores.

The row: `row.Reply`, one per inbound message answered (`(tenant_id, idempotency_key)`), as
the responder builds it and the outbound reads it (`row.CLAIM_COLUMNS`).

The status machine (`status.EDGES`, checked by the tests against every write in `store`). A
row starts drafted (the responder's draft, or the outbound's upsert of its `ReplyDrafted`) or
suppressed (the responder's guards or reply check kept it silent). Then:

    from      -> to          who                  why
    drafted   -> sending     outbound claim       due, consent allows; committed before POST
    held      -> sending     outbound claim       a held reply redelivered once due
    drafted   -> held        outbound claim       send_after ahead, or consent holds it
    held      -> held        outbound claim       due, but consent holds it again
    held      -> drafted     outbound scheduler   due: re-queued, its claim starts again
    drafted   -> suppressed  outbound claim       consent gone (or stale) when sending
    held      -> suppressed  outbound claim       consent gone while it was held
    sending   -> sent        outbound             GHL took it
    sent      -> sent        outbound, memory     the same delivery recorded again
    sending   -> failed      outbound             GHL refused it for good
    sending   -> drafted     outbound             GHL provably did not take it: may retry
    sending   -> sending     outbound             in doubt (maybe sent): never resent
    suppressed -> drafted    console (a person)   releases a draft the reply check held

sent, failed and suppressed are final for the pipeline; the one exit is a person's release of
a draft the reply check held (`reply_check:*`), once (`store.release_held`; cancelling it,
`store.cancel_held`, only records the decision). "sending" is committed before the POST, so
a crash after it leaves the reply in doubt rather than sent twice.

Where a change goes:
- a new status or edge: `status` (`Status`, `EDGES`), then the write in `store` that moves it,
  declared with `@moves`; what the outbound does with a row found in a status: `decide`.
- a new column: the migration, `row.Reply`, and the insert or update in `store` that sets
  it; a column the claim must read also goes in `row.CLAIM_COLUMNS`.
- a new write of `replies` (any worker): a function in `store`, never SQL in a worker.
- reads stay with their worker (the responder's one-round-trip `_LEAD`, the outbound's
  `_LOCK` with the lead's consent state), and consent itself with `workers.consent`.
"""

from __future__ import annotations

from workers.replies import store
from workers.replies.row import CLAIM_COLUMNS, Reply
from workers.replies.status import EDGES, Action, Status, can_move, decide

__all__ = ["CLAIM_COLUMNS", "EDGES", "Action", "Reply", "Status", "can_move", "decide", "store"]
