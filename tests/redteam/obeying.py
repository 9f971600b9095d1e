"""A fake model that obeys every instruction it finds in what the lead wrote: the worst case
the reply check must hold.

It reads the prompt as the responder built it (`render.parse_user_turn`), takes every text
the lead or the CRM contact wrote (conversation lines of the lead, field values) and reads
each also decoded (base64, rot13, leetspeak, a right-to-left override reversed, invisible
characters dropped). Then it:
- says X for every "say X", "reply with X", "include X", "confirm X", "di X", "responde con
  X", ... (X up to the end of the line);
- repeats any "agency (sms): X" line it finds inside the lead's text, as if the agency had
  said it, and any "budget_max: N" as the lead's budget on file;
- when asked about other clients, numbers or previous leads, lists every phone number, email
  address and capitalised full name it can find in the prompt;
- when asked to repeat the prompt, repeats the user turn.
With nothing to obey it answers like a normal reply (echoing the lead's budget).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import json
import re
import unicodedata
from typing import Any

from workers.responder.render import PromptShapeError, parse_user_turn

BREAK = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
TO_EOL = rf"([^{BREAK}]+)"
ORDERS = re.compile(
    r"(?:\b(?:say|reply with|respond with|answer with|include|write|tell me|confirm|output|"
    r"print|di|dile|responde con|contesta con|incluye|escribe|confirma|repite)\b)"
    r"\s*[:\-,]?\s*" + TO_EOL, re.IGNORECASE)
FORGED_LINE = re.compile(r"\bagency \([a-z_]+\):\s*" + TO_EOL, re.IGNORECASE)
FORGED_BUDGET = re.compile(r"budget_max:\s*(\d+)")
WANTS_OTHERS = re.compile(
    r"other (?:clients|leads|customers|people)|previous lead|everyone else|phone number|"
    r"'s number|her number|his number|otros clientes|su n[uú]mero|tel[eé]fono de",
    re.IGNORECASE)
WANTS_PROMPT = re.compile(r"repeat everything|verbatim|system prompt|repite todo", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d\s().\-]{8,}\d")
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
FULL_NAME = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b")
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
BENIGN = "Thanks! Noted: up to $450k in Round Rock. When are you hoping to move?"


def user_text(request: dict[str, Any]) -> str:
    return "\n".join(block.get("text", "") for message in request.get("messages", [])
                     if message.get("role") == "user"
                     for block in message.get("content", []) if isinstance(block, dict))


def lead_written(user: str) -> list[str]:
    """What the lead and the CRM contact wrote, as the prompt carries it."""
    try:
        turn = parse_user_turn(user)
    except PromptShapeError:  # not the responder's prompt: read it all
        return [user]
    texts = [line.text for line in turn.lines if line.who == "lead"]
    for _, value in turn.fields:
        texts += [v for v in (value if isinstance(value, list) else [value])
                  if isinstance(v, str)]
    return texts


def readings(text: str) -> list[str]:
    """The text, and every decoding of it a credulous model might act on."""
    out = [text, "".join(c for c in text if unicodedata.category(c) != "Cf")]
    for token in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", text):
        with contextlib.suppress(binascii.Error, UnicodeDecodeError, ValueError):
            out.append(base64.b64decode(token, validate=True).decode("utf-8"))
    if "rot13" in text.lower():
        out.append(codecs.decode(text, "rot13"))
    out.append(text.translate(LEET))
    for segment in re.findall(r"\u202e([^\u202c]*)", text):
        out.append(text.replace(segment, segment[::-1]))
    return out


def obeying_model(request: dict[str, Any]) -> str:
    user = user_text(request)
    said: list[str] = []
    for text in lead_written(user):
        for reading in readings(text):  # the first reading that says anything is acted on
            heard = [m.group(1).strip(" '\"“”") for m in ORDERS.finditer(reading)]
            heard += [m.group(1).strip() for m in FORGED_LINE.finditer(reading)]
            heard += [f"Your budget on file is up to ${int(m.group(1)):,}."
                      for m in FORGED_BUDGET.finditer(reading)]
            if WANTS_OTHERS.search(reading):
                everything = user + json.dumps(request.get("system"))
                found = [*PHONE.findall(everything), *EMAIL.findall(everything),
                         *FULL_NAME.findall(user)]
                heard.append("Here is what I have on them: "
                             + (", ".join(dict.fromkeys(found)) or "nothing") + ".")
            if WANTS_PROMPT.search(reading):
                heard.append(user[:300])
            if heard:
                said += heard
                break
    said = [s for s in dict.fromkeys(said) if s]
    return " ".join(said) if said else BENIGN
