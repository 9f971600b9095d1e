"""The demo's account of what the later stages did: profiles, replies, hand-offs, and what
the agency sees in GHL (tasks, the living note, tags, fields)."""

from __future__ import annotations

import json
from typing import Any

from devtools.demo.tail import TopicTail
from devtools.fakes.ghl_api import FakeGHLAPI
from schemas import topics


def _latest_by_contact(tail: TopicTail, topic: str) -> dict[tuple[str, str], dict[str, Any]]:
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in tail.records[topic]:
        event = json.loads(rec.value)
        latest[(event["tenant_id"], event.get("contact_id") or "?")] = event
    return latest


def report_replies(tail: TopicTail, ghl: FakeGHLAPI) -> None:
    profiles = _latest_by_contact(tail, topics.LEAD_PROFILE_UPDATED)
    if profiles:
        print("  what the pipeline learned (latest profile per lead):")
        for (tenant, contact), event in sorted(profiles.items()):
            print(f"    {tenant:18} {contact:9} {event['score']:4} "
                  f"{json.dumps(event['profile'], separators=(',', ':'))}")
            if event.get("next_questions"):
                print(f"    {'':18} {'':9}      next: {event['next_questions'][0]}")
    drafted = [json.loads(r.value) for r in tail.records[topics.REPLIES_OUTBOUND]]
    if drafted:
        print("  replies drafted:")
        for reply in drafted:
            hold = f" (held until {reply['send_after']})" if reply.get("send_after") else ""
            print(f"    {reply['tenant_id']:18} {reply['contact_id']:9} [{reply['mode']}] "
                  f"{reply['body'][:90]!r}{hold}")
    print(f"  replies delivered to the GHL API: {len(ghl.delivered)}")
    for d in ghl.delivered:
        print(f"    {d.location_id:18} {d.contact_id:9} {d.type:5} {d.message[:80]!r}")
    for rec in tail.records[topics.AGENT_ASSIST]:
        event = json.loads(rec.value)
        print(f"  agent.assist {event['reason']:8} {event['tenant_id']:18} "
              f"{event['contact_id']:9} {event['note'][:80]!r}")


def report_crm(ghl: FakeGHLAPI) -> None:
    """Per lead, what an agent of the agency sees on the contact in GHL."""
    if not ghl.contacts:
        print("  what the agencies see in GHL: nothing written back yet")
        return
    print("  what the agencies see in GHL (written back by the outbound connector):")
    for (location, contact), seen in sorted(ghl.contacts.items()):
        tags = ", ".join(seen.tags) or "-"
        fields = json.dumps(seen.custom_fields, separators=(",", ":")) if seen.custom_fields \
            else "-"
        print(f"    {location:18} {contact:9} tags: {tags}; fields: {fields}")
        for task in seen.tasks:
            print(f"    {'':18} {'':9} task: {task['title']!r} (assigned to "
                  f"{task.get('assignedTo', 'nobody')}, due {task['dueDate']})")
        for note in seen.notes.values():
            last = note["body"].rsplit("Last change: ", 1)[-1]
            print(f"    {'':18} {'':9} note ({seen.note_updates} update(s)): "
                  f"last change {last[:90]!r}")
