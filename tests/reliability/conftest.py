"""Fixtures of the fault suite: its own Redis server and the loopback fakes; the marker; the
report printed in the terminal summary (visible without `-s`)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest

from devtools.fakes.ghl_api import FakeGHLAPI
from devtools.fakes.messages_api import FakeMessagesAPI
from tests.reliability.stream import answering_model
from tests.support.redis_process import RedisProcess

REPORTS = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    # Registered here as well, so the suite runs under --strict-markers on its own.
    config.addinivalue_line(
        "markers", "reliability: the fault suite (workers killed, services cut, mid-stream)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for report in terminalreporter.config.stash.get(REPORTS, []):
        terminalreporter.write_sep("=", "fault suite")
        terminalreporter.write_line(report)


def publish_report(config: pytest.Config, text: str) -> None:
    config.stash.setdefault(REPORTS, []).append(text)


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisProcess]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server binary not installed")
    server = RedisProcess()
    server.start()
    await server.ready()
    yield server
    server.stop()


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeMessagesAPI, FakeGHLAPI]]:
    async with FakeMessagesAPI(responder=answering_model) as claude, FakeGHLAPI() as ghl:
        yield claude, ghl

