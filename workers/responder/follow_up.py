"""A follow-up's pure core: the text to a lead who went quiet, drafted when its timer fires
(`workers.timers.follow_ups` schedules it and says when it stops; the shell is
`responder.timer_loop`). No I/O.

A follow-up picks up what the lead told us (the profile: what, where, how much) and adds one
useful thing: a listing that fits and that our texts have not named yet. Claude writes it
from the lead's memory with `GOAL`; `fallback_text` is the deterministic text (Claude's
fallback), in the lead's language (Spanish when the lead writes Spanish). The row and events
are built like a first touch's (`first_touch.Touch`), keyed by the timer, so a timer fired
twice claims one reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from schemas.context import LeadContext
from workers.learning.extract.model import Area
from workers.responder.first_touch import Language, text_language
from workers.responder.listings import Listing, ScoredListing, best_match, describe_match
from workers.responder.modes import Plan

MODE = "follow_up"
GOAL = ("Follow-up: the lead has gone quiet since our last text. Write one short, friendly "
        "message that picks up what they told us (from the memory and the profile), adds one "
        "useful thing (the listing below, if there is one), and asks one easy question. No "
        "pressure or guilt about not answering, never a bare 'just checking in', no promises, "
        "no links or phone numbers.")
_TYPES: Mapping[Language, Mapping[str, str]] = {
    "en": {"single_family": "house", "condo": "condo", "townhouse": "townhouse",
           "multi_family": "multi-family", "land": "lot", "mobile_home": "manufactured home"},
    "es": {"single_family": "casa", "condo": "condominio", "townhouse": "townhouse",
           "multi_family": "multifamiliar", "land": "terreno", "mobile_home": "casa móvil"},
}
TEXTS: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "hi": "Hi{first}",
        "match": "{hi}, a new one that fits came up: {line} Would you like to see it?",
        "recap": "{hi}, are you still looking for {recap}? I can send a few homes that fit "
                 "whenever you're ready.",
        "plain": "{hi}, are you still thinking about a move? I'm here whenever you'd like to "
                 "pick things back up.",
        "home": "a home", "beds": "a {n}-bedroom {kind}", "kind": "a {kind}",
        "in": " in {areas}", "under": " under ${price:,}", "and": " or ",
    },
    "es": {
        "hi": "Hola{first}",
        "match": "{hi}, salió una opción que le puede interesar: {line} ¿Le gustaría verla?",
        "recap": "{hi}, ¿sigue buscando {recap}? Con gusto le envío algunas opciones cuando "
                 "guste.",
        "plain": "{hi}, ¿sigue pensando en mudarse? Aquí estoy cuando quiera retomarlo.",
        "home": "una casa", "beds": "una {kind} de {n} recámaras", "kind": "un {kind}",
        "in": " en {areas}", "under": " de hasta ${price:,}", "and": " o ",
    },
}


def language(ctx: LeadContext) -> Language:
    """Spanish when the lead's latest message is Spanish, else English."""
    for m in reversed(ctx.memory.recent):
        if m.direction == "inbound" and m.sender == "lead":
            return text_language(m.body)
    return "en"



def recap(profile: Mapping[str, Any], lang: Language) -> str | None:
    """What the lead is looking for, in a few words (None when it said too little)."""
    t, kinds = TEXTS[lang], _TYPES[lang]
    kind = kinds.get(str(profile.get("property_type") or ""))
    beds = profile.get("bedrooms_min")
    areas = [a for a in profile.get("locations") or [] if isinstance(a, str)][:2]
    price = profile.get("budget_max")
    if not (kind or beds or areas or price):
        return None
    if isinstance(beds, int) and not isinstance(beds, bool):
        what = t["beds"].format(n=beds, kind=kind or ("home" if lang == "en" else "casa"))
        if lang == "es" and not kind:
            what = t["beds"].format(n=beds, kind="casa")
    elif kind:
        what = t["kind"].format(kind=kind)
        if lang == "es" and kind in ("casa", "casa móvil"):
            what = "una " + kind
        if lang == "en" and kind[0] in "aeiou":
            what = "an " + kind
    else:
        what = t["home"]
    if areas:
        what += t["in"].format(areas=t["and"].join(areas))
    if isinstance(price, int | float) and not isinstance(price, bool) and price > 0:
        what += t["under"].format(price=int(price))
    return what


def new_match(profile: dict[str, Any], listings: list[Listing],
              our_texts: Iterable[str], areas: Sequence[Area] = ()) -> ScoredListing | None:
    """The listing that fits the lead best, unless one of our texts named it already
    (`areas`: the tenant's, whose aliases a listing's area may read)."""
    said = " ".join(our_texts).casefold()
    fresh = [x for x in listings if not (x.address and x.address.casefold() in said)]
    return best_match(profile, fresh, areas)


def fallback_text(first_name: str | None, profile: Mapping[str, Any],
                  match: ScoredListing | None, lang: Language) -> str:
    t = TEXTS[lang]
    hi = t["hi"].format(first=f" {first_name}" if first_name else "")
    if match is not None and lang == "en":
        return t["match"].format(hi=hi, line=describe_match(match, dict(profile)))
    what = recap(profile, lang)
    return t["recap"].format(hi=hi, recap=what) if what else t["plain"].format(hi=hi)


def plan(ctx: LeadContext, listings: list[Listing], step: int, steps: int,
         areas: Sequence[Area] = ()) -> Plan:
    """The follow-up's plan: Claude's goal, the match to mention, and the fallback's text."""
    profile = ctx.profile.profile
    lang = language(ctx)
    ours = [m.body for m in ctx.memory.recent if m.direction == "outbound"]
    match = new_match(profile, listings, ours, areas)
    line = describe_match(match, profile) if match is not None else None
    goal = GOAL + f" This is follow-up {step + 1} of {steps}."
    if line:
        goal += f" A listing that fits and was not sent before: {line}"
    goal += " Write in Spanish." if lang == "es" else " Write in English."
    return Plan(mode=MODE, goal=goal, match=match, match_line=line,
                opener=fallback_text(ctx.memory.contact.first_name, profile, match, lang))


def task(channel: str) -> str:
    """The prompt's request (instead of answering the lead's latest message)."""
    return f"Write the agency's follow-up to this lead, who has gone quiet, on {channel}"


def last_lead_messages(ctx: LeadContext, n: int = 3) -> Sequence[str]:
    """The lead's latest messages, oldest first (for `follow_ups.stop_reason`)."""
    return [m.body for m in ctx.memory.recent
            if m.direction == "inbound" and m.sender == "lead"][-n:]
