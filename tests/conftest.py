"""Fixtures: a migrated Postgres database, Redis, and a Tansu broker per test module."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.support.services import ServiceUrls, drop_database, service_urls
from workers.db.migrate import migrate
from workers.db.tenant import TenantDatabase
from workers.devbroker import DevBroker
from workers.runtime.kafka import ensure_topics
from workers.settings import Settings

TEST_DB = f"leadmem_test_{os.getpid()}"


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceUrls]:
    with service_urls(TEST_DB) as urls:
        yield urls


@pytest.fixture(scope="session")
async def migrated(services: ServiceUrls) -> AsyncIterator[ServiceUrls]:
    await drop_database(services.admin_database_url, TEST_DB)
    await migrate(services.admin_database_url, app_password=services.app_password)
    yield services
    await drop_database(services.admin_database_url, TEST_DB)


@pytest.fixture(scope="module")
async def kafka() -> AsyncIterator[str]:
    """A fresh memory-only broker per module, with every topic created."""
    external = os.environ.get("LEADMEM_TEST_KAFKA_BOOTSTRAP")
    if external:
        await ensure_topics(external, partitions=3)
        yield external
        return
    broker = DevBroker()
    broker.start()
    try:
        await broker.wait_ready()
        await ensure_topics(broker.bootstrap, partitions=3)
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def make_settings(migrated: ServiceUrls, kafka: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "kafka_bootstrap": kafka,
            "database_url": migrated.database_url,
            "admin_database_url": migrated.admin_database_url,
            "redis_url": migrated.redis_url,
            "consumer_group_prefix": f"t{uuid.uuid4().hex[:8]}",
            "http_port": 0,
            "retry_backoff_s": 0.01,
            "batch_timeout_ms": 20,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def db(migrated: ServiceUrls) -> AsyncIterator[TenantDatabase]:
    """A pool as the workers' role (row-level security applies)."""
    database = await TenantDatabase.connect(migrated.database_url)
    yield database
    await database.close()


@pytest.fixture
async def redis(migrated: ServiceUrls) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(migrated.redis_url)
    yield client
    await client.aclose()


def new_tenant() -> str:
    return f"loc{uuid.uuid4().hex[:12]}"
