"""What an answer from GHL proves (`workers.ghl.outcome`), as a table: only an answer proving
GHL did not act lets a request be made again; anything after the request went out that does
not say what GHL did is in doubt."""

from __future__ import annotations

import httpx
import pytest

from workers.ghl.outcome import Outcome, of_error, of_status

REQUEST = httpx.Request("POST", "https://services.leadconnectorhq.com/conversations/messages")

STATUSES = [
    (200, Outcome.TAKEN), (201, Outcome.TAKEN), (204, Outcome.TAKEN),
    (401, Outcome.TOKEN_REJECTED),
    (429, Outcome.RATE_LIMITED),
    (408, Outcome.NOT_TAKEN), (301, Outcome.NOT_TAKEN), (307, Outcome.NOT_TAKEN),
    (101, Outcome.NOT_TAKEN),
    (400, Outcome.REFUSED), (403, Outcome.REFUSED), (404, Outcome.REFUSED),
    (409, Outcome.REFUSED), (422, Outcome.REFUSED),
    (500, Outcome.IN_DOUBT), (502, Outcome.IN_DOUBT), (503, Outcome.IN_DOUBT),
    (504, Outcome.IN_DOUBT), (599, Outcome.IN_DOUBT),
    (0, Outcome.IN_DOUBT), (99, Outcome.IN_DOUBT), (600, Outcome.IN_DOUBT),
    (999, Outcome.IN_DOUBT),
]


@pytest.mark.parametrize(("status", "outcome"), STATUSES, ids=[str(s) for s, _ in STATUSES])
def test_what_a_status_proves(status: int, outcome: Outcome) -> None:
    assert of_status(status) is outcome


ERRORS = [
    (httpx.ConnectError("connection refused", request=REQUEST), Outcome.NOT_TAKEN),
    (httpx.ConnectTimeout("connect timed out", request=REQUEST), Outcome.NOT_TAKEN),
    (httpx.PoolTimeout("no connection free", request=REQUEST), Outcome.NOT_TAKEN),
    (httpx.UnsupportedProtocol("ftp://", request=REQUEST), Outcome.NOT_TAKEN),
    (httpx.ReadTimeout("no answer in time", request=REQUEST), Outcome.IN_DOUBT),
    (httpx.ReadError("connection reset by peer", request=REQUEST), Outcome.IN_DOUBT),
    (httpx.RemoteProtocolError("server disconnected", request=REQUEST), Outcome.IN_DOUBT),
    (httpx.WriteError("broken pipe", request=REQUEST), Outcome.IN_DOUBT),
    (httpx.WriteTimeout("write timed out", request=REQUEST), Outcome.IN_DOUBT),
    (httpx.DecodingError("bad gzip", request=REQUEST), Outcome.IN_DOUBT),
]


@pytest.mark.parametrize(("error", "outcome"), ERRORS,
                         ids=[type(e).__name__ for e, _ in ERRORS])
def test_what_no_answer_proves(error: httpx.HTTPError, outcome: Outcome) -> None:
    assert of_error(error) is outcome
