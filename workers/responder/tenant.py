"""The responder's slice of a tenant's settings, as plain data (from `workers.tenants`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers.consent.decision import DEFAULT_REPLY_CHANNELS
from workers.consent.quiet import QuietWindow
from workers.learning.extract.model import Area
from workers.tenants import TenantSettings


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
    uninstalled: bool = False  # the tenant removed the app: nothing is drafted or sent
    calendar_id: str | None = None  # showings and calls are booked on it (workers/booking)
    # The service areas with their aliases: a lead's locations match listings and sales
    # by them (`workers.tenants.model.area_terms`).
    areas: tuple[Area, ...] = ()


def tenant_profile(settings: TenantSettings) -> TenantProfile:
    """The responder's slice of the tenant's settings (`workers.tenants`)."""
    return TenantProfile(
        settings.tenant_id,
        name=settings.name,
        ai_enabled=settings.ai_enabled,
        persona=settings.persona,
        instructions=settings.instructions,
        service_areas=settings.area_names,
        reply_channels=settings.reply_channels,
        timezone=settings.timezone,
        quiet=settings.quiet,
        claude_model=settings.claude_model,
        claude_max_tokens=settings.claude_max_tokens,
        claude_api_key_enc=settings.claude_api_key_enc,
        allowed_link_domains=settings.allowed_link_domains,
        own_phones=settings.own_phones,
        own_emails=settings.own_emails,
        allowed_phrases=settings.allowed_phrases,
        uninstalled=settings.uninstalled,
        calendar_id=settings.calendar_id,
        areas=settings.service_areas,
    )
