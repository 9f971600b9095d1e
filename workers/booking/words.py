"""How the booking core reads a lead's SMS (pure): folded text, tokens and clauses, shared by
`choice` and `wants`. No I/O.

Folding: lower case, accents dropped ("sábado" and "sabado", "mañana" and "manana" read the
same), apostrophes joined ("don't" -> "dont", "c'mon" -> "cmon"), "a.m." / "p. m." -> "am" /
"pm", the ordinal marks º ª ° -> "°" ("1º" -> "1°"), a thumbs-up or check mark -> "ok"; other
emojis and symbols drop out. Clauses are split at punctuation, dashes and "but" / "pero".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_EMOJI_WORDS = {"👍": " ok ", "👌": " ok ", "✅": " ok ", "✔": " ok ", "🙌": " ok "}
_APOSTROPHES = re.compile(r"[’'`´‘]")
_MERIDIEM = re.compile(r"(?<=[\d\s])([ap])\.?\s?m\b\.?")
_ABBREVIATION_DOT = re.compile(r"\b([a-z]{2,5})\.\s*(?=\d)")  # "mar. 14", "opt. 2"
_TOKEN = re.compile(
    r"\d{1,2}:\d{2}(?!\d)"
    r"|\d+(?:st|nd|rd|th|ro|ra|do|da|er|era|°)(?![a-z\d])"
    r"|\d+"
    r"|[a-z]+"
    r"|[#/@]"
    r"|[,.;:!?¡¿\n()]"
    r"|\s[-–—]+\s|[–—]")
_BREAKS = frozenset({",", ".", ";", ":", "!", "?", "¡", "¿", "\n", "(", ")"})
_BREAK_WORDS = frozenset({"but", "pero", "though", "although", "aunque", "however", "sino",
                          "except", "excepto"})


def fold(text: str) -> str:
    """Lower case without accents, apostrophes joined, meridiems as "am"/"pm"."""
    for emoji, word in _EMOJI_WORDS.items():
        text = text.replace(emoji, word)
    text = text.replace("º", "°").replace("ª", "°")
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).lower())
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _MERIDIEM.sub(lambda m: f" {m.group(1)}m ", text)
    return _ABBREVIATION_DOT.sub(r"\1 ", text)


def tokens(text: str) -> list[str]:
    """The folded text's tokens: words, numbers ("10", "2nd", "10:30"), "#", "/", "@" and
    the punctuation that ends a clause (a dash as "-")."""
    out: list[str] = []
    for m in _TOKEN.finditer(fold(text)):
        tok = m.group(0)
        out.append("-" if tok.strip() and tok.strip()[0] in "-–—" else tok)
    return out


def clauses(toks: Sequence[str]) -> list[list[str]]:
    """Tokens split into clauses at punctuation, dashes and "but" / "pero"; empty clauses
    dropped."""
    out: list[list[str]] = [[]]
    for tok in toks:
        if tok in _BREAKS or tok == "-" or tok in _BREAK_WORDS:
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def find(toks: Sequence[str], phrase: Sequence[str], start: int = 0) -> int:
    """The index where `phrase` (a token sequence) occurs in `toks` from `start`, or -1."""
    k = len(phrase)
    for i in range(start, len(toks) - k + 1):
        if list(toks[i:i + k]) == list(phrase):
            return i
    return -1


def has_phrase(toks: Sequence[str], phrases: Iterable[Sequence[str]]) -> bool:
    """Whether any of `phrases` occurs in `toks`."""
    return any(find(toks, p) >= 0 for p in phrases)


def without(toks: Sequence[str], phrases: Iterable[Sequence[str]]) -> list[str]:
    """`toks` with every occurrence of `phrases` taken out (each left as a gap token "_",
    so words on either side do not become neighbours)."""
    out = list(toks)
    for phrase in phrases:
        i = find(out, phrase)
        while i >= 0:
            out[i:i + len(phrase)] = ["_"]
            i = find(out, phrase, i + 1)
    return out


def near(word: str, target: str) -> bool:
    """`word` is `target` with at most one typo (a letter added, dropped, changed, or two
    neighbours swapped)."""
    if word == target:
        return True
    if abs(len(word) - len(target)) > 1:
        return False
    prev2: list[int] | None = None
    prev = list(range(len(target) + 1))
    for i, a in enumerate(word, 1):
        cur = [i] + [0] * len(target)
        for j, b in enumerate(target, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a != b))
            if (prev2 is not None and i > 1 and j > 1 and a == target[j - 2]
                    and word[i - 2] == b):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1] <= 1
