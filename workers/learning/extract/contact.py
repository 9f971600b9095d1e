"""The three contact flags: has_agent, wants_human and opted_out.

Each rule yields positioned true/false events so that the latest statement wins ("we had an
agent but parted ways" is false; STOP followed by START clears the opt-out).
"""

from __future__ import annotations

import re

from workers.consent import optout

from .context import MessageContext
from .questions import polarity

_AGENT_NOUN = re.compile(r"\b(?:agent|realtor|broker|agente|corredor|corredora)(?:s|es)?\b")
_AGENT_ASK_HUMAN = re.compile(
    r"\b(?:speak|talk|chat)\w*\s+(?:\w+\s+){0,2}(?:with|to)\s+(?:an?\s+)?(?:actual|real|live"
    r"|human)\b|\b(?:actual|real|live|human)\s+(?:agent|realtor)\b"
    r"|\bhave (?:an?|one of your|your) (?:\w+ )?(?:agent|realtor)s? (?:call|text|reach out|contact)"
    r"|\bllam\w*\s+(?:un|una|el|la|su)\s+agente\b|\bagente\s+(?:me|nos)\s+llam\w*"
    r"|\bhablar con (?:un|una|el|la|su) agente\b"
)
# Signing a buyer or listing agreement is having an agent (SPEC).
_AGREEMENT = re.compile(
    r"\bsigned (?:a|an|the|our)\s+(?:[\w'-]+\s+){0,2}(?:agreement|contract)\b"
    r"|\bfirm(?:e|amos|o) (?:un |una |el |la )?(?:contrato|acuerdo)\b|\bfirm(?:e|amos) con\b"
)
_AGENT_NEGATIVE = re.compile(
    r"parted ways|\bfired\b|\bretired\b|not using|no longer|used to|don'?t have|do not have"
    r"|not working with|without an?\b|\bneed an? (?:agent|realtor)|looking for (?:a new|an?)"
    r" (?:agent|realtor|one)|\bhad (?:an?|one)\b|\bhad one\b|\bwe were\b|\bnot yet\b"
    r"|interviewing|\bdon'?t need an?\b|\bno agent\b|\bdropped\b"
    r"|\bleft (?:our|my)\b|\bquit (?:our|my)\b"
    r"|\bno (?:tengo|tenemos|hemos|he)\b|\bsin agente\b|\btodavia no\b|\bya no\b"
    r"|\b(?:necesito|necesitamos|busco|buscamos) (?:un |una )?(?:agente|realtor)\b"
)
_AGENT_POSITIVE = re.compile(
    r"\b(?:my|our)\s+(?:[\w'-]+\s+)?(?:agent|realtor|broker)\b(?!\s+(?:friend|buddy|neighbou?r"
    r"|cousin|sister|brother|uncle|aunt|dad|mom|father|mother|in-?laws?))"
    r"|\b(?:have|has|got|with|using|signed with|hired)\b(?:\s+[\w'-]+){0,4}\s+(?:agent|realtor"
    r"|broker)s?\b|\bsigned with\b|\bworking with (?!(?:a |an |our |my )?(?:lender|bank))[a-z]+"
    r"(?:\s+[a-z]+)?\s+(?:from|at|of|already)\b|\b(?:agent|realtor)\s+(?:already|is handling"
    r"|has it)|\brepresented by\b|\b(?:helping|representing|working with|showing) (?:us|me)\b"
    r"|\b(?:tengo|tenemos|trabajo con|trabajamos con|trabajando con|estamos con|estoy con"
    r"|vamos con|voy con)\s+(?:[\w'-]+\s+){0,2}?"
    r"(?:agente|realtor|corredora?)\b|\b(?:mi|nuestr[oa])\s+(?:agente|realtor|corredora?)\b"
    r"|\b(?:listada|listado|anunciada|anunciado|publicada|publicado) con\b"
    r"|\blisted with (?!(?:zillow|fsbo|ourselves)\b)\w+"
    r"|\b(?:our|my) listing (?:is )?with (?!(?:zillow|fsbo|ourselves)\b)\w+"
    r"|\b(?:we'?re|we are|i'?m|im|i am|already)\s+(?:already\s+)?represented\b"
    # a relative or friend who is an agent helping them: "mi hermano es agente y nos va a ayudar"
    r"|\b(?:agent|realtor|broker|agente|corredora?)\b[^.!?]{0,30}?\b(?:(?:is|are|she'?s|he'?s)"
    r" (?:helping|representing) (?:us|me)|(?:nos|me) (?:va a |van a |esta |estan )?(?:ayud\w+"
    r"|represent\w+))"
    r"|\ben venta con (?!(?:nosotros|el dueno|la duena|el banco)\b)[a-z]\w+"
    r"|\ben venta con (?:otr[oa]|un[oa]?|el|la|mi|nuestr[oa]) (?:\w+ )?(?:agente|agencia|realtor"
    r"|inmobiliaria|corredora?)\b"
)
_CALL = re.compile("|".join((
    r"\bcalls? (?:me|us)\b",
    r"\bring (?:me|us)\b",
    r"\bcall (?:me |us )?back\b",
    r"\bgive (?:me|us) a (?:call|ring)\b",
    r"\b(?:can|could|would|will|pls|please)\s+(?:you|someone|somebody|anyone|a real person"
    r"|an agent|\w+)\s+(?:please\s+)?call\b",
    r"\bhave \w+ call\b",
    r"\bphone call\b|\bon the phone\b|\bover the phone\b|\bby phone\b",
    r"\bcall my (?:cell|mobile|phone|number)\b",
    r"\b(?:talk|speak|chat)\w*\s+(?:\w+\s+){0,2}(?:to|with)\s+(?:a |an )?(?:real|actual|live"
    r"|human)\b",
    r"\b(?<!is this )(?<!is this a )(?<!are you a )(?<!are you )(?:a )?(?:real|actual) person\b",
    r"\blive person\b|\bhuman\b(?! or)",
    r"\b(?:talk|speak)\s+(?:to|with)\s+(?:someone|somebody|a person|an agent)\b",
    r"\bhop on a call\b|\bquick call\b|\b(?:schedule|set up|have|do) a call\b",
    r"\b(?:can|could|may) i call you\b|\bnumber i can call\b|\bgive you a call\b",
    # Spanish: "¿me puede llamar?", "llámenme", "quiero hablar con alguien", "márqueme"
    r"\b(?:me|nos)\s+(?:puede|pueden|podria|podrian|quiere|quieren)\s+(?:\w+\s+)?llamar\b",
    r"\bllam(?:ame|eme|enme|anos|enos|arme|arnos)\b|\b(?:me|nos) llam(?:a|e|en|as)\b",
    r"\bmarc(?:ame|queme|quenme|arme)\b|\bme (?:pueden |puede )?marcar\b",
    r"\bhablar con (?:alguien|una persona|un agente|un humano|una persona real)\b",
    r"\b(?:hablar|hablamos|hablemos|platicar|prefiero|mejor) por telefono\b",
    r"\b(?:hacer|tener|agendar|programar|prefiero) una llamada\b",
)))
_CALL_WORDS = ("call", "ring", "phone", "human", "person", "someone", "somebody", "agent",
               "llam", "marc", "hablar", "telefono", "talk", "speak", "chat")
