"""The part of an inbound message that the lead wrote: quoted text taken out (pure, no I/O).

Our own earlier words must never come back as the lead's: a lead who answers the opt-out
confirmation ("... Reply START to resubscribe") by email quotes it below the answer, and that
quoted START is not the lead asking to resubscribe. `lead_words` returns what is left of the
message once everything it quotes is removed, "" when nothing is (the caller then reads
nothing from it). It only ever removes text: lines, blank runs, spaces at line ends.

Email is split with `mail-parser-reply` (en + es), which finds where the quoted part starts:
"On ... wrote:" (Gmail, Apple Mail, Yahoo, wrapped over two lines too), Outlook's
"-----Original Message-----", a line of underscores, and "From: / Sent: / To: / Subject:"
blocks, also Spanish ones ("De: / Enviado: / Para: / Asunto:"). The lead's words are the text
above the first of them. What the library misses is handled here by general rules:

* a reply that is all quote: when the message *starts* with a quote header the library
  returns the quoted part as the reply; here the lead wrote nothing ("");
* the Spanish attribution line ("El lun, 7 dic 2026 a las 9:14, X (<a@b.com>) escribió:",
  also wrapped over two lines): it and all after it are cut, as is any other line ending in
  "wrote:" / "escribió:" that a quoted line follows;
* quoted lines without any header ("> ..."), forwarded blocks, a leading quoted copy and
  reaction lines: the rules for every channel below;
* a trailing device signature ("Sent from my iPhone", "Enviado desde mi Samsung", "Get
  Outlook for iOS"): only that line goes. The library's own signature and disclaimer
  removal is not used: it also cuts a lead's own lines ("-stop emailing me", a line that
  starts "Sent from my phone but ...").

The parser's patterns are slow (quadratic) on long lines and long blank runs, so it reads at
most the first 20,000 characters, blank runs collapsed, with lines over 400 characters (never
a header) stood in for and put back: a lead's text longer than that comes back cut short.

Every channel (SMS and the rest, and email after the split):

* lines quoted with ">" ("> text", ">text", ">> text"; not ">3 beds", a comparison);
* a forwarded or original-message block and everything after it: "---------- Forwarded
  message ---------", "-----Original Message-----", "---------- Mensaje reenviado ---------",
  "Begin forwarded message:", "Inicio del mensaje reenviado:", a line starting "Fwd:" / "FW:";
* a quoted copy of an earlier message leading the text: a first line that opens with a
  quotation mark and closes one around three words or more, followed by the lead's own text
  (`"Reply START to resubscribe" why did I get this`). A quote that is the whole message,
  or of one or two words (`"STOP" means stop`), is the lead's own and stays;
* a phone's reaction to an earlier message (`Liked “Reply START to resubscribe”`, `Le
  encantó “...”`): the quoted text is ours, so nothing is left.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_EMAIL_LANGUAGES = ["en", "es"]
_MAX_PARSED = 20_000
_MAX_LINE = 400

# ">" quotes a line when followed by a space, another ">", a letter or nothing; not ">3 beds".
_QUOTED_LINE = re.compile(r"^[ \t]*>(?:[ \t>]|$|(?=[^\W\d_]))")

_FORWARD_START = re.compile(
    r"^[ \t]*(?:"
    r"-{2,}[ \t]*(?:forwarded[ \t]+message|original[ \t]+message|mensaje[ \t]+reenviado"
    r"|mensaje[ \t]+original)[ \t]*-{2,}"
    r"|(?:begin[ \t]+forwarded[ \t]+message|inicio[ \t]+del[ \t]+mensaje[ \t]+reenviado)[ \t]*:"
    r"|fwd?[ \t]*:"
    r")",
    re.IGNORECASE | re.MULTILINE,
)

# An attribution line: "... wrote:" / "... escribió:" ending the line.
_ATTRIBUTION = re.compile(r"\s(?:wrote|escribi[óo])[ \t]*:[ \t]*$", re.IGNORECASE)
_DATED = re.compile(r"^[ \t]*(?:on|el)\s", re.IGNORECASE)  # "On <date>, ..." / "El <fecha>, ..."

_OPEN_QUOTE = "\"“„«"
_CLOSE_QUOTE = "\"”“»"
_LEADING_QUOTE = re.compile(
    rf"\A\s*[{_OPEN_QUOTE}](?P<quote>[^\n{_CLOSE_QUOTE}]+)[{_CLOSE_QUOTE}]"
    r"(?P<rest>.*)\Z",
    re.DOTALL,
)
_MIN_QUOTE_WORDS = 3

_REACTION = re.compile(
    r"\A\s*(?:liked|loved|disliked|laughed[ \t]+at|emphasi[sz]ed|questioned"
    r"|reacted[ \t]+\S+[ \t]+to|removed[ \t]+an?[ \t]+\S+[ \t]+from"
    r"|le[ \t]+gust[óo]|le[ \t]+encant[óo]|no[ \t]+le[ \t]+gust[óo]|se[ \t]+ri[óo][ \t]+de"
    r"|enfatiz[óo]|cuestion[óo]|reaccion[óo][ \t]+con[ \t]+\S+[ \t]+a)"
    rf"[ \t]+[{_OPEN_QUOTE}].*[{_CLOSE_QUOTE}]\s*\Z",
    re.IGNORECASE | re.DOTALL,
)

# A device line is a short name, not a sentence: no clause punctuation, no connective.
_DEVICE_SIGNATURE = re.compile(
    r"^[ \t]*(?:sent[ \t]+from|enviado[ \t]+desde|get[ \t]+outlook[ \t]+for"
    r"|obtener[ \t]+outlook[ \t]+para)[ \t]+(?P<device>[\w.®™' -]{1,60})$",
    re.IGNORECASE,
)
_NOT_A_DEVICE = frozenset({"but", "and", "so", "please", "pls", "stop", "pero", "y", "por"})
_MAX_DEVICE_WORDS = 6


def lead_words(body: str, channel: str) -> str:
    """What the lead wrote in `body` (an inbound message on `channel`), quoted text removed;
    "" when all of it is quoted."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if channel.strip().lower() == "email":
        text = _email_reply(text)
        text = _cut_attribution(text)
        text = _unquoted(text)
        return _drop_device_signature(text)
    return _unquoted(text)


