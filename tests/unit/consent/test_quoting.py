"""What the lead wrote, quoted text removed (workers.consent.quoting.lead_words).

The bodies are written here in the shapes that mail clients and phones produce; the point of
each table is that our own earlier words ("Reply START to resubscribe", a listing we sent)
never come back as the lead's, while everything the lead did write stays.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.consent.quoting import lead_words

CONFIRMATION = "You're unsubscribed and won't hear from us again. Reply START to resubscribe"
SPANISH_CONFIRMATION = "Ya no recibirá mensajes. Responda START para volver a suscribirse"

GMAIL_HEADER = "On Mon, Dec 7, 2026 at 9:14 AM Sunrise Realty <team@sunrise-realty.com> wrote:"
GMAIL_HEADER_WRAPPED = ("On Mon, Dec 7, 2026 at 9:14 AM Maria Lopez from Sunrise Realty <\n"
                        "team@sunrise-realty.com> wrote:")
APPLE_HEADER = "On Dec 7, 2026, at 09:14, Sunrise Realty <team@sunrise-realty.com> wrote:"
ES_GMAIL_HEADER = ("El lun, 7 dic 2026 a las 9:14, Sunrise Realty (<team@sunrise-realty.com>) "
                   "escribió:")
ES_GMAIL_WRAPPED = ("El lun, 7 dic 2026 a las 9:14, Maria Lopez de Sunrise Realty (<\n"
                    "team@sunrise-realty.com>) escribió:")
OUTLOOK_BLOCK = ("From: Sunrise Realty <team@sunrise-realty.com>\n"
                 "Sent: Monday, December 7, 2026 9:14 AM\n"
                 "To: Dana Reyes <dana@example.net>\n"
                 "Subject: RE: 14 Birch Lane")
ES_OUTLOOK_BLOCK = ("De: Sunrise Realty <team@sunrise-realty.com>\n"
                    "Enviado: lunes, 7 de diciembre de 2026 9:14\n"
                    "Para: Dana Reyes <dana@example.net>\n"
                    "Asunto: RE: 14 Birch Lane")


def quoted(text: str, prefix: str = "> ") -> str:
    return "\n".join(prefix + line if line else prefix.rstrip() for line in text.split("\n"))


# (body, the lead's words, why)
EMAIL: list[tuple[str, str, str]] = [
    # the library's own ground: one header splits the reply from the quote
    (f"START\n\n{GMAIL_HEADER}\n{quoted(CONFIRMATION)}\n", "START",
     "Gmail: the lead's START above the quoted confirmation"),
    (f"Is the condo still available?\n\n{GMAIL_HEADER_WRAPPED}\n\n{quoted(CONFIRMATION)}\n",
     "Is the condo still available?", "Gmail wraps a long attribution over two lines"),
    (f"Ok\n\n> {APPLE_HEADER}\n>\n{quoted(CONFIRMATION)}\n", "Ok",
     "Apple Mail quotes its own attribution line"),
    (f"Please call me tomorrow.\n\n-----Original Message-----\n{OUTLOOK_BLOCK}\n\n{CONFIRMATION}\n",
     "Please call me tomorrow.", "classic Outlook separator, quote not prefixed with >"),
    (f"What time works Saturday?\n\n________________________________\n{OUTLOOK_BLOCK}\n\n"
     f"{CONFIRMATION}\n", "What time works Saturday?", "new Outlook: underscores + From block"),
    (f"What time works Saturday?\n\n{OUTLOOK_BLOCK}\n\n{CONFIRMATION}\n",
     "What time works Saturday?", "a bare From/Sent/To/Subject block with no separator"),
    (f"Llámeme mañana\n\n{ES_OUTLOOK_BLOCK}\n\n{SPANISH_CONFIRMATION}\n", "Llámeme mañana",
     "Spanish Outlook block De/Enviado/Para/Asunto"),
    ("Thanks\n\nOn Monday, December 7, 2026, 09:14:00 AM EST, Sunrise Realty "
     f"<team@sunrise-realty.com> wrote:\n\n{CONFIRMATION}\n", "Thanks",
     "Yahoo attribution, quote not prefixed with >"),
    ("START\r\n\r\n" + GMAIL_HEADER + "\r\n> Reply START to resubscribe\r\n", "START",
     "CRLF line endings"),
    (f"Yes, send me the listing.\nThanks,\nDana\n\n{GMAIL_HEADER}\n> Want the listing?\n>\n"
     f"> {GMAIL_HEADER}\n>> STOP\n", "Yes, send me the listing.\nThanks,\nDana",
     "top-posted over a thread: the lead's sign-off stays, the older STOP does not"),
    # what the library misses, handled by our rules
    (f"{GMAIL_HEADER}\n{quoted(CONFIRMATION)}\n", "",
     "all quote: the library would hand back the quoted text as the reply"),
    (f"\n\n{OUTLOOK_BLOCK}\n\n{CONFIRMATION}\n", "", "all quote, Outlook style"),
    (quoted(CONFIRMATION), "", "only > lines, no header at all"),
    (f"¿Todavía está disponible la casa?\n\n{ES_GMAIL_HEADER}\n\n{quoted(SPANISH_CONFIRMATION)}\n",
     "¿Todavía está disponible la casa?", "Spanish Gmail 'El ... escribió:' is cut"),
    (f"Sí, me interesa\n\n{ES_GMAIL_WRAPPED}\n\n{quoted(SPANISH_CONFIRMATION)}\n",
     "Sí, me interesa", "Spanish attribution wrapped over two lines"),
    (f"Ok\n\nSunrise Realty <team@sunrise-realty.com> wrote:\n\n{quoted(CONFIRMATION)}\n", "Ok",
     "an undated '... wrote:' line with a quote under it"),
    (f"> Do you want to see it Saturday?\nYes, Saturday works\n{quoted(CONFIRMATION)}\nthanks",
     "Yes, Saturday works\nthanks", "answers written between quoted lines, no header"),
    (f"FYI\n\n---------- Forwarded message ---------\nFrom: Sunrise Realty\n\n{CONFIRMATION}",
     "FYI", "Gmail forward marker (the library leaves the marker line)"),
    (f"see below\n\nBegin forwarded message:\n\nFrom: Sunrise Realty\n\n{CONFIRMATION}",
     "see below", "Apple Mail forward marker"),
    ("Can we see it Saturday at 2?\n\nSent from my iPhone", "Can we see it Saturday at 2?",
     "device signature"),
    ("¿Podemos verla el sábado?\n\nEnviado desde mi iPhone", "¿Podemos verla el sábado?",
     "Spanish device signature"),
    ("STOP\n\nGet Outlook for iOS", "STOP", "Outlook mobile signature"),
    (f"Not interested anymore\n\nSent from my iPhone\n\n> {APPLE_HEADER}\n>\n"
     f"{quoted(CONFIRMATION)}",
     "Not interested anymore", "signature and quote together"),
    # near misses: the lead's own lines that look like quoting or signatures stay
    ("I need:\n- 3 bedrooms\n- a garage", "I need:\n- 3 bedrooms\n- a garage",
     "a hyphen list is no signature (the library's body would cut it)"),
    ("Hi\n-stop emailing me", "Hi\n-stop emailing me",
     "a line starting '-' is the lead's, not a signature"),
    ("ok\nSent from my phone but STOP", "ok\nSent from my phone but STOP",
     "a 'Sent from' line that is a sentence is no device signature"),
    ("Sent from my iPhone", "Sent from my iPhone", "a lone line is never dropped as a signature"),
    ("Sounds good.\n--\nDana Reyes\n555-0142", "Sounds good.\n--\nDana Reyes\n555-0142",
     "the lead's own signature block is the lead's"),
    ("On second thought, I wrote: start again please",
     "On second thought, I wrote: start again please",
     "'On ... wrote:' inside a sentence is no header"),
    ("Saturday we can come\nmy wife wrote:\nyes please",
     "Saturday we can come\nmy wife wrote:\nyes please",
     "a 'wrote:' line with no quote under it and no date is no header"),
    (">3 beds under 400k please", ">3 beds under 400k please", "'>' before a digit compares"),
    ("START", "START", "nothing quoted"),
    ("", "", "empty body"),
]

# (body, the lead's words, why) on SMS; the same rules hold for every non-email channel
SMS: list[tuple[str, str, str]] = [
    ("> Reply START to resubscribe\nSTART", "START", "a > line is ours, the next line is theirs"),
    (">Reply START to resubscribe\nwhat?", "what?", "'>' straight before a letter quotes too"),
    (">> Reply START\n> sure\nok", "ok", "nested quote markers"),
    ("> Reply START to resubscribe", "", "only a quote: nothing is the lead's"),
    ("ok\n---------- Forwarded message ---------\nFrom: Sunrise\nReply START", "ok",
     "forwarded block and all after it"),
    ("see this\n-----Original Message-----\nReply START to resubscribe", "see this",
     "original-message block"),
    ("Begin forwarded message:\nReply START to resubscribe", "", "forward with nothing above"),
    ("mira\n---------- Mensaje reenviado ---------\nResponda START", "mira",
     "Spanish forward marker"),
    ("Fwd: Reply START to resubscribe", "", "a Fwd: header line starts a forwarded copy"),
    ("FW: Responda START", "", "an FW: header line too"),
    ('"Reply START to resubscribe" why did I get this', "why did I get this",
     "a leading quoted copy of our words, then the lead's own"),
    ('“Responda START para volver a suscribirse” no entiendo', "no entiendo",
     "curly quotes, Spanish"),
    ('"Reply START to resubscribe"\nno thanks', "no thanks", "quote on its own first line"),
    ('«Responda START para volver» - ¿qué es esto?', "¿qué es esto?", "guillemets, dash after"),
    ('Liked “You\'re unsubscribed. Reply START to resubscribe”', "",
     "an iPhone reaction to our message quotes it whole"),
    ("Le encantó “Responda START para volver a suscribirse”", "", "the Spanish reaction"),
    # near misses
    ('"Reply START to resubscribe"', '"Reply START to resubscribe"',
     "a quote with nothing after it is not clearly a copy: left as written"),
    ('"STOP" means stop', '"STOP" means stop', "a one-word quote is the lead's own emphasis"),
    ('"stop now" I said', '"stop now" I said', "two words: still the lead's own"),
    ('I said "reply START to resubscribe" and nothing', 'I said "reply START to resubscribe" '
     "and nothing", "a quote that does not lead the message stays"),
    ("Liked the house a lot", "Liked the house a lot", "'Liked' without a quote is no reaction"),
    (">3 beds under 400k", ">3 beds under 400k", "'>' before a digit is a comparison"),
    ("Fwd me the listing pls", "Fwd me the listing pls", "'Fwd' without a colon is a verb"),
    ("On Mon, Dec 7, 2026 at 9:14 AM Sunrise wrote:\nSTART",
     "On Mon, Dec 7, 2026 at 9:14 AM Sunrise wrote:\nSTART",
     "attribution lines are email-only: an SMS keeps it"),
    ("STOP\n\nSent from my iPhone", "STOP\n\nSent from my iPhone",
     "device signatures are email-only"),
    ("  START  ", "START", "surrounding blanks go"),
]


@pytest.mark.parametrize(("body", "expected", "why"), EMAIL, ids=[w for _, _, w in EMAIL])
def test_email(body: str, expected: str, why: str) -> None:
    assert lead_words(body, "email") == expected, why


@pytest.mark.parametrize(("body", "expected", "why"), SMS, ids=[w for _, _, w in SMS])
@pytest.mark.parametrize("channel", ["sms", "whatsapp", "SMS"])
def test_other_channels(body: str, expected: str, why: str, channel: str) -> None:
    assert lead_words(body, channel) == expected, why


@pytest.mark.parametrize("channel", ["Email", " EMAIL "])
def test_channel_name_is_read_loosely(channel: str) -> None:
    body = f"START\n\n{GMAIL_HEADER}\n{quoted(CONFIRMATION)}"
    assert lead_words(body, channel) == "START"


def test_long_lead_text_with_long_lines_is_kept_and_fast() -> None:
    # A long unwrapped line stands in for itself through the parser; blank runs collapse.
    line = "we loved the kitchen " * 60
    body = f"{line}\n\n\n\n\nSTOP\n\n{GMAIL_HEADER}\n{quoted(CONFIRMATION)}"
    assert lead_words(body, "email") == f"{line.strip()}\n\nSTOP"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("body", [
    "On " + "x " * 20_000 + "\nfoo",  # quadratic in the parser's "On ... wrote:" pattern
    "a" + " " * 20_000 + "b",
    "lead\n" + "\n \n" * 20_000,  # quadratic in its signature pattern
    ("hello there\n" * 20_000) + GMAIL_HEADER + "\n> START",
])
def test_hostile_bodies_stay_fast(body: str) -> None:
    assert len(lead_words(body, "email")) <= len(body)


PIECES = [*"ab >-_:\"“”¿?.\t", "On ", "wrote:", "START", "Fwd:", "From: x", "Sent: y", "El ",
          "escribió:", "Liked ", "1"]
LINE = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINE, max_size=12), channel=st.sampled_from(["email", "sms"]))
def test_only_ever_removes(lines: list[str], channel: str) -> None:
    body = "\n".join(lines)
    out = lead_words(body, channel)
    assert len(out) <= len(body)
    for kept in out.split("\n"):
        assert kept.strip() in body
