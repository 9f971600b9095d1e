"""Raw bytes -> a validated webhook (decode_webhook), delivery times (parse_time) and the
replay window (check_fresh): each rejection with its documented error class."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.ghl import (
    AppointmentWebhook,
    ContactWebhook,
    ConversationUnreadWebhook,
    MessageWebhook,
    NoteWebhook,
    OpportunityWebhook,
    TaskWebhook,
    UnknownWebhook,
    Webhook,
)
from workers.errors import InvalidEventError, PermanentError, StaleEventError
from workers.ingestion.decode import MAX_DEPTH, check_fresh, clean, decode_webhook, parse_time
from workers.runtime.boundary import PERMANENT_ERRORS

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
MAX_AGE = 600
MAX_SKEW = 300
LIMIT = 100_000


def raw(data: Any) -> bytes:
    return json.dumps(data).encode()


def minimal(type_: object, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "locationId": "loc1", **fields}


# --- decode_webhook: what parses as which model ---------------------------------------------

APPOINTMENT = {"id": "a1", "contactId": "c1"}


@pytest.mark.parametrize(("data", "model"), [
    (minimal("InboundMessage", contactId="c1"), MessageWebhook),
    (minimal("OutboundMessage", contactId="c1"), MessageWebhook),
    (minimal("ContactCreate", id="c1"), ContactWebhook),
    (minimal("ContactUpdate", id="c1"), ContactWebhook),
    (minimal("ContactDelete", id="c1"), ContactWebhook),
    (minimal("ContactTagUpdate", id="c1"), ContactWebhook),
    (minimal("ContactDndUpdate", id="c1"), ContactWebhook),
    (minimal("NoteCreate", id="n1", contactId="c1"), NoteWebhook),
    (minimal("TaskCreate", id="t1", contactId="c1"), TaskWebhook),
    (minimal("OpportunityCreate", id="o1", contactId="c1"), OpportunityWebhook),
    (minimal("OpportunityStageUpdate", id="o1", contactId="c1"), OpportunityWebhook),
    (minimal("OpportunityStatusUpdate", id="o1", contactId="c1"), OpportunityWebhook),
    (minimal("AppointmentCreate", appointment=APPOINTMENT), AppointmentWebhook),
    (minimal("AppointmentUpdate", appointment=APPOINTMENT), AppointmentWebhook),
    (minimal("ConversationUnreadUpdate", id="cv1", contactId="c1"), ConversationUnreadWebhook),
    (minimal("InvoiceCreate"), UnknownWebhook),
    (minimal("inboundmessage"), UnknownWebhook),  # types are case-sensitive
])
def test_each_type_decodes_as_its_model(data: dict[str, Any], model: type[Webhook]) -> None:
    webhook = decode_webhook(raw(data), max_bytes=LIMIT)
    assert type(webhook) is model
    assert webhook.type == data["type"]
    assert webhook.locationId == "loc1"
    assert webhook.webhookId is None and webhook.timestamp is None


def test_unknown_fields_are_kept_and_from_is_read_by_alias() -> None:
    data = minimal("InboundMessage", contactId="c1", webhookId="wh-1",
                   timestamp="2026-12-03T12:00:00.000Z", messageTypeId=2,
                   **{"from": "+15125550100"}, to=["a@example.com"])
    webhook = decode_webhook(raw(data), max_bytes=LIMIT)
    assert isinstance(webhook, MessageWebhook)
    assert webhook.webhookId == "wh-1"
    assert webhook.timestamp == "2026-12-03T12:00:00.000Z"
    assert webhook.from_ == "+15125550100"
    assert webhook.to == ["a@example.com"]
    assert webhook.model_extra == {"messageTypeId": 2}


def test_a_body_of_exactly_the_limit_is_accepted() -> None:
    body = raw(minimal("InvoiceCreate"))
    assert decode_webhook(body, max_bytes=len(body)).type == "InvoiceCreate"


# --- decode_webhook: rejections -------------------------------------------------------------


@pytest.mark.parametrize(("body", "match"), [
    (b"x" * 11, "body of 11 bytes exceeds the limit of 10"),
    (b"\xff{}", r"not valid UTF-8 \(byte 0\)"),
    (b'{"a": "\xc3"}', r"not valid UTF-8 \(byte 7\)"),
    (b"\xef\xbb\xbf{}", "body is not JSON: Unexpected UTF-8 BOM"),
    (b"", "body is not JSON: Expecting value at line 1"),
    (b"{", "body is not JSON"),
    (b'{"type": "X",\n "locationId": }', "body is not JSON: Expecting value at line 2"),
    (b"{'type': 'X'}", "body is not JSON"),
    (b'{"type": "X"} trailing', "body is not JSON: Extra data"),
    (b"[]", "body is a JSON list, not an object"),
    (b'"InboundMessage"', "body is a JSON str, not an object"),
    (b"42", "body is a JSON int, not an object"),
    (b"4.2", "body is a JSON float, not an object"),
    (b"true", "body is a JSON bool, not an object"),
    (b"null", "body is a JSON NoneType, not an object"),
])
def test_undecodable_bodies_are_invalid_events(body: bytes, match: str) -> None:
    with pytest.raises(InvalidEventError, match=match):
        decode_webhook(body, max_bytes=10 if len(body) == 11 else LIMIT)


def test_the_size_limit_is_checked_before_decoding() -> None:
    with pytest.raises(InvalidEventError, match="exceeds the limit"):
        decode_webhook(b"\xff" * 20, max_bytes=10)


@pytest.mark.parametrize("data", [
    {"locationId": "loc1"},                                     # no type
    minimal(""),                                                # empty type
    minimal(5),                                                 # type not a string
    minimal(None),
    {"type": "InboundMessage", "contactId": "c1"},              # no locationId
    minimal("InvoiceCreate", locationId=""),
    minimal("InvoiceCreate", locationId="   "),                 # blank
    minimal("InvoiceCreate", locationId="x" * 129),             # too long
    minimal("InvoiceCreate", locationId=123),
    minimal("InvoiceCreate", webhookId=123),
    minimal("InvoiceCreate", timestamp=1796299200000),          # epoch ms as a number
    minimal("InboundMessage"),                                  # no contactId
    minimal("InboundMessage", contactId=""),
    minimal("InboundMessage", contactId="c1", attachments="a.png"),
    minimal("InboundMessage", contactId="c1", to=[1, 2]),
    minimal("ContactCreate", contactId="c1"),                   # contacts are keyed by `id`
    minimal("ContactCreate", id=""),
    minimal("ContactUpdate", id="c1", tags="hot"),
    minimal("ContactUpdate", id="c1", dnd="maybe"),
    minimal("ContactUpdate", id="c1", customFields=[{"value": 1}]),
    minimal("ContactDndUpdate", id="c1", dndSettings={"SMS": "active"}),
    minimal("NoteCreate", contactId="c1"),                      # no id
    minimal("TaskCreate", id="t1"),                             # no contactId
    minimal("OpportunityCreate", id="o1", contactId="c1", monetaryValue="lots"),
    minimal("AppointmentCreate"),                               # no appointment
    minimal("AppointmentCreate", appointment={"id": "a1"}),     # nested contactId missing
    minimal("AppointmentCreate", appointment=[APPOINTMENT]),
    minimal("ConversationUnreadUpdate", id="cv1", contactId="c1", unreadCount="many"),
])
def test_wrong_shapes_fail_validation_as_permanent_errors(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as err:
        decode_webhook(raw(data), max_bytes=LIMIT)
    assert isinstance(err.value, PERMANENT_ERRORS)


def test_an_integer_python_cannot_read_is_an_invalid_event() -> None:
    body = b'{"type": "X", "locationId": "loc1", "n": ' + b"1" * 5000 + b"}"
    with pytest.raises(InvalidEventError):
        decode_webhook(body, max_bytes=LIMIT)


def test_the_location_may_be_128_characters() -> None:
    assert decode_webhook(raw(minimal("X", locationId="x" * 128)), max_bytes=LIMIT).locationId \
        == "x" * 128


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_up_to_the_limit_is_accepted(depth: int) -> None:
    # the body is level 0 and `extra` level 1: its innermost list is at level `depth`
    nested: Any = []
    for _ in range(depth - 1):
        nested = [nested]
    decode_webhook(raw(minimal("X", extra=nested)), max_bytes=LIMIT)


def test_nesting_beyond_the_limit_is_invalid() -> None:
    nested: Any = []
    for _ in range(MAX_DEPTH):
        nested = [nested]
    with pytest.raises(InvalidEventError, match=f"nested deeper than {MAX_DEPTH} levels"):
        decode_webhook(raw(minimal("X", extra=nested)), max_bytes=LIMIT)


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "plain"),
    ("a\x00b\x00", "ab"),
    ("\ud800x\udfff", "\ufffdx\ufffd"),
    ({"k\x00": ["\x00v", {"\udc00": 1}]}, {"k": ["v", {"\ufffd": 1}]}),
    ([1, 2.5, None, True], [1, 2.5, None, True]),
])
def test_clean_makes_every_string_storable(value: Any, expected: Any) -> None:
    assert clean(value) == expected


def test_decode_cleans_keys_and_values() -> None:
    body = (b'{"type": "InboundMessage", "locationId": "loc1", "contactId": "c1", '
            b'"body": "hi\\u0000 \\ud83d", "nested": {"k\\u0000": ["\\udfff"]}}')
    webhook = decode_webhook(body, max_bytes=LIMIT)
    assert isinstance(webhook, MessageWebhook)
    assert webhook.body == "hi \ufffd"
    assert webhook.model_extra == {"nested": {"k": ["\ufffd"]}}


# --- parse_time -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    ("", None),
    ("2026-12-03T12:00:00.000Z", NOW),
    ("2026-12-03T12:00:00Z", NOW),
    ("2026-12-03T12:00:00+00:00", NOW),
    ("2026-12-03T14:00:00+02:00", NOW),
    ("2026-12-03T12:00:00", NOW),                  # naive: taken as UTC
    ("2026-12-03", datetime(2026, 12, 3, tzinfo=UTC)),
    ("1796299200000", NOW),                        # epoch milliseconds as digits
    ("1796299200", NOW),                           # epoch seconds as digits
    (1796299200000, NOW),
    (1796299200, NOW),
    (1796299200.5, NOW + timedelta(milliseconds=500)),
    ("0", datetime(1970, 1, 1, tzinfo=UTC)),
])
def test_parse_time(value: str | int | float | None, expected: datetime | None) -> None:
    got = parse_time(value)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None


@pytest.mark.parametrize("value", [
    "yesterday", " ", "2026-02-30T00:00:00Z", "12/03/2026", "-1796299200", "nan",
    "99999999999999999999", float("inf"),
])
def test_unreadable_times_are_invalid_events(value: str | float) -> None:
    with pytest.raises(InvalidEventError, match="unreadable time"):
        parse_time(value)


# --- check_fresh ----------------------------------------------------------------------------


def fresh(timestamp: str | None, now: datetime = NOW) -> None:
    check_fresh(timestamp, now, max_age_s=MAX_AGE, max_skew_s=MAX_SKEW)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("offset_s", [
    0, -1, -MAX_AGE + 1, -MAX_AGE, 1, MAX_SKEW - 1, MAX_SKEW,
])
def test_timestamps_within_the_window_pass(offset_s: int) -> None:
    fresh(iso(NOW + timedelta(seconds=offset_s)))


@pytest.mark.parametrize(("offset", "match"), [
    (timedelta(seconds=-MAX_AGE, milliseconds=-1), f"older than {MAX_AGE}s"),
    (timedelta(days=-3), f"older than {MAX_AGE}s"),
    (timedelta(seconds=MAX_SKEW, milliseconds=1), f"more than {MAX_SKEW}s in the future"),
    (timedelta(days=365), f"more than {MAX_SKEW}s in the future"),
])
def test_timestamps_outside_the_window_are_stale(offset: timedelta, match: str) -> None:
    with pytest.raises(StaleEventError, match=match) as err:
        fresh(iso(NOW + offset))
    assert isinstance(err.value, PermanentError)


def test_epoch_millisecond_timestamps_are_judged_too() -> None:
    fresh(str(int(NOW.timestamp() * 1000)))
    with pytest.raises(StaleEventError):
        fresh(str(int((NOW - timedelta(hours=1)).timestamp() * 1000)))


@pytest.mark.parametrize("timestamp", [None, ""])
def test_a_delivery_without_a_timestamp_is_never_stale(timestamp: str | None) -> None:
    fresh(timestamp, datetime(2100, 1, 1, tzinfo=UTC))


def test_an_unreadable_timestamp_is_invalid_not_stale() -> None:
    with pytest.raises(InvalidEventError, match="unreadable time"):
        fresh("not a time")


def test_the_window_is_judged_against_the_given_time() -> None:
    sent = iso(NOW)
    fresh(sent, NOW + timedelta(seconds=MAX_AGE))
    with pytest.raises(StaleEventError):
        fresh(sent, NOW + timedelta(seconds=MAX_AGE + 1))
