"""How text that the lead or the CRM wrote enters the responder's prompt (pure): in one way
only, that no text can break out of.

Every such value is a JSON value on its own line, after a label the builder writes:

    <lead_data>
    first_name: "Ana"
    locations: ["Round Rock"]
    </lead_data>

    <conversation>
    [2026-11-01 14:00 UTC] lead (sms): "hi, any 3 beds?"
    </conversation>

A string is a JSON string literal (`data_string`) in which everything that could end the
line, mimic markup or hide is escaped, so the rendered value is one line of visible text:
every control and format character (all Unicode line breaks: \\n \\r \\v \\f \\x1c-\\x1e
\\x85 \\u2028 \\u2029; zero-width and bidi controls; tag characters), every space other than
U+0020, private-use and surrogate code points, `<`, `>` and `&` (as \\u003c \\u003e \\u0026,
so no `</conversation>` is ever spelled out inside data), and any character whose
compatibility form is one of them or another ASCII delimiter (fullwidth `＜`, small `﹤`, ...)
or that looks like an angle bracket. Letters, digits, punctuation and symbols of every script
stay readable (Spanish keeps its accents, an emoji stays an emoji). The labels (time, speaker,
channel, field name) come only from the builder, and the lead's words only ever sit between
the quotes, so a fake timestamp, speaker label or closing tag in a message is text inside a
string. `json.loads` of a rendered value gives back the text exactly, except that a text
longer than its bound is cut to the bound and ends with `…` (`bounded`).

`parse_user_turn` reads a built user turn back by this grammar (the tests prove with
arbitrary text that it always yields the lines and fields that were meant; the test fakes
of Claude read prompts with it).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MESSAGE_CHARS = 2000  # one message of the conversation (an email is cut, not dropped)
SUMMARY_CHARS = 4000
FIELD_CHARS = 300  # one profile value, name, open question
LIST_ITEMS = 20
CUT = "…"

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
          "\f": "\\f"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_DELIMITERS = frozenset('<>&"\\[]{}:`')
# Angle-bracket lookalikes whose compatibility form is not `<` / `>`.
_ANGLES = frozenset("\u2039\u203a\u2329\u232a\u3008\u3009\u27e8\u27e9\u02c2\u02c3\u1438"
                    "\u1433\u276c\u276d\u276e\u276f\u29fc\u29fd\u2aa1\u2aa2")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # JSON spells a code point above the BMP as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _needs_escape(ch: str, before: str | None) -> bool:
    category = unicodedata.category(ch)
    if category in _HIDDEN or ch in _ANGLES:
        return True
    if category[0] == "M":  # a combining mark only on a letter, digit, symbol or mark
        return before is None or unicodedata.category(before)[0] not in "LNMS"
    return any(c in _DELIMITERS or unicodedata.category(c) in _HIDDEN
               for c in unicodedata.normalize("NFKC", ch))


def data_string(text: str) -> str:
    """`text` as a one-line JSON string literal that cannot be misread (module docstring)."""
    out = ['"']
    before: str | None = None
    for ch in text:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ch in _HTML:
            out.append(_HTML[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif ch < " " or ch == "\x7f" or _needs_escape(ch, before):
            out.append(_escape(ch))
        else:
            out.append(ch)
        before = ch
    out.append('"')
    return "".join(out)


def bounded(text: str, limit: int) -> str:
    """At most `limit` characters; a longer text is cut and ends with `…`."""
    return text if len(text) <= limit else text[:limit] + CUT


def data_value(value: Any, limit: int = FIELD_CHARS) -> str:
    """A profile value (string, number, boolean, list, mapping) as one line of JSON, every
    string in it rendered by `data_string` and bounded."""
    if isinstance(value, str):
        return data_string(bounded(value, limit))
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return json.dumps(value) if value == value and abs(value) != float("inf") \
            else data_string(str(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)[:LIST_ITEMS]
        return "[" + ", ".join(data_value(v, limit) for v in items) + "]"
    if isinstance(value, dict):
        pairs = list(value.items())[:LIST_ITEMS]
        return "{" + ", ".join(f"{data_string(bounded(str(k), limit))}: {data_value(v, limit)}"
                               for k, v in pairs) + "}"
    return data_string(bounded(str(value), limit))


# --- reading a built user turn back -------------------------------------------------------

FIELD = re.compile(r"([a-z][a-z0-9_]*): (.+)")
LINE = re.compile(r"\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC\] (lead|agency) \(([a-z_]+)\): (\".*\")")


class PromptShapeError(ValueError):
    """A user turn that does not follow the grammar (see the module docstring)."""


@dataclass(frozen=True)
class Line:
    at: str
    who: str  # "lead" or "agency"
    channel: str
    text: str  # decoded


@dataclass(frozen=True)
class UserTurn:
    fields: list[tuple[str, Any]]  # decoded values, in order
    lines: list[Line]
    tail: str  # the builder's closing instruction


def _block(rows: list[str], i: int, tag: str) -> tuple[list[str], int]:
    if i >= len(rows) or rows[i] != f"<{tag}>":
        raise PromptShapeError(f"expected <{tag}> at line {i + 1}")
    end = i + 1
    while end < len(rows) and rows[end] != f"</{tag}>":
        end += 1
    if end == len(rows):
        raise PromptShapeError(f"<{tag}> is not closed")
    return rows[i + 1:end], end + 1


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PromptShapeError(f"{where}: not one JSON value") from exc


def parse_user_turn(text: str) -> UserTurn:
    """The fields, conversation lines and closing instruction of a user turn built by
    `prompt.build_prompt`; raises `PromptShapeError` on anything else."""
    rows = text.split("\n")
    if rows != text.splitlines() and rows[:-1] != text.splitlines():
        raise PromptShapeError("a line break other than \\n")
    data, i = _block(rows, 0, "lead_data")
    fields = []
    for row in data:
        m = FIELD.fullmatch(row)
        if m is None:
            raise PromptShapeError(f"not a field: {row[:60]!r}")
        fields.append((m.group(1), _json(m.group(2), m.group(1))))
    if rows[i:i + 1] != [""]:
        raise PromptShapeError("expected a blank line after </lead_data>")
    convo, i = _block(rows, i + 1, "conversation")
    lines = []
    for row in convo:
        m = LINE.fullmatch(row)
        if m is None:
            raise PromptShapeError(f"not a conversation line: {row[:60]!r}")
        said = _json(m.group(4), "conversation line")
        if not isinstance(said, str):
            raise PromptShapeError("a conversation line's text is not a string")
        lines.append(Line(m.group(1), m.group(2), m.group(3), said))
    if rows[i:i + 1] != [""] or len(rows) != i + 2:
        raise PromptShapeError("expected one closing instruction after </conversation>")
    return UserTurn(fields, lines, rows[i + 1])
