"""The pipeline's state as an operator asks for it (`leadmem status`): every worker's
/health, each group's consumer lag, the dead-letter topic's size and the context cache's hit
rate from the memory worker's /metrics. Each probe answers None when its service is away,
so one missing piece never hides the rest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families

from schemas.topics import PIPELINE_DLQ
from workers.metrics.lag import worker_groups
from workers.runtime.kafka import consumer_lag, topic_partitions
from workers.runtime.kafka_access import Kafka, as_access, kafka_access, start_client
from workers.settings import WORKER_PORTS, Settings

KAFKA_AWAY = (KafkaError, OSError, TimeoutError)


@dataclass
class WorkerHealth:
    name: str
    url: str
    state: str  # ready | not ready | unreachable
    checks: dict[str, bool] = field(default_factory=dict)
    lag: int | None = None


def worker_urls(settings: Settings, host: str | None, overrides: dict[str, str]) -> dict[str, str]:
    """Base URL of each worker: an override, else `host` (or LEADMEM_HTTP_HOST) and its port.
    `host` may name each worker's own host with `{worker}` (compose: service names)."""
    host = host or settings.http_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return {name: overrides.get(name, f"http://{host.replace('{worker}', name)}:{port}")
            for name, port in WORKER_PORTS.items()}


async def health(client: httpx.AsyncClient, name: str, url: str) -> WorkerHealth:
    try:
        resp = await client.get(f"{url}/health")
        body = resp.json()
    except (httpx.HTTPError, ValueError):
        return WorkerHealth(name, url, "unreachable")
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    return WorkerHealth(name, url, "ready" if resp.status_code == 200 else "not ready",
                        {str(k): v is True for k, v in checks.items()})


async def lag_by_group(settings: Settings, timeout_s: float = 10.0) -> dict[str, int | None]:
    """Total lag of each worker's group (None: the probe failed)."""
    out: dict[str, int | None] = {}
    kafka = kafka_access(settings)
    for group, topics in worker_groups(settings).items():
        try:
            lag = await asyncio.wait_for(consumer_lag(kafka, group, topics), timeout_s)
        except KAFKA_AWAY:
            out[group] = None
        else:
            out[group] = sum(lag.values())
    return out


async def dlq_size(kafka: Kafka) -> int | None:
    """Records on the dead-letter topic (end minus beginning offsets, every partition)."""
    access = as_access(kafka)
    consumer = AIOKafkaConsumer(**access.client_kwargs(), group_id=None)
    try:
        await start_client(consumer, access)
        parts = await topic_partitions(access, [PIPELINE_DLQ])
        ends = await consumer.end_offsets(parts)
        begins = await consumer.beginning_offsets(parts) if parts else {}
        return sum(ends[tp] - begins[tp] for tp in parts)
    except KAFKA_AWAY:
        return None
    finally:
        await consumer.stop()


async def cache_requests(client: httpx.AsyncClient, url: str) -> dict[str, float] | None:
    """The memory worker's context-cache reads by result (hit, miss, error)."""
    try:
        resp = await client.get(f"{url}/metrics")
        resp.raise_for_status()
    except httpx.HTTPError:
        return None
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(resp.text):
        if family.name == "leadmem_context_cache_requests":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    result = sample.labels.get("result", "?")
                    counts[result] = counts.get(result, 0.0) + sample.value
    return counts


async def gather(settings: Settings, host: str | None, overrides: dict[str, str]
                 ) -> tuple[list[WorkerHealth], int | None, dict[str, float] | None]:
    urls = worker_urls(settings, host, overrides)
    async with httpx.AsyncClient(timeout=3.0) as client:
        workers = list(await asyncio.gather(*(health(client, n, u) for n, u in urls.items())))
        cache = await cache_requests(client, urls["memory"])
    lags = await lag_by_group(settings)
    for w in workers:
        w.lag = lags.get(settings.group_id(w.name))
    return workers, await dlq_size(kafka_access(settings)), cache
