"""The responder's pure core (`workers.responder.draft`): the lead's context merged with the
event, the consent state, the turn's ids, and every row (with what its claim publishes) the
shell claims: silence, the opt-out confirmation, the hand-off, Claude's draft sent or held."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.context import ContactInfo, ContextMessage, LeadContext, MemoryPart, ProfilePart
from schemas.envelope import derive_event_id
from schemas.events import AgentAssistRequested, ProfileUpdated, ReplyDrafted
from workers.claude import Usage
from workers.consent.reply_check import Finding, ReplyCheck, ReplyFacts, check_reply
from workers.consent_ledger import ALL, NONE, Consent, Entry, Kind, Source, fold
from workers.leads import Lead, consent_state
from workers.replies.row import Reply
from workers.responder import draft, guards, modes
from workers.responder.compose import Composition
from workers.responder.store import LeadFacts
from workers.responder.tenant import TenantProfile

NOW = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
ASKED = NOW - timedelta(minutes=1)
# 09:00 in El Paso: a lead in Texas may be in Mountain time, and Texas sends from 9:00
MORNING = datetime(2026, 11, 11, 16, 0, tzinfo=UTC)
TENANT = TenantProfile("locA", name="Lone Star Realty", reply_channels=frozenset({"sms",
                                                                                  "email"}))
# The lead as the responder's own statement reads it (`workers.leads`): its consent rests
# on this, not on the cached context.
LEAD = Lead("locA", "c1", known=True, first_name="Ana", timezone="America/Chicago", state="TX")
FACTS = LeadFacts(tenant=TENANT, lead=LEAD)


def with_lead(consent: Consent = NONE, **lead: Any) -> LeadFacts:
    return replace(FACTS, lead=replace(LEAD, consent=consent, **lead))
QUESTION = "When are you hoping to move?"
PLAN = modes.Plan("buyer_qualification", "Ask the most valuable question.", QUESTION)
CLAUDE = Composition("Great, Ana! When are you hoping to move?", "ok", "claude-sonnet-4-6",
                     Usage(input_tokens=1200, output_tokens=40, cache_read_tokens=900,
                           cache_write_tokens=300), 0.0123, 842.5)
FALLBACK = Composition(modes.fallback_text(PLAN, "Ana"), "not_configured")
HELD_CHECK = check_reply("Call Maria at (512) 555-0199 or see evil.com", ReplyFacts())


def msg(body: str, message_id: str | None = None, *, minute: int = 0,
        direction: str = "inbound", sender: str = "lead", channel: str = "sms"
        ) -> ContextMessage:
    return ContextMessage(direction=direction, sender=sender, channel=channel, body=body,
                          at=ASKED - timedelta(minutes=30 - minute), message_id=message_id)


GREETING = msg("Hi Ana! Buying or selling?", direction="outbound", sender="ai")
M1 = msg("looking for 3 beds in Round Rock", "m1", minute=1)
M2 = msg("budget around 450k", "m2", minute=2)


def context(*recent: ContextMessage, **memory: Any) -> LeadContext:
    contact = ContactInfo(first_name="Ana", name="Ana Ruiz", timezone="America/Chicago",
                          state="TX")
    return LeadContext(
        memory=MemoryPart(tenant_id="locA", contact_id="c1", contact=contact,
                          recent=list(recent), **memory),
        profile=ProfilePart(tenant_id="locA", contact_id="c1", profile={"intent": "sell"},
                            score="cold", score_reasons=["cached"],
                            qualification={"open": ["timeline"]},
                            next_questions=["cached question"], version=3))


CTX = context(GREETING, M1, M2)


def event(**change: Any) -> ProfileUpdated:
    fields: dict[str, Any] = {
        "event_id": "ev-2", "tenant_id": "locA", "contact_id": "c1", "occurred_at": ASKED,
        "received_at": ASKED - timedelta(seconds=2), "causation_id": "mem-2",
        "profile": {"intent": "buy", "budget_max": 450_000, "bedrooms_min": 3},
        "score": "warm", "score_reasons": ["budget stated"], "next_questions": [QUESTION],
        "message_id": "m2", "channel": "sms", "reply_needed": True}
    return ProfileUpdated(**{**fields, **change})


def turn(ev: ProfileUpdated | None = None, ctx: LeadContext = CTX,
         now: datetime = NOW) -> draft.Turn:
    return draft.Turn.of(ev or event(), ctx, now)


def validated(row: Reply) -> list[ReplyDrafted | AgentAssistRequested]:
    """What the row's claim publishes, each entry read back as its event model."""
    models: dict[str, type[ReplyDrafted | AgentAssistRequested]] = {
        "reply.drafted": ReplyDrafted, "agent.assist": AgentAssistRequested}
    out = [models[raw["type"]].model_validate(raw) for raw in row.published]
    for e in out:
        assert (e.tenant_id, e.contact_id, e.occurred_at) == (row.tenant_id, row.contact_id,
                                                              row.created_at)
    return out


