"""The receiver's produce path without a broker: what it hands the producer, and that a broker
slower than the deadline (or failing) means False (429), in time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from schemas.topics import GHL_EVENTS, PIPELINE_DLQ
from workers.receiver.accept import Accept, Reject
from workers.receiver.service import Receiver
from workers.runtime.boundary import read_dead_letter
from workers.runtime.clients import ProducerLink
from workers.runtime.record import Record
from workers.settings import Settings


class FakeProducer:
    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.sent: list[dict[str, Any]] = []

    async def send(self, topic: str, value: bytes, **kw: Any) -> asyncio.Future[None]:
        if self.behaviour == "refuses":
            raise KafkaConnectionError("no broker")
        self.sent.append({"topic": topic, "value": value, **kw})
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.behaviour == "acks":
            acked.set_result(None)
        elif self.behaviour == "fails":
            acked.set_exception(KafkaConnectionError("lost"))
        return acked  # "stalls": never acknowledged


def receiver(behaviour: str | None) -> tuple[Receiver, FakeProducer | None]:
    r = Receiver(Settings(receiver_produce_timeout_s=0.05), port=0)
    fake = FakeProducer(behaviour) if behaviour else None
    r.producer = ProducerLink(r.settings, client_id="receiver", close_timeout_s=0.05)
    r.producer.current = fake  # as the host's producer once connected (None: not yet)
    return r, fake


ACCEPT = Accept("loc1", {"x-ghl-signature": "c2ln", "tenant-id": "loc1"}, "verified")


async def test_a_record_is_the_body_keyed_with_headers_and_the_receive_time() -> None:
    r, fake = receiver("acks")
    assert await r.forward(b'{"locationId": "loc1"}', ACCEPT, 1_700_000_000_123)
    assert fake is not None and fake.sent == [{
        "topic": GHL_EVENTS, "value": b'{"locationId": "loc1"}', "key": b"loc1",
        "timestamp_ms": 1_700_000_000_123,
        "headers": [("x-ghl-signature", b"c2ln"), ("tenant-id", b"loc1")]}]


@pytest.mark.parametrize("behaviour", ["stalls", "fails", "refuses", None])
async def test_no_acknowledgement_within_the_deadline_is_false_in_time(
    behaviour: str | None,
) -> None:
    r, _ = receiver(behaviour)  # None: the producer has not connected yet
    started = time.perf_counter()
    assert not await r.forward(b"{}", ACCEPT, 0)
    assert time.perf_counter() - started < 1.0


async def test_a_dead_letter_is_the_runtime_s_format_with_its_own_identity() -> None:
    r, fake = receiver("acks")
    reject = Reject("body is a JSON list, not an object", {"x-ghl-signature": "c2ln"})
    assert await r.dead_letter(b"[1]", reject, 1_700_000_000_123)
    assert await r.dead_letter(b"[2]", reject, 1_700_000_000_124)
    assert fake is not None
    letters = []
    for sent in fake.sent:
        assert sent["topic"] == PIPELINE_DLQ and sent["key"] is None
        headers = {k: v.decode() for k, v in sent["headers"]}
        letters.append(read_dead_letter(Record(PIPELINE_DLQ, 0, 0, sent["value"],
                                               headers=headers)))
    first, second = letters
    assert (first.worker, first.source_topic, first.partition) == ("receiver", GHL_EVENTS, -1)
    assert first.error == "InvalidEventError: body is a JSON list, not an object"
    assert first.headers == {"x-ghl-signature": "c2ln"} and first.tenant_id is None
    assert first.offset != second.offset  # two dead letters, two replay identities
