"""Reading the connector's configuration from Settings, before and after its fields exist."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from workers.errors import ConfigurationError
from workers.outbound.config import OutboundConfig
from workers.settings import Settings


class WithOutbound:
    """Stands in for Settings once the outbound fields are added."""

    def __init__(self, **fields: Any) -> None:
        self.ghl_base_url = "http://ghl.test"
        self.__dict__.update(fields)


def test_defaults_without_outbound_settings() -> None:
    cfg = OutboundConfig.from_settings(Settings())
    assert cfg.rate_limit == 100 and cfg.rate_interval_s == 10.0
    assert cfg.tokens == {} and cfg.default_token is None and not cfg.uses_oauth


def test_tokens_as_json_or_mapping_and_secrets() -> None:
    fake: Any = WithOutbound(
        ghl_tokens='{"loc-a": "tok-a"}', ghl_token=SecretStr("tok-default"),
        ghl_oauth_client_id="cid", ghl_oauth_client_secret=SecretStr("sec"),
        ghl_refresh_tokens={"loc-a": SecretStr("rt-a")}, outbound_rate_limit=5,
        outbound_rate_interval_s=1,
    )
    cfg = OutboundConfig.from_settings(fake)
    assert cfg.tokens == {"loc-a": "tok-a"} and cfg.default_token == "tok-default"
    assert cfg.refresh_tokens == {"loc-a": "rt-a"} and cfg.uses_oauth
    assert (cfg.rate_limit, cfg.rate_interval_s, cfg.base_url) == (5, 1.0, "http://ghl.test")


@pytest.mark.parametrize("bad", ["{not json", '["a"]'])
def test_bad_token_maps_fail_at_startup(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="LEADMEM_GHL_TOKENS"):
        OutboundConfig.from_settings(WithOutbound(ghl_tokens=bad))  # type: ignore[arg-type]
