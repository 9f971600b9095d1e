"""The opt-out reading (workers.consent.optout), by phrasing class.

The cases are written from the classes in the module docstring, not copied from any dev set:
each class has several wordings so that a rule keyed to one sentence fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workers.consent.optout import Signal, classify, signals
from workers.learning.extract import Message, extract_profile

KEYWORDS: list[tuple[str, Signal | None]] = [
    ("STOP", "opt_out"), ("Stop.", "opt_out"), ("stop please", "opt_out"),
    ("STOPALL", "opt_out"), ("stop all", "opt_out"), ("UNSUBSCRIBE", "opt_out"),
    ("unsubscribe!!", "opt_out"), ("quit.", "opt_out"), ("CANCEL", "opt_out"), ("end", "opt_out"),
    ("REVOKE", "opt_out"), ("Opt out", "opt_out"), ("OPTOUT", "opt_out"), ("opt-out", "opt_out"),
    ("remove", "opt_out"), ("Remove me please", "opt_out"), ("STOPPPP", "opt_out"),
    ("stooop 🙄", "opt_out"), ("🛑 STOP 🛑", "opt_out"), ("pls stop now", "opt_out"),
    ("stop stop stop", "opt_out"), ("Got it, thanks. STOP", "opt_out"),
    ("no thank you, STOP", "opt_out"), ("ok bye. unsubscribe", "opt_out"), ("unsub", "opt_out"),
    ("i said STOP", "opt_out"), ("Stop it!! Not interested", "opt_out"), ("STOP?", "opt_out"),
    ("STOP i never signed up for this", "opt_out"), ("Stop, wrong person", "opt_out"),
    ("baja", "opt_out"), ("baja por favor", "opt_out"), ("PARAR!", "opt_out"), ("PARA", "opt_out"),
    ("Alto!", "opt_out"), ("CANCELAR", "opt_out"), ("detener", "opt_out"), ("Salir", "opt_out"),
    ("NO MAS", "opt_out"), ("no más por favor", "opt_out"),
]

NATURAL_EN: list[tuple[str, Signal | None]] = [
    ("please stop texting me", "opt_out"), ("Quit texting me already", "opt_out"),
    ("cease all contact", "opt_out"), ("stop sending me these messages", "opt_out"),
    ("can you not message me anymore?", "opt_out"), ("could you not text me again", "opt_out"),
    ("Do not contact me again.", "opt_out"), ("dont txt me no more", "opt_out"),
    ("Don’t ever text this number again", "opt_out"), ("never contact me again", "opt_out"),
    ("cut it out", "opt_out"), ("seriously knock it off", "opt_out"),
    # A dismissal naming what it is about.
    ("told you twice, cut it out with the texts", "opt_out"),
    ("knock it off with the calls already", "opt_out"),
    ("give it a rest with all these messages", "opt_out"), ("ya basta con los mensajes", "opt_out"),
    ("knock it off with the condo listings", None),
    ("we cut it out with the texts last year", None),
    ("enough with the texts", "opt_out"), ("no more messages please", "opt_out"),
    ("no more texts!!", "opt_out"), ("Please, no more contact.", "opt_out"),
    ("remove me from your mailing list", "opt_out"),
    ("take us off your list, we bought", "opt_out"),
    ("pls take my number off ur list", "opt_out"), ("How do I get off this list?", "opt_out"),
    ("lose my number", "opt_out"), ("delete my info please", "opt_out"),
    # "unstop" opening a message that explains it; not a question, a condition or a later time
    ("unstop lol sorry meant to text my brother", "resubscribe"), ("unstop?", None),
    ("unstop if you find something under 300", None), ("unstop in march", None),
    # "these" for our texts, and declining what is to come
    ("I'd rather not get these anymore", "opt_out"),
    ("we'd rather not get these, thanks", "opt_out"),
    ("I'm going to pass on future messages", "opt_out"),
    ("I'll pass on getting more of these", "opt_out"),
    ("I'd rather not get these listings", None), ("I'll pass on that one", None),
    ("pass on the listings for now", None), ("I'll pass on the open house", None),
    ("Please delete my number from your records", "opt_out"),
    ("unsubscribe me from these", "opt_out"), ("opt me out", "opt_out"),
    ("How do I opt out of these texts?", "opt_out"), ("I don't want any more texts", "opt_out"),
    ("i dont want these messages", "opt_out"), ("I no longer wish to be contacted", "opt_out"),
    ("I'd rather not get any more texts from you", "opt_out"),
    ("I would prefer not to receive further messages, thank you", "opt_out"),
    ("leave me alone", "opt_out"), ("Leave us alone please", "opt_out"), ("go away", "opt_out"),
    ("we're all set, stop messaging us", "opt_out"),
    ("stop contacting me about my house", "opt_out"),
    ("STOP TEXTING ME!!!", "opt_out"), ("I want off your list", "opt_out"),
    ("please stop reaching out", "opt_out"), ("quit bugging me", "opt_out"),
    ("stop harassing me", "opt_out"), ("i revoke my consent to receive texts", "opt_out"),
    ("put me on your do not call list", "opt_out"), ("don't text me, email me instead", "opt_out"),
    ("stop texting, you can call me if needed", "opt_out"),
    ("I do not want to receive text messages from you", "opt_out"),
    ("please stop sending texts to this number", "opt_out"),
    ("stop calling and texting me", "opt_out"),
    ("I'd like to be removed from your list", "opt_out"), ("you guys need to stop", "opt_out"),
    ("can you please just stop", "opt_out"), ("I need you to stop messaging me", "opt_out"),
    ("wrong person. stop texting me", "opt_out"), ("who is this? stop", "opt_out"),
    ("not interested. take me off your list", "opt_out"),
    ("we sold already so no more msgs pls", "opt_out"),
    ("Hey can you stop with the texts lol", "opt_out"),
    ("i asked u to stop txting me", "opt_out"), ("stop blowing up my phone", "opt_out"),
    ("I already unsubscribed, stop", "opt_out"),
    ("I'd appreciate it if you stopped texting me", "opt_out"),
    ("quit it with the texts", "opt_out"),
    ("Thanks, but I'm all set. Please unsubscribe me.", "opt_out"),
    ("don't call me anymore", "opt_out"), ("stop calling me", "opt_out"),
    ("im good, you can stop texting me now", "opt_out"), ("Stop texting me right now", "opt_out"),
    ("DO NOT TEXT ME", "opt_out"), ("Please discontinue texts", "opt_out"),
]

NATURAL_ES: list[tuple[str, Signal | None]] = [
    ("prefiero no recibir más mensajes", "opt_out"), ("prefiero ya no recibirlos", "opt_out"),
    ("paso de recibir más mensajes", "opt_out"), ("preferimos que no nos escriban", "opt_out"),
    ("prefiero que ya no me escriban", "opt_out"), ("prefiero no ver esa casa", None),
    ("paso de esa casa", None), ("prefiero recibir mensajes por la tarde", None),
    ("prefiero no recibir llamadas, solo mensajes", None),
    ("ya no me escriban", "opt_out"), ("Ya no me escribas porfa", "opt_out"),
    ("no me envíen más mensajes", "opt_out"), ("no me manden mensajes", "opt_out"),
    ("dejen de escribirme por favor", "opt_out"), ("deja de mandarme mensajes", "opt_out"),
    ("Dejen de contactarme", "opt_out"), ("no quiero recibir mas mensajes", "opt_out"),
    ("No quiero más mensajes", "opt_out"), ("borrenme de su lista", "opt_out"),
    ("sáquenme de la lista", "opt_out"), ("quítenme de sus contactos", "opt_out"),
    ("Bájenme de la lista", "opt_out"), ("no me contacten más", "opt_out"),
    ("No me escriban más, gracias", "opt_out"), ("quiero darme de baja", "opt_out"),
    ("déjenme en paz", "opt_out"), ("paren de escribirme", "opt_out"),
    ("borren mi número por favor", "opt_out"), ("ya no me molesten", "opt_out"),
    ("Gracias pero no me escriban mas", "opt_out"), ("favor de no escribirme", "opt_out"),
    ("Ya no quiero que me escriban", "opt_out"), ("Ya basta de mensajes", "opt_out"),
    ("No me llamen más", "opt_out"), ("No gracias, ya no me manden nada", "opt_out"),
]

RESUBSCRIBE: list[tuple[str, Signal | None]] = [
    ("START", "resubscribe"), ("Start", "resubscribe"), ("UNSTOP", "resubscribe"),
    ("resubscribe", "resubscribe"), ("opt me back in please", "resubscribe"),
    ("you can text me again", "resubscribe"), ("ok you can start texting me again", "resubscribe"),
    ("ALTA", "resubscribe"), ("Comenzar", "resubscribe"), ("sorry, START", "resubscribe"),
    ("STOP. actually START", "resubscribe"), ("oops wrong chat. start", "resubscribe"),
    ("START sorry that was meant for someone else", "resubscribe"),
    ("ya pueden escribirme de nuevo", "resubscribe"), ("START again please", "resubscribe"),
    ("start. stop", "opt_out"),
]

NEAR_MISSES: list[tuple[str, Signal | None]] = [
    ("can we cancel the showing tomorrow?", None), ("cancel my appointment for saturday", None),
    ("I'll stop by the open house", None), ("we can stop at the model home on the way", None),
    ("lease is up at the end of the month", None), ("can we end the call early today?", None),
    ("stop sending me 2 bedrooms", None), ("please stop sending me condos, I want a house", None),
    ("I quit my job so we're moving", None), ("we want to start looking in april", None),
    ("start date is june 1", None), ("let's start with the ones in cary", None),
    ("don't call, text only", None), ("please don't call me, texting is better", None),
    ("no need to stop texting me", None), ("you don't have to stop sending listings", None),
    ("please don't stop sending me listings!", None), ("cancel the tour, we found one", None),
    ("the end of june works", None), ("we had to quit looking for a while but we're back", None),
    ("Necesito cancelar la cita", None), ("no me manden casas de 2 recámaras", None),
    ("dejen de mandarme condominios, quiero casa", None),
    ("vamos a parar en la casa de mi mamá", None), ("para cuando necesitan la respuesta?", None),
    ("quiero una casa para mi familia", None), ("call me instead of texting", None),
    ("I want to remove the pool from my must haves", None),
    ("take me to see the house on main", None), ("text me the address", None),
    ("no more than 400k", None), ("no mas de 300 mil", None),
    ("Can you stop sending me houses over 500k", None), ("don't send me anything over 400k", None),
    ("stop showing me condos", None), ("we want out of our lease", None),
    ("This is the end of our search! we bought", None), ("Cancel, we found a place", None),
]

TIMING: list[tuple[str, Signal | None]] = [
    ("dont text me before 9am", None), ("please don't text me during work hours", None),
    ("don't message me after 8pm", None), ("no texts on weekends please", None),
    ("don't text me until next week, on vacation", None),
    ("stop texting me so early in the morning", None), ("pls dont text me at night", None),
    ("don't text me while i'm at work", None), ("no me escriban antes de las 10", None),
    ("no me manden mensajes en horas de trabajo", None),
    ("don't contact me till after the holidays", None),
    ("Don't text me right now, I'm driving", None), ("Stop texting me at 7am!", None),
    ("don't text me unless it's under 300k", None),
]

UNSURE: list[tuple[str, Signal | None]] = [
    ("Wrong number.", "unsure"), ("You have the wrong number", "unsure"),
    ("who is this?", "unsure"), ("not interested", "unsure"), ("Not interested, thanks", "unsure"),
    ("how did you get my number?", "unsure"), ("this is harassment", "unsure"),
    ("I'm reporting you", "unsure"), ("this is spam", "unsure"),
    ("I never signed up for this", "unsure"), ("número equivocado", "unsure"),
    ("¿Quién es?", "unsure"), ("no me interesa", "unsure"), ("no estoy interesado", "unsure"),
    ("maybe stop?", "unsure"), ("stop jk", "unsure"), ("why won't you stop", "unsure"),
    ("please don't call me", "unsure"), ("No me llamen", "unsure"),
    ("stop asking about my house", "unsure"), ("I'm not selling, stop asking", "unsure"),
    ("enough", "unsure"), ("Basta", "unsure"), ("stop texting me so much", "unsure"),
    ("who dis", "unsure"), ("too many texts", "unsure"), ("why do you keep texting me", "unsure"),
    ("stop sending listings", "unsure"),
]

NOTHING: list[tuple[str, Signal | None]] = [
    ("yes still looking in cary", None), ("3 beds is fine", None), ("thanks!", None),
    ("no thanks", None), ("", None), ("ok", None), ("Can someone call me?", None),
]

# A request with a threat after "or": the request alone decides, the threat does not blur it.
THREAT_TAIL: list[tuple[str, Signal | None]] = [
    ("CANCEL OR I WILL CALL MY LAWYER", "opt_out"), ("stop it or i'll report you", "opt_out"),
    ("remove me, or else!!", "opt_out"), ("cut it out or you'll be reported", "opt_out"),
    ("para ya o te bloqueo", "opt_out"), ("basta o los denuncio", "opt_out"),
    ("cancel Saturday's showing or I'll report you", "unsure"),
    ("cancel or move it to monday, either is fine", None),
]

# Spanish removal from a channel other than "lista", and "seguir / volver a recibir" forms.
SPANISH_MORE: list[tuple[str, Signal | None]] = [
    ("quítame de tus mensajes", "opt_out"), ("sáquennos de sus correos", "opt_out"),
    ("me pueden quitar de sus envíos?", "opt_out"), ("bórrenme de su directorio", "opt_out"),
    ("no deseamos seguir recibiendo información", "opt_out"),
    ("no quiero continuar recibiendo sus textos", "opt_out"),
    ("ya no me interesa recibir más publicidad", "opt_out"),
    ("no vuelvas a escribirme", "opt_out"), ("no me vuelvan a llamar", "opt_out"),
    ("sáquenme de dudas", None), ("no necesito más información, ya la tengo", None),
    ("no quiero recibir información de terrenos", None), ("no me saquen de sus mensajes", None),
]

# Resubscribe stays strict: short explicit requests only.
RESUB_MORE: list[tuple[str, Signal | None]] = [
    ("resubscribe me", "resubscribe"), ("re-subscribe us please", "resubscribe"),
    ("put me back on your text list", "resubscribe"), ("vuelvan a contactarme", "resubscribe"),
    ("vuelva a enviarme mensajes por favor", "resubscribe"),
    ("resubscribe me?", None), ("resubscribe me in june", None),
    ("si tienen algo nuevo vuelvan a escribirme", None), ("nunca vuelvan a escribirme", "opt_out"),
    ("I never opted in", "unsure"), ("i did not sign up", "unsure"),
]

# "no quiero nada" refuses us, unless a home's feature, place or price scopes the "nada".
SPANISH_NOTHING: list[tuple[str, Signal | None]] = [
    ("no quiero nada con piscina", None), ("no necesito nada con alberca", None),
    ("no quiero nada cerca de la autopista", None), ("no queremos nada en el centro", None),
    ("no quiero nada de dos pisos", None), ("no quiero nada mas caro que eso", None),
    ("no quiero nada que necesite arreglos", None),
    ("no quiero nada", "opt_out"), ("ya no quiero nada, gracias", "opt_out"),
    ("no quiero nada mas", "opt_out"), ("no quiero nada de ustedes", "opt_out"),
    ("no quiero nada con su empresa", "opt_out"), ("no quiero nada que ver con ustedes", "opt_out"),
    ("no quiero nada en absoluto", "opt_out"), ("no queremos nada de nada", "opt_out"),
    ("no quiero nada que venga de ustedes", "opt_out"), ("no quiero nada que me manden", "opt_out"),
    ("no quiero nada en mi telefono de ustedes", "opt_out"),
    ("no quiero nada con piscina, gracias", None),
]

# Words describing our messages don't change what they are; a kind of listing does.
DESCRIBED: list[tuple[str, Signal | None]] = [
    ("please stop the automated texts", "opt_out"), ("stop sending automated texts", "opt_out"),
    ("stop sending me these annoying robot texts", "opt_out"),
    ("i dont want your daily marketing emails", "opt_out"),
    ("we're pausing the search tho, so please stop the automated texts", "opt_out"),
    ("can you stop the weekend texts", "opt_out"), ("stop all the stupid texts", "opt_out"),
    ("stop the condo alerts", None), ("stop the open house emails", None),
    ("stop the new listing alerts please", None), ("stop the price alerts", None),
]

TABLE = {"keyword": KEYWORDS, "natural-en": NATURAL_EN, "natural-es": NATURAL_ES,
         "resubscribe": RESUBSCRIBE, "near-miss": NEAR_MISSES, "timing": TIMING,
         "unsure": UNSURE, "nothing": NOTHING, "threat-tail": THREAT_TAIL,
         "spanish-more": SPANISH_MORE, "resub-more": RESUB_MORE,
         "spanish-nothing": SPANISH_NOTHING, "described": DESCRIBED}
CASES = [pytest.param(text, want, id=f"{group}:{text[:40]}")
         for group, rows in TABLE.items() for text, want in rows]


@pytest.mark.parametrize(("text", "want"), CASES)
def test_classify(text: str, want: Signal | None) -> None:
    assert classify(text) == want


def test_the_table_covers_every_class() -> None:
    assert len(CASES) >= 120
    wanted = {want for rows in TABLE.values() for _, want in rows}
    assert wanted == {"opt_out", "resubscribe", "unsure", None}


def test_signals_are_in_order_and_the_last_clear_one_wins() -> None:
    text = "STOP ... actually START"
    found = signals(text)
    assert [s for _, s in found] == ["opt_out", "resubscribe"]
    assert text[found[0][0] :].startswith("STOP") and text[found[1][0] :].startswith("START")
    assert classify(text) == "resubscribe"
    assert classify("START. no wait, STOP") == "opt_out"


def test_positions_point_into_the_raw_text() -> None:
    text = "ok thanks…   please don’t   txt me again"
    [(pos, signal)] = signals(text)
    assert signal == "opt_out" and text[pos:].startswith("don’t")
    text = "¿Ya buscó casa? Sí.  Pero ya no me escriban"
    [(pos, signal)] = signals(text)
    assert signal == "opt_out" and text[pos:].startswith("ya no me escriban")


def test_unsure_only_without_a_clear_signal() -> None:
    assert [s for _, s in signals("wrong number, stop")] == ["unsure", "opt_out"]
    assert classify("wrong number, stop") == "opt_out"
    assert classify("who is this? START") == "resubscribe"


def _profile(*bodies: str) -> dict[str, object]:
    messages = [Message(direction="inbound", body=body) for body in bodies]
    return extract_profile(messages, (), datetime(2026, 1, 1, tzinfo=UTC)).to_spec_dict()


def test_the_extractor_sets_opted_out_on_clear_requests_only() -> None:
    assert _profile("leave me alone")["opted_out"] is True
    assert _profile("ya no me escriban")["opted_out"] is True
    assert "opted_out" not in _profile("wrong number")
    assert "opted_out" not in _profile("dont text me before 9am")
    assert "opted_out" not in _profile("stop", "ok you can text me again")
    assert _profile("START", "stop texting me")["opted_out"] is True


def test_a_long_message_is_read_in_linear_time() -> None:
    # Filler runs and repeated keywords once made the piece regexes backtrack exponentially.
    assert classify("no thank you " * 400 + "x") is None
    assert classify("stop, " * 3000) == "opt_out"
    assert classify("stop " * 3000 + "by the house") is None  # one piece: a "stop by"
    # The context reads (another service, a threat, a condition) look near the match only.
    assert classify("cease and desist " * 800) == "opt_out"
    assert classify("S T O P " * 2000) == "opt_out"
    assert classify("you can text me again " * 800) == "resubscribe"
