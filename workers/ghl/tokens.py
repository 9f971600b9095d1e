"""Location access tokens for the GHL API: a static map, or OAuth refresh tokens.

`get` returns the token to use now; `refresh` is called once after a 401 and returns a new
one. A location with no usable token raises `TokenUnavailableError`, a retryable error: the
reply is not at fault, and once the deployment is fixed a retry or a DLQ replay sends it.

A token is only ever used for its own location: there is no default token for locations
without one, a refresh whose answer names another location is refused, and a location an
agency installed the app for gets tokens minted for it alone (`company_tokens`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from workers.errors import RetryableError
from workers.ghl.company_tokens import CompanyLocationTokens, TokenError
from workers.ghl.metrics import TOKEN_REFRESHES
from workers.ghl.oauth import (
    ForeignGrantError,
    Grant,
    MalformedGrantError,
    OAuthClient,
    OAuthRefusedError,
    UserType,
    bound,
)
from workers.ghl.ratelimit import Clock, Sleep
from workers.ghl.token_store import StoredTokens, TokenStore
from workers.runtime.bounded import TENANT_STATE_MAX, LRUMap
from workers.secrets import SecretDecryptionError

log = logging.getLogger(__name__)

EXPIRY_MARGIN_S = 60.0  # refresh a little before GHL's ~24 h expiry, not after a 401
# Retries of the write that stores a rotated refresh token (seconds before each): once GHL
# has answered, the previous refresh token is spent, so a write lost to a blip loses the
# location's access for good unless it is retried.
PERSIST_RETRIES = (0.05, 0.25, 1.0)
# How long a refresh that GHL refused waits for another replica, which may have spent the
# same refresh token a moment earlier, to store the rotated one (seconds between reads).
NEWER_TOKEN_WAITS = (0.1, 0.25, 0.5, 1.0, 2.0)


class TokenUnavailableError(RetryableError):
    """No valid access token for a location (missing, rejected, or refresh refused)."""


class TokenProvider(Protocol):
    async def get(self, location: str) -> str: ...

    async def refresh(self, location: str) -> str: ...


class StaticTokenProvider:
    """Tokens from settings, per location (`LEADMEM_GHL_TOKENS`); a location without one of
    its own gets none (there is no default token)."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = dict(tokens)

    async def get(self, location: str) -> str:
        token = self._tokens.get(location)
        if not token:
            raise TokenUnavailableError(f"no GHL access token configured for location {location}")
        return token

    async def refresh(self, location: str) -> str:
        raise TokenUnavailableError(
            f"GHL rejected the configured token of location {location} (401) and a static "
            "token cannot be refreshed: configure a new one"
        )


@dataclass(frozen=True)
class _Access:
    token: str
    until: float  # by the provider's clock (epoch seconds); inf: until GHL refuses it


class _Refused(Exception):
    """GHL refused the refresh token; `maybe_spent`: it may have been spent by another
    replica a moment ago (anything but a refused client)."""

    def __init__(self, message: str, maybe_spent: bool) -> None:
        super().__init__(message)
        self.maybe_spent = maybe_spent


def _reseed_hint(location: str, user_type: UserType = "Location") -> str:
    if user_type == "Company":
        return (f"install the app for agency {location} again (`leadmem app install-url` "
                "prints the link)")
    return (f"install the app for the location again (`leadmem app install-url` prints the "
            f"link), or store a refresh token with "
            f"`leadmem tenant config {location} --ghl-refresh-token-stdin`")


