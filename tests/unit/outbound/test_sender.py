"""The bounded retry loop against the fake GHL API, with waits on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from tests.unit.outbound.conftest import ManualClock
from tests.unit.outbound.fake_token_store import FakeTokenStore
from workers.ghl.client import (
    DeliveryInDoubtError,
    GHLClient,
    GHLUnavailableError,
    RateLimitedError,
    ReplyRejectedError,
    TokenRejectedError,
    message_payload,
)
from workers.ghl.contacts import ContactsClient
from workers.ghl.ratelimit import LocationLimiter
from workers.ghl.sender import ClaimLostError, Sender
from workers.ghl.tokens import OAuthTokenProvider, StaticTokenProvider, TokenProvider

LOC = "loc-a"
SMS = message_payload("sms", "c1", "Still looking in Austin?")


@pytest.fixture
async def server() -> AsyncIterator[FakeGHLAPI]:
    async with FakeGHLAPI(valid_tokens={"tok": LOC}) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def sender(server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock,
           tokens: TokenProvider | None = None, max_attempts: int = 4) -> Sender:
    return Sender(
        GHLClient(http, server.base_url), tokens or StaticTokenProvider({LOC: "tok"}),
        LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep),
        max_attempts=max_attempts, backoff_s=0.5, backoff_max_s=8.0, max_wait_s=30.0,
        sleep=clock.sleep,
    )


def statuses(server: FakeGHLAPI) -> list[int | None]:
    return [r.status for r in server.requests if r.path == "/conversations/messages"]


async def test_429_waits_as_told_then_sends(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=429, retry_after=2.0))
    delivered = await sender(server, http, clock).send(LOC, SMS)
    assert delivered.message_id == server.delivered[0].message_id
    assert statuses(server) == [429, 201] and clock.sleeps == [pytest.approx(2.0)]


async def test_429_without_advice_waits_a_window_capped(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=429, retry_after=3600))
    await sender(server, http, clock).send(LOC, SMS)
    assert clock.sleeps == [pytest.approx(30.0)]  # never longer than max_wait_s


async def test_answers_proving_nothing_was_taken_back_off_then_send(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=408), Fault(status=408))  # GHL: "not the whole request"
    await sender(server, http, clock).send(LOC, SMS)
    assert statuses(server) == [408, 408, 201] and clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("fault", [
    Fault(status=500), Fault(status=502), Fault(status=503), Fault(status=504),
    Fault(status=504, after=True), Fault(status=502, after=True),
    Fault(reset=True), Fault(reset=True, after=True),
], ids=["500", "502", "503", "504", "504-that-sent", "502-that-sent", "reset",
        "reset-after-sending"])
async def test_an_answer_in_doubt_is_never_resent(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock, fault: Fault
) -> None:
    server.inject(fault)
    with pytest.raises(DeliveryInDoubtError, match="may have been"):
        await sender(server, http, clock).send(LOC, SMS)
    assert len(statuses(server)) == 1 and clock.sleeps == []  # one POST, never a second
    assert len(server.delivered) == (1 if fault.after else 0)  # what GHL did, unknown to us


async def test_an_idempotent_call_in_doubt_is_made_again(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    contacts = ContactsClient(http, server.base_url)
    server.inject(Fault(status=502, after=True, path="/contacts"), Fault(reset=True))
    answer = await sender(server, http, clock).call(
        LOC, lambda token: contacts.call(token, "POST", "/contacts/c1/tags", {"tags": ["hot"]}),
        idempotent=True)
    assert answer["tags"] == ["hot"] and server.contact(LOC, "c1").tags == ["hot"]
    assert [r.status for r in server.requests] == [502, None, 201]
    assert clock.sleeps == [0.5, 1.0]


async def test_every_answer_tells_the_limiter_ghls_count(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    for _ in range(95):  # someone else used the location's window at GHL
        server.limiter.hit(LOC)
    limiter = LocationLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    one = Sender(GHLClient(http, server.base_url), StaticTokenProvider({LOC: "tok"}), limiter,
                 sleep=clock.sleep)
    await one.send(LOC, SMS)
    assert limiter.bucket(LOC).available() == 4  # GHL said 4 remain; we had counted 1


async def test_gives_up_after_the_bounded_attempts(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=408, times=10))
    with pytest.raises(GHLUnavailableError, match="gave up after 3 attempts"):
        await sender(server, http, clock, max_attempts=3).send(LOC, SMS)
    assert statuses(server) == [408] * 3 and server.delivered == []
    server.clear_faults()
    server.inject(Fault(status=429, times=10))
    with pytest.raises(RateLimitedError):
        await sender(server, http, clock, max_attempts=2).send(LOC, SMS)


async def test_4xx_is_not_retried(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=422, message="contact not found"))
    with pytest.raises(ReplyRejectedError, match="422 contact not found"):
        await sender(server, http, clock).send(LOC, SMS)
    assert statuses(server) == [422]


async def test_401_refreshes_once_then_sends(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.expire_token("tok")
    server.add_refresh_token("rt-1", LOC)
    tokens = OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                                client_secret="s", store=FakeTokenStore(),
                                seed_refresh_tokens={LOC: "rt-1"}, access_tokens={LOC: "tok"})
    await sender(server, http, clock, tokens).send(LOC, SMS)
    assert [(r.path, r.status) for r in server.requests] == [
        ("/conversations/messages", 401), ("/oauth/token", 200),
        ("/conversations/messages", 201)]
    assert server.requests[-1].headers["authorization"] != "Bearer tok"


async def test_a_second_401_after_the_refresh_gives_up(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.add_refresh_token("rt-1", LOC)
    server.inject(Fault(status=401, times=2, path="/conversations"))
    tokens = OAuthTokenProvider(http, base_url=server.base_url, client_id="cid",
                                client_secret="s", store=FakeTokenStore(),
                                seed_refresh_tokens={LOC: "rt-1"}, access_tokens={LOC: "tok"})
    with pytest.raises(TokenRejectedError, match="refreshed token"):
        await sender(server, http, clock, tokens).send(LOC, SMS)
    assert statuses(server) == [401, 401]


class RecordingClaim:
    """A claim window that notes when it is given back and taken again, and by the clock
    what the sender waited while it was given back."""

    def __init__(self, clock: ManualClock, retake_answers: list[bool]) -> None:
        self.clock, self.answers = clock, retake_answers
        self.events: list[str] = []

    async def release(self, reason: str) -> None:
        self.events.append(f"release after {len(self.clock.sleeps)} waits")

    async def retake(self) -> bool:
        self.events.append(f"retake after {len(self.clock.sleeps)} waits")
        return self.answers.pop(0)


async def test_the_claim_is_given_back_for_every_wait_between_attempts(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=408), Fault(status=429, retry_after=2.0))
    claim = RecordingClaim(clock, [True, True])
    await sender(server, http, clock).send(LOC, SMS, claim=claim)
    assert statuses(server) == [408, 429, 201]
    # 408: released, backoff, retaken; 429: released, the server's pause, retaken.
    assert claim.events == ["release after 0 waits", "retake after 1 waits",
                            "release after 1 waits", "retake after 2 waits"]


async def test_a_claim_taken_by_someone_else_meanwhile_stops_the_sender(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    server.inject(Fault(status=408))
    with pytest.raises(ClaimLostError):
        await sender(server, http, clock).send(LOC, SMS, claim=RecordingClaim(clock, [False]))
    assert statuses(server) == [408]  # nothing sent after the claim was lost


async def test_a_turn_taken_before_the_claim_is_not_taken_twice(
    server: FakeGHLAPI, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    one_per_window = Sender(
        GHLClient(http, server.base_url), StaticTokenProvider({LOC: "tok"}),
        LocationLimiter(1, 10.0, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    await one_per_window.turn(LOC)
    await one_per_window.send(LOC, SMS, turn_taken=True)
    assert clock.sleeps == []  # the only token of the window, taken once
