"""Does a lead's message revoke (or restore) consent to automated texts? Pure, no I/O.

Under the FCC's 2024 revocation rule (FCC 24-24, 47 CFR 64.1200(a)(10)) a lead may revoke
consent by any reasonable means ("stop, quit, end, revoke, opt out, cancel, unsubscribe" are
reasonable per se), so a missed opt-out costs a fine per later message: the rules favour
recall, and a false opt-out still silences a real lead. They are organised by phrasing class,
not by example sentence.

**Normalisation** first: NFKC, accents off, lower case; letters of other scripts that look like
Latin ones read as Latin ("ЅТОР" in Cyrillic, Greek "ΟΡΤ"), from the Unicode confusables table
of ``confusable_homoglyphs`` (a per-letter map built once, only when such a letter turns up);
invisible characters drop out; a spelling that decodes to a keyword is read as it: spaced or
dotted letters ("S T O P", "s.t.o.p"), digits or symbols for letters ("st0p", "0pt 0ut",
"un$ubscribe") and a masked letter ("uns*bscribe").

**opt_out**:

* *Keywords* (STOP, UNSUBSCRIBE, QUIT, CANCEL, END, REVOKE, OPT OUT, REMOVE ME, BAJA, PARAR,
  ALTO, CANCELAR, NO MÁS, ...) filling a piece of the message on their own, give or take
  politeness and filler ("stop pls", "ok thanks. STOP", "STOP!!! 😡"). CANCEL / END / QUIT /
  REMOVE and the ambiguous Spanish ones must fill a whole sentence.
* *Requests to stop contact*: a stopping or refraining verb with a contact verb ("stop
  texting", "dont contact me again", "dejen de escribirme"), removal from a list or of the
  number ("take me off your list", "bórrenme de la lista"), not wanting messages, dismissals
  ("leave me alone", "déjenme en paz"). Stopping texts while keeping another channel counts.
* *Legal phrasing*: the language of a demand letter ("cease and desist", "I hereby withdraw
  my prior express consent", "you do not have my permission", "any further contact will be
  considered harassment", "all communication to this number must cease", "revoco mi
  consentimiento").
* *Polite and preferred refusals* without the keywords ("I'd appreciate it if you didn't
  reach out again", "please refrain from contacting me", "I'd rather not hear from you",
  "les agradecería que no me escribieran").
* *Negated futures* ("never message me", "you will not text me again", "you're not to
  contact me"), not "why won't you text me back".
* *Context, then removal* ("the house is gone, take us off", "we sold, remove us", "count me
  out").
* *Spanish forms*: infinitive ("no enviar más mensajes", "dejar de escribir"), plural
  imperative ("dejen de mandarme mensajes", "no me manden más"), reflexive ("olvídense de mí",
  "bórrenme", "sáquenme de la lista", "quítenme de sus correos"), "no deseo ..." ("no deseo
  que me contacten", "no deseo ser contactado", "no quiero seguir recibiendo información"),
  "no vuelvan a escribirme".
* *A request wrapped in a threat* ("stop texting or I'll report you to the FCC", "text me
  again and I'll sue", "si me vuelven a escribir los denuncio"); a keyword or "enough" before
  "or" and a threat is read without the threat ("CANCEL OR I'LL CALL MY LAWYER").

**Not an opt-out** (nothing): "stop" exclaiming delight ("Stop, that's gorgeous!", "stop it,
I love it 😍") or halting a correction ("stop, I meant 3 bedrooms not 4"); opting out of
something else: another service ("cancel my Zillow alerts, I'll use yours"), one showing
("cancel Saturday's showing"), one listing type or area ("stop sending condos, only houses");
an instruction about a third person ("stop texting my husband, text me instead", "my wife
says stop calling her"); a limit on *when* or a condition ("don't text me before 9am"); a
channel preference away from calls ("don't call, text only"); a negated request ("no need to
stop"); a letter or an offer someone else got or revoked.

**unsure** (no automated reply, a person decides) when nothing is clear but the message may be
asking to stop: wrong number, who is this, how did you get my number, never signed up, not
interested, spam / harassment / reporting, a bare "don't call me", a hedged or questioning
stop ("maybe stop?", "stop?? idk", "maybe I should unsubscribe", "¿para?"), too many texts.

**resubscribe**, strictly: a resubscribe keyword as the content (START, UNSTOP, RESUBSCRIBE,
ALTA, COMENZAR, ...) or a short, unconditional permission ("you can text me again", "opt me
back in", "resubscribe me", "vuelvan a escribirme"). Never a question ("what does START
mean?", "START?"), a condition or a later time ("text me again in March", "if you find one
under 300k you can text me again"), a negation ("i didnt opt in", "nunca vuelvan a
escribirme"), nor START as an ordinary word ("we start looking in june").

``classify`` is the net reading (the last clear signal wins); ``signals`` lists every signal
with its position in the raw text, for the profile extractor. Each rule names the words it
cannot match without (``needs``), a cheap pre-check that skips its regex on ordinary texts.
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


_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e")


@cache
def _latin_lookalikes() -> dict[str, str]:
    """Letters of other scripts that look like a Latin letter ("Ѕ" Cyrillic DZE -> "s"), from
    the Unicode confusables table that ``confusable_homoglyphs`` maintains: built once, on the
    first message with such a letter (ordinary ASCII traffic never loads the table)."""
    from confusable_homoglyphs.confusables import (  # type: ignore[import-untyped]
        confusables_data,
    )

    out: dict[str, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        for glyph in homoglyphs:
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalpha():
                out[char] = glyph["c"].lower()
                break
            named = _LATIN_NAME.match(glyph["n"])
            if named:
                out[char] = named.group(1).lower()
                break
    return out


_LATIN_NAME = re.compile(r"LATIN (?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL )?([A-Z])$")


@cache  # a bounded alphabet: each character is folded once per process
def _fold_char(char: str) -> str:
    """NFKC, then accents off and lower case; a letter of another script that looks like a
    Latin one reads as that letter; invisible characters drop out."""
    if char in "\u2018\u2019\u00b4`\u02bc":
        return "'"
    if char.isascii():
        return char.lower()
    if char in _INVISIBLE:
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        if base.isascii() and base:
            out.append(base.lower())
        elif c.isalpha():
            out.append(_latin_lookalikes().get(c, c.lower()))
        else:
            out.append(c)
    return "".join(out)


def _sub(pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str | None],
         text: str, origin: list[int]) -> tuple[str, list[int]]:
    """``re.sub`` that keeps ``origin`` aligned: replacement chars map to the match start.
    A callable `repl` may return None to leave its match as it is."""
    out: list[str] = []
    org: list[int] = []
    last = 0
    literal = isinstance(repl, str) and "\\" not in repl  # no template to expand per match
    for m in pattern.finditer(text):
        if isinstance(repl, str):
            new = repl if literal else m.expand(repl)
        else:
            got = repl(m)
            if got is None:
                continue
            new = got
        out.append(text[last : m.start()])
        org.extend(origin[last : m.start()])
        out.append(new)
        org.extend([origin[m.start()]] * len(new))
        last = m.end()
    if not out:
        return text, origin
    out.append(text[last:])
    org.extend(origin[last:])
    return "".join(out), org


# --- obfuscated keywords: "S T O P", "s.t.o.p", "st0p", "0pt 0ut", "uns*bscribe" ----------
# Only a spelling that decodes to one of these words is rewritten, so "3 br", "300k" or a
# spaced "a b c" in an ordinary text stay as they are.
_CODE_WORDS = frozenset((
    "stop", "stopall", "unsubscribe", "unsub", "optout", "opt", "out", "quit", "cancel", "end",
    "remove", "revoke", "baja", "alto", "parar", "start", "unstop", "text", "texts", "texting",
    "message", "messages", "messaging", "contact", "contacting", "me", "list", "number", "spam",
    "stopp", "no", "mas", "leave", "alone",
))
_LEET = str.maketrans("01345789@$!|", "oieastbgasii")
_SPACED = re.compile(r"(?<![^\W_])[a-z0-9@$*](?:[ .\-_/|·•*]{1,2}[a-z0-9@$*]){2,}(?![^\W_])")
_MIXED = re.compile(r"(?<![a-z0-9@$*])(?=[a-z0-9@$*]*[a-z])(?=[a-z]*[0-9@$*])[a-z0-9@$*]{2,}"
                    r"(?![a-z0-9@$*])")


@cache
def _code_words(length: int) -> tuple[str, ...]:
    return tuple(w for w in _CODE_WORDS if len(w) == length)


def _decode(token: str) -> str | None:
    """The keyword `token` spells with digits / symbols for letters, or None."""
    plain = token.translate(_LEET)
    if plain in _CODE_WORDS:
        return plain
    if "1" in token and plain.replace("i", "l") in _CODE_WORDS:
        return plain.replace("i", "l")
    if "*" in plain:  # a masked letter: "uns*bscribe", "st*p"
        masked = re.compile(re.escape(plain).replace(r"\*", "[a-z]"))
        for word in _code_words(len(plain)):
            if masked.fullmatch(word):
                return word
    return None


def _spaced(m: re.Match[str]) -> str | None:
    """"S T O P", or words apart by wider gaps: "S T O P  N O W" -> "stop now"."""
    joined = re.sub(r"[ .\-_/|·•]", "", m.group(0))
    whole = _decode(joined)
    if whole is not None:
        return whole
    for word in ("stop", "unsubscribe", "optout", "start"):  # "S T O P S T O P"
        plain = joined.translate(_LEET)
        if len(plain) > len(word) and plain == word * (len(plain) // len(word)):
            return " ".join([word] * (len(plain) // len(word)))
    groups = [re.sub(r"[ .\-_/|·•]", "", g) for g in re.split(r"[ .\-_/|·•*]{2,}", m.group(0))]
    words = [_decode(g) for g in groups if g]
    if len(words) < 2 or not any(words):
        return None
    return " ".join(w if w is not None else g for w, g in zip(words, groups, strict=False))


def _mixed(m: re.Match[str]) -> str | None:
    return _decode(m.group(0))


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
    chars = [_fold_char(c) for c in raw]
    text = "".join(chars)
    if raw.isascii():  # one char each: the identity map
        origin = list(range(len(raw)))
    else:
        origin = [i for i, folded in enumerate(chars) for _ in folded]
    if _HAS_CODE.search(text):
        text, origin = _sub(_SPACED, _spaced, text, origin)
        text, origin = _sub(_MIXED, _mixed, text, origin)
    for pattern, repl in _WORD_RULES:
        text, origin = _sub(pattern, repl, text, origin)
    breaks = tuple(m.start() for m in _CLAUSE_END.finditer(text))
    return _Folded(raw, text, tuple(origin), breaks)


# A cheap gate for the decoding passes: a symbol or digit inside a word, or spaced letters.
_HAS_CODE = re.compile(r"[a-z][0-9@$*!|]|[0-9@$*|][a-z]|(?<![a-z0-9])[a-z][ .\-_/|·•*]{1,2}[a-z]"
                       r"[ .\-_/|·•*]{1,2}[a-z](?![a-z0-9])")


# --- pieces of a message --------------------------------------------------------------------

# Pieces end at punctuation, and at a correction word: "STOP actually START".
_FIX = r"\b(?:actually|wait|i mean|never ?mind|nvm|scratch that)\b"
_SENTENCE_END = re.compile(rf"[.!?;\n\u2026]+|{_FIX}")
_PIECE_END = re.compile(rf"[.!?;:,()\n\u2026]+|{_FIX}")


def _spans(ends: re.Pattern[str], text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, bare words) of each piece: letters only, so emojis and marks drop out."""
    bounds = [0, *(x for m in ends.finditer(text) for x in (m.start(), m.end())), len(text)]
    for start, end in zip(bounds[::2], bounds[1::2], strict=True):
        chunk = text[start:end]
        bare = re.sub(r" +", " ", re.sub(r"[^a-z ]+", " ", chunk)).strip()
        if bare:
            yield start + len(chunk) - len(chunk.lstrip()), end, bare


