"""The RESO Data Dictionary's `Property` resource as our listings and comparable sales (pure).

`FIELDS` is the one table of the RESO field names we read: each with the parser of its value
and what it becomes here. `classify(record)` turns one record — an object of a RESO Web API
page, or a row of a CSV with RESO field names as headers — into one outcome:

- `Listed`: StandardStatus Active, Coming Soon, Active Under Contract or Pending: a row of
  `listings` with that status (recommendations read `active` only);
- `Sold`: Closed: a row of `comparable_sales` (ClosePrice, CloseDate, the living area);
- `Removed`: Withdrawn, Expired, Canceled, Delete, Hold, Incomplete; `MlgCanView` false (MLS
  Grid's removal mark); a record that is not a home for sale (a lease, a commercial or
  business listing): whatever we held under its key goes;
- `Invalid`: a value that does not parse or a required field missing, each error naming its
  field (`ListPrice: not a number ('abc')`).

StandardStatus and the lookups (PropertyType, PropertySubType, Levels, ...) are read in both
forms servers send them: enum member names (`ActiveUnderContract`, RESO's `Edm.EnumType`) and
display strings (`"Active Under Contract"`, RESO's string lookups), compared without case,
spaces or punctuation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

MAX_TEXT = 500
MAX_KEY = 255
MAX_URL = 2000
MAX_PRICE = 2**31 - 1  # listings.price / comparable_sales.sold_price are integer columns
MAX_COUNT = 999
MAX_AREA = 10_000_000


class FieldError(ValueError):
    """A RESO field's value we cannot use; `str()` names the field."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name
        self.message = message