def assists(row: Reply) -> dict[str, str]:
    return {e.reason: e.note for e in validated(row) if isinstance(e, AgentAssistRequested)}


def drafted_events(row: Reply) -> list[ReplyDrafted]:
    return [e for e in validated(row) if isinstance(e, ReplyDrafted)]


# --- the event and the lead's context -------------------------------------------------------

@pytest.mark.parametrize(("change", "key"), [
    ({}, "m2"),
    ({"message_id": None}, "ev-2"),
])
def test_the_reply_key_is_the_message_answered_else_the_event(change: dict[str, Any],
                                                              key: str) -> None:
    assert draft.reply_key(event(**change)) == key


@pytest.mark.parametrize(("channel", "recent", "expect"), [
    ("email", (GREETING, M1), "email"),  # the event's channel wins
    (None, (M1, msg("hi", "m2", minute=2, channel="whatsapp")), "whatsapp"),
    # the last inbound message, not the later outbound one
    (None, (msg("hi", "m1", channel="fb"), msg("hello", direction="outbound", sender="ai",
                                               channel="email", minute=5)), "fb"),
    (None, (GREETING,), "sms"),
    (None, (), "sms"),
])
def test_reply_channel(channel: str | None, recent: tuple[ContextMessage, ...],
                       expect: str) -> None:
    assert draft.reply_channel(event(channel=channel), context(*recent)) == expect


@pytest.mark.parametrize(("message_id", "recent", "expect"), [
    ("m2", (GREETING, M1, M2), False),  # the latest message
    ("m1", (GREETING, M1, M2), True),  # the lead wrote again
    ("m2", (M1, M2, msg("Sure!", direction="outbound", sender="ai", minute=5)), False),
    ("m9", (M1, M2), False),  # not in the context: nothing says it was followed
    (None, (M1, M2), False),
    (None, (msg("hi", minute=1), M2), False),  # no id to match: an id-less message is not it
])
def test_superseded(message_id: str | None, recent: tuple[ContextMessage, ...],
                    expect: bool) -> None:
    assert draft.superseded(event(message_id=message_id), context(*recent)) is expect


def test_the_events_profile_replaces_the_cached_one() -> None:
    ev = event(score="hot", score_reasons=["pre-approved"], next_questions=["Which area?"])
    merged = draft.merged_context(CTX, ev)
    p = merged.profile
    assert (p.profile, p.score, p.score_reasons, p.next_questions) == (
        ev.profile, "hot", ["pre-approved"], ["Which area?"])
    # What the event does not carry stays as cached; the memory part is untouched.
    assert (p.qualification, p.version, p.tenant_id) == ({"open": ["timeline"]}, 3, "locA")
    assert merged.memory == CTX.memory
    assert CTX.profile.score == "cold" and CTX.profile.profile == {"intent": "sell"}


STOP = msg("STOP", "m3", minute=3)


STOPPED = fold([Entry("m3:o", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, NOW, "m3")])