# Politeness and filler around a keyword ("ok thanks, STOP pls lol").
_FILL = (r"(?:please|por favor|porfavor|porfa|now|right now|ahora|already|ya|just|solo|thanks"
         r"|thank you|thanks again|thx|thnx|ty|tyvm|gracias|muchas gracias|ok|okay|k|kk|oki"
         r"|lol|lmao|haha|hahaha|jaja|jajaja|omg|ugh|um|umm|hey|hi|hello|hola|yes|yeah|yep|yup"
         r"|si|sir|maam|seriously|srsly|again|asap|immediately|dude|bro|man|guys|yall|everyone"
         r"|and|but|so|also|all|todo|de una vez|i said|i say|i told you|told you|like i said"
         r"|i already said|i repeat|for real|fr|no|nope|no thanks|no thank you|nah|reply"
         r"|this number|from this number|de este numero|de nuevo|otra vez)")
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
_HEDGE_ONLY = re.compile(r"(?:idk|i dunno|dunno|maybe|jk|just kidding|i guess|not sure|lol jk"
                         r"|or not|no se|tal vez|quizas)$")
_UNSURE_PIECE = _Words(_UNSURE_WORDS, _FILL)
_ALLOWED_ONLY = re.compile(rf"\b(?:{_FILL}|{_CUE})\b")
_LEADING_FILL = re.compile(rf"^(?:{_FILL} )*")  # greedy and never failing: no backtracking
# A keyword opening a piece and then a new clause without a comma ("STOP i never signed up").
_STOP_THEN = re.compile(
    r"(?:stop|unsubscribe|unsub|optout|opt out|revoke|baja|parar) "
    r"(?:sorry|oops|i|im|ive|id|we|were|weve|who|whos|why|wrong|not|never|dont|no|you|yall"
    r"|youre|leave|remove|take|lose|delete|this|these|and|thanks|thank|how|please|lol|haha"
    r"|quien|gracias|or)\b"
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


# "Stop" also exclaims delight ("stop, that's gorgeous 😍") or halts a correction ("stop, I
# meant 3 beds"): read so when such words follow and nothing about the texts does.
_DELIGHT = re.compile(
    r"\b(?:gorgeous|stunning|beautiful|amazing|incredible|obsessed|perfect|perfection|dreamy"
    r"|dream (?:home|house|kitchen|yard|backyard|bathroom|porch|pool)|in love|(?:love|adore)"
    r" (?:it|this|that|the|how|them|those|these|everything)|(?:i|we|im|were) (?:love|adore"
    r"|loving|obsessed)(?! (?:my|our|mine|ours)\b)|so (?:pretty|cute|nice|good|beautiful|pretty)"
    r"|to die for|cant even|cannot even|breathtaking|jaw (?:drop|on)|insane|unreal|wow|wowza"
    r"|omg (?:the|that|this|its|look)|need (?:it|this|that)|want (?:it|this|that) so bad"
    r"|que (?:bonita|bonito|hermosa|hermoso|linda|lindo|belleza|preciosa|precioso|chula|chulada"
    r"|maravilla)|hermos[ao]|precios[ao]|bellisim[ao]|me encanta|nos encanta|me fascina"
    r"|divin[ao]|espectacular|increible)\b"
)
_DELIGHT_EMOJI = re.compile("[\U0001F60D\U0001F970\U0001F929\U0001F63B\u2764\U0001F495"
                            "\U0001F496\U0001F497\U0001F498\U0001F49E\U0001F979\U0001F64C"
                            "\u2728\U0001F62E\U0001F924\U0001F3E1\U0001F3E0]")
_FEATURE = re.compile(
    r"[\W\s]*(?:(?:the|that|this|those|these|look at|omg) )*(?:\w+ )?(?:kitchen|view|views"
    r"|backyard|yard|pool|porch|bathroom|bath|fireplace|floors?|ceilings?|windows|light|deck"
    r"|patio|garden|closet|staircase|island|living room|primary|master|tub|shower|cabinets"
    r"|countertops|cocina|vista|alberca|piscina|jardin|terraza)s?(?:\s*[!\U0001F300-"
    r"\U0001FAFF\u2600-\u27BF]|\s*$)"
)
_CORRECTION = re.compile(
    r"\bnot (?:on )?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bnot (?:that|the) (?:one"
    r"|house|address|street)\b|\b(?:i meant|meant to (?:say|type|write)|typo|autocorrect"
    r"|auto correct|correction"
    r"|scratch that|let me (?:rephrase|correct|fix)|misspoke|mistyped|i typed|fat fingered"
    r"|wrong (?:address|street|house|unit|apt|date|day|time|zip|city|town|price|amount|listing"
    r"|link|photo|pic|picture|one|bedroom|bed|beds|bath|baths|name|month|year|budget|number of"
    r"|lot|model|floor ?plan)|not \d|instead of|quise decir|queria decir|me equivoque de"
    r" (?:direccion|fecha|hora|casa|dia|calle)|perdon (?:era|es|quise)|no \d+ sino|error de"
    r" dedo)\b|\d+\s*(?:not|no|sino)\s*\d+"
)
_ABOUT_US = re.compile(r"\b(?:text|messag|contact|call|spam|bother|annoy|leave|list|number"
                       r"|unsub|not (?:selling|interested|buying)|no thanks|harass|report|block"
                       r"|escrib|mensaj|molest|llam|lista)")
_STOP_WORD = re.compile(r"\W*(?:stop|para|alto|parar)(?: (?:it|this|that))?\b")
_UNAMBIGUOUS = re.compile(r"\b(?:unsubscribe|unsub|optout|opt out|revoke|baja)\b")


def _not_a_stop(f: _Folded, start: int, bare: str) -> bool:
    """A stop keyword that exclaims delight or halts a correction, not a request."""
    if _UNAMBIGUOUS.search(bare):
        return False
    window = f.text[start : start + 120]
    if _ABOUT_US.search(window):
        return False
    if _CORRECTION.search(window) or _DELIGHT.search(window):
        return True
    after = _STOP_WORD.match(window)
    if after and _FEATURE.match(window, after.end()):
        return True
    end = min(len(f.text), start + 120)
    return bool(_DELIGHT_EMOJI.search(f.raw, f.at(start), f.at(end)))


def _question_at(f: _Folded, end: int) -> bool:
    """The piece or clause ending at `end` is a question ("START?", "... text me again?")."""
    m = _QUESTION_END.match(f.text, end)
    return bool(m and "?" in m.group(0))


_QUESTION_END = re.compile(r"[^.!?;\n]{0,80}?[.!?;\n]+")


def _keyword_signals(f: _Folded) -> list[tuple[int, Signal]]:
    out: list[tuple[int, Signal]] = []
    pieces = list(_spans(_PIECE_END, f.text))
    for i, (start, end, bare) in enumerate(pieces):
        lead = _LEADING_FILL.match(bare)
        rest = bare[lead.end() :] if lead else bare
        if _STRONG_PIECE.match(bare) or _CUED_STOP.match(bare) or _STOP_THEN.match(rest):
            if _not_a_stop(f, start, bare):
                continue
            # "stop?? idk": a hedge as the next piece makes it a question, not a request
            hedge = i + 1 < len(pieces) and _HEDGE_ONLY.match(pieces[i + 1][2])
            out.append((start, "unsure" if hedge else "opt_out"))
        elif _RESUB_PIECE.match(bare):
            if not _question_at(f, end):
                out.append((start, "resubscribe"))
        elif (m := _START_THEN.match(rest)) is not None:
            if m.group("next") in ("sorry", "sry", "oops", "my bad", "wrong") or _shouted(
                    f, start, m.group("kw")):
                out.append((start, "resubscribe"))
        elif (_HEDGED.match(bare) and _HEDGE_WORD.search(bare)) or _UNSURE_PIECE.match(bare):
            out.append((start, "unsure"))
    for start, end, bare in _spans(_SENTENCE_END, f.text):
        if (_WEAK_SENTENCE.match(bare) and not _STRONG_PIECE.match(bare)
                and not _not_a_stop(f, start, bare)):
            # an ambiguous word asked ("¿para?", "cancel?") may be a stop: a person decides
            out.append((start, "unsure" if _question_at(f, end) else "opt_out"))
    return out


# --- phrase rules -----------------------------------------------------------------------------

_NEGATED = re.compile(
    r"\b(?:no need to|dont have to|do not have to|dont need to|do not need to|didnt mean to"
    r"|did not mean to|not trying to|not asking (?:you )?to|never said|didnt say|did not say"
    r"|dont want to|do not want to|not going to|wont|will not|dont|do not|not|never|cant"
    r"|cannot|why would (?:i|we)|no reason to|shouldnt|wouldnt|no)"
    r"(?: (?:ever|really|please|just|to|you|even|have to|need to|say|said))*\s*$"
)
_THREAT = re.compile(r"\bif (?:you|yall|they) (?:dont|do not|wont|will not)\b[^.!?]*$"
                     r"|\bsi (?:ustedes |usted |tu )?(?:no|ya no)(?: (?:me|nos))?\s*$")
_LEAD_IN = re.compile(r"^(?:\s*\b(?:me|us|anymore|any more|again|ever|please|at all|nunca"
                      r"|mas|por favor|mensajes|textos|msjs?|sms|correos|nada|de texto"
                      r"|informacion|info|publicidad|promociones|ofertas|noticias|llamadas)\b)*")
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
    r"|a las \d|en el trabajo"
    r"|in (?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|the (?:spring|summer|fall"
    r"|autumn|winter|new year)|a (?:few|couple|week|month|year)|\d+|two|three|a bit)"
    r"|next (?:year|spring|summer|fall|winter)|later|sometime|some time|someday|once|if"
    r"|en (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
    r"|diciembre|unos (?:dias|meses)|un (?:mes|ano))|el (?:proximo|otro) (?:mes|ano)"
    r"|mas (?:adelante|tarde)|luego|si)"
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
    r"|solo si|excepto|(?:about )?(?:condos?|duplex\w*|fixer uppers?|foreclosures?|mobile homes?"
    r"|\d+ ?(?:bed|br|bd|bedroom|bath)\w*|townhomes?|townhouses?|apartments?|rentals?|lots?"
    r"|land|new builds?|\d|(?:homes?|houses?|listings?) (?:in|over|under|above|below))"
    # a place or kind: "stop sending me anything in Raleigh", "... without a garage"
    r"|(?:in|inside|outside) (?!general|any case|any way|the first place|fact|writing|english"
    r"|spanish|this|that|the future|future|advance|person)[a-z]"
    r"|(?:near|around|within|without) |with (?:a|an|no|less|more|\d)"
    r"|that (?:are|arent|dont|have|cost|need)|like (?:this|that|those|these|the last)"
    # the listings described by a participle: "anything built before 1980", "stuff listed over
    # 600k", "places located by the highway"
    r"|(?:built|listed|priced|located|constructed|zoned|situated)\b)"
)
_TEXT_OK = re.compile(
    r"\btext(?:ing)? (?:only|is (?:fine|better|ok|okay|best|easier|good))|\bonly text"
    r"|\bjust text|\btext (?:me |us )?instead|\bprefer (?:texts?|texting)\b"
    r"|\btexts? (?:are|is) (?:fine|better|ok|okay)|\b(?:by|via|over) text\b"
    r"|\b(?:solo|mejor|por) (?:mensajes?|textos?|whatsapp)\b|\bescribeme\b"
    r"|\bmandame (?:un )?mensaje"
)
_ALWAYS = re.compile(r"\b(?:anymore|any more|again|ever|never|period|at all|nunca|mas"
                     r"|vuelvan? a|vuelvas a|volver a|de nuevo|otra vez)\b")

