"""Where the tests find Postgres, Redis and Kafka.

Local services by default (scripts/services.sh installs and starts Postgres and Redis on
this project's machines and in CI; the tests start one Apache Kafka broker per session).
Environment variables point the tests elsewhere; with `LEADMEM_TEST_CONTAINERS=1` and a
Docker engine, Postgres and Redis come from testcontainers instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceUrls:
    admin_database_url: str
    database_url: str
    redis_url: str
    app_password: str | None = None  # local trust auth needs none; containers do


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def service_urls(dbname: str) -> Iterator[ServiceUrls]:
    if os.environ.get("LEADMEM_TEST_CONTAINERS") == "1" and docker_available():
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.community.redis import RedisContainer

        with PostgresContainer("postgres:16", driver=None) as pg, RedisContainer("redis:7") as rd:
            host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
            admin = f"postgresql://{pg.username}:{pg.password}@{host}:{port}/{dbname}"
            yield ServiceUrls(
                admin,
                f"postgresql://leadmem_app:app@{host}:{port}/{dbname}",
                f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}/0",
                app_password="app",
            )
        return
    pg_host = os.environ.get("LEADMEM_TEST_PG_HOST", "127.0.0.1:5432")
    pg_admin = os.environ.get("LEADMEM_TEST_PG_ADMIN_USER", "postgres")
    yield ServiceUrls(
        f"postgresql://{pg_admin}@{pg_host}/{dbname}",
        f"postgresql://leadmem_app@{pg_host}/{dbname}",
        os.environ.get("LEADMEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    )


async def drop_database(admin_url: str, dbname: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, database="postgres")
    try:
        with suppress(asyncpg.InvalidCatalogNameError):
            await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    finally:
        await conn.close()
