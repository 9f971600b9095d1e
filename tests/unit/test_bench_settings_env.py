"""A worker process started by the benchmarks and the fault suite (`devtools.bench.processes`)
builds exactly the settings it was given, from the environment alone."""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from devtools.bench.processes import settings_env
from workers.settings import Settings


def test_a_process_builds_the_same_settings_from_its_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    given = Settings(kafka_bootstrap="127.0.0.1:1,127.0.0.1:2", topic_replication=3,
                     console_trusted_proxies=["10.0.0.0/8", "192.0.2.7"],
                     ghl_tokens={"loc1": SecretStr("tok")}, anthropic_api_key=SecretStr("k"))
    for name in [n for n in os.environ if n.startswith("LEADMEM_")]:
        monkeypatch.delenv(name)
    for name, value in settings_env(given).items():
        monkeypatch.setenv(name, value)
    assert Settings() == given


def test_an_empty_list_is_an_empty_variable() -> None:
    assert settings_env(Settings(console_trusted_proxies=[]))[
        "LEADMEM_CONSOLE_TRUSTED_PROXIES"] == ""
