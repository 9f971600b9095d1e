"""A tenant's settings as one typed value: the `tenants` row and its `tenant_settings` row.

Every field of `TenantSettings` after `created_at` is a column of `tenant_settings` of the same
name; `from_row` reads them from a statement that embeds `store.COLUMNS` and `store.joins`,
and `to_column` turns a field's value into what the column stores (the writer's side). A new
setting is one field here (with the column's default as its default) and its migration; the
test `tests/integration/test_tenant_settings.py` holds the model to the table.

Readers take the slice they need (`quiet`, `area_names`, the CRM's `CrmSettings.of`, the
responder's `TenantProfile.of`) from this one value; none reads the table with its own SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, time
from types import MappingProxyType
from typing import Any, Literal, get_args

from workers.consent.decision import DEFAULT_REPLY_CHANNELS
from workers.consent.quiet import QuietWindow, tenant_window
from workers.db.tenant import json_value
from workers.learning.extract.model import Area

DEFAULT_TAGS: Mapping[str, str] = MappingProxyType(
    {"hot": "hot-lead", "warm": "warm-lead", "cold": "cold-lead"})
DEFAULT_OPTED_OUT_TAG = "opted-out"
# Where a tenant is in the Marketplace app's lifecycle (`tenants.status`, migrations/0014;
# the transitions: `workers.tenants.lifecycle`).
Status = Literal["installed", "live", "uninstalled"]
STATUSES: tuple[Status, ...] = get_args(Status)
PREFIX = "tenant__"  # the result columns of `store.COLUMNS`, apart from a reader's own


@dataclass(frozen=True)
class TenantSettings:
    tenant_id: str
    # The `tenants` row (known False: no row, so AI is off and everything else is default).
    known: bool = False
    name: str | None = None
    ai_enabled: bool = False
    created_at: datetime | None = None
    # Its install lifecycle (`tenants.status`...; the column's default: operators' tenants).
    status: Status = "live"
    company_id: str | None = None  # the GHL agency that installed it, when known
    installed_at: datetime | None = None
    uninstalled_at: datetime | None = None
    purged_at: datetime | None = None
    # `tenant_settings` (no row: every default below, which are the columns' defaults).
    persona: str | None = None
    instructions: str | None = None
    claude_model: str | None = None
    claude_max_tokens: int | None = None
    claude_api_key_enc: bytes | None = field(default=None, repr=False)
    service_areas: tuple[Area, ...] = ()
    no_texts_from: time | None = None  # the tenant's own quiet hours (both set, or neither)
    no_texts_until: time | None = None
    reply_channels: frozenset[str] = DEFAULT_REPLY_CHANNELS
    timezone: str | None = None
    message_retention_days: int | None = None  # None: messages kept for ever
    # What a drafted reply may contain (workers/consent/reply_check.py).
    allowed_link_domains: tuple[str, ...] = ()
    own_phones: tuple[str, ...] = ()
    own_emails: tuple[str, ...] = ()
    allowed_phrases: tuple[str, ...] = ()
    # CRM write-backs (workers/crm/plan.py).
    crm_tasks: bool = True
    crm_notes: bool = True
    crm_tags: bool = True
    crm_fields: bool = True
    crm_tag_names: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAGS))
    crm_custom_fields: Mapping[str, str] = field(default_factory=dict)  # profile field -> id
    crm_default_user: str | None = None
    crm_opted_out_tag: str = DEFAULT_OPTED_OUT_TAG  # "": no tag
    # GHL contact sources whose new leads get a first touch (workers/timers; case-insensitive;
    # empty: only leads who wrote first are texted).
    first_touch_sources: tuple[str, ...] = ()
    # Follow-ups of a quiet lead: each step's delay in seconds (workers/timers/follow_ups.py;
    # empty: off). The GHL calendar showings and calls are booked on (None: no booking).
    follow_ups: tuple[int, ...] = ()
    calendar_id: str | None = None

    @property
    def quiet(self) -> QuietWindow | None:
        """The tenant's own quiet hours, beside the legal ones."""
        return tenant_window(self.no_texts_from, self.no_texts_until)

    @property
    def area_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.service_areas)

    @property
    def live(self) -> bool:
        """A tenant that may be answered and written back to (AI aside): known and live."""
        return self.known and self.status == "live"

    @property
    def uninstalled(self) -> bool:
        """The app was removed from the location: nothing may be sent or written back."""
        return self.known and self.status == "uninstalled"