def test_consent_is_the_recorded_one_not_the_messages() -> None:
    """A STOP in the context's messages is not read here (memory recorded it in the ledger,
    or, quoted or in other words, did not)."""
    ctx = context(GREETING, M1, M2, STOP)
    assert not turn(event(message_id="m3"), ctx).guard_input(ctx, FACTS).consent.ledger \
        .any_opt_out
    stopped = turn(event(message_id="m2"), ctx).guard_input(ctx, with_lead(STOPPED)).consent
    assert stopped.ledger.opted_out_of("sms")


@pytest.mark.parametrize(("facts", "ev", "ctx", "expect"), [
    (FACTS, event(), CTX, {"human_takeover": False, "ai_enabled": True}),
    (with_lead(STOPPED), event(), CTX, {"ledger": STOPPED}),
    # The learned profile's flag is not consent: the ledger is.
    (FACTS, event(profile={"opted_out": True}), CTX, {"ledger": NONE}),
    (with_lead(human_takeover=True), event(), CTX, {"human_takeover": True}),
    # The stored contact counts, not the cached context's copy of it.
    (FACTS, event(), context(M1, M2, human_takeover=True), {"human_takeover": False}),
    (replace(FACTS, tenant=replace(TENANT, ai_enabled=False)), event(), CTX,
     {"ai_enabled": False, "reply_channels": frozenset({"sms", "email"})}),
])
def test_consent_state_carries_the_tenants_and_the_leads_flags(
        facts: LeadFacts, ev: ProfileUpdated, ctx: LeadContext, expect: dict[str, Any]) -> None:
    state = turn(ev, ctx).guard_input(ctx, facts).consent
    assert {k: getattr(state, k) for k in expect} == expect
    assert str(state.zone) == "America/Chicago"


# --- the turn: ids and the row ----------------------------------------------------------------

def test_a_turn_is_keyed_by_the_message_on_one_clock() -> None:
    t = turn(event(channel=None), context(M1, msg("hola", "m2", minute=2, channel="whatsapp")))
    assert (t.key, t.channel, t.now) == ("m2", "whatsapp", NOW)


def test_the_row_carries_the_turn() -> None:
    row = turn().row(body="hi", mode="buyer_qualification")
    assert (row.tenant_id, row.contact_id, row.idempotency_key, row.reply_to_message_id,
            row.channel, row.created_at) == ("locA", "c1", "m2", "m2", "sms", NOW)
    assert (row.body, row.mode, row.status) == ("hi", "buyer_qualification", "drafted")
    # The ids the worker derived before the core was extracted: a redelivery across the
    # upgrade finds the same reply and the same events.
    assert row.event_id == derive_event_id("locA", "responder", "m2")
    assert turn().assist("coaching", "n")["event_id"] == derive_event_id(
        "locA", "responder", "m2", "assist", "coaching")


def test_a_message_without_id_is_keyed_by_its_event() -> None:
    t = turn(event(message_id=None))
    row = t.row(body="", mode="none")
    assert (row.idempotency_key, row.reply_to_message_id) == ("ev-2", None)
    assert row.event_id == derive_event_id("locA", "responder", "ev-2")


def test_ids_are_derived_the_same_on_redelivery() -> None:
    first, again = turn(), turn(event(), context(GREETING, M1, M2))
    assert first.row(body="b", mode="m") == again.row(body="b", mode="m")
    assert first.assist("handoff", "n") == again.assist("handoff", "n")
    # Built end to end, the rows and every event they publish are equal too.
    assert draft.composed(first, guards.Verdict("reply", "ok"), PLAN, CLAUDE, None) == \
        draft.composed(again, guards.Verdict("reply", "ok"), PLAN, CLAUDE, None)


def test_another_message_or_reason_derives_other_ids() -> None:
    one, other = turn(), turn(event(message_id="m1"))
    assert one.row(body="b", mode="m").event_id != other.row(body="b", mode="m").event_id
    assert one.assist("coaching", "n")["event_id"] != other.assist("coaching", "n")["event_id"]
    ids = {one.assist(reason, "n")["event_id"] for reason in
           ("handoff", "coaching", "human_takeover", "possible_opt_out", "reply_held")}
    assert len(ids) == 5 and one.row(body="b", mode="m").event_id not in ids


