"""The responder's pure core: from an inbound message, the lead's context and the tenant's
facts, the reply row to claim and the events it publishes. No I/O: the shell
(`responder.worker`) reads the facts and the context, calls Claude and the name lookup of the
reply check, and claims what these functions build.

The order of a decision: the guards (`guards.decide`) say reply, confirm an opt-out, hand
off or stay silent; `without_claude` builds every row that needs no Claude text (silence,
the opt-out confirmation, the hand-off); otherwise Claude (or its fallback) writes the text
and `composed` builds the row, held for the agent when the reply check stopped the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.context import LeadContext
from schemas.envelope import derive_event_id
from schemas.events import AgentAssistRequested, ProfileUpdated, ReplyDrafted
from workers.consent.reply_check import ReplyCheck
from workers.leads import consent_state
from workers.replies.row import Reply
from workers.responder import guards, modes
from workers.responder.compose import Composition
from workers.responder.store import LeadFacts

CONSUMER = "responder"
POSSIBLE_OPT_OUT = ("The lead's message may be a request to stop texting, so no automated reply "
                    "was sent. Please read it and reply yourself, or mark the lead opted out.")
REPLY_HELD = ("The drafted reply was not sent because {why}. Please check it and reply "
              "yourself. Suggested reply: {draft}")


def merged_context(ctx: LeadContext, event: ProfileUpdated) -> LeadContext:
    """The lead's memory with the profile this event carries (newer than any cached one)."""
    profile = ctx.profile.model_copy(update={
        "profile": event.profile, "score": event.score, "score_reasons": event.score_reasons,
        "next_questions": event.next_questions,
    })
    return ctx.model_copy(update={"profile": profile})


def superseded(event: ProfileUpdated, ctx: LeadContext) -> bool:
    """True when the lead has written again since the message this event is about."""
    inbound = [m for m in ctx.memory.recent if m.direction == "inbound" and m.sender == "lead"]
    ids = [m.message_id for m in inbound]
    return bool(event.message_id) and event.message_id in ids and ids[-1] != event.message_id


def reply_key(event: ProfileUpdated) -> str:
    """The reply's idempotency key: the message answered (one reply per inbound message)."""
    return event.message_id or event.event_id


def reply_channel(event: ProfileUpdated, ctx: LeadContext) -> str:
    if event.channel:
        return event.channel
    inbound = [m for m in ctx.memory.recent if m.direction == "inbound"]
    return inbound[-1].channel if inbound else "sms"


@dataclass(frozen=True)
class Turn:
    """One inbound message being answered, on one clock reading: what every row and event
    of its reply carries (ids derived from the message, so a redelivery derives the same)."""

    event: ProfileUpdated
    key: str  # the idempotency key: the inbound message's id (or the event's)
    channel: str
    now: datetime

    @classmethod
    def of(cls, event: ProfileUpdated, ctx: LeadContext, now: datetime) -> Turn:
        return cls(event, reply_key(event), reply_channel(event, ctx), now)

    def guard_input(self, ctx: LeadContext, facts: LeadFacts) -> guards.GuardInput:
        e = self.event
        return guards.GuardInput(
            channel=self.channel, consent=consent_state(facts.tenant, facts.lead),
            opt_out_confirmed=facts.opt_out_confirmed,
            wants_human=bool(e.profile.get("wants_human")), asked_at=e.occurred_at,
            superseded=superseded(e, ctx), answers=e.message_id)

    def coaching(self, plan: modes.Plan) -> str:
        e = self.event
        return modes.coaching_note(e.profile, e.score, e.score_reasons, plan)

    def assist(self, reason: str, note: str) -> dict[str, Any]:
        """The agent's notice (hand-off, coaching, a held draft...), one per reason."""
        e = self.event
        return AgentAssistRequested(
            event_id=derive_event_id(e.tenant_id, CONSUMER, self.key, "assist", reason),
            tenant_id=e.tenant_id, contact_id=e.contact_id, occurred_at=self.now,
            received_at=e.received_at, causation_id=e.event_id, reason=reason, note=note,
        ).model_dump(mode="json")

    def row(self, **fields: Any) -> Reply:
        e = self.event
        assert e.contact_id is not None
        return Reply(
            tenant_id=e.tenant_id, idempotency_key=self.key, contact_id=e.contact_id,
            reply_to_message_id=e.message_id, channel=self.channel,
            event_id=derive_event_id(e.tenant_id, CONSUMER, self.key), created_at=self.now,
            **fields)


def asks_first(turn: Turn, facts: LeadFacts) -> bool:
    """Is this the message that made the lead's consent unsure? Only it asks a person (one
    notice, one task); the lead's later messages stay silent while the question is open."""
    unsure = facts.consent.unsure
    return unsure is None or unsure.source_ref == turn.event.message_id


