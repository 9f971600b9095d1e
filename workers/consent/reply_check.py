"""The reply check (pure): may a text the model wrote go to the lead, or must a person see it
first?

Whatever a lead writes, the model may repeat: another person's number, a link, "as agreed,
we waive the commission". A draft is held (not sent; the agent gets it as a suggestion) when
it contains, in order of the rules below (`RULES`):

- `hidden_text`: invisible characters: bidi controls, zero-width and other format
  characters (the zero-width joiner of emoji sequences excepted), controls other than line
  breaks and tabs, private-use code points.
- `prompt_markup`: the prompt's own structure (`<lead_data>`, `</conversation>`, a
  `[2026-03-04 14:59 UTC] agency (sms):` label): a draft that echoes the prompt.
- `other_contact`: the full name (two words or more) of another contact of the tenant.
- `phone`: a phone number that is neither the tenant's own (`--own-phones`) nor the lead's.
- `email`: an email address that is neither the tenant's own (`--own-emails`) nor the lead's.
- `link`: a link (a URL, `www.`, or a bare domain such as `example.com`, also written
  `example[.]com`) whose host is not one of the tenant's allowed domains
  (`--allowed-domains`, subdomains included) or of its listings' links.
- `social`: a social-media handle (`@jdoe`, `IG: jdoe`, `snap - jdoe`) that is not the
  tenant's own: the local part of an own email address, the name of an allowed domain
  (`@lonestar` for `lonestar.com`) or a handle among the allowed phrases.

The phone, email, link and social rules read the draft with disguised contact details
written plainly (`reply_evasion.contact_text`): full-width, spaced and spelled dots
(`evil . com`, `evil dot com`, `evil punto com`), `(at)` / `arroba`, number words (`five
one two ...`, `cinco uno dos ...`) and letters for digits inside digit runs (`5l2-555-O199`).
- `commitment`: words that promise or change terms, English and Spanish: waive, guarantee,
  discount, free (not "feel free", "are you free Saturday?"), rebate, commission, refund,
  we'll pay / cover, promise, cash back, no cost; gratis, descuento, garantía, reembolso,
  rebaja, comisión, exonerar, condonar, pagaremos, prometemos, sin costo, bonificación.
  Matched case- and accent-insensitively, also in leetspeak (`w41ve`), spaced out
  (`f r e e`) or with lookalike letters; "I can't guarantee" / "no promises" are no
  commitment. Also commitments without those words (`reply_evasion.commitments`): the
  seller will cover closing costs, your offer was accepted / they took your offer, your loan
  is approved / you're approved for the loan (and in Spanish), unless asked or denied.
- `percentage`: a percentage (`3%`, "percent", "por ciento").
- `price`: a dollar amount (`$450,000`, `$450k`, `$1.2M`, `450 mil dólares`, `USD 5000`)
  that is not a price the tenant's listings or recent sales hold (written with the
  precision shown: `$1.2M` matches 1,150,000-1,250,000), nor the lead's own budget or price
  expectation said back as theirs (the amount a few words after "budget", "up to",
  "around", "between", "your", "hasta", "presupuesto", ..., or just before "budget",
  "range", "max").

Text the tenant allows (`--allowed-phrases`, e.g. "free buyer consultation") is taken out of
the draft before the commitment, percentage and price rules read it. Only Claude's text is
checked: the deterministic texts (fallback, hand-off, opt-out confirmation) are the product's
own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from workers.consent.reply_evasion import commitments, contact_text, handles

Rule = Literal["hidden_text", "prompt_markup", "other_contact", "phone", "email", "link",
               "social", "commitment", "percentage", "price"]
RULES: tuple[Rule, ...] = ("hidden_text", "prompt_markup", "other_contact", "phone", "email",
                           "link", "social", "commitment", "percentage", "price")
WHY: dict[Rule, str] = {
    "hidden_text": "it contains invisible characters",
    "prompt_markup": "it repeats the prompt's own markup",
    "other_contact": "it names another contact",
    "phone": "it contains a phone number that is not yours or the lead's",
    "email": "it contains an email address that is not yours or the lead's",
    "link": "it contains a link outside your allowed domains",
    "social": "it contains a social-media handle that is not yours",
    "commitment": "it makes a commitment or offer",
    "percentage": "it states a percentage",
    "price": "it states a dollar amount that is not a listing price or the lead's own figure",
}


@dataclass(frozen=True)
class ReplyFacts:
    """What a draft may mention, beside the lead's own words."""

    lead_phones: tuple[str, ...] = ()
    lead_emails: tuple[str, ...] = ()
    lead_names: tuple[str, ...] = ()  # never counted as another contact's name
    own_phones: tuple[str, ...] = ()  # the tenant's (settings)
    own_emails: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()  # settings + the listings' link domains
    prices: tuple[int, ...] = ()  # listing prices, recent sales, figures shown in the prompt
    lead_figures: tuple[int, ...] = ()  # the lead's budget / price expectation
    allowed_phrases: tuple[str, ...] = ()
    other_contacts: tuple[str, ...] = ()  # full names of the tenant's other contacts


