"""Does the lead clearly re-engage (workers.consent.engagement.reengages)?

Rows are grouped by the rule they exercise. Each rule has near misses beside it, since the
reading lifts an "unsure" consent state without a person and so must rather say no.
"""

from __future__ import annotations

import pytest

from workers.consent.engagement import reengages

# (message, why it re-engages)
YES: list[tuple[str, str]] = [
    # question shape + property / availability
    ("Is the 3 bed on Elm still available?", "auxiliary opener, bed, available"),
    ("is it still availble", "typo in 'available', no question mark"),
    ("hi, is the condo still on the market?", "a greeting before the question clause"),
    ("The townhouse on Birch, is it still for sale?", "the topic named before the question"),
    ("any pics of the kitchen?", "'any' opener, photos"),
    ("how many bedrooms does it have", "how + bedrooms"),
    ("does it have a garage", "auxiliary + garage"),
    ("¿Todavía está disponible la casa?", "Spanish: ¿...? with disponible and casa"),
    ("sigue disponible el depa", "Spanish opener 'sigue', no marks"),
    ("hay cochera?", "Spanish 'hay' + cochera"),
    ("cuantos cuartos tiene", "cuántos + cuartos, unaccented"),
    ("¿Me puede mandar fotos de la casa?", "Spanish request as a question"),
    # question shape + visit / time
    ("can we see it Saturday at 2?", "visit and time"),
    ("can we see it sat", "texting 'sat'"),
    ("when is the open house", "when + open house"),
    ("Saturday at 2 works?", "last clause of a question, with a time"),
    ("can we see it at 2:30?", "a clock time does not split the clause"),
    ("😍 can we see it tmrw", "an emoji before the opener"),
    ("¿Podemos verla el sábado?", "Spanish visit + day"),
    ("podemos verla el sabado", "unaccented, no marks"),
    ("¿a qué hora es la cita?", "'a qué' opener + cita"),
    # question shape + price / financing
    ("what's the price on the condo", "what's + price"),
    ("wats the price", "texting 'wats'"),
    ("how much is the HOA", "how much + HOA"),
    ("how much?", "a bare price question"),
    ("is it $450,000?", "a dollar figure; the thousands comma does not split"),
    ("do u have anything under 400k", "u for you, a 400k budget"),
    ("What's the down payment on the Elm house?", "financing"),
    ("Can I get pre-approved?", "pre-approval"),
    ("¿cuánto cuesta?", "Spanish price"),
    ("cuanto cuesta", "unaccented"),
    ("q precio tiene la casa", "texting 'q' for qué"),
    ("¿Aceptan crédito FHA?", "Spanish financing question"),
    # request shape (not negated) + topic
    ("I'd like to see it tomorrow", "would like + visit"),
    ("id like to see it tmrw", "texting forms"),
    ("i want to schedule a showing", "want to + showing"),
    ("send me the address pls", "send me + address"),
    ("lets do sat at 11am", "let's + day and time"),
    ("call me tomorrow about the condo", "call me + time"),
    ("I'm interested in the 2 bath on Oak", "interested in + bath"),
    ("looking for a 3 bed under 400k", "looking for + bedrooms + price"),
    ("me gustaría agendar una cita", "me gustaría + cita"),
    ("kiero verla mañana", "texting 'kiero', verla, mañana"),
    ("mándeme la dirección por favor", "Spanish imperative + dirección"),
    ("busco casa de 3 recámaras", "busco + casa"),
    ("Hola! ¿Sigue en venta la casa de Elm?", "greeting sentence, then the question"),
    ("Are you a real person? when can we see it", "the second sentence re-engages on its own"),
    ("can i stop by saturday?", "'stop by' is a visit, not a stop"),
]

