"""Does a lead's message revoke (or restore) consent to automated texts? Pure, no I/O.

Under the FCC's 2024 revocation rule (47 CFR 64.1200(a)(10)) a lead may revoke consent by any
reasonable means, so a missed opt-out costs a fine per later message: the rules favour recall.
They are organised by phrasing class, not by example sentence:

* **Keywords** (STOP, UNSUBSCRIBE, QUIT, CANCEL, END, REVOKE, OPT OUT, REMOVE ME, BAJA, PARAR,
  ALTO, CANCELAR, NO MÁS, ...) count when they fill a piece of the message on their own, give or
  take politeness and filler ("stop pls", "ok thanks. STOP", "STOP!!! 😡"). CANCEL / END / QUIT
  / REMOVE and the ambiguous Spanish ones must fill a whole sentence, not just a comma piece.
* **Requests to stop contact**: a stopping or refraining verb with a contact verb ("stop
  texting", "can u not text me anymore", "dont contact me again", "dejen de escribirme", "ya no
  me escriban"), removal from a list or of the number ("take me off your list", "lose my
  number", "bórrenme de la lista"), not wanting messages ("I'd prefer not to receive further
  messages", "no quiero recibir más mensajes"), and plain dismissals ("leave me alone", "knock
  it off", "déjenme en paz"). Stopping texts while keeping another channel still counts.
* **Resubscribe**: START / UNSTOP / RESUBSCRIBE / ALTA / COMENZAR as a piece, and natural
  permission ("you can text me again", "opt me back in", "ya pueden escribirme").
* **Near misses** read as nothing: an opt-out verb whose object is something else ("cancel the
  showing", "stop sending me condos", "stop by", "end of the month"), a limit on *when* or a
  condition ("don't text me before 9am", "... unless it's under 300k"), a channel preference
  away from calls ("don't call, text only"), and negated requests ("no need to stop").
* **Unsure** (no automated reply, a person decides) when nothing is clear but the message may
  be asking to stop: wrong number, who is this, how did you get my number, not interested,
  spam / harassment / reporting, a bare "don't call me", "stop asking", a hedged or
  questioning stop ("maybe stop?", "when will this stop"), too many / too frequent texts.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

Signal = Literal["opt_out", "resubscribe", "unsure"]
_Check = Callable[["_Folded", re.Match[str]], "Signal | None"]
_CLAUSE_END = re.compile(r"[,.!?;:\n\u2026]")
_REACH = 160  # characters of context a rule reads on either side of its match


# --- normalisation: fold the text for matching, remembering where each char came from -----

@dataclass(frozen=True)
class _Folded:
    """Lower-cased, accent-free, abbreviation-expanded text; ``origin[i]`` is the raw index."""

    raw: str
    text: str
    origin: tuple[int, ...]
    breaks: tuple[int, ...]  # clause ends in `text` (punctuation), for `clause`

    def at(self, index: int) -> int:
        return self.origin[index] if index < len(self.origin) else len(self.raw)

    def clause(self, start: int, end: int) -> tuple[str, str]:
        """The text before `start` and after `end` within their clause, a few words each
        (the rules look that far; a bound keeps a long message linear)."""
        i = bisect.bisect_left(self.breaks, start)
        head = self.breaks[i - 1] + 1 if i else 0
        j = bisect.bisect_left(self.breaks, end)
        tail = self.breaks[j] if j < len(self.breaks) else len(self.text)
        return (self.text[max(head, start - _REACH) : start],
                self.text[end : min(tail, end + _REACH)])


@cache  # a bounded alphabet: each character is folded once per process
def _fold_char(char: str) -> str:
    if char in "\u2018\u2019\u00b4`\u02bc":
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    low = (base or char).lower()
    return low if len(low) == 1 else char


def _sub(pattern: re.Pattern[str], repl: str, text: str,
         origin: list[int]) -> tuple[str, list[int]]:
    """``re.sub`` that keeps ``origin`` aligned: replacement chars map to the match start."""
    out: list[str] = []
    org: list[int] = []
    last = 0
    literal = "\\" not in repl  # no group reference: no template to expand per match
    for m in pattern.finditer(text):
        out.append(text[last : m.start()])
        org.extend(origin[last : m.start()])
        new = repl if literal else m.expand(repl)
        out.append(new)
        org.extend([origin[m.start()]] * len(new))
        last = m.end()
    if not out:
        return text, origin
    out.append(text[last:])
    org.extend(origin[last:])
    return "".join(out), org


# Spelling variants read as one word, so each rule below names the word once.
_WORDS = (
    (r"(?<=[a-z])'(?=[a-z])", ""),  # don't -> dont, i'm -> im, y'all -> yall
    (r"(?<=[a-z])-(?=[a-z])", " "),  # opt-out, e-mail
    (r"([a-z])\1{2,}", r"\1"),  # stooop, STOPPPP, pleeease
    (r"[^\S\n]+", " "),
    (r"\b(?:pls|plz|plss|plse|plez|pleez|pleas|plis|porfis)\b", "please"),
    (r"\bu\b", "you"),
    (r"\bur\b", "your"),
    (r"\btxt\b", "text"),
    (r"\btxts\b", "texts"),
    (r"\btxt(?:ing|in|n)\b|\btextin\b", "texting"),
    (r"\bmsg\b", "message"),
    (r"\bmsgs\b", "messages"),
    (r"\bmsg(?:ing|ng|in)\b", "messaging"),
    (r"\b(?:stp|stahp|sotp|stopp)\b", "stop"),
    (r"\bhmu\b", "hit me up"),
    (r"(?<=\bmy )#", "number"),
)


_WORD_RULES = tuple((re.compile(pattern), repl) for pattern, repl in _WORDS)


def _fold(raw: str) -> _Folded:
    text = "".join(_fold_char(c) for c in raw)
    origin = list(range(len(raw)))
    for pattern, repl in _WORD_RULES:
        text, origin = _sub(pattern, repl, text, origin)
    breaks = tuple(m.start() for m in _CLAUSE_END.finditer(text))
    return _Folded(raw, text, tuple(origin), breaks)


# --- pieces of a message --------------------------------------------------------------------

# Pieces end at punctuation, and at a correction word: "STOP actually START".
_FIX = r"\b(?:actually|wait|i mean|never ?mind|nvm|scratch that)\b"
_SENTENCE_END = re.compile(rf"[.!?;\n\u2026]+|{_FIX}")
_PIECE_END = re.compile(rf"[.!?;:,()\n\u2026]+|{_FIX}")


def _spans(ends: re.Pattern[str], text: str) -> Iterator[tuple[int, str]]:
    """(start, bare words) of each piece: letters only, so emojis and marks drop out."""
    bounds = [0, *(x for m in ends.finditer(text) for x in (m.start(), m.end())), len(text)]
    for start, end in zip(bounds[::2], bounds[1::2], strict=True):
        chunk = text[start:end]
        bare = re.sub(r" +", " ", re.sub(r"[^a-z ]+", " ", chunk)).strip()
        if bare:
            yield start + len(chunk) - len(chunk.lstrip()), bare


# Politeness and filler around a keyword ("ok thanks, STOP pls lol").
_FILL = (r"(?:please|por favor|porfavor|porfa|now|right now|ahora|already|ya|just|solo|thanks"
         r"|thank you|thanks again|thx|thnx|ty|tyvm|gracias|muchas gracias|ok|okay|k|kk|oki"
         r"|lol|lmao|haha|hahaha|jaja|jajaja|omg|ugh|um|umm|hey|hi|hello|hola|yes|yeah|yep|yup"
         r"|si|sir|maam|seriously|srsly|again|asap|immediately|dude|bro|man|guys|yall|everyone"
         r"|and|but|so|also|all|todo|de una vez|i said|i say|i told you|told you|like i said"
         r"|i already said|i repeat|for real|fr|no|nope|no thanks|no thank you|nah|reply"
         r"|this number|from this number|de este numero)")
# Who a bare STOP may be said to ("can you just stop", "I need you to stop", "make it stop").
_CUE = (r"(?:can you|could you|would you|will you|can yall|you need to|you have to|you gotta"
        r"|need you to|want you to|asking you to|i asked you to|i told you to|i need you to"
        r"|i want you to|make it|make them|please just|just)")
_HEDGE = (r"(?:maybe|i guess|guess|idk|i think|kinda|kind of|sort of|jk|just kidding|probably"
          r"|perhaps|should i|do i|can i|how do i|how to|should we|do we)")
# Longer variants first: a keyword is marked by the first alternative that matches.
_STRONG = (r"(?:stop all|stop it|stop this|stop that|stop everything|stop now|stopall|stop"
           r"|unsubscribe|unsub|optout|opt out|revoke|baja|parar|detener|detengan|detente)")
_WEAK = (r"(?:cancel|end|quit it|quit|remove me|remove|take me off|paren|pare|para|alto|salir"
         r"|cancelar|fin|no mas)")
_RESUB = (r"(?:start|unstop|resubscribe|subscribe|resume|opt in|opt me in|opt back in"
          r"|opt me back in|alta|comenzar|iniciar|reanudar)")
_UNSURE_WORDS = r"(?:enough is enough|enough|basta|no more|cancel it|cancel that|stop what)"


class _Words:
    """Matches a piece made of `keywords` and `allowed` words only, in linear time: keywords
    are marked first (so "no mas" is not read as the filler "no"), then the allowed words
    are dropped, and nothing but marks may remain. (A regex that parses filler runs
    backtracks exponentially on a long piece that fails.)"""

    def __init__(self, keywords: str, *allowed: str) -> None:
        self.keywords = re.compile(rf"\b{keywords}\b")
        self.allowed = re.compile(rf"\b(?:{'|'.join(allowed)})\b") if allowed else None

    def match(self, bare: str) -> bool:
        marked = self.keywords.sub("\x00", bare)
        if "\x00" not in marked:
            return False
        if self.allowed is not None:
            marked = self.allowed.sub(" ", marked)
        return not marked.replace("\x00", "").strip()


def _fill_only(text: str) -> bool:
    """Only filler (or nothing) in `text`: "stop" + "please lol" is still a bare stop."""
    return not _ALLOWED_ONLY.sub(" ", re.sub(r"[^a-z ]+", " ", text)).strip()


_STRONG_PIECE = _Words(_STRONG, _FILL)
_WEAK_SENTENCE = _Words(rf"(?:{_STRONG}|{_WEAK})", _FILL)
_RESUB_PIECE = _Words(_RESUB, _FILL)
_CUED_STOP = _Words(r"(?:stop|quit)(?: (?:it|this|that|all|everything))?", _FILL, _CUE)
_HEDGED = _Words(rf"(?:{_STRONG}|{_WEAK})", _HEDGE, _FILL, _CUE)  # "just kidding" before "just"
_HEDGE_WORD = re.compile(rf"\b{_HEDGE}\b")
_UNSURE_PIECE = _Words(_UNSURE_WORDS, _FILL)
_ALLOWED_ONLY = re.compile(rf"\b(?:{_FILL}|{_CUE})\b")
_LEADING_FILL = re.compile(rf"^(?:{_FILL} )*")  # greedy and never failing: no backtracking
# A keyword opening a piece and then a new clause without a comma ("STOP i never signed up").
_STOP_THEN = re.compile(
    r"(?:stop|unsubscribe|unsub|optout|opt out|revoke|baja|parar) "
    r"(?:sorry|oops|i|im|ive|id|we|were|weve|who|whos|why|wrong|not|never|dont|no|you|yall"
    r"|youre|leave|remove|take|lose|delete|this|these|and|thanks|thank|how|please|lol|haha"
    r"|quien|gracias)\b"
)
_START_THEN = re.compile(
    r"(?P<kw>start|unstop|resubscribe|alta|comenzar) "
    r"(?P<next>sorry|sry|oops|my bad|wrong|i|im|we|were|you|yes|yeah|please|thanks|lol)\b"
)


def _shouted(f: _Folded, start: int, word: str) -> bool:
    """The raw text has `word` in capitals at the start of this piece ("START sorry ...")."""
    raw = f.raw[f.at(start) :]
    at = raw.lower().find(word)
    return at >= 0 and raw[at : at + len(word)].isupper()


def _keyword_signals(f: _Folded) -> list[tuple[int, Signal]]:
    out: list[tuple[int, Signal]] = []
    for start, bare in _spans(_PIECE_END, f.text):
        lead = _LEADING_FILL.match(bare)
        rest = bare[lead.end() :] if lead else bare
        if _STRONG_PIECE.match(bare) or _CUED_STOP.match(bare) or _STOP_THEN.match(rest):
            out.append((start, "opt_out"))
        elif _RESUB_PIECE.match(bare):
            out.append((start, "resubscribe"))
        elif (m := _START_THEN.match(rest)) is not None:
            if m.group("next") in ("sorry", "sry", "oops", "my bad", "wrong") or _shouted(
                    f, start, m.group("kw")):
                out.append((start, "resubscribe"))
        elif (_HEDGED.match(bare) and _HEDGE_WORD.search(bare)) or _UNSURE_PIECE.match(bare):
            out.append((start, "unsure"))
    for start, bare in _spans(_SENTENCE_END, f.text):
        if _WEAK_SENTENCE.match(bare) and not _STRONG_PIECE.match(bare):
            out.append((start, "opt_out"))
    return out


# --- phrase rules -----------------------------------------------------------------------------

_NEGATED = re.compile(
    r"\b(?:no need to|dont have to|do not have to|dont need to|do not need to|didnt mean to"
    r"|did not mean to|not trying to|not asking (?:you )?to|never said|didnt say|did not say"
    r"|dont want to|do not want to|not going to|wont|will not|dont|do not|not|never|cant"
    r"|cannot|why would (?:i|we)|no reason to|shouldnt|wouldnt|no)"
    r"(?: (?:ever|really|please|just|to|you|even|have to|need to|say|said))*\s*$"
)
_THREAT = re.compile(r"\bif (?:you|yall|they) (?:dont|do not|wont|will not)\b[^.!?]*$")
_LEAD_IN = re.compile(r"^(?:\s*\b(?:me|us|anymore|any more|again|ever|please|at all|nunca"
                      r"|mas|por favor|mensajes|textos|msjs?|sms|correos|nada|de texto)\b)*")
_TIMING = re.compile(
    r"^\s*(?:before|after|until|till|til|untill|during|between|past|while|when|whenever"
    r"|on (?:the )?(?:weekends?|weekdays?|sundays?|saturdays?|mondays?|tuesdays?|wednesdays?"
    r"|thursdays?|fridays?|holidays|workdays|my day off|days? off)|weekends?|weekdays?"
    r"|at (?:night|work|\d|dinner|lunch|this hour|these hours|odd hours|midnight|dawn"
    r"|[a-z]+ ?(?:am|pm)\b)"
    r"|in the (?:morning|evening|night|middle|afternoon)|so (?:early|late)|this (?:early|late)"
    r"|too (?:early|late)|that (?:early|late)|early|late|overnight|tonight|today|tomorrow"
    r"|this (?:week|weekend|month|morning|afternoon|evening)|next (?:week|month)"
    r"|for (?:now|a (?:bit|while|few|couple|week|month)|the (?:next|rest)|\d|two|three|a few"
    r"|a couple)|\d+ ?(?:am|pm)\b|on (?:my|the) (?:job|way)|at these times"
    r"|antes|despues|hasta|durante|mientras|cuando|entre semana|hoy|ahorita|manana"
    r"|(?:en|por) la (?:manana|noche|tarde|madrugada)|los (?:fines|domingos|sabados|lunes"
    r"|martes|miercoles|jueves|viernes)|en (?:horas|horario) de|tan (?:temprano|tarde)"
    r"|a las \d|en el trabajo)"
)
_TIMING_NOW = re.compile(r"^\s*(?:right now|now|rn|atm|at the moment|ahora)\b")
_FREQUENT = re.compile(
    r"^\s*(?:over and over|so (?:much|often|many times|frequently)|this (?:much|often)"
    r"|that (?:much|often)|as (?:much|often)|every (?:day|hour|morning|week|night|other)"
    r"|everyday|daily|all the time|constantly|\d+ times|twice|multiple times|more than once"
    r"|tan seguido|tanto|todos los dias|cada dia)"
)
_CONDITION = re.compile(
    r"^\s*(?:unless|except|only (?:if|when|about|with)|if (?:its|it is) not|a menos que"
    r"|(?:over|under|above|below|less than|more than|cheaper than|bigger than|smaller than)"
    r" (?!and over)|\$?\d"
    r"|solo si|excepto|about (?:condos?|townhomes?|townhouses?|apartments?|rentals?|lots?"
    r"|land|new builds?|\d|(?:homes?|houses?|listings?) (?:in|over|under|above|below)))"
)
_TEXT_OK = re.compile(
    r"\btext(?:ing)? (?:only|is (?:fine|better|ok|okay|best|easier|good))|\bonly text"
    r"|\bjust text|\btext (?:me |us )?instead|\bprefer (?:texts?|texting)\b"
    r"|\btexts? (?:are|is) (?:fine|better|ok|okay)|\b(?:by|via|over) text\b"
    r"|\b(?:solo|mejor|por) (?:mensajes?|textos?|whatsapp)\b|\bescribeme\b"
    r"|\bmandame (?:un )?mensaje"
)
_ALWAYS = re.compile(r"\b(?:anymore|any more|again|ever|never|period|at all|nunca|mas)\b")

_MSG = (r"(?:text messages?|texts?|messages|msgs?|sms|e ?mails?|alerts?|notifications?"
        r"|updates|spam|junk|crap|robo ?calls?|phone calls|calls|promos?|ads|marketing"
        r"|solicitations?|automated messages"
        r"|contact(?! (?:info|information|details|number|form|page|person|lenses)))")
_SENT = (rf"(?:{_MSG}|message|stuff|things|this|these|those|that|them|anything|everything"
         r"|info|information|mail|offers|any more|more)")
_CALLV = r"(?:call(?:s|ing)?|ring(?:ing)?|phon(?:e|ing)|called)"
_CONTACT = (
    r"(?:text(?:s|ing|ed)?|messag(?:e|es|ing)|contact(?:s|ing)?|e ?mail(?:s|ing)?|ping(?:ing)?"
    rf"|writ(?:e|ing)|{_CALLV}|reach(?:ing)? out|follow(?:ing)? up|check(?:ing)? in"
    r"|(?:(?:bother|harass|pester|hound|annoy)(?:ing|s)?|bug(?:ging|s)?|spam(?:ming|s)?)"
    r" (?:me|us)|hit(?:ting)? (?:me|us) up"
    r"|blow(?:ing)? up (?:my|our) (?:phone|cell)"
    rf"|(?:send|sen)(?:ing|s)? (?:(?:me|us) )?(?:any )?(?:more )?{_SENT}\b"
    r"|(?:send|sen)(?:ing)?(?: (?:me|us))?(?= *(?:please|now|thanks)? *(?:$|[,.!?;:\n]))"
    rf"|(?:receiv|gett)ing (?:(?:these|your|any|the|all) )?(?:{_MSG}|these|them|this)\b)"
)
_ME = r"(?: (?:me|us|this number|my (?:phone|number|cell)|here))?"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    signal: Signal
    check: _Check | None = None


def _before(f: _Folded, m: re.Match[str]) -> str:
    return f.clause(m.start(), m.end())[0]


def _after(f: _Folded, m: re.Match[str]) -> str:
    return f.clause(m.start(), m.end())[1]


def _negated(f: _Folded, m: re.Match[str]) -> bool:
    before = _before(f, m)
    return bool(_NEGATED.search(before)) and not _THREAT.search(before)


def _limited(tail: str, now_is_timing: bool) -> Signal | Literal["go"] | None:
    """A timing limit or condition (None), too-frequent texts ("unsure"), else "go"."""
    lead = _LEAD_IN.match(tail)
    tail = tail[lead.end() :] if lead else tail
    if _TIMING.match(tail) or _CONDITION.match(tail) or (now_is_timing and _TIMING_NOW.match(tail)):
        return None
    if _FREQUENT.match(tail):
        return "unsure"
    return "go"


def _stop_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """A stopping verb: dropped when negated or limited; a call-only stop keeps texts alive."""
    if _negated(f, m):
        return None
    limit = _limited(_after(f, m), now_is_timing=False)
    if limit != "go":
        return limit
    if re.search(rf"\b{_CALLV}\b", m.group(0)) and not re.search(r"\btext|\bmessag|\bcontact",
                                                                  m.group(0)):
        return None if _TEXT_OK.search(f.text) else "opt_out"
    return "opt_out"


def _refrain_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"don't text me": timing limits and conditions are not stops; "don't call" alone is a
    channel preference (nothing when texts are welcome, else a person decides)."""
    limit = _limited(_after(f, m), now_is_timing=True)
    if limit != "go":
        return limit
    if re.search(rf"\b{_CALLV}\b|\bllam", m.group(0)) and not re.search(
            r"\btext|\bmessag|\bcontact", m.group(0)):
        if _TEXT_OK.search(f.text):
            return None
        near = f.text[max(0, m.start() - 12) : m.end() + len(_after(f, m))]
        return "opt_out" if _ALWAYS.search(near) else "unsure"
    return "opt_out"


