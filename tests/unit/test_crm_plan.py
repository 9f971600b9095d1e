"""What the CRM write-back writes for one event (pure), as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.crm.plan import Change, ContactState, CrmSettings, Write, note_body, plan

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


def test_an_opted_out_lead_gets_its_note_and_tags_only() -> None:
    out = replace(STATE, opted_out=True, score_tag="hot-lead")
    assert kinds(plan(handoff(), out, SETTINGS, HOUR)) == ["note_create"]
    change = Change("ev-5", "c1", NOW, score="cold", profile={"budget_max": 1})
    assert kinds(plan(change, out, SETTINGS, HOUR)) == ["tags"]
    assert "OPTED OUT" in note_body(out, "x")


def test_each_write_back_can_be_switched_off() -> None:
    off = CrmSettings(tasks=False, notes=False, tags=False, fields=False,
                      field_map={"budget_max": "f"})
    assert plan(handoff(), STATE, off, HOUR) == []
    assert plan(Change("e", "c1", NOW, score="warm", profile={"budget_max": 1}), STATE, off,
                HOUR) == []
