"""Read a conversation in order and fold every rule's statements into one profile.

Outbound messages only set the question context; inbound messages are normalised once
(lower case, accents folded, amounts said in words rewritten as digits in ``masked``), and
each field rule reports positioned statements that the builder applies in text order, so
the latest statement wins field by field. A statement may also withdraw a value ("I'm not
selling", "stop sending me 2 bedrooms"): it clears the field only if that is its value.
A reply may run over several messages: after a bare yes / no, or when a message corrects the
answer just given, the next message still answers what the question leaves open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from .areas import classify_areas, find_areas
from .asides import aside_spans
from .contact import agent_events, human_events, opt_events
from .context import MessageContext
from .dates import read_dates
from .features import feature_events
from .financing import financing_events
from .given_up import given_up_spans
from .home import bathroom_events, bedroom_events, property_type_events
from .intent import merge_intent, message_intent, withdraw_intent
from .lang import is_spanish
from .model import Area, LeadProfile, Message
from .money import MoneyEvent, money_events
from .motivation import apply_motivation, motivation_events, retracts_reason
from .questions import (
    NO_QUESTION,
    Question,
    answer_particle,
    bare_answer,
    classify_question,
    defers,
    pick_alternative,
    polarity,
)
from .spoken import spell_out_amounts
from .state import ProfileBuilder
from .text import CORRECTION, Segments, mask_spans, normalize, opens_with_fragment
from .timeline import timeline_events
from .whose import read_whose


@dataclass
class Reading:
    """How far a read of a conversation got: the fold's whole state after its first `count`
    messages. A longer conversation that begins with the same messages (read with the same
    areas on the same day) continues from here and ends exactly where a full read would."""

    builder: ProfileBuilder = field(default_factory=ProfileBuilder)
    question: Question = NO_QUESTION
    direct: bool = False
    money_talk: bool = False
    last_inbound: int = -1
    count: int = 0
    proxies: frozenset[str] = frozenset()  # the people the lead writes for (whose.py)
    own_plan: bool = False  # the lead stated a plan of their own
    last_date: date | None = None  # the last day the lead's messages named (a later "by then")
    owned: tuple[str, ...] = ()  # areas of the lead's own home, named before they said they sell
    answering: bool = False  # the last inbound message answered the agent's last question
    fresh: bool = False  # no inbound message since the agent's last question
    next_home_open: bool = False  # a seller's last message ended on the home wanted next

    def copy(self) -> Reading:
        return replace(self, builder=self.builder.copy())


_SELLING = ("sell", "buy_and_sell")


def read_on(reading: Reading, messages: Sequence[Message], areas: Sequence[Area],
            now: datetime) -> Reading:
    """Fold `messages[reading.count:]` into a copy of `reading` (which is left as it was).
    Only `now`'s date is read (relative timelines), so a reading stays valid all day."""
    r = reading.copy()
    builder = r.builder
    for index in range(r.count, len(messages)):
        message = messages[index]
        if message.direction == "outbound":
            seller = builder.get("intent") in ("sell", "buy_and_sell")
            r.question = classify_question(message.body, seller=seller)
            r.money_talk = r.money_talk or r.question.asks("budget") or \
                r.question.asks("sell_price")
            r.direct = r.fresh = True
            r.next_home_open = False
            continue
        # a reply may run over several messages: after a bare yes / no ("nah" ... "2 is fine"),
        # or when a message corrects the answer just given ("ideally 4" ... "400* i mean"); the
        # later ones answer what the question leaves open, not its yes or no again
        direct = r.direct or (
            r.answering and CORRECTION.search(normalize(message.body)) is not None)
        question = r.question.open_part() if direct and not r.fresh else r.question
        ctx = _context(index, message.body, areas, now, question, direct, builder,
                       r.money_talk, r.proxies, r.own_plan)
        ctx = replace(ctx, recent_count=_recent_count(builder, r.last_inbound),
                      recent_price=_recent_price(builder, r.last_inbound),
                      prior_date=r.last_date,
                      continues_next_home=r.next_home_open and opens_with_fragment(ctx.text))
        r.proxies, r.own_plan = ctx.whose.proxies, ctx.whose.own_plan
        r.last_inbound = index
        was_seller = builder.get("intent") in _SELLING
        if ctx.stated_intent or ctx.intent != builder.get("intent"):
            builder.set("intent", ctx.intent, index)
        if direct and question.echo:
            _answer_echo(ctx, question.echo, areas, builder, r.money_talk)
            if builder.get("intent") != ctx.intent:  # "Will she be selling?" -> "yes, ... 400"
                ctx = replace(ctx, intent=builder.get("intent"))
        _apply(ctx, message.body, builder)
        if direct and r.question.asks("sell_price") and builder.sources.get(
                "sell_price") == index:
            # "What would you like to get for your Leander home?" -> "anything over 450": the
            # price is of the home the question names, so its area is the home sold's
            for name in _asked_home_areas(r.question.asked, areas):
                builder.add("locations", name, index)
        owned = tuple(m.name for m in ctx.areas if m.owned)
        if builder.get("intent") in _SELLING and not was_seller:
            # now selling: the home they own, named before, is the home sold (SPEC: locations
            # take the area of the home being sold)
            for name in r.owned:
                builder.add("locations", name, index)
            r.owned = ()
        else:
            r.owned = tuple(dict.fromkeys(r.owned + owned))
        if ctx.dates:
            r.last_date = ctx.dates[-1].target
        r.money_talk = r.money_talk or any(
            builder.get(f) is not None for f in ("budget_min", "budget_max", "sell_price")
        ) or builder.preapproval is not None
        r.answering = direct
        r.direct = direct and bare_answer(ctx.text)
        r.fresh = False
        # a seller whose message ends on the next home ("... and move into something smaller")
        # may describe it in the next message alone ("a 2 bed condo in brentwood")
        last = len(ctx.masked.rstrip(" .!?\n")) - 1
        r.next_home_open = builder.get("intent") == "sell" and last >= 0 and ctx.next_home(last)
    r.count = max(r.count, len(messages))
    return r


