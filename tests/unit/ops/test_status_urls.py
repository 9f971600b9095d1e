"""Where `leadmem status` looks for each worker."""

from __future__ import annotations

from workers.metrics.status import worker_urls
from workers.settings import Settings


def test_default_host_ports_and_overrides() -> None:
    urls = worker_urls(Settings(http_host="0.0.0.0"), None, {"memory": "http://m:1"})
    assert urls["ingestion"] == "http://127.0.0.1:9101" and urls["memory"] == "http://m:1"
    assert urls["metrics"] == "http://127.0.0.1:9106"


def test_compose_service_names() -> None:
    urls = worker_urls(Settings(), "{worker}", {})
    assert urls["learning"] == "http://learning:9103"
