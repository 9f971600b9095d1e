"""An in-memory `TokenStore` with the Postgres store's compare-and-set semantics, plus
scripted failures and a hook that plays another writer, for the token provider's tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from workers.errors import RetryableError
from workers.ghl.token_store import StoredTokens


@dataclass
class FakeTokenStore:
    rows: dict[str, StoredTokens] = field(default_factory=dict)
    fail_rotates: int = 0  # the next N rotate calls fail as if Postgres were away
    fail_loads: int = 0
    before_rotate: Callable[[str], None] | None = None  # runs once, before the next rotate
    writes: list[tuple[str, str, float]] = field(default_factory=list)  # (location, by, at)

    def put(self, location: str, refresh_token: str, access_token: str | None = None,
            access_expires_at: datetime | None = None) -> StoredTokens:
        """What an operator's `tenant config --ghl-refresh-token-stdin` does."""
        old = self.rows.get(location)
        row = StoredTokens(refresh_token, old.version + 1 if old else 1, access_token,
                           access_expires_at)
        self.rows[location] = row
        self.writes.append((location, "operator", time.time()))
        return row

    async def load(self, location: str) -> StoredTokens | None:
        if self.fail_loads:
            self.fail_loads -= 1
            raise RetryableError("postgres unavailable: fake")
        return self.rows.get(location)

    async def seed(self, location: str, refresh_token: str) -> StoredTokens:
        if location not in self.rows:
            self.rows[location] = StoredTokens(refresh_token, 1)
            self.writes.append((location, "settings", time.time()))
        return self.rows[location]

    async def rotate(
        self, location: str, expected_version: int, refresh_token: str,
        access_token: str, access_expires_at: datetime | None,
    ) -> StoredTokens | None:
        if self.before_rotate is not None:
            hook, self.before_rotate = self.before_rotate, None
            hook(location)
        if self.fail_rotates:
            self.fail_rotates -= 1
            raise RetryableError("postgres unavailable: fake")
        current = self.rows.get(location)
        if current is None or current.version != expected_version:
            return None
        row = StoredTokens(refresh_token, expected_version + 1, access_token, access_expires_at)
        self.rows[location] = row
        self.writes.append((location, "refresh", time.time()))
        return row
