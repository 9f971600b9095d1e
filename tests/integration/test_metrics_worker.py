"""The metrics worker on the real broker: per-tenant counters from every topic, latency from
envelope timestamps, DLQ records by worker and error type, consumer lag, and undecodable
records counted without a dead letter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from schemas import topics
from schemas.events import AgentAssistRequested, ProfileUpdated, ReplyDelivered, ReplyDrafted
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer, keyed, publish_events, read_until
from tests.support.workers import eventually, running
from workers.settings import Settings

pytestmark = pytest.mark.integration


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def envelope(tenant: str, received: datetime) -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "tenant_id": tenant, "contact_id": "c1",
            "occurred_at": received, "received_at": received}


async def test_counts_per_tenant_and_type_and_probes_lag(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    tenant = new_tenant()
    received = datetime.now(UTC) - timedelta(seconds=3)
    drafted = ReplyDrafted(**envelope(tenant, received), idempotency_key="m1",
                           channel="sms", body="Hi Ana!", mode="claude")
    usage = {**json.loads(drafted.model_dump_json()),
             "usage": {"input_tokens": 1200, "output_tokens": 80,
                       "cache_read_input_tokens": 1000},
             "cost_usd": "0.0042"}
    delivered = ReplyDelivered(**envelope(tenant, received), idempotency_key="m1",
                               ghl_message_id="g1")
    handoff = AgentAssistRequested(**envelope(tenant, received), reason="handoff",
                                   note="asked for a person")
    coaching = AgentAssistRequested(**envelope(tenant, received), reason="coaching",
                                    note="tip")
    opt_out = ProfileUpdated(**envelope(tenant, received), changed={"opted_out": True})
    await publish_events(kafka, topics.REPLIES_DELIVERED, [delivered])
    await publish_events(kafka, topics.AGENT_ASSIST, [handoff, coaching])
    await publish_events(kafka, topics.LEAD_PROFILE_UPDATED, [opt_out])
    async with RawProducer(kafka) as producer:
        await producer.send(topics.REPLIES_OUTBOUND, json.dumps(usage).encode(), key=tenant,
                            headers={"event-type": "reply.drafted"})
        await producer.send(topics.MEMORY_UPDATED, b"\xff not json", key=tenant,
                            headers={"event-type": "memory.updated"})
        await producer.send(topics.PIPELINE_DLQ, b"{broken", key=tenant, headers={
            "dlq-worker": "ingestion", "dlq-source-topic": topics.GHL_EVENTS,
            "dlq-partition": "0", "dlq-offset": "7", "dlq-error-type": "InvalidEventError",
            "dlq-error": "not JSON", "dlq-attempts": "1", "tenant-id": tenant})
    undecodable_before = value("leadmem_topic_undecodable_records_total",
                               topic=topics.MEMORY_UPDATED)
    settings = make_settings(metrics_lag_interval_s=0.5)
    async with running(settings, "metrics"):
        await eventually(lambda: value("leadmem_tenant_dead_letters_total", tenant=tenant) >= 1
                         and value("leadmem_tenant_replies_total", tenant=tenant,
                                   mode="claude") >= 1)
        await eventually(lambda: value("leadmem_consumer_lag_records",
                                       group=settings.group_id("ingestion"),
                                       topic=topics.GHL_EVENTS, partition="0") >= 0
                         and REGISTRY.get_sample_value(
                             "leadmem_consumer_lag_records",
                             {"group": settings.group_id("metrics"),
                              "topic": topics.PIPELINE_DLQ, "partition": "0"}) is not None)
    assert value("leadmem_tenant_replies_delivered_total", tenant=tenant) == 1
    assert value("leadmem_tenant_handoffs_total", tenant=tenant) == 1
    assert value("leadmem_tenant_opt_outs_total", tenant=tenant) == 1
    assert value("leadmem_topic_records_total", tenant=tenant, topic=topics.AGENT_ASSIST,
                 event_type="agent.assist") == 2
    assert value("leadmem_tenant_claude_tokens_total", tenant=tenant, kind="input") == 1200
    assert value("leadmem_tenant_claude_tokens_total", tenant=tenant, kind="cache_read") == 1000
    assert value("leadmem_tenant_claude_cost_usd_total", tenant=tenant) == pytest.approx(0.0042)
    for stage in ("drafted", "delivered"):
        assert value("leadmem_end_to_end_latency_seconds_count", tenant=tenant,
                     stage=stage) == 1
        # received 3 s before publishing: at least that long, end to end
        assert value("leadmem_end_to_end_latency_seconds_sum", tenant=tenant,
                     stage=stage) >= 3
    assert value("leadmem_dlq_records_total", worker="ingestion",
                 error_type="InvalidEventError", source_topic=topics.GHL_EVENTS) >= 1
    assert value("leadmem_topic_undecodable_records_total",
                 topic=topics.MEMORY_UPDATED) == undecodable_before + 1
    # Undecodable records are only counted: the metrics worker dead-letters nothing.
    dlq = await read_until(kafka, topics.PIPELINE_DLQ, lambda s: len(s) >= 1,
                           where=keyed({tenant}), settle_s=0.5)
    assert [r.value for r in dlq] == [b"{broken"]
