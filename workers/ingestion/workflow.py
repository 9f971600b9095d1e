"""Workflow webhooks: a location's GHL workflow "Webhook" action posts unsigned, so each tenant
gets a URL of its own, `POST /webhooks/workflow/{tenant}/{token}`, that only it can use.

Stateless (the receiver needs no database): the token is HMAC-SHA256 of the tenant id under one
deployment secret, `LEADMEM_WORKFLOW_WEBHOOK_KEY`; `leadmem tenant webhook-url ID` prints the
URL. The receiver accepts a body there only when its `locationId` is the path's tenant, and
writes the record with `WORKFLOW_HEADER`: a MAC under the same key over the tenant and the exact
body bytes, which ingestion checks again (`signatures.SignatureVerifier`), so an unsigned record
passes only with a binding to its own tenant and bytes. The URL token and the record MAC are
derived under distinct labels: the MAC (visible to whoever reads the topic or the dead letters)
does not give away the URL. Changing the key changes every tenant's URL.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Final

from workers.errors import ConfigurationError

WORKFLOW_HEADER: Final = "workflow-mac"  # the record header ingestion checks
WORKFLOW_ROUTE: Final = "/webhooks/workflow/{tenant}/{token}"  # the receiver's route
MIN_KEY_CHARS: Final = 32
_URL_LABEL: Final = b"leadmem workflow webhook url v1\x00"
_RECORD_LABEL: Final = b"leadmem workflow webhook record v1\x00"


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class WorkflowKey:
    """The deployment's workflow webhook secret (`from_setting` checks it)."""

    secret: bytes = field(repr=False)

    @classmethod
    def from_setting(cls, value: str | None) -> WorkflowKey | None:
        """None when unset (workflow webhooks are then refused); a key of fewer than
        `MIN_KEY_CHARS` characters is a configuration error."""
        if value is None or not value.strip():
            return None
        if len(value.strip()) < MIN_KEY_CHARS:
            raise ConfigurationError(
                f"LEADMEM_WORKFLOW_WEBHOOK_KEY has {len(value.strip())} characters: use at "
                f"least {MIN_KEY_CHARS} random ones (e.g. `openssl rand -base64 32`)")
        return cls(value.strip().encode())

    def _mac(self, *parts: bytes) -> str:
        return _b64(hmac.new(self.secret, b"".join(parts), hashlib.sha256).digest())

    def url_token(self, tenant: str) -> str:
        """The secret part of `tenant`'s workflow webhook URL."""
        return self._mac(_URL_LABEL, tenant.encode())

    def token_matches(self, tenant: str, token: str) -> bool:
        """`token` is `tenant`'s (compared in constant time)."""
        return hmac.compare_digest(token.encode(), self.url_token(tenant).encode())

    def record_mac(self, tenant: str, body: bytes) -> str:
        """The binding of `body`'s exact bytes to `tenant`, carried as `WORKFLOW_HEADER`."""
        return self._mac(_RECORD_LABEL, tenant.encode(), b"\x00", body)

    def record_matches(self, tenant: str, body: bytes, mac: str) -> bool:
        return hmac.compare_digest(mac.strip().encode(), self.record_mac(tenant, body).encode())


def webhook_path(key: WorkflowKey, tenant: str) -> str:
    return WORKFLOW_ROUTE.format(tenant=tenant, token=key.url_token(tenant))


def webhook_url(public_url: str, key: WorkflowKey, tenant: str) -> str:
    """`tenant`'s workflow webhook URL under the receiver's public base URL."""
    return public_url.rstrip("/") + webhook_path(key, tenant)
