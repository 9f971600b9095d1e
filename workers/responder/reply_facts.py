"""What a drafted reply may mention, for the reply check (pure): gathered from the tenant's
settings and listings, the lead's own contact details and figures, and the turn's plan.

Links: the tenant's allowed domains, the hosts of the links of the listings loaded for this
lead (the tenant's own rows), and the host of the matched listing's photo when the turn
gives it to Claude (`prompt.turn_instructions`): a photo CDN is allowed only then."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from schemas.context import LeadContext
from workers.consent.reply_check import ReplyFacts, amounts, fold
from workers.responder.listings import link
from workers.responder.modes import Plan
from workers.responder.store import LeadFacts

LEAD_FIGURES = ("budget_min", "budget_max", "sell_price")


def _host(url: str) -> str | None:
    try:
        return urlsplit(url if "://" in url else "http://" + url).hostname
    except ValueError:
        return None


def shown_prices(texts: Iterable[str | None]) -> list[int]:
    """Dollar amounts written in the turn's own texts (the listing line, the sales median)."""
    return [round(value) for text in texts if text
            for _, readings, _, _ in amounts(fold(text)) for value, _ in readings]


def reply_facts(ctx: LeadContext, facts: LeadFacts, plan: Plan,
                other_contacts: Iterable[str] = ()) -> ReplyFacts:
    tenant, contact, profile = facts.tenant, ctx.memory.contact, ctx.profile.profile
    shown = [plan.match.listing.url, plan.match.listing.photo_url] \
        if plan.match and plan.match_line else []
    urls = (link(u) for u in (*(x.url for x in facts.listings), *shown))
    hosts = list(dict.fromkeys(h for u in urls if u and (h := _host(u))))
    figures = [int(v) for v in (profile.get(k) for k in LEAD_FIGURES)
               if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e12]
    return ReplyFacts(
        lead_phones=tuple(p for p in (contact.phone,) if p),
        lead_emails=tuple(e for e in (contact.email,) if e),
        lead_names=tuple(n for n in (contact.first_name, contact.name) if n),
        own_phones=tenant.own_phones,
        own_emails=tenant.own_emails,
        allowed_domains=(*tenant.allowed_link_domains, *hosts),
        prices=(*(x.price for x in facts.listings), *(c.sold_price for c in facts.comps),
                *shown_prices((plan.match_line, plan.talking_point))),
        lead_figures=tuple(figures),
        allowed_phrases=tenant.allowed_phrases,
        other_contacts=tuple(other_contacts),
    )