_MSG = (r"(?:text messages?|texts?|messages|msgs?|sms|e ?mails?|alerts?|notifications?"
        r"|updates|spam|junk|crap|robo ?calls?|phone calls|calls|promos?|ads|marketing"
        r"|solicitations?|automated messages|communications?|correspondence|outreach"
        r"|contact(?! (?:info|information|details|number|form|page|person|lenses)))")
# Words that describe the messages without changing what they are: "the automated texts",
# "these annoying robot texts", "your daily marketing emails" (at most two; not a kind of
# listing, which makes it about listings: "stop the condo alerts", "no more open house emails").
_DESC = (r"(?:(?!(?:listings?|condos?|houses?|homes?|propert(?:y|ies)|townhomes?|townhouses?"
         r"|apartments?|land|lots?|price|open|new|showings?|rentals?|not|no|from|about|for|in)\b)"
         r"[a-z]+(?:-[a-z]+)? ){0,2}?")
_SENT = (rf"(?:{_MSG}|message|stuff|things|this|these|those|that|them|anything|everything"
         r"|info|information|mail|offers|any more|more)")
_CALLV = r"(?:call(?:s|ing)?|ring(?:ing)?|phon(?:e|ing)|called)"
_CONTACT = (
    r"(?:text(?:s|ing|ed)?|messag(?:e|es|ing)|contact(?:s|ing)?|e ?mail(?:s|ing)?|ping(?:ing)?"
    rf"|writ(?:e|ing)|{_CALLV}|reach(?:ing)? out|follow(?:ing)? up|check(?:ing)? in"
    r"|(?:(?:bother|harass|pester|hound|annoy)(?:ing|s)?|bug(?:ging|s)?|spam(?:ming|s)?)"
    r" (?:me|us)|hit(?:ting)? (?:me|us) up"
    r"|blow(?:ing)? up (?:my|our) (?:phone|cell)"
    r"|(?:send|sen)(?:ing|s)? (?:(?:me|us) )?(?:any )?(?:more )?(?:(?:these|those|your|the|all"
    rf"|all the|all these|all your) )?(?:{_DESC}{_MSG}\b|{_SENT}\b)"
    r"|(?:send|sen)(?:ing)?(?: (?:me|us))?(?= *(?:please|now|thanks)? *(?:$|[,.!?;:\n]))"
    rf"|(?:receiv|gett)ing (?:(?:these|your|any|the|all) )?(?:{_DESC}{_MSG}|these|them|this)\b)"
)
_ME = r"(?: (?:me|us|this number|my (?:phone|number|cell)|here))?"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    signal: Signal
    check: _Check | None = None
    # A cheap gate: each group names words one of which the pattern cannot match without.
    needs: tuple[tuple[str, ...], ...] = ()

    def may_match(self, text: str) -> bool:
        return all(any(word in text for word in group) for group in self.needs)


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


# Who or what the request is about: a third person ("stop texting my husband"), another
# service ("cancel my Zillow alerts, I'll use yours"), one showing ("remove me from Saturday's
# tour"), or a deal ("the seller revoked the offer") is not this lead's consent.
_KIN = (r"(?:husband|hubby|wife|wifey|spouse|partner|boyfriend|girlfriend|bf|gf|fiance|fiancee"
        r"|mom|mother|mum|mama|dad|father|papa|son|daughter|kid|kids|child|children|brother"
        r"|sister|parents|family|grandma|grandpa|grandmother|grandfather|aunt|uncle|cousin|niece"
        r"|nephew|boss|coworker|co worker|roommate|tenant|tenants|friend|neighbor|neighbour"
        r"|assistant|ex|in laws|mother in law|father in law|esposo|esposa|marido|mujer|madre"
        r"|padre|mami|papi|hijo|hija|hijos|hermano|hermana|novio|novia|suegra|suegro|jefe|jefa"
        r"|abuela|abuelo|tia|tio|pareja|inquilino|inquilinos|amigo|amiga|vecino|vecina)")
_SELF = re.compile(r"\b(?:me|us|nos|myself|ourselves|this number|my (?:phone|number|cell)"
                   r"|escribirme|contactarme|llamarme|mandarme|enviarme|molestarme)\b")
_OTHER_PERSON = re.compile(rf"^\s*(?:to |a )?(?:(?:my|our|his|her|their|mi|mis|nuestr[ao]s?"
                           rf"|su|sus) (?:\w+ )?{_KIN}\b|him\b|her\b|el\b|ella\b)")
_KIN_OWNED = re.compile(rf"\b(?:my|our|his|her|mi|mis|su) {_KIN}s?\b")
_KIN_SAYS = re.compile(rf"\b(?:my|our|mi) {_KIN} (?:says|said|wants|asked|asks|told|dice|dijo"
                       r"|quiere|pide|pidio)\b")
_BRANDS = (r"(?:zillow|redfin|trulia|realtor ?\.? ?com|realtor dot com|homes ?\.? ?com|opendoor"
           r"|offerpad|compass|remax|re max|keller williams|coldwell(?: banker)?|century 21"
           r"|exp realty|hotpads|craigslist|facebook|instagram|nextdoor|rocket(?: mortgage)?"
           r"|quicken|movoto|xome|the mls|mls|netflix|spotify|amazon|the bank|my bank|the lender"
           r"|my lender|the builder|my hoa|the hoa|the newsletter|the magazine)")
_OTHER_SOURCE = re.compile(
    rf"\b{_BRANDS}s?\b|\b(?:other|another|old|previous|former|different|last|first) (?:agent"
    r"|realtor|site|website|app|service|company|broker|brokerage|lender|team|guy|lady)s?\b"
    r"|\b(?:theirs|their (?:texts|emails|alerts|messages|list))\b|\bfrom (?:\w+ ){0,2}"
    r"(?:showing|tour|appointment|open house|visit|meeting|viewing|walkthrough|walk through"
    r"|inspection|closing)s?\b"
)
_KEEP_US = re.compile(
    r"\b(?:use yours|yours instead|keep yours|from you instead|stick(?:ing)? with (?:you|yours)"
    r"|(?:only|just) (?:want|need|use) yours|your (?:texts|alerts|listings|emails|messages)"
    r" instead|(?:text|message) me instead|los suyos|solo (?:los )?de ustedes)\b"
)
_DEAL_OBJECT = re.compile(
    r"^\s*(?:(?:the|their|his|her|an|a|our|my|that|this|its) )?(?:\w+ )?(?:offer|counter ?offer"
    r"|contract|acceptance|bid|approval|pre ?approval|preapproval|loan|financing|inspection"
    r"|appraisal|option|contingency|lease|showing|appointment|tour|closing|listing agreement)s?\b"
)
_HEDGE_BEFORE = re.compile(
    r"\b(?:maybe|might|thinking (?:about|of)|considering|not sure (?:if|whether)|debating"
    r"|tempted to|about to|should i|should we|do i (?:need|have) to|gonna have to|i could"
    r"|we could|if (?:this|it|these|they|you|yall|texts) (?:\w+ ){0,5}(?:ill|i will|im gonna"
    r"|im going to|i might|well|we will|i may))\b[^.!?]*$"
)


def _third_party(f: _Folded, m: re.Match[str]) -> bool:
    """The request is about someone else's contact ("stop texting my husband", "dejen de
    escribirle a mi mamá"), not this lead's."""
    said = m.group(0)
    if _KIN_OWNED.search(said):
        return True
    if _SELF.search(said):
        return False
    after = _after(f, m)
    if re.search(r"\b(?:me|us|myself|ourselves|nos|mi)\b(?! (?:\w+ )?" + _KIN + ")", after):
        return False  # "don't text my wife or me again"
    if re.search(r"(?:le|les)$", said) or _OTHER_PERSON.match(after):
        return True
    return bool(_KIN_SAYS.search(_before(f, m)))


def _elsewhere(f: _Folded, m: re.Match[str]) -> bool:
    """The request is about another service, one appointment or a deal, not our texts."""
    if _OTHER_SOURCE.search(m.group(0) + _after(f, m)[:60]) or _KEEP_US.search(
            f.text, max(0, m.start() - _REACH), m.end() + _REACH):
        return True
    return bool(re.match(r"(?:revok|withdr|rescind|cancel)", m.group(0))
                and _DEAL_OBJECT.match(_after(f, m)))


def _hedged(f: _Folded, m: re.Match[str]) -> bool:
    """"maybe I should unsubscribe", "if these keep coming I'll opt out": may be, unsure."""
    return bool(_HEDGE_BEFORE.search(_before(f, m)))


