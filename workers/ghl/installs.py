"""What an install of the Marketplace app keeps, once the receiver's OAuth callback has
exchanged GHL's code (`oauth.OAuthClient.exchange`) for a grant.

- A location install: the location's tokens, encrypted (`token_store.put_grant`), and its
  tenant, created installed with AI off (`workers.tenants.store.install`, the owner of
  tenants), in one transaction of that tenant.
- An agency (Company) install: the agency's tokens (`token_store.put_company_grant`, in the
  company's transaction), then for each location it approved, and only those: the tenant,
  the link to the agency (`token_store.link_location`) and a first location token minted
  with the agency's token (`OAuthClient.location_token`, bound to that location). A mint
  that fails now is not fatal: the outbound worker mints at the location's first send.

The code is spent once GHL answered, so every write is retried through short database blips
(`PERSIST_RETRIES`); tokens that still cannot be stored raise `NotStoredError` (the admin
installs again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from workers.db.tenant import TenantDatabase
from workers.errors import PipelineError, RetryableError
from workers.ghl.oauth import Grant, OAuthClient, UserType
from workers.ghl.ratelimit import Clock, Sleep
from workers.ghl.token_store import (
    link_location,
    put_company_grant,
    put_grant,
    put_location_token,
)
from workers.ghl.tokens import PERSIST_RETRIES
from workers.secrets import MasterKey
from workers.tenants import store as tenants

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotStoredError(RetryableError):
    """GHL granted the install, but its tokens could not be stored (the database is away):
    the code is spent, so the admin has to install again."""


@dataclass(frozen=True)
class Connected:
    """One location of an install: its tenant's status after it (`installed`, or `live` for
    one an operator had already made live), whether it has a token now, and why not."""

    location: str
    status: str | None
    has_token: bool
    problem: str | None = None


@dataclass(frozen=True)
class Installed:
    user_type: UserType
    company_id: str | None
    locations: tuple[Connected, ...]


async def _durably(write: Callable[[], Awaitable[T]], sleep: Sleep) -> T:
    for delay in PERSIST_RETRIES:
        try:
            return await write()
        except RetryableError:
            await sleep(delay)
    return await write()


async def record_install(
    db: TenantDatabase, master_key: MasterKey, oauth: OAuthClient, grant: Grant, *,
    clock: Clock = time.time, sleep: Sleep = asyncio.sleep,
) -> Installed:
    """Keep what `grant` (the answer to an install's code) grants; see the module."""
    expires = grant.expires_at(clock())
    if grant.refresh_token is None:
        raise PipelineError(f"GHL's answer to the install of {grant.user_type.lower()} "
                            f"{grant.location_id or grant.company_id} carries no refresh token")
    refresh = grant.refresh_token
    if grant.user_type == "Location":
        location = grant.location_id
        assert location is not None  # parse_grant: a location grant names its location

        async def store_location() -> str | None:
            async with db.transaction(location) as conn:
                status = await tenants.install(conn, location, grant.company_id, None)
                await put_grant(conn, location, refresh, grant.access_token, expires,
                                master_key)
            return status

        try:
            status = await _durably(store_location, sleep)
        except RetryableError as exc:
            raise NotStoredError(f"the tokens of location {location} were not stored: "
                                 f"{exc}") from exc
        log.info("install: location %s connected (agency %s), tenant %s", location,
                 grant.company_id, status)
        return Installed("Location", grant.company_id,
                         (Connected(location, status, has_token=True),))

    company = grant.company_id
    assert company is not None  # parse_grant: an agency grant names its company

    async def store_company() -> None:
        async with db.company_transaction(company) as conn:
            await put_company_grant(conn, company, refresh, grant.access_token, expires,
                                    master_key)

    try:
        await _durably(store_company, sleep)
    except RetryableError as exc:
        raise NotStoredError(f"the tokens of agency {company} were not stored: {exc}") from exc
    connected = [await _connect(db, master_key, oauth, grant, company, location, clock, sleep)
                 for location in grant.approved_locations]
    log.info("install: agency %s connected with %d approved location(s): %s", company,
             len(connected), ", ".join(c.location for c in connected) or "none")
    return Installed("Company", company, tuple(connected))


async def _connect(db: TenantDatabase, master_key: MasterKey, oauth: OAuthClient,
                   grant: Grant, company: str, location: str, clock: Clock,
                   sleep: Sleep) -> Connected:
    """One approved location of an agency install: its tenant and link, then its token."""
    async def link() -> str | None:
        async with db.transaction(location) as conn:
            status = await tenants.install(conn, location, company, None)
            await link_location(conn, location, company)
        return status

    try:
        status = await _durably(link, sleep)
    except RetryableError as exc:
        log.error("install: location %s of agency %s not connected: %s", location, company,
                  exc)
        return Connected(location, None, has_token=False, problem=f"not stored: {exc}")
    try:
        minted = await oauth.location_token(grant.access_token, company_id=company,
                                            location_id=location)
    except PipelineError as exc:  # refused, unavailable, or not this location's token
        log.warning("install: no token minted yet for location %s of agency %s (minted at "
                    "its first send): %s", location, company, exc)
        return Connected(location, status, has_token=False, problem=str(exc))

    async def keep() -> bool:
        async with db.transaction(location) as conn:
            return await put_location_token(conn, location, company, minted.access_token,
                                            minted.expires_at(clock()), master_key)

    try:
        await _durably(keep, sleep)
    except RetryableError as exc:  # not single-use: the first send mints another
        return Connected(location, status, has_token=False, problem=f"not stored: {exc}")
    return Connected(location, status, has_token=True)
