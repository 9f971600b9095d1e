"""Raw bytes -> a validated webhook, with errors that say exactly what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from schemas.ghl import Webhook, parse_webhook
from workers.errors import InvalidEventError, StaleEventError


def decode_webhook(raw: bytes, *, max_bytes: int) -> Webhook:
    if len(raw) > max_bytes:
        raise InvalidEventError(f"body of {len(raw)} bytes exceeds the limit of {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEventError(f"body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEventError(f"body is not JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise InvalidEventError(f"body is a JSON {type(data).__name__}, not an object")
    return parse_webhook(data)


def parse_time(value: str | int | float | None) -> datetime | None:
    """GHL sends ISO-8601 strings (sometimes epoch milliseconds); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidEventError(f"unreadable time {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_fresh(
    timestamp: str | None, now: datetime, *, max_age_s: int, max_skew_s: int
) -> None:
    """Reject a replayed (too old) or forged (far future) delivery timestamp."""
    sent = parse_time(timestamp)
    if sent is None:
        return
    if now - sent > timedelta(seconds=max_age_s):
        raise StaleEventError(f"timestamp {timestamp} is older than {max_age_s}s")
    if sent - now > timedelta(seconds=max_skew_s):
        raise StaleEventError(f"timestamp {timestamp} is more than {max_skew_s}s in the future")
