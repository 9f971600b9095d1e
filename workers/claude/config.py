"""Per-tenant Claude configuration: model, token limit, key, endpoint and time bounds.

A tenant's own key (`tenant_settings.claude_api_key_enc`, Fernet with the master key) wins
over the deployment's `anthropic_api_key`. A tenant key that does not decrypt is reported
(`key_error`) instead of silently billing the deployment's key. The key is never logged: it
is excluded from `repr` and only a fingerprint identifies the client built from it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from pydantic import SecretStr

from workers import secrets
from workers.errors import PipelineError
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaudeConfig:
    model: str
    max_tokens: int
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout_s: float = 20.0
    max_attempts: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0
    deadline_s: float = 45.0
    key_error: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.api_key)

    @property
    def fingerprint(self) -> str:
        """Identifies the client a config needs, without revealing the key."""
        digest = hashlib.sha256((self.api_key or "").encode()).hexdigest()[:16]
        return f"{self.base_url}|{self.timeout_s}|{digest}"


def _secret(value: Any) -> str | None:
    if isinstance(value, SecretStr):
        return value.get_secret_value() or None
    return str(value) if value else None


def resolve_config(
    settings: Settings,
    *,
    model: str | None = None,
    max_tokens: int | None = None,
    api_key_enc: bytes | None = None,
    tenant: str = "",
) -> ClaudeConfig:
    """The config for one tenant from its settings (None = the deployment's default)."""
    key, key_error = _secret(settings.anthropic_api_key), None
    if api_key_enc:
        master = _secret(settings.master_key)
        if master is None:
            key, key_error = None, "no master key to decrypt the tenant's API key"
        else:
            try:
                key = secrets.decrypt(bytes(api_key_enc), master)
            except (InvalidToken, ValueError, PipelineError) as exc:
                key, key_error = None, f"tenant API key does not decrypt ({type(exc).__name__})"
        if key_error:
            log.error("claude: tenant %s: %s", tenant, key_error)
    return ClaudeConfig(
        model=model or settings.claude_model,
        max_tokens=max_tokens or settings.claude_max_tokens,
        api_key=key,
        base_url=settings.anthropic_base_url,
        timeout_s=float(settings.claude_timeout_s),
        max_attempts=int(settings.claude_max_attempts),
        backoff_s=float(settings.claude_backoff_s),
        backoff_max_s=float(settings.claude_backoff_max_s),
        deadline_s=float(settings.claude_deadline_s),
        key_error=key_error,
    )