@dataclass(frozen=True)
class Finding:
    rule: Rule
    found: str  # the text that triggered the rule (cut to 80 characters)


@dataclass(frozen=True)
class ReplyCheck:
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def rule(self) -> Rule | None:
        """The first rule (in `RULES` order) the draft broke."""
        return self.findings[0].rule if self.findings else None

    def why(self) -> str:
        """One sentence for the agent."""
        parts = []
        for rule in RULES:
            found = [f.found for f in self.findings if f.rule == rule]
            if found:
                parts.append(f"{WHY[rule]} ({', '.join(repr(x) for x in found[:3])})")
        return "; ".join(parts)


# --- normalisation ------------------------------------------------------------------------

_KEEP_FORMAT = frozenset("\u200d")  # the zero-width joiner of emoji sequences
_LOOKALIKES = str.maketrans({  # Cyrillic / Greek letters that pass for Latin ones
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ѕ": "s",
    "ј": "j", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ν": "v", "ο": "o", "α": "a",
    "ε": "e", "ι": "i", "κ": "k", "τ": "t", "ρ": "p", "ω": "w", "ё": "e", "к": "k", "м": "m",
    "т": "t", "в": "b", "н": "h", "ԝ": "w", "ɑ": "a",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l", "8": "b", "9": "g"})


def hidden(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch not in _KEEP_FORMAT
    if category == "Cc":
        return ch not in "\n\r\t"
    return category in ("Co", "Cs")


def visible(text: str) -> str:
    """Compatibility form (fullwidth digits and letters as ASCII), invisible characters out."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not hidden(ch))


def fold(text: str) -> str:
    """Lower case, no accents, lookalike letters as Latin, whitespace as single spaces."""
    text = unicodedata.normalize("NFKD", visible(text).casefold().translate(_LOOKALIKES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


_LEET_WORD = re.compile(r"\S+")
_SPACED = re.compile(r"(?<![\w'])(?:[a-z][ .\-_*/]){2,}[a-z]\b")


def variants(folded: str) -> list[str]:
    """The folded text, de-leeted (`w41ve` -> `waive`), and with spaced-out letters joined."""
    def unleet(m: re.Match[str]) -> str:
        word = m.group(0)
        core = word.strip(".,;:!?()\"'")
        if not (any(c.isalpha() for c in core) and any(c in "0134578@$!|9" for c in core)):
            return word
        return word.replace(core, core.translate(_LEET))
    deleet = _LEET_WORD.sub(unleet, folded)
    joined = _SPACED.sub(lambda m: re.sub(r"[ .\-_*/]", "", m.group(0)), folded)
    return [folded, deleet, joined]


# --- rules --------------------------------------------------------------------------------

_MARKUP = re.compile(
    r"</?\s*(?:lead_data|conversation)\s*>"
    r"|\[\s*\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}(?::\d{2})?\s*utc\s*\]"
    r"|\b(?:lead|agency)\s*\((?:sms|email|call|voicemail|gmb|fb|ig|live_chat|whatsapp|other)\)"
    r"\s*:", re.IGNORECASE)

_PHONES = (
    re.compile(r"(?<![\w$.,])(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?![\w.,]\d)"),
    re.compile(r"(?<![\w$])\+\d{1,3}(?:[\s.\-]?\d){6,13}\b"),
    re.compile(r"(?<![\w$.,\-])\d{3}[\s.\-]\d{4}(?![\w\-]|[.,]\d)"),
    re.compile(r"(?<![\w$])(?:\d[\s.\-]){9,14}\d\b"),
)
_EMAIL = re.compile(r"[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
_EMAIL_SPELLED = re.compile(
    r"[\w.+\-]{1,64}\s?(?:\(at\)|\[at\]|\{at\}|\sat\s)\s?[\w\-]{1,63}\s?"
    r"(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s)"
    r"\s*[a-z]{2,24}\b", re.IGNORECASE)
_TLDS = "|".join((
    "com", "net", "org", "edu", "gov", "io", "co", "ai", "app", "dev", "info", "biz", "me",
    "ly", "gl", "to", "cc", "tv", "xyz", "site", "online", "link", "click", "top", "shop",
    "store", "page", "live", "life", "club", "world", "space", "tech", "realty", "homes",
    "house", "properties", "estate", "land", "loan", "mortgage", "finance", "money", "win",
    "vip", "pro", "mobi", "name",
    # country codes seen in links (not every two letters: "Ana.We" is no link)
    "us", "uk", "ca", "mx", "es", "ru", "cn", "de", "fr", "br", "in", "au", "nz", "it", "nl",
    "be", "ch", "at", "se", "no", "dk", "fi", "pl", "pt", "ie", "jp", "kr", "tk", "ml", "ga",
    "cf", "gq", "ws", "la", "st", "su", "eu", "ar", "cl", "pe", "ve", "gt", "sv", "hn", "cr",
    "pa", "do", "pr", "cu", "uy", "py", "bo", "ec", "ni", "is", "im", "sh", "gg", "vc", "fm",
    "am", "nu", "tw", "hk", "sg", "id", "ph", "vn", "th", "my", "za", "ng", "ke", "ua", "by",
    "kz", "ro", "hu", "cz", "sk", "gr", "tr", "il", "ae", "sa", "ir", "pk", "bd", "lk"))
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![@\w.\-])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    r"(?:" + _TLDS + r"))\b(?:[/?#][^\s<>\"']*)?", re.IGNORECASE)
_DOTS = re.compile(r"\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\s+dot\s+)\s*", re.IGNORECASE)

_COMMITMENT = re.compile(r"\b(?:" + "|".join((
    r"waiv(?:e|ed|es|ing|er)", r"guarant(?:ee|eed|ees|eeing|y)", r"discount(?:s|ed)?",
    r"free",
    r"rebates?", r"commissions?", r"refund(?:s|ed)?", r"we(?:'ll| will| shall) (?:pay|cover)",
    r"promis(?:e|es|ed|ing)", r"cash ?back", r"(?:at )?no (?:cost|charge)",
    r"gratis", r"gratuit[oa]s?", r"descuentos?", r"garantiz\w*", r"garantias?",
    r"reembols\w*", r"rebaj\w*", r"comision(?:es)?", r"(?:exoner|condon)\w*",
    r"pagaremos", r"(?:nosotros )?(?:le|te|les) (?:pagamos|cubrimos)", r"cubriremos",
    r"prome(?:temos|teremos|to|sa|sas)", r"sin (?:costo|cargo|coste)", r"bonificacion\w*",
)) + r")\b")
_PERCENT = re.compile(r"%|\b(?:percent|per cent|pct|por ?ciento)\b")

_SCALE = {"k": 1e3, "thousand": 1e3, "mil": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6,
          "millon": 1e6, "millones": 1e6}
_NUM = r"(\d[\d.,]*\d|\d)"
_SUFFIX = r"(?:\s?(k|thousand|mil|mm|m|million|millones|millon)\b)?"
_AMOUNTS = (
    re.compile(r"(?:us\$|\$|usd\s?)\s?" + _NUM + _SUFFIX),
    re.compile(r"\b" + _NUM + r"\s?(k|thousand|million|millones|millon)\b()"),
    re.compile(r"\b" + _NUM + r"\s?(mil)?\s(?:dollars|dolares|bucks|usd)\b"),
)
_CUES = re.compile(
    r"\b(?:up to|under|below|around|about|approx\w*|roughly|budget\w*|range|max\w*|min\w*|"
    r"between|afford|spend\w*|pre-?approved|hoping|expect\w*|mentioned|you said|your|"
    r"presupuesto|hasta|alrededor|aproximad\w*|entre|menos de|maximo|minimo|esper\w*|"
    r"aprobad\w*)\b")

_CUES_AFTER = re.compile(r"\b(?:budget|range|max\w*|limit|presupuesto|tope)\b")
_HEDGED = ("guarant", "promis", "garantiz", "prome")
_NEGATION = re.compile(r"\b(?:can'?t|cannot|can not|won'?t|not|never|no|unable to|no puedo|"
                       r"no podemos|no se puede|nadie puede)\b")
# "free" meaning available, or part of a word: not an offer.
_FREE_TIME = re.compile(r"(?:\bfeel|\bare you|\byou'?re|\byou are|\byou be|\btoll|\bhands)[ -]$")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_key(text: str) -> str:
    digits = _digits(text)
    return digits[-10:] if len(digits) >= 10 else digits


def phones(text: str) -> list[str]:
    found: list[str] = []
    taken = bytearray(len(text))  # characters already part of a number found
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            n = len(_digits(m.group(0)))
            if n == 7 or 10 <= n <= 15:
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                found.append(m.group(0).strip())
    return found


def _phone_allowed(number: str, allowed: Iterable[str]) -> bool:
    key = _phone_key(number)
    keys = [_phone_key(a) for a in allowed if len(_digits(a)) >= 7]
    return any(key == k or (len(key) == 7 and k.endswith(key)) for k in keys)


def emails(text: str) -> list[str]:
    text = _URL.sub(" ", text)  # user@host inside a URL is the link rule's
    found = _EMAIL.findall(text)
    for m in _EMAIL_SPELLED.finditer(text):
        spelled = re.sub(r"\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*", "@", m.group(0), count=1,
                         flags=re.IGNORECASE)
        found.append(_DOTS.sub(".", spelled).replace(" ", ""))
    return found


def links(text: str) -> list[tuple[str, str]]:
    """(as written, host) of every link-like text."""
    text = _DOTS.sub(".", text)
    found: list[tuple[str, str]] = []
    for m in _URL.finditer(text):
        found.append((m.group(0), _host(m.group(0))))
    rest = _EMAIL.sub(" ", _URL.sub(" ", text))
    for m in _DOMAIN.finditer(rest):
        name = m.group(1).rstrip(".").rpartition(".")[0]
        if not re.search(r"[a-z]", name, re.IGNORECASE):
            continue  # a number before a word ("$425,000.We")
        found.append((m.group(0), _host(m.group(0))))
    return found


def _host(link: str) -> str:
    url = link if re.match(r"https?://", link, re.IGNORECASE) else "http://" + link
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return link.lower()
    return host.lower().rstrip(".").removeprefix("www.")


def _domain_allowed(host: str, allowed: Iterable[str]) -> bool:
    for domain in allowed:
        d = domain.strip().lower().rstrip(".").removeprefix("www.")
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


Amount = tuple[str, tuple[tuple[float, float], ...], int, int]


def amounts(folded: str) -> list[Amount]:
    """(as written, readings as (value, tolerance), start, end) of every dollar amount in a
    folded text ("mil" is a thousand in Spanish and a million in English: both readings)."""
    found: list[Amount] = []
    taken = bytearray(len(folded))
    for pattern in _AMOUNTS:
        for m in pattern.finditer(folded):
            if any(taken[m.start():m.end()]):
                continue
            suffix = m.group(2) or ""
            parsed = _amount(m.group(1), suffix)
            if parsed is not None:
                taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                value, tol = parsed
                readings = ((value, tol), (value * 1000, tol * 1000)) if suffix == "mil" \
                    else ((value, tol),)
                found.append((m.group(0), readings, m.start(), m.end()))
    return found


def _amount(number: str, suffix: str) -> tuple[float, float] | None:
    number = number.strip(".,")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+", number):
        value, unit = float(_digits(number)), 1.0  # thousands separators (1,250 / 1.250)
    elif re.fullmatch(r"\d+(?:[.,]\d+)?", number):
        whole, _, frac = number.replace(",", ".").partition(".")
        value, unit = float(f"{whole}.{frac or 0}"), 10.0 ** -len(frac)
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})*\.\d+", number):
        frac = number.rpartition(".")[2]
        value, unit = float(number.replace(",", "")), 10.0 ** -len(frac)
    else:
        return None
    scale = _SCALE.get(suffix, 1.0)
    return value * scale, max(0.5, unit * scale / 2)


_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")


def name_candidates(text: str, longest: int = 4, limit: int = 400) -> list[str]:
    """The lower-case sequences of 2 to `longest` consecutive words of `text`: every full
    name it could contain (the responder looks them up among the tenant's contacts)."""
    words = [w.lower() for w in _WORD.findall(visible(text))]
    grams = (" ".join(words[i:i + n]) for n in range(2, longest + 1)
             for i in range(len(words) - n + 1))
    return list(dict.fromkeys(grams))[:limit]


def _own_handles(facts: ReplyFacts) -> set[str]:
    """The handles a draft may give: the tenant's (its email names, its domains' names, the
    handles among its allowed phrases) and the lead's (its email names)."""
    own = {e.strip().lower().partition("@")[0] for e in (*facts.own_emails, *facts.lead_emails)}
    for domain in facts.allowed_domains:
        d = domain.strip().lower().rstrip(".").removeprefix("www.")
        own.add(d.rpartition(".")[0] or d)
    for phrase in facts.allowed_phrases:
        own.update(handles(fold(phrase)))
    return {h for h in own if h}


def check_reply(draft: str, facts: ReplyFacts) -> ReplyCheck:
    """The rules the draft breaks (none: it may be sent)."""
    findings: list[Finding] = []

    def add(rule: Rule, found: str) -> None:
        findings.append(Finding(rule, found[:80]))

    bad = sorted({f"U+{ord(ch):04X}" for ch in draft if hidden(ch)})
    if bad:
        add("hidden_text", " ".join(bad[:5]))
    text = visible(draft)
    for m in _MARKUP.finditer(text):
        add("prompt_markup", m.group(0))
    folded = fold(text)
    own = {fold(n) for n in facts.lead_names if n}
    for name in facts.other_contacts:
        key = fold(name)
        if len(key.split()) >= 2 and key not in own \
                and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded):
            add("other_contact", name)
    contact = contact_text(text, _TLDS)
    for number in phones(contact):
        if not _phone_allowed(number, (*facts.own_phones, *facts.lead_phones)):
            add("phone", number)
    allowed_emails = {e.strip().lower() for e in (*facts.own_emails, *facts.lead_emails)}
    for address in emails(contact):
        if address.lower() not in allowed_emails:
            add("email", address)
    for written, host in links(contact):
        if not _domain_allowed(host, facts.allowed_domains):
            add("link", written)
    own_handles = _own_handles(facts)
    folded_contact = fold(contact)
    for handle in dict.fromkeys(h for v in variants(folded_contact) for h in handles(v)):
        if handle not in own_handles:
            add("social", handle)
    for phrase in facts.allowed_phrases:
        key = fold(phrase)
        if key:
            folded = re.sub(rf"(?<!\w){re.escape(key)}(?!\w)", " ", folded)
    seen: set[str] = set()
    for variant in variants(folded):
        for m in _COMMITMENT.finditer(variant):
            word = m.group(0)
            before = variant[max(0, m.start() - 25):m.start()]
            if word.startswith(_HEDGED) and _NEGATION.search(before):
                continue  # "I can't guarantee the seller will accept"
            if word == "free" and (_FREE_TIME.search(before)
                                   or variant[m.end():].startswith((" time", "-time"))):
                continue  # "feel free", "are you free Saturday?", "toll-free"
            if word not in seen:
                seen.add(word)
                add("commitment", word)
        for phrase in commitments(variant):
            if phrase not in seen:
                seen.add(phrase)
                add("commitment", phrase)
    for m in _PERCENT.finditer(folded):
        add("percentage", folded[max(0, m.start() - 6):m.end()].strip())
    for written, readings, start, end in amounts(folded):
        if any(abs(v - p) <= tol for v, tol in readings for p in facts.prices):
            continue
        if any(abs(v - p) <= tol for v, tol in readings for p in facts.lead_figures) \
                and (_CUES.search(folded[max(0, start - 40):start])
                     or _CUES_AFTER.search(folded[end:end + 25])):
            continue
        add("price", written.strip())
    order = {rule: i for i, rule in enumerate(RULES)}
    return ReplyCheck(tuple(sorted(findings, key=lambda f: order[f.rule])))
