"""Webhook signature verification over the exact bytes received (never a re-serialisation).

`X-GHL-Signature` is Ed25519, the legacy `x-wh-signature` is RSA-SHA256 (PKCS#1 v1.5); both
base64. With no key configured nothing can be verified and events pass as unverified; with a
key configured, a signed event must verify and an unsigned one (no, an empty or a blank
header) is rejected unless `unsigned_policy` says accept, a choice logged at start.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from workers.errors import ConfigurationError, SignatureMismatchError

log = logging.getLogger(__name__)
ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"
Verdict = Literal["verified", "unverified"]


def load_ed25519(text: str) -> Ed25519PublicKey:
    """A PEM public key, or the raw 32-byte key in base64."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
        except (binascii.Error, ValueError) as exc:
            raise ConfigurationError(f"bad Ed25519 public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the X-GHL-Signature key is not an Ed25519 key")
    return key


def load_rsa(text: str) -> RSAPublicKey:
    key = serialization.load_pem_public_key(text.strip().encode())
    if not isinstance(key, RSAPublicKey):
        raise ConfigurationError("the x-wh-signature key is not an RSA key")
    return key


def _b64(signature: str) -> bytes:
    try:
        return base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureMismatchError("signature header is not valid base64") from exc


@dataclass(frozen=True)
class SignatureVerifier:
    ed25519: Ed25519PublicKey | None = None
    rsa: RSAPublicKey | None = None
    unsigned_policy: Literal["accept", "reject"] = "reject"

    @classmethod
    def from_settings(
        cls,
        ed25519_pem: str | None,
        rsa_pem: str | None,
        unsigned_policy: Literal["accept", "reject"],
    ) -> SignatureVerifier:
        verifier = cls(
            load_ed25519(ed25519_pem) if ed25519_pem else None,
            load_rsa(rsa_pem) if rsa_pem else None,
            unsigned_policy,
        )
        if verifier.ed25519 is None and verifier.rsa is None:
            log.warning("no GHL webhook public key configured: deliveries are not verified")
        elif unsigned_policy == "accept":
            log.warning("LEADMEM_UNSIGNED_POLICY=accept: unsigned webhooks are accepted "
                        "although a public key is configured (forged ones too)")
        return verifier

    def verify(self, body: bytes, headers: dict[str, str]) -> Verdict:
        """Raise `SignatureMismatchError` unless the body may be accepted."""
        if self.ed25519 is None and self.rsa is None:
            return "unverified"
        # A blank header is no signature: unsigned, or the other header's turn.
        ed_sig = (headers.get(ED25519_HEADER) or "").strip()
        rsa_sig = (headers.get(RSA_HEADER) or "").strip()
        try:
            if self.ed25519 is not None and ed_sig:
                self.ed25519.verify(_b64(ed_sig), body)
                return "verified"
            if self.rsa is not None and rsa_sig:
                self.rsa.verify(_b64(rsa_sig), body, padding.PKCS1v15(), hashes.SHA256())
                return "verified"
        except InvalidSignature as exc:
            raise SignatureMismatchError("webhook signature does not match the body") from exc
        if self.unsigned_policy == "reject":
            raise SignatureMismatchError("unsigned webhook rejected by policy")
        return "unverified"