def without_claude(turn: Turn, verdict: guards.Verdict, facts: LeadFacts, ctx: LeadContext,
                   plan: modes.Plan) -> Reply | None:
    """The reply when no Claude text is needed: silence (with the agent's notice where a
    person must act), the opt-out confirmation, or the hand-off; None: Claude writes it."""
    if verdict.action == "suppress":
        notes = []
        if verdict.reason == "human_takeover":
            notes.append(turn.assist("human_takeover", turn.coaching(plan)))
        elif verdict.reason == "possible_opt_out" and asks_first(turn, facts):
            notes.append(turn.assist("possible_opt_out", POSSIBLE_OPT_OUT))  # a person decides
        return turn.row(body="", mode="none", status="suppressed",
                        suppressed_reason=verdict.reason, published=notes)
    if verdict.action == "opt_out_confirmation":  # sent at once: the one allowed message
        return deterministic(turn, modes.opt_out_text(facts.tenant.name), verdict.action, None)
    if verdict.action == "handoff":
        note = "Lead asked to talk to a person. " + turn.coaching(plan)
        return deterministic(turn, modes.handoff_text(ctx.memory.contact.first_name),
                             "handoff", verdict.send_after, ("handoff", note))
    return None


def deterministic(turn: Turn, body: str, mode: str, send_after: datetime | None,
                  assist: tuple[str, str] | None = None) -> Reply:
    """A reply of our own words (no Claude text: nothing for the reply check to hold)."""
    return drafted(turn, body, mode, send_after, Composition(body, "deterministic"), assist)


def composed(turn: Turn, verdict: guards.Verdict, plan: modes.Plan, comp: Composition,
             check: ReplyCheck | None) -> Reply:
    """The reply Claude (or the fallback) wrote; `check` is the reply check of Claude's
    text (None for the fallback's own text). A hot lead's agent gets a coaching note."""
    coaching = (("coaching", turn.coaching(plan)) if turn.event.score == "hot" else None)
    if check is not None and not check.ok:
        return held(turn, plan.mode, comp, check, coaching)
    return drafted(turn, comp.body, plan.mode, verdict.send_after, comp, coaching)


def held(turn: Turn, mode: str, comp: Composition, check: ReplyCheck,
         coaching: tuple[str, str] | None) -> Reply:
    """A draft the reply check stopped: recorded suppressed (`reply_check:<rule>`, the
    draft and its cost kept), and handed to the agent as a suggestion."""
    notes = [turn.assist("reply_held", REPLY_HELD.format(why=check.why(), draft=comp.body))]
    if coaching is not None:
        notes.append(turn.assist(*coaching))
    return turn.row(body=comp.body, mode=mode, status="suppressed",
                    suppressed_reason=f"reply_check:{check.rule}", published=notes,
                    **_cost(comp))


def drafted(turn: Turn, body: str, mode: str, send_after: datetime | None, comp: Composition,
            assist: tuple[str, str] | None = None) -> Reply:
    """A reply to send: its `ReplyDrafted` (and the agent's notice, if any) is what the
    claim publishes."""
    e, u, row = turn.event, comp.usage, turn.row
    reply = ReplyDrafted(
        event_id=derive_event_id(e.tenant_id, CONSUMER, turn.key), tenant_id=e.tenant_id,
        contact_id=e.contact_id, occurred_at=turn.now, received_at=e.received_at,
        causation_id=e.event_id, idempotency_key=turn.key, channel=turn.channel, body=body,
        mode=mode, reply_to_message_id=e.message_id, send_after=send_after, model=comp.model,
        input_tokens=u.input_tokens, output_tokens=u.output_tokens,
        cache_read_tokens=u.cache_read_tokens, cache_write_tokens=u.cache_write_tokens,
        cost_usd=comp.cost_usd, latency_ms=comp.latency_ms,
    )
    published = [reply.model_dump(mode="json")]
    if assist is not None:
        published.append(turn.assist(*assist))
    return row(body=body, mode=mode, send_after=send_after, published=published,
               **_cost(comp))


def _cost(comp: Composition) -> dict[str, Any]:
    """What the draft cost, stored with the reply (metrics and the bill read it)."""
    u = comp.usage
    return {"model": comp.model, "input_tokens": u.input_tokens,
            "output_tokens": u.output_tokens, "cache_read_tokens": u.cache_read_tokens,
            "cache_write_tokens": u.cache_write_tokens, "latency_ms": comp.latency_ms,
            "cost_usd": comp.cost_usd, "claude_outcome": comp.outcome}