def extract_profile_with_sources(
    messages: Sequence[Message], areas: Sequence[Area], now: datetime
) -> tuple[LeadProfile, dict[str, int]]:
    """The profile after the last message and, per field, the index of the message that set it."""
    return read_on(Reading(), messages, areas, now).builder.build()


def _recent_count(builder: ProfileBuilder, last_inbound: int) -> str | None:
    """The count field the lead's previous message set, for "actually make that 4"."""
    for name in ("bedrooms_min", "bathrooms_min"):
        if last_inbound >= 0 and builder.sources.get(name) == last_inbound:
            return name
    return None


_YOUR_HOME = (r"\b(?:your|ur|su|tu|the|la|el)\s+(?:current\s+|actual\s+)?(?:home|house|place|condo"
              r"|townhome|townhouse|property|casa|propiedad|depa|departamento)")
_HOME_BEFORE = re.compile(_YOUR_HOME + r"\s+(?:in|en|de|on|at)\s+$")
_HOME_AFTER = re.compile(r"\s+(?:home|house|place|condo|townhome|townhouse|property)\b")


def _asked_home_areas(asked: str, areas: Sequence[Area]) -> list[str]:
    """The areas a question names as where the lead's own home is ("your home in Clermont",
    "your Leander home", "su casa en Mesa")."""
    return [name for start, end, name in find_areas(asked, areas)
            if _HOME_BEFORE.search(asked, max(0, start - 40), start)
            or (re.search(r"\b(?:your|ur|the)\s+$", asked[max(0, start - 8) : start])
                and _HOME_AFTER.match(asked, end))]


def _recent_price(builder: ProfileBuilder, last_inbound: int) -> tuple[str, int] | None:
    """The price the lead's previous message set, for a bare figure restating it."""
    for name, kind in (("sell_price", "sell"), ("budget_max", "budget")):
        value = builder.get(name)
        if last_inbound >= 0 and builder.sources.get(name) == last_inbound and value:
            return kind, int(value)
    return None


def extract_profile(
    messages: Sequence[Message], areas: Sequence[Area], now: datetime
) -> LeadProfile:
    """Pure and deterministic: the lead profile after the last message (SPEC.md)."""
    return extract_profile_with_sources(messages, areas, now)[0]


