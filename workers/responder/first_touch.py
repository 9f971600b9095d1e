"""The first touch's pure core: the first message to a new lead whose source carries its
consent to be texted (`tenant config --first-touch-sources`), drafted when its timer fires
(`workers.timers`; the shell is `responder.timer_loop`). No I/O.

What is known of a lead that never wrote: its first name, the source it came from, the
property it asked about when the contact carries one (a custom field holding a street
address), its language when the contact says it (a language field or tag). `plan` hands
Claude the goal and the deterministic message (`Plan.opener`, also the fallback's text);
the row and events are built like a reply's (`draft`), keyed by the timer
(`timers.core.reply_key`), so a timer fired twice claims one reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from schemas.envelope import derive_event_id
from schemas.events import AgentAssistRequested, ReplyDrafted
from workers.consent.reply_check import ReplyCheck
from workers.learning.extract.lang import is_spanish
from workers.replies.row import Reply
from workers.responder import guards
from workers.responder.compose import Composition
from workers.responder.draft import REPLY_HELD, _cost
from workers.responder.modes import Plan
from workers.timers.core import Timer, reply_key

CONSUMER = "responder.first_touch"
MODE = "first_touch"
Language = Literal["en", "es"]
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z0-9.'-]+\s+){1,5}(?:St|Street|Ave|Avenue|Rd|Road|Dr|Drive|Ln|Lane|"
    r"Blvd|Boulevard|Ct|Court|Way|Pl|Place|Ter|Terrace|Cir|Circle|Hwy|Highway|Pkwy|Parkway|"
    r"Trl|Trail|Calle|Avenida)\b\.?", re.IGNORECASE)
_SPANISH = ("spanish", "español", "espanol")
TEXTS: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "hi": "Hi{first}, this is {agency}.",
        "property": "Thanks for your interest in {property}!",
        "source": "Thanks for reaching out through {source}!",
        "plain": "Thanks for reaching out!",
        "ask_property": "Would you like to see it, or should I send you a few similar homes?",
        "ask": "Are you looking to buy, sell, or both, and in which area?",
    },
    "es": {
        "hi": "Hola{first}, le escribe {agency}.",
        "property": "¡Gracias por su interés en {property}!",
        "source": "¡Gracias por contactarnos a través de {source}!",
        "plain": "¡Gracias por contactarnos!",
        "ask_property": "¿Le gustaría verla, o prefiere que le envíe algunas casas similares?",
        "ask": "¿Busca comprar, vender o ambas cosas, y en qué zona?",
    },
}
GOAL = ("First touch: the agency writes first to a new lead who just came in (it has not "
        "written yet). Greet them by first name if known, say who you are, mention what they "
        "asked about (the property, else where they came from) and ask one easy question "
        "about what they are looking for. Short, warm, no pressure, no promises, no links "
        "or phone numbers.")


@dataclass(frozen=True)
class Opener:
    """What is known of a new lead when its first touch is drafted."""

    first_name: str | None
    source: str | None
    property: str | None = None
    language: Language = "en"

    @classmethod
    def of(cls, first_name: str | None, source: str | None, tags: Iterable[str],
           custom_fields: Mapping[str, Any]) -> Opener:
        return cls(_clean(first_name), _clean(source), property_of(custom_fields),
                   language_of(tags, custom_fields))


def _clean(text: str | None, limit: int = 80) -> str | None:
    words = " ".join((text or "").split())
    return words[:limit] or None


def property_of(custom_fields: Mapping[str, Any]) -> str | None:
    """The property the lead asked about: the first custom field value holding a street
    address (GHL custom fields are keyed by opaque ids, so the value says what it is)."""
    for value in custom_fields.values():
        if isinstance(value, str):
            m = _STREET.search(value)
            if m:
                return " ".join(m.group(0).rstrip(".").split())
    return None


def language_of(tags: Iterable[str], custom_fields: Mapping[str, Any]) -> Language:
    """Spanish when the contact says so (a `Spanish`/`Español` tag, or a custom field whose
    whole value is that word: GHL keys custom fields by opaque ids), else English."""
    values = [t for t in tags] + [v for v in custom_fields.values() if isinstance(v, str)]
    if any(v.strip().casefold() in _SPANISH for v in values):
        return "es"
    return "en"


def text_language(text: str) -> Language:
    """Spanish when the lead's words are (`learning.extract.lang.is_spanish`, over the text
    lower-cased and without accents), else English."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return "es" if is_spanish(plain) else "en"


