"""Classifying GHL's answers, building send bodies, transport failures, and the rate-limit
reports every answer hands to its collector."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from devtools.fakes.faults import Fault
from devtools.fakes.ghl_api import FakeGHLAPI
from workers.ghl.client import (
    Delivered,
    DeliveryInDoubtError,
    GHLClient,
    GHLUnavailableError,
    RateLimitedError,
    ReplyRejectedError,
    TokenRejectedError,
    classify,
    collect_reports,
    message_payload,
    retry_after_s,
    status_class,
)
from workers.ghl.limits import Report


def response(status: int, json: object = None, headers: dict[str, str] | None = None,
             text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=json, headers=headers)


def test_accepted_message_yields_its_ids() -> None:
    answer = {"conversationId": "cv1", "messageId": "m1", "msg": "Message queued successfully."}
    assert classify(response(201, answer)) == Delivered("m1", "cv1")


def test_accepted_without_message_id_is_in_doubt() -> None:
    with pytest.raises(DeliveryInDoubtError, match="without a messageId"):
        classify(response(201, {"msg": "ok"}))


def test_401_asks_for_a_refresh() -> None:
    with pytest.raises(TokenRejectedError):
        classify(response(401, {"statusCode": 401, "message": "Invalid JWT"}))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2.5"}, 2.5),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Interval-Milliseconds": "10000"}, 10.0),
        ({"X-RateLimit-Remaining": "3", "X-RateLimit-Interval-Milliseconds": "10000"}, None),
        ({}, None),
    ],
)
def test_429_carries_the_wait_its_headers_ask_for(
    headers: dict[str, str], expected: float | None
) -> None:
    with pytest.raises(RateLimitedError) as err:
        classify(response(429, {"statusCode": 429, "message": "Too many"}, headers))
    assert err.value.retry_after == expected


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    headers = httpx.Headers({"Retry-After": "Thu, 01 Jan 2026 12:00:07 GMT"})
    assert retry_after_s(headers, now) == pytest.approx(7.0)
    assert retry_after_s(httpx.Headers({"Retry-After": "soon"}), now) is None


@pytest.mark.parametrize("status", [408, 302, 307])
def test_answers_proving_nothing_was_taken_are_retryable(status: int) -> None:
    with pytest.raises(GHLUnavailableError, match=str(status)):
        classify(response(status, text="<html><h1>Request Timeout</h1></html>"))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_leave_the_message_in_doubt(status: int) -> None:
    with pytest.raises(DeliveryInDoubtError, match=f"{status}.*may have been done") as err:
        classify(response(status, text="<html><h1>Bad Gateway</h1></html>",
                          headers={"Retry-After": "3"}))
    assert err.value.status == status and err.value.retry_after == 3.0


def test_a_429_carries_ghls_report_beside_its_wait() -> None:
    headers = {"Retry-After": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Max": "100",
               "X-RateLimit-Interval-Milliseconds": "10000",
               "X-RateLimit-Daily-Remaining": "0"}
    with pytest.raises(RateLimitedError) as err:
        classify(response(429, {"message": "Too many requests"}, headers=headers))
    assert err.value.retry_after == 2.0 and err.value.report is not None
    assert err.value.report.daily_remaining == 0 and err.value.report.max == 100


def test_other_4xx_rejects_the_reply_with_ghls_reasons() -> None:
    body = {"statusCode": 422, "message": ["contactId must be a string", "bad type"]}
    with pytest.raises(ReplyRejectedError) as err:
        classify(response(422, body))
    assert err.value.status == 422
    assert "422" in str(err.value) and "contactId must be a string; bad type" in str(err.value)


def test_status_classes_are_bounded() -> None:
    assert [status_class(s) for s in (201, 401, 429, 422, 503, 999)] == [
        "2xx", "401", "429", "4xx", "5xx", "other"]


def test_payloads_per_channel() -> None:
    assert message_payload("sms", "c1", "Hi") == {"type": "SMS", "contactId": "c1",
                                                  "message": "Hi"}
    assert message_payload("live_chat", "c1", "Hi")["type"] == "Live_Chat"
    email = message_payload("email", "c1", "Hi <Ana>\nline 2\n\nBye", subject="Re: Elm St",
                            reply_to_message_id="m9")
    assert email["type"] == "Email" and email["message"].startswith("Hi <Ana>")
    assert email["html"] == "<p>Hi &lt;Ana&gt;<br>line 2</p><p>Bye</p>"
    assert email["subject"] == "Re: Elm St" and email["replyMessageId"] == "m9"
    assert "subject" not in message_payload("email", "c1", "Hi")


def test_channels_ghl_cannot_send_on_are_rejected() -> None:
    with pytest.raises(ReplyRejectedError, match="channel 'call'"):
        message_payload("call", "c1", "Hi")


async def test_connection_refused_is_retryable() -> None:
    server = FakeGHLAPI()
    async with server:
        url = server.base_url  # a port nothing listens on once the fake stopped
    async with httpx.AsyncClient() as http:
        with pytest.raises(GHLUnavailableError, match="unreachable"):
            await GHLClient(http, url).send("tok", message_payload("sms", "c1", "Hi"))


async def test_a_timeout_after_sending_is_in_doubt() -> None:
    async with FakeGHLAPI(valid_tokens={"tok": "loc"}) as server, \
            httpx.AsyncClient(timeout=0.2) as http:
        server.inject(Fault(delay=2.0))
        with pytest.raises(DeliveryInDoubtError, match="may have been delivered"):
            await GHLClient(http, server.base_url).send("tok", message_payload("sms", "c", "Hi"))
        assert len(server.requests) == 1


async def test_answers_report_ghls_count_to_the_collector() -> None:
    async with FakeGHLAPI(valid_tokens={"tok": "loc"}, rate_limit_daily=50) as server, \
            httpx.AsyncClient() as http:
        client, sms = GHLClient(http, server.base_url), message_payload("sms", "c", "Hi")
        await client.send("tok", sms)  # nobody collects: nothing is kept
        with collect_reports() as reports:
            await client.send("tok", sms)
            server.inject(Fault(status=422))
            with pytest.raises(ReplyRejectedError):
                await client.send("tok", sms)
        assert reports == [
            Report(remaining=98, max=100, interval_s=10.0, daily_remaining=48, daily_max=50),
            Report(remaining=98, max=100, interval_s=10.0, daily_remaining=48, daily_max=50)]