def test_the_assist_event() -> None:
    ev = event()
    raw = turn(ev).assist("handoff", "Call her.")
    note = AgentAssistRequested.model_validate(raw)
    assert (note.reason, note.note, note.causation_id, note.occurred_at, note.received_at,
            note.contact_id) == ("handoff", "Call her.", "ev-2", NOW, ev.received_at, "c1")


def test_the_guard_input() -> None:
    ev = event(message_id="m1", profile={"wants_human": True})
    facts = replace(FACTS, opt_out_confirmed=True)
    g = turn(ev).guard_input(CTX, facts)
    assert (g.channel, g.opt_out_confirmed, g.wants_human, g.asked_at, g.superseded) == (
        "sms", True, True, ASKED, True)
    assert g.consent == consent_state(facts.tenant, facts.lead)


# --- without Claude ---------------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "notes"), [
    ("human_takeover", {"human_takeover"}),
    ("possible_opt_out", {"possible_opt_out"}),
    ("dnd", set()),
    ("superseded", set()),
    ("opted_out", set()),
    ("ai_disabled", set()),
])
def test_silence(reason: str, notes: set[str]) -> None:
    ev = event(score="hot")
    row = draft.without_claude(turn(ev), guards.Verdict("suppress", reason), FACTS, CTX, PLAN)
    assert row is not None
    assert (row.status, row.mode, row.body, row.suppressed_reason, row.send_after) == (
        "suppressed", "none", "", reason, None)
    assert (row.model, row.claude_outcome, row.cost_usd) == (None, None, 0.0)
    assert not drafted_events(row)
    got = assists(row)
    assert set(got) == notes
    if reason == "human_takeover":  # the agent who took over gets the coaching
        assert got[reason] == modes.coaching_note(ev.profile, "hot", ev.score_reasons, PLAN)
    if reason == "possible_opt_out":
        assert got[reason] == draft.POSSIBLE_OPT_OUT


def test_only_the_message_that_made_consent_unsure_asks_a_person() -> None:
    """One notice (and so one task) per open question: the lead's later messages while it
    is open stay silent."""
    unsure = fold([Entry("m2:u", Kind.UNSURE, ALL, Source.LEAD_MESSAGE, NOW, "m2")])
    silence = guards.Verdict("suppress", "possible_opt_out")
    first = draft.without_claude(turn(event(message_id="m2")), silence,
                                 with_lead(unsure), CTX, PLAN)
    later = draft.without_claude(turn(event(message_id="m3")), silence,
                                 with_lead(unsure), CTX, PLAN)
    assert first is not None and set(assists(first)) == {"possible_opt_out"}
    assert later is not None and assists(later) == {}
    assert later.suppressed_reason == "possible_opt_out"


@pytest.mark.parametrize(("name", "said"), [
    ("Lone Star Realty", "Lone Star Realty messages"),
    (None, "our messages"),
])
def test_the_opt_out_confirmation(name: str | None, said: str) -> None:
    facts = replace(FACTS, tenant=replace(TENANT, name=name))
    verdict = guards.Verdict("opt_out_confirmation", "opted_out", send_after=MORNING)
    row = draft.without_claude(turn(), verdict, facts, CTX, PLAN)
    assert row is not None
    assert row.body == modes.opt_out_text(name) and said in row.body
    assert (row.status, row.mode, row.send_after, row.claude_outcome, row.model) == (
        "drafted", "opt_out_confirmation", None, "deterministic", None)  # sent at once
    (sent,) = validated(row)
    assert isinstance(sent, ReplyDrafted)
    assert (sent.body, sent.mode, sent.send_after, sent.event_id) == (
        row.body, "opt_out_confirmation", None, row.event_id)