def _stop_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """A stopping verb: dropped when negated or limited, or about another person or service;
    a call-only stop keeps texts alive; hedged it is unsure."""
    if _negated(f, m) or _third_party(f, m) or _elsewhere(f, m):
        return None
    limit = _limited(_after(f, m), now_is_timing=False)
    if limit != "go":
        return limit
    if _hedged(f, m):
        return "unsure"
    if re.search(rf"\b{_CALLV}\b", m.group(0)) and not re.search(r"\btext|\bmessag|\bcontact",
                                                                  m.group(0)):
        return None if _TEXT_OK.search(f.text) else "opt_out"
    return "opt_out"


def _refrain_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"don't text me": timing limits and conditions are not stops; "don't call" alone is a
    channel preference (nothing when texts are welcome, else a person decides)."""
    if _third_party(f, m) or _elsewhere(f, m):
        return None
    limit = _limited(_after(f, m), now_is_timing=True)
    if limit != "go":
        return limit
    if _hedged(f, m):
        return "unsure"
    if re.search(rf"\b{_CALLV}\b|\bllam", m.group(0)) and not re.search(
            r"\btext|\bmessag|\bcontact|\bescrib|\bmensaj|\bmand|\benvi", m.group(0)):
        if _TEXT_OK.search(f.text):
            return None
        near = f.text[max(0, m.start() - 12) : m.end() + len(_after(f, m))]
        return "opt_out" if _ALWAYS.search(near) else "unsure"
    return "opt_out"


# "nada" that a home's feature, place or price scopes: "no quiero nada con piscina", "nada
# cerca de la autopista", "nada de dos pisos", "nada mas caro", "nada que necesite arreglos"
# (not "nada de ustedes", "nada con su empresa", "nada que ver", "nada en absoluto", "nada en
# este momento": those refuse us, or say when, which `_refrain_check` weighs).
_NOTHING_SCOPED = re.compile(
    r"^\s*(?:con|en|cerca|lejos|sin|tan|muy|arriba|abajo|por (?:encima|debajo|arriba)|que|de"
    # described by a participle: "nada construido antes del 90", "nada ubicado en la carretera"
    r"|construid[oa]s?|ubicad[oa]s?|listad[oa]s?|situad[oa]s?|edificad[oa]s?"
    r"|mas (?:caro|cara|grande|chic|viej|nuev|lejos|cerca|de \d|que|\d))")
_NOTHING_OURS = re.compile(
    r"^\s*(?:(?:con|de) (?:ustedes|usted|uds|ti|vos|esto|eso|nadie|nada|su|sus|tu|tus"
    r"|(?:la|esta|esa) (?:empresa|compania|agencia|gente))\b|que ver\b|en absoluto\b"
    r"|en (?:este|estos|el|ese) momentos?\b)"
    # us or our messages anywhere after it: "nada que venga de ustedes", "nada que me manden"
    r"|\b(?:ustedes|usted|uds|vos|su (?:empresa|compania|agencia|parte)|me (?:manden|envien"
    r"|escriban|contacten|llamen|mandes|envies|escribas)|mensajes|textos|msjs?|sms|correos"
    r"|llamadas)\b")


def _nothing_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"no quiero nada" refuses us, unless what follows scopes the "nada" to a kind of home
    (`_NOTHING_SCOPED`): then it is a preference, never an opt-out."""
    after = _after(f, m)
    if (m.group(0).endswith("nada") and _NOTHING_SCOPED.match(after)
            and not _NOTHING_OURS.search(after)):
        return None
    return _refrain_check(f, m)


def _plain_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    if _negated(f, m) or _third_party(f, m) or _elsewhere(f, m):
        return None
    return "unsure" if _hedged(f, m) else "opt_out"