class LocationLocks:
    """One lock per location, kept only while it is held or awaited: a lock dropped while
    someone waits on it would let a second refresh spend the same single-use token."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, location: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(location, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[location] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            _, users = self._locks[location]
            if users == 1:
                del self._locks[location]
            else:
                self._locks[location] = (lock, users - 1)


class OAuthTokenProvider:
    """Access tokens bought with OAuth refresh tokens (`POST {base}/oauth/token`).

    Lifecycle of a location's tokens (the store is `ghl_oauth_tokens` in production):

    * **read**: a cached access token while it is fresh; else the store's, when another
      replica or an earlier run stored one that is still fresh; else a refresh with the
      stored refresh token. A location with nothing stored is seeded once from
      `seed_refresh_tokens` (LEADMEM_GHL_REFRESH_TOKENS); after that the setting is ignored.
    * **refresh**: GHL refresh tokens are single-use, and each refresh answers with the next
      one. The rotated token is written to the store (compare-and-set on the version read)
      *before* the new access token is used, retried through short database blips; a write
      that still fails keeps the token in memory, is retried at the next use and at
      shutdown, and is counted (`unsaved`).
    * **concurrency**: in one process a per-location lock serialises refreshes. Between
      replicas: of two refreshes spending one token GHL accepts one; the other is refused,
      waits for the winner's write (`NEWER_TOKEN_WAITS`) and uses the stored token. A
      compare-and-set that finds the version moved on never overwrites the stored token.

    The window that cannot be closed: GHL has spent the old refresh token once it answers,
    and the new one is durable only once the store's write commits. A crash (or a cut
    connection that loses GHL's answer) in between loses the location's OAuth grant; the
    operator then re-authorizes (see `_reseed_hint`). The POST and the write run shielded
    from cancellation, with nothing but encryption between them.

    * **binding**: every refresh answer must name the location (or, with
      `user_type="Company"`, the agency: the same lifecycle keyed by company id, store
      `ghl_company_tokens`) it was asked for; any other is refused and nothing is stored.
    * **agency installs**: a location with no tokens of its own gets one minted by `company`
      (with its agency's token), minted again when it expires or GHL refuses it.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        seed_refresh_tokens: Mapping[str, str] | None = None,
        access_tokens: Mapping[str, str] | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        user_type: UserType = "Location",
        company: CompanyLocationTokens | None = None,
    ) -> None:
        self._oauth = OAuthClient(http, base_url=base_url, client_id=client_id,
                                  client_secret=client_secret)
        self._user_type = user_type
        self._kind = "agency" if user_type == "Company" else "location"  # for messages
        self._company = company
        self._store = store
        self._seeds = dict(seed_refresh_tokens or {})
        self._clock = clock
        self._sleep = sleep
        # Per-location state is bounded, so thousands of locations cannot grow the process:
        # an evicted access token is read back from the store, an evicted refusal costs
        # one more 401 at most. The configured access tokens (bounded by the settings) are
        # kept apart until GHL refuses one; unsaved rotations are never dropped (they are
        # the only copy), and a location's lock exists only while it is held or awaited.
        self._access: LRUMap[str, _Access] = LRUMap(TENANT_STATE_MAX)
        self._configured: dict[str, _Access] = {
            loc: _Access(tok, float("inf")) for loc, tok in (access_tokens or {}).items()
        }
        self._locks = LocationLocks()
        # The access token GHL last refused, per location.
        self._rejected: LRUMap[str, str] = LRUMap(TENANT_STATE_MAX)
        # Rotated tokens the store did not take yet, as they should be stored (the version
        # is the one the write expects to replace).
        self._unsaved: dict[str, StoredTokens] = {}

    def _fresh(self, access: _Access | None) -> bool:
        return access is not None and access.until > self._clock()

    def _cached(self, location: str) -> _Access | None:
        return self._access.get(location) or self._configured.get(location)

    async def get(self, location: str) -> str:
        cached = self._cached(location)
        if cached is not None and self._fresh(cached):
            return cached.token
        async with self._locks.hold(location):
            cached = self._cached(location)
            if cached is not None and self._fresh(cached):
                return cached.token
            return await self._obtain(location)

    async def refresh(self, location: str) -> str:
        """A new access token after GHL refused the current one."""
        seen = self._cached(location)
        async with self._locks.hold(location):
            current = self._cached(location)
            if current is not None and current is not seen and self._fresh(current):
                return current.token  # refreshed by another send while this one waited
            if seen is not None:
                self._rejected[location] = seen.token
            self._access.pop(location, None)
            self._configured.pop(location, None)
            return await self._obtain(location)

    async def _obtain(self, location: str) -> str:
        try:
            stored = await self._load(location)
            if stored is None:
                return await self._minted(location)
            if self._usable(location, stored):
                TOKEN_REFRESHES.labels("reused").inc()
                return self._use(location, stored)
            token = await self._refresh(location, stored)
        except RetryableError:
            TOKEN_REFRESHES.labels("failed").inc()
            raise
        return token

    async def _minted(self, location: str) -> str:
        """A location with no tokens of its own: a token minted with the token of the agency
        that installed the app for it, if one did (never another location's token)."""
        if self._company is not None:
            try:
                minted = await self._company.token(location, self._rejected.get(location))
            except TokenError as exc:
                raise TokenUnavailableError(str(exc)) from exc
            if minted is not None:
                TOKEN_REFRESHES.labels("minted").inc()
                self._access[location] = _Access(minted.token, minted.until)
                return minted.token
        hint = _reseed_hint(location, self._user_type)
        if self._user_type == "Company":
            raise TokenUnavailableError(f"no GHL tokens stored for agency {location}: {hint}")
        raise TokenUnavailableError(
            f"no GHL refresh token stored for location {location}, and no agency installed "
            f"the app for it: {hint}")

    def _usable(self, location: str, stored: StoredTokens) -> bool:
        """Whether the stored access token is fresh and not the one GHL last refused."""
        if not stored.access_token or stored.access_token == self._rejected.get(location):
            return False
        return stored.access_expires_at is None or \
            stored.access_expires_at.timestamp() - EXPIRY_MARGIN_S > self._clock()

    def _use(self, location: str, stored: StoredTokens) -> str:
        assert stored.access_token
        until = float("inf") if stored.access_expires_at is None \
            else stored.access_expires_at.timestamp() - EXPIRY_MARGIN_S
        self._access[location] = _Access(stored.access_token, until)
        return stored.access_token

    async def _load(self, location: str) -> StoredTokens | None:
        """The location's tokens as they should be now: an unsaved rotation first (stored
        now if the database allows), else the store's row, seeded from settings if none;
        None when it has none."""
        pending = self._unsaved.get(location)
        if pending is not None:
            try:
                saved = await self._store.rotate(
                    location, pending.version, pending.refresh_token,
                    pending.access_token or "", pending.access_expires_at)
            except RetryableError:
                return pending  # still unsaved: spend the token only this process knows
            del self._unsaved[location]
            if saved is not None:
                log.warning("outbound: stored the rotated GHL refresh token of location %s "
                            "that could not be stored earlier", location)
                return saved
            log.error("outbound: the store's GHL token of location %s changed while this "
                      "process held an unsaved rotated one; using the stored one", location)
        try:
            stored = await self._store.load(location)
            if stored is None and self._seeds.get(location):
                stored = await self._store.seed(location, self._seeds[location])
        except SecretDecryptionError as exc:
            raise TokenUnavailableError(
                f"the stored GHL tokens of {self._kind} {location} do not "
                f"decrypt: {exc}") from exc
        return stored

    async def _refresh(self, location: str, stored: StoredTokens) -> str:
        for _ in range(3):  # a newer token stored meanwhile is tried too, boundedly
            try:
                return await _shielded(self._spend(location, stored))
            except _Refused as refused:
                newer = await self._newer(location, stored.version) \
                    if refused.maybe_spent else None
                if newer is None:
                    hint = f"; {_reseed_hint(location, self._user_type)}" \
                        if refused.maybe_spent else ""
                    raise TokenUnavailableError(f"{refused}{hint}") from None
                if self._usable(location, newer):  # another replica refreshed: use its token
                    TOKEN_REFRESHES.labels("reused").inc()
                    return self._use(location, newer)
                stored = newer  # an operator stored a new refresh token meanwhile
        raise TokenUnavailableError(f"GHL token of location {location} keeps changing "
                                    "while it is refreshed; try again")

    async def _newer(self, location: str, version: int) -> StoredTokens | None:
        """The store's tokens once another writer replaced version `version`; None if none
        did within `NEWER_TOKEN_WAITS`."""
        for delay in NEWER_TOKEN_WAITS:
            await self._sleep(delay)
            try:
                stored = await self._store.load(location)
            except (RetryableError, SecretDecryptionError):
                continue
            if stored is not None and stored.version != version:
                return stored
        return None

    async def _spend(self, location: str, stored: StoredTokens) -> str:
        """Spend `stored`'s refresh token and store the rotated one before the new access
        token is used: nothing but parsing and encryption between GHL's answer and the
        write."""
        grant = await self._grant(location, stored.refresh_token)
        rotated = StoredTokens(
            refresh_token=grant.refresh_token or stored.refresh_token,
            version=stored.version,
            access_token=grant.access_token,
            access_expires_at=grant.expires_at(self._clock()),
        )
        return await self._persist(location, rotated)

    async def _persist(self, location: str, rotated: StoredTokens) -> str:
        assert rotated.access_token
        for delay in (*PERSIST_RETRIES, None):
            try:
                saved = await self._store.rotate(
                    location, rotated.version, rotated.refresh_token, rotated.access_token,
                    rotated.access_expires_at)
            except RetryableError as exc:
                if delay is not None:
                    await self._sleep(delay)
                    continue
                self._unsaved[location] = rotated
                TOKEN_REFRESHES.labels("unsaved").inc()
                log.error(
                    "outbound: could not store the rotated GHL refresh token of location %s "
                    "(%s); it is kept in memory and stored at the next use or at shutdown: "
                    "until then a crash loses it", location, exc)
                return self._use(location, rotated)
            break
        self._unsaved.pop(location, None)
        if saved is None:
            # Another writer moved the version on after this refresh read it: its token is
            # the newer one (or an operator's). Keep it; use whichever access token works.
            TOKEN_REFRESHES.labels("conflict").inc()
            log.warning("outbound: GHL tokens of location %s were replaced while this "
                        "process refreshed them; keeping the stored ones", location)
            try:
                other = await self._store.load(location)
            except (RetryableError, SecretDecryptionError):
                other = None
            if other is not None and self._usable(location, other):
                return self._use(location, other)
            return self._use(location, rotated)
        TOKEN_REFRESHES.labels("ok").inc()
        return self._use(location, saved)

    async def _grant(self, location: str, refresh_token: str) -> Grant:
        """GHL's answer to spending `refresh_token`, bound to `location` (its location or
        agency): an answer for any other is refused, and its tokens are never stored."""
        what = f"{self._kind} {location}"
        try:
            grant = await self._oauth.refresh(refresh_token, user_type=self._user_type)
        except OAuthRefusedError as exc:
            raise _Refused(f"GHL refused to refresh the token of {what}: {exc}",
                           maybe_spent=not exc.client_refused) from None
        except MalformedGrantError as exc:
            raise _Refused(f"GHL's answer to refreshing the token of {what}: {exc}",
                           maybe_spent=False) from None
        try:
            return bound(grant, self._user_type, location)
        except ForeignGrantError as exc:
            log.error("outbound: %s; the refresh token of %s is spent: %s", exc, what,
                      _reseed_hint(location, self._user_type))
            raise _Refused(str(exc), maybe_spent=False) from None

    async def close(self) -> None:
        """Store what could not be stored before (called at shutdown); what still cannot
        be is lost with the process, and said so. The agencies' provider too."""
        if self._company is not None:
            await self._company.close()
        for location in list(self._unsaved):
            pending = self._unsaved[location]
            try:
                await self._store.rotate(
                    location, pending.version, pending.refresh_token,
                    pending.access_token or "", pending.access_expires_at)
            except RetryableError as exc:
                log.critical(
                    "outbound: the rotated GHL refresh token of location %s is lost at exit "
                    "(the store is unavailable: %s): %s", location, exc, _reseed_hint(location))
                continue
            del self._unsaved[location]


async def _shielded(work: Awaitable[str]) -> str:
    """`work` runs to its end even if the caller is cancelled (a shutdown mid-refresh): a
    refresh GHL has answered must reach the store."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)
    return await asyncio.shield(task)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # an abandoned task's error is not reported as never retrieved

