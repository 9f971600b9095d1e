"""The metrics worker's handler on synthetic records: what it counts, and that no record,
however malformed, makes it raise (it must never dead-letter another worker's record)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas import topics
from workers.metrics.observe import decode, number, timestamp, usage
from workers.metrics.worker import MetricsHandler
from workers.runtime.record import Record

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def record(topic: str, tenant: str, payload: dict[str, Any] | bytes, *, at: datetime = NOW,
           event_type: str | None = None, headers: dict[str, str] | None = None) -> Record:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, default=str).encode()
    h = dict(headers or {})
    if event_type:
        h["event-type"] = event_type
    return Record(topic, 0, 0, body, tenant.encode(), h, int(at.timestamp() * 1000))


def event(tenant: str, kind: str, received: datetime = NOW, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "tenant_id": tenant, "contact_id": "c1",
            "occurred_at": received.isoformat(), "received_at": received.isoformat(),
            "type": kind, **fields}


@pytest.fixture
def handler() -> MetricsHandler:
    return MetricsHandler(tenant_labels=1000, clock=NOW.timestamp)


def test_drafted_reply_counts_mode_tokens_cost_and_end_to_end_latency(
    handler: MetricsHandler,
) -> None:
    t = f"t{uuid.uuid4().hex[:8]}"
    payload = event(t, "reply.drafted", NOW - timedelta(seconds=4), mode="claude",
                    input_tokens=1500, output_tokens=90, cache_read_tokens=1200,
                    cache_write_tokens=0, cost_usd=0.0031)
    handler.observe(record(topics.REPLIES_OUTBOUND, t, payload, event_type="reply.drafted"))
    assert value("leadmem_tenant_replies_total", tenant=t, mode="claude") == 1
    assert value("leadmem_tenant_claude_tokens_total", tenant=t, kind="input") == 1500
    assert value("leadmem_tenant_claude_tokens_total", tenant=t, kind="cache_read") == 1200
    assert value("leadmem_tenant_claude_tokens_total", tenant=t, kind="cache_write") == 0
    assert value("leadmem_tenant_claude_cost_usd_total", tenant=t) == pytest.approx(0.0031)
    assert value("leadmem_end_to_end_latency_seconds_sum", tenant=t, stage="drafted") == 4
    assert value("leadmem_end_to_end_latency_seconds_bucket", tenant=t, stage="drafted",
                 le="5.0") == 1
    assert value("leadmem_topic_records_total", tenant=t, topic=topics.REPLIES_OUTBOUND,
                 event_type="reply.drafted") == 1


def test_delivered_handoff_opt_out_and_dnd(handler: MetricsHandler) -> None:
    t = f"t{uuid.uuid4().hex[:8]}"
    handler.observe(record(topics.REPLIES_DELIVERED, t, event(
        t, "reply.delivered", NOW - timedelta(seconds=9), idempotency_key="k",
        ghl_message_id="g")))
    handler.observe(record(topics.AGENT_ASSIST, t, event(t, "agent.assist", reason="handoff")))
    handler.observe(record(topics.AGENT_ASSIST, t, event(t, "agent.assist", reason="coaching")))
    handler.observe(record(topics.LEAD_PROFILE_UPDATED, t, event(
        t, "lead.profile.updated", changed={"opted_out": True})))
    handler.observe(record(topics.LEAD_PROFILE_UPDATED, t, event(
        t, "lead.profile.updated", changed={"budget_max": 500000}, profile={"opted_out": True})))
    handler.observe(record(topics.MEMORY_UPDATED, t, event(t, "memory.updated",
                                                           changes=["contact.dnd", "dnd"])))
    assert value("leadmem_tenant_replies_delivered_total", tenant=t) == 1
    assert value("leadmem_end_to_end_latency_seconds_sum", tenant=t, stage="delivered") == 9
    assert value("leadmem_tenant_handoffs_total", tenant=t) == 1
    assert value("leadmem_tenant_opt_outs_total", tenant=t) == 1  # a transition, not a state
    assert value("leadmem_tenant_dnd_changes_total", tenant=t) == 1
    assert value("leadmem_stage_latency_seconds_count", topic=topics.AGENT_ASSIST) >= 2


def test_a_type_on_the_wrong_topic_is_not_a_reply(handler: MetricsHandler) -> None:
    t = f"t{uuid.uuid4().hex[:8]}"
    handler.observe(record(topics.MEMORY_UPDATED, t, event(t, "reply.drafted", mode="claude")))
    assert value("leadmem_tenant_replies_total", tenant=t, mode="claude") == 0


def test_dead_letters_by_worker_error_type_and_tenant(handler: MetricsHandler) -> None:
    t = f"t{uuid.uuid4().hex[:8]}"
    headers = {"dlq-worker": "memory", "dlq-source-topic": topics.CONVERSATION_EVENTS,
               "dlq-partition": "1", "dlq-offset": "5", "dlq-error-type": "ValidationError",
               "dlq-error": "bad", "dlq-attempts": "1", "dlq-at": NOW.isoformat()}
    before = value("leadmem_dlq_records_total", worker="memory", error_type="ValidationError",
                   source_topic=topics.CONVERSATION_EVENTS)
    handler.observe(record(topics.PIPELINE_DLQ, t, b"\x00 original bytes", headers=headers))
    assert value("leadmem_dlq_records_total", worker="memory", error_type="ValidationError",
                 source_topic=topics.CONVERSATION_EVENTS) == before + 1
    assert value("leadmem_tenant_dead_letters_total", tenant=t) == 1
    broken = {**headers, "dlq-partition": "one"}
    undecodable = value("leadmem_topic_undecodable_records_total", topic=topics.PIPELINE_DLQ)
    handler.observe(record(topics.PIPELINE_DLQ, t, b"x", headers=broken))
    assert value("leadmem_topic_undecodable_records_total",
                 topic=topics.PIPELINE_DLQ) == undecodable + 1


@pytest.mark.parametrize("body", [
    b"", b"\xff\xfe", b"[1, 2]", b"null", b"{", b"[" * 100_000, b'"text"',
    b'{"type": "reply.drafted", "received_at": 12, "input_tokens": "many", "mode": []}',
    b'{"type": "reply.drafted", "received_at": "2026-13-45", "usage": [1]}',
    b'{"type": "reply.drafted", "received_at": "2026-11-01T12:00:00", "cost_usd": -3}',
    b'{"type": "agent.assist", "reason": {"x": 1}}',
    b'{"type": "lead.profile.updated", "changed": ["opted_out"]}',
    b'{"type": "memory.updated", "changes": "dnd"}',
])
@pytest.mark.parametrize("topic", topics.ALL_TOPICS)
def test_no_record_makes_it_raise(handler: MetricsHandler, topic: str, body: bytes) -> None:
    handler.observe(Record(topic, 0, 0, body, None, {"event-type": "\x00weird"}, None))


def test_event_type_and_tenant_labels_stay_bounded(handler: MetricsHandler) -> None:
    t = f"t{uuid.uuid4().hex[:8]}"
    handler.observe(record(topics.GHL_EVENTS, t, b"{}", event_type=f"x-{uuid.uuid4()}"))
    handler.observe(record(topics.GHL_EVENTS, t, b"{}"))
    assert value("leadmem_topic_records_total", tenant=t, topic=topics.GHL_EVENTS,
                 event_type="other") == 1
    assert value("leadmem_topic_records_total", tenant=t, topic=topics.GHL_EVENTS,
                 event_type="none") == 1
    small = MetricsHandler(tenant_labels=1)
    a, b = f"a{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        small.observe(record(topics.GHL_EVENTS, a, b"{}"))
    for _ in range(10):
        small.observe(record(topics.GHL_EVENTS, b, b"{}"))
    assert value("leadmem_topic_records_total", tenant=a, topic=topics.GHL_EVENTS,
                 event_type="none") == 3
    small.tenants.rerank()  # b is clearly busier: a's series go, b gets its own
    assert REGISTRY.get_sample_value("leadmem_topic_records_total", {
        "tenant": a, "topic": topics.GHL_EVENTS, "event_type": "none"}) is None
    small.observe(record(topics.GHL_EVENTS, b, b"{}"))
    assert value("leadmem_topic_records_total", tenant=b, topic=topics.GHL_EVENTS,
                 event_type="none") == 1


def test_usage_reads_flat_nested_and_textual_numbers() -> None:
    assert usage({"input_tokens": 10, "cost_usd": "0.5"}) == ({"input": 10.0}, 0.5)
    nested = {"usage": {"input_tokens": 7, "cache_creation_input_tokens": 3}}
    assert usage(nested) == ({"input": 7.0, "cache_write": 3.0}, None)
    assert usage({"input_tokens": True, "output_tokens": float("nan")}) == ({}, None)
    assert number("1e3") == 1000 and number("abc") is None and number(-1) is None
    assert timestamp("2026-11-01T12:00:00+00:00") == NOW.timestamp()
    assert timestamp("2026-11-01T12:00:00") is None  # naive: no reliable instant
    assert decode(b'{"a": 1}') == {"a": 1} and decode(b"[1]") is None
