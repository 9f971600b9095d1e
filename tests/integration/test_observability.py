"""Every worker's /metrics is valid Prometheus exposition (checked by `promtool check
metrics`), the Prometheus config and alert rules load (`promtool check config|rules`), and
/health names the dependency that is down."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devtools.demo.ghl_events import inbound_message
from devtools.signing import signed
from schemas import topics
from tests.conftest import new_tenant
from tests.support.kafka import RawProducer
from tests.support.tenants import add_tenants
from tests.support.workers import eventually, running
from workers.ingestion.worker import SPEC as INGESTION
from workers.runtime.host import WorkerHost
from workers.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def promtool() -> str:
    """promtool, installed from Debian's `prometheus` package when missing."""
    found = shutil.which("promtool")
    if found:
        return found
    result = subprocess.run(["bash", str(ROOT / "scripts/install-promtool.sh")],
                            capture_output=True, text=True, timeout=900)
    found = shutil.which("promtool")
    if found:
        return found
    output = (result.stdout + result.stderr)[-2000:]
    network = ("Temporary failure resolving", "Could not resolve", "Failed to fetch",
               "Unable to fetch", "Network is unreachable", "Connection failed")
    if any(n in output for n in network):
        pytest.skip(f"promtool could not be installed (no network): {output[-300:]}")
    raise AssertionError(f"scripts/install-promtool.sh failed:\n{output}")


async def scrape(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(f"http://127.0.0.1:{port}{path}")


async def test_metrics_of_ingestion_and_metrics_workers_pass_promtool(
    make_settings: Callable[..., Settings], kafka: str, promtool: str
) -> None:
    tenant = new_tenant()
    await add_tenants(make_settings().database_url, tenant)
    async with RawProducer(kafka) as producer:
        body = json.dumps(inbound_message(tenant, "c1", "Hi, is the house on Elm available?"))
        await producer.send(topics.GHL_EVENTS, body.encode(), key=tenant,
                            headers=signed(body.encode()))
        await producer.send(topics.GHL_EVENTS, b"{not json", key=tenant)

    async with running(make_settings(), "ingestion", "metrics") as hosts:
        ingestion, metrics = hosts

        async def seen() -> bool:
            assert metrics.http is not None
            text = (await scrape(metrics.http.port, "/metrics")).text
            return (f'leadmem_topic_records_total{{event_type="message.ingested",tenant="{tenant}"'
                    in text and "leadmem_dlq_records_total{" in text
                    and "leadmem_consumer_lag_records{" in text)

        await eventually(seen)
        for host in (ingestion, metrics):
            assert host.http is not None
            resp = await scrape(host.http.port, "/metrics")
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/plain")
            check = await asyncio.create_subprocess_exec(
                promtool, "check", "metrics", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            output, _ = await asyncio.wait_for(check.communicate(resp.content), 60)
            assert check.returncode == 0, output.decode()
            assert "leadmem_records_processed_total" in resp.text
            health = await scrape(host.http.port, "/health")
            assert health.status_code == 200 and health.json()["ready"] is True


def test_prometheus_config_and_alert_rules_pass_promtool(promtool: str) -> None:
    rules = subprocess.run([promtool, "check", "rules", str(ROOT / "infra/prometheus/alerts.yml")],
                           capture_output=True, text=True, timeout=60)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = subprocess.run(
        [promtool, "check", "config",
         str(ROOT / "infra/prometheus/prometheus.yml")],
        capture_output=True, text=True, timeout=60)
    assert config.returncode == 0, config.stdout + config.stderr


async def test_health_is_503_naming_postgres_when_it_is_unreachable(
    make_settings: Callable[..., Settings], kafka: str
) -> None:
    # A port nothing listens on; a lazy pool so the worker starts and reports instead.
    settings = make_settings(database_url="postgresql://leadmem_app@127.0.0.1:1/leadmem",
                             db_pool_min=0)
    host = WorkerHost(INGESTION, settings)
    await host.open()  # clients and /health, without consuming anything
    try:
        await host.broker.connect()
        assert host.http is not None
        resp = await scrape(host.http.port, "/health")
        assert resp.status_code == 503
        body = resp.json()
        assert body == {"worker": "ingestion", "ready": False,
                        "checks": {"broker": True, "postgres": False}}
    finally:
        await host.broker.stop()
        await host.close()
