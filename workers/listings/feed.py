"""A tenant's RESO Web API feed: its settings as `leadmem tenant config` takes them, validated,
and the feed as a sync reads it (pure).

The settings (`listing_feeds`, migrations/0018) are the OData service root (`--reso-url`), how
it authenticates — a bearer token (`--reso-token-env/-stdin`) or an OAuth2 client
(`--reso-client-id`, `--reso-client-secret-env/-stdin`, `--reso-token-url`) — an optional
`$filter` ANDed to every query (`--reso-filter "OriginatingSystemName eq 'actris'"`), the page
size (`$top`, `--reso-page-size`) and the vendor's rate limit (`--reso-rate 2/40000`: requests
per second and per day; MLS Grid's). Secrets are plain here; `store.put_feed` encrypts them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

BEARER, CLIENT_CREDENTIALS = "bearer", "client_credentials"
MAX_PAGE_SIZE = 5000
MAX_FILTER = 2000
MAX_RATE_PER_S = 100.0
OFF = ("off", "none", "")


class FeedSettingsError(ValueError):
    """A feed setting we refuse; the message names the option."""


@dataclass(frozen=True)
class Feed:
    """A tenant's feed as a sync reads it (secrets decrypted)."""

    tenant_id: str
    base_url: str
    auth: str
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_url: str | None = None
    filter: str | None = None
    page_size: int = 200
    rate_per_s: float = 2.0
    daily_limit: int = 40_000
    watermark: datetime | None = None
    watermark_keys: tuple[str, ...] = ()
    requests_day: date | None = None
    requests_today: int = 0
    last_reconciled_at: datetime | None = None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def service_url(option: str, text: str) -> str:
    """An https URL (http only on loopback: a development fake), without a trailing slash,
    query or fragment."""
    value = text.strip()
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in value):
        raise FeedSettingsError(f"{option}: not an absolute URL: {text!r}")
    if parts.scheme == "http" and not _loopback(host):
        raise FeedSettingsError(f"{option}: the RESO Web API is served over https (http only "
                                f"on loopback, for a development fake): {text!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise FeedSettingsError(f"{option}: give the URL without a query, fragment or "
                                f"credentials: {text!r}")
    return value.rstrip("/")


def _balanced(expression: str) -> str | None:
    """Why an OData expression is not closed (an open quote or parenthesis), or None. The
    filter is ANDed to ours in parentheses, so one that closes them could escape its part."""
    depth, i, n = 0, 0, len(expression)
    while i < n:
        c = expression[i]
        if c == "'":  # a string literal; '' is a quote inside it
            i += 1
            while True:
                if i >= n:
                    return "a string literal is not closed"
                if expression[i] == "'":
                    if expression[i + 1:i + 2] != "'":
                        break  # i: the closing quote
                    i += 1
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return "a parenthesis closes that was not opened"
        i += 1
    return "a parenthesis is not closed" if depth else None


def odata_filter(text: str) -> str | None:
    """The tenant's `$filter` part (None: off)."""
    value = text.strip()
    if value.casefold() in OFF:
        return None
    if len(value) > MAX_FILTER:
        raise FeedSettingsError(f"--reso-filter: longer than {MAX_FILTER} characters")
    if any(ord(c) < 32 for c in value):
        raise FeedSettingsError("--reso-filter: contains a control character")
    problem = _balanced(value)
    if problem:
        raise FeedSettingsError(f"--reso-filter: {problem}: {text!r}")
    return value


