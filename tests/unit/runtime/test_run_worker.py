"""`run_worker`: a broker that goes away while a worker starts is waited out, with a pause
between starts, until `broker_wait_s`; then the error is the worker's exit."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from workers.runtime import host as host_module
from workers.runtime.host import WorkerSpec, run_worker
from workers.settings import Settings

SPEC = WorkerSpec("probe", ("ghl.events",), lambda _: None, needs_db=False, needs_redis=False)


def settings(broker_wait_s: float) -> Settings:
    return Settings(kafka_bootstrap="127.0.0.1:1", broker_wait_s=broker_wait_s, http_port=0)


class FailingApp:
    def __init__(self, failures: list[int]) -> None:
        self.failures = failures

    async def run(self) -> None:
        if self.failures[0] > 0:
            self.failures[0] -= 1
            raise KafkaConnectionError("connection refused")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"waits": [], "sleeps": []}

    async def wait_for_broker(kafka: Any, timeout_s: float) -> None:
        seen["waits"].append(timeout_s)

    async def pause() -> None:
        seen["sleeps"].append(host_module.RESTART_PAUSE_S)

    monkeypatch.setattr(host_module, "wait_for_broker", wait_for_broker)
    monkeypatch.setattr(host_module, "_pause", pause)
    return seen


async def test_starts_again_after_a_pause_each_time_the_broker_went_away(
        calls: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    failures = [3]
    monkeypatch.setattr(host_module, "_app", lambda _host: FailingApp(failures))
    await run_worker(SPEC, settings(broker_wait_s=60))
    assert failures == [0]
    assert len(calls["waits"]) == 3
    assert calls["sleeps"] == [host_module.RESTART_PAUSE_S] * 3


async def test_past_the_deadline_the_error_is_the_exit(
        calls: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "_app", lambda _host: FailingApp([10**6]))
    with pytest.raises(KafkaConnectionError):
        await run_worker(SPEC, settings(broker_wait_s=0))
    assert calls["sleeps"] == []
