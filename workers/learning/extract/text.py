"""Text normalisation and clause segmentation shared by the field rules.

Rules match on lower-cased text and reason about scope (a negation, a hedge, a cue word)
within the clause or sentence around a match, so segmentation lives here once.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u00a0": " "})
# Phone numbers are masked so their digits never read as prices, counts or dates.
_PHONE = re.compile(r"(?<![\d#])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")
_ABBREV = ("mt", "dr", "st", "ft", "mr", "mrs", "ms", "jr", "sr", "vs", "approx", "apt", "ave")
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n|\s[-:]\s")
_CLAUSE_SPLIT = re.compile(r",|\(|\)|\s-\s|\b(?:but|though|although|tho|however)\b")

# The lead correcting what they just said: "sorry i meant mesa", "scratch that", "quise decir".
# Fields that honour a correction read the words after the marker as replacing the ones before.
CORRECTION = re.compile(
    r"\b(?:(?:sorry|oops|wait|perdon|perdona|no)\W+)?(?:i meant|i mean|meant to say|quise decir"
    r"|mejor dicho|scratch that|never ?mind|nvm|on second thought|change of plans"
    r"|correction|olvida (?:eso|lo que dije))\b")

WORD_NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "a couple": 2, "a couple of": 2, "couple": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 3, "a": 1, "an": 1,
}


@cache  # a bounded alphabet: each character is folded once per process
def _fold_char(char: str) -> str:
    if char.isascii():
        return char
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if len(bare) == 1 else char


def fold(text: str) -> str:
    """Drop accents ("recámaras" -> "recamaras", "pequeña" -> "pequena"), one char for one, so
    Spanish rules and area aliases match however the lead types them."""
    return text if text.isascii() else "".join(_fold_char(c) for c in text)


# Texting spellings, written out so every rule reads one spelling: dropped g's ("sellin",
# "lookin"), "bout", "nxt", "yr", "1st time", "bby", "we r", "sell n buy"; Spanish "q", "xq".
_GERUNDS = ("sell", "buy", "look", "think", "hop", "mov", "rent", "plann", "try", "search", "hunt",
            "relocat", "downsiz", "upsiz", "retir", "expect", "com", "go", "leav", "list", "clos",
            "gett", "start", "need", "want", "shopp", "leas", "invest", "flipp", "build", "tour",
            "work", "liv", "stay", "wait", "sav")
_SMS_WORDS: dict[str, str] = {
    **{f"{stem}in": f"{stem}ing" for stem in _GERUNDS},
    "bout": "about", "abt": "about", "nxt": "next", "yr": "year", "yrs": "years", "bby": "baby",
    "hubs": "husband", "thru": "through", "cuz": "because", "bc": "because", "b/c": "because",
    "ftb": "first time buyer", "ftbs": "first time buyers", "1st time": "first time",
    "1st home": "first home", "1st house": "first house", "wnt": "want",
    "wanna": "want to", "gonna": "going to", "tryna": "trying to", "gotta": "got to",
    "prolly": "probably", "prob": "probably", "def": "definitely", "rn": "right now",
    "idk": "i don't know", "dunno": "don't know",
    # Spanish texting: "q" (que), "xq" / "pq" (porque), "tmb" (tambien), "1ra vez" (primera)
    "q": "que", "xq": "porque", "pq": "porque", "porq": "porque", "tmb": "tambien",
    "tb": "tambien", "1ra": "primera", "1er": "primer", "1ro": "primero",
}
_SMS = re.compile(r"(?<![\w'])(?:" + ""
                  r"|".join(sorted(map(re.escape, _SMS_WORDS), key=len, reverse=True))
                  + r")(?![\w'])")
# "we r looking", "sell n buy", "move in w my sister": single letters standing for words, between
# words only ("w/" is left as written).
_LETTER_WORDS = re.compile(r"\b(?P<who>we|you|u|they|kids) r(?= [a-z])|(?<=[a-z] )n(?= [a-z])"
                           r"|(?<=[a-z] )(?P<with>w)(?= [a-z])")


def _letter_word(m: re.Match[str]) -> str:
    if m.group("who"):
        return f"{m.group('who')} are"
    return "with" if m.group("with") else "and"


def normalize(body: str) -> str:
    """Lower-case, fold accents, unify quotes and dashes, collapse spaces, mask phone numbers,
    write out texting spellings ("sellin" -> "selling")."""
    text = fold(body.translate(_QUOTES).lower())
    text = re.sub(r"[ \t\r\f\v]+", " ", text).strip()
    text = _SMS.sub(lambda m: _SMS_WORDS[m.group(0)], text)
    text = _LETTER_WORDS.sub(_letter_word, text)
    return _PHONE.sub(lambda m: re.sub(r"\d", "#", m.group(0)), text)


def _sentence_breaks(text: str) -> list[int]:
    """Offsets where a sentence ends, ignoring abbreviation dots such as "mt." or "dr."."""
    breaks: list[int] = []
    for match in _SENTENCE_END.finditer(text):
        if match.group(0) == ".":
            before = re.search(r"([a-z]+)\.$", text[: match.end()])
            if before and before.group(1) in _ABBREV:
                continue
        breaks.append(match.end())
    return breaks


@dataclass
class Segments:
    """Sentence and clause boundaries of one normalised message."""

    text: str
    sentence_breaks: list[int] = field(default_factory=list)
    clause_breaks: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Segments:
        """Segment ``text`` once; lookups afterwards are cheap."""
        sentences = _sentence_breaks(text)
        clauses = sorted(set(sentences) | {m.start() for m in _CLAUSE_SPLIT.finditer(text)})
        return cls(text=text, sentence_breaks=sentences, clause_breaks=clauses)

    @staticmethod
    def _span(breaks: list[int], pos: int, size: int) -> tuple[int, int]:
        start = max((b for b in breaks if b <= pos), default=0)
        end = min((b for b in breaks if b > pos), default=size)
        return start, end

    def sentence(self, pos: int) -> tuple[int, int]:
        """Span of the sentence containing ``pos``."""
        return self._span(self.sentence_breaks, pos, len(self.text))

    def clause(self, pos: int) -> tuple[int, int]:
        """Span of the clause (comma / "but" separated) containing ``pos``."""
        return self._span(self.clause_breaks, pos, len(self.text))

    def clause_before(self, pos: int) -> str:
        """Text of the clause from its start up to ``pos``."""
        return self.text[self.clause(pos)[0] : pos]

    def clause_after(self, pos: int) -> str:
        """Text of the clause from ``pos`` to its end."""
        return self.text[pos : self.clause(pos)[1]]

    def sentence_text(self, pos: int) -> str:
        """Whole sentence containing ``pos``."""
        start, end = self.sentence(pos)
        return self.text[start:end]

    def clause_text(self, pos: int) -> str:
        """Whole clause containing ``pos``."""
        start, end = self.clause(pos)
        return self.text[start:end]

    def sentences(self) -> list[tuple[int, int]]:
        """All sentence spans in order."""
        bounds = [0, *self.sentence_breaks, len(self.text)]
        return [(a, b) for a, b in itertools.pairwise(bounds) if a < b]


def last_words(text: str, count: int) -> str:
    """The last ``count`` words of ``text`` (for cue windows right before a match)."""
    words = re.findall(r"[\w$'#+./-]+", text)
    return " ".join(words[-count:])


def mask_spans(text: str, spans: list[tuple[int, int]], char: str = "@") -> str:
    """Blank out spans (e.g. area names) while keeping every offset unchanged."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = char * (end - start)
    return "".join(chars)


# Words that make a clause a sentence of its own: a subject, a verb, a possessive of the home
# had ("our", "mi"). A clause with none of them is a fragment: "a 2 bed condo in brentwood".
_CLAUSE_WORDS = re.compile(
    r"\b(?:i|i'm|im|we|we're|you|it|it's|its|they|they're|he|she|our|my|his|her|their|this|that"
    r"|is|are|was|were|be|been|has|have|had|do|does|did|will|would|can|could|should|need\w*"
    r"|want\w*|sell\w*|buy\w*|like|love|got|get|go|going|think\w*|plan\w*|look\w*"
    r"|yo|nosotros|es|son|esta|estan|era|tiene|tienen|tenemos|tengo|quiero|queremos|quiere"
    r"|necesit\w+|vend\w+|compr\w+|busc\w+|vamos|va|hay|nos|me|mi|mis|nuestr\w+|su|sus)\b")


def opens_with_fragment(text: str) -> bool:
    """Does a normalised message open with a clause that has no subject or verb ("a 2 bed condo
    in brentwood", "single story, 2 beds")? It continues what the lead said before."""
    first = re.split(r"[,.;!?\n]", text, maxsplit=1)[0]
    return bool(first.strip()) and not _CLAUSE_WORDS.search(first)