_NO_CALL = re.compile(r"\b(?:don'?t|dont|do not|no|not|never)\s+(?:\w+\s+)?call|\btext only\b"
                      r"|\bno calls\b|\bdon'?t phone\b|\bno (?:me |nos )?llam\w*|\bsolo (?:por )?"
                      r"(?:texto|mensaje)")
def agent_events(ctx: MessageContext) -> list[tuple[int, bool]]:
    """``(pos, has_agent)`` statements; only a current agent counts."""
    out: list[tuple[int, bool]] = []
    answers_agent = ctx.question.asks("agent") and ctx.direct
    for start, end in ctx.segments.sentences():
        sentence = ctx.text[start:end]
        if _AGENT_ASK_HUMAN.search(sentence):
            continue
        agreement = _AGREEMENT.search(sentence)
        if not (_AGENT_NOUN.search(sentence) or agreement
                or re.search(r"signed with|working with|represented|listed with|listing with"
                             r"|(?:listad[oa]|en venta) con", sentence)
                or (answers_agent and start == 0)):
            continue
        if _AGENT_NEGATIVE.search(sentence):
            out.append((start, False))
        elif agreement or _AGENT_POSITIVE.search(sentence):
            out.append((start, True))
    if answers_agent and not out:
        answer = polarity(ctx.text)
        if answer is not None:
            out.append((0, answer == "yes"))
    return out


def human_events(ctx: MessageContext) -> list[tuple[int, bool]]:
    """``(pos, wants_human)``: a call or a real person asked for; "don't call" clears it."""
    out: list[tuple[int, bool]] = [(m.start(), False) for m in _NO_CALL.finditer(ctx.text)]
    # Cheap gate: scan for call requests only when a word they need is there at all.
    calls = _CALL.finditer(ctx.text) if any(w in ctx.text for w in _CALL_WORDS) else iter(())
    for m in calls:
        if not _NO_CALL.search(ctx.text[max(0, m.start() - 20) : m.end()]):
            out.append((m.start(), True))
    if ctx.question.asks("call") and ctx.direct and polarity(ctx.text) == "yes":
        out.append((0, True))
    return sorted(out, key=lambda e: e[0])


def opt_events(ctx: MessageContext, original: str) -> list[tuple[int, bool]]:
    """``(pos, opted_out)`` from the shared opt-out reading of the lead's own words.

    ``opted_out`` is a clear request only (SPEC), so an "unsure" message (wrong number, not
    interested) sets nothing here; the responder's consent check still hands it to a person.
    The rules read the raw body (``original``), not ``ctx.text``: case matters (a shouted
    START) and positions are in ``original``; only their order among these events matters.
    """
    return [(pos, signal == "opt_out") for pos, signal in optout.signals(original)
            if signal != "unsure"]
