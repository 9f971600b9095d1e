"""Sessions and CSRF tokens (pure).

A session is a random token (32 bytes) in an HttpOnly cookie; the database keeps only its
SHA-256 (`token_hash`), so reading the sessions table opens no session. A session ends a fixed
time after its login (`ttl`) or once unused for `idle` (`state`); its last use is written at
most once a minute (`needs_touch`).

The CSRF token of a session is an HMAC of a fixed label keyed with the session's token: one
per session, never stored, checked on every POST in constant time (`csrf_ok`). Before a
session exists (the login form), the same derivation is keyed with a random token in a
short-lived cookie of its own (double submit): a page on another site can neither read the
cookie nor compute the field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(minutes=1)
_CSRF_LABEL = b"leadmem-console-csrf-v1"

State = Literal["valid", "expired", "idle"]


def new_token() -> str:
    """A fresh random token (URL-safe text of 32 random bytes)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a session's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session (or login form) whose cookie holds `token`."""
    return hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_ok(token: str | None, submitted: str | None) -> bool:
    """True when `submitted` is the CSRF token of `token` (constant-time compare)."""
    if not token or not submitted:
        return False
    return hmac.compare_digest(csrf_token(token).encode(), submitted.encode())


@dataclass(frozen=True)
class Lifetime:
    ttl: timedelta  # from the login, however active
    idle: timedelta  # since the last use

    def expires_at(self, created_at: datetime) -> datetime:
        return created_at + self.ttl


def state(created_at: datetime, last_seen_at: datetime, now: datetime,
          lifetime: Lifetime) -> State:
    """Whether a session is still usable at `now`."""
    if now >= lifetime.expires_at(created_at):
        return "expired"
    if now - last_seen_at >= lifetime.idle:
        return "idle"
    return "valid"


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    """Record the session's use now (at most once a minute: a page view is no write)."""
    return now - last_seen_at >= TOUCH_EVERY
