"""Contact details and commitments written to slip past the reply check (pure; used by
`reply_check`).

- `contact_text`: the draft with disguised contact details written plainly, for the phone,
  email and link rules: full-width and other dots (`．`, `。`, `·`) as `.`, spaced or spelled
  dots before a top-level domain (`evil . com`, `evil dot com`, `evil punto com`) joined,
  `(at)` / `arroba` as `@`, number words read as digits (`five one two ...`, `cinco uno
  dos ...`, also mixed with digits) and letters standing for digits inside digit runs
  (`5l2-555-O199`).
- `handles`: social-media handles (`@jdoe`, `IG: jdoe`, `snap - jdoe`, `tiktok @jdoe`).
- `commitments`: commitments without the usual keywords (the seller will cover closing
  costs, your offer was accepted, your loan is approved; English and Spanish), not when
  asked ("Will the seller cover closing costs?") or denied ("the seller won't pay").
"""

from __future__ import annotations

import re

_DOT_CHARS = str.maketrans({"\u3002": ".", "\uff61": ".", "\u00b7": ".", "\u2219": ".",
                            "\u22c5": ".", "\u2024": ".", "\ufe52": ".", "\uff0e": "."})


def contact_text(text: str, tlds: str) -> str:
    """`text` (already NFKC) with disguised dots, ats and digits written plainly."""
    text = text.translate(_DOT_CHARS)
    # spaced / spelled dot before a top-level domain: "evil . com", "evil dot com"
    text = re.sub(r"(?<=\w)\.\s+(?=(?:com|net|org|io)\b(?![.,]\d))", ".", text)
    text = re.sub(r"(?<=\w)(?:\s+\.\s*|\s+(?:dot|punto)\s+|\s*\((?:dot|punto)\)\s*"
                  r"|\s*\[(?:dot|punto)\]\s*)(?=(?:" + tlds + r")\b(?![.,]\d))",
                  ".", text, flags=re.IGNORECASE)
    # "(at)", "[at]", "arroba" between an address's parts
    text = re.sub(r"(?<=\w)\s*(?:\((?:at|arroba)\)|\[(?:at|arroba)\]|\{at\}|\s+arroba\s+)\s*"
                  r"(?=[\w\-]+\.\w)", "@", text, flags=re.IGNORECASE)
    text = _NUMBER_RUN.sub(_number_run, text)
    return _LETTER_DIGITS.sub(_letter_digits, text)


_NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5",
    "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
}
_TOKEN = r"(?:" + "|".join(_NUMBER_WORDS) + r"|\d{1,4})"
_NUMBER_RUN = re.compile(r"\b" + _TOKEN + r"(?:[\s,\-.()]{1,3}" + _TOKEN + r"){2,}\b",
                         re.IGNORECASE)


def _number_run(m: re.Match[str]) -> str:
    run = m.group(0)
    tokens = re.findall(_TOKEN, run, flags=re.IGNORECASE)
    if all(t.isdigit() for t in tokens):
        return run  # plain digits: the phone rules read them as written
    digits = "".join(t if t.isdigit() else _NUMBER_WORDS[t.lower()] for t in tokens)
    if len(digits) < 7:
        return run  # "one or two", "three 2-car garages": no number to call
    return f" {digits[:3]}-{digits[3:]} " if len(digits) == 7 else f" {digits} "


# A run of digits with O/o for 0 and l/I/| for 1 mixed in ("5l2-555-O199").
_LETTER_DIGITS = re.compile(r"(?<![A-Za-z])(?=[\dOolI|]*\d)[\dOolI|]+(?:[\s.\-][\dOolI|]+)*"
                            r"(?![A-Za-z])")


def _letter_digits(m: re.Match[str]) -> str:
    run = m.group(0)
    if sum(c.isdigit() for c in run) < 5:
        return run
    return run.translate(str.maketrans("OolI|", "00111"))


_PLATFORMS = (r"ig|insta(?:gram)?|snap(?:chat)?|tik ?tok|tt|fb|facebook|twitter|telegram|"
              r"whats ?app|threads|linked ?in|kik|discord")
_HANDLE = r"@?([a-z0-9_](?:[a-z0-9_.]{1,28}[a-z0-9_])?)"
_HANDLES = (
    # "@jdoe" (not an email address: no word character before the @)
    re.compile(r"(?<![\w.@])@([a-z0-9_](?:[a-z0-9_.]{1,28}[a-z0-9_]))\b(?!\.[a-z]{2})"),
    # "IG: jdoe", "snap - jdoe", "my insta handle is jdoe", "instagram @jdoe"
    re.compile(r"\b(?:" + _PLATFORMS + r")\b\s*(?:handle|user(?:name)?|usuario|account|"
               r"cuenta|id)?\s*(?:is|es)?\s*(?:[:=\-]|\bis\b\s*@|\bes\b\s*@)\s*" + _HANDLE
               + r"\b"),
)