def _legal_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"cease and desist" demanded, not a letter someone got ("the HOA sent a cease and
    desist letter about the fence")."""
    before, after = _before(f, m), _after(f, m)
    if re.search(r"\b(?:this is|this serves|consider this|treat this|heres|here is|this (?:text"
                 r"|message|letter) (?:is|serves))\b", before):
        return "opt_out"
    if re.match(r"\s*(?:letter|order|notice|demand|request|papers)\b", after) or re.search(
            r"\b(?:a|an|the|their|his|her|got|received|sent|send|sending|file|filed|issue"
            r"|issued)\s*$", before):
        return None
    return _plain_check(f, m)


def _future_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"you will not text me again" is a demand; "why won't you text me back" is not."""
    before, after = _before(f, m), _after(f, m)
    if re.search(r"\b(?:why|how come|so|then|if|when|hope|hopefully|worried|afraid)\b", before):
        return None
    if re.match(r"\s*(?:back|the|about|with|a|an|your|any|in time|yet|first)\b", after):
        return None
    return _refrain_check(f, m)


_THREAT_WORDS = re.compile(
    r"\b(?:report\w*|sue|suing|lawsuit|lawyer|attorney|fcc|ftc|tcpa|complain\w*|legal|court"
    r"|police|cops|block\w*|bbb|denunci\w*|demand\w*|queja|abogado|profeco|bloque\w*"
    r"|policia|fine\w*|multa\w*)\b"
)


def _threat_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"if you text me again I'll report you": a request wrapped in a threat; with no threat
    ("if you text me again with the address...") it is nothing."""
    return "opt_out" if _THREAT_WORDS.search(f.text, m.end(), m.end() + _REACH) else None


def _subject_stop_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"these texts need to stop" asks; "when will the texts stop?" may ask: unsure."""
    if re.search(r"\b(?:when|why|how|will|do|does|did|if|once|until|till|would)\b",
                 _before(f, m)):
        return "unsure"
    if _limited(_after(f, m), now_is_timing=False) is None:
        return None  # "the calls need to stop at 8pm"
    return _plain_check(f, m)


def _forget_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"olvídense de mí", not "no se olviden de mí" (don't forget me)."""
    if re.search(r"\bno (?:se |te )?$", _before(f, m)):
        return None
    return _plain_check(f, m)


_WITH_MESSAGES = re.compile(rf"\s*(?:with|con) (?:the |your |these |those |all (?:the |these "
                            rf"|your |of (?:the |these |your )?)?|los |las |tus |sus |tanto "
                            rf"|tantos |tantas )?(?:\w+ )?{_MSG}\b")


def _dismiss_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"go away", "knock it off": a whole clause said to us, not "we go away in june"."""
    if _negated(f, m):
        return None
    before, after = _before(f, m), _after(f, m)
    if re.search(r"\b(?:we|i|they|he|she|to|will|ll|gonna|going|might|can|could|would|should"
                 r"|may|must|did|do|does)\s*$", before):
        return None
    # ...or of what it is about: "cut it out with the texts", "knock it off with the calls".
    about = _WITH_MESSAGES.match(after)
    return "opt_out" if _fill_only(after[about.end():] if about else after) else None


def _spanish_send_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"no me manden" stops messages unless its object is a kind of home ("... casas de 2")."""
    after = _after(f, m)
    if re.match(r"\s*(?:mas\s+)?(?:casas|condos?|departamentos|propiedades|terrenos|lotes"
                r"|opciones|listados|cosas de|de \d)", after):
        return None
    # "no me manden nada construido antes del 90": a "nada" scoped to a kind of home, as in
    # `_nothing_check` ("no quiero nada con piscina")
    nothing = re.match(r"\s*(?:mas\s+)?nada\b", after)
    rest = after[nothing.end() :] if nothing else ""
    if nothing and _NOTHING_SCOPED.match(rest) and not _NOTHING_OURS.search(rest):
        return None
    return _refrain_check(f, m)


_CONDITIONAL = re.compile(r"\b(?:if|when|once|after|unless|whenever|until|till|in case"
                          r"|cuando|en cuanto|despues|hasta que|maybe|might)\b")
_SI = re.compile(r"\bsi\b")  # "si" (if), not "sí" (yes): read on the raw text


_INF_TAIL = re.compile(
    r"(?:\s*\b(?:mas|ya|nada|mensajes|textos|msjs?|sms|correos|whatsapps?|por favor|porfa"
    r"|porfavor|gracias|a este numero|a mi numero|a mi celular|por aqui|aqui|de nuevo|otra vez"
    r"|nunca|jamas|por este medio|por ningun medio|nunca mas|me|nos|ningun|ninguno)\b)*\W*$"
)


def _spanish_infinitive_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"no enviar más mensajes" stops; "no enviar la oferta todavía" is about a document."""
    if not _INF_TAIL.match(_after(f, m)):
        return None
    return _spanish_send_check(f, m)


_RESUB_NEGATED = re.compile(  # "i didnt opt in", "nunca vuelvan a escribirme"
    r"\b(?:didnt|did not|never|havent|have not|hasnt|has not|wasnt|was not|dont|do not|not)"
    r"(?: (?:even|ever|really|just))?\s*$|\b(?:no|nunca|jamas)(?: (?:me|nos|mas|que|quiero"
    r"|queremos|deseo|deseamos|por favor))*\s*$"
)


_ES_REMOVE = r"(?:borr|quit|saqu|sac|elimin|remuev|remov|baj|desuscrib|desinscrib|excluy|exclu)"
_ES_INFO = (r"(?:informacion|info|publicidad|promociones|ofertas|anuncios|noticias"
            r"|actualizaciones|alertas|avisos|propaganda|mensajes|textos|msjs?|sms|correos|emails"
            r"|whatsapps?|llamadas|notificaciones|nada)")
_ES_CHANNEL = (r"(?:mensajes|textos|msjs?|sms|correos|emails|mails|envios|registros|archivos"
               r"|directorio|datos|grupo|chat|whatsapps?|notificaciones|alertas|campanas?|boletin"
               r"|boletines|newsletter|suscripcion|suscripciones|promociones|publicidad|mailing"
               r"|difusion|comunicaciones|contactos|lista|listas)")
_ABOUT_A_HOME = re.compile(
    r"\s*(?:(?:mas|sus|su|esta|estos|estas|tanta|tantos|tantas) )*(?:\w+ )?(?:sobre|acerca de"
    r"|de|del|en) (?:(?:esa|esta|la|el|ese|este|las|los|esas|esos|otras?|otros?) )?(?:casas?"
    r"|condos?|condominios?|departamentos?|deptos?|propiedad(?:es)?|terrenos?|lotes?|listados?"
    r"|opciones|zona|area|colonia|\d)"
)


def _spanish_info_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"no deseo seguir recibiendo información" stops; "... información de esa casa" is about
    one listing."""
    if _ABOUT_A_HOME.match(_after(f, m)):
        return None
    return _refrain_check(f, m)


def _resub_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """Strict: a plain permission only, not one under a condition or for later ("text me
    again in March", "if you find one under 300k you can text me again"), nor a question."""
    if (_negated(f, m) or _RESUB_NEGATED.search(_before(f, m))
            or _limited(_after(f, m), now_is_timing=False) != "go"):
        return None
    head = max(0, m.start() - _REACH)
    raw_head = f.raw[f.at(head) : f.at(m.start())].lower()
    if _CONDITIONAL.search(f.text, head, m.start()) or _SI.search(raw_head):
        return None
    # "unstop" is no ordinary word: opening the message, what follows may explain it
    # ("unstop lol sorry, meant to text my brother"); any other permission must stand alone.
    opens = not f.text[:m.start()].strip() and m.group(0).startswith("unstop")
    if not opens and not _fill_only(_after(f, m)):
        return None
    return None if _question_at(f, m.end()) else "resubscribe"


def _interest_check(f: _Folded, m: re.Match[str]) -> Signal | None:
    """"not interested" may be a stop; "not interested in that one" is about a listing."""
    if re.match(r" in (?:this|that|the) (?:one|house|home|listing|place|property|area|condo"
                r"|neighbou?rhood|street|location|price|layout)\b", _after(f, m)):
        return None
    return "unsure"


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
    _Rule(_rx(r"\b(?:stop|stopped|quit|cease|ceased|discontinue|halt|end|terminate|suspend"
              r"|(?:refrain|desist|abstain|cease and desist|cease) from|put (?:an end|a stop) to)"
              rf"(?: (?:all|any|any further|all further|further|any and all|any more))? {_CONTACT}"
              rf"{_ME}"),
          "opt_out", _stop_check,
          needs=(
              ("stop", "quit", "cease", "discontinu", "halt", "end", "termin", "suspend",
               "refrain", "desist", "abstain", "put a"),
          )),
    # stop / no more + the messages themselves: "stop the texts", "enough with the calls".
    _Rule(_rx(r"\b(?:stop|quit|cease|end|cancel|halt|enough|done|no more|no further|nomore"
              r"|discontinue|terminate|suspend|(?:refrain|desist|abstain) from)"
              r"(?: it)?(?: (?:with|of))?(?: (?:all|the|these|those|your|all the|all these|all your"
              r"|all of (?:the|these|your)|my|any|any further|all further|further|any and all"
              rf"|any more))? {_DESC}{_MSG}\b"), "opt_out", _stop_check,
          needs=(
              ("stop", "quit", "cease", "end", "cancel", "halt", "enough", "done", "no more",
               "no further", "nomore", "discontinu", "termin", "suspend", "refrain", "desist",
               "abstain"),
          )),
    _Rule(_rx(rf"(?:^|[,.!?;:\n]\s*|\b(?:please|so|just|ok|and) )no (?:texting|{_MSG})\b"),
          "opt_out", _refrain_check,
          needs=(("no ",),)),
    # refrain + contact verb: "don't text me", "can u not text me anymore", "never call again".
    _Rule(_rx(r"\b(?:dont|do not|never|can you not|could you not|would you not|will you not"
              r"|can yall not|do you mind not|would you mind not|dont you dare|dont you ever"
              r"|(?:can|could|would|will) (?:you|yall)(?: please| kindly| just| maybe"
              r"| perhaps)* not"
              r"|if (?:you|yall) (?:could|would|can|will)(?: please| kindly| just)? (?:not|never)"
              r"|do not ever|to not|not to"
              r"|to never|never to|kindly not)(?: (?:ever|again|even|keep|start"
              rf"|bother|try to|try and|please))* {_CONTACT}{_ME}"), "opt_out", _refrain_check,
          needs=(("dont", "not", "never"),)),
    _Rule(_rx(r"\b(?:dont|do not|no longer|never) (?:want|need|wish|like) (?:you|yall|anyone"
              r"|anybody|your (?:team|office|company|agents?)|(?:any|some) ?(?:one|body))"
              rf"(?: to)?(?: ever)? {_CONTACT}"), "opt_out", _refrain_check,
          needs=(("dont", "not", "never", "no longer"),)),
    # not wanting the messages: "I don't want any more texts", "prefer not to receive ...".
    _Rule(_rx(r"\b(?:dont|do not|no longer|never|didnt|did not) (?:want|wish|need|like|care for)"
              r"(?: to (?:receive|get|keep getting|keep receiving|be getting|see))?(?: any)?"
              r"(?: (?:more|further|of (?:these|your|the)|these|your|those|the|all (?:these|the"
              rf"|your)))? {_DESC}{_MSG}\b"), "opt_out", _refrain_check,
          needs=(("dont", "not", "never", "no longer", "didnt"),)),
    _Rule(_rx(r"\b(?:prefer|rather|like|wish|want|choose|ask)(?: to)? (?:not|no longer|never)"
              r"(?: to)? (?:receive|get|be sent|keep getting|be getting)(?: any)?(?: (?:more"
              r"|further|additional|other|of (?:these|your)|these|those|your|the|any|such))*"
              rf" {_MSG}\b"), "opt_out",
          _refrain_check,
          needs=(("not", "no longer", "never"),)),
    # "these" standing for our texts: "I'd rather not get these anymore" (not "these listings").
    _Rule(_rx(r"\b(?:prefer|rather|like|wish|want|choose)(?: to)? (?:not|no longer|never)"
              r"(?: to)? (?:receive|get|be sent|keep getting|be getting) (?:any more of )?"
              r"(?:these|them|those)(?: (?:anymore|any more|again|going forward|from now on"
              r"|in the future|please|thanks|thank you))*\s*(?=$|[,.!?;:\n])"), "opt_out",
          _refrain_check,
          needs=(("not", "no longer", "never"),)),
    # declining what is to come: "I'll pass on future messages", "pass on getting more of these".
    _Rule(_rx(r"\bpass on (?:(?:getting|receiving) )?(?:any |all )?(?:(?:future|more|further"
              rf"|additional|upcoming) )?(?:{_MSG}|of (?:these|them|those|your {_MSG}))\b"),
          "opt_out", _refrain_check,
          needs=(("pass on",),)),
    _Rule(_rx(r"\b(?:dont|do not|not|no longer|never)(?: (?:want|wish|care|need|like)(?:s|ed)?)?"
              r"(?: to)? be (?:contacted|texted|messaged|called|bothered|disturbed|emailed"
              r"|spammed|solicited|on (?:your|this|the|any) (?:\w+ )?list)\b"), "opt_out",
          _refrain_check,
          needs=(("not", "dont", "no longer", "never"),)),
    _Rule(_rx(r"\b(?:dont|do not|no longer|never) (?:want|wish|need|care) to (?:hear from"
              r"|be in touch with|talk to) (?:you|yall|your)\b"), "opt_out", _refrain_check,
          needs=(("not", "dont", "no longer", "never"),)),
    _Rule(_rx(r"\bnot interested in (?:receiving|getting) (?:any |these |your )?"
              rf"(?:more )?{_MSG}\b"), "opt_out", _refrain_check,
          needs=(("not interested",),)),
    # off a list: "take me off your list", "remove my number", "lose my number".
    _Rule(_rx(r"\b(?:remove|delete|erase|scratch|strike|wipe|unlist)(?: (?:me|us|myself|my"
              r"(?: \w+){0,2}? (?:number|info|information|name|contact(?: info)?|details|data"
              r"|email|phone|cell)|this (?:number|phone|cell)|our (?:number|info|information"
              r"|names?)))(?: \w+)? (?:off|from|out of)\b"), "opt_out", _plain_check,
          needs=(("remove", "delete", "erase", "scratch", "strike", "wipe", "unlist"),)),
    _Rule(_rx(r"\b(?:take|get|pull|cross|drop|knock)(?: (?:me|us|myself|my(?: \w+){0,2}? "
              r"(?:number|info|information|name|contact(?: info)?|details|email|phone|cell)"
              r"|this (?:number|phone|cell)|our (?:number|info|names?)))(?: \w+)? (?:off|out of"
              r"|from) (?:of )?(?:(?:your|ur|the|this|that|these|all|any|whatever|ya|yall"
              r"|every|my)(?: \w+){0,3}? )?(?:list|lists|database|system|contacts"
              r"|mailing|distribution|campaign|texts|messages|records|roster|thread|group)\b"),
          "opt_out", _plain_check,
          needs=(("take", "get", "pull", "cross", "drop", "knock"),)),
    _Rule(_rx(r"\b(?:take|get)(?: (?:me|us|my number|this number)) off(?: (?:please|now|thanks"
              r"|asap|already))*\s*(?=$|[,.!?;:\n])"), "opt_out", _plain_check,
          needs=(("take", "get"),)),
    _Rule(_rx(r"\b(?:delete|erase|lose|forget|remove|toss|trash|burn|scrub|purge|shred)"
              r" (?:my|our|this)(?: (?:phone|cell|contact|personal))? (?:number|info|information"
              r"|contact|contact info|details|data|digits|number)\b"), "opt_out", _plain_check,
          needs=(
              ("delete", "erase", "lose", "forget", "remove", "toss", "trash", "burn", "scrub",
               "purge", "shred"),
          )),
    _Rule(_rx(r"\b(?:want|wanna|need|would like|id like)(?: to be)?(?: (?:taken|removed))? off"
              r"(?: of)? (?:your|the|this|ur|that|these|all|any|whatever)\b"), "opt_out",
          _plain_check,
          needs=(("off",),)),
    _Rule(_rx(r"\b(?:get|be|go|stay) (?:off|out of|removed from) (?:of )?(?:your|the|this|ur"
              r"|that|these|all|any|whatever|ya)(?: \w+){0,2}? (?:list|lists|database|system"
              r"|texts|messages|thread|group|contacts)\b"), "opt_out", _plain_check,
          needs=(("off", "out of", "removed"),)),
    _Rule(_rx(r"\b(?:i|we) (?:want|wanna|would like) out\b(?= *(?:please|thanks|now)? *(?:$"
              r"|[,.!?;:\n]| of (?:this|these|your|the) (?:list|texts|messages)))"), "opt_out",
          _plain_check,
          needs=(("out",),)),
    _Rule(_rx(r"\b(?:be|been|get|gets|getting|got|have (?:me|us|my number|this number))"
              r" (?:removed|taken off|unsubscribed|deleted"
              r"|opted out)\b"), "opt_out", _plain_check,
          needs=(("removed", "taken off", "unsubscribed", "deleted", "opted out"),)),
    _Rule(_rx(r"\b(?:put|add|place)(?: (?:me|us|my number|this number)) (?:on|to|in)"
              r" (?:your|the|a|ur) (?:do not (?:call|contact|text|disturb)|dnc|dont (?:call|contact"
              r"|text)|no (?:call|contact|text))\b"), "opt_out", None,
          needs=(("put", "add", "place"),)),
    # the keywords as words: "unsubscribe me", "how do I opt out", "I revoke consent".
    _Rule(_rx(r"\b(?:un ?s(?:ub|u)s?c?r?i?b\w*|unsub|desuscrib\w*|desinscrib\w*|optout"
              r"|opt(?:ing|ed)?(?: me| us)? out|revok\w*|withdraw\w*(?: my| our)? consent"
              r"|(?:dont|do not|no longer) consent|remove(?: my| our)? consent"
              r"|rescind\w*(?: my)? consent)\b"), "opt_out", _plain_check,
          needs=(
              ("uns", "un s", "unsub", "desuscrib", "desinscrib", "opt", "revok", "withdraw",
               "consent"),
          )),
    # dismissals: "leave me alone", "knock it off", "go away".
    _Rule(_rx(r"\bleave (?:me|us|my (?:\w+ )?(?:phone|family|wife|husband)) (?:alone|be)\b"
              r"|\bdej\w* en paz\b|\bdont bother me\b"), "opt_out", _plain_check,
          needs=(("leave", "dej", "bother"),)),
    _Rule(_rx(r"\b(?:knock it off|cut it out|give it a rest|go away|get lost|buzz off|back off"
              r"|bugger off|piss off|f off|fuck off|eff off|screw off|shove off|leave me be"
              r"|make it stop|make them stop)\b"), "opt_out", _dismiss_check,
          needs=(
              ("knock", "cut it", "rest", "away", "lost", "off", "leave me", "make it",
               "make them"),
          )),
    # Spanish: "ya no me escriban", "no me manden más mensajes", "dejen de escribirme".
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" (?:escrib(?:an|as|es|a|ir|en|ieran|iera|ieras)|contact(?:en|es|e|ar|aran|ara"
              r"|aras)|molest(?:en|es|e|ar|aran|ara)|text(?:een|ees|ear|earan)|mensaje(?:en|es"
              r"|ar)|whatsapp?een)\b"), "opt_out",
          _refrain_check,
          needs=(("no me", "no nos", "nunca"),)),
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" (?:mand(?:en|es|e|ar|aran|ara|aras)|envi(?:en|es|e|ar|aran|ara|aras))\b"),
          "opt_out", _spanish_send_check,
          needs=(("no me", "no nos", "nunca"),)),
    _Rule(_rx(r"\b(?:ya no|no) (?:manden|envien|mande|envie|mandes|envies|escriban|escribas"
              r"|contacten|textee?n)(?: (?:mas|ya|nada|por favor))* (?:mensajes|textos|msjs?"
              r"|sms|nada|mas)\b|\b(?:ya no|no) (?:escriban|contacten|molesten|textee?n)\b"
              r"(?= *(?:mas|ya|por favor|porfa|gracias)* *(?:$|[,.!?;:\n]))"), "opt_out",
          _spanish_send_check,
          needs=(("manden", "envie", "mande", "escrib", "contacten", "texte", "molesten"),)),
    _Rule(_rx(r"\b(?:ya no|no) (?:me|nos) (?:esten|estes|sigan|sigas|anden|andes) (?:escribiendo"
              r"|mandando|enviando|llamando|molestando|contactando|textea\w*)\b|\b(?:detengan"
              r"|deten|paren|corten|suspendan|cancelen|paren ya) (?:los |sus |estos |tus |todos"
              r" los )?(?:mensajes|textos|msjs?|sms|llamadas|correos)\b"), "opt_out",
          _spanish_send_check,
          needs=(("no me", "no nos", "deten", "paren", "corten", "suspendan", "cancelen"),)),
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?) (?:me|nos)(?: vuelvan a| vuelvas a)?"
              r" llam(?:en|es|e|ar|aran|ara)\b"), "opt_out", _refrain_check,
          needs=(("no me", "no nos", "nunca"),)),
    _Rule(_rx(r"\b(?:ya )?no (?:escribirme|contactarme|molestarme|textearme|mensajearme"
              r"|escribirnos|contactarnos|llamarme|llamarnos)\b"), "opt_out", _refrain_check,
          needs=(("rme", "rnos"),)),
    _Rule(_rx(r"\b(?:ya )?no (?:mandarme|enviarme|mandarnos|enviarnos)\b"), "opt_out",
          _spanish_send_check,
          needs=(("rme", "rnos"),)),
    # "no vuelvan a escribirme", "nunca vuelvas a mandarme mensajes".
    _Rule(_rx(r"\b(?:ya no|no|nunca(?: mas)?|jamas) (?:vuelvan|vuelvas|vuelva) a (?:escribir"
              r"|contactar|molestar|textear|mensajear|llamar|mandar|enviar)(?:me|nos)\b"),
          "opt_out", _spanish_send_check,
          needs=(("vuelv",),)),
    _Rule(_rx(r"\b(?:dej\w*|par(?:en|a|e|ar|es)|detenga\w*) de (?:escribir|contactar|molestar"
              r"|textear|mensajear|llamar)(?:me|nos|le|les)?\b"), "opt_out", _stop_check,
          needs=((" de ",),)),
    _Rule(_rx(r"\b(?:dej\w*|par(?:en|a|e|ar|es)|detenga\w*) de (?:mandar|enviar)(?:me|nos|le"
              r"|les)?\b"), "opt_out", _spanish_send_check,
          needs=((" de ",),)),
    _Rule(_rx(r"\b(?:ya )?no (?:quiero|queremos|deseo|deseamos|necesito)(?: (?:recibir|seguir"
              r" recibiendo|que me (?:manden|envien)))?(?: mas)?(?: (?:sus|estos|tus|los|sus"
              r"|ningun|ningunos?))? (?:mensajes|textos|msjs?|sms|correos|emails|llamadas"
              r"|notificaciones|nada)\b"), "opt_out", _nothing_check,
          needs=(("quiero", "queremos", "deseo", "deseamos", "necesito"),)),
    # preferring not to: "prefiero no recibir más mensajes", "preferimos ya no recibirlos",
    # "paso de recibir más mensajes", "prefiero que ya no me escriban" (not "prefiero no ver
    # esa casa", not "prefiero no recibir llamadas, solo mensajes": a channel preference).
    _Rule(_rx(r"\b(?:prefier\w*|preferi\w*|paso|pasamos) (?:de |ya no |no )(?:seguir |volver a )?"
              r"recibi\w*?(?:(?:los|las)\b|(?: mas)?(?: (?:sus|estos|estas|tus|los|ningun\w*))?"
              r" (?:mensajes|textos|msjs?|sms|correos|emails|notificaciones|nada)\b)"
              r"|\b(?:prefier\w*|preferi\w*) que (?:ya )?no (?:me|nos) (?:escriban|manden|envien"
              r"|contacten|sigan escribiendo|vuelvan a escribir)\b"),
          "opt_out", _refrain_check,
          needs=(("prefier", "preferi", "paso", "pasamos"),)),
    # "no deseo seguir recibiendo información", "ya no quiero recibir más publicidad".
    _Rule(_rx(r"\b(?:ya )?no (?:quiero|queremos|deseo|deseamos|necesito|necesitamos|me interesa)"
              r" (?:(?:seguir|continuar) (?:recibiendo|obteniendo|recibir)(?:los|las)?\b"
              r"|volver a recibir(?:los|las)?\b|recibir(?:los|las)?(?= (?:mas|ningun|ninguna|nada"
              rf"|tanta|tantos|tantas|sus|su|esta|estos|estas|este tipo de|{_ES_INFO})\b))"),
          "opt_out", _spanish_info_check,
          needs=(("quiero", "queremos", "deseo", "deseamos", "necesit", "interesa"),
                 ("recib", "obten"))),
    _Rule(_rx(r"\bno (?:quiero|queremos|deseo|deseamos) que (?:me|nos) (?:vuelvan a )?"
              r"(?:escrib\w*|contact\w*|molest\w*|llam\w*|textee\w*|(?:mand|envi)\w*"
              r" (?:mensajes|textos|nada|mas)|sigan \w+(?:ando|iendo))\b"), "opt_out",
          _refrain_check,
          needs=(("quiero", "queremos", "deseo", "deseamos"),)),
    _Rule(_rx(r"\b(?:ya )?basta (?:de|con) (?:los |tantos |sus |estos )?(?:mensajes|textos"
              r"|llamadas)\b|\bno mas (?:mensajes|textos|msjs?|sms|llamadas|correos)\b"),
          "opt_out", _refrain_check,
          needs=(("basta", "no mas"),)),
    _Rule(_rx(r"\b(?:borr|quit|saqu|sac|elimin|remuev|remov|sal|baj)(?:en|ar|e|a|as|an|ir|go)?"
              r"(?:me|nos)?(?: (?:a )?(?:mi|nuestro|este) (?:numero|telefono|celular|contacto"
              r"|informacion|info|nombre))? (?:de|del) (?:(?:la|las|su|sus|tu|tus|esta|este|el"
              r"|sus)\s+)?(?:\w+ ){0,2}?(?:lista|listas|base de datos|sistema|contactos)\b"),
          "opt_out", _plain_check,
          needs=(("lista", "base de datos", "sistema", "contactos"),)),
    # "quítenme de sus mensajes", "sáquenme de sus envíos", "me pueden sacar de sus correos".
    _Rule(_rx(rf"\b(?:{_ES_REMOVE}(?:en|an|e|a|ar|ir|er)?(?:me|nos)|(?:me|nos) (?:pueden |puede"
              rf" |podrian |podria |puedes |podrias )?{_ES_REMOVE}\w*|{_ES_REMOVE}\w* (?:a )?(?:mi"
              r"|nuestro|este) (?:numero|telefono|celular|contacto|correo|informacion|info|datos"
              r"|nombre)) (?:de|del) (?:(?:la|las|los|el|su|sus|tu|tus|esta|este|estos|estas|toda"
              rf"|todos|todas) )*(?:\w+ ){{0,2}}?{_ES_CHANNEL}\b"),
          "opt_out", _plain_check,
          needs=(("borr", "quit", "saqu", "sac", "elimin", "remuev", "remov", "baj", "suscrib",
                  "inscrib", "exclu"),)),
    _Rule(_rx(r"\b(?:borr|elimin)\w* (?:mi|nuestro|este) (?:numero|telefono|celular|contacto"
              r"|informacion|info|datos)\b"), "opt_out", _plain_check,
          needs=(("borr", "elimin"),)),
    _Rule(_rx(r"\b(?:dar(?:me|nos)?|den(?:me|nos)?|doy|damos|dame|denos|dieran) de baja\b"
              r"|\bcancel\w* (?:(?:la|mi|los|las|sus|my|the|these|all|your) )?(?:suscripcion"
              r"|mensajes|textos|notificaciones|alertas|subscription|texts|messages|alerts"
              r"|notifications|text alerts)\b"), "opt_out", _plain_check,
          needs=(("baja", "cancel"),)),
    # legal phrasing: "cease and desist", "I withdraw my prior express consent", "you do not
    # have my permission", "any further contact will be considered harassment".
    _Rule(_rx(r"\bcease (?:and|&) desist\b|\bdesist from\b"), "opt_out", _legal_check,
          needs=(("desist",),)),
    _Rule(_rx(r"\b(?:withdraw|rescind|retract|terminate|cancel|pull|revoke|end)\w*(?: (?:my|our"
              r"|all|any|the|your|every|each|and|or|prior|previous|past|existing|earlier|former"
              r"|express|written|verbal|oral|of))* (?:consent|permission|authori[sz]ation)\b"
              r"|\b(?:consent|permission|authori[sz]ation) (?:\w+ ){0,5}(?:is|are|has been"
              r"|have been|hereby|be|now) (?:\w+ )?(?:withdrawn|rescinded|revoked|terminated"
              r"|cancell?ed|retracted|void)\b"), "opt_out", _plain_check,
          needs=(("consent", "permission", "authori"),)),
    _Rule(_rx(r"\b(?:you|yall|your (?:company|office|team|firm|agency|agents?))(?: (?:do|does))?"
              r" (?:not|no longer|dont|doesnt) (?:have|hold) (?:(?:my|our|any) )?(?:permission"
              r"|consent|authori[sz]ation)\b|\b(?:your (?:company|office|team|firm|agency)|you)"
              r" no longer (?:has|have) (?:my|our) (?:permission|consent)\b"), "opt_out",
          _plain_check,
          needs=(("permission", "consent", "authori"),)),
    _Rule(_rx(r"\b(?:revocation|withdrawal|rescission|termination|cancell?ation) of (?:my |all "
              r"|any |the |our )?(?:prior |previous |express )*(?:consent|permission"
              r"|authori[sz]ation)\b"), "opt_out", _plain_check,
          needs=(("consent", "permission", "authori"),)),
    _Rule(_rx(r"\b(?:revoc|retir|cancel|anul|rescind|quit)\w* (?:\w+ ){0,3}?(?:consentimiento"
              r"|autorizacion|permiso)\b"), "opt_out", _plain_check,
          needs=(("consentimiento", "autorizacion", "permiso"),)),
    _Rule(_rx(r"\b(?:any|all) (?:further|future|additional|more|other) (?:contact|communications?"
              r"|messages|texts|calls|correspondence|outreach)(?: \w+){0,4} (?:will|shall|would|is"
              r"|are|must|may) (?:be )?(?:considered|deemed|treated|regarded|prohibited|unwelcome"
              r"|unwanted|harassment|a violation|in violation|not (?:be )?(?:welcome|permitted"
              r"|authori[sz]ed|wanted|tolerated))"), "opt_out", _plain_check,
          needs=(("further", "future", "additional", "more", "other"),)),
    # the messages as the subject: "all communication to this number must cease".
    _Rule(_rx(r"\b(?:all|any|further|these|those|the|your|ur) (?:further |future |of (?:the|these"
              r"|your) )?(?:contact|communications?|texts|text messages|messages|msgs|calls"
              r"|correspondence|outreach|emails)(?: (?:to|with) (?:me|us|this number|my (?:phone"
              r"|number|cell)))? (?:(?:must|shall|should|needs? to|has to|have to|will|to|are to"
              r"|is to|gotta|got to) )?(?:cease|stop|end|halt|be (?:discontinued|terminated"
              r"|stopped|ended))\b"), "opt_out", _subject_stop_check,
          needs=(("cease", "stop", "end", "halt", "discontinu", "termin"),)),
    # polite or preferred refusals: "I'd appreciate it if you didn't reach out again", "I ask
    # that you no longer contact me", "I'd rather not hear from you".
    _Rule(_rx(r"\b(?:appreciate|grateful|thankful|great|nice|helpful|best|better|prefer|rather"
              r"|like|love|want|wish|glad|ask|asking|request|requesting|demand|demanding|insist"
              r"|instruct|instructing)(?: it)?(?: (?:if|that))? (?:you|yall|u|your (?:team|office"
              r"|company|agents?|people))(?: (?:all|guys|could|would|please|kindly|just|can"
              r"|will))* (?:didnt|did not|wouldnt|would not|couldnt|could not|dont|do not|never"
              r"|no longer|stopped|ceased|refrained from|refrain from|discontinued|not)(?: (?:ever"
              rf"|again|any more|anymore|further|longer|all|any))* {_CONTACT}{_ME}"), "opt_out",
          _refrain_check,
          needs=(
              ("appreciate", "grateful", "thankful", "great", "nice", "helpful", "best", "better",
               "prefer", "rather", "like", "love", "want", "wish", "glad", "ask", "request",
               "demand", "insist", "instruct"),
              ("not", "dont", "didnt", "never", "no longer", "nt ", "stopped", "ceased",
               "refrain", "discontinue"),
          )),
    _Rule(_rx(r"\b(?:prefer|rather|like|wish|want|choose|asking|ask)(?: to)? (?:not|no longer"
              r"|never)(?: to)? (?:hear (?:from|anything from|back from)|be in touch with|talk to"
              r"|deal with|get anything from|receive anything from|be on) (?:you|yall|u|your"
              r"|anyone|anybody|this|the)\b|\bnot interested in (?:hearing|getting|receiving)"
              r" (?:from|anything from|anything|any \w+ from) (?:you|yall|your)\b"), "opt_out",
          _refrain_check,
          needs=(("not", "no longer", "never"),)),
    # negated futures: "you will not text me again", "you're not to contact me".
    _Rule(_rx(r"\b(?:(?:you|yall|u)(?: (?:guys|all|people))? (?:will not|wont|shall not|shant"
              r"|must not|mustnt|may not|are not|arent|are never|will never|shall never"
              r"|will no longer|are no longer|should not|shouldnt|should never|better not"
              r"|had better not|have no right to)|youre (?:not|never|no longer))(?: (?:be|ever"
              r"|again|to|allowed to|permitted to|authori[sz]ed to|going to|gonna|in any way"
              rf"|further|any longer))* {_CONTACT}{_ME}"), "opt_out", _future_check,
          needs=(
              ("you", "u ", "yall"),
              ("not", "nt ", "never", "no longer", "better", "have no right"),
          )),
    # context, then removal: "house is sold, remove us", "count me out".
    _Rule(_rx(r"\b(?:(?:remove|delete|scratch|cross|strike|unlist) (?:me|us|myself|ourselves"
              r"|my number|our number|this number)(?: (?:off|out))?|(?:count|leave|opt) (?:me|us)"
              r" out)(?= *(?:please|now|thanks|thank you|asap|already|too|then|lol|ty)* *(?:$"
              r"|[,.!?;:\n]))"), "opt_out", _plain_check,
          needs=(
              ("remove", "delete", "scratch", "cross", "strike", "unlist", "count", "leave", "opt"),
          )),
    # a request wrapped in a threat: "text me again and I'll report you", "si me vuelven a
    # escribir los denuncio".
    _Rule(_rx(r"\bif (?:i|we) (?:get|receive|see) (?:one more|another|any more|1 more|a single)"
              r" (?:text|message|call|msg|email)"
              r"|\b(?:if (?:you|yall|u|your \w+|anyone|i get) (?:ever )?(?:\w+ )?(?:text|message"
              r"|call|contact|email|bother|spam|send|write|reach out to)\w*(?: (?:me|us|this"
              r" number|another \w+|one more \w+|any more \w+))? (?:again|one more time|ever"
              r" again|anymore|any more)|(?:one more|another|any more|any other|1 more) (?:text"
              r"|message|msg|call|email)s?(?: from (?:you|yall))? (?:and|&)|(?:text|message|call"
              r"|contact|email)\w* (?:me|us) (?:again|one more time) (?:and|&)|si (?:me|nos)"
              r" (?:vuelven?|vuelves) a (?:escribir|mandar|enviar|llamar|contactar|molestar)|si"
              r" (?:me|nos) (?:siguen|sigue|sigues) (?:escribiendo|mandando|llamando|molestando)"
              r"|si (?:me|nos) (?:escriben|mandan|llaman|contactan) (?:otra vez|de nuevo|mas)"
              r"|otro mensaje (?:mas )?(?:y|e)|(?:keep|continue|keep on) (?:texting|messaging"
              r"|contacting|calling|emailing|bothering|spamming|harassing)(?: me| us)? (?:and|&)"
              r"|si (?:siguen|sigue|sigues|continuan) (?:escribiendo|mandando|enviando|llamando"
              r"|molestando))\b"), "opt_out", _threat_check,
          needs=(
              ("if ", "another", "one more", "any more", "any other", "1 more", "again", "si ",
               "otro", "keep", "continue"),
          )),
    # Spanish infinitive: "no enviar más mensajes", "favor de no escribir".
    _Rule(_rx(r"(?:^|[,.!?;:\n¿¡]\s*|\b(?:favor de|por favor|porfavor|porfa|gracias"
              r"|ya|y|pero|solo|les pido|pido|les pedimos) )(?:ya )?no (?:volver a )?(?:enviar"
              r"|mandar|escribir|contactar|textear|mensajear|llamar|molestar)(?:me|nos)?"
              r"(?: ni (?:enviar|mandar|escribir|contactar|textear|llamar)(?:me|nos)?)?\b"
              r"(?! (?:le|les|a (?:mi|mis|su) ))"), "opt_out", _spanish_infinitive_check,
          needs=(
              ("no ",),
              ("enviar", "mandar", "escribir", "contactar", "textear", "mensajear", "llamar",
               "molestar"),
          )),
    # Spanish reflexive removal: "bórrenme", "sáquenme", "olvídense de mí".
    _Rule(_rx(r"\b(?:borr|saqu|quit|elimin|remuev|desuscrib|desinscrib)(?:en|a|e|as|an)?"
              r"(?:me|nos)(?= *(?:ya|por favor|porfa|porfavor|gracias|ahora|de una vez|de aqui"
              r"|de ahi|de esto|de todo|de esta lista|de la lista|de una buena vez)* *(?:$"
              r"|[,.!?;:\n]))"), "opt_out", _plain_check,
          needs=(("borr", "saqu", "quit", "elimin", "remuev", "desuscrib", "desinscrib"),)),
    _Rule(_rx(r"\b(?:olviden|olvida|olvidate|olvidense|olvidese|olvidenme|olvidame|olvideme"
              r"|olvidennos) (?:de )?(?:mi|nosotros|mi numero|nuestro numero|este numero"
              r"|mi telefono|mi contacto|que existo|que existimos)\b|\b(?:olvidenme|olvidame"
              r"|olvideme|olvidennos)\b"), "opt_out", _forget_check,
          needs=(("olvid",),)),
    # Spanish "no deseo ...": "no deseo ser contactado", "no queremos saber nada de ustedes".
    _Rule(_rx(r"\b(?:ya )?no (?:quiero|queremos|deseo|deseamos|necesito|necesitamos)"
              r" (?:ser|seguir siendo|volver a ser) (?:contactad|molestad|llamad|textead)\w*"
              r"|\b(?:ya )?no (?:quiero|queremos|deseo|deseamos) (?:saber (?:nada )?(?:mas )?de"
              r" (?:ustedes|usted|ti|su (?:empresa|compania|oficina|agencia))|(?:ningun|ninguna)"
              r" (?:tipo de )?(?:comunicacion|contacto|mensaje)|(?:mas )?(?:comunicacion|contacto)"
              r" (?:con|de) (?:ustedes|usted|su))\b"), "opt_out", _refrain_check,
          needs=(("quiero", "queremos", "deseo", "deseamos", "necesit"),)),
    # resubscribe: "you can text me again", "opt me back in", "ya pueden escribirme".
    _Rule(_rx(r"\b(?:unstop|(?:resubscribe|re subscribe)(?: me| us)?|opt(?: me| us)?(?: back)? in"
              r"|subscribe (?:me|us)(?: again| back)?|sign (?:me|us) back up|(?:add|put) (?:me|us)"
              r" back (?:on|in|to) (?:your|the|ur) (?:\w+ )?(?:list|texts|messages|alerts))\b"),
          "resubscribe", _resub_check,
          needs=(("stop", "subscri", "opt", "back"),)),
    _Rule(_rx(r"\b(?:you can|you may|you could|ok to|okay to|fine to|feel free to|go ahead and"
              r"|please|you guys can|yall can)(?: (?:start|go back to|resume))?"
              r" (?:text|message|contact|email)(?:ing)? (?:me|us) again\b"), "resubscribe",
          _resub_check,
          needs=(("again",),)),
    _Rule(_rx(r"\b(?:resume|restart) (?:the )?(?:texting|messaging|texts|messages|contact)\b"
              r"|\bstart (?:texting|messaging|sending) (?:me|us)(?: \w+)? again\b"
              r"|\b(?:want|like) to (?:receive|get) (?:your |the )?(?:texts|messages|updates)"
              r" again\b|\b(?:please|you can) keep (?:texting|messaging) (?:me|us)\b"),
          "resubscribe", _resub_check,
          needs=(("resume", "restart", "again", "keep"),)),
    _Rule(_rx(r"\b(?:dar(?:me|nos)?|den(?:me|nos)?) de alta\b|\b(?:ya )?(?:pueden|puedes|puede)"
              r"(?: volver a)? (?:escribirme|contactarme|mandarme mensajes|enviarme mensajes"
              r"|escribirnos)\b|\b(?:ya )?(?:me|nos) (?:pueden|puedes|puede) (?:volver a )?"
              r"(?:escribir|contactar|mandar mensajes|enviar mensajes|textear)\b"
              r"|\bsi (?:quiero|queremos) (?:seguir )?recibir (?:los |sus )?"
              r"(?:mensajes|textos)\b|\b(?:quiero|queremos) volver a recibir (?:los |sus )?"
              r"(?:mensajes|textos)\b|\b(?:vuelvan|vuelva|vuelve) a (?:escribir|contactar"
              r"|textear|mensajear)(?:me|nos)\b|\b(?:vuelvan|vuelva|vuelve) a (?:mandar|enviar)"
              r"(?:me|nos) (?:mensajes|textos)\b|\bsuscrib(?:anme|ame|eme|anos|annos)"
              r" (?:de nuevo|otra vez)\b"), "resubscribe", _resub_check,
          needs=(("alta", "pued", "quiero", "queremos", "vuelv", "suscrib"),)),
    # unsure: may be a request to stop, a person decides.
    _Rule(_rx(r"\bwrong (?:number|person|phone|guy|girl|contact|name|lady|\#)|\byou have the"
              r" wrong\b|\b(?:not|isnt|is not|aint) the (?:right )?(?:person|guy|number)\b"
              r"|\bnumero equivocado\b|\bequivocad\w* (?:de )?numero\b"
              r"|\bse equivoc\w* de (?:numero|persona)\b"), "unsure", None,
          needs=(("wrong", "not the", "isnt the", "aint the", "equivoc"),)),
    _Rule(_rx(r"\bwho (?:is|s|are|r) (?:this|you|dis|yall|these)\b|\bwhos (?:this|dis)\b"
              r"|\bwho dis\b|\bquien (?:es|habla|eres|son)\b"), "unsure", None,
          needs=(("who", "quien"),)),
    _Rule(_rx(r"\b(?:how|where|who|why)(?:d| did| do| does) (?:you|yall|they|your \w+) (?:get|got"
              r"|find|obtain|have) (?:my|this|our) (?:number|info|information|contact|cell|phone)"
              r"|\bwho gave (?:you|yall) (?:my|this) (?:number|info)\b"
              r"|\bquien (?:te|les|le) (?:dio|paso) (?:mi|este) numero\b"
              r"|\bnever gave (?:you|yall) (?:my|this) (?:number|info|permission|consent)"
              r"|\bcomo (?:consigui\w*|obtuv\w*"
              r"|tien\w*|sac\w*) (?:mi|este) numero|\bde donde (?:sac\w*|tien\w*|obtuv\w*)"
              r" mi numero"), "unsure", None,
          needs=(("how", "where", "who", "why", "never gave", "como", "donde", "quien"),)),
    _Rule(_rx(r"\b(?:never|didnt|did not) (?:sign(?:ed)? up|subscribed?|opt(?:ed)? in"
              r"|ask(?:ed)? (?:for|you|to be)|agree\w*|consent\w*|gave (?:you )?(?:permission"
              r"|consent))\b|\b(?:nunca|yo no) (?:me )?(?:registre|inscribi|suscribi|apunte"
              r"|di (?:mi|permiso))"), "unsure", None,
          needs=(("never", "didnt", "did not", "nunca", "yo no"),)),
    _Rule(_rx(r"\b(?:not|no longer|never|arent|aint|wasnt|werent)(?: (?:really|at all|even))?"
              r" interested\b(?! in (?!(?:this|that|it|anything|your|buying|selling|any|these"
              r"|working|hearing|talking)\b))|\bno (?:me )?interesa\b(?! (?:el|la|los|las) \w)"
              r"|\bno (?:estoy|estamos) interesad"), "unsure", _interest_check,
          needs=(("interes",),)),
    _Rule(_rx(r"\bspam\w*|\bharass\w*|\brepor(?:t|ted|ting) (?:you|this|yall|your|u)\b|\bscam"
              r"\w*|\bfcc\b|\btcpa\b|\bacoso\b|\bdenunci\w*|\breportar\w*|\bdo not call"
              r" (?:list|registry)|\bdnc\b"), "unsure", None,
          needs=(
              ("spam", "harass", "repor", "scam", "fcc", "tcpa", "acoso", "denunci",
               "do not call", "dnc"),
          )),
    _Rule(_rx(rf"\btoo many {_MSG}|\b(?:why|you|yall) (?:do you |are you |you |yall )?(?:keep"
              r"|kept) (?:texting|messaging|contacting|calling|bugging|sending|hitting)"
              r"|\b(?:stop|quit) (?:asking|pushing)\b|\b(?:im|i am|were|we are)"
              r" (?:so )?(?:tired|sick) of (?:these|your|the|being|getting|all)\b"), "unsure",
          _unsure_check,
          needs=(("too many", "keep", "kept", "stop", "quit", "tired", "sick"),)),
    _Rule(_rx(r"\b(?:im|i am|were|we are) done (?:here|with (?:this|you|yall|these|the|your))\b"),
          "unsure", None,
          needs=(("done",),)),
    _Rule(_rx(r"\b(?:stop|quit) sending (?:me |us )?(?:listings|homes|houses|properties"
              r"|options)(?=\s*(?:please|now|thanks|lol)?\s*(?:$|[,.!?;:\n]))"), "unsure",
          _unsure_check,
          needs=(("sending",),)),
    # a bare "stop" ending a clause about us or the texts: "you guys need to stop".
    _Rule(_rx(r"\b(?:stop|quit)\b"), "opt_out", _bare_stop_check,
          needs=(("stop", "quit"),)),
)

