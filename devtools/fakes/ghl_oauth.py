"""GHL's OAuth endpoints for the fake GHL API (`FakeGHLAPI` mounts them): as strict as the
real ones are documented (`oauth/oauth.json` of `GoHighLevel/highlevel-api-docs`).

- `POST /oauth/token`, form-encoded (anything else: 400): `client_id` and `client_secret`
  (an unknown client or a wrong secret: 401 `invalid_client`), `grant_type` (missing or not
  one of GHL's: 422; `client_credentials`: 400 `unsupported_grant_type`),
  `authorization_code` with `code` and `redirect_uri`, or `refresh_token` with
  `refresh_token`; `user_type` (`Location` | `Company`) is optional, as in GHL's schema, and
  when given must be the kind of what the code or refresh token grants (400). A code is
  single-use, expires after `CODE_TTL_SECONDS`, belongs to the client it was issued to and
  is bound to the `redirect_uri` it was issued for (400 `invalid_grant` otherwise). Refresh
  tokens rotate: each answer carries the next one and the spent one is refused.
- `POST /oauth/locationToken`, form `companyId, locationId`, `Authorization: Bearer <agency
  (Company) access token>` with the `oauth.write` scope, `Version: 2021-07-28`: a location
  access token (no refresh token) for a location the agency approved, and only for one.
- `GET /oauth/installedLocations?companyId&appId` with the agency's token: its approved
  locations.

Location access tokens issued here are registered with the API (`FakeGHLAPI.add_token`), so
the messages and contacts endpoints accept each for its own location only; an agency's
access token is accepted by none of them.

Tests authorize an install the way an admin's click on GHL's "chooselocation" page would:
`authorize_location` and `authorize_company` return the code GHL would redirect with (also
through `/_control`: `{"authorize": [{"location": ..., "redirect_uri": ...}]}`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from workers.ghl.oauth import SCOPES

if TYPE_CHECKING:
    from devtools.fakes.ghl_api import FakeGHLAPI

OAUTH_API_VERSION = "2021-07-28"  # /oauth/locationToken, /oauth/installedLocations
CODE_TTL_SECONDS = 600.0
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
USER_TYPES = ("Location", "Company")
# What an install grants when a test names no scopes: what the project's install link asks
# for (so a scope missing from it, `oauth.write` say, fails the calls that need it here too).
DEFAULT_SCOPES = tuple(s.name for s in SCOPES)
FORM = "application/x-www-form-urlencoded"


@dataclass
class AuthorizationCode:
    """What an admin authorized on GHL's page: one location, or an agency with the locations
    it approved."""

    code: str
    client_id: str
    redirect_uri: str
    user_type: str
    company_id: str
    location_id: str | None
    approved_locations: tuple[str, ...]
    user_id: str
    scopes: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class CompanyInstall:
    """An agency's grant: its approved locations, the client (app) it was granted to."""

    company_id: str
    client_id: str
    approved_locations: tuple[str, ...]
    scopes: tuple[str, ...]
    user_id: str


@dataclass
class MintedToken:
    """A location access token minted with an agency's token."""

    company_id: str
    location_id: str
    access_token: str


def oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def api_error(status: int, message: str | list[str]) -> web.Response:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if status == 422:
        body["error"] = "Unprocessable Entity"
    return web.json_response(body, status=status)


def app_id(client_id: str) -> str:
    """The app a client belongs to: GHL's client ids are `<appId>-<suffix>`."""
    return client_id.split("-", 1)[0]


