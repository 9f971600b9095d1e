"""What a lead search matches (pure): the words as a case-insensitive substring of the name or
email (LIKE's wildcards in them taken literally), and the digits of a query that looks like a
phone number as a substring of the phone's digits."""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_PHONE_DIGITS = 3


@dataclass(frozen=True)
class Query:
    text: str  # as typed, trimmed ("" lists the latest leads)
    pattern: str  # for ILIKE ... ESCAPE '\'
    digits: str  # "" when the query is not a phone number's part


def like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse(text: str) -> Query:
    q = " ".join(text.split())[:200]
    digits = re.sub(r"\D", "", q)
    phoneish = bool(re.fullmatch(r"[+\d\s().-]+", q)) and len(digits) >= MIN_PHONE_DIGITS
    return Query(q, f"%{like_escaped(q)}%", digits if phoneish else "")