def _plain_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    return None if _negated(f, m) else "opt_out"


def _dismiss_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"go away", "knock it off": a whole clause said to us, not "we go away in june"."""
    if _negated(f, m):
        return None
    before, after = _before(f, m), _after(f, m)
    if re.search(r"\b(?:we|i|they|he|she|to|will|ll|gonna|going|might|can|could|would|should"
                 r"|may|must|did|do|does)\s*$", before):
        return None
    return "opt_out" if _fill_only(after) else None


def _spanish_send_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"no me manden" stops messages unless its object is a kind of home ("... casas de 2")."""
    after = _after(f, m)
    if re.match(r"\s*(?:mas\s+)?(?:casas|condos?|departamentos|propiedades|terrenos|lotes"
                r"|opciones|listados|cosas de|de \d)", after):
        return None
    return _refrain_check(f, m)


def _resub_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    if _negated(f, m):
        return None
    return "resubscribe" if _limited(_after(f, m), now_is_timing=False) == "go" else None


def _unsure_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    return None if _negated(f, m) else "unsure"


def _bare_stop_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """Said to us or of the texts it is a request ("you guys need to stop"); asked ("why
    won't you stop", "will this ever stop") or of "it" it may be one; negated it is none."""
    before = _before(f, m)
    if not _fill_only(_after(f, m)) or not re.search(
            r"\b(?:you|yall|it|this|they|these|them|texts|messages)\b", before):
        return None
    if re.search(r"\b(?:why|when|how|what|will|wont|would|does|is)\b", before):
        return "unsure"
    if _NEGATED.search(before) and not _THREAT.search(before):
        return None
    return "opt_out" if re.search(r"\b(?:you|yall|texts|messages)\b", before) else "unsure"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_RULES: tuple[_Rule, ...] = (
    # stop / quit / cease + contact verb: "stop texting me", "quit sending me these".
    _Rule(_rx(rf"\b(?:stop|stopped|quit|cease|ceased|discontinue|halt|end)(?: all)? {_CONTACT}"
              rf"{_ME}"),
          "opt_out", _stop_check),
    # stop / no more + the messages themselves: "stop the texts", "enough with the calls".
    _Rule(_rx(r"\b(?:stop|quit|cease|end|cancel|halt|enough|done|no more|no further|nomore)"
              r"(?: it)?(?: (?:with|of))?(?: (?:all|the|these|those|your|all the|all these|all your"
              rf"|all of (?:the|these|your)|my))? {_MSG}\b"), "opt_out", _stop_check),
    _Rule(_rx(rf"(?:^|[,.!?;:\n]\s*|\b(?:please|so|just|ok|and) )no (?:texting|{_MSG})\b"),
          "opt_out", _refrain_check),
    # refrain + contact verb: "don't text me", "can u not text me anymore", "never call again".
    _Rule(_rx(r"\b(?:dont|do not|never|can you not|could you not|would you not|will you not"
              r"|can yall not|do you mind not|dont you dare)(?: (?:ever|again|even|keep|start"
              rf"|bother|try to|try and|please))* {_CONTACT}{_ME}"), "opt_out", _refrain_check),
    _Rule(_rx(r"\b(?:dont|do not|no longer|never) (?:want|need|wish|like) (?:you|yall|anyone"
              r"|anybody|your (?:team|office|company|agents?)|(?:any|some) ?(?:one|body))"
              rf"(?: to)?(?: ever)? {_CONTACT}"), "opt_out", _refrain_check),
    # not wanting the messages: "I don't want any more texts", "prefer not to receive ...".
    _Rule(_rx(r"\b(?:dont|do not|no longer|never|didnt|did not) (?:want|wish|need|like|care for)"
              r"(?: to (?:receive|get|keep getting|keep receiving|be getting|see))?(?: any)?"
              r"(?: (?:more|further|of (?:these|your|the)|these|your|those|the|all (?:these|the"
              rf"|your)))? {_MSG}\b"), "opt_out", _refrain_check),
    _Rule(_rx(r"\b(?:prefer|rather|like|wish|want|choose|ask)(?: to)? (?:not|no longer|never)"
              r"(?: to)? (?:receive|get|be sent|keep getting|be getting)(?: any)?(?: (?:more"
              rf"|further|additional|other|of (?:these|your)))* {_MSG}\b"), "opt_out",
          _refrain_check),
    _Rule(_rx(r"\b(?:dont|do not|not|no longer|never)(?: (?:want|wish|care|need|like)(?:s|ed)?)?"
              r"(?: to)? be (?:contacted|texted|messaged|called|bothered|disturbed|emailed"
              r"|spammed|solicited|on (?:your|this|the|any) (?:\w+ )?list)\b"), "opt_out",
          _refrain_check),
    _Rule(_rx(r"\b(?:dont|do not|no longer|never) (?:want|wish|need|care) to (?:hear from"
              r"|be in touch with|talk to) (?:you|yall|your)\b"), "opt_out", _refrain_check),
    _Rule(_rx(r"\bnot interested in (?:receiving|getting) (?:any |these |your )?"
              rf"(?:more )?{_MSG}\b"), "opt_out", _refrain_check),
    # off a list: "take me off your list", "remove my number", "lose my number".
    _Rule(_rx(r"\b(?:remove|delete|erase|scratch|strike|wipe|unlist)(?: (?:me|us|myself|my"
              r"(?: \w+){0,2}? (?:number|info|information|name|contact(?: info)?|details|data"
              r"|email|phone|cell)|this (?:number|phone|cell)|our (?:number|info|information"
              r"|names?)))(?: \w+)? (?:off|from|out of)\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:take|get|pull|cross|drop|knock)(?: (?:me|us|myself|my(?: \w+){0,2}? "
              r"(?:number|info|information|name|contact(?: info)?|details|email|phone|cell)"
              r"|this (?:number|phone|cell)|our (?:number|info|names?)))(?: \w+)? (?:off|out of"
              r"|from) (?:of )?(?:(?:your|ur|the|this|that|these|all|any|whatever|ya|yall"
              r"|every|my)(?: \w+){0,3}? )?(?:list|lists|database|system|contacts"
              r"|mailing|distribution|campaign|texts|messages|records|roster|thread|group)\b"),
          "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:take|get)(?: (?:me|us|my number|this number)) off(?: (?:please|now|thanks"
              r"|asap|already))*\s*(?=$|[,.!?;:\n])"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:delete|erase|lose|forget|remove|toss|trash|burn|scrub|purge|shred)"
              r" (?:my|our|this)(?: (?:phone|cell|contact|personal))? (?:number|info|information"
              r"|contact|contact info|details|data|digits|number)\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:want|wanna|need|would like|id like)(?: to be)?(?: (?:taken|removed))? off"
              r"(?: of)? (?:your|the|this|ur|that|these|all|any|whatever)\b"), "opt_out",
          _plain_check),
    _Rule(_rx(r"\b(?:get|be|go|stay) (?:off|out of|removed from) (?:of )?(?:your|the|this|ur"
              r"|that|these|all|any|whatever|ya)(?: \w+){0,2}? (?:list|lists|database|system"
              r"|texts|messages|thread|group|contacts)\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:i|we) (?:want|wanna|would like) out\b(?= *(?:please|thanks|now)? *(?:$"
              r"|[,.!?;:\n]| of (?:this|these|your|the) (?:list|texts|messages)))"), "opt_out",
          _plain_check),
    _Rule(_rx(r"\b(?:be|been|get|gets|getting|got) (?:removed|taken off|unsubscribed|deleted"
              r"|opted out)\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:put|add|place)(?: (?:me|us|my number|this number)) (?:on|to|in)"
              r" (?:your|the|a|ur) (?:do not (?:call|contact|text|disturb)|dnc|dont (?:call|contact"
              r"|text)|no (?:call|contact|text))\b"), "opt_out", None),
    # the keywords as words: "unsubscribe me", "how do I opt out", "I revoke consent".
    _Rule(_rx(r"\b(?:un ?s(?:ub|u)s?c?r?i?b\w*|unsub|desuscrib\w*|desinscrib\w*|optout"
              r"|opt(?:ing|ed)?(?: me| us)? out|revok\w*|withdraw\w*(?: my| our)? consent"
              r"|(?:dont|do not|no longer) consent|remove(?: my| our)? consent"
              r"|rescind\w*(?: my)? consent)\b"), "opt_out", _plain_check),
    # dismissals: "leave me alone", "knock it off", "go away".
    _Rule(_rx(r"\bleave (?:me|us|my (?:\w+ )?(?:phone|family|wife|husband)) (?:alone|be)\b"
              r"|\bdej\w* en paz\b|\bdont bother me\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:knock it off|cut it out|give it a rest|go away|get lost|buzz off|back off"
              r"|bugger off|piss off|f off|fuck off|eff off|screw off|shove off|leave me be"
              r"|make it stop|make them stop)\b"), "opt_out", _dismiss_check),
    # Spanish: "ya no me escriban", "no me manden más mensajes", "dejen de escribirme".
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" (?:escrib(?:an|as|es|a|ir|en)|contact(?:en|es|e|ar)|molest(?:en|es|e|ar)"
              r"|text(?:een|ees|ear)|mensaje(?:en|es|ar)|whatsapp?een)\b"), "opt_out",
          _refrain_check),
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" (?:mand(?:en|es|e|ar)|envi(?:en|es|e|ar))\b"), "opt_out", _spanish_send_check),
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" llam(?:en|es|e|ar)\b"), "opt_out", _refrain_check),
    _Rule(_rx(r"\b(?:ya )?no (?:escribirme|contactarme|molestarme|textearme|mensajearme"
              r"|escribirnos|contactarnos|llamarme|llamarnos)\b"), "opt_out", _refrain_check),
    _Rule(_rx(r"\b(?:ya )?no (?:mandarme|enviarme|mandarnos|enviarnos)\b"), "opt_out",
          _spanish_send_check),
    _Rule(_rx(r"\b(?:dej\w*|par(?:en|a|e|ar|es)|detenga\w*) de (?:escribir|contactar|molestar"
              r"|textear|mensajear|llamar)(?:me|nos|le|les)?\b"), "opt_out", _stop_check),
    _Rule(_rx(r"\b(?:dej\w*|par(?:en|a|e|ar|es)|detenga\w*) de (?:mandar|enviar)(?:me|nos|le"
              r"|les)?\b"), "opt_out", _spanish_send_check),
    _Rule(_rx(r"\b(?:ya )?no (?:quiero|queremos|deseo|deseamos|necesito)(?: (?:recibir|seguir"
              r" recibiendo|que me (?:manden|envien)))?(?: mas)?(?: (?:sus|estos|tus|los|sus"
              r"|ningun|ningunos?))? (?:mensajes|textos|msjs?|sms|correos|emails|llamadas"
              r"|notificaciones|nada)\b"), "opt_out", _refrain_check),
    _Rule(_rx(r"\bno (?:quiero|queremos|deseo) que (?:me|nos) (?:escriban|contacten|manden"
              r" mensajes|envien mensajes|molesten|sigan (?:escribiendo|mandando))\b"), "opt_out",
          _refrain_check),
    _Rule(_rx(r"\b(?:ya )?basta (?:de|con) (?:los |tantos |sus |estos )?(?:mensajes|textos"
              r"|llamadas)\b|\bno mas (?:mensajes|textos|msjs?|sms|llamadas|correos)\b"),
          "opt_out", _refrain_check),
    _Rule(_rx(r"\b(?:borr|quit|saqu|sac|elimin|remuev|remov|sal|baj)(?:en|ar|e|a|as|an|ir|go)?"
              r"(?:me|nos)?(?: (?:a )?(?:mi|nuestro|este) (?:numero|telefono|celular|contacto"
              r"|informacion|info|nombre))? (?:de|del) (?:(?:la|las|su|sus|tu|tus|esta|este|el"
              r"|sus)\s+)?(?:\w+ ){0,2}?(?:lista|listas|base de datos|sistema|contactos)\b"),
          "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:borr|elimin)\w* (?:mi|nuestro|este) (?:numero|telefono|celular|contacto"
              r"|informacion|info|datos)\b"), "opt_out", _plain_check),
    _Rule(_rx(r"\b(?:dar(?:me|nos)?|den(?:me|nos)?|doy|damos|dame|denos|dieran) de baja\b"
              r"|\bcancel\w* (?:(?:la|mi|los|las|sus|my|the|these|all|your) )?(?:suscripcion"
              r"|mensajes|textos|notificaciones|alertas|subscription|texts|messages|alerts"
              r"|notifications|text alerts)\b"), "opt_out", _plain_check),
    # resubscribe: "you can text me again", "opt me back in", "ya pueden escribirme".
    _Rule(_rx(r"\b(?:unstop|resubscribe|re subscribe|opt(?: me| us)?(?: back)? in|subscribe"
              r" (?:me|us)(?: again| back)?)\b"), "resubscribe", _resub_check),
    _Rule(_rx(r"\b(?:you can|you may|you could|ok to|okay to|fine to|feel free to|go ahead and"
              r"|please|you guys can|yall can)(?: (?:start|go back to|resume))?"
              r" (?:text|message|contact|email)(?:ing)? (?:me|us) again\b"), "resubscribe",
          _resub_check),
    _Rule(_rx(r"\b(?:resume|restart) (?:the )?(?:texting|messaging|texts|messages|contact)\b"
              r"|\bstart (?:texting|messaging|sending) (?:me|us)(?: \w+)? again\b"
              r"|\b(?:want|like) to (?:receive|get) (?:your |the )?(?:texts|messages|updates)"
              r" again\b|\b(?:please|you can) keep (?:texting|messaging) (?:me|us)\b"),
          "resubscribe", _resub_check),
    _Rule(_rx(r"\b(?:dar(?:me|nos)?|den(?:me|nos)?) de alta\b|\b(?:ya )?(?:pueden|puedes|puede)"
              r"(?: volver a)? (?:escribirme|contactarme|mandarme mensajes|enviarme mensajes"
              r"|escribirnos)\b|\bsi (?:quiero|queremos) (?:seguir )?recibir (?:los |sus )?"
              r"(?:mensajes|textos)\b"), "resubscribe", _resub_check),
    # unsure: may be a request to stop, a person decides.
    _Rule(_rx(r"\bwrong (?:number|person|phone|guy|girl|contact|name|lady|\#)|\byou have the"
              r" wrong\b|\bnot the (?:right )?person\b|\bnumero equivocado\b|\bequivocad\w*"
              r" (?:de )?numero\b|\bse equivoc\w* de (?:numero|persona)\b"), "unsure", None),
    _Rule(_rx(r"\bwho (?:is|s|are) (?:this|you|dis|yall|these)\b|\bwhos (?:this|dis)\b"
              r"|\bwho dis\b|\bquien (?:es|habla|eres|son)\b"), "unsure", None),
    _Rule(_rx(r"\b(?:how|where|who|why)(?:d| did| do| does) (?:you|yall|they|your \w+) (?:get|got"
              r"|find|obtain|have) (?:my|this|our) (?:number|info|information|contact|cell|phone)"
              r"|\bwho gave (?:you|yall) (?:my|this) (?:number|info)\b|\bnever gave (?:you|yall)"
              r" (?:my|this) (?:number|info|permission|consent)|\bcomo (?:consigui\w*|obtuv\w*"
              r"|tien\w*|sac\w*) (?:mi|este) numero|\bde donde (?:sac\w*|tien\w*|obtuv\w*)"
              r" mi numero"), "unsure", None),
    _Rule(_rx(r"\b(?:never|didnt|did not) (?:signed? up|opt(?:ed)? in|ask(?:ed)? (?:for|you)"
              r"|agree\w*|consent\w*|gave (?:you )?(?:permission|consent))\b|\bnunca (?:me )?"
              r"(?:registre|inscribi|di (?:mi|permiso))"), "unsure", None),
    _Rule(_rx(r"\b(?:not|no longer|never|arent|aint|wasnt|werent)(?: (?:really|at all|even))?"
              r" interested\b(?! in (?!(?:this|that|it|anything|your|buying|selling|any|these"
              r"|working|hearing|talking)\b))|\bno (?:me )?interesa\b(?! (?:el|la|los|las) \w)"
              r"|\bno (?:estoy|estamos) interesad"), "unsure", None),
    _Rule(_rx(r"\bspam\w*|\bharass\w*|\brepor(?:t|ted|ting) (?:you|this|yall|your|u)\b|\bscam"
              r"\w*|\bfcc\b|\btcpa\b|\bacoso\b|\bdenunci\w*|\breportar\w*|\bdo not call"
              r" (?:list|registry)|\bdnc\b"), "unsure", None),
    _Rule(_rx(rf"\btoo many {_MSG}|\b(?:why|you|yall) (?:do you |are you |you |yall )?(?:keep"
              r"|kept) (?:texting|messaging|contacting|calling|bugging|sending|hitting)"
              r"|\b(?:stop|quit) (?:asking|pushing)\b|\b(?:im|i am|were|we are)"
              r" (?:so )?(?:tired|sick) of (?:these|your|the|being|getting|all)\b"), "unsure",
          _unsure_check),
    _Rule(_rx(r"\b(?:im|i am|were|we are) done (?:here|with (?:this|you|yall|these|the|your))\b"),
          "unsure", None),
    _Rule(_rx(r"\b(?:stop|quit) sending (?:me |us )?(?:listings|homes|houses|properties"
              r"|options)(?=\s*(?:please|now|thanks|lol)?\s*(?:$|[,.!?;:\n]))"), "unsure",
          _unsure_check),
    # a bare "stop" ending a clause about us or the texts: "you guys need to stop".
    _Rule(_rx(r"\b(?:stop|quit)\b"), "opt_out", _bare_stop_check),
)

