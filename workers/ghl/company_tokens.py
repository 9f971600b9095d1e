"""Access tokens of locations that an agency installed the app for: minted with the agency's
(Company) access token at `POST /oauth/locationToken`, for that location only.

Such a location has no refresh token of its own (its row in `ghl_company_locations` names its
agency and keeps the last token minted for it). `OAuthTokenProvider` asks `token` when a
location has no tokens of its own: the stored minted token while it is fresh and not the one
GHL last refused, else a new one minted with the agency's access token, which comes from a
second `OAuthTokenProvider` keyed by company id (`user_type="Company"`, its tokens in
`ghl_company_tokens`: the same rotation, compare-and-set and per-key serialisation as a
location's). A mint refused with 401 means the agency's access token was: it is refreshed
once and the mint tried again. A minted token for any other location is refused
(`oauth.bound_to_location`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

from workers.errors import RetryableError
from workers.ghl.oauth import (
    ForeignGrantError,
    Grant,
    MalformedGrantError,
    OAuthClient,
    OAuthRefusedError,
)
from workers.ghl.ratelimit import Clock
from workers.ghl.token_store import CompanyLink, CompanyLinks
from workers.secrets import SecretDecryptionError

log = logging.getLogger(__name__)

EXPIRY_MARGIN_S = 60.0  # mint a little before GHL's ~24 h expiry, as a refresh is


class TokenError(RetryableError):
    """No token could be minted for the location now (the provider reports it as
    `TokenUnavailableError`)."""


@dataclass(frozen=True)
class Minted:
    token: str
    until: float  # by the clock (epoch seconds); inf: until GHL refuses it


class AgencyTokens(Protocol):
    """What `CompanyLocationTokens` needs of the agencies' token provider (an
    `OAuthTokenProvider` keyed by company id)."""

    async def get(self, location: str) -> str: ...

    async def refresh(self, location: str) -> str: ...

    async def close(self) -> None: ...


class CompanyLocationTokens:
    def __init__(self, oauth: OAuthClient, links: CompanyLinks, agencies: AgencyTokens, *,
                 clock: Clock = time.time) -> None:
        self._oauth = oauth
        self._links = links
        self._agencies = agencies
        self._clock = clock

    async def token(self, location: str, rejected: str | None = None) -> Minted | None:
        """A location access token for `location` from its agency; None when no agency
        installed the app for it. `rejected`: the token GHL last refused (never returned).
        Callers serialise calls per location."""
        try:
            link = await self._links.link(location)
        except SecretDecryptionError as exc:
            raise TokenError(f"the stored GHL token of location {location} does not "
                             f"decrypt: {exc}") from exc
        if link is None:
            return None
        stored = self._stored(link, rejected)
        if stored is not None:
            return stored
        grant = await self._mint(location, link.company_id)
        minted = self._minted(grant)
        try:
            await self._links.save_token(location, link.company_id, grant.access_token,
                                         grant.expires_at(self._clock()))
        except RetryableError as exc:  # not single-use: losing it costs one more mint
            log.warning("outbound: could not keep the GHL token minted for location %s: %s",
                        location, exc)
        return minted

    def _stored(self, link: CompanyLink, rejected: str | None) -> Minted | None:
        if not link.access_token or link.access_token == rejected:
            return None
        if link.access_expires_at is None:
            return Minted(link.access_token, float("inf"))
        until = link.access_expires_at.timestamp() - EXPIRY_MARGIN_S
        return Minted(link.access_token, until) if until > self._clock() else None

    def _minted(self, grant: Grant) -> Minted:
        until = float("inf") if not grant.expires_in \
            else self._clock() + grant.expires_in - EXPIRY_MARGIN_S
        return Minted(grant.access_token, until)

    async def _mint(self, location: str, company: str) -> Grant:
        agency = await self._agencies.get(company)  # TokenUnavailableError: the agency's gone
        try:
            try:
                return await self._oauth.location_token(agency, company_id=company,
                                                        location_id=location)
            except OAuthRefusedError as exc:
                if exc.status != 401:
                    raise
            agency = await self._agencies.refresh(company)  # the agency's token was refused
            return await self._oauth.location_token(agency, company_id=company,
                                                    location_id=location)
        except OAuthRefusedError as exc:
            raise TokenError(
                f"GHL refused to mint a token for location {location} with the token of "
                f"agency {company}: {exc} (was the app uninstalled from the location? "
                "install it again: `leadmem app install-url`)") from exc
        except (ForeignGrantError, MalformedGrantError) as exc:
            raise TokenError(f"GHL's token minted for location {location}: {exc}") from exc

    async def close(self) -> None:
        await self._agencies.close()
