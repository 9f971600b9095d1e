"""A tenant's responder configuration, as plain data (loaded by `store.load_tenant`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.consent.decision import DEFAULT_REPLY_CHANNELS
from workers.consent.quiet import QuietWindow, tenant_window


@dataclass(frozen=True)
class TenantProfile:
    tenant_id: str
    name: str | None = None
    ai_enabled: bool = True
    persona: str | None = None
    instructions: str | None = None
    service_areas: tuple[str, ...] = ()
    reply_channels: frozenset[str] = DEFAULT_REPLY_CHANNELS
    timezone: str | None = None
    quiet: QuietWindow | None = None  # the tenant's own quiet hours, beside the legal ones
    claude_model: str | None = None
    claude_max_tokens: int | None = None
    claude_api_key_enc: bytes | None = field(default=None, repr=False)
    # What a drafted reply may contain (workers/consent/reply_check.py).
    allowed_link_domains: tuple[str, ...] = ()
    own_phones: tuple[str, ...] = ()
    own_emails: tuple[str, ...] = ()
    allowed_phrases: tuple[str, ...] = ()


def area_names(raw: Any) -> tuple[str, ...]:
    """`service_areas` holds names or `{"name": ..., "aliases": [...]}` objects."""
    names = []
    for item in raw or []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def tenant_from_rows(tenant_id: str, tenant: Any, settings: Any) -> TenantProfile:
    """From the `tenants` row (None: unknown tenant, AI off) and `tenant_settings` (optional)."""
    if tenant is None:
        return TenantProfile(tenant_id, ai_enabled=False)
    if settings is None:
        return TenantProfile(tenant_id, name=tenant["name"], ai_enabled=tenant["ai_enabled"])
    return TenantProfile(
        tenant_id,
        name=tenant["name"],
        ai_enabled=tenant["ai_enabled"],
        persona=settings["persona"],
        instructions=settings["instructions"],
        service_areas=area_names(settings["service_areas"]),
        reply_channels=frozenset(settings["reply_channels"] or ()),
        timezone=settings["timezone"],
        quiet=tenant_window(settings["no_texts_from"], settings["no_texts_until"]),
        claude_model=settings["claude_model"],
        claude_max_tokens=settings["claude_max_tokens"],
        claude_api_key_enc=settings["claude_api_key_enc"],
        allowed_link_domains=tuple(settings["allowed_link_domains"] or ()),
        own_phones=tuple(settings["own_phones"] or ()),
        own_emails=tuple(settings["own_emails"] or ()),
        allowed_phrases=tuple(settings["allowed_phrases"] or ()),
    )