@pytest.mark.parametrize("send_after", [None, MORNING])
def test_the_handoff(send_after: datetime | None) -> None:
    ev = event(profile={"wants_human": True})
    row = draft.without_claude(turn(ev), guards.Verdict("handoff", "wants_human", send_after),
                               FACTS, CTX, PLAN)
    assert row is not None
    assert row.body == modes.handoff_text("Ana") and row.body.startswith("Of course, Ana")
    assert (row.status, row.mode, row.send_after, row.claude_outcome, row.input_tokens) == (
        "drafted", "handoff", send_after, "deterministic", 0)
    sent, note = validated(row)
    assert isinstance(sent, ReplyDrafted) and isinstance(note, AgentAssistRequested)
    assert (sent.mode, sent.body, sent.send_after) == ("handoff", row.body, send_after)
    assert note.reason == "handoff"
    assert note.note.startswith("Lead asked to talk to a person. ")
    assert note.note.removeprefix("Lead asked to talk to a person. ") == modes.coaching_note(
        ev.profile, ev.score, ev.score_reasons, PLAN)


@pytest.mark.parametrize("verdict", [guards.Verdict("reply", "ok"),
                                     guards.Verdict("reply", "ok", MORNING)])
def test_a_reply_needs_claude(verdict: guards.Verdict) -> None:
    assert draft.without_claude(turn(), verdict, FACTS, CTX, PLAN) is None


# --- Claude's text (or the fallback) ----------------------------------------------------------

def cost(row: Reply | ReplyDrafted) -> tuple[Any, ...]:
    return (row.model, row.input_tokens, row.output_tokens, row.cache_read_tokens,
            row.cache_write_tokens, row.latency_ms, row.cost_usd)


CLAUDE_COST = ("claude-sonnet-4-6", 1200, 40, 900, 300, 842.5, 0.0123)


@pytest.mark.parametrize(("comp", "check"), [
    (CLAUDE, check_reply(CLAUDE.body, ReplyFacts())),  # Claude's text, checked: ok
    (CLAUDE, ReplyCheck()),
    (FALLBACK, None),  # the fallback's own text is not checked
])
@pytest.mark.parametrize("send_after", [None, MORNING])
def test_a_draft_to_send(comp: Composition, check: ReplyCheck | None,
                         send_after: datetime | None) -> None:
    ev = event()
    row = draft.composed(turn(ev), guards.Verdict("reply", "ok", send_after), PLAN, comp,
                         check)
    assert (row.status, row.suppressed_reason, row.body, row.mode, row.send_after) == (
        "drafted", None, comp.body, "buyer_qualification", send_after)
    assert row.claude_outcome == comp.outcome
    assert cost(row) == (CLAUDE_COST if comp is CLAUDE else (None, 0, 0, 0, 0, None, 0.0))
    (sent,) = validated(row)  # a warm lead: no coaching
    assert isinstance(sent, ReplyDrafted)
    assert (sent.event_id, sent.idempotency_key, sent.channel, sent.body, sent.mode,
            sent.reply_to_message_id, sent.send_after, sent.causation_id, sent.received_at) == (
        row.event_id, "m2", "sms", comp.body, "buyer_qualification", "m2", send_after,
        "ev-2", ev.received_at)
    assert cost(sent) == cost(row)


def test_a_hot_lead_also_gets_coaching() -> None:
    ev = event(score="hot", score_reasons=["pre-approved", "moving in 30 days"])
    row = draft.composed(turn(ev), guards.Verdict("reply", "ok"), PLAN, CLAUDE, ReplyCheck())
    sent, note = validated(row)
    assert isinstance(sent, ReplyDrafted) and isinstance(note, AgentAssistRequested)
    assert note.reason == "coaching" and note.note.startswith("HOT lead (pre-approved;")
    assert note.note == modes.coaching_note(ev.profile, "hot", ev.score_reasons, PLAN)
    assert row.status == "drafted"


