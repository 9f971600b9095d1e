"""Reading the connector's configuration from Settings, before and after its fields exist."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from workers.errors import ConfigurationError
from workers.outbound.access import token_store
from workers.outbound.config import OutboundConfig
from workers.runtime.host import Resources
from workers.runtime.publisher import EventPublisher
from workers.settings import Settings


def test_defaults() -> None:
    cfg = OutboundConfig.from_settings(Settings())
    assert cfg.rate_limit == 100 and cfg.rate_interval_s == 10.0
    assert cfg.tokens == {} and not cfg.uses_oauth


def test_tokens_from_the_environment_as_json_and_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADMEM_GHL_TOKENS", '{"loc-a": "tok-a"}')
    monkeypatch.setenv("LEADMEM_GHL_REFRESH_TOKENS", '{"loc-a": "rt-a"}')
    monkeypatch.setenv("LEADMEM_GHL_BASE_URL", "http://ghl.test")
    settings = Settings(ghl_oauth_client_id="cid", ghl_oauth_client_secret=SecretStr("sec"),
                        outbound_rate_limit=5, outbound_rate_interval_s=1)
    cfg = OutboundConfig.from_settings(settings)
    assert cfg.tokens == {"loc-a": "tok-a"}
    assert cfg.refresh_tokens == {"loc-a": "rt-a"} and cfg.uses_oauth
    assert (cfg.rate_limit, cfg.rate_interval_s, cfg.base_url) == (5, 1.0, "http://ghl.test")
    assert "tok-a" not in repr(settings)  # secrets never show in logs


def test_a_default_token_for_every_location_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEADMEM_GHL_TOKEN was used for any location without a token of its own: the start
    says it is no longer used and what to set instead, rather than ignoring it."""
    monkeypatch.setenv("LEADMEM_GHL_TOKEN", "tok-default")
    with pytest.raises(ConfigurationError, match=r"LEADMEM_GHL_TOKEN is set.*LEADMEM_GHL_TOKENS"):
        OutboundConfig.from_settings(Settings())
    monkeypatch.setenv("LEADMEM_GHL_TOKEN", "")  # set but empty: nothing to refuse
    assert OutboundConfig.from_settings(Settings()).tokens == {}


@pytest.mark.parametrize("bad", ["{not json", '["a"]'])
def test_bad_token_maps_fail_at_startup(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_GHL_TOKENS", bad)
    with pytest.raises(ValueError, match="ghl_tokens"):
        Settings()


def test_oauth_is_the_client_credentials_refresh_tokens_only_seed() -> None:
    """Refresh tokens may all be in the store (stored by an operator), none in settings."""
    assert OutboundConfig(oauth_client_id="cid", oauth_client_secret="sec").uses_oauth
    assert not OutboundConfig(oauth_client_id="cid").uses_oauth


@pytest.mark.parametrize("master_key", [None, "not-a-fernet-key"])
def test_oauth_without_a_usable_master_key_refuses_to_start(master_key: str | None) -> None:
    resources = Resources("outbound", Settings(master_key=master_key),
                          EventPublisher.__new__(EventPublisher))
    cfg = OutboundConfig(oauth_client_id="cid", oauth_client_secret="sec")
    with pytest.raises(ConfigurationError, match="LEADMEM_MASTER_KEY"):
        token_store(resources, cfg)
    assert token_store(resources, OutboundConfig()) is None  # static tokens need no store