def _context(
    index: int,
    body: str,
    areas: Sequence[Area],
    now: datetime,
    question: Question,
    direct: bool,
    builder: ProfileBuilder,
    money_talk: bool,
    proxies: frozenset[str] = frozenset(),
    own_plan: bool = False,
) -> MessageContext:
    text = normalize(body)
    segments = Segments.of(text)
    whose = read_whose(text, proxies, own_plan)
    spanish = is_spanish(text)
    found = find_areas(text, areas)
    masked = spell_out_amounts(mask_spans(text, [(a, b) for a, b, _ in found]), spanish=spanish)
    given_up = given_up_spans(masked)  # plans given up: read once, for intent, areas, reasons
    stated, denied = message_intent(masked, question if direct else NO_QUESTION, whose,
                                    given_up=given_up)
    current = withdraw_intent(builder.get("intent"), denied)
    intent = merge_intent(current, stated, text)
    seller = intent in ("sell", "buy_and_sell")
    ctx = MessageContext(
        index=index, text=text, masked=masked, segments=segments, question=question,
        direct=direct, intent=intent, stated_intent=stated, money_talk=money_talk, now=now,
        areas=(), spanish=spanish, whose=whose, dates=tuple(read_dates(masked, now.date())),
        given_up=given_up, asides=aside_spans(text, segments),
    )
    # "Tempe?" -> "no chandler": the no answers the question, it rules out nothing after it
    particle = answer_particle(text) if direct and question.echo else None
    said = text if particle is None else mask_spans(text, [particle], " ")
    mentions = tuple(
        replace(m, sense="other") if not seller and m.sense == "want" and ctx.home_now(m.start)
        else m
        for m in classify_areas(said, segments, areas, seller=seller, remark=whose.other,
                                found=found, given_up=given_up)
    )
    return replace(ctx, areas=mentions)


def _answer_echo(ctx: MessageContext, echo: str, areas: Sequence[Area],
                 builder: ProfileBuilder, money_talk: bool) -> None:
    """A yes to a closed question states what it names; a no denies the areas and the
    property type it names (SPEC: a yes / no answer confirms or denies what the question names).
    The question is read as the lead's own words, before the answer's own statements."""
    answer = polarity(ctx.text)
    if answer is None and (_answers_when(ctx) or (ctx.question.yes_intents and defers(ctx.masked))):
        # "Still thinking of selling your home in Folsom?" -> "maybe in the spring"; "Any update
        # on selling?" -> "we decided to hold off": the plan stands, for later
        answer = "yes"
    if answer is None:
        picked = pick_alternative(ctx.text, echo)  # "... in Riverview or Valrico?" -> "riverview"
        if picked is None:
            return
        answer, echo = "yes", picked
    # the question frames its own words ("Budget still 350?": thousands), never as an answer
    said = _context(ctx.index, echo, areas, ctx.now, ctx.question, False, builder, money_talk,
                    ctx.whose.proxies, ctx.whose.own_plan)
    if answer == "yes":
        if said.stated_intent and ctx.stated_intent is None:
            builder.set("intent", said.intent, ctx.index)
        if _but_elsewhere(ctx):
            # "Still looking to buy in Oviedo?" -> "sí pero ahora más bien en Winter Park": the
            # plan is confirmed, the area the question names is replaced by the reply's
            said = replace(said, areas=())
            for mention in _context(ctx.index, echo, areas, ctx.now, ctx.question, False,
                                    builder, money_talk).areas:
                builder.remove("locations", mention.name, ctx.index)
        _apply(said, echo, builder, echo=True)
        return
    # a no aimed at a figure the question names ("Would you list at 375?" -> "nah, at least
    # 395") denies the figure, not the plan
    figure = bool(money_events(said)) and bool(money_events(ctx))
    if said.stated_intent and said.stated_intent == builder.get("intent") and (
        ctx.stated_intent is None
    ) and not figure:
        builder.set("intent", None, ctx.index)  # "Still want to sell?" -> "no, ya no"
    for mention in said.areas:
        if mention.sense == "want":
            builder.remove("locations", mention.name, ctx.index)
    for _, ptype, wanted in property_type_events(said):
        if wanted and builder.get("property_type") == ptype:
            builder.set("property_type", None, ctx.index)


def _but_elsewhere(ctx: MessageContext) -> bool:
    """A yes qualified by a "but" that names a wanted area after it."""
    m = re.search(r"\b(?:but|pero)\b", ctx.text)
    if m is None or _ADDED.search(ctx.text, m.end()):
        return False  # "yes but roseville is fine too now": one more area, none replaced
    return any(a.sense == "want" and a.start > m.end() for a in ctx.areas)


_ADDED = re.compile(r"\b(?:too|also|as well|either|tambien|igual|ademas|plus|y)\b")


_HEDGE_OPENING = re.compile(r"\W*(?:(?:maybe|probably|prob|hopefully|ideally|likely|def|definitely"
                            r"|prolly|i think|i hope|quizas|tal vez|probablemente|ojala|creo que)"
                            r"\W+)*")


# Words that may lead into a time: "in the spring", "by end of june", "para finales de mayo".
_TIME_WORDS = frozenset(("in", "by", "the", "around", "before", "after", "this", "next", "early",
                         "late", "mid", "end", "of", "like", "about", "sometime", "en", "el", "la",
                         "para", "a", "de", "por", "finales", "principios", "mediados", "como"))