@pytest.mark.parametrize(("check", "rule"), [
    (HELD_CHECK, "phone"),  # also a foreign link: the first rule names the reason
    (check_reply("We'll waive the commission, Ana!", ReplyFacts()), "commitment"),
    (ReplyCheck((Finding("link", "evil.com"),)), "link"),
])
@pytest.mark.parametrize("score", ["warm", "hot"])
def test_a_draft_the_check_stops_is_held_for_the_agent(check: ReplyCheck, rule: str,
                                                       score: str) -> None:
    ev = event(score=score)
    comp = replace(CLAUDE, body="Great, Ana! " + ", ".join(f.found for f in check.findings))
    row = draft.composed(turn(ev), guards.Verdict("reply", "ok", MORNING), PLAN, comp, check)
    assert not check.ok and check.rule == rule
    assert (row.status, row.suppressed_reason, row.body, row.mode, row.claude_outcome) == (
        "suppressed", f"reply_check:{rule}", comp.body, "buyer_qualification", "ok")
    assert cost(row) == CLAUDE_COST  # Claude was paid: the cost is kept
    assert row.send_after is None
    assert not drafted_events(row)  # nothing goes to the lead
    got = assists(row)
    assert list(got) == (["reply_held", "coaching"] if score == "hot" else ["reply_held"])
    assert comp.body in got["reply_held"]
    assert got["reply_held"] == draft.REPLY_HELD.format(why=check.why(), draft=comp.body)
    if score == "hot":
        assert got["coaching"] == modes.coaching_note(ev.profile, "hot", ev.score_reasons,
                                                      PLAN)


def test_the_held_note_names_every_rule_broken() -> None:
    row = draft.composed(turn(), guards.Verdict("reply", "ok"), PLAN, CLAUDE, HELD_CHECK)
    note = assists(row)["reply_held"]
    assert "phone number" in note and "'(512) 555-0199'" in note
    assert "link outside your allowed domains" in note and "'evil.com'" in note


# --- the core as the shell runs it ------------------------------------------------------------

NIGHT = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)  # 22:00 in Chicago


# What memory recorded of the lead's words m2 (the ledger), beside the context.
M2_STOP = fold([Entry("m2:o", Kind.OPTED_OUT, ALL, Source.LEAD_MESSAGE, NOW, "m2")])
M2_UNSURE = fold([Entry("m2:u", Kind.UNSURE, ALL, Source.LEAD_MESSAGE, NOW, "m2")])
LEAD_TAKEN_OVER = replace(LEAD, human_takeover=True)


@pytest.mark.parametrize(("ctx", "ev", "now", "consent", "expect"), [
    (CTX, event(), NOW, NONE, ("reply", "ok", None)),
    (CTX, event(message_id="m1"), NOW, NONE, ("suppress", "superseded", "none")),
    (context(M1, M2, human_takeover=True), event(), NOW, LEAD_TAKEN_OVER,
     ("suppress", "human_takeover", "none")),
    (context(M1, msg("who is this? wrong number", "m2", minute=2)), event(), NOW, M2_UNSURE,
     ("suppress", "possible_opt_out", "none")),
    (context(M1, msg("STOP", "m2", minute=2)), event(), NOW, M2_STOP,
     ("opt_out_confirmation", "opted_out", "opt_out_confirmation")),
    # the STOP came after the message answered: only the STOP's own reply confirms it
    (context(M1, msg("STOP", "m2", minute=2)), event(message_id="m1"), NOW, M2_STOP,
     ("suppress", "opted_out", "none")),
    (CTX, event(profile={"wants_human": True}), NOW, NONE,
     ("handoff", "wants_human", "handoff")),
    (CTX, event(profile={"wants_human": True}, occurred_at=NIGHT), NIGHT, NONE,
     ("handoff", "wants_human", "handoff")),
])
def test_the_decision_and_its_row(ctx: LeadContext, ev: ProfileUpdated, now: datetime,
                                  consent: Consent | Lead,
                                  expect: tuple[str, str, str | None]) -> None:
    merged = draft.merged_context(ctx, ev)
    t = draft.Turn.of(ev, ctx, now)
    facts = replace(FACTS, lead=consent) if isinstance(consent, Lead) else with_lead(consent)
    verdict = guards.decide(t.guard_input(merged, facts), now)
    assert (verdict.action, verdict.reason) == expect[:2]
    row = draft.without_claude(t, verdict, FACTS, merged, PLAN)
    if expect[2] is None:
        assert row is None
        return
    assert row is not None and row.mode == expect[2] and row.created_at == now
    assert row.send_after == (MORNING if now == NIGHT else None)
    validated(row)
