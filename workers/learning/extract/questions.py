"""What an outbound message asks, so that short inbound answers ("450", "3", "yes") get meaning.

The agent's words never state preferences; they only frame the lead's next reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from .dates import read_dates
from .text import Segments, normalize

Polarity = Literal["yes", "no"]
_ANY_DAY = date(2026, 1, 1)  # only whether a question names a time is read, not which day

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("rent_budget", r"monthly budget|budget (?:per|a|each) month|\bper month\b|\brent budget"
                        r"|\bal mes\b|\bpor mes\b|\bmensual"),
        ("sell_price", r"hop(?:e|ing) to (?:get|list)|(?:get|want) for (?:it|your|yours|the)"
                       # (the home may be named in two words: "list the garner house for")
                       r"|\b(?:sell|list) (?:it|yours|your(?: \w+){1,2}|the(?: \w+){1,2})"
                       r" (?:for|at)\b"
                       r"|\blist (?:it|yours|your \w+)(?: \w+)? (?:for|at)|want to list it"
                       r"|\b(?:list|sell)(?: (?:it|yours|your \w+|the \w+))? (?:for|at)\b"
                       r"|\blist(?:ing)? price\b|how much (?:are you|would you be) asking"
                       r"|\bsell for\b|\bworth\b|asking price|price (?:are you )?hoping"
                       r"|hoping for\b|want for it|bottom line|lowest (?:(?:price|number|offer"
                       r"|figure) )?(?:you'?d|you would|you'?ll)"
                       r" (?:take|accept|go)|least you'?d (?:take|accept)"
                       r"|cuanto (?:espera|quiere|piensa) (?:sacar|obtener"
                       r"|pedir)|en cuanto (?:\w+ ){0,3}?vender\w*|cuanto vale"
                       r"|cuanto (?:\w+ ){0,2}(?:pide|pediria|quiere|quieren|espera|esperan)"
                       r" (?:por|para)\b"
                       r"|cuanto\b[^?]{0,25}\b(?:sacar|obtener|recibir|pedir|cobrar)\b"
                       r"|\b(?:listar|vender|publicar)(?:la|lo)? (?:en|por)\b"),
        ("budget", r"\bbudget\b|price range|price ceiling|purchase price|max(?:imum)? price"
                   r"|price point|\bspend\w*|\bafford\w*|\bprice\b|presupuesto"
                   r"|\b(?:number|figure|amount)\b[^.?!]{0,20}\bin mind\b"
                   r"|\bhow much\b(?! (?:time|space|room|land|longer|notice|stuff))"
                   r"|\b(?:your|the) (?:max|maximum|ceiling|top end|limit)\b|\bhow high\b"
                   r"|\bhighest\b|\bmost (?:you'?d|you would|you can|you could|you want)\b"
                   r"|rango de precio"
                   r"|cuanto (?:\w+ ){1,2}(?:gastar|pagar|invertir)"
                   r"|\bprecio\b"),
        ("bedrooms", r"\bbed(?:room)?s?\b|\bbrs?\b|how big|recamaras|habitaciones|cuartos"
                     r"|dormitorios|que tan grande"),
        ("bathrooms", r"\bbath(?:room)?s?\b|\bbanos\b"),
        ("area", r"\bareas?\b|neighbo(?:u)?rhoods?|\bwhere\b|locations?|part of town|\bcit(?:y|ies)"
                 r"\b|\btowns?\b|\bzip|\bzonas?\b|\bdonde\b|\bcolonias?\b|\bvecindarios?\b"
                 r"|\bciudad"),
        ("timeline", r"timeline|how soon|\bwhen\b|timing|time ?frame|by when|how quickly"
                     r"|\bcuando\b|que tan pronto|\bplazo\b"),
        ("financing", r"pre-?\s?approv|\blender|financ|\bcash\b|mortgage|\bloan\b"
                      r"|\bhow (?:are|will|would|do) (?:you|u) (?:be )?(?:plan(?:ning)? to )?pay\b"
                      r"|\bcomo (?:va|van|piensa|piensan) (?:a )?pagar\b"
                      r"|pre-?\s?aprob|prestamista|\bcredito\b|hipoteca|contado|efectivo"
                      r"|prestamo"),
        ("features", r"must[\s-]?haves?|wish ?list|anything (?:else )?(?:you need|that's important"
                     r"|important)|looking for|need in|what kind of|what type of|\bmust\b"
                     r"|que (?:busca|buscan|necesita|necesitan)|que tipo de"),
        ("motivation", r"\bwhy\b|what'?s (?:prompting|behind|driving|motivating|bringing)"
                       r"|what (?:has|got|is getting) you (?:thinking|considering|looking)"
                       r"|reason for|\bpor ?que (?:se|quieren|quiere|piensan|buscan)\b"
                       r"|que (?:los|lo|la|le|te) (?:motiva|trae|hace)|\bmotivo\b"),
        ("agent", r"\b(?:agent|realtor)s?\b|\bagentes?\b"),
        # (Mexican Spanish calls by "marcar": "¿te marco mañana?", "¿le puedo marcar?")
        ("call", r"\bcall\b|\bphone\b|\bchat\b|\bllam\w+|\btelefono\b"
                 r"|\b(?:te|le|les)\s+(?:puedo\s+|podemos\s+)?marc\w*|\bmarcar(?:te|le|les)\b"),
    )
)
_PRICE_OF_OWN_HOME = re.compile(r"\b(?:for|of|para|de)\s+(?:your|ur|su|tu)\s+"
                                r"(?:current\s+|actual\s+)?"
                                r"(?:home|house|place|condo|townhome|townhouse|property|casa"
                                r"|propiedad|depa|departamento)\b")
# "list" as the seller's verb ("would you list at 375?", "what you'd like to list at"), not a
# wish list or "on your list".
_LIST_VERB = r"\b(?:to|you|you'?d|u|we|i) list\b|\blist (?:it|your|yours|the|at|for)\b"
_INTENT_VERB = (r"buy|buying|rent|renting|sell|selling|invest\w*|residence|comprar|vender"
                r"|rentar|alquilar|invertir")
_CHOICE = re.compile(
    rf"\b(?:{_INTENT_VERB})\W+(?:\w+\W+){{0,3}}?(?:or|o)\W+"
    rf"(?:\w+\W+){{0,2}}?(?:{_INTENT_VERB}|both|ambos|las dos)\b"
)
_YES = re.compile(
    r"^(?:\W*\w+\W+){0,2}?\W*(?:yes|yeah|yep|yup|ya|yea|yess+|yas|sure|correct|definitely"
    r"|absolutely|of course|certainly|ok|okay|please do|that'?d be great|sounds good|for sure"
    r"|indeed|affirmative|👍|claro|por supuesto|correcto|asi es|exacto|efectivamente"
    r"|we are|i am|we do|i do|we still are|i still am|we sure are|you bet|totally|yessir"
    # agreeing in other words: "that's the plan", "that's right", "pretty much", "eso es"
    r"|that'?s (?:the plan|the idea|the goal|right|correct|it|true|accurate)|pretty much"
    r"|you got it|exactly|bingo|eso es|esa es la idea|ese es el plan"
    # colloquial Spanish yes: "simón", "sip", "sisi", "órale", "obvio"
    r"|simon|sip|sipi|sisi|orale|obvio"
    # Spanish "si" is yes, but "si es posible" / "si hay" is "if"
    r"|si(?!\s+(?:es|se|puedo|podemos|hay|tiene|no|me|nos|el|la|lo)\b))\b"
)
# An emoji alone says yes: "👍", "👌 yes".
_YES_EMOJI = re.compile(r"^\s*(?:👍|👌|✅|🙌|💯|👍🏻|👍🏼|👍🏽|👍🏾|👍🏿)")
_NO = re.compile(r"^\W*(?:no|nope|nah|not yet|not really|not (?:right )?now|not at the moment"
                 r"|negative|never|nothing|none|ahorita no|por ahora no"
                 r"|todavia no|aun no|nel|para nada|tampoco)\b|\bso no\W*$")


@dataclass(frozen=True)
class Question:
    """Topics of one outbound message, in the order they are asked."""

    topics: tuple[str, ...] = ()
    yes_intents: tuple[str, ...] = ()
    intent_choice: bool = False
    # The plans a choice question offers, in the order it names them ("buying, selling, or
    # both?" -> buy, sell, buy_and_sell), for "the first one" / "the latter".
    options: tuple[str, ...] = ()
    first_home: bool = False
    preapproval: bool = False
    lender: bool = False
    wh_intent: bool = False
    asked: str = ""
    # The closed (yes/no) questions in the lead's voice: a "yes" states them, a "no" denies
    # them ("Still looking for a condo in Apex under 500?" -> "yep").
    echo: str = ""
    # "Where are you living now?": the reply describes the lead's home now, not the wanted one.
    now_home: bool = False
    # "Where's your home?", "¿Dónde está su casa?": the reply describes the home the lead has.
    own_home: bool = False
    # "What are you looking for in the new place?": the reply describes the home wanted next.
    next_home: bool = False

    def asks(self, topic: str) -> bool:
        """True when ``topic`` is among the asked topics."""
        return topic in self.topics

    def open_part(self) -> Question:
        """The question once its yes or no was given ("Still 4 bedrooms?" -> "no" -> "3 is
        enough"): what it asks for is still open, a yes or a no in a later message answers
        nothing ("Still looking in Apex?" -> "yes" -> "no rush tho")."""
        return replace(self, echo="", yes_intents=(), preapproval=False, lender=False,
                       first_home=False,
                       topics=tuple(t for t in self.topics if t not in ("agent", "call")))


NO_QUESTION = Question()


def classify_question(body: str, *, seller: bool) -> Question:
    """Classify an outbound message; ``seller`` tells a bare "price" question apart."""
    text = normalize(body)
    if "?" not in text:
        return NO_QUESTION
    segments = Segments.of(text)
    sentences = segments.sentences()
    # the questions, each with the topic set off before it ("Your budget - still 400?")
    asked = " ".join(
        text[a:b] for i, (a, b) in enumerate(sentences) if "?" in text[a:b] or (
            i + 1 < len(sentences) and _topic_of_next(text[a:b], text[slice(*sentences[i + 1])]))
    )
    found: list[tuple[int, str]] = []
    for name, pattern in _TOPICS:
        match = pattern.search(asked)
        if match:
            found.append((match.start(), name))
    if not any(name == "timeline" for _, name in found) and read_dates(asked, _ANY_DAY):
        found.append((len(asked), "timeline"))  # "Looking to buy in the next 3 months?"
    topics = [name for _, name in sorted(found)]
    if "rent_budget" in topics and "budget" in topics:
        topics.remove("budget")
    if "sell_price" in topics and "budget" in topics:
        if re.search(r"budget|price range|spend|afford", asked):
            topics.remove("sell_price")
        else:
            topics.remove("budget")
    elif "budget" in topics and _PRICE_OF_OWN_HOME.search(asked) and not re.search(
            r"budget|price range|spend|afford|presupuesto|gastar", asked):
        # "¿Ya tiene un precio en mente para su casa?": the price of the home the lead has
        topics[topics.index("budget")] = "sell_price"
    elif "budget" in topics and seller and re.search(r"\bprice\b|\bin mind\b|\bhow much\b",
                                                     asked) and not (
        re.search(r"budget|price range|spend|afford|new place|next", asked)
    ):
        topics[topics.index("budget")] = "sell_price"
    agent_asked = re.search(r"working with|have an?|using|represented|signed|trabaj\w* con"
                            r"|tiene|firmo", asked)
    if "agent" in topics and not agent_asked:
        topics.remove("agent")
    choice_match = _CHOICE.search(text)
    choice = bool(choice_match)
    options = _options(text, choice_match.start()) if choice_match else ()
    yes_intents: list[str] = []
    if not choice:
        if re.search(r"\balso sell|\btambien vender", text):
            yes_intents.append("buy_and_sell")
        elif re.search(r"\b(?:sell|selling|vender|vendiendo)\b|" + _LIST_VERB, text):
            yes_intents.append("sell")
        if re.search(r"\b(?:buy|buying|purchase|comprar|comprando)\b", asked):
            yes_intents.append("buy")
        if re.search(r"\b(?:rent|renting|rentar|alquilar)\b", asked):
            yes_intents.append("rent")
    wh_intent = any(
        re.search(r"\b(?:what|which|where|when|how|que|cual|donde|cuando|como)\b", text[a:b])
        and re.search(r"\b(?:buy|buying|sell|selling|rent|renting|comprar|vender|rentar)\b|"
                      + _LIST_VERB,
                      text[a:b])
        for a, b in segments.sentences()
        if "?" in text[a:b]
    )
    return Question(
        echo="" if choice else _echo(text, segments),
        now_home=bool(_NOW_HOME.search(asked) or _RENT_NOW.search(asked))
        and not _WANTED.search(asked),
        own_home=bool(_OWN_HOME.search(asked)) and not _WANTED.search(asked),
        next_home=bool(_NEXT_HOME_ASKED.search(asked)),
        topics=tuple(topics),
        yes_intents=tuple(yes_intents),
        intent_choice=choice,
        options=options,
        first_home=bool(re.search(r"first (?:home|house|purchase)|first[\s-]time|primera (?:casa"
                                  r"|vez|compra)", asked)),
        preapproval=bool(re.search(r"pre-?\s?approv|pre-?\s?aprob", asked)),
        lender=bool(re.search(r"\blender|\bbank\b|\bloan\b|\bfinanc\w*|\bmortgage\b|prestamista"
                              r"|\bbanco\b|prestamo|credito|hipoteca", asked)),
        wh_intent=wh_intent,
        asked=asked,
    )


_OPTION_WORDS: dict[str, str] = {
    "buy": "buy", "buying": "buy", "purchase": "buy", "purchasing": "buy", "comprar": "buy",
    "sell": "sell", "selling": "sell", "vender": "sell", "rent": "rent", "renting": "rent",
    "rentar": "rent", "alquilar": "rent", "both": "buy_and_sell", "ambos": "buy_and_sell",
    "ambas": "buy_and_sell", "invest": "invest", "investing": "invest", "invertir": "invest",
    "investment": "invest", "inversion": "invest", "residence": "buy",
}
_OPTION = re.compile(r"\b(?:" + "|".join(_OPTION_WORDS) + r"|las dos)\b")


def _options(text: str, start: int) -> tuple[str, ...]:
    """The plans a choice question names, in order, from where the choice starts to its "?"."""
    end = text.find("?", start)
    found: list[str] = []
    for m in _OPTION.finditer(text, start, end if end >= 0 else len(text)):
        option = _OPTION_WORDS.get(m.group(0), "buy_and_sell")
        if option not in found:
            found.append(option)
    return tuple(found)


# A question word near the start makes a sentence an open question, which "yes" cannot answer.
_OPEN = re.compile(r"^\W*(?:[\w']+\W+){0,3}?(?:what|what'?s|whats|which|where|when|how|why|who"
                   r"|whose|que|cual|cuales|cuanto|cuanta|cuantos|cuantas|donde|cuando|como)\b")
# About something already done or sent ("did you see the listing in Cary?"): no preference.
_RECEIVED = re.compile(r"\b(?:did|have|had)\s+(?:you|u)\s+(?:\w+\s+)?(?:see|seen|get|gotten|got"
                       r"|receive|received|check|checked|look|looked|hear|heard|had a chance)\b")
_NOW_HOME = re.compile(
    r"\b(?:where|what (?:area|city|town|part of town|neighbou?rhood|kind of (?:place|home|house)"
    r"|type of (?:place|home|house))|donde|en que (?:zona|ciudad|area|parte))\b[^?]*?\b(?:live"
    r"|living|stay|staying|renting|rent|located|based|currently|now|right now|vive|viven|vives"
    r"|renta|rentan|actualmente|ahorita|ahora)\b"
)
# A question about the home the lead has: "where's your home?", "tell me about your house".
_OWN_HOME = re.compile(r"\b(?:your|ur|su|tu)\s+(?:current\s+|actual\s+)?(?:home|house|place|condo"
                       r"|townhome|townhouse|property|casa|propiedad|depa|departamento)\b")
# A question about the home wanted next: "what are you looking for in the new place?".
_NEXT_HOME_ASKED = re.compile(r"\b(?:new|next)\s+(?:place|home|house|one)\b|\blooking for in\b"
                              r"|\b(?:nueva|proxima|siguiente) (?:casa|propiedad|vivienda)\b"
                              r"|\bcasa nueva\b")
# "Are you currently renting?" -> "yes, in Morrisville": where they are.
_RENT_NOW = re.compile(r"\b(?:are|do) (?:you|u) (?:currently |still |now )?(?:rent|renting|live"
                       r"|living|lease|leasing|own)\b|\b(?:renta|vive|viven) (?:actualmente|ahora)")
_WANTED = re.compile(r"\b(?:want|wanna|looking|hoping|hope|move to|moving to|buy|buying|like to"
                     r"|interested|quiere|quieren|busca|buscan|comprar|mudar\w*|le gustaria)\b")
# A tag question asks about the statement before it.
_TAG = re.compile(r"^\W*(?:[\w']+\W+){0,4}?(?:right|correct|that|this|accurate|the case|true|so"
                  r"|verdad|correcto|cierto|asi)\W*$")
_SECOND_PERSON = re.compile(r"\b(?:you'?re|you are|u r|your|yours|you|u|ur|y'?all|usted)\b")
_FIRST_PERSON = {"youre": "i'm", "you're": "i'm", "you are": "i am", "u r": "i am", "your": "my",
                 "yours": "mine", "you": "i", "u": "i", "ur": "my", "yall": "we", "y'all": "we",
                 "usted": "yo"}


_TOPIC_ARTICLE = re.compile(r"^(?:the|la|el|los|las|lo de)\s+")


def _topic_of_next(sentence: str, following: str) -> bool:
    """Is ``sentence`` a topic set off by a dash or a colon before the question that follows
    it ("Wake Forest - still the top pick?")?"""
    return "?" not in sentence and "?" in following and sentence.rstrip().endswith(("-", ":"))


def _echo(text: str, segments: Segments) -> str:
    """The closed questions of an outbound message, as the lead would state them: second person
    turned first ("are you still wanting 3 bedrooms in apex" -> "are i still wanting ...")."""
    closed: list[str] = []
    sentences = segments.sentences()
    for i, (a, b) in enumerate(sentences):
        sentence = text[a:b]
        if "?" not in sentence or _OPEN.search(sentence) or _RECEIVED.search(sentence):
            continue
        previous = text[sentences[i - 1][0] : sentences[i - 1][1]] if i else ""
        if i and _TAG.search(sentence):  # "4 beds in Apex - did I get that right?"
            closed.append(previous.strip())
        elif i and _topic_of_next(previous, sentence):
            # "Wake Forest - still the top pick?": a topic set off by a dash or colon before a
            # question is what the question asks about (its article points back to it)
            closed.append(_TOPIC_ARTICLE.sub("", previous.strip()))
        elif i and "?" not in previous and re.search(r"\b(?:your|ur|su)\s+(?:\w+\s+)?(?:home"
                                                     r"|house|place|condo|townhome|casa)\b",
                                                     previous):
            # "Following up on your home in Apex. Still thinking of selling?" asks about it
            closed.append(previous.strip())
        closed.append(sentence.replace("?", " ").strip())
    spoken = " . ".join(c for c in closed if c)
    return _SECOND_PERSON.sub(lambda m: _FIRST_PERSON[m.group(0)], spoken)


# A greeting or interjection said before the answer: "hi! yes we are", "omg yes".
_OPENER = re.compile(r"^\W*(?:hi|hey|hello|hiya|yo|hola|buenas(?: tardes| noches)?|buenos dias|oh"
                     r"|ooh"
                     r"|omg|wow|haha|hahaha|lol|thanks|thank you|gracias|good morning|morning"
                     r"|hi there|hey there)(?:\s+[a-z]+)?\s*[!.,]+\s*")


# Words around a one-word pick that add nothing: "riverview prob", "def the second one".
_PICK_FILLER = re.compile(r"\b(?:probably|definitely|prob|def|maybe|i think|i'?d say|id say"
                          r"|honestly|for sure|lol|please|pls|thanks|i guess|mostly|mainly|creo"
                          r"|mejor|seguro|gracias|the|a|an|el|la|un|una)\b")
# Words that lead into either side of "A or B" ("in cary or in apex", "a house or a townhome").
_LEAD_IN = frozenset(("in", "at", "near", "around", "a", "an", "the", "to", "for", "en", "un",
                      "una", "el", "la", "de", "por", "cerca"))


# A side of "A or B?" picked by its place: "the first one", "the latter", "la segunda".
_ORDINAL_PICK: dict[str, str] = {
    **dict.fromkeys(("first one", "first", "1st", "1st one", "former", "primero", "primera",
                     "primer"), "first"),
    **dict.fromkeys(("second one", "second", "2nd", "2nd one", "latter", "last one", "segundo",
                     "segunda", "ultimo", "ultima"), "second"),
}


def pick_alternative(reply: str, echo: str) -> str | None:
    """A short reply naming one side of a closed "A or B?" question picks it, and so affirms the
    question with that side alone: "are i looking to buy in riverview or valrico" -> "riverview"
    gives "are i looking to buy in riverview". ``None`` when the reply picks no side."""
    if " or " not in echo and " o " not in echo:
        return None
    head = " ".join(_PICK_FILLER.sub(" ", re.sub(r"[^\w\s'-]", " ", reply)).split())
    if not head or len(head.split()) > 3:
        return None
    for sentence in echo.split(" . "):
        m = re.search(r"\s(?:or|o)\s", sentence)
        if not m:
            continue
        left, right_words = sentence[: m.start()], sentence[m.end() :].split()
        while len(right_words) > 1 and right_words[0] in _LEAD_IN:
            right_words = right_words[1:]  # "... or a townhome", "... o en summerlin"
        right = " ".join(right_words)
        side = _ORDINAL_PICK.get(head)  # "Single family or condo?" -> "the first one"
        if side == "first":
            return left
        if side == "second":
            head = right
        if left.endswith(" " + head) or left == head:
            return left  # the other side, and what follows it, is left out
        if right == head or right.startswith(head + " "):
            # the other side ends the left part: drop up to as many words as the pick has, but
            # not the word that leads into both ("in cary or holly springs" keeps "in")
            kept = left.split()
            for _ in head.split():
                if len(kept) < 2 or kept[-1] in _LEAD_IN:
                    break
                kept.pop()
            return " ".join([*kept, right])
    return None


# A word drawn out for emphasis ("siii", "yesss", "nooo", "yeahhh") reads as written once: a
# vowel doubled or any letter tripled at the end of a word.
_DRAWN_OUT = re.compile(r"([aeiou])\1+\b|([a-z])\2{2,}\b")


def undrawn(text: str) -> str:
    """``text`` with words drawn out for emphasis written once ("siii" -> "si")."""
    return _DRAWN_OUT.sub(lambda m: m.group(1) or m.group(2), text)


def polarity(text: str) -> Polarity | None:
    """Whether a reply opens with a yes or a no ("eventually, yes ..." counts as yes)."""
    head = undrawn(re.split(r"[.!?\n]", _OPENER.sub("", text.strip(), count=1), maxsplit=1)[0])
    if _NO.search(head):
        return "no"
    # A negation after "but" qualifies the yes ("yes for 425k but we don't want to go over").
    opening = re.split(r"\b(?:but|pero)\b", head, maxsplit=1)[0]
    if (_YES.search(head) or _YES_EMOJI.match(text)) and not re.search(
            r"\b(?:don'?t|dont|do not|not|no)\b", opening):
        return "yes"
    return None


# The words of a no that answer and nothing more (not "never", "nothing": those may negate the
# words after them, "nothing in folsom").
_NO_PARTICLE = re.compile(r"^\W*(?:n+o+(?:p+e*)?|n+a+h+|n+e+l+|negative|not really)\b")


def answer_particle(text: str) -> tuple[int, int] | None:
    """The span of the no that opens a reply ("no chandler", "nope, elk grove"): it answers the
    question, so it negates nothing after it."""
    m = _NO_PARTICLE.match(text)
    return (m.start(), m.end()) if m and polarity(text) == "no" else None


# Words a bare answer may hold besides its yes or no: "nah", "no sorry", "yes please 🙂".
_PARTICLES = frozenset((
    "yes", "yeah", "yep", "yup", "ya", "yea", "sure", "ok", "okay", "correct", "no", "nope",
    "nah", "not", "really", "negative", "never", "nel", "si", "sip", "simon", "claro",
    "correcto", "lol", "haha", "tbh", "thanks", "gracias", "pls", "please", "porfa", "sorry",
    "hmm", "well", "oh", "um", "uh"))


def bare_answer(text: str) -> bool:
    """A reply that is only a yes or a no ("nah", "nel", "yes!", "👍"): the rest of the answer,
    if any, comes in the lead's next message ("Still 4 bedrooms?" -> "no" -> "3 is enough")."""
    words = re.findall(r"[a-z']+", undrawn(_OPENER.sub("", text.strip(), count=1)))
    return len(words) <= 6 and all(w in _PARTICLES for w in words) and polarity(text) is not None


# Putting a plan off, not giving it up: "we're holding off", "pushing it to next spring", "lo
# vamos a posponer", "on hold till the kids finish school".
_DEFER = re.compile(
    r"\bhold(?:ing)? off\b|\bon hold\b|\bput(?:ting)? (?:it|that|this|things|everything)"
    r" (?:off|on hold)\b|\bpush(?:ing|ed)? (?:it|that|this|things) (?:back|out|off|to)\b"
    r"|\bpostpon\w+|\bdelay(?:ing|ed)? (?:it|that|this|things)\b"
    r"|\bwait(?:ing)? (?:until|till|til|a (?:bit|while|year|few|couple))\b|\bpospon\w+"
    r"|\b(?:lo|la) (?:dejamos|vamos a dejar|dejaremos) para\b|\bdejarlo para\b"
    r"|\besper(?:ar|aremos|amos) hasta\b")


def defers(text: str) -> bool:
    """Does a reply put off the plan it is asked about ("we decided to hold off, maybe 2028")?
    A plan put off is still the plan, for later."""
    return bool(_DEFER.search(text))