def norm(text: str) -> str:
    """A lookup value compared as RESO's two forms allow: `ActiveUnderContract` and
    "Active Under Contract" are both `activeundercontract`."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


# -- parsers: (field name, raw value) -> value; a FieldError for a value we cannot use -------

Parser = Callable[[str, Any], Any]


def text(name: str, raw: Any) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise FieldError(name, f"not text ({_shown(raw)})")
    value = str(raw).strip()
    if "\x00" in value:
        raise FieldError(name, "contains a NUL character")
    if len(value) > MAX_TEXT:
        raise FieldError(name, f"longer than {MAX_TEXT} characters")
    return value or None


def key(name: str, raw: Any) -> str | None:
    value = text(name, raw)
    if value is not None and (len(value) > MAX_KEY or any(ord(c) < 32 for c in value)):
        raise FieldError(name, f"not a usable key ({_shown(raw)})")
    return value


def _number(name: str, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise FieldError(name, f"not a number ({_shown(raw)})")
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation as exc:
            raise FieldError(name, f"not a number ({_shown(raw)})") from exc
    elif isinstance(raw, str):
        # Spreadsheets write money as "$450,000": the symbol and thousands separators go.
        cleaned = raw.strip().removeprefix("$").replace(",", "").strip()
        if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", cleaned):
            raise FieldError(name, f"not a number ({_shown(raw)})")
        value = Decimal(cleaned)
    else:
        raise FieldError(name, f"not a number ({_shown(raw)})")
    if not value.is_finite():
        raise FieldError(name, f"not a number ({_shown(raw)})")
    if value < 0:
        raise FieldError(name, f"negative ({_shown(raw)})")
    return value


def money(name: str, raw: Any) -> int | None:
    """Whole dollars (rounded half up), more than 0."""
    value = _number(name, raw)
    if value <= 0:
        raise FieldError(name, f"must be more than 0 ({_shown(raw)})")
    dollars = int(value.to_integral_value(ROUND_HALF_UP))
    if dollars > MAX_PRICE:
        raise FieldError(name, f"too large ({_shown(raw)})")
    return dollars


def count(name: str, raw: Any) -> int | None:
    """A whole count (bedrooms, baths of a kind, stories), 0 to 999."""
    value = _number(name, raw)
    if value != value.to_integral_value():
        raise FieldError(name, f"not a whole number ({_shown(raw)})")
    if value > MAX_COUNT:
        raise FieldError(name, f"not a plausible count ({_shown(raw)})")
    return int(value)


def quantity(name: str, raw: Any) -> float | None:
    """A non-negative number with a fraction (BathroomsTotalDecimal, GarageSpaces), below 100,
    to one decimal (the bathrooms column is numeric(3, 1))."""
    value = _number(name, raw)
    if value >= 100:
        raise FieldError(name, f"not a plausible number ({_shown(raw)})")
    return float(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def area(name: str, raw: Any) -> int | None:
    """Square feet, rounded; 0 is no figure."""
    value = _number(name, raw)
    if value >= MAX_AREA:
        raise FieldError(name, f"not a plausible area ({_shown(raw)})")
    feet = int(value.to_integral_value(ROUND_HALF_UP))
    return feet or None


def timestamp(name: str, raw: Any) -> datetime | None:
    """An ISO 8601 instant with its offset (`2026-03-01T14:05:00.123Z`), in UTC, to the
    microsecond (Postgres keeps no more; a 7th fractional digit is cut, never rounded up, so
    a watermark never passes a record)."""
    if not isinstance(raw, str):
        raise FieldError(name, f"not a timestamp ({_shown(raw)})")
    value = raw.strip()
    match = re.fullmatch(r"(.+T\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:\d\d)", value)
    if match is None:
        raise FieldError(name, f"not an ISO 8601 timestamp with an offset ({_shown(raw)})")
    head, fraction, offset = match.groups()
    fraction = (fraction or "")[:7]  # "." and at most 6 digits
    try:
        parsed = datetime.fromisoformat(f"{head}{fraction}{'+00:00' if offset == 'Z' else offset}")
    except ValueError as exc:
        raise FieldError(name, f"not a valid timestamp ({_shown(raw)})") from exc
    return parsed.astimezone(UTC)


def day(name: str, raw: Any) -> date | None:
    """A date (`2026-03-01`), or the UTC date of a timestamp."""
    if not isinstance(raw, str):
        raise FieldError(name, f"not a date ({_shown(raw)})")
    value = raw.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise FieldError(name, f"not a valid date ({_shown(raw)})") from exc
    if "T" in value:
        at = timestamp(name, value)
        return at.date() if at is not None else None
    raise FieldError(name, f"not a date (YYYY-MM-DD) ({_shown(raw)})")


def boolean(name: str, raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().casefold()
        if word in ("true", "yes", "y", "1"):
            return True
        if word in ("false", "no", "n", "0"):
            return False
    raise FieldError(name, f"not true or false ({_shown(raw)})")


def lookups(name: str, raw: Any) -> tuple[str, ...] | None:
    """A multi-valued lookup: a JSON list of strings, or one comma-separated string (RESO's
    older flags form, and a CSV cell); each value normalised (`norm`)."""
    if isinstance(raw, str):
        items: Sequence[Any] = raw.split(",")
    elif isinstance(raw, list):
        items = raw
    else:
        raise FieldError(name, f"not a list of values ({_shown(raw)})")
    values = []
    for item in items:
        if not isinstance(item, str):
            raise FieldError(name, f"not a list of values ({_shown(raw)})")
        if norm(item):
            values.append(norm(item))
    return tuple(values) or None


def url(name: str, raw: Any) -> str | None:
    value = text(name, raw)
    if value is None:
        return None
    parts = urlsplit(value)
    if (parts.scheme not in ("http", "https") or not parts.hostname or len(value) > MAX_URL
            or any(c.isspace() for c in value)):
        raise FieldError(name, f"not an http(s) URL ({_shown(raw)})")
    return value


PHOTO_CATEGORIES = frozenset({"photo", "photos", "image", "images"})


def media(name: str, raw: Any) -> str | None:
    """The first photo's URL of an expanded `Media` collection: by `Order` (items without one
    last, then as listed), among items whose `MediaCategory` is a photo or not given."""
    if not isinstance(raw, list):
        raise FieldError(name, f"not a list of media ({_shown(raw)})")
    photos: list[tuple[float, int, str]] = []
    for i, item in enumerate(raw):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise FieldError(where, f"not a media object ({_shown(item)})")
        category = item.get("MediaCategory")
        if category is not None and (not isinstance(category, str)
                                     or norm(category) not in PHOTO_CATEGORIES):
            continue
        link = url(f"{where}.MediaURL", item.get("MediaURL")) \
            if item.get("MediaURL") is not None else None
        if link is None:
            continue
        order = item.get("Order")
        rank = math.inf if order is None else count(f"{where}.Order", order)
        photos.append((float(rank if rank is not None else math.inf), i, link))
    return min(photos)[2] if photos else None


def status(name: str, raw: Any) -> str | None:
    """The StandardStatus enum member name, from either form."""
    value = text(name, raw)
    if value is None:
        return None
    member = STATUS_NAMES.get(norm(value))
    if member is None:
        raise FieldError(name, f"not a RESO StandardStatus ({_shown(raw)})")
    return member


# -- what each status does -------------------------------------------------------------------

LISTED, SOLD, REMOVED = "listed", "sold", "removed"
# StandardStatus (RESO Data Dictionary enum member) -> what it does, and the listing status.
STATUSES: dict[str, tuple[str, str | None]] = {
    "Active": (LISTED, "active"),
    "ComingSoon": (LISTED, "coming_soon"),
    "ActiveUnderContract": (LISTED, "active_under_contract"),
    "Pending": (LISTED, "pending"),
    "Closed": (SOLD, None),
    "Withdrawn": (REMOVED, None),
    "Expired": (REMOVED, None),
    "Canceled": (REMOVED, None),
    "Delete": (REMOVED, None),
    "Hold": (REMOVED, None),  # off the market for now: not offered to a lead
    "Incomplete": (REMOVED, None),  # still being entered: not published
}
STATUS_NAMES: dict[str, str] = {norm(m): m for m in STATUSES} | {"cancelled": "Canceled"}

# -- property types (learning/SPEC.md: single_family condo townhouse multi_family land
#    mobile_home) -------------------------------------------------------------------------

SUB_TYPES: dict[str, str] = {  # PropertySubType enum member -> our type
    "SingleFamilyResidence": "single_family", "SingleFamily": "single_family",
    "Cabin": "single_family",
    "Condominium": "condo", "Condo": "condo", "StockCooperative": "condo",
    "OwnYourOwn": "condo", "Apartment": "condo",
    "Townhouse": "townhouse", "Townhome": "townhouse",
    "Duplex": "multi_family", "Triplex": "multi_family", "Quadruplex": "multi_family",
    "MultiFamily": "multi_family",
    "ManufacturedHome": "mobile_home", "ManufacturedOnLand": "mobile_home",
    "MobileHome": "mobile_home",
    "UnimprovedLand": "land", "Land": "land", "Farm": "land", "Ranch": "land",
    "Agriculture": "land",
}
TYPES: dict[str, str | None] = {  # PropertyType enum member -> our type (None: by sub-type)
    "Residential": None,
    "ResidentialIncome": "multi_family",
    "Land": "land",
    "Farm": "land",
    "ManufacturedInPark": "mobile_home",
}
# Not a home for sale: a lease's price is a rent, and commercial or business listings are not
# what a home buyer asks for.
NOT_FOR_SALE = frozenset(norm(t) for t in (
    "ResidentialLease", "CommercialLease", "CommercialSale", "BusinessOpportunity"))
_SUB_TYPES = {norm(k): v for k, v in SUB_TYPES.items()}
_TYPES = {norm(k): v for k, v in TYPES.items()}


def property_type(kind: str | None, sub_type: str | None) -> str | None:
    """Our property type of a PropertyType / PropertySubType pair (either form); the
    sub-type is the more precise and wins; None when neither says."""
    if sub_type is not None and (mapped := _SUB_TYPES.get(norm(sub_type))) is not None:
        return mapped
    return _TYPES.get(norm(kind)) if kind is not None else None


# -- must-haves (learning/SPEC.md) where the Data Dictionary has a field for them ------------
# yard, good_schools and updated_kitchen have none: a listing never claims them.

NO_BASEMENT = frozenset({"none", "crawlspace", "slab"})
FEATURES: tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...] = (
    ("pool", lambda v: v.get("PoolPrivateYN") is True),
    ("garage", lambda v: v.get("GarageYN") is True or v.get("AttachedGarageYN") is True
     or (v.get("GarageSpaces") or 0) > 0),
    ("basement", lambda v: any(b not in NO_BASEMENT for b in v.get("Basement") or ())),
    ("home_office", lambda v: "office" in (v.get("RoomType") or ())),
    ("single_story", lambda v: v.get("StoriesTotal") == 1 or v.get("Stories") == 1
     or "one" in (v.get("Levels") or ())),
    ("new_construction", lambda v: v.get("NewConstructionYN") is True),
    ("waterfront", lambda v: v.get("WaterfrontYN") is True),
    ("no_hoa", lambda v: v.get("AssociationYN") is False),
)


# -- the one table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """A RESO Data Dictionary `Property` field we read: `becomes` says what it is here."""

    name: str
    parse: Parser
    becomes: str


FIELDS: tuple[Field, ...] = (
    Field("ListingKey", key, "listing_id / sale_id (the key every write and reconciliation "
                             "uses; ListingId stands in when a CSV has no ListingKey)"),
    Field("ListingId", key, "mls_number"),
    Field("StandardStatus", status, "what happens (STATUSES) and listings.status"),
    Field("MlgCanView", boolean, "false: removed (MLS Grid)"),
    Field("ListPrice", money, "listings.price"),
    Field("ClosePrice", money, "comparable_sales.sold_price"),
    Field("CloseDate", day, "comparable_sales.sold_at"),
    Field("ModificationTimestamp", timestamp, "modified_at; the replication watermark"),
    Field("UnparsedAddress", text, "address"),
    Field("StreetNumber", text, "address, when there is no UnparsedAddress"),
    Field("StreetDirPrefix", text, "address, when there is no UnparsedAddress"),
    Field("StreetName", text, "address, when there is no UnparsedAddress"),
    Field("StreetSuffix", text, "address, when there is no UnparsedAddress"),
    Field("StreetDirSuffix", text, "address, when there is no UnparsedAddress"),
    Field("UnitNumber", text, "address, when there is no UnparsedAddress"),
    Field("City", text, "area"),
    Field("PostalCode", text, "postal_code"),
    Field("BedroomsTotal", count, "bedrooms"),
    Field("BathroomsTotalDecimal", quantity, "bathrooms"),
    Field("BathroomsFull", count, "bathrooms, without BathroomsTotalDecimal"),
    Field("BathroomsThreeQuarter", count, "bathrooms (as full), without ...TotalDecimal"),
    Field("BathroomsHalf", count, "bathrooms (as 0.5), without BathroomsTotalDecimal"),
    Field("BathroomsTotalInteger", count, "bathrooms, without the fields above"),
    Field("LivingArea", area, "listings.living_area / comparable_sales.sqft"),
    Field("PropertyType", text, "property_type (TYPES); leases and commercial: removed"),
    Field("PropertySubType", text, "property_type (SUB_TYPES), property_sub_type"),
    Field("ListingURL", url, "url"),
    Field("Media", media, "photo_url: the first photo by Order"),
    Field("MediaURL", url, "photo_url (a CSV's column for the first photo)"),
    Field("PoolPrivateYN", boolean, "feature pool"),
    Field("GarageYN", boolean, "feature garage"),
    Field("AttachedGarageYN", boolean, "feature garage"),
    Field("GarageSpaces", quantity, "feature garage (more than 0)"),
    Field("Basement", lookups, "feature basement (other than None / Crawl Space / Slab)"),
    Field("RoomType", lookups, "feature home_office (Office)"),
    Field("StoriesTotal", count, "feature single_story (1)"),
    Field("Stories", count, "feature single_story (1)"),
    Field("Levels", lookups, "feature single_story (One)"),
    Field("NewConstructionYN", boolean, "feature new_construction"),
    Field("WaterfrontYN", boolean, "feature waterfront"),
    Field("AssociationYN", boolean, "feature no_hoa (false)"),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
KEY_FIELDS = ("ListingKey", "ListingId")


# -- outcomes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """A row of `listings`."""

    listing_id: str
    status: str
    price: int
    mls_number: str | None = None
    address: str = ""
    area: str | None = None
    postal_code: str | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    property_type: str | None = None
    property_sub_type: str | None = None
    living_area: int | None = None
    features: tuple[str, ...] = ()
    url: str | None = None
    photo_url: str | None = None
    modified_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.listing_id


@dataclass(frozen=True)
class Sold:
    """A row of `comparable_sales`."""

    sale_id: str
    sold_price: int
    sold_at: date
    address: str = ""
    area: str | None = None
    postal_code: str | None = None
    bedrooms: int | None = None
    bathrooms: float | None = None
    sqft: int | None = None
    property_type: str | None = None
    modified_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.sale_id


@dataclass(frozen=True)
class Removed:
    """Whatever we hold under `key` goes (listings and comparable sales)."""

    key: str
    reason: str
    modified_at: datetime | None = None


@dataclass(frozen=True)
class Invalid:
    """A record we cannot use; `key` None when it has no usable key."""

    key: str | None
    errors: tuple[str, ...]
    modified_at: datetime | None = None

    def __str__(self) -> str:
        return f"{self.key or '(no key)'}: {'; '.join(self.errors)}"


Outcome = Listed | Sold | Removed | Invalid


def parse(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values of the fields of `FIELDS` the record has (None and "" are absent), and an
    error per value that does not parse. Other fields (and `@odata.*` annotations) are not
    read."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, raw in record.items():
        spec = BY_NAME.get(name)
        if spec is None or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = spec.parse(name, raw)
        except FieldError as exc:
            errors.append(str(exc))
            continue
        if value is not None:
            values[name] = value
    return values, errors


def address(v: Mapping[str, Any]) -> str:
    """UnparsedAddress, else the street parts joined (`123 N Main St #4`)."""
    if v.get("UnparsedAddress"):
        return str(v["UnparsedAddress"])
    parts = [v.get(f) for f in ("StreetNumber", "StreetDirPrefix", "StreetName",
                                "StreetSuffix", "StreetDirSuffix")]
    street = " ".join(str(p) for p in parts if p)
    unit = v.get("UnitNumber")
    if unit:
        unit_text = str(unit)
        street = f"{street} {unit_text if unit_text.startswith('#') else '#' + unit_text}"
    return street.strip()


def bathrooms(v: Mapping[str, Any]) -> float | None:
    """BathroomsTotalDecimal; else full (and three-quarter) baths plus half a bath per half
    bath; else BathroomsTotalInteger."""
    if "BathroomsTotalDecimal" in v:
        return float(v["BathroomsTotalDecimal"])
    parts = [v.get(f) for f in ("BathroomsFull", "BathroomsThreeQuarter", "BathroomsHalf")]
    if any(p is not None for p in parts):
        full, three_quarter, half = (p or 0 for p in parts)
        total = full + three_quarter + 0.5 * half
        return total if total < 100 else None
    total_integer = v.get("BathroomsTotalInteger")
    return float(total_integer) if total_integer is not None else None


def features(v: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(name for name, has in FEATURES if has(v)))


def classify(record: Mapping[str, Any]) -> Outcome:
    """What one RESO `Property` record does here (see the module's docstring)."""
    v, errors = parse(record)
    key_value = v.get("ListingKey") or v.get("ListingId")
    modified = v.get("ModificationTimestamp")
    if key_value is None:
        if not any(e.startswith(KEY_FIELDS) for e in errors):
            errors.insert(0, "ListingKey: missing")
        return Invalid(None, tuple(errors), modified)
    # A removal needs nothing but the key: the rest of the record may be incomplete.
    if v.get("MlgCanView") is False:
        return Removed(key_value, "MlgCanView false", modified)
    member = v.get("StandardStatus")
    if member is None:
        if not any(e.startswith("StandardStatus") for e in errors):
            errors.insert(0, "StandardStatus: missing")
        return Invalid(key_value, tuple(errors), modified)
    action, listing_status = STATUSES[member]
    if action == REMOVED:
        return Removed(key_value, member, modified)
    kind, sub_type = v.get("PropertyType"), v.get("PropertySubType")
    if kind is not None and norm(kind) in NOT_FOR_SALE:
        return Removed(key_value, f"not a home for sale (PropertyType {kind})", modified)
    if action == SOLD:
        for name in ("ClosePrice", "CloseDate"):
            if name not in v and not any(e.startswith(name) for e in errors):
                errors.append(f"{name}: missing (a Closed record needs it)")
    elif "ListPrice" not in v and not any(e.startswith("ListPrice") for e in errors):
        errors.append("ListPrice: missing")
    if errors:
        return Invalid(key_value, tuple(errors), modified)
    common: dict[str, Any] = {
        "address": address(v), "area": v.get("City"), "postal_code": v.get("PostalCode"),
        "bedrooms": v.get("BedroomsTotal"), "bathrooms": bathrooms(v),
        "property_type": property_type(kind, sub_type), "modified_at": modified}
    if action == SOLD:
        return Sold(key_value, v["ClosePrice"], v["CloseDate"], sqft=v.get("LivingArea"),
                    **common)
    assert listing_status is not None
    return Listed(key_value, listing_status, v["ListPrice"], mls_number=v.get("ListingId"),
                  property_sub_type=sub_type, living_area=v.get("LivingArea"),
                  features=features(v), url=v.get("ListingURL"),
                  photo_url=v.get("Media") or v.get("MediaURL"), **common)
