"""Fixtures: a migrated Postgres database, Redis, and one Apache Kafka broker per test session
(its topics deleted and created anew for each test module, so no module reads another's records)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from devtools.kafka import KafkaServer
from devtools.signing import PUBLIC_PEM
from tests.support.kafka import reset_topics
from tests.support.services import ServiceUrls, drop_database, service_urls
from workers.db.migrate import migrate
from workers.db.tenant import TenantDatabase
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


@pytest.fixture(scope="session")
async def kafka_server(tmp_path_factory: pytest.TempPathFactory,
                       ) -> AsyncIterator[KafkaServer | None]:
    """The session's broker (one JVM start for the whole run, ~4 s); None when
    `LEADMEM_TEST_KAFKA_BOOTSTRAP` names one the tests do not own."""
    if os.environ.get("LEADMEM_TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    server = KafkaServer(tmp_path_factory.mktemp("kafka"))
    server.start()
    try:
        await server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def kafka(kafka_server: KafkaServer | None) -> AsyncIterator[str]:
    """The broker's address, with every topic deleted and created empty for this module."""
    bootstrap = (kafka_server.bootstrap if kafka_server is not None
                 else os.environ["LEADMEM_TEST_KAFKA_BOOTSTRAP"])
    await reset_topics(bootstrap, partitions=3)
    yield bootstrap


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
            # the tests play GHL: they sign deliveries with devtools.signing's key
            "ghl_ed25519_public_key": PUBLIC_PEM,
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