_STOP_EMOJI = re.compile(r"^[\s\U0001F6D1\u270B\U0001F6AB\u26D4\uFE0F!.]+$")

# A request, then "or" and a threat: "REMOVE ME OR I WILL REPORT YOU", "quit it or else",
# "baja o los denuncio". The request is read on its own, without the threat.
_THREAT_ACT = (r"(?:report\w*(?! back)|sue|suing|lawsuit|lawyer|attorney|fcc|ftc|tcpa|complain\w*"
               r"|court|police|cops|block\w*(?! (?:off|out))|bbb|legal action|authorities"
               r"|denunci\w*|demand\w*|queja|quejo|abogado|profeco|bloque\w*|reporto|policia"
               r"|multa\w*)")
_OR_THREAT = re.compile(
    r"\b(?:(?:or else|or|otherwise)(?: then)? (?:i|we|ill|im|well|were|imma|ima|id|ive"
    rf"|youll|you will|youre|you|your)\b(?: [a-z]+){{0,6}}? {_THREAT_ACT}\b"
    rf"|(?:or else|otherwise) *$|(?:o|si no|o si no|o sino)(?: [a-z]+){{0,4}}? {_THREAT_ACT}\b)"
)
_THREAT_GATE = re.compile(rf"\b{_THREAT_ACT}|\b(?:or else|otherwise)\b")


