"""The reply text: Claude when it is configured and answering, else the deterministic
fallback from the qualification framework. Never raises for a Claude failure: the lead
still gets a sensible reply, and the reason is counted and stored with the reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import Counter

from schemas.context import LeadContext
from workers.claude import ClaudeClient, ClaudeUnavailableError, Usage, resolve_config, text_of
from workers.responder.modes import Plan, fallback_text
from workers.responder.prompt import build_prompt, finalize
from workers.responder.tenant import TenantProfile
from workers.settings import Settings

log = logging.getLogger(__name__)
FALLBACKS = Counter(
    "leadmem_responder_fallbacks_total",
    "Replies written by the deterministic fallback, by reason (not_configured, key_error, "
    "breaker_open, retries_exhausted, deadline, malformed, rejected, empty).",
    ["reason"],
)


@dataclass(frozen=True)
class Composition:
    body: str
    outcome: str  # "ok", or why the fallback answered
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_ms: float | None = None


class Composer:
    def __init__(self, claude: ClaudeClient, settings: Settings) -> None:
        self.claude = claude
        self.settings = settings

    async def compose(self, ctx: LeadContext, tenant: TenantProfile, plan: Plan, channel: str,
                      now: datetime, task: str | None = None) -> Composition:
        config = resolve_config(
            self.settings, model=tenant.claude_model, max_tokens=tenant.claude_max_tokens,
            api_key_enc=tenant.claude_api_key_enc, tenant=tenant.tenant_id,
        )
        prompt = build_prompt(ctx, tenant, plan, channel, now, task)
        first_name = ctx.memory.contact.first_name
        try:
            result = await self.claude.create(
                tenant.tenant_id, config, system=prompt.system, messages=prompt.messages
            )
        except ClaudeUnavailableError as exc:
            FALLBACKS.labels(exc.reason).inc()
            log.info("responder: fallback reply for %s (%s)", tenant.tenant_id, exc.reason)
            return Composition(fallback_text(plan, first_name), exc.reason)
        body = finalize(text_of(result.message), channel)
        outcome = "ok"
        if body is None:  # billed, but nothing to send: keep the usage, send the fallback
            FALLBACKS.labels("empty").inc()
            body, outcome = fallback_text(plan, first_name), "empty"
        return Composition(body, outcome, result.model, result.usage, result.cost_usd,
                           result.latency_ms)
