"""What one record on a pipeline topic says, read defensively.

The metrics worker must never fail on a record (it would dead-letter another worker's data),
so decoding returns `None` instead of raising, and payload fields are read with `.get` and
type checks: events from newer producers (e.g. `ReplyDrafted` with usage fields) or older ones
are both fine.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from schemas.events import TOPIC_OF

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(
    str(model.model_fields["type"].default) for model in TOPIC_OF
)

# Usage fields of a drafted reply: flat (as in the `replies` table) or in a `usage` object
# (as the Anthropic SDK names them).
TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "input": ("input_tokens",),
    "output": ("output_tokens",),
    "cache_read": ("cache_read_tokens", "cache_read_input_tokens"),
    "cache_write": ("cache_write_tokens", "cache_creation_input_tokens"),
}


def event_type_label(header: str | None) -> str:
    """Bounded: the known internal event types, `none` without a header, else `other`."""
    if header is None:
        return "none"
    return header if header in KNOWN_EVENT_TYPES else "other"


def decode(value: bytes) -> dict[str, Any] | None:
    """The JSON object a record carries, or None when it is not one."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):  # bad UTF-8 / JSON, or absurdly deep nesting
        return None
    return data if isinstance(data, dict) else None


def timestamp(value: object) -> float | None:
    """Seconds since the epoch of an aware ISO-8601 timestamp, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def number(value: object) -> float | None:
    """A finite, non-negative number (ints, floats, or decimals serialised as text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            result = float(value)
        except ValueError:
            return None
        return result if math.isfinite(result) and result >= 0 else None
    return None


def usage(payload: dict[str, Any]) -> tuple[dict[str, float], float | None]:
    """Tokens by kind and cost in USD of a drafted reply, from whichever fields it has."""
    nested = payload.get("usage")
    sources = [payload] + ([nested] if isinstance(nested, dict) else [])
    tokens: dict[str, float] = {}
    for kind, names in TOKEN_FIELDS.items():
        for source in sources:
            found = next((n for n in (number(source.get(k)) for k in names) if n), None)
            if found:
                tokens[kind] = found
                break
    cost = next((c for c in (number(s.get("cost_usd")) for s in sources) if c), None)
    return tokens, cost


def opted_out(payload: dict[str, Any]) -> bool:
    """A profile update whose changes set `opted_out` (a transition, not a state)."""
    changed = payload.get("changed")
    return isinstance(changed, dict) and changed.get("opted_out") is True


def dnd_changed(payload: dict[str, Any]) -> bool:
    changes = payload.get("changes")
    return isinstance(changes, list) and "dnd" in changes
