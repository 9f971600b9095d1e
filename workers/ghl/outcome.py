"""What an answer from GHL proves about the request it answers: the one table every call
to GHL (messages and CRM write-backs) is read by (pure).

Only an answer that proves GHL did not act on the request lets it be made again: a 429 (the
window was full), a 401 (the token was refused, before anything else), a request that never
left (connection refused, no connection from the pool), or a 408 (GHL says it did not get
the whole request). A 4xx that refuses the request is final. Anything else after the request
went out (a 5xx, gateway errors included, or a connection cut or timed out while waiting for
the answer) is in doubt: GHL may have acted, so a message is never sent again (the agent is
told) and only an idempotent write (tags, fields, DND, a note's update) is repeated.

503 is in doubt too: GHL's own service answers it when it is overloaded, but so does a gateway
in front of it whose upstream was already handling the request; nothing in the answer says
which.
"""

from __future__ import annotations

from enum import StrEnum

import httpx


class Outcome(StrEnum):
    TAKEN = "taken"  # 2xx: GHL did it
    RATE_LIMITED = "rate_limited"  # not taken: wait out GHL's window, then again
    TOKEN_REJECTED = "token_rejected"  # not taken: refresh the token once, then again
    NOT_TAKEN = "not_taken"  # not taken (never arrived, or GHL says it had not all of it)
    REFUSED = "refused"  # GHL refused it: final, never repeated
    IN_DOUBT = "in_doubt"  # it arrived and no answer says what GHL did with it


# Exact statuses first, then the class of the status (its hundreds).
STATUSES: dict[int, Outcome] = {
    401: Outcome.TOKEN_REJECTED,
    408: Outcome.NOT_TAKEN,  # "did not receive a complete request" (RFC 9110 15.5.9)
    429: Outcome.RATE_LIMITED,
}
CLASSES: dict[int, Outcome] = {
    1: Outcome.NOT_TAKEN,  # never final: no request was acted on (we never ask for 100)
    2: Outcome.TAKEN,
    3: Outcome.NOT_TAKEN,  # a redirect (not followed): not acted on at this address
    4: Outcome.REFUSED,
    5: Outcome.IN_DOUBT,  # 500, 502, 503, 504 alike: may have been done
}

# Errors with no answer, most specific first: those raised before the request was written
# (nothing reached GHL), then every other transport error (it may have reached GHL).
TRANSPORT: tuple[tuple[type[httpx.HTTPError], Outcome], ...] = (
    (httpx.ConnectError, Outcome.NOT_TAKEN),  # refused, unreachable, reset while connecting
    (httpx.ConnectTimeout, Outcome.NOT_TAKEN),
    (httpx.PoolTimeout, Outcome.NOT_TAKEN),  # no connection to write it on
    (httpx.UnsupportedProtocol, Outcome.NOT_TAKEN),
    (httpx.HTTPError, Outcome.IN_DOUBT),  # read/write timeouts, resets, a dropped answer
)


def of_status(status: int) -> Outcome:
    """What an answer with HTTP `status` proves (statuses outside 100-599: in doubt)."""
    found = STATUSES.get(status)
    if found is not None:
        return found
    return CLASSES.get(status // 100, Outcome.IN_DOUBT) if 100 <= status < 600 \
        else Outcome.IN_DOUBT


def of_error(exc: httpx.HTTPError) -> Outcome:
    """What a request that got no answer proves: the first row of `TRANSPORT` it is."""
    for kind, outcome in TRANSPORT:
        if isinstance(exc, kind):
            return outcome
    return Outcome.IN_DOUBT

