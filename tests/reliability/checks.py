"""What must hold once the stream has drained, and the figures the suite prints.

The checks read the outcome from where a user would look: Postgres (as the admin, across the
suite's tenants), what the fake GHL API delivered, what the fake Claude saw, and
`pipeline.dlq`. Every violation is collected (not asserted one by one), so a failing run
reports all it found.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from devtools.fakes.ghl_api import DeliveredMessage
from devtools.fakes.messages_api import FakeMessagesAPI
from tests.reliability.stream import MARKER, Lead, Stream, marker
from workers.runtime.kafka import consumer_lag, topic_partitions

SECRET = re.compile(r"sw[0-9a-f]{10}")
FINE = (None, "ok", "deterministic")  # Claude answered, or was not asked (confirmations)


# --- draining -------------------------------------------------------------------------------
async def total_lag(bootstrap: str,
                    groups: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, int]:
    """Lag per worker group (sum over its topics' partitions); `groups` maps a worker to
    its consumer group and topics."""
    return {name: sum((await consumer_lag(bootstrap, group, topics)).values())
            for name, (group, topics) in groups.items()}


async def wait_drained(bootstrap: str, groups: dict[str, tuple[str, tuple[str, ...]]], *,
                       timeout_s: float, stable_sweeps: int = 3) -> dict[str, int]:
    """Until every group's lag is 0 in `stable_sweeps` consecutive sweeps a second apart.

    One zero sweep is not enough: memory also consumes what outbound produces, so a stage
    can get new work after it was seen idle. Returns the last lag seen (all zero, or what
    was still pending at the timeout)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    zero = 0
    lag: dict[str, int] = {}
    while loop.time() < deadline:
        lag = await total_lag(bootstrap, groups)
        zero = zero + 1 if not any(lag.values()) else 0
        if zero >= stable_sweeps:
            return lag
        await asyncio.sleep(1.0)
    return lag


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = await topic_partitions(bootstrap, [topic])
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        seen: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(records)
        return seen
    finally:
        await consumer.stop()


# --- the outcome ----------------------------------------------------------------------------
@dataclass
class Snapshot:
    contacts: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    replies: list[dict[str, Any]]


async def snapshot(admin_url: str, tenants: list[str]) -> Snapshot:
    conn = await asyncpg.connect(admin_url)
    try:
        async def rows(query: str) -> list[dict[str, Any]]:
            return [dict(r) for r in await conn.fetch(query, tenants)]

        return Snapshot(
            contacts=await rows("SELECT tenant_id, contact_id FROM contacts "
                                "WHERE tenant_id = ANY($1)"),
            messages=await rows("SELECT tenant_id, message_id, contact_id, direction, sender, "
                                "body, reply_key FROM messages WHERE tenant_id = ANY($1)"),
            replies=await rows("SELECT tenant_id, idempotency_key, contact_id, body, mode, "
                               "status, suppressed_reason, ghl_message_id, claude_outcome "
                               "FROM replies WHERE tenant_id = ANY($1)"),
        )
    finally:
        await conn.close()


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        self.problems.append(text)


def allowed_decisions(lead: Lead, confirmation_at: int | None) -> list[set[str]]:
    """For each inbound message of `lead` (in order), the decisions it may end with.

    A decision is a reply status (`sent`; `sending` = in doubt) or `suppressed:<reason>`
    (decided when drafting, or at the moment of sending: the consent check before each send).
    Which message carries an opt-out's confirmation (the STOP, or an earlier message whose
    profile already saw the STOP) and whether the first message of a taken-over lead saw the
    takeover depend on timing; everything else is fixed by the lead's kind and order."""
    ids = lead.inbound
    out: list[set[str]] = []
    for i, mid in enumerate(ids):
        last = i == len(ids) - 1
        # A later message, stored (superseded) or still on its way to memory (in_flight: it
        # may be a STOP), holds back the reply to an earlier one.
        can = {"sent", "sending"} | (set() if last else {"suppressed:superseded",
                                                         "suppressed:in_flight"})
        if lead.kind == "opt_out":
            assert lead.stop_id is not None
            stop = ids.index(lead.stop_id)
            if (confirmation_at is not None and i > confirmation_at) or i > stop:
                can = {"suppressed:opted_out"}
            elif i < stop:  # its reply was still unsent when the STOP came: blocked at send
                can = can | {"suppressed:opted_out"}
        elif lead.kind == "takeover":
            can = {"suppressed:human_takeover"} if mid in lead.after_takeover else \
                can | {"suppressed:human_takeover"}
        out.append(can)
    return out


def evaluate(stream: Stream, snap: Snapshot, delivered: list[DeliveredMessage],
             claude: FakeMessagesAPI, dlq: list[ConsumerRecord[bytes, bytes]]) -> Outcome:
    out = Outcome()
    tenant_of = stream.tenant_of_contact()
    secret_of = {t.id: t.secret for t in stream.tenants}
    lost: list[str] = []

    # Contacts: each lead exactly once, nothing else (poison never became a contact).
    have = Counter((r["tenant_id"], r["contact_id"]) for r in snap.contacts)
    want = {(lead.tenant, lead.contact) for lead in stream.leads}
    lost += [f"contact {c} missing" for c in sorted(want - set(have))]
    for extra in sorted(set(have) - want):
        out.problem(f"unexpected contact {extra}")

    # Messages: one row per GHL message id; inbound and human ones exactly as sent.
    by_id = Counter((r["tenant_id"], r["message_id"]) for r in snap.messages)
    dup_rows = [k for k, n in by_id.items() if n > 1]
    out.problems += [f"message row duplicated: {k}" for k in dup_rows]
    inbound = {(r["tenant_id"], r["message_id"]) for r in snap.messages
               if r["direction"] == "inbound"}
    want_in = {(lead.tenant, m) for lead in stream.leads for m in lead.inbound}
    lost += [f"inbound message {k} not stored" for k in sorted(want_in - inbound)]
    out.problems += [f"unexpected inbound message {k}" for k in sorted(inbound - want_in)]
    human = {(r["tenant_id"], r["message_id"]) for r in snap.messages if r["sender"] == "human"}
    want_human = {(lead.tenant, m) for lead in stream.leads for m in lead.human}
    lost += [f"human message {k} not stored" for k in sorted(want_human - human)]
    for r in snap.messages:
        foreign = set(SECRET.findall(r["body"] or "")) - {secret_of[r["tenant_id"]]}
        if foreign:
            out.problem(f"tenant {r['tenant_id']} stores another tenant's words: {r['body']!r}")

    # Replies: one decision per inbound lead message, each one allowed for its place.
    replies = {(r["tenant_id"], r["idempotency_key"]): r for r in snap.replies}
    statuses: Counter[str] = Counter()
    for lead in stream.leads:
        rows = [replies.get((lead.tenant, m)) for m in lead.inbound]
        decisions = [None if r is None else r["status"] if r["status"] != "suppressed"
                     else f"suppressed:{r['suppressed_reason']}" for r in rows]
        confirmations = [i for i, r in enumerate(rows)
                         if r is not None and r["mode"] == "opt_out_confirmation"]
        if lead.kind == "opt_out":
            if len(confirmations) != 1:
                out.problem(f"opt-out lead {lead.contact}: {len(confirmations)} confirmations "
                            f"({decisions})")
        elif confirmations:
            out.problem(f"lead {lead.contact} got an opt-out confirmation ({decisions})")
        allowed = allowed_decisions(lead, confirmations[0] if confirmations else None)
        for mid, decision, can in zip(lead.inbound, decisions, allowed, strict=True):
            statuses[decision or "missing"] += 1
            if decision is None:
                lost.append(f"message {lead.tenant}/{mid} has no reply decision")
            elif decision in ("drafted", "held", "failed"):
                lost.append(f"reply to {lead.tenant}/{mid} ended {decision}")
            elif decision not in can:
                out.problem(f"{lead.kind} lead {lead.contact}: message {mid} ended "
                            f"{decision}, allowed {sorted(can)} (all: {decisions})")
    # A reply Claude wrote answers its own message: the latest one of its own lead (a stale
    # or foreign context would make it quote another).
    for r in snap.replies:
        if r["status"] in ("sent", "sending") and r["claude_outcome"] == "ok":
            own = marker(secret_of[r["tenant_id"]], r["idempotency_key"])
            quoted = ["[{} {} {}]".format(*m) for m in MARKER.findall(r["body"])]
            if quoted != [own]:
                out.problem(f"reply to {r['tenant_id']}/{r['idempotency_key']} answers "
                            f"{quoted or 'no marked message'}, not {own}")
    extra_replies = set(replies) - want_in
    out.problems += [f"reply without an inbound message: {k}" for k in sorted(extra_replies)]

    # Delivered at GHL: each one is exactly one sent reply (by GHL's message id), or the
    # in-doubt reply it matches; anything else was sent twice or from nowhere.
    sent = {r["ghl_message_id"]: r for r in snap.replies if r["status"] == "sent"}
    in_doubt = [r for r in snap.replies if r["status"] == "sending"]
    pending = defaultdict(list)
    for r in in_doubt:
        pending[(r["tenant_id"], r["contact_id"], r["body"])].append(r)
    seen_ids: Counter[str] = Counter(d.message_id for d in delivered)
    duplicated: list[str] = []
    in_doubt_delivered = 0
    for d in delivered:
        owner = tenant_of.get(d.contact_id)
        if owner != d.location_id:
            out.problem(f"reply to {d.contact_id} (tenant {owner}) went to location "
                        f"{d.location_id}")
        foreign = set(SECRET.findall(d.message)) - {secret_of.get(d.location_id, "")}
        if foreign:
            out.problem(f"reply at {d.location_id} carries another tenant's words: "
                        f"{d.message!r}")
        for _, contact, _ in MARKER.findall(d.message):
            if contact != d.contact_id:
                out.problem(f"reply to {d.contact_id} quotes lead {contact}: {d.message!r}")
        reply = sent.get(d.message_id)
        if reply is not None:
            if (reply["tenant_id"], reply["contact_id"]) != (d.location_id, d.contact_id):
                out.problem(f"delivered {d.message_id} does not match its reply {reply}")
            continue
        candidates = pending.get((d.location_id, d.contact_id, d.message))
        if candidates:
            candidates.pop()
            in_doubt_delivered += 1
        else:
            duplicated.append(f"{d.location_id}/{d.contact_id}: {d.message[:60]!r}")
    for ghl_id, reply in sent.items():
        if seen_ids[ghl_id] != 1:
            out.problem(f"reply {reply['idempotency_key']} is 'sent' as {ghl_id} but GHL "
                        f"has it {seen_ids[ghl_id]} times")
    ai_rows = {(r["tenant_id"], r["message_id"]) for r in snap.messages if r["sender"] == "ai"}
    want_ai = {(r["tenant_id"], r["ghl_message_id"]) for r in sent.values()}
    lost += [f"delivered reply {k} missing from the conversation" for k in
             sorted(want_ai - ai_rows)]
    out.problems += [f"AI message {k} is no sent reply" for k in sorted(ai_rows - want_ai)]

    # What Claude saw: every prompt is one lead's of one tenant (its persona's word, its own
    # lead's messages, nothing of any other).
    prompts = [r for r in claude.requests if r.path == "/v1/messages"]
    for req in prompts:
        words = set(SECRET.findall(str(req.body)))
        leads = {contact for _, contact, _ in MARKER.findall(str(req.body))}
        if len(words) != 1 or len(leads) > 1:
            out.problem(f"a Claude prompt mentions tenants {sorted(words)}, leads {sorted(leads)}")

    # Dead letters: every poison record (by its original bytes), and nothing valid.
    poison = Counter(r.value for r in stream.poison)
    dead = Counter(bytes(r.value) for r in dlq)
    missing_poison = [v for v in poison if dead[v] == 0]
    out.problems += [f"poison record not dead-lettered: {v[:80]!r}" for v in missing_poison]
    ours = {t.id.encode() for t in stream.tenants}
    for rec in dlq:
        # Other tests' tenants share the session database: the outbound scheduler may release
        # their due held replies here (no token for them: dead-lettered). Not this stream's.
        if rec.key is not None and rec.key not in ours:
            continue
        if bytes(rec.value) not in poison:
            headers = {k: v.decode(errors="replace") for k, v in rec.headers or ()}
            if (headers.get("dlq-worker"), headers.get("dlq-error-type")) == (
                    "outbound", "DeliveryInDoubtError"):
                continue  # a reply in doubt (GHL's 5xx): counted with the in-doubt ones above
            lost.append(f"dead-lettered by {headers.get('dlq-worker')} from "
                        f"{headers.get('dlq-source-topic')}: {headers.get('dlq-error')}")

    out.problems += [f"lost: {x}" for x in lost]
    out.problems += [f"duplicated: {x}" for x in duplicated]
    out.figures.update({
        "inbound messages": len(want_in),
        "reply decisions": ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "replies delivered": len(delivered),
        "Claude prompts (fallbacks)": f"{len(prompts)} "
        f"({sum(1 for r in snap.replies if r['claude_outcome'] not in FINE)})",
        "lost": len(lost),
        "duplicated": len(duplicated),
        "in doubt (delivered / not)": f"{len(in_doubt)} ({in_doubt_delivered} / "
        f"{len(in_doubt) - in_doubt_delivered})",
        "DLQ records (poison found)": f"{len(dlq)} ({len(poison) - len(missing_poison)}"
        f"/{len(poison)})",
    })
    out.figures["_in_doubt"] = len(in_doubt)
    return out


def table(rows: list[tuple[str, Any]]) -> str:
    width = max(len(k) for k, _ in rows)
    vwidth = max(len(str(v)) for _, v in rows)
    line = f"+-{'-' * width}-+-{'-' * vwidth}-+"
    body = [f"| {k:<{width}} | {v!s:<{vwidth}} |" for k, v in rows]
    return "\n".join([line, *body, line])