def _threat_signals(f: _Folded) -> list[tuple[int, Signal]]:
    """A stop request with a threat after "or": the request alone decides ("quit it or I'll
    report you" is "quit it"; "cancel the showing or I'll report you" stays unsure); "enough"
    or "basta", unsure alone, is a demand once threatened."""
    out: list[tuple[int, Signal]] = []
    for start, _end, bare in _spans(_SENTENCE_END, f.text):
        m = _OR_THREAT.search(bare)
        if m is None:
            continue
        head = bare[: m.start()].strip()
        if head and (classify(head) == "opt_out" or _UNSURE_PIECE.match(head)):
            out.append((start, "opt_out"))
    return out


def signals(text: str) -> list[tuple[int, Signal]]:
    """Every opt-out / resubscribe / unsure signal in `text`, with its position in `text`,
    in order: the caller orders them among a message's other statements."""
    folded = _fold(text)
    found = _keyword_signals(folded)
    for rule in _RULES:
        if not rule.may_match(folded.text):
            continue
        for m in rule.pattern.finditer(folded.text):
            signal = rule.signal if rule.check is None else rule.check(folded, m)
            if signal is not None:
                found.append((m.start(), signal))
    if (" o" in folded.text or "si no" in folded.text) and _THREAT_GATE.search(folded.text):
        found.extend(_threat_signals(folded))
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