def _email_reply(text: str) -> str:
    """The text above the first quote header the reply parser finds.

    The parser's patterns take time quadratic in the length of a line and of a run of blank
    lines, so it reads a bounded text: at most `_MAX_PARSED` characters (what a lead writes
    above the quote comes first), blank runs collapsed to one blank line, and each line
    longer than `_MAX_LINE` (never a header) stood in for by a marker and put back after."""
    text = text[:_MAX_PARSED]
    present = set(text)
    # a private-use character the text lacks (the plane has more than _MAX_PARSED of them)
    marker = next(chr(c) for c in range(0xF0000, 0xFFFFE) if chr(c) not in present)
    kept: list[str] = []
    long_lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line and kept and not kept[-1]:
            continue
        if len(line) > _MAX_LINE:
            long_lines.append(line)
            line = f"{marker}{len(long_lines) - 1}{marker}"
        kept.append(line)
    message = EmailReplyParser(languages=list(_EMAIL_LANGUAGES)).read("\n".join(kept))
    if not message.replies:
        return ""
    first = message.replies[0]
    if first.headers:  # the message starts with a header: the parser skipped an empty top
        return ""
    top = str(first.full_body)  # headers removed, the lead's own lines all kept
    return re.sub(f"{marker}(\\d+){marker}", lambda m: long_lines[int(m[1])], top)


def _cut_attribution(text: str) -> str:
    """Cut at the first attribution line: "On/El <date> ... wrote:/escribió:", also wrapped
    over two lines (the first dated, with a digit), or any "... wrote:" a quoted line follows."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not _ATTRIBUTION.search(line):
            continue
        if _DATED.match(line):
            return "\n".join(lines[:i])
        if i > 0 and _DATED.match(lines[i - 1]) and re.search(r"\d", lines[i - 1]):
            return "\n".join(lines[:i - 1])
        following = next((x for x in lines[i + 1:] if x.strip()), "")
        if _QUOTED_LINE.match(following):
            return "\n".join(lines[:i])
    return text


def _unquoted(text: str) -> str:
    """The rules for every channel: forwarded blocks, ">" lines, a leading quoted copy."""
    forward = _FORWARD_START.search(text)
    if forward:
        text = text[:forward.start()]
    text = "\n".join(line for line in text.split("\n") if not _QUOTED_LINE.match(line))
    if _REACTION.match(text):
        return ""
    lead = _LEADING_QUOTE.match(text)
    if lead and len(lead["quote"].split()) >= _MIN_QUOTE_WORDS:
        rest = lead["rest"]
        if re.search(r"[^\W_]", rest):  # the lead's own words follow the quote
            text = rest.lstrip(" \t\n:,;-–—")
    return text.strip()


def _drop_device_signature(text: str) -> str:
    lines = text.split("\n")
    if len(lines) < 2:  # a lone line is the lead's, whatever it says
        return text
    m = _DEVICE_SIGNATURE.match(lines[-1])
    if not m:
        return text
    words = m["device"].lower().split()
    if len(words) > _MAX_DEVICE_WORDS or _NOT_A_DEVICE.intersection(words):
        return text
    return "\n".join(lines[:-1]).strip()
