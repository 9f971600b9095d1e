"""Reading the file-based memory of the system lead-memory replaces: pure parsing and mapping.

The old system kept one JSON file per lead at `DIR/{location_id}/{contact_id}.json`. This
module turns a file into a `LegacyLead` (messages with stable event ids, profile facts named as
in the learning SPEC, a score) or a `LegacyFileError` saying why it cannot be imported. It
never writes or moves a file; `legacy_import` writes what it returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.envelope import derive_event_id
from workers.memory.cache import memory_key

ROLES = {"user": ("inbound", "lead"), "assistant": ("outbound", "ai")}
# Old preference names -> SPEC field names; list fields collect scalars into a list.
FIELD_NAMES = {
    "bedrooms": "bedrooms_min", "beds": "bedrooms_min", "min_bedrooms": "bedrooms_min",
    "bathrooms": "bathrooms_min", "baths": "bathrooms_min", "min_bathrooms": "bathrooms_min",
    "budget": "budget_max", "max_budget": "budget_max", "price_max": "budget_max",
    "min_budget": "budget_min", "price_min": "budget_min",
    "location": "locations", "locations": "locations", "area": "locations", "areas": "locations",
    "property_type": "property_type", "home_type": "property_type",
    "timeline": "timeline", "financing": "financing", "intent": "intent",
    "must_haves": "must_haves", "features": "must_haves", "motivation": "motivation",
}
LIST_FIELDS = {"locations", "must_haves"}
MONEY_FIELDS = {"budget_max", "budget_min", "sell_price"}
_MONEY = re.compile(r"^\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(k|m|mil|million)?$", re.I)
FACT_CONFIDENCE = 0.8


class LegacyFileError(ValueError):
    """A file that cannot be imported; the message is the reason shown to the operator."""


@dataclass(frozen=True)
class LegacyMessage:
    event_id: str
    direction: str
    sender: str
    channel: str
    body: str
    at: datetime


@dataclass(frozen=True)
class LegacyLead:
    tenant_id: str
    contact_id: str
    messages: list[LegacyMessage]
    facts: dict[str, Any]
    facts_at: datetime
    score: str | None = None
    score_reasons: list[str] = field(default_factory=list)
    stage: str | None = None
    summary: str = ""


def legacy_files(directory: Path) -> Iterator[tuple[Path, str, str]]:
    """`(path, location_id, contact_id)` of every `DIR/{location}/{contact}.json`, sorted."""
    for path in sorted(directory.glob("*/*.json")):
        if path.is_file():
            yield path, path.parent.name, path.stem


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 (naive = UTC) or epoch seconds / milliseconds."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LegacyFileError(f"timestamp {value!r} is not a time")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise LegacyFileError(f"timestamp {value!r} is not ISO 8601") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def money(value: Any) -> int | None:
    """USD amounts as the old system stored them: 500000, "500k", "$1.2m", "450,000"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    match = _MONEY.match(str(value).strip())
    if not match:
        return None
    amount = float(match.group(1).replace(",", ""))
    unit = (match.group(2) or "").lower()
    return int(amount * (1_000 if unit == "k" else 1_000_000 if unit else 1))


