"""One request to GHL's send-message endpoint, and what its answer means.

`classify` turns a response into a `Delivered` or one of five errors, so the sender decides
with types, not status codes; which error an answer means is `outcome`'s table: retry after
GHL's window (429), refresh the token (401), retry after a backoff (the request never left:
connection refused), give up on this reply (other 4xx), or stop because GHL may already have
it (a 5xx, or a timeout or dropped connection after the request went out: at most once,
never resent).

Every answer's `X-RateLimit-*` headers are handed to whoever collects them
(`collect_reports`: the sender, for its limiter), so GHL's own count corrects ours.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from workers.errors import PermanentError, RetryableError
from workers.ghl.limits import Report, report_of
from workers.ghl.metrics import HTTP_ATTEMPTS, REQUEST_SECONDS
from workers.ghl.outcome import Outcome, of_error, of_status

API_VERSION = "2021-04-15"
SEND_PATH = "/conversations/messages"
MESSAGE_TYPES: dict[str, str] = {
    "sms": "SMS", "email": "Email", "whatsapp": "WhatsApp", "ig": "IG", "fb": "FB",
    "live_chat": "Live_Chat", "gmb": "GMB",
}


@dataclass(frozen=True)
class Delivered:
    message_id: str
    conversation_id: str | None


class RateLimitedError(RetryableError):
    """429: GHL's burst or daily limit; `retry_after` from its headers when it said, and
    the rest of what they said (`report`: its daily count, its limits)."""

    def __init__(self, message: str, retry_after: float | None = None,
                 report: Report | None = None) -> None:
        super().__init__(message, retry_after)
        self.report = report


class GHLUnavailableError(RetryableError):
    """GHL provably did not take the message (the request never left, a 408, a redirect):
    try again later."""


class TokenRejectedError(RetryableError):
    """401: the access token is invalid or expired; refresh it once, then retry."""


class ReplyRejectedError(PermanentError):
    """GHL refused this message (4xx other than 401/429), or it cannot be sent at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DeliveryInDoubtError(PermanentError):
    """The request went out but no answer proves what GHL did (a 5xx, a timeout or a cut
    connection after sending, a 2xx without the message's id): GHL may have done it, so it
    is never repeated, unless repeating it is harmless (an idempotent write)."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


def message_payload(
    channel: str, contact_id: str, body: str, *, subject: str | None = None,
    reply_to_message_id: str | None = None,
) -> dict[str, Any]:
    """The send-message body for a reply on `channel` (email adds html/subject/threading)."""
    kind = MESSAGE_TYPES.get(channel)
    if kind is None:
        raise ReplyRejectedError(f"GHL cannot send a reply on channel {channel!r}")
    payload: dict[str, Any] = {"type": kind, "contactId": contact_id, "message": body}
    if kind == "Email":
        paragraphs = (html.escape(p).replace("\n", "<br>") for p in body.split("\n\n"))
        payload["html"] = "".join(f"<p>{p}</p>" for p in paragraphs)
        if subject:
            payload["subject"] = subject
        if reply_to_message_id:
            payload["replyMessageId"] = reply_to_message_id
    return payload


def retry_after_s(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds GHL asked us to wait: `Retry-After` (seconds or HTTP date), else a whole
    rate-limit interval when `X-RateLimit-Remaining` is 0; None when it said nothing."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    interval = headers.get("x-ratelimit-interval-milliseconds")
    if headers.get("x-ratelimit-remaining") == "0" and interval and interval.isdigit():
        return int(interval) / 1000
    return None


def status_class(status: int) -> str:
    if status in (401, 429):
        return str(status)
    return f"{status // 100}xx" if 200 <= status < 600 else "other"


def _error_text(resp: httpx.Response) -> str:
    if "html" in resp.headers.get("content-type", ""):  # a gateway's page: its status says it
        return resp.reason_phrase
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200].strip() or resp.reason_phrase
    message = data.get("message") if isinstance(data, dict) else data
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return str(message)[:500]


def classify(resp: httpx.Response) -> Delivered:
    """What a send-message answer means; raises unless GHL accepted the message."""
    status = resp.status_code
    if 200 <= status < 300:
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not data.get("messageId"):
            raise DeliveryInDoubtError(f"GHL answered {status} without a messageId")
        conversation = data.get("conversationId")
        return Delivered(str(data["messageId"]), str(conversation) if conversation else None)
    raise_for_status(resp, "the message")
    raise AssertionError("unreachable: raise_for_status raises for every non-2xx")


def raise_for_status(resp: httpx.Response, what: str) -> None:
    """The error a non-2xx answer to a request about `what` means (nothing for a 2xx): the
    one mapping of GHL's statuses, for messages and CRM write-backs alike."""
    status = resp.status_code
    outcome = of_status(status)
    if outcome is Outcome.TAKEN:
        return
    if outcome is Outcome.TOKEN_REJECTED:
        raise TokenRejectedError(f"GHL answered 401 to {what}: {_error_text(resp)}")
    if outcome is Outcome.RATE_LIMITED:
        raise RateLimitedError(f"GHL answered 429 to {what}: {_error_text(resp)}",
                               retry_after=retry_after_s(resp.headers),
                               report=report_of(resp.headers))
    if outcome is Outcome.NOT_TAKEN:
        raise GHLUnavailableError(f"GHL answered {status} to {what}: {_error_text(resp)}",
                                  retry_after=retry_after_s(resp.headers))
    if outcome is Outcome.REFUSED:
        raise ReplyRejectedError(f"GHL rejected {what}: {status} {_error_text(resp)}", status)
    raise DeliveryInDoubtError(
        f"GHL answered {status} to {what} ({_error_text(resp)}): it may have been done",
        status=status, retry_after=retry_after_s(resp.headers))