# (message, why it does not)
NO: list[tuple[str, str]] = [
    # no topic: shape alone is not enough
    ("???", "punctuation only"), ("?", "a bare question mark"), ("what?", "question, no topic"),
    ("how are you?", "small talk"), ("can you call me?", "a request with no topic"),
    ("call me", "request, no topic"), ("¿cómo está?", "Spanish small talk"),
    ("are you available?", "'available' about a person"),
    ("are you home?", "'home' as 'at home'"),
    ("thanks a lot, what?", "'a lot' is not a plot of land"),
    ("a ver?", "Spanish filler 'a ver'"), ("vale?", "Spanish 'vale' = ok"),
    ("how much longer will you text me?", "'how much longer' is no price"),
    ("¿Cuánto tiempo más me van a escribir?", "'cuánto tiempo' is no price"),
    # no shape: a topic alone is not enough
    ("yes saturday works", "an answer, not a question or request"),
    ("the house is nice", "a statement"), ("👍", "emoji"), ("🏠?", "a house emoji is no word"),
    ("ok", "ok"), ("k", "k"), ("lol", "lol"), ("yes", "bare yes"), ("no", "bare no"),
    ("Not now. Maybe later", "a deferral"),
    ("¡Qué bonita casa!", "an exclamation, not a question"),
    # shape and topic in different clauses or sentences
    ("i sold the house, ok?", "the question clause has no topic"),
    ("what? i sold my house last year", "the question and the house are apart"),
    # negated requests
    ("I don't want to see it", "negated 'want to'"), ("no quiero ver la casa", "negated quiero"),
    ("I'm not looking for a house", "negated 'looking'"),
    ("never send me listings", "negated send"),
    # opt-out or stop words anywhere
    ("stop", "opt-out"), ("STOP. is the condo available?", "an opt-out beside the question"),
    ("can u stop texting me on saturdays", "a stop with a time is still no re-engagement"),
    ("please stop. when is the open house?", "stop in the same message"),
    ("unsubscribe me, how much is it", "unsubscribe"), ("baja. cuánto cuesta?", "Spanish opt-out"),
    ("don't call me tomorrow", "don't call"),
    ("no me escriban mañana", "Spanish don't write"),
    # confusion and identity
    ("who is this", "identity"), ("who dis", "texting identity"),
    ("who is this? is the house still available?", "identity beside a real question"),
    ("how did you get my number", "how did you get my number"),
    ("Is this still Maria's number?", "about the number"),
    ("wrong number", "wrong number"), ("wrong number, what house?", "wrong number + confusion"),
    ("what house?", "confusion about the house"), ("lol what house?", "same, after filler"),
    ("which property?", "confusion, 'which'"),
    ("¿qué casa?", "Spanish confusion"), ("de que casa me habla?", "de qué ... habla"),
    ("¿quién es? ¿qué casa?", "Spanish identity + confusion"),
    ("what is this about a house?", "what is this about"),
    ("is this about my house?", "asking what this is about"),
    ("¿Es sobre mi casa?", "Spanish: is this about"),
    ("I never asked about a house, what is this", "never asked"),
    ("i didn't sign up for house alerts, when did i?", "didn't sign up"),
    ("not interested in the condo", "not interested"),
    ("no me interesa la casa", "Spanish not interested"),
    ("nunca pedí información de casas, ¿cuánto?", "nunca pedí"),
    ("no entiendo, ¿qué casa?", "no entiendo"),
    # annoyance with the contact itself
    ("why do you keep texting me about houses?", "why ... texting"),
    ("why am i getting texts about a condo?", "why am I getting"),
    ("¿por qué me escriben de una casa?", "por qué me escriben"),
    ("is this spam? what property?", "spam"), ("es una estafa? cuanto cuesta", "estafa"),
]


@pytest.mark.parametrize(("text", "why"), YES, ids=[w for _, w in YES])
def test_reengages(text: str, why: str) -> None:
    assert reengages(text), why


@pytest.mark.parametrize(("text", "why"), NO, ids=[w for _, w in NO])
def test_does_not_reengage(text: str, why: str) -> None:
    assert not reengages(text), why


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty(text: str) -> None:
    assert not reengages(text)