def opener_text(o: Opener, agency: str | None) -> str:
    """The deterministic first message (Claude's fallback), in the lead's language."""
    t = TEXTS[o.language]
    first = f" {o.first_name}" if o.first_name else ""
    parts = [t["hi"].format(first=first, agency=agency or ("the team" if o.language == "en"
                                                            else "el equipo"))]
    if o.property:
        parts += [t["property"].format(property=o.property), t["ask_property"]]
    else:
        parts.append(t["source"].format(source=o.source) if o.source else t["plain"])
        parts.append(t["ask"])
    return " ".join(parts)


def plan(o: Opener, agency: str | None) -> Plan:
    goal = GOAL
    if o.property:
        goal += f" The property they asked about: {o.property}."
    if o.source:
        goal += f" They came in through: {o.source}."
    goal += " Write in Spanish." if o.language == "es" else " Write in English."
    return Plan(mode=MODE, goal=goal, opener=opener_text(o, agency))


def task(channel: str) -> str:
    """The prompt's request (instead of answering the lead's latest message)."""
    return f"Write the agency's first message to this new lead on {channel}"


@dataclass(frozen=True)
class Touch:
    """One first-touch timer being fired, on one clock reading: every id derives from the
    timer, so firing it again derives the same."""

    timer: Timer
    channel: str
    now: datetime

    @property
    def key(self) -> str:
        return reply_key(self.timer.timer_id)

    def _event_id(self, *parts: str) -> str:
        return derive_event_id(self.timer.tenant_id, CONSUMER, self.key, *parts)

    def row(self, **fields: Any) -> Reply:
        t = self.timer
        return Reply(tenant_id=t.tenant_id, idempotency_key=self.key, contact_id=t.contact_id,
                     reply_to_message_id=None, channel=self.channel,
                     event_id=self._event_id(), created_at=self.now, **fields)

    def assist(self, reason: str, note: str) -> dict[str, Any]:
        t = self.timer
        return AgentAssistRequested(
            event_id=self._event_id("assist", reason), tenant_id=t.tenant_id,
            contact_id=t.contact_id, occurred_at=self.now, received_at=self.now,
            causation_id=t.causation_id, reason=reason, note=note).model_dump(mode="json")


def suppressed(touch: Touch, reason: str) -> Reply:
    """No first touch (AI off, DND, an opt-out, no phone...): recorded, so firing the timer
    again stays silent."""
    return touch.row(body="", mode="none", status="suppressed", suppressed_reason=reason)


def composed(touch: Touch, verdict: guards.Verdict, comp: Composition,
             check: ReplyCheck | None, mode: str = MODE) -> Reply:
    """The text Claude (or the fallback) wrote for a timer (a first touch; a follow-up's
    `mode`): to send (held to the morning by `send_after` when it is night for the lead), or
    held for the agent when the reply check stopped Claude's text."""
    if check is not None and not check.ok:
        note = REPLY_HELD.format(why=check.why(), draft=comp.body)
        return touch.row(body=comp.body, mode=mode, status="suppressed",
                         suppressed_reason=f"reply_check:{check.rule}",
                         published=[touch.assist("reply_held", note)], **_cost(comp))
    t, u = touch.timer, comp.usage
    reply = ReplyDrafted(  # received: when the lead came in (the timer is due from then)
        event_id=touch._event_id(), tenant_id=t.tenant_id, contact_id=t.contact_id,
        occurred_at=touch.now, received_at=min(t.due_at, touch.now), causation_id=t.causation_id,
        idempotency_key=touch.key, channel=touch.channel, body=comp.body, mode=mode,
        reply_to_message_id=None, send_after=verdict.send_after, model=comp.model,
        input_tokens=u.input_tokens, output_tokens=u.output_tokens,
        cache_read_tokens=u.cache_read_tokens, cache_write_tokens=u.cache_write_tokens,
        cost_usd=comp.cost_usd, latency_ms=comp.latency_ms)
    return touch.row(body=comp.body, mode=mode, send_after=verdict.send_after,
                     published=[reply.model_dump(mode="json")], **_cost(comp))
