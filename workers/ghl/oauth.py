"""GHL's OAuth 2.0 endpoints as this project calls them, and the pure reading of their answers.

- `authorize_url`: where an installing admin is sent (GHL's "chooselocation" page), with
  exactly the scopes the project uses (`SCOPES`, each with the reason it is needed);
- `OAuthClient.exchange`: an install's authorization code for tokens, `refresh`: a refresh
  token (single-use) for new ones (`POST {base}/oauth/token`, form-encoded);
  `location_token`: a location access token minted with an agency (Company) access token
  (`POST {base}/oauth/locationToken`; no refresh token comes back: mint again when it
  expires);
- `parse_grant`: an answer as a typed `Grant`, or `MalformedGrantError`; `bound_to_location`
  and `bound_to_company` refuse a grant for anything but what was asked for
  (`ForeignGrantError`): a token is only ever used for its own location.

Errors: `OAuthUnavailableError` (no answer, 429 or 5xx: GHL decided nothing; retryable),
`OAuthRefusedError` (a 4xx: the code, refresh token or client was refused), and the two
above for an answer that cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import urlencode, urlsplit

import httpx

from schemas.ids import SAFE_ID_RULE, is_safe_id
from workers.errors import PipelineError, RetryableError

UserType = Literal["Location", "Company"]
USER_TYPES: Final[tuple[UserType, ...]] = ("Location", "Company")
AUTHORIZE_URL: Final = "https://marketplace.gohighlevel.com/oauth/chooselocation"
OAUTH_API_VERSION: Final = "2021-07-28"  # /oauth/locationToken


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


# Exactly what the project calls or receives; each is checked against the code that needs it
# (docs/operations.md, "Installing the Marketplace app", lists them too).
SCOPES: Final[tuple[Scope, ...]] = (
    Scope("conversations/message.readonly",
          "InboundMessage and OutboundMessage webhooks: the leads' messages and the agents' "
          "replies (ingestion, memory)"),
    Scope("conversations.readonly",
          "ConversationUnreadUpdate webhooks (memory)"),
    Scope("conversations/message.write",
          "sending the AI's replies: POST /conversations/messages (outbound)"),
    Scope("contacts.readonly",
          "Contact*, NoteCreate and TaskCreate webhooks: who the lead is, tags, DND (memory)"),
    Scope("contacts.write",
          "CRM write-back: hand-off tasks, the living note, score tags, custom fields and "
          "DND after an opt-out (POST/PUT /contacts/...)"),
    Scope("opportunities.readonly",
          "Opportunity* webhooks: the lead's pipeline stage (memory, learning)"),
    Scope("calendars/events.readonly",
          "AppointmentCreate/Update webhooks: booked viewings (memory, learning)"),
    Scope("oauth.write",
          "agency (Company) installs: a location access token for each approved location, "
          "POST /oauth/locationToken"),
)


def scope_string(scopes: tuple[Scope, ...] = SCOPES) -> str:
    return " ".join(s.name for s in scopes)


def authorize_url(client_id: str, redirect_uri: str, scopes: tuple[Scope, ...] = SCOPES,
                  base: str = AUTHORIZE_URL) -> str:
    """The URL that installs the app: GHL shows the admin the locations (or the agency) to
    choose and redirects to `redirect_uri?code=...`. ValueError for an unusable client id or
    redirect URI (it must be the absolute http(s) URL registered with the app)."""
    if not client_id or any(c.isspace() for c in client_id):
        raise ValueError("the OAuth client id is empty or contains whitespace")
    check_redirect_uri(redirect_uri)
    query = urlencode({"response_type": "code", "redirect_uri": redirect_uri,
                       "client_id": client_id, "scope": scope_string(scopes)})
    return f"{base}?{query}"


def check_redirect_uri(redirect_uri: str) -> str:
    """`redirect_uri` if it is an absolute http(s) URL without a fragment; else ValueError."""
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment \
            or any(c.isspace() for c in redirect_uri):
        raise ValueError(f"the OAuth redirect URI must be an absolute http(s) URL without a "
                         f"fragment, e.g. https://receiver.example.com/oauth/callback; got "
                         f"{redirect_uri!r}")
    return redirect_uri


# -- answers ---------------------------------------------------------------------------------

class MalformedGrantError(PipelineError):
    """GHL answered 200 with something that is not a usable grant."""


class ForeignGrantError(PipelineError):
    """A grant for another location or company than the one asked for: never used."""


class OAuthUnavailableError(RetryableError):
    """No answer, 429 or 5xx: GHL decided nothing (a code or refresh token may still work)."""


class OAuthRefusedError(PipelineError):
    """GHL refused the request (4xx): `error` is the OAuth error code when it gave one
    (`invalid_grant`: the code or refresh token is unknown, used, expired or for another
    redirect URI; `invalid_client`: this deployment's client id or secret)."""

    def __init__(self, status: int, error: str | None, description: str | None) -> None:
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{status} {self.reason}")

    @property
    def reason(self) -> str:
        return self.description or self.error or "refused"

    @property
    def client_refused(self) -> bool:
        """The deployment's client credentials were refused (nothing was spent)."""
        return self.error == "invalid_client"


@dataclass(frozen=True)
class Grant:
    """An answer of `/oauth/token` or `/oauth/locationToken`. `refresh_token` is None for a
    minted location token; `expires_in` None when GHL named no lifetime."""

    access_token: str
    user_type: UserType
    location_id: str | None
    company_id: str | None
    refresh_token: str | None = None
    expires_in: float | None = None
    scopes: tuple[str, ...] = ()
    approved_locations: tuple[str, ...] = ()
    user_id: str | None = None
    token_type: str = "Bearer"

    def expires_at(self, now: float) -> datetime | None:
        """When the access token expires, by a clock reading `now` (epoch seconds)."""
        if not self.expires_in:
            return None
        return datetime.fromtimestamp(now + self.expires_in, UTC)


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise MalformedGrantError(f"GHL's token answer has no {key}")
        return None
    if not isinstance(value, str):
        raise MalformedGrantError(f"GHL's token answer: {key} is not a string")
    return value


def _id(data: dict[str, Any], key: str) -> str | None:
    value = _text(data, key)
    if value is not None and not is_safe_id(value):
        raise MalformedGrantError(f"GHL's token answer: {key} {value[:40]!r} is not an id "
                                  f"({SAFE_ID_RULE})")
    return value


def parse_grant(data: object, *, default_user_type: UserType | None = None) -> Grant:
    """GHL's answer as a `Grant`. A location grant must name its location and an agency
    grant its company; ids follow the project's id rule (they become tenant ids).
    `default_user_type`: for `/oauth/locationToken`, whose answer has no `userType`."""
    if not isinstance(data, dict):
        raise MalformedGrantError("GHL's token answer is not a JSON object")
    access = _text(data, "access_token", required=True)
    assert access is not None
    token_type = _text(data, "token_type") or "Bearer"
    if token_type.lower() != "bearer":
        raise MalformedGrantError(f"GHL's token answer: token_type {token_type!r} is not Bearer")
    user_type = data.get("userType", default_user_type)
    if user_type not in USER_TYPES:
        raise MalformedGrantError(f"GHL's token answer: userType {user_type!r} is not one of "
                                  f"{', '.join(USER_TYPES)}")
    expires_in = data.get("expires_in")
    if expires_in is not None and (isinstance(expires_in, bool)
                                   or not isinstance(expires_in, int | float) or expires_in < 0):
        raise MalformedGrantError("GHL's token answer: expires_in is not a number of seconds")
    scope = _text(data, "scope") or ""
    approved = data.get("approvedLocations") or []
    if not isinstance(approved, list) or not all(isinstance(x, str) and is_safe_id(x)
                                                 for x in approved):
        raise MalformedGrantError("GHL's token answer: approvedLocations is not a list of ids")
    grant = Grant(
        access_token=access, user_type=user_type, location_id=_id(data, "locationId"),
        company_id=_id(data, "companyId"), refresh_token=_text(data, "refresh_token"),
        expires_in=float(expires_in) if expires_in is not None else None,
        scopes=tuple(scope.split()), approved_locations=tuple(dict.fromkeys(approved)),
        user_id=_text(data, "userId"), token_type=token_type)
    if grant.user_type == "Location" and grant.location_id is None:
        raise MalformedGrantError("GHL's location token answer names no locationId")
    if grant.user_type == "Company" and grant.company_id is None:
        raise MalformedGrantError("GHL's agency token answer names no companyId")
    return grant


def bound_to_location(grant: Grant, location: str) -> Grant:
    """`grant` if it is a location token of `location`; else `ForeignGrantError`."""
    if grant.user_type != "Location" or grant.location_id != location:
        raise ForeignGrantError(
            f"GHL answered with a token of {grant.user_type.lower()} "
            f"{grant.location_id or grant.company_id} for location {location}: refused (a "
            "token is only used for its own location)")
    return grant


def bound_to_company(grant: Grant, company: str) -> Grant:
    """`grant` if it is an agency token of `company`; else `ForeignGrantError`."""
    if grant.user_type != "Company" or grant.company_id != company:
        raise ForeignGrantError(
            f"GHL answered with a token of {grant.user_type.lower()} "
            f"{grant.company_id if grant.user_type == 'Company' else grant.location_id} for "
            f"company {company}: refused (a token is only used for its own company)")
    return grant


def bound(grant: Grant, user_type: UserType, key: str) -> Grant:
    """`grant` if it is the `user_type` token of `key` (a location or company id)."""
    return bound_to_location(grant, key) if user_type == "Location" \
        else bound_to_company(grant, key)


def refusal(status: int, data: object) -> OAuthRefusedError:
    """A 4xx answer as an error: OAuth's `{error, error_description}` or GHL's
    `{statusCode, message}`."""
    if not isinstance(data, dict):
        return OAuthRefusedError(status, None, None)
    error = data.get("error") if isinstance(data.get("error"), str) else None
    description = data.get("error_description") or data.get("message")
    if isinstance(description, list):
        description = "; ".join(str(d) for d in description)
    return OAuthRefusedError(status, error,
                             str(description)[:300] if description is not None else None)


# -- the client ------------------------------------------------------------------------------

class OAuthClient:
    """One request per call; no retries here (callers decide: a code is single-use)."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, client_id: str,
                 client_secret: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._client = {"client_id": client_id, "client_secret": client_secret}

    async def exchange(self, code: str, *, redirect_uri: str) -> Grant:
        """An install's authorization code for tokens. No `user_type`: it is optional in
        GHL's schema, and the code already names what the admin installed (one location,
        or an agency); the answer's `userType` says which."""
        form = {**self._client, "grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri}
        return parse_grant(await self._post("/oauth/token", form, "exchange the install code"))

    async def refresh(self, refresh_token: str, *, user_type: UserType) -> Grant:
        """New tokens for a (single-use) refresh token; the caller binds the answer to the
        location or company it asked for (`bound`)."""
        form = {**self._client, "grant_type": "refresh_token", "refresh_token": refresh_token,
                "user_type": user_type}
        return parse_grant(await self._post("/oauth/token", form, "refresh a token"))

    async def location_token(self, company_token: str, *, company_id: str,
                             location_id: str) -> Grant:
        """A location access token minted with the agency's access token, bound to
        `location_id` (a token for any other location is refused)."""
        data = await self._post(
            "/oauth/locationToken", {"companyId": company_id, "locationId": location_id},
            "mint a location token",
            headers={"Authorization": f"Bearer {company_token}",
                     "Version": OAUTH_API_VERSION})
        return bound_to_location(parse_grant(data, default_user_type="Location"), location_id)

    async def _post(self, path: str, form: dict[str, str], what: str,
                    headers: dict[str, str] | None = None) -> object:
        try:
            resp = await self._http.post(self._base + path, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise OAuthUnavailableError(f"GHL did not answer ({what}): {exc!r}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            retry = resp.headers.get("Retry-After")
            raise OAuthUnavailableError(
                f"GHL answered {resp.status_code} ({what})",
                retry_after=float(retry) if retry and retry.replace(".", "", 1).isdigit()
                else None)
        try:
            data: object = resp.json()
        except ValueError:
            data = None
        if not 200 <= resp.status_code < 300:
            raise refusal(resp.status_code, data)
        return data
