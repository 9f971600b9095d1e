"""Raw bytes -> a validated webhook, with errors that say exactly what is wrong.

This is the edge: whatever it accepts, every later stage must be able to store and publish.
So the decoded body is cleaned here (NUL characters, which Postgres text cannot hold, are
dropped; lone surrogates, which no UTF-8 encoder can write, become U+FFFD), nesting is
bounded, and times that no calendar holds are rejected, each with a clear reason, instead of
failing four retries later in Postgres, Redis or a serialiser.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.ghl import AppWebhook, Webhook, parse_delivery, parse_webhook
from workers.errors import InvalidEventError, StaleEventError

MAX_DEPTH = 32  # GHL's payloads nest a few levels; anything deeper is not a webhook
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def _clean_text(text: str) -> str:
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def clean(value: Any, depth: int = 0) -> Any:
    """`value` with every string (keys too) storable and encodable; InvalidEventError when
    nested deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise InvalidEventError(f"body is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(k): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    return value


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (strict UTF-8, then JSON), or `InvalidEventError` saying
    why not. The receiver keys records with it too, so what it accepts is not refused here
    for its encoding."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEventError(f"body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEventError(f"body is not JSON: {exc.msg} at line {exc.lineno}") from exc
    except ValueError as exc:  # valid syntax Python will not read: an integer of 4,300+ digits
        raise InvalidEventError(f"body is not usable JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidEventError(f"body is nested deeper than {MAX_DEPTH} levels") from exc
    if not isinstance(data, dict):
        raise InvalidEventError(f"body is a JSON {type(data).__name__}, not an object")
    return data


def decode_webhook(raw: bytes, *, max_bytes: int) -> Webhook:
    if len(raw) > max_bytes:
        raise InvalidEventError(f"body of {len(raw)} bytes exceeds the limit of {max_bytes}")
    return parse_webhook(clean(json_object(raw)))


def decode_delivery(raw: bytes, *, max_bytes: int) -> Webhook | AppWebhook:
    """`decode_webhook`, where the app's INSTALL / UNINSTALL (which may name no location)
    are `AppWebhook`s."""
    if len(raw) > max_bytes:
        raise InvalidEventError(f"body of {len(raw)} bytes exceeds the limit of {max_bytes}")
    return parse_delivery(clean(json_object(raw)))


def parse_time(value: str | int | float | None) -> datetime | None:
    """GHL sends ISO-8601 strings (sometimes epoch milliseconds); None when absent."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            number = float(value)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:  # OSError: beyond the platform's epoch
        raise InvalidEventError(f"unreadable time {str(value)[:40]!r}") from exc
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