@dataclass(eq=False)
class FakeGHLOAuth:
    """The OAuth side of one `FakeGHLAPI`: codes, agencies' tokens and minted tokens."""

    api: FakeGHLAPI
    token_ttl: int  # an access token's `expires_in`, as the API's own (`TOKEN_TTL_SECONDS`)
    code_ttl: float = CODE_TTL_SECONDS
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    companies: dict[str, CompanyInstall] = field(default_factory=dict)
    company_access: dict[str, str] = field(default_factory=dict)  # access token -> company
    company_refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> company
    # The location tokens a refresh token grants were issued to this client (None: any).
    refresh_clients: dict[str, str] = field(default_factory=dict)
    minted: list[MintedToken] = field(default_factory=list)
    location_names: dict[str, str] = field(default_factory=dict)

    # --- test hooks: what an admin's click on GHL's authorize page does ----------------------
    def _client(self, client_id: str | None) -> str:
        known = self.api.oauth_clients
        if client_id is None:
            if known is None or len(known) != 1:
                raise ValueError("name the client_id the code is issued to")
            return next(iter(known))
        if known is not None and client_id not in known:
            raise ValueError(f"unknown OAuth client {client_id!r}")
        return client_id

    def authorize_location(self, location_id: str, *, redirect_uri: str,
                           client_id: str | None = None, company_id: str | None = None,
                           scopes: Iterable[str] = DEFAULT_SCOPES,
                           user_id: str | None = None) -> str:
        """The code GHL redirects with after an admin installed the app on one location."""
        return self._issue(AuthorizationCode(
            code=self.api.new_id("code-"), client_id=self._client(client_id),
            redirect_uri=redirect_uri, user_type="Location",
            company_id=company_id or self.api.new_id("co"), location_id=location_id,
            approved_locations=(), user_id=user_id or self.api.new_id("usr"),
            scopes=tuple(scopes), issued_at=self.api.clock()))

    def authorize_company(self, company_id: str, approved_locations: Iterable[str], *,
                          redirect_uri: str, client_id: str | None = None,
                          scopes: Iterable[str] = DEFAULT_SCOPES,
                          user_id: str | None = None) -> str:
        """The code GHL redirects with after an agency admin installed the app for the
        agency, approving `approved_locations`."""
        return self._issue(AuthorizationCode(
            code=self.api.new_id("code-"), client_id=self._client(client_id),
            redirect_uri=redirect_uri, user_type="Company", company_id=company_id,
            location_id=None, approved_locations=tuple(approved_locations),
            user_id=user_id or self.api.new_id("usr"), scopes=tuple(scopes),
            issued_at=self.api.clock()))

    def _issue(self, code: AuthorizationCode) -> str:
        self.codes[code.code] = code
        return code.code

    def company_of(self, access_token: str) -> str | None:
        if access_token in self.api.expired_tokens:
            return None
        return self.company_access.get(access_token)

    # --- FakeGHLAPI hooks ---------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth/token", self._token)
        app.router.add_post("/oauth/locationToken", self._location_token)
        app.router.add_get("/oauth/installedLocations", self._installed_locations)

    def apply_control(self, data: dict[str, Any]) -> None:
        for item in data.get("authorize") or []:
            if item.get("company"):
                self.authorize_company(item["company"], item.get("approved_locations") or [],
                                       redirect_uri=item["redirect_uri"],
                                       client_id=item.get("client_id"))
            else:
                self.authorize_location(item["location"], redirect_uri=item["redirect_uri"],
                                        client_id=item.get("client_id"),
                                        company_id=item.get("company_id"))

    def state(self) -> dict[str, Any]:
        return {"oauth_codes": [asdict(c) for c in self.codes.values()],
                "oauth_minted": [asdict(m) for m in self.minted]}

    # --- POST /oauth/token --------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        if request.content_type != FORM:
            return oauth_error(400, "invalid_request", "form body required")
        form = {k: str(v) for k, v in (await request.post()).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        known = self.api.oauth_clients
        if not client_id or not secret or (known is not None and known.get(client_id) != secret):
            return oauth_error(401, "invalid_client", "Invalid client")
        grant_type = form.get("grant_type")
        if grant_type not in GRANT_TYPES:
            return api_error(422, [f"grant_type must be one of the following values: "
                                   f"{', '.join(GRANT_TYPES)}"])
        user_type = form.get("user_type")
        if user_type is not None and user_type not in USER_TYPES:
            return api_error(422, [f"user_type must be one of the following values: "
                                   f"{', '.join(USER_TYPES)}"])
        if grant_type == "authorization_code":
            return self._redeem(form, client_id, user_type)
        if grant_type == "refresh_token":
            return self._refresh(form, client_id, user_type)
        return oauth_error(400, "unsupported_grant_type",
                           "client_credentials is not granted to marketplace apps")

    def _redeem(self, form: dict[str, str], client_id: str, user_type: str | None
                ) -> web.Response:
        if not form.get("code"):
            return oauth_error(400, "invalid_request", "code is required")
        code = self.codes.get(form["code"])
        if code is None or code.used:
            return oauth_error(400, "invalid_grant", "Invalid authorization code")
        if code.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Code was issued to another client")
        if self.api.clock() - code.issued_at > self.code_ttl:
            return oauth_error(400, "invalid_grant", "Authorization code expired")
        if form.get("redirect_uri") != code.redirect_uri:
            return oauth_error(400, "invalid_grant", "redirect_uri does not match the one "
                                                     "the code was issued for")
        if user_type is not None and user_type != code.user_type:
            return oauth_error(400, "invalid_request",
                               f"user_type {user_type} does not match the installation "
                               f"({code.user_type})")
        code.used = True  # single-use, whatever happens next
        if code.user_type == "Company":
            self.companies[code.company_id] = CompanyInstall(
                code.company_id, client_id, code.approved_locations, code.scopes, code.user_id)
            return web.json_response(self._company_grant(code.company_id, client_id))
        assert code.location_id is not None
        return web.json_response(self._location_grant(
            code.location_id, client_id, code.company_id, code.user_id, code.scopes))

    def _refresh(self, form: dict[str, str], client_id: str, user_type: str | None
                 ) -> web.Response:
        token = form.get("refresh_token", "")
        if not token:
            return oauth_error(400, "invalid_request", "refresh_token is required")
        granted_to = self.refresh_clients.get(token)
        if granted_to is not None and granted_to != client_id:
            return oauth_error(400, "invalid_grant", "Invalid refresh token")
        if token in self.company_refresh:
            if user_type not in (None, "Company"):
                return oauth_error(400, "invalid_request", "user_type does not match the "
                                                           "refresh token (Company)")
            company_id = self.company_refresh.pop(token)
            self.refresh_clients.pop(token, None)
            return web.json_response(self._company_grant(company_id, client_id))
        if token in self.api.refresh_tokens:
            if user_type not in (None, "Location"):
                return oauth_error(400, "invalid_request", "user_type does not match the "
                                                           "refresh token (Location)")
            location_id = self.api.refresh_tokens.pop(token)  # single-use
            self.refresh_clients.pop(token, None)
            return web.json_response(self._location_grant(location_id, client_id))
        # unknown or already used: GHL refresh tokens are single-use
        return oauth_error(400, "invalid_grant", "Invalid refresh token")

    def _location_grant(self, location_id: str, client_id: str, company_id: str | None = None,
                        user_id: str | None = None,
                        scopes: tuple[str, ...] = DEFAULT_SCOPES) -> dict[str, Any]:
        refresh_token = self.api.new_id("fake-rt-")
        self.api.add_refresh_token(refresh_token, location_id)
        self.refresh_clients[refresh_token] = client_id
        grant: dict[str, Any] = {
            "access_token": self.api.issue_token(location_id),
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "refresh_token": refresh_token,
            "scope": " ".join(scopes),
            "userType": "Location",
            "locationId": location_id,
            "userId": user_id or self.api.new_id("usr"),
        }
        if company_id is not None:
            grant["companyId"] = company_id
        return grant

    def _company_grant(self, company_id: str, client_id: str) -> dict[str, Any]:
        install = self.companies[company_id]
        access, refresh = self.api.new_id("fake-cat-"), self.api.new_id("fake-crt-")
        self.company_access[access] = company_id
        self.company_refresh[refresh] = company_id
        self.refresh_clients[refresh] = client_id
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "refresh_token": refresh,
            "scope": " ".join(install.scopes),
            "userType": "Company",
            "companyId": company_id,
            "approvedLocations": list(install.approved_locations),
            "userId": install.user_id,
            "isBulkInstallation": len(install.approved_locations) > 1,
        }

    # --- the agency's token: POST /oauth/locationToken, GET /oauth/installedLocations --------
    def _agency(self, request: web.Request) -> CompanyInstall | web.Response:
        """What GHL checks first on an agency-only route: the token (401), `Version` (400)."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        company_id = self.company_of(token) if scheme == "Bearer" else None
        if company_id is None:
            return api_error(401, "Invalid JWT" if token not in self.api.valid_tokens
                             else "This route is only for agency (Company) tokens")
        if request.headers.get("Version") != OAUTH_API_VERSION:
            return api_error(400, "Version header is missing or invalid")
        return self.companies[company_id]

    async def _location_token(self, request: web.Request) -> web.Response:
        install = self._agency(request)
        if isinstance(install, web.Response):
            return install
        if "oauth.write" not in install.scopes:
            return api_error(401, "The token is not authorized for this scope.")
        if request.content_type != FORM:
            return api_error(400, "form body required")
        form = {k: str(v) for k, v in (await request.post()).items()}
        problems = [f"{k} must be a string" for k in ("companyId", "locationId")
                    if not form.get(k)]
        if problems:
            return api_error(422, problems)
        if form["companyId"] != install.company_id:
            return api_error(403, "The token does not have access to this company")
        location_id = form["locationId"]
        if location_id not in install.approved_locations:
            return api_error(403, "The app is not installed on this location")
        token = self.api.issue_token(location_id)
        self.minted.append(MintedToken(install.company_id, location_id, token))
        return web.json_response({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "scope": " ".join(s for s in install.scopes if not s.startswith("oauth.")),
            "locationId": location_id,
            "userId": install.user_id,
        })

    async def _installed_locations(self, request: web.Request) -> web.Response:
        install = self._agency(request)
        if isinstance(install, web.Response):
            return install
        problems = [f"{k} must be a string" for k in ("companyId", "appId")
                    if not request.query.get(k)]
        if problems:
            return api_error(422, problems)
        if request.query["companyId"] != install.company_id:
            return api_error(403, "The token does not have access to this company")
        if request.query["appId"] != app_id(install.client_id):
            return api_error(400, "App not found for this company")
        locations = [{"_id": loc, "name": self.location_names.get(loc, f"Location {loc}"),
                      "address": "", "isInstalled": True}
                     for loc in install.approved_locations]
        return web.json_response({"locations": locations, "count": len(locations),
                                  "installToFutureLocations": False})