async def request(http: httpx.AsyncClient, method: str, url: str, *, token: str,
                  version: str, body: dict[str, Any] | None, what: str,
                  effect: str, params: dict[str, str] | None = None) -> httpx.Response:
    """One request to GHL with a location's token, timed and counted; its answer is for the
    caller to classify, its rate-limit headers go to the collector (`collect_reports`). No
    answer is `GHLUnavailableError` when the request cannot have left (connection refused,
    pool wait: a retry is safe) and `DeliveryInDoubtError` otherwise (GHL may have
    `effect`-ed it), as `outcome.TRANSPORT` says. Messages, CRM and calendar calls all go
    through here, so all read a lost answer the same way. A read sends no `body` (None) and
    its query as `params`."""
    headers = {"Authorization": f"Bearer {token}", "Version": version,
               "Accept": "application/json"}
    started = time.perf_counter()
    try:
        resp = await http.request(method, url, json=body, params=params, headers=headers)
    except httpx.HTTPError as exc:
        HTTP_ATTEMPTS.labels("transport").inc()
        if of_error(exc) is Outcome.NOT_TAKEN:
            raise GHLUnavailableError(f"GHL unreachable: {exc!r}") from exc
        raise DeliveryInDoubtError(
            f"no answer from GHL {what} ({exc!r}): it may have been {effect}") from exc
    finally:
        REQUEST_SECONDS.observe(time.perf_counter() - started)
    HTTP_ATTEMPTS.labels(status_class(resp.status_code)).inc()
    collected = _REPORTS.get()  # a 429's report travels with its error, beside its pause
    if collected is not None and resp.status_code != 429 \
            and (report := report_of(resp.headers)) is not None:
        collected.append(report)
    return resp


_REPORTS: ContextVar[list[Report] | None] = ContextVar("ghl_rate_limit_reports", default=None)


@contextmanager
def collect_reports() -> Iterator[list[Report]]:
    """The `X-RateLimit-*` reports of the answers to requests made inside the block (in
    this task), in order: how the sender hears GHL's count without every client and
    every request function passing it back."""
    found: list[Report] = []
    token = _REPORTS.set(found)
    try:
        yield found
    finally:
        _REPORTS.reset(token)


class GHLClient:
    """Sends one message per call; no retries here (the sender owns them)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + SEND_PATH

    async def send(self, token: str, payload: dict[str, Any]) -> Delivered:
        return classify(await request(
            self._http, "POST", self._url, token=token, version=API_VERSION, body=payload,
            what="after sending", effect="delivered"))
