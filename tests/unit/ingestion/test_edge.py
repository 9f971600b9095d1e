"""The ingestion edge (pure): what it accepts every later stage can store and publish, and
what it rejects says why, at once (issue #15, items 1-5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devtools.demo.ghl_events import inbound_message
from schemas.events import MessageIngested
from schemas.topics import GHL_EVENTS
from workers.errors import InvalidEventError, SignatureMismatchError, StaleEventError
from workers.ingestion.decode import MAX_DEPTH, check_fresh, decode_webhook, parse_time
from workers.ingestion.normalise import normalise
from workers.ingestion.signatures import SignatureVerifier
from workers.ingestion.worker import check_ids, received_at, source_position
from workers.runtime.boundary import PERMANENT_ERRORS
from workers.runtime.record import Record

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def body(**change: object) -> bytes:
    event = inbound_message("loc1", "c1", "hello")
    event.update(change)
    return json.dumps(event).encode()


def test_nul_characters_are_dropped_and_lone_surrogates_replaced() -> None:
    webhook = decode_webhook(body(body="a\u0000b \ud800 c"), max_bytes=10_000)
    event = normalise(webhook, b"", NOW)
    assert isinstance(event, MessageIngested)
    assert event.body == "ab \ufffd c"
    event.model_dump_json().encode("utf-8")  # publishable
    raw = b'{"type": "InboundMessage", "locationId": "loc1", "contactId": "c1", ' \
          b'"body": "x", "\\udc00key\\u0000": "v"}'
    assert decode_webhook(raw, max_bytes=10_000).locationId == "loc1"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 2, 300, 100_000])
def test_deep_json_is_rejected_at_once(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    raw = body()[:-1] + f', "extra": {nested}}}'.encode()
    with pytest.raises(InvalidEventError, match="nested deeper"):
        decode_webhook(raw, max_bytes=10_000_000)


@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999",
                                   "9" * 400, "2026-13-45T99:00:00Z"])
def test_times_no_calendar_holds_are_invalid_not_transient(value: str) -> None:
    with pytest.raises(InvalidEventError, match="unreadable time"):
        parse_time(value)
    webhook = decode_webhook(body(dateAdded=value), max_bytes=10_000)
    with pytest.raises(InvalidEventError):
        normalise(webhook, b"", NOW)


def test_recursion_errors_are_permanent() -> None:
    assert issubclass(RecursionError, PERMANENT_ERRORS)


@pytest.mark.parametrize(("location", "contact"), [
    ("loc 1", "c1"), ("loc:1", "c1"), ("loc1", "john doe"), ("loc1", "c:1"),
    ("loc1", "c1\n"), ("loc1", "\u00e71"), ("loc\u200b1", "c1"),
])
def test_ids_the_cache_and_sql_cannot_hold_are_rejected(location: str, contact: str) -> None:
    raw = json.dumps(inbound_message(location, contact, "hi")).encode()
    event = normalise(decode_webhook(raw, max_bytes=10_000), raw, NOW)
    with pytest.raises(InvalidEventError, match="not a usable id"):
        check_ids(event)


def test_the_replay_window_is_judged_against_the_receive_time() -> None:
    """A delivery received in time but processed 17 minutes later (a backlog) is fresh."""
    sent = NOW - timedelta(minutes=17)
    record = Record(GHL_EVENTS, 0, 5, b"", timestamp_ms=int((sent.timestamp() + 1) * 1000))
    check_fresh(sent.isoformat(), received_at(record, NOW), max_age_s=600, max_skew_s=300)
    with pytest.raises(StaleEventError):
        check_fresh(sent.isoformat(), NOW, max_age_s=600, max_skew_s=300)
    assert received_at(Record(GHL_EVENTS, 0, 5, b""), NOW) == NOW


def test_a_replayed_record_claims_as_the_original() -> None:
    replay = Record(GHL_EVENTS, 2, 900, b"", headers={
        "replay-source": f"{GHL_EVENTS}:1:42", "replay-of": "pipeline.dlq:0:7"})
    assert source_position(replay) == (1, 42)
    assert source_position(Record(GHL_EVENTS, 2, 900, b"")) == (2, 900)
    for junk in ("other.topic:1:42", f"{GHL_EVENTS}:x:1", f"{GHL_EVENTS}:1", ""):
        assert source_position(Record(GHL_EVENTS, 2, 900, b"",
                                      headers={"replay-source": junk})) == (2, 900)


def test_unsigned_deliveries_are_rejected_with_no_switch_to_accept_them() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for verifier in (SignatureVerifier.from_settings(pem, None),
                     SignatureVerifier.from_settings(None, None), SignatureVerifier()):
        for headers in ({}, {"x-ghl-signature": ""}, {"x-ghl-signature": "  "},
                        {"x-ghl-signature": "junk!!"}):
            with pytest.raises(SignatureMismatchError):
                verifier.verify(body(), headers)