def _number(value: Any) -> int | float | None:
    """Counts such as 3, "3", "3+", "3-4" (the fewest wanted); 2.5 stays 2.5."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    match = re.match(r"^\s*([0-9]+(?:\.[0-9]+)?)", str(value))
    if not match:
        return None
    number = float(match.group(1))
    return int(number) if number.is_integer() else number


def map_preferences(prefs: dict[str, Any]) -> dict[str, Any]:
    """Old preference keys to profile fields; values normalised where the SPEC fixes a type,
    kept as they were (under their own name) where they cannot be."""
    mapped: dict[str, Any] = {}
    for key, value in prefs.items():
        if value is None or value == "" or value == []:
            continue
        name = FIELD_NAMES.get(key.strip().lower(), key)
        if name in LIST_FIELDS:
            items = value if isinstance(value, list) else [value]
            merged = [*mapped.get(name, []), *(str(v).strip() for v in items)]
            mapped[name] = list(dict.fromkeys(v for v in merged if v))
            continue
        normal = money(value) if name in MONEY_FIELDS else (
            _number(value) if name in {"bedrooms_min", "bathrooms_min"} else value)
        mapped[name if normal is not None else key] = value if normal is None else normal
    return mapped


def map_score(value: Any) -> str | None:
    """0-100 (>= 70 hot, >= 40 warm, else cold) or a hot / warm / cold label."""
    if value is None:
        return None
    number: Any = value
    if isinstance(value, str):
        label = value.strip().lower()
        if label in {"hot", "warm", "cold"}:
            return label
        try:
            number = float(label)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or \
            not 0 <= number <= 100:
        raise LegacyFileError(f"lead_score {value!r} is neither 0-100 nor hot/warm/cold")
    return "hot" if number >= 70 else "warm" if number >= 40 else "cold"


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise LegacyFileError(f"missing or empty field {name!r}")
    return value


def _message(location: str, contact: str, index: int, item: Any) -> LegacyMessage:
    if not isinstance(item, dict):
        raise LegacyFileError(f"conversation_history[{index}] is not an object")
    for name in ("role", "content", "timestamp"):
        if name not in item:
            raise LegacyFileError(f"conversation_history[{index}] has no {name!r}")
    if item["role"] not in ROLES:
        raise LegacyFileError(f"conversation_history[{index}] has role {item['role']!r} "
                              "(expected user or assistant)")
    if not isinstance(item["content"], str):
        raise LegacyFileError(f"conversation_history[{index}].content is not text")
    at = parse_timestamp(item["timestamp"])
    direction, sender = ROLES[item["role"]]
    raw_ts = item["timestamp"] if isinstance(item["timestamp"], str) else json.dumps(
        item["timestamp"])
    return LegacyMessage(
        event_id=derive_event_id(location, "legacy", contact, str(index), raw_ts),
        direction=direction, sender=sender, channel=str(item.get("channel") or "sms"),
        body=item["content"], at=at,
    )


def parse_lead(raw: bytes, location: str, contact: str, *, fallback_at: datetime) -> LegacyLead:
    """One file's bytes, checked against the path it was found at. `fallback_at` dates the
    facts of a file without messages (its modification time)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LegacyFileError(f"not UTF-8 (byte {raw[exc.start]:#04x} at {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise LegacyFileError(f"bad JSON: {exc.msg} at line {exc.lineno} col {exc.colno}") \
            from exc
    if not isinstance(data, dict):
        raise LegacyFileError("not a JSON object")
    for name, expected in (("location_id", location), ("contact_id", contact)):
        if _text(data, name) != expected:
            raise LegacyFileError(f"{name} {data[name]!r} does not match the path ({expected!r})")
    try:
        memory_key(location, contact)
    except ValueError as exc:
        raise LegacyFileError(str(exc)) from exc
    history = data.get("conversation_history")
    if not isinstance(history, list):
        raise LegacyFileError("missing field 'conversation_history' (a list)")
    messages = sorted((_message(location, contact, i, m) for i, m in enumerate(history)),
                      key=lambda m: m.at)
    prefs = data.get("extracted_preferences") or {}
    if not isinstance(prefs, dict):
        raise LegacyFileError("extracted_preferences is not an object")
    score_raw, stage, summary = (data.get(k) for k in (
        "lead_score", "conversation_stage", "previous_sessions_summary"))
    score = map_score(score_raw)
    return LegacyLead(
        tenant_id=location, contact_id=contact, messages=messages,
        facts=map_preferences(prefs), facts_at=messages[-1].at if messages else fallback_at,
        score=score, score_reasons=[f"legacy lead_score {score_raw}"] if score else [],
        stage=str(stage) if stage not in (None, "") else None,
        summary=" ".join(str(summary).split()) if summary else "",
    )


def summary_prefix(summary: str) -> str:
    """The line that carries the old system's summary at the top of `contacts.summary`."""
    return f"- earlier sessions: {summary}" if summary else ""