def page_size(text: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise FeedSettingsError(f"--reso-page-size: a number of records from 1 to "
                                f"{MAX_PAGE_SIZE} (the vendor's largest $top): {text!r}")
    return int(text)


def rate(text: str) -> tuple[float, int | None]:
    """`PER_S` or `PER_S/PER_DAY` (MLS Grid: `2/40000`): requests per second, and per UTC
    day (None: unchanged)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(\d+)\s*)?", text)
    per_s = float(match.group(1)) if match else 0.0
    if match is None or not 0 < per_s <= MAX_RATE_PER_S or match.group(2) == "0":
        raise FeedSettingsError(
            f"--reso-rate: requests per second (more than 0, at most {MAX_RATE_PER_S:g}), "
            f"optionally /requests per day, e.g. 2/40000: {text!r}")
    return per_s, int(match.group(2)) if match.group(2) else None


def identifier(option: str, text: str) -> str:
    value = text.strip()
    if not value or len(value) > 500 or any(c.isspace() or ord(c) < 32 for c in value):
        raise FeedSettingsError(f"{option}: one word, at most 500 characters")
    return value


@dataclass(frozen=True)
class Changes:
    """What `tenant config` changes of a feed: `remove` drops it; other None fields stay."""

    remove: bool = False
    base_url: str | None = None
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_url: str | None = None
    filter: str | None = None
    clear_filter: bool = False
    page_size: int | None = None
    rate_per_s: float | None = None
    daily_limit: int | None = None

    @property
    def empty(self) -> bool:
        return self == Changes()

    @property
    def auth(self) -> str | None:
        """The authentication these changes switch to, if any."""
        if self.token is not None:
            return BEARER
        if self.client_id is not None or self.client_secret is not None \
                or self.token_url is not None:
            return CLIENT_CREDENTIALS
        return None


def changes(*, url: str | None = None, token: str | None = None,
            client_id: str | None = None, client_secret: str | None = None,
            token_url: str | None = None, filter_text: str | None = None,
            page_size_text: str | None = None, rate_text: str | None = None) -> Changes:
    """The feed changes of `tenant config`'s `--reso-*` options (FeedSettingsError when one
    is bad or they contradict each other). `--reso-url off` removes the feed."""
    if url is not None and url.strip().casefold() in OFF:
        others = (token, client_id, client_secret, token_url, filter_text, page_size_text,
                  rate_text)
        if any(o is not None for o in others):
            raise FeedSettingsError("--reso-url off removes the feed: give no other --reso-* "
                                    "option with it")
        return Changes(remove=True)
    if token is not None and (client_id or client_secret or token_url):
        raise FeedSettingsError("a bearer token (--reso-token-*) or client credentials "
                                "(--reso-client-id, --reso-client-secret-*, --reso-token-url),"
                                " not both")
    values: dict[str, Any] = {}
    if url is not None:
        values["base_url"] = service_url("--reso-url", url)
    if token is not None:
        values["token"] = identifier("--reso-token", token)
    if client_id is not None:
        values["client_id"] = identifier("--reso-client-id", client_id)
    if client_secret is not None:
        values["client_secret"] = identifier("--reso-client-secret", client_secret)
    if token_url is not None:
        values["token_url"] = service_url("--reso-token-url", token_url)
    if filter_text is not None:
        parsed = odata_filter(filter_text)
        values["filter"] = parsed
        values["clear_filter"] = parsed is None
    if page_size_text is not None:
        values["page_size"] = page_size(page_size_text)
    if rate_text is not None:
        values["rate_per_s"], values["daily_limit"] = rate(rate_text)
    return Changes(**values)


def check_complete(auth: str, *, token: bool, client_id: str | None, client_secret: bool,
                   token_url: str | None) -> None:
    """A feed with what its authentication needs (FeedSettingsError naming what is missing)."""
    if auth == BEARER and not token:
        raise FeedSettingsError("the feed needs its bearer token: --reso-token-env VAR or "
                                "--reso-token-stdin (or client credentials)")
    if auth == CLIENT_CREDENTIALS:
        missing = [o for o, have in (("--reso-client-id", client_id),
                                     ("--reso-client-secret-env/-stdin", client_secret),
                                     ("--reso-token-url", token_url)) if not have]
        if missing:
            raise FeedSettingsError("client credentials need " + ", ".join(missing))
