"""The outbound connector's configuration, read from `Settings`.

A plain frozen dataclass, so tests can build one directly and hand it to `build`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from workers.errors import ConfigurationError
from workers.settings import Settings


def _plain(value: Any) -> str | None:
    """A secret or plain string as plain text (None stays None)."""
    if value is None:
        return None
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return text or None


def _mapping(value: Any, name: str) -> dict[str, str]:
    """`{"locationId": "secret"}` given as a dict or as JSON text."""
    if value is None or value == "":
        return {}
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ConfigurationError(f"{name} is not JSON: {exc}") from exc
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{name} must map locationId to a token")
    return {str(k): v for k, v in ((k, _plain(v)) for k, v in value.items()) if v}


NO_DEFAULT_TOKEN = (
    "LEADMEM_GHL_TOKEN is set, but a default GHL token is no longer used: a token is only "
    "ever used for its own location, and one token for every location would send one "
    "agency's replies with another's token. Name its location instead, "
    "LEADMEM_GHL_TOKENS='{\"<locationId>\": \"<token>\"}', or install the app "
    "(`leadmem app install-url`), then unset LEADMEM_GHL_TOKEN and restart")


@dataclass(frozen=True)
class OutboundConfig:
    base_url: str = "https://services.leadconnectorhq.com"
    tokens: Mapping[str, str] = field(default_factory=dict)
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    refresh_tokens: Mapping[str, str] = field(default_factory=dict)
    rate_limit: int = 100
    rate_interval_s: float = 10.0
    daily_limit: int = 200_000
    rate_limit_fallback_replicas: int = 4
    max_attempts: int = 5
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0
    max_wait_s: float = 30.0
    timeout_s: float = 15.0
    scheduler_interval_s: float = 5.0
    scheduler_batch: int = 200
    reply_max_age_s: float = 3600.0
    crm_note_interval_s: float = 600.0

    @property
    def uses_oauth(self) -> bool:
        """OAuth client credentials are configured: access tokens are bought with the
        locations' refresh tokens, stored encrypted in Postgres (`refresh_tokens` only seeds
        a location that has none stored; `leadmem tenant config --ghl-refresh-token-stdin`
        stores or replaces one)."""
        return bool(self.oauth_client_id and self.oauth_client_secret)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundConfig:
        s = settings
        if _plain(s.ghl_token):
            raise ConfigurationError(NO_DEFAULT_TOKEN)
        return cls(
            base_url=s.ghl_base_url,
            tokens=_mapping(s.ghl_tokens, "LEADMEM_GHL_TOKENS"),
            oauth_client_id=_plain(s.ghl_oauth_client_id),
            oauth_client_secret=_plain(s.ghl_oauth_client_secret),
            refresh_tokens=_mapping(s.ghl_refresh_tokens, "LEADMEM_GHL_REFRESH_TOKENS"),
            rate_limit=int(s.outbound_rate_limit),
            rate_interval_s=float(s.outbound_rate_interval_s),
            daily_limit=int(s.outbound_daily_limit),
            rate_limit_fallback_replicas=int(s.outbound_rate_limit_fallback_replicas),
            max_attempts=int(s.outbound_max_attempts),
            backoff_s=float(s.outbound_backoff_s),
            backoff_max_s=float(s.outbound_backoff_max_s),
            max_wait_s=float(s.outbound_max_wait_s),
            timeout_s=float(s.outbound_timeout_s),
            scheduler_interval_s=float(s.outbound_scheduler_interval_s),
            scheduler_batch=int(s.outbound_scheduler_batch),
            reply_max_age_s=float(s.reply_max_age_s),
            crm_note_interval_s=float(s.crm_note_interval_s),
        )
