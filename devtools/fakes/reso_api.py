"""Fake RESO Web API (an MLS's OData `Property` resource) on loopback, as strict as the vendors
a replicator meets (MLS Grid, Bridge, Trestle; RESO Web API Core 2.0.0).

- `GET /Property` with OData system query options only: `$filter` (comparisons `eq ne gt ge lt
  le` of a field and a literal — 'string', number, true/false/null, a DateTimeOffset such as
  2026-01-01T00:00:00.5Z — joined by `and`, `or`, `not` and parentheses; anything else, an
  unknown field or a literal of the wrong type: 400 with an OData error, as real servers
  answer), `$orderby` (fields, `asc`/`desc`), `$top` (at most `max_top`, or `max_top_expand`
  with `$expand`: more is a 400), `$select`, `$expand=Media` (also `Media($select=...)`),
  `$count`, and the `$skiptoken` of its own `@odata.nextLink`s. Paging is by key (the sort
  values of a page's last record), so a record modified between pages moves to a later page
  and is never skipped. Anything else in the query: 400.
- Authentication: `Authorization: Bearer` with a static token (`tokens`) or one bought at
  `POST /oauth2/token` with OAuth2 client credentials (`clients`: id -> secret; form body or
  HTTP Basic; `grant_type=client_credentials` only), which expires after `token_ttl_s`. A
  missing, unknown or expired token: 401.
- Rate limits: `rate_per_s` requests per (sliding) second and `daily_limit` a day per token's
  client; over either: 429 with `Retry-After` (seconds).
- Data: `records` (ListingKey -> the record, Media apart) in both StandardStatus forms (enum
  names `ActiveUnderContract` and display strings "Active Under Contract");
  `modify` (the record's ModificationTimestamp moves on, as an MLS's does), `remove` (gone
  without a trace: only a key reconciliation finds it), `set_photos` (Media changed WITHOUT a
  ModificationTimestamp bump, as some vendors do). `sample_listings` makes a deterministic
  MLS of any size; several records share each instant, so page boundaries split instants.
- Faults (`devtools.fakes.faults`, matched by path) plus `fail_page(after, fault)`: the
  request after the next `after` pages fails, mid-sync.
Run standalone with `python -m devtools.fakes.reso_api --port N --listings 500 --token T`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import json
import random
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from aiohttp import web

from devtools.fakes.base import FakeServer, run_cli
from devtools.fakes.faults import Fault

RESOURCE_PATH = "/Property"
TOKEN_PATH = "/oauth2/token"
OPTIONS = frozenset({"$filter", "$orderby", "$top", "$select", "$expand", "$count",
                     "$skiptoken"})
MEDIA_FIELDS = frozenset({"MediaKey", "MediaURL", "Order", "MediaCategory",
                          "ModificationTimestamp", "ShortDescription"})
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

# The Property fields the fake serves and their OData types (a filter or $select naming
# another is refused, as a server refuses a field its metadata does not have).
FIELD_TYPES: dict[str, str] = {
    "ListingKey": "string", "ListingId": "string", "StandardStatus": "string",
    "MlgCanView": "boolean", "OriginatingSystemName": "string",
    "ModificationTimestamp": "datetime", "PhotosChangeTimestamp": "datetime",
    "ListPrice": "number", "ClosePrice": "number", "CloseDate": "date",
    "UnparsedAddress": "string", "StreetNumber": "string", "StreetName": "string",
    "StreetSuffix": "string", "UnitNumber": "string", "City": "string",
    "PostalCode": "string", "BedroomsTotal": "number", "BathroomsTotalInteger": "number",
    "BathroomsTotalDecimal": "number", "BathroomsFull": "number", "BathroomsHalf": "number",
    "LivingArea": "number", "PropertyType": "string", "PropertySubType": "string",
    "ListingURL": "string", "PoolPrivateYN": "boolean", "GarageYN": "boolean",
    "GarageSpaces": "number", "NewConstructionYN": "boolean", "WaterfrontYN": "boolean",
    "AssociationYN": "boolean", "Levels": "collection", "Basement": "collection",
}


class ODataError(Exception):
    """A request the server refuses (400 with an OData error body)."""


def odata_error(status: int, message: str, code: str | None = None,
                **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code or str(status), "message": message}},
                             status=status, headers=headers)


def instant(at: datetime) -> str:
    """How the fake writes a DateTimeOffset: UTC, milliseconds, `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


# -- $filter ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,7})?)?(?:Z|[+-]\d\d:\d\d))
  | (?P<date>\d{4}-\d\d-\d\d)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<paren>[()])
""", re.VERBOSE)
COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ODataError(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def _literal(kind: str, text: str) -> tuple[str, Any]:
    if kind == "string":
        return "string", text[1:-1].replace("''", "'")
    if kind == "number":
        return "number", float(text)
    if kind == "date":
        return "date", date.fromisoformat(text)
    if kind == "datetime":
        head, _, rest = text.partition(".")
        if rest:  # at most 6 fractional digits for Python; a 7th is cut
            digits = re.match(r"\d+", rest)
            assert digits is not None
            text = f"{head}.{digits.group()[:6]}{rest[digits.end():]}"
        return "datetime", datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind == "ident" and text in ("true", "false"):
        return "boolean", text == "true"
    if kind == "ident" and text == "null":
        return "null", None
    raise ODataError(f"'{text}' is not a literal.")


def _compare(op: str, have: Any, want: Any) -> bool:
    if want is None:
        return (have is None) == (op == "eq") if op in ("eq", "ne") else False
    if have is None:
        return op == "ne"
    return {"eq": have == want, "ne": have != want, "gt": have > want, "ge": have >= want,
            "lt": have < want, "le": have <= want}[op]


def _value(record: dict[str, Any], name: str, kind: str) -> Any:
    raw = record.get(name)
    if raw is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if kind == "date":
        return date.fromisoformat(str(raw))
    if kind == "number":
        return float(raw)
    return raw


class FilterParser:
    """`$filter` text -> a predicate over records (see the module for what it accepts)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def parse(self) -> Predicate:
        if not self.tokens:
            raise ODataError("The $filter expression is empty.")
        pred = self._or()
        if self.i != len(self.tokens):
            raise ODataError(f"Syntax error at position {self.tokens[self.i][2]} in "
                             f"'{self.text}'.")
        return pred

    def _peek(self, word: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i][1] == word

    def _next(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise ODataError(f"Unexpected end of the $filter expression '{self.text}'.")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek("or"):
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek("and"):
            self.i += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def _unary(self) -> Predicate:
        if self._peek("not"):
            self.i += 1
            inner = self._unary()
            return lambda r: not inner(r)
        if self._peek("("):
            self.i += 1
            inner = self._or()
            if not self._peek(")"):
                raise ODataError(f"')' expected in '{self.text}'.")
            self.i += 1
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        kind, name, pos = self._next()
        if kind != "ident" or name in ("and", "or", "not", "true", "false", "null"):
            raise ODataError(f"Syntax error at position {pos} in '{self.text}'.")
        field_kind = FIELD_TYPES.get(name)
        if field_kind is None:
            raise ODataError(f"Could not find a property named '{name}' on type "
                             "'org.reso.metadata.Property'.")
        if field_kind == "collection":
            raise ODataError(f"The property '{name}' is a collection: use any()/all().")
        _, op, pos = self._next()
        if op not in COMPARISONS:
            raise ODataError(f"'{op}' at position {pos} is not a supported operator.")
        lit_kind, lit_text, pos = self._next()
        value_kind, value = _literal(lit_kind, lit_text)
        if value_kind not in (field_kind, "null") and not (
                field_kind == "datetime" and value_kind == "date"):
            raise ODataError(f"A binary operator with incompatible types was detected: "
                             f"'{name}' ({field_kind}) {op} {lit_text} ({value_kind}).")
        if value_kind == "null" and op not in ("eq", "ne"):
            raise ODataError(f"'{op} null' is not a valid comparison.")
        if field_kind == "datetime" and value_kind == "date":
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return lambda r: _compare(op, _value(r, name, field_kind), value)


# -- $orderby, paging ------------------------------------------------------------------------

def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """[(field, descending)]; ListingKey asc is appended as the tie-breaker when absent."""
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Invalid $orderby '{text}'.")
        if FIELD_TYPES.get(words[0]) in (None, "collection"):
            raise ODataError(f"Could not find a sortable property named '{words[0]}'.")
        out.append((words[0], len(words) == 2 and words[1] == "desc"))
    if all(name != "ListingKey" for name, _ in out):
        out.append(("ListingKey", False))
    return out


def _sort_values(record: dict[str, Any], order: list[tuple[str, bool]]) -> list[Any]:
    return [_value(record, name, FIELD_TYPES[name]) for name, _ in order]


def _cmp(a: Sequence[Any], b: Sequence[Any], order: list[tuple[str, bool]]) -> int:
    for x, y, (_, desc) in zip(a, b, order, strict=True):
        if x == y:
            continue
        less = x is None if x is None or y is None else x < y
        return (1 if less else -1) if desc else (-1 if less else 1)
    return 0


def encode_skiptoken(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime | date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_skiptoken(token: str, order: list[tuple[str, bool]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ODataError("The $skiptoken is not valid.") from exc
    if not isinstance(raw, list) or len(raw) != len(order):
        raise ODataError("The $skiptoken does not belong to this query.")
    try:
        return [_value({name: v}, name, FIELD_TYPES[name])
                for (name, _), v in zip(order, raw, strict=True)]
    except (TypeError, ValueError) as exc:
        raise ODataError("The $skiptoken is not valid.") from exc


def parse_expand(text: str) -> set[str] | None:
    """The Media fields to return (None: all of them) of `$expand=Media[($select=...)]`."""
    m = re.fullmatch(r"\s*Media\s*(?:\(\s*\$select\s*=\s*([A-Za-z, ]+)\))?\s*", text)
    if m is None:
        raise ODataError(f"Only the Media navigation property can be expanded, not '{text}'.")
    if m.group(1) is None:
        return None
    names = {n.strip() for n in m.group(1).split(",") if n.strip()}
    unknown = names - MEDIA_FIELDS
    if unknown:
        raise ODataError(f"Could not find a property named '{sorted(unknown)[0]}' on type "
                         "'org.reso.metadata.Media'.")
    return names


# -- the data --------------------------------------------------------------------------------

CITIES = (("Austin", "78704"), ("Round Rock", "78664"), ("Cedar Park", "78613"),
          ("Pflugerville", "78660"), ("Georgetown", "78626"))
# (enum name, display string, weight): every status appears in both forms.
STATUS_MIX = (("Active", "Active", 60), ("ComingSoon", "Coming Soon", 4),
              ("ActiveUnderContract", "Active Under Contract", 8), ("Pending", "Pending", 8),
              ("Closed", "Closed", 12), ("Withdrawn", "Withdrawn", 2),
              ("Expired", "Expired", 2), ("Canceled", "Canceled", 2), ("Hold", "Hold", 2))
SUB_TYPES = (("SingleFamilyResidence", "Single Family Residence"),
             ("Condominium", "Condominium"), ("Townhouse", "Townhouse"),
             ("Duplex", "Duplex"), ("ManufacturedHome", "Manufactured Home"))


def sample_listings(n: int, *, seed: int = 7, prefix: str = "L",
                    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """`n` MLS records (without ModificationTimestamp: the fake stamps them) and their Media,
    deterministic for a seed: statuses by `STATUS_MIX` alternating between the enum and the
    display form, property types, features, 1-4 photos whose `Order` is not their position,
    and a few records MLS Grid marks `MlgCanView: false`."""
    rng = random.Random(seed)
    weights = [w for _, _, w in STATUS_MIX]
    out = []
    for i in range(n):
        enum_name, display, _ = rng.choices(STATUS_MIX, weights)[0]
        city, postal = CITIES[i % len(CITIES)]
        sub_enum, sub_display = SUB_TYPES[rng.randrange(len(SUB_TYPES))]
        key = f"{prefix}{rng.getrandbits(40):010x}{i:05d}"
        price = rng.randrange(180, 1200) * 1000
        record: dict[str, Any] = {
            "ListingKey": key,
            "ListingId": f"MLS{100000 + i}",
            "StandardStatus": enum_name if i % 2 == 0 else display,
            "MlgCanView": i % 97 != 0,
            "OriginatingSystemName": "actris",
            "ListPrice": price,
            "StreetNumber": str(100 + i % 900),
            "StreetName": rng.choice(("Oak", "Elm", "Barton Springs", "Cedar", "Lamar")),
            "StreetSuffix": rng.choice(("St", "Ave", "Rd", "Blvd")),
            "City": city,
            "PostalCode": postal,
            "BedroomsTotal": rng.randrange(1, 6),
            "BathroomsFull": rng.randrange(1, 4),
            "BathroomsHalf": rng.randrange(0, 2),
            "LivingArea": rng.randrange(700, 4500),
            "PropertyType": "Residential",
            "PropertySubType": sub_enum if i % 3 else sub_display,
            "ListingURL": f"https://listings.example-mls.com/{key}",
            "PoolPrivateYN": rng.random() < 0.2,
            "GarageYN": rng.random() < 0.6,
            "NewConstructionYN": rng.random() < 0.1,
            "Levels": rng.choice((["One"], ["Two"], ["ThreeOrMore"])),
        }
        if enum_name == "Closed":
            record["ClosePrice"] = int(price * rng.uniform(0.93, 1.04))
            record["CloseDate"] = (date(2025, 12, 31) - timedelta(days=rng.randrange(0, 200))
                                   ).isoformat()
        media: list[dict[str, Any]] = [{"MediaKey": f"{key}-m{j}", "MediaCategory": "Photo",
                  "MediaURL": f"https://photos.example-mls.com/{key}/{j}.jpg"}
                 for j in range(rng.randrange(1, 5))]
        orders = list(range(1, len(media) + 1))
        rng.shuffle(orders)
        for item, order in zip(media, orders, strict=True):
            item["Order"] = order
        out.append((record, media))
    return out


def first_photo(media: list[dict[str, Any]]) -> str | None:
    """The URL the fake's data says is first (lowest Order), for tests."""
    photos = sorted(media, key=lambda m: m.get("Order", 1 << 30))
    return photos[0]["MediaURL"] if photos else None


@dataclass
class Client:
    """A consumer of the feed: its rate-limit windows are its own."""

    name: str
    window: deque[float] = field(default_factory=deque)
    day: date | None = None
    used_today: int = 0


@dataclass(kw_only=True, eq=False)
class FakeResoAPI(FakeServer):
    """The fake (see the module). `tokens`: static bearer token -> client name; `clients`:
    OAuth2 client id -> secret."""

    tokens: dict[str, str] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    token_ttl_s: float = 3600.0
    max_top: int = 5000
    max_top_expand: int = 1000
    rate_per_s: int | None = None
    daily_limit: int | None = None
    per_instant: int = 7  # records stamped with each ModificationTimestamp by `load`
    clock: Callable[[], float] = time.monotonic
    records: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    media: dict[str, list[dict[str, Any]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.mls_now = START
        self.issued: dict[str, tuple[str, float]] = {}  # token -> (client, expires at)
        self.consumers: dict[str, Client] = defaultdict(lambda: Client(""))
        self.page_requests = 0  # /Property requests answered 200
        self._scheduled: list[list[Any]] = []  # [pages to go, fault]

    # --- data ------------------------------------------------------------------------------
    def _stamp(self) -> str:
        self.mls_now += timedelta(milliseconds=250)
        return instant(self.mls_now)

    def load(self, items: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
        """Add records (with their Media), `per_instant` of them to each new
        ModificationTimestamp, as a bulk load stamps them."""
        stamp = ""
        for i, (record, media) in enumerate(items):
            if i % self.per_instant == 0:
                stamp = self._stamp()
            self.records[record["ListingKey"]] = {**record, "ModificationTimestamp": stamp}
            self.media[record["ListingKey"]] = [dict(m) for m in media]

    def modify(self, key: str, **changes: Any) -> dict[str, Any]:
        """Change a record as an agent does in the MLS: its ModificationTimestamp moves on.
        A change to None drops the field."""
        record = self.records[key]
        for name, value in changes.items():
            if value is None:
                record.pop(name, None)
            else:
                record[name] = value
        record["ModificationTimestamp"] = self._stamp()
        return record

    def remove(self, key: str) -> None:
        """The record leaves the feed without a trace (no status, no timestamp)."""
        del self.records[key]
        self.media.pop(key, None)

    def set_photos(self, key: str, urls: Sequence[str]) -> None:
        """Replace a record's photos WITHOUT a ModificationTimestamp bump."""
        self.media[key] = [{"MediaKey": f"{key}-p{j}", "MediaCategory": "Photo",
                            "MediaURL": u, "Order": j + 1} for j, u in enumerate(urls)]

    # --- faults ----------------------------------------------------------------------------
    def fail_page(self, after: int, fault: Fault) -> None:
        """The `/Property` request after the next `after` answered pages gets `fault` (for
        `fault.times` requests): a page that fails mid-sync."""
        self._scheduled.append([after, replace(fault, path=RESOURCE_PATH)])
        self._release_scheduled()

    def _release_scheduled(self) -> None:
        for entry in list(self._scheduled):
            if entry[0] <= 0:
                self._scheduled.remove(entry)
                self.inject(entry[1])

    def fault_response(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        status = fault.status or 500
        return odata_error(status, fault.message or ("Too Many Requests" if status == 429
                                                     else "Internal Server Error"), **headers)

    def reset(self) -> None:
        super().reset()
        self.consumers.clear()
        self._scheduled.clear()
        self.page_requests = 0

    # --- auth and limits -------------------------------------------------------------------
    def client_of(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.casefold() != "bearer" or not token:
            return None
        if token in self.tokens:
            return self.tokens[token]
        client, expires = self.issued.get(token, ("", 0.0))
        return client if client and self.clock() < expires else None

    def expire_tokens(self) -> None:
        """Every token bought so far answers 401 from now on."""
        self.issued = {t: (c, 0.0) for t, (c, _) in self.issued.items()}

    def _limited(self, client: str) -> web.Response | None:
        state = self.consumers[client]
        now = self.clock()
        today = datetime.now(UTC).date()
        if state.day != today:
            state.day, state.used_today = today, 0
        if self.daily_limit is not None and state.used_today >= self.daily_limit:
            tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
            wait = int((tomorrow - datetime.now(UTC)).total_seconds()) + 1
            return odata_error(429, "Daily request quota exceeded.", "429",
                               **{"Retry-After": str(wait)})
        while state.window and state.window[0] <= now - 1.0:
            state.window.popleft()
        if self.rate_per_s is not None and len(state.window) >= self.rate_per_s:
            wait = max(1, int(state.window[0] + 1.0 - now + 0.999))
            return odata_error(429, f"Rate limit of {self.rate_per_s} requests per second "
                               "exceeded.", "429", **{"Retry-After": str(wait)})
        state.window.append(now)
        state.used_today += 1
        return None

    # --- routes ----------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(RESOURCE_PATH, self._property)
        app.router.add_post(TOKEN_PATH, self._token)

    async def _token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"error": "invalid_request",
                                      "error_description": "form body expected"}, status=400)
        form = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, basic = request.headers.get("Authorization", "").partition(" ")
        if scheme.casefold() == "basic":
            try:
                client_id, _, secret = base64.b64decode(basic).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if not client_id or self.clients.get(client_id) != secret:
            return web.json_response({"error": "invalid_client"}, status=401)
        token = secrets.token_urlsafe(24)
        self.issued[token] = (client_id, self.clock() + self.token_ttl_s)
        return web.json_response({"access_token": token, "token_type": "Bearer",
                                  "expires_in": int(self.token_ttl_s)})

    async def _property(self, request: web.Request) -> web.Response:
        client = self.client_of(request)
        if client is None:
            return odata_error(401, "Authorization has been denied for this request.",
                               **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
        limited = self._limited(client)
        if limited is not None:
            return limited
        try:
            body = self.query(request)
        except ODataError as exc:
            return odata_error(400, str(exc))
        self.page_requests += 1
        for entry in self._scheduled:
            entry[0] -= 1
        self._release_scheduled()
        return web.json_response(body, headers={"OData-Version": "4.0"})

    def query(self, request: web.Request) -> dict[str, Any]:
        """The page a query asks for (ODataError: a 400)."""
        pairs = parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True)
        params: dict[str, str] = {}
        for name, value in pairs:
            if name not in OPTIONS:
                raise ODataError(f"The query parameter '{name}' is not supported.")
            if name in params:
                raise ODataError(f"The query parameter '{name}' is given more than once.")
            params[name] = value
        expanded = "$expand" in params
        media_fields = parse_expand(params["$expand"]) if expanded else None
        limit = self.max_top_expand if expanded else self.max_top
        top_text = params.get("$top", str(limit))
        if not re.fullmatch(r"\d+", top_text) or int(top_text) < 1:
            raise ODataError(f"Invalid $top '{top_text}'.")
        top = int(top_text)
        if top > limit:
            raise ODataError(f"The $top value {top} exceeds the maximum of {limit}"
                             f"{' with $expand' if expanded else ''}.")
        select = None
        if "$select" in params:
            select = [s.strip() for s in params["$select"].split(",")]
            unknown = [s for s in select if s not in FIELD_TYPES]
            if unknown:
                raise ODataError(f"Could not find a property named '{unknown[0]}' on type "
                                 "'org.reso.metadata.Property'.")
        if params.get("$count", "false") not in ("true", "false"):
            raise ODataError("Invalid $count.")
        order = parse_orderby(params.get("$orderby", "ListingKey asc"))
        pred = FilterParser(params["$filter"]).parse() if "$filter" in params else None
        keyed = [(_sort_values(r, order), r) for r in self.records.values()
                 if pred is None or pred(r)]  # each record's sort values read once
        total = len(keyed)
        if "$skiptoken" in params:
            after = decode_skiptoken(params["$skiptoken"], order)
            keyed = [(v, r) for v, r in keyed if _cmp(v, after, order) > 0]
        def by_values(a: tuple[list[Any], dict[str, Any]],
                      b: tuple[list[Any], dict[str, Any]]) -> int:
            return _cmp(a[0], b[0], order)

        keyed.sort(key=functools.cmp_to_key(by_values))
        rows = [r for _, r in keyed]
        page, more = rows[:top], len(rows) > top
        out: dict[str, Any] = {"@odata.context": f"{self.base_url}/$metadata#Property"}
        if params.get("$count") == "true":
            out["@odata.count"] = total
        out["value"] = [self._shape(r, select, expanded, media_fields) for r in page]
        if more:
            following = {k: v for k, v in params.items() if k != "$skiptoken"}
            following["$skiptoken"] = encode_skiptoken(_sort_values(page[-1], order))
            out["@odata.nextLink"] = f"{self.base_url}{RESOURCE_PATH}?" + "&".join(
                f"{k}={quote(v, safe='$,():')}" for k, v in following.items())
        return out

    def _shape(self, record: dict[str, Any], select: list[str] | None, expanded: bool,
               media_fields: set[str] | None) -> dict[str, Any]:
        shaped = dict(record) if select is None else {k: record[k] for k in select
                                                      if k in record}
        if expanded:
            media = self.media.get(record["ListingKey"], [])
            shaped["Media"] = [{k: v for k, v in m.items()
                                if media_fields is None or k in media_fields} for m in media]
        return shaped


def main(argv: Sequence[str] | None = None) -> None:
    def add_args(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--token", action="append", default=[], metavar="TOKEN",
                            help="a static bearer token the feed accepts (repeatable)")
        parser.add_argument("--client", action="append", default=[], metavar="ID=SECRET",
                            help="an OAuth2 client (client credentials at /oauth2/token)")
        parser.add_argument("--listings", type=int, default=500,
                            help="records of the sample MLS (sample_listings)")
        parser.add_argument("--rate-per-s", type=int, default=None)
        parser.add_argument("--daily-limit", type=int, default=None)

    def build(args: argparse.Namespace) -> FakeResoAPI:
        api = FakeResoAPI(host=args.host, port=args.port, seed=args.seed,
                          tokens={t: "cli" for t in args.token},
                          clients=dict(c.split("=", 1) for c in args.client),
                          rate_per_s=args.rate_per_s, daily_limit=args.daily_limit)
        api.load(sample_listings(args.listings, seed=args.seed or 7))
        return api

    run_cli(argv, "Fake RESO Web API (an MLS's OData Property resource)", build, add_args)


if __name__ == "__main__":
    main()
