"""What the CRM write-back writes for one event (pure), as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.consent_ledger import Entry, Kind, Source
from workers.crm.plan import (
    Change,
    ContactState,
    CrmSettings,
    Write,
    lead_opt_out,
    note_body,
    plan,
)

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SETTINGS = CrmSettings(field_map={"budget_max": "fld-budget", "locations": "fld-areas"},
                       default_user="user-default")
STATE = ContactState(first_name="Ana", assigned_to="user-ana", summary="Buyer, 3 beds",
                     score="hot", score_reasons=("pre-approved",), next_questions=("When?",))


def handoff(**kw: Any) -> Change:
    return Change("ev-1", "c1", NOW, assist_reason="handoff",
                  assist_note="Lead asked to talk to a person. Wants a call at 5.", **kw)


def kinds(writes: list[Write]) -> list[str]:
    return [w.kind for w in writes]


def test_a_handoff_is_one_task_for_the_owner_and_the_note_created() -> None:
    writes = plan(handoff(), STATE, SETTINGS, HOUR)
    assert kinds(writes) == ["task", "note_create"]
    task = writes[0]
    assert task.key == "task:ev-1" and task.body["assignedTo"] == "user-ana"
    assert task.body["dueDate"] == "2026-12-03T15:00:00Z" and task.body["completed"] is False
    assert "Wants a call at 5" in task.body["body"]
    unowned = plan(handoff(), replace(STATE, assigned_to=None), SETTINGS, HOUR)[0]
    assert unowned.body["assignedTo"] == "user-default"


def test_a_possible_opt_out_is_a_task_a_person_must_decide() -> None:
    """No automated text goes until someone reads it: the agent gets a task, not only a
    line in the note (for a lead already opted out, nothing is left to decide)."""
    unsure = Change("ev-3", "c1", NOW, assist_reason="possible_opt_out",
                    assist_note="The lead's message may be a request to stop texting")
    writes = plan(unsure, STATE, SETTINGS, HOUR)
    assert kinds(writes) == ["task", "note_create"]
    assert writes[0].body["title"] == "Check Ana's consent: may have asked to stop texts"
    assert "record the answer" in writes[0].body["body"]
    assert writes[0].key == "task:ev-3" and writes[0].body["assignedTo"] == "user-ana"


def test_a_reply_in_doubt_is_one_task_to_check_the_conversation() -> None:
    """GHL may or may not have sent it and we never send it again: a person looks."""
    doubt = Change("ev-9", "c1", NOW, assist_reason="reply_in_doubt",
                   assist_note="GHL's answer (504) does not say. The reply: See you at 5?")
    writes = plan(doubt, replace(STATE, last_said="Can we meet?"), SETTINGS, HOUR)
    assert kinds(writes) == ["task"]  # the living note is not about deliveries
    task = writes[0]
    assert task.key == "task:ev-9" and task.body["assignedTo"] == "user-ana"
    assert task.body["title"] == "Check that Ana got the AI reply: GHL gave no clear answer"
    assert 'It answered: "Can we meet?"' in task.body["body"]
    assert "The reply: See you at 5?" in task.body["body"]


def test_the_living_note_is_updated_in_place_at_most_once_per_interval() -> None:
    noted = replace(STATE, note_id="note-1", note_updated_at=NOW - timedelta(minutes=5))
    coaching = Change("ev-2", "c1", NOW, assist_reason="coaching", assist_note="Ask about DP")
    assert plan(coaching, noted, SETTINGS, HOUR) == []  # updated 5 minutes ago
    later = replace(noted, note_updated_at=NOW - 2 * HOUR)
    [update] = plan(coaching, later, SETTINGS, HOUR)
    assert (update.kind, update.note_id) == ("note_update", "note-1")
    assert kinds(plan(handoff(), noted, SETTINGS, HOUR)) == ["task", "note_update"]  # at once
    body = update.body["body"]
    for part in ("Score: HOT (pre-approved)", "Summary: Buyer, 3 beds", "Still unknown: When?",
                 "coaching: Ask about DP"):
        assert part in body


def test_a_note_that_may_exist_is_not_created_again() -> None:
    assert kinds(plan(handoff(), replace(STATE, note_in_doubt=True), SETTINGS, HOUR)) == ["task"]


def test_score_tags_move_only_when_the_score_changes() -> None:
    warm = Change("ev-3", "c1", NOW, score="warm")
    [tags] = plan(warm, replace(STATE, score_tag="hot-lead"), SETTINGS, HOUR)
    assert tags.body == {"add": ["warm-lead"], "remove": ["hot-lead", "cold-lead"]}
    assert plan(warm, replace(STATE, score_tag="warm-lead"), SETTINGS, HOUR) == []
    custom = replace(SETTINGS, tag_names={"hot": "🔥", "warm": "warm", "cold": "cold"})
    assert plan(warm, STATE, custom, HOUR)[0].body["add"] == ["warm"]


def test_mapped_fields_are_written_when_their_value_changed() -> None:
    change = Change("ev-4", "c1", NOW, score="hot", profile={
        "budget_max": 450000, "locations": ["Austin", "Round Rock"], "bedrooms_min": 3})
    state = replace(STATE, score_tag="hot-lead")
    [fields] = plan(change, state, SETTINGS, HOUR)
    assert fields.body == {"customFields": [
        {"id": "fld-budget", "field_value": 450000},
        {"id": "fld-areas", "field_value": "Austin, Round Rock"}]}
    same = replace(state, fields={"fld-budget": 450000, "fld-areas": "Austin, Round Rock"})
    assert plan(change, same, SETTINGS, HOUR) == []


# The lead opted out in words (the ledger's opt-out in force), its write-back not yet made.
OUT = replace(STATE, opted_out=True, opt_out_entry="msg:m9:opted_out",
              opt_out_at=datetime(2026, 12, 2, 23, 30, tzinfo=UTC))
ALL_DND = ["SMS", "Email", "WhatsApp", "GMB", "FB", "Call"]
BY_REPLY = {"status": "active", "message": "Opted out by reply: 2026-12-02"}


def test_an_opted_out_lead_gets_its_note_but_no_task_no_score_tag_no_fields() -> None:
    change = Change("ev-5", "c1", NOW, score="cold", profile={"budget_max": 1})
    done = replace(OUT, opt_out_written=True)
    assert kinds(plan(handoff(), done, SETTINGS, HOUR)) == ["note_create"]  # no task
    assert plan(change, done, SETTINGS, HOUR) == []  # no cold-lead, no fields
    [untag] = plan(change, replace(done, score_tag="hot-lead"), SETTINGS, HOUR)
    assert untag.body == {"add": [], "remove": ["hot-lead"]}  # ours goes, none comes
    assert "OPTED OUT" in note_body(done, "x")


@pytest.mark.parametrize(("state", "settings", "dnd", "tags"), [
    # the lead's STOP of everything: every channel GHL knows, and the tag
    (OUT, SETTINGS, ALL_DND, ["opted-out"]),
    # channels whose DND the ledger shows on (GHL's own STOP handling set SMS) are skipped
    (replace(OUT, dnd_on=frozenset({"sms", "call"})), SETTINGS,
     ["Email", "WhatsApp", "GMB", "FB"], ["opted-out"]),
    # GHL's global DND already on: the tag only
    (replace(OUT, dnd_on=frozenset({"all"})), SETTINGS, None, ["opted-out"]),
    # an opt-out of one channel: that channel (a channel GHL has no DND for: none)
    (replace(OUT, opt_out_scope="email"), SETTINGS, ["Email"], ["opted-out"]),
    (replace(OUT, opt_out_scope="live_chat"), SETTINGS, None, ["opted-out"]),
    # the tenant's own tag name, or none
    (OUT, replace(SETTINGS, opted_out_tag="DNC"), ALL_DND, ["DNC"]),
    (OUT, replace(SETTINGS, opted_out_tag=""), ALL_DND, None),
    # the tag and DND are not the score tags: switching tags (or all) off keeps them
    (OUT, CrmSettings(tasks=False, notes=False, tags=False, fields=False), ALL_DND,
     ["opted-out"]),
])
def test_an_opt_out_in_words_sets_dnd_and_the_tag_once_per_entry(
    state: ContactState, settings: CrmSettings, dnd: list[str] | None,
    tags: list[str] | None,
) -> None:
    change = Change("ev-6", "c1", NOW, score="cold")
    writes = [w for w in plan(change, state, settings, HOUR) if w.kind == "opt_out"]
    [write] = writes
    assert write.key == "optout:c1:msg:m9:opted_out"  # per contact and ledger entry
    assert write.body.get("tags") == tags
    assert (list(write.body["dndSettings"]) if "dndSettings" in write.body else None) == dnd
    assert all(v == BY_REPLY for v in write.body.get("dndSettings", {}).values())
    # the same on a hand-off or coaching: it follows the state, not the event
    assert plan(handoff(), state, settings, HOUR)[:1] == writes


@pytest.mark.parametrize(("state", "why"), [
    (replace(OUT, opt_out_written=True), "made before for this entry"),
    (replace(OUT, opt_out_entry=None), "an agent or operator recorded it"),
    (replace(OUT, opted_out=False, opt_out_entry=None), "no opt-out in force"),
    (replace(OUT, dnd_on=frozenset({"all"})), "nothing left to set and no tag"),
])
def test_no_opt_out_write_back(state: ContactState, why: str) -> None:
    settings = replace(SETTINGS, opted_out_tag="") if "no tag" in why else SETTINGS
    for change in (Change("ev-7", "c1", NOW, score="cold"), handoff()):
        assert "opt_out" not in kinds(plan(change, state, settings, HOUR)), why


def test_an_opted_out_lead_writes_in_order_opt_out_untag_note() -> None:
    state = replace(OUT, score_tag="warm-lead", note_id="note-1")
    writes = plan(handoff(), state, SETTINGS, HOUR)
    assert kinds(writes) == ["opt_out", "tags", "note_update"]
    assert writes[1].body == {"add": [], "remove": ["warm-lead"]}
    # our score tag is never removed if it is the opted-out tag itself
    same = replace(SETTINGS, opted_out_tag="warm-lead")
    assert kinds(plan(handoff(), state, same, HOUR)) == ["opt_out", "note_update"]


def entry(n: int, kind: Kind, channel: str = "all",
          source: Source = Source.LEAD_MESSAGE) -> Entry:
    return Entry(f"e{n}", kind, channel, source, NOW + n * HOUR)


OPTED, RESUB = Kind.OPTED_OUT, Kind.RESUBSCRIBED


@pytest.mark.parametrize(("entries", "expected"), [
    ([], None),
    ([entry(1, OPTED)], "e1"),
    ([entry(1, OPTED), entry(2, OPTED)], "e2"),  # the latest: a new entry, a new write-back
    ([entry(1, OPTED), entry(2, RESUB)], None),
    ([entry(1, OPTED), entry(2, RESUB), entry(3, OPTED)], "e3"),
    ([entry(1, OPTED), entry(2, RESUB, "sms", Source.OPERATOR)], "e1"),  # all stays
    ([entry(1, OPTED, "sms"), entry(2, RESUB, "sms")], None),
    ([entry(1, OPTED, source=Source.OPERATOR)], None),  # not the lead's words
    ([entry(1, OPTED), entry(2, OPTED, source=Source.AGENT)], "e1"),  # not hidden by it
    ([entry(1, OPTED), entry(2, Kind.DND_OFF, "sms", Source.GHL)], "e1"),  # DND never lifts
])
def test_the_leads_own_opt_out_in_force(entries: list[Entry], expected: str | None) -> None:
    found = lead_opt_out(entries)
    assert (found.entry_id if found else None) == expected


def test_each_write_back_can_be_switched_off() -> None:
    off = CrmSettings(tasks=False, notes=False, tags=False, fields=False,
                      field_map={"budget_max": "f"})
    assert plan(handoff(), STATE, off, HOUR) == []
    assert plan(Change("e", "c1", NOW, score="warm", profile={"budget_max": 1}), STATE, off,
                HOUR) == []


def test_nothing_at_all_is_written_back_for_a_tenant_that_is_not_live() -> None:
    """Uninstalled (its write-backs stop at once, whatever the event), installed and not
    live yet, or no tenant: `CrmSettings.of` says so (`active`), and no call is planned, an
    opt-out's DND and tag included."""
    off = replace(SETTINGS, active=False)
    changes = [handoff(), Change("ev-8", "c1", NOW, score="hot", profile={"budget_max": 1}),
               Change("ev-9", "c1", NOW, assist_reason="coaching", assist_note="ask budget")]
    for state in (STATE, OUT, replace(OUT, score_tag="warm-lead", note_id="note-1")):
        assert any(plan(c, state, SETTINGS, HOUR) for c in changes)  # live: writes
        assert all(plan(c, state, off, HOUR) == [] for c in changes)


def test_the_living_note_says_when_the_next_follow_up_is() -> None:
    line = "Next follow-up: 2026-12-09 15:00 UTC (2 of 5)"
    body = note_body(replace(STATE, follow_up=line), "reply held")
    assert line in body and body.index(line) < body.index("Last change")
    assert "follow-up" not in note_body(STATE, "reply held").lower()


def test_the_living_note_says_when_the_lead_asked_us_to_wait() -> None:
    """An agent in GHL sees the pause and the hours the lead asked for, not only the AI."""
    asked = replace(STATE, paused_until=datetime(2027, 1, 2, 5, 0, tzinfo=UTC),
                    own_hours="20:00-00:00 sun")
    body = note_body(asked, "the lead asked us to wait")
    assert "no AI texts until 2027-01-02 05:00 UTC" in body
    assert "no AI texts 20:00-00:00 sun (its clock)" in body
    assert "wait" not in note_body(STATE, "x") and "own hours" not in note_body(STATE, "x")