def handles(folded: str) -> list[str]:
    """The social handles (lower case, no @) of a folded draft."""
    found: list[str] = []
    for pattern in _HANDLES:
        for m in pattern.finditer(folded):
            name = m.group(1).strip("._")
            if len(name) >= 3 and re.search(r"[a-z]", name) and name not in found:
                found.append(name)
    return found


_FILL = r"(?:(?!if |whether |si |once |when |cuando )[\w']+ ){0,3}?"
_COMMITMENTS = tuple(re.compile(p) for p in (
    # the seller pays / covers costs
    r"\b(?:seller|sellers|owner|owners|builder|landlord)(?:'s)? " + _FILL
    + r"(?:cover|covers|covering|pay|pays|paying|credit|credits|absorb\w*|chip in|"
      r"take care of|takes care of|contribute\w*)\b[^.!?\n]{0,30}?\b"
      r"(?:closing|costs?|fees?|repairs?|taxes|escrow|title|inspection)\b",
    r"\b(?:vendedor\w*|duen[oa]s?|propietari\w*|constructor\w*) " + _FILL
    + r"(?:cubr\w*|pag\w*|asum\w*|se hace cargo|se (?:va|van) a hacer cargo|"
      r"se encarga\w*)\b[^.!?\n]{0,30}?\b(?:gastos|costos|costes|cierre|honorarios|"
      r"reparaciones|impuestos)\b",
    # the offer was accepted
    r"\boffer " + _FILL + r"(?:was|is|has been|got|'s|have been|been) (?:\w+ )?accepted\b",
    r"\b(?:they|seller|sellers|owner|owners) " + _FILL
    + r"(?:took|accepted|accepts|agreed to|said yes to|approved) (?:your|the|our) offer\b",
    r"\boferta " + _FILL + r"(?:fue|ha sido|esta|quedo) (?:\w+ )?aceptada\b",
    r"\b(?:aceptaron|acepto|han aceptado|ha aceptado|tomaron) (?:su|tu|la|nuestra) oferta\b",
    # the loan is approved
    r"\b(?:loan|mortgage|financing|application) " + _FILL
    + r"(?:is|was|has been|got|'s|have been|been) (?:\w+ )?approved\b",
    r"\byou(?:'re| are| were| have been|'ve been| got| have| been) (?:\w+ )?approved "
    r"(?:for|on) (?:\w+ )?(?:\w+ )?(?:loan|mortgage|financing)\b",
    r"\b(?:prestamo|credito|hipoteca|financiamiento|solicitud) " + _FILL
    + r"(?:fue|ha sido|esta|quedo) (?:\w+ )?aprobad[oa]\b",
    r"\b(?:esta|estas|fue|ha sido|quedo|quedaste) aprobad[oa] (?:para|por) (?:\w+ )?"
    r"(?:prestamo|credito|hipoteca|financiamiento)\b",
))
_DENIED = re.compile(r"\b(?:not|n't|never|no|nunca|ni|todavia no|aun no)\b|n't\b")
_QUESTION_START = re.compile(
    r"^(?:¿|(?:has|have|is|are|was|were|did|do|does|will|would|can|could|should|if|whether|"
    r"ask|asking|let me know if|know if)\b)")

_CONDITIONAL = re.compile(r"\b(?:if|whether|si|once|when|after|until|cuando|una vez que|"
                          r"hasta que|in case)\b (?:[\w']+ ){0,2}$")


def commitments(folded: str) -> list[str]:
    """The commitments without the usual keywords in a folded draft (not asked, not denied)."""
    found: list[str] = []
    for pattern in _COMMITMENTS:
        for m in pattern.finditer(folded):
            start = max(0, *(folded.rfind(c, 0, m.start()) for c in ".!?¿¡\n"))
            sentence = folded[start:m.start()].lstrip(".!?¡\n ")
            if _QUESTION_START.search(sentence) or _CONDITIONAL.search(sentence):
                continue
            if _DENIED.search(m.group(0)) or re.search(r"\b(?:no|not|never|nunca)\b ?$",
                                                        sentence):
                continue
            found.append(m.group(0))
    return found