TENANT_FIELDS = ("known", "name", "ai_enabled", "created_at", "status", "company_id",
                 "installed_at", "uninstalled_at", "purged_at")  # from `tenants`
SETTINGS_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(TenantSettings) if f.name not in ("tenant_id", *TENANT_FIELDS))


def areas(raw: Any) -> tuple[Area, ...]:
    """`service_areas` holds names or `{"name": ..., "aliases": [...]}` objects."""
    out = []
    for item in json_value(raw) or []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            aliases = item.get("aliases", []) if isinstance(item, dict) else []
            out.append(Area(name=name.strip(),
                            aliases=tuple(a for a in aliases if isinstance(a, str))))
    return tuple(out)


def area_terms(areas: Iterable[Area], names: Iterable[str]) -> frozenset[str]:
    """What a listing's or a sale's area may read for a lead who wants the areas `names`
    (a profile's `locations`): each name and the aliases of the service area it names
    (matched case-insensitively), lower-cased, blanks left out. Its SQL twin, for the
    statements that filter on it, is `store.area_terms`."""
    wanted = {n.strip(" ").lower() for n in names if isinstance(n, str) and n.strip(" ")}
    terms = set(wanted)
    for area in areas:
        if area.name.strip(" ").lower() in wanted:
            terms.update(a.strip(" ").lower() for a in area.aliases if a.strip(" "))
    return frozenset(terms)


def _strings(raw: Any) -> tuple[str, ...]:
    return tuple(raw)


def _mapping(raw: Any) -> Mapping[str, str]:
    return dict(json_value(raw) or {})


# Columns whose stored form is not the field's type (the rest are stored as they are).
_DECODE: Mapping[str, Callable[[Any], Any]] = {
    "service_areas": areas,
    "reply_channels": frozenset,
    "allowed_link_domains": _strings,
    "own_phones": _strings,
    "own_emails": _strings,
    "allowed_phrases": _strings,
    "first_touch_sources": _strings,
    "follow_ups": tuple,
    "crm_tag_names": lambda raw: _mapping(raw) or DEFAULT_TAGS,
    "crm_custom_fields": _mapping,
    "crm_opted_out_tag": lambda raw: raw.strip(),
    "claude_api_key_enc": bytes,
}
_ENCODE: Mapping[str, Callable[[Any], Any]] = {
    "service_areas": lambda v: [{"name": a.name, "aliases": list(a.aliases)} for a in v],
    "reply_channels": sorted,
    "allowed_link_domains": list,
    "own_phones": list,
    "own_emails": list,
    "allowed_phrases": list,
    "first_touch_sources": list,
    "follow_ups": list,
    "crm_tag_names": dict,
    "crm_custom_fields": dict,
}


def from_row(tenant_id: str, row: Mapping[str, Any]) -> TenantSettings:
    """The settings from a row carrying `store.COLUMNS` (NULLs: the defaults)."""
    if not row[PREFIX + "known"]:
        return TenantSettings(tenant_id)
    values: dict[str, Any] = {name: row[PREFIX + name] for name in TENANT_FIELDS}
    values["known"], values["ai_enabled"] = True, bool(values["ai_enabled"])
    for name in SETTINGS_FIELDS:
        raw = row[PREFIX + name]
        if raw is not None:
            decode = _DECODE.get(name)
            values[name] = decode(raw) if decode else raw
    return TenantSettings(tenant_id, **values)


def to_column(name: str, value: Any) -> Any:
    """What column `name` stores for a field value (the writer's side of `from_row`)."""
    if name not in SETTINGS_FIELDS:
        raise KeyError(f"{name!r} is not a tenant setting")
    encode = _ENCODE.get(name)
    return encode(value) if encode is not None and value is not None else value
