"""What an outbound message asks, so that short inbound answers ("450", "3", "yes") get meaning.

The agent's words never state preferences; they only frame the lead's next reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .areas import find_areas
from .model import Area
from .text import Segments, normalize

Polarity = Literal["yes", "no"]

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("rent_budget", r"monthly budget|budget (?:per|a|each) month|\bper month\b|\brent budget"
                        r"|\bal mes\b|\bpor mes\b|\bmensual"),
        ("sell_price", r"hop(?:e|ing) to (?:get|list)|(?:get|want) for (?:it|your|yours|the)"
                       r"|\blist (?:it|yours|your \w+)(?: \w+)? (?:for|at)|want to list it"
                       r"|\bsell for\b|\bworth\b|asking price|price (?:are you )?hoping"
                       r"|hoping for\b|want for it|cuanto (?:espera|quiere|piensa) (?:sacar|obtener"
                       r"|pedir)|en cuanto (?:la |lo )?(?:quiere )?vender|cuanto vale"),
        ("budget", r"\bbudget\b|price range|price ceiling|purchase price|max(?:imum)? price"
                   r"|price point|\bspend\b|\bafford\b|\bprice\b|number in mind|presupuesto"
                   r"|rango de precio"
                   r"|cuanto (?:quiere|puede|piensa|planea) (?:gastar|pagar|invertir)"
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
                      r"|pre-?\s?aprob|prestamista|\bcredito\b|hipoteca|contado|efectivo"
                      r"|prestamo"),
        ("features", r"must[\s-]?haves?|wish ?list|anything (?:else )?(?:you need|that's important"
                     r"|important)|looking for|need in|what kind of|what type of|\bmust\b"
                     r"|que (?:busca|buscan|necesita|necesitan)|que tipo de"),
        ("agent", r"\b(?:agent|realtor)s?\b|\bagentes?\b"),
        ("call", r"\bcall\b|\bphone\b|\bchat\b|\bllam\w+|\btelefono\b"),
    )
)
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
    # Spanish "si" is yes, but "si es posible" / "si hay" is "if"
    r"|si(?!\s+(?:es|se|puedo|podemos|hay|tiene|no|me|nos|el|la|lo)\b))\b"
)
_NO = re.compile(r"^\W*(?:no|nope|nah|not yet|not really|negative|never|nothing|none"
                 r"|todavia no|aun no|nel|para nada|tampoco)\b|\bso no\W*$")


@dataclass(frozen=True)
class Question:
    """Topics of one outbound message, in the order they are asked."""

    topics: tuple[str, ...] = ()
    yes_intents: tuple[str, ...] = ()
    intent_choice: bool = False
    first_home: bool = False
    preapproval: bool = False
    lender: bool = False
    wh_intent: bool = False
    confirm_areas: tuple[str, ...] = field(default_factory=tuple)
    asked: str = ""

    def asks(self, topic: str) -> bool:
        """True when ``topic`` is among the asked topics."""
        return topic in self.topics


NO_QUESTION = Question()


def classify_question(body: str, areas: Sequence[Area], *, seller: bool) -> Question:
    """Classify an outbound message; ``seller`` tells a bare "price" question apart."""
    text = normalize(body)
    if "?" not in text:
        return NO_QUESTION
    segments = Segments.of(text)
    asked = " ".join(
        text[a:b] for a, b in segments.sentences() if "?" in text[a:b]
    )
    found: list[tuple[int, str]] = []
    for name, pattern in _TOPICS:
        match = pattern.search(asked)
        if match:
            found.append((match.start(), name))
    topics = [name for _, name in sorted(found)]
    if "rent_budget" in topics and "budget" in topics:
        topics.remove("budget")
    if "sell_price" in topics and "budget" in topics:
        if re.search(r"budget|price range|spend|afford", asked):
            topics.remove("sell_price")
        else:
            topics.remove("budget")
    elif "budget" in topics and seller and re.search(r"\bprice\b|number in mind", asked) and not (
        re.search(r"budget|price range|spend|afford|new place|next", asked)
    ):
        topics[topics.index("budget")] = "sell_price"
    agent_asked = re.search(r"working with|have an?|using|represented|signed|trabaj\w* con"
                            r"|tiene|firmo", asked)
    if "agent" in topics and not agent_asked:
        topics.remove("agent")
    choice = bool(_CHOICE.search(text))
    yes_intents: list[str] = []
    if not choice:
        if re.search(r"\balso sell|\btambien vender", text):
            yes_intents.append("buy_and_sell")
        elif re.search(r"\b(?:sell|selling|vender|vendiendo)\b", text):
            yes_intents.append("sell")
        if re.search(r"\b(?:buy|buying|purchase|comprar|comprando)\b", asked):
            yes_intents.append("buy")
        if re.search(r"\b(?:rent|renting|rentar|alquilar)\b", asked):
            yes_intents.append("rent")
    confirm = tuple(name for _, _, name in find_areas(asked, areas))
    wh_intent = any(
        re.search(r"\b(?:what|which|where|when|how|que|cual|donde|cuando|como)\b", text[a:b])
        and re.search(r"\b(?:buy|buying|sell|selling|rent|renting|comprar|vender|rentar)\b",
                      text[a:b])
        for a, b in segments.sentences()
        if "?" in text[a:b]
    )
    return Question(
        topics=tuple(topics),
        yes_intents=tuple(yes_intents),
        intent_choice=choice,
        first_home=bool(re.search(r"first (?:home|house|purchase)|first[\s-]time|primera (?:casa"
                                  r"|vez|compra)", asked)),
        preapproval=bool(re.search(r"pre-?\s?approv|pre-?\s?aprob", asked)),
        lender=bool(re.search(r"\blender|\bbank\b|\bloan\b|prestamista|\bbanco\b|prestamo",
                              asked)),
        wh_intent=wh_intent,
        confirm_areas=confirm,
        asked=asked,
    )


def polarity(text: str) -> Polarity | None:
    """Whether a reply opens with a yes or a no ("eventually, yes ..." counts as yes)."""
    head = re.split(r"[.!?\n]", text.strip(), maxsplit=1)[0]
    if _NO.search(head):
        return "no"
    # A negation after "but" qualifies the yes ("yes for 425k but we don't want to go over").
    opening = re.split(r"\bbut\b", head, maxsplit=1)[0]
    if _YES.search(head) and not re.search(r"\b(?:don'?t|dont|do not|not|no)\b", opening):
        return "yes"
    return None
