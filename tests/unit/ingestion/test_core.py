"""The ingestion worker's pure helpers: a delivery's claim position, its receive time, the
ids every later stage keys by, and the bounded type label of the metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.events import ConversationEvent, LeadActivityRecorded, MessageIngested
from schemas.ghl import WEBHOOK_MODELS
from schemas.topics import GHL_EVENTS, PIPELINE_DLQ
from workers.errors import InvalidEventError
from workers.ingestion.worker import (
    REPLAY_SOURCE,
    check_ids,
    received_at,
    source_position,
    type_label,
)
from workers.runtime.record import Record

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
OWN = (2, 900)


def record(replay_source: str | None = None, *, timestamp_ms: int | None = None) -> Record:
    headers = {} if replay_source is None else {REPLAY_SOURCE: replay_source}
    return Record(GHL_EVENTS, OWN[0], OWN[1], b"{}", headers=headers,
                  timestamp_ms=timestamp_ms)


# --- source_position ------------------------------------------------------------------------


def test_a_record_without_a_replay_header_claims_its_own_position() -> None:
    assert source_position(record()) == OWN


def test_other_headers_do_not_change_the_position() -> None:
    rec = Record(GHL_EVENTS, 0, 7, b"", headers={"replay-of": f"{PIPELINE_DLQ}:0:3",
                                                  "x-ghl-signature": "abc"})
    assert source_position(rec) == (0, 7)


@pytest.mark.parametrize(("header", "expected"), [
    (f"{GHL_EVENTS}:1:42", (1, 42)),
    (f"{GHL_EVENTS}:0:0", (0, 0)),
    (f"{GHL_EVENTS}:17:9007199254740993", (17, 9007199254740993)),
    (f"{GHL_EVENTS}:007:010", (7, 10)),  # leading zeros are digits too
    # The receiver dead-letters a delivery that never reached Kafka with partition -1 and
    # a microsecond clock as its offset (workers/receiver/service.py NO_PARTITION); its
    # replay claims as that position, so a negative partition IS accepted.
    (f"{GHL_EVENTS}:-1:1764763200000000", (-1, 1764763200000000)),
    (f"{GHL_EVENTS}:-7:5", (-7, 5)),
])
def test_a_replay_of_a_ghl_events_record_claims_the_original_position(
    header: str, expected: tuple[int, int]
) -> None:
    assert source_position(record(header)) == expected


@pytest.mark.parametrize("header", [
    "",                                  # present but empty
    f"{PIPELINE_DLQ}:1:42",              # another topic
    "conversation.events:1:42",
    "ghl.events.v2:1:42",                # a prefix is not the topic
    "GHL.EVENTS:1:42",                   # topic names are case-sensitive
    f" {GHL_EVENTS}:1:42",
    f"{GHL_EVENTS}",                     # no position
    f"{GHL_EVENTS}:",
    f"{GHL_EVENTS}:1",                   # no offset
    f"{GHL_EVENTS}:1:",
    f"{GHL_EVENTS}::42",                 # no partition
    f"{GHL_EVENTS}:x:1",
    f"{GHL_EVENTS}:1:x",
    f"{GHL_EVENTS}:1:-5",                # negative offset
    f"{GHL_EVENTS}:-:5",                 # a sign without digits
    f"{GHL_EVENTS}:+1:5",
    f"{GHL_EVENTS}: 1:5",
    f"{GHL_EVENTS}:1:5 ",
    f"{GHL_EVENTS}:1.5:5",
    f"{GHL_EVENTS}:1:5:6",               # a third field
    f"{GHL_EVENTS}:1:0x10",
])
def test_an_unusable_replay_header_falls_back_to_the_own_position(header: str) -> None:
    assert source_position(record(header)) == OWN


@pytest.mark.parametrize("header", [
    f"{GHL_EVENTS}:--1:5",
    f"{GHL_EVENTS}:1:\u00b2",   # superscript two
    f"{GHL_EVENTS}:\u00b2:1",
])
def test_malformed_digits_fall_back_to_the_own_position(header: str) -> None:
    assert source_position(record(header)) == OWN


# --- received_at ----------------------------------------------------------------------------


@pytest.mark.parametrize(("timestamp_ms", "expected"), [
    (1_796_299_200_000, datetime(2026, 12, 3, 12, 0, tzinfo=UTC)),
    (1_796_299_200_123, datetime(2026, 12, 3, 12, 0, 0, 123_000, tzinfo=UTC)),
    (1, datetime(1970, 1, 1, 0, 0, 0, 1_000, tzinfo=UTC)),
])
def test_the_receive_time_is_the_record_timestamp(timestamp_ms: int,
                                                  expected: datetime) -> None:
    got = received_at(record(timestamp_ms=timestamp_ms), NOW)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize("timestamp_ms", [None, 0])
def test_without_a_record_timestamp_the_receive_time_is_now(timestamp_ms: int | None) -> None:
    assert received_at(record(timestamp_ms=timestamp_ms), NOW) is NOW


def test_a_replay_is_judged_by_the_original_timestamp_it_carries() -> None:
    replay = record(f"{GHL_EVENTS}:1:42", timestamp_ms=1_796_298_600_000)
    assert received_at(replay, NOW) == datetime(2026, 12, 3, 11, 50, tzinfo=UTC)


# --- check_ids ------------------------------------------------------------------------------


def message(tenant: str, contact: str | None) -> MessageIngested:
    return MessageIngested(
        event_id="e1", tenant_id=tenant, contact_id=contact, occurred_at=NOW, received_at=NOW,
        direction="inbound", channel="sms", sender="lead",
    )


def activity(tenant: str, contact: str | None) -> LeadActivityRecorded:
    return LeadActivityRecorded(
        event_id="e1", tenant_id=tenant, contact_id=contact, occurred_at=NOW, received_at=NOW,
        kind="unknown", ghl_type="Whatever",
    )


@pytest.mark.parametrize(("tenant", "contact"), [
    ("l1C08ntBrFjLS0elLIYU", "cI08i1Bls3iTB9bKgFJh"),
    ("loc1", "c1"),
    ("a.b@c+d-e_f", "A-Z_0.9@x+y"),
    ("x" * 128, "y" * 128),
    ("l", "c"),
])
def test_safe_ids_pass(tenant: str, contact: str) -> None:
    check_ids(message(tenant, contact))
    check_ids(activity(tenant, contact))


def test_an_event_without_a_contact_passes() -> None:
    check_ids(activity("loc1", None))


@pytest.mark.parametrize(("tenant", "contact", "kind"), [
    ("loc 1", "c1", "locationId"),
    ("loc:1", "c1", "locationId"),
    ("loc1\n", "c1", "locationId"),
    ("o'brien", "c1", "locationId"),
    ("x" * 129, "c1", "locationId"),
    ("l\u00f3c", "c1", "locationId"),
    ("loc\u200b1", "c1", "locationId"),
    ("loc1", "john doe", "contact id"),
    ("loc1", "c:1", "contact id"),
    ("loc1", "c1\r\n", "contact id"),
    ("loc1", "a;b", "contact id"),
    ("loc1", "a/b", "contact id"),
    ("loc1", "", "contact id"),  # an empty contact id is not None: it is refused
    ("loc1", "y" * 129, "contact id"),
    ("bad tenant", "bad contact", "locationId"),  # the tenant is checked first
])
def test_unsafe_ids_are_invalid_events(tenant: str, contact: str, kind: str) -> None:
    for event in (message(tenant, contact), activity(tenant, contact)):
        with pytest.raises(InvalidEventError, match=f"^{kind} .* is not a usable id"):
            check_ids(event)


def test_the_error_names_a_long_id_by_its_first_40_characters() -> None:
    event: ConversationEvent = message("loc1", "z" * 39 + "!" + "q" * 500)
    with pytest.raises(InvalidEventError) as err:
        check_ids(event)
    assert repr("z" * 39 + "!") in str(err.value)
    assert "q" not in str(err.value).split("expected")[0]
    assert "1-128 of A-Z a-z 0-9 _ . @ + -" in str(err.value)


# --- type_label -----------------------------------------------------------------------------


@pytest.mark.parametrize("ghl_type", sorted(WEBHOOK_MODELS))
def test_known_types_are_labelled_by_name(ghl_type: str) -> None:
    assert type_label(ghl_type) == ghl_type


@pytest.mark.parametrize("ghl_type", [
    None, "", "inboundmessage", "INBOUNDMESSAGE", " InboundMessage", "InvoiceCreate",
    "unparsed", "other", "x" * 1000,
])
def test_anything_else_is_labelled_other(ghl_type: str | None) -> None:
    assert type_label(ghl_type) == "other"


def test_the_label_set_is_bounded() -> None:
    labels = {type_label(f"Type{i}") for i in range(500)} | {type_label(t) for t in WEBHOOK_MODELS}
    assert labels == set(WEBHOOK_MODELS) | {"other"}
