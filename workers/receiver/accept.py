"""What the receiver does with one webhook delivery, decided from its bytes and headers alone.

Pure (no I/O, no clock), so the whole policy is one table of unit tests; `app.py` does the I/O
and maps each decision to a status code. The checks run in this order, each for a reason:

1. size: a body over the limit was never read whole, so nothing else can be judged (413);
2. signature, when a key is configured: a forged request is refused before anything is
   written, not even a dead letter, so forgeries cannot fill a topic (401);
3. shape: the record is keyed by `locationId`, so the body must be a JSON object with a
   non-blank string `locationId` (400; the bytes still go to the DLQ).

Everything else about the body (its type, fields, timestamp, duplicates) is ingestion's job:
the receiver forwards the bytes unchanged, so the signature ingestion checks again still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.topics import HEADER_TENANT
from workers.errors import InvalidEventError, SignatureMismatchError
from workers.ingestion.decode import json_object
from workers.ingestion.signatures import ED25519_HEADER, RSA_HEADER, SignatureVerifier, Verdict

SIGNATURE_HEADERS: tuple[str, ...] = (ED25519_HEADER, RSA_HEADER)
MAX_LOCATION_ID = 128  # as schemas.ghl.Webhook.locationId: longer ones are no GHL location


@dataclass(frozen=True)
class Accept:
    """Write the body to `ghl.events` keyed by `location`, with these record headers."""

    location: str
    headers: dict[str, str]
    verdict: Verdict


@dataclass(frozen=True)
class Reject:
    """Not something that can be keyed (400): dead-letter the bytes with `reason`."""

    reason: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TooLarge:
    """Over the body limit (413): nothing written."""

    size: int
    limit: int


@dataclass(frozen=True)
class Unauthorized:
    """A key is configured and the signature is missing (under `unsigned_policy=reject`) or
    does not match (401): nothing written."""

    reason: str


Decision = Accept | Reject | TooLarge | Unauthorized


def too_large(size: int | None, limit: int) -> TooLarge | None:
    """`size` bytes (declared or read) over `limit`, or None."""
    return TooLarge(size, limit) if size is not None and size > limit else None


def signature_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The signature headers present, under the lowercase names ingestion reads (HTTP header
    names are case-insensitive; the first of repeated ones counts)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SIGNATURE_HEADERS and lower not in out:
            out[lower] = value
    return out


def location_of(body: bytes) -> str | Reject:
    """The body's `locationId`, or why the body cannot be keyed. Decoded by ingestion's own
    `json_object`, so what passes here is not rejected there for its encoding."""
    try:
        data = json_object(body)
    except InvalidEventError as exc:
        return Reject(str(exc))
    location = data.get("locationId")
    if not isinstance(location, str):
        shown = "missing" if location is None else f"a JSON {type(location).__name__}"
        return Reject(f"locationId is {shown}, not a string")
    if not location.strip():
        return Reject("locationId is blank")
    if len(location) > MAX_LOCATION_ID:
        return Reject(f"locationId is {len(location)} characters (at most {MAX_LOCATION_ID})")
    return location


def decide(
    body: bytes, headers: Mapping[str, str], *, max_bytes: int, verifier: SignatureVerifier
) -> Decision:
    """The decision for one delivery; `body` may be the first `max_bytes + 1` bytes only."""
    if over := too_large(len(body), max_bytes):
        return over
    signatures = signature_headers(headers)
    try:
        verdict = verifier.verify(body, signatures)
    except SignatureMismatchError as exc:
        return Unauthorized(str(exc))
    location = location_of(body)
    if isinstance(location, Reject):
        return Reject(location.reason, signatures)
    return Accept(location, {**signatures, HEADER_TENANT: location}, verdict)
