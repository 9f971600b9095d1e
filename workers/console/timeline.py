"""A lead's conversation as one timeline (pure): its messages and its activity outside the
conversation (appointments, opportunities, notes, tasks), oldest first; and its facts grouped
by field, each field's versions newest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Item:
    at: datetime
    kind: str  # "message" | "activity"
    row: Mapping[str, Any]


def merged(messages: Iterable[Mapping[str, Any]],
           activity: Iterable[Mapping[str, Any]]) -> list[Item]:
    """Messages and activity by `occurred_at` (a message first at the same instant)."""
    items = [Item(m["occurred_at"], "message", m) for m in messages]
    items += [Item(a["occurred_at"], "activity", a) for a in activity]
    return sorted(items, key=lambda i: (i.at, i.kind != "message"))


def by_field(facts: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Fact versions per field (fields in name order), newest version first."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for f in sorted(facts, key=lambda f: (f["field"], f["valid_from"]), reverse=False):
        out.setdefault(f["field"], []).append(f)
    return {k: list(reversed(v)) for k, v in sorted(out.items())}
