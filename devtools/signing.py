"""A webhook signing key for everything that plays GHL in development: the demo, the benchmarks
and the tests sign the deliveries they post or produce with it, as GHL signs its own, and give
the workers its public key (`PUBLIC_PEM` as `LEADMEM_GHL_ED25519_PUBLIC_KEY`).

The key is made afresh in each process (nothing to leak, nothing a deployment could trust by
mistake); a process that starts workers as processes hands them the public key through their
settings.
"""

from __future__ import annotations

import base64
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workers.ingestion.signatures import ED25519_HEADER

KEY: Final = Ed25519PrivateKey.generate()
PUBLIC_PEM: Final = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signature(body: bytes) -> str:
    """The `X-GHL-Signature` of `body` (base64 Ed25519 over its exact bytes)."""
    return base64.b64encode(KEY.sign(body)).decode()


def signed(body: bytes) -> dict[str, str]:
    """The signature header of `body`, under the lowercase name ingestion reads (HTTP header
    names are case-insensitive, so the same dict serves a POST and a Kafka record)."""
    return {ED25519_HEADER: signature(body)}
