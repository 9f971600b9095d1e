"""What the receiver does with one webhook delivery, decided from its bytes and headers alone.

Pure (no I/O, no clock), so the whole policy is one table of unit tests; `app.py` does the I/O
and maps each decision to a status code. The checks run in this order, each for a reason:

1. size: a body over the limit was never read whole, so nothing else can be judged (413);
2. authenticity: a GHL delivery (`decide`) must carry a signature that verifies with GHL's
   keys (HighLevel's published ones unless configured); a workflow webhook (`decide_workflow`,
   unsigned by GHL) must come to its tenant's own URL, with that tenant's token. Anything else
   is refused before anything is written, not even a dead letter, so forgeries cannot fill a
   topic (401);
3. shape: the record is keyed by `locationId`, so the body must be a JSON object with a
   non-blank string `locationId` (400; the bytes still go to the DLQ); the app's INSTALL /
   UNINSTALL of a whole agency names only its `companyId`, which keys it then; on a workflow
   URL the `locationId` must also be the URL's tenant (401: one tenant cannot speak for
   another).

Everything else about the body (its type, fields, timestamp, duplicates) is ingestion's job:
the receiver forwards the bytes unchanged, so the signature (or the workflow binding the
receiver adds) that ingestion checks again still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.topics import HEADER_TENANT
from workers.errors import InvalidEventError, SignatureMismatchError
from workers.ingestion.decode import json_object
from workers.ingestion.signatures import ED25519_HEADER, RSA_HEADER, SignatureVerifier, Verdict
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey

SIGNATURE_HEADERS: tuple[str, ...] = (ED25519_HEADER, RSA_HEADER)
MAX_LOCATION_ID = 128  # as schemas.ghl.Webhook.locationId: longer ones are no GHL location
APP_EVENTS: tuple[str, ...] = ("INSTALL", "UNINSTALL")  # the Marketplace app's own webhooks


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
    """The signature is missing or does not match, or a workflow URL's token or tenant is
    not the body's (401): nothing written."""

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


def location_of(body: bytes, *, company_for_app_events: bool = False) -> str | Reject:
    """The body's `locationId`, or why the body cannot be keyed. Decoded by ingestion's own
    `json_object`, so what passes here is not rejected there for its encoding. With
    `company_for_app_events` (GHL's webhook URL), the app's INSTALL / UNINSTALL of a whole
    agency, which names its `companyId` and no `locationId`, is keyed by the company."""
    data = _object(body)
    return data if isinstance(data, Reject) else _key(data, company_for_app_events)


def _object(body: bytes) -> dict[str, Any] | Reject:
    try:
        return json_object(body)
    except InvalidEventError as exc:
        return Reject(str(exc))


def _key(data: dict[str, Any], company_for_app_events: bool) -> str | Reject:
    location = data.get("locationId")
    company = data.get("companyId")
    no_location = location is None or (isinstance(location, str) and not location.strip())
    if (company_for_app_events and no_location and data.get("type") in APP_EVENTS
            and isinstance(company, str) and company.strip()):
        return _usable("companyId", company.strip())
    if not isinstance(location, str):
        shown = "missing" if location is None else f"a JSON {type(location).__name__}"
        return Reject(f"locationId is {shown}, not a string")
    return _usable("locationId", location)


def _usable(name: str, value: str) -> str | Reject:
    if not value.strip():
        return Reject(f"{name} is blank")
    if len(value) > MAX_LOCATION_ID:
        return Reject(f"{name} is {len(value)} characters (at most {MAX_LOCATION_ID})")
    return value


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
    location = location_of(body, company_for_app_events=True)
    if isinstance(location, Reject):
        return Reject(location.reason, signatures)
    return Accept(location, {**signatures, HEADER_TENANT: location}, verdict)


def decide_workflow(
    body: bytes, *, tenant: str, token: str, max_bytes: int, key: WorkflowKey
) -> Decision:
    """The decision for one delivery to `tenant`'s workflow webhook URL (its `token`)."""
    if over := too_large(len(body), max_bytes):
        return over
    if not key.token_matches(tenant, token):
        return Unauthorized("not this tenant's workflow webhook URL")
    data = _object(body)
    location = data if isinstance(data, Reject) else _key(data, False)
    if isinstance(location, Reject):  # the tenant is authenticated: its dead letter says so
        return Reject(location.reason, {HEADER_TENANT: tenant})
    if isinstance(data, dict) and data.get("type") in APP_EVENTS:
        return Unauthorized("the app's INSTALL / UNINSTALL come signed from GHL, never from "
                            "a workflow")
    if location != tenant:
        return Unauthorized("the body's locationId is not this workflow URL's tenant")
    return Accept(tenant, {HEADER_TENANT: tenant,
                           WORKFLOW_HEADER: key.record_mac(tenant, body)}, "workflow")