def _answers_when(ctx: MessageContext) -> bool:
    """A reply to a closed question about a plan that opens with when, not yes or no, affirms
    the plan: "Still planning to sell?" -> "maybe in the spring", "prob june"."""
    if not (ctx.question.yes_intents and ctx.dates):
        return False
    opening = _HEDGE_OPENING.match(ctx.masked)
    first = ctx.dates[0].start
    lead_in = ctx.masked[opening.end() if opening else 0 : first]
    words = re.findall(r"\w+", lead_in)
    return len(words) <= 3 and all(w in _TIME_WORDS for w in words) and "?" not in \
        ctx.masked[:first]


def _apply(ctx: MessageContext, body: str, builder: ProfileBuilder, *, echo: bool = False) -> None:
    index = ctx.index
    if any(m.only for m in ctx.areas):  # "garner only now": the wanted areas are these alone
        keep = {m.name for m in ctx.areas if m.sense == "want"}
        for name in list(builder.get("locations")):
            if name not in keep:
                builder.remove("locations", name, index)
    corrected = _corrected_up_to(ctx)
    for mention in ctx.areas:
        if mention.sense == "want" and mention.start < corrected:
            builder.remove("locations", mention.name, index)  # "tempe, sorry i meant mesa"
        elif mention.sense == "want":
            builder.add("locations", mention.name, index)
        elif mention.sense == "ruled_out":
            builder.remove("locations", mention.name, index)
    for _, value in timeline_events(ctx):
        builder.set("timeline", value, index)
    for _, financing in financing_events(ctx, builder.get("financing")):
        builder.set("financing", financing, index)
    _apply_money(money_events(ctx), builder, index)
    for _, beds, wanted in bedroom_events(ctx):
        if wanted:
            builder.set("bedrooms_min", beds, index)
        elif builder.get("bedrooms_min") == beds:
            builder.set("bedrooms_min", None, index)
    for _, baths in bathroom_events(ctx):
        builder.set("bathrooms_min", baths, index)
    for _, ptype, wanted in property_type_events(ctx):
        if wanted:
            builder.set("property_type", ptype, index)
        elif builder.get("property_type") == ptype:
            builder.set("property_type", None, index)
    for _, feature, required in feature_events(ctx):
        if required:
            builder.add("must_haves", feature, index)
        else:
            builder.remove("must_haves", feature, index)
    reasons = motivation_events(ctx)
    retracted = bool(reasons) and retracts_reason(ctx)
    for _, reason in reasons:
        builder.set("motivation", reason if retracted else apply_motivation(
            builder.get("motivation"), reason), index)
    if echo:
        return  # the agent's words never speak for the lead's contact wishes
    for _, flag in agent_events(ctx):
        builder.set("has_agent", flag, index)
    for _, flag in human_events(ctx):
        builder.set("wants_human", flag, index)
    for _, flag in opt_events(ctx, body):
        builder.set("opted_out", flag, index)


def _corrected_up_to(ctx: MessageContext) -> int:
    """Where the last correction of an area in the message ends ("looking in tempe, sorry i
    meant mesa"): wanted areas before it are taken back. 0 when none is corrected."""
    wanted = [m.start for m in ctx.areas if m.sense == "want"]
    for m in reversed(list(CORRECTION.finditer(ctx.masked))):
        if any(p < m.start() for p in wanted) and any(p >= m.end() for p in wanted):
            return m.start()
    return 0


def _apply_money(events: list[MoneyEvent], builder: ProfileBuilder, index: int) -> None:
    sells = [e for e in events if e.kind == "sell"]
    if sells:
        # the hoped-for price beats a floor said beside it ("maybe 360, at least 340")
        hoped = [e for e in sells if e.hoped] or [e for e in sells if e.direction != "min"]
        builder.set("sell_price", (hoped or sells)[-1].low, index)
    for event in events:
        if event.kind == "preapproval":
            builder.preapproval = event.low
            builder.preapproval_source = index
        elif event.kind == "budget":
            _apply_budget(event, builder, index)


def _apply_budget(event: MoneyEvent, builder: ProfileBuilder, index: int) -> None:
    if event.direction == "range" and event.high is not None:
        builder.set("budget_min", event.low, index)
        builder.set("budget_max", event.high, index)
        return
    if event.direction == "min":
        builder.set("budget_min", event.low, index)
        current_max = builder.get("budget_max")
        if current_max is not None and current_max < event.low:
            builder.set("budget_max", None, index)
        return
    builder.set("budget_max", event.low, index)
    current_min = builder.get("budget_min")
    if current_min is not None and current_min > event.low:
        builder.set("budget_min", None, index)