_STOP_EMOJI = re.compile(r"^[\s\U0001F6D1\u270B\U0001F6AB\u26D4\uFE0F!.]+$")


def signals(text: str) -> list[tuple[int, Signal]]:
    """Every opt-out / resubscribe / unsure signal in `text`, with its position in `text`,
    in order: the caller orders them among a message's other statements."""
    folded = _fold(text)
    found = _keyword_signals(folded)
    for rule in _RULES:
        for m in rule.pattern.finditer(folded.text):
            signal = rule.signal if rule.check is None else rule.check(folded, m)
            if signal is not None:
                found.append((m.start(), signal))
    if not found and text.strip() and _STOP_EMOJI.match(text) and re.search(r"[^\s!.]", text):
        found.append((0, "unsure"))
    return sorted({(folded.at(pos), sig) for pos, sig in found}, key=lambda e: (e[0], e[1]))


@lru_cache(maxsize=8192)  # the consent check re-reads a lead's latest messages at each send
def classify(text: str) -> Signal | None:
    """The message's net reading: the last clear opt-out or resubscribe wins; "unsure" only
    when there is no clear signal but the message may be asking to stop; None otherwise."""
    found = signals(text)
    clear = [sig for _, sig in found if sig != "unsure"]
    if clear:
        return clear[-1]
    return "unsure" if found else None
