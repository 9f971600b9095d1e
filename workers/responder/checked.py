"""The reply check of a Claude draft, as every path of the responder runs it (a reply, a
first touch, a follow-up): the tenant's other contacts whose full name the draft contains
(one indexed lookup, only when it names someone), then `consent.reply_check.check_reply`
with what this turn may mention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from schemas.context import LeadContext
from workers.consent.reply_check import ReplyCheck, check_reply, name_candidates
from workers.responder.modes import Plan
from workers.responder.reply_facts import reply_facts
from workers.responder.store import LeadFacts

NameLookup = Callable[[list[str]], Awaitable[list[str]]]


async def check_draft(body: str, ctx: LeadContext, facts: LeadFacts, plan: Plan,
                      others_named: NameLookup) -> ReplyCheck:
    """`others_named(candidates)`: the full names of the tenant's contacts other than this
    lead among the draft's name candidates."""
    candidates = name_candidates(body)
    others = await others_named(candidates) if candidates else []
    return check_reply(body, reply_facts(ctx, facts, plan, others))
