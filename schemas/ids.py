"""The one rule for the ids that name a tenant (a GHL location) or a lead (a GHL contact)
where they become part of a key or a statement: Redis keys, the tenant setting inlined in
SQL, the operator's command line. GHL's own ids are alphanumeric; the rule leaves room for
test and imported ids, and admits no separator (`:` in Redis keys, quotes in SQL), no
whitespace and no line break."""

from __future__ import annotations

import re
from typing import Final

SAFE_ID: Final = re.compile(r"[A-Za-z0-9_.@+\-]{1,128}")
SAFE_ID_RULE: Final = "1-128 of A-Z a-z 0-9 _ . @ + -"


def is_safe_id(value: str) -> bool:
    """The whole value (not a prefix, not before a trailing newline) follows the rule."""
    return SAFE_ID.fullmatch(value) is not None

