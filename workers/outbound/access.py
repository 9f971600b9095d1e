"""Access to a location's GHL account, as every worker that calls GHL opens it: the tokens
(OAuth with the encrypted token store, agency-minted tokens, or static ones) and one
`Sender` over the shared rate limit (Redis), so the outbound's messages and write-backs and
the responder's calendar calls share each location's limit and token refreshes."""

from __future__ import annotations

import httpx

from workers.errors import ConfigurationError
from workers.ghl.client import GHLClient
from workers.ghl.company_tokens import CompanyLocationTokens
from workers.ghl.limits import Limits as GHLLimits
from workers.ghl.oauth import OAuthClient
from workers.ghl.sender import Sender
from workers.ghl.shared_limit import RedisWindows, SharedLimiter
from workers.ghl.token_store import (
    PostgresCompanyLinks,
    PostgresCompanyTokenStore,
    PostgresTokenStore,
    TokenStore,
)
from workers.ghl.tokens import OAuthTokenProvider, StaticTokenProvider, TokenProvider
from workers.outbound.config import OutboundConfig
from workers.runtime.host import Resources
from workers.secrets import encrypt


def open_ghl(resources: Resources, cfg: OutboundConfig,
             tokens: TokenProvider | None = None) -> tuple[httpx.AsyncClient, Sender]:
    """An HTTP client and the `Sender` every call to GHL goes through, both closed with
    `resources` (`tokens` defaults to the deployment's)."""
    http = httpx.AsyncClient(timeout=cfg.timeout_s, follow_redirects=False)
    resources.stack.push_async_callback(http.aclose)
    if tokens is None:
        tokens = token_provider(cfg, http, token_store(resources, cfg),
                                company_tokens(resources, cfg, http))
        if isinstance(tokens, OAuthTokenProvider):
            resources.stack.push_async_callback(tokens.close)  # before the pool closes
    sender = Sender(
        GHLClient(http, cfg.base_url), tokens,
        SharedLimiter(RedisWindows(resources.cache, GHLLimits(
            cfg.rate_limit, cfg.rate_interval_s, cfg.daily_limit)),
            fallback_replicas=cfg.rate_limit_fallback_replicas, max_wait_s=cfg.max_wait_s),
        max_attempts=cfg.max_attempts, backoff_s=cfg.backoff_s,
        backoff_max_s=cfg.backoff_max_s, max_wait_s=cfg.max_wait_s,
    )
    return http, sender


def token_provider(
    config: OutboundConfig, http: httpx.AsyncClient, store: TokenStore | None = None,
    company: CompanyLocationTokens | None = None,
) -> TokenProvider:
    """OAuth when the client credentials are configured (refresh tokens come from `store`,
    seeded from the settings; locations an agency installed the app for get tokens minted
    by `company`), else the static tokens, each for its own location only."""
    if config.uses_oauth:
        assert config.oauth_client_id and config.oauth_client_secret
        if store is None:
            raise ConfigurationError("GHL OAuth needs a token store for rotated refresh tokens")
        return OAuthTokenProvider(
            http, base_url=config.base_url, client_id=config.oauth_client_id,
            client_secret=config.oauth_client_secret, store=store,
            seed_refresh_tokens=config.refresh_tokens, access_tokens=config.tokens,
            company=company,
        )
    return StaticTokenProvider(config.tokens)


def company_tokens(resources: Resources, config: OutboundConfig,
                   http: httpx.AsyncClient) -> CompanyLocationTokens | None:
    """Tokens minted with an agency's token for the locations it installed the app for
    (OAuth only; the master key was checked by `token_store`)."""
    if not config.uses_oauth:
        return None
    assert config.oauth_client_id and config.oauth_client_secret
    key, db = resources.settings.master_key, resources.database
    base, client, secret = config.base_url, config.oauth_client_id, config.oauth_client_secret
    agencies = OAuthTokenProvider(http, base_url=base, client_id=client, client_secret=secret,
                                  store=PostgresCompanyTokenStore(db, key), user_type="Company")
    return CompanyLocationTokens(
        OAuthClient(http, base_url=base, client_id=client, client_secret=secret),
        PostgresCompanyLinks(db, key), agencies)


def token_store(resources: Resources, config: OutboundConfig) -> TokenStore | None:
    """The encrypted Postgres store of OAuth tokens; with OAuth configured and no master key
    the worker refuses to start (a rotated refresh token is never stored in clear, and one
    kept only in memory is lost on restart)."""
    if not config.uses_oauth:
        return None
    key = resources.settings.master_key
    if key is None:
        raise ConfigurationError(
            "GHL OAuth is configured (LEADMEM_GHL_OAUTH_CLIENT_ID/SECRET) but "
            "LEADMEM_MASTER_KEY is not: rotated refresh tokens are stored encrypted with it; "
            "set it (python -c 'from workers.secrets import generate_key; "
            "print(generate_key())') and restart")
    encrypt("probe", key)  # a malformed key fails here, at start-up
    return PostgresTokenStore(resources.database, key)
