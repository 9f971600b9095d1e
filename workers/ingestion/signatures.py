"""Webhook signature verification over the exact bytes received (never a re-serialisation).

`X-GHL-Signature` is Ed25519, the legacy `x-wh-signature` is RSA-SHA256 (PKCS#1 v1.5); both
base64. The keys are HighLevel's published ones (`ghl_keys`) unless the settings name others,
so there is always a key and every delivery is verified: a signed one must verify, and an
unsigned one (no, an empty or a blank header) passes only with a workflow binding to its own
tenant and bytes (`workflow.WORKFLOW_HEADER`, written by the receiver's workflow webhook route
when `LEADMEM_WORKFLOW_WEBHOOK_KEY` is set). There is no switch that accepts unsigned
deliveries.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from workers.errors import ConfigurationError, SignatureMismatchError
from workers.ingestion.ghl_keys import GHL_ED25519_PUBLIC_KEY, GHL_RSA_PUBLIC_KEY
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey
from workers.settings import Settings

log = logging.getLogger(__name__)
ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"
# verified: by a GHL signature; workflow: unsigned, bound to its tenant by the workflow route
Verdict = Literal["verified", "workflow"]


def load_ed25519(text: str) -> Ed25519PublicKey:
    """A PEM public key, or the raw 32-byte key in base64."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"bad Ed25519 public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the X-GHL-Signature key is not an Ed25519 key")
    return key


def load_rsa(text: str) -> RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(text.strip().encode())
    except ValueError as exc:
        raise ConfigurationError(f"bad RSA public key: {exc}") from exc
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
    """The GHL keys (`from_settings`: HighLevel's published ones unless configured) and the
    workflow webhook key, if any. With no key at all nothing verifies: every delivery is
    refused."""

    ed25519: Ed25519PublicKey | None = None
    rsa: RSAPublicKey | None = None
    workflow: WorkflowKey | None = None

    @classmethod
    def from_settings(
        cls, ed25519_pem: str | None, rsa_pem: str | None, workflow_key: str | None = None,
    ) -> SignatureVerifier:
        """Unset or blank keys are HighLevel's published ones (`ghl_keys`)."""
        verifier = cls(
            load_ed25519(ed25519_pem if ed25519_pem and ed25519_pem.strip()
                         else GHL_ED25519_PUBLIC_KEY),
            load_rsa(rsa_pem if rsa_pem and rsa_pem.strip() else GHL_RSA_PUBLIC_KEY),
            WorkflowKey.from_setting(workflow_key),
        )
        custom = [name for name, pem in (("Ed25519", ed25519_pem), ("RSA", rsa_pem))
                  if pem and pem.strip()]
        log.info("webhook signatures: %s; workflow webhooks: %s",
                 f"configured {' and '.join(custom)} key(s)" if custom
                 else "HighLevel's published keys",
                 "on" if verifier.workflow else "off (LEADMEM_WORKFLOW_WEBHOOK_KEY unset)")
        return verifier

    @classmethod
    def of(cls, settings: Settings) -> SignatureVerifier:
        """The verifier a deployment's settings configure (the receiver's and ingestion's)."""
        key = settings.workflow_webhook_key
        return cls.from_settings(settings.ghl_ed25519_public_key, settings.ghl_rsa_public_key,
                                 key.get_secret_value() if key is not None else None)

    def verify(self, body: bytes, headers: Mapping[str, str],
               tenant: str | None = None) -> Verdict:
        """How `body` is vouched for, or `SignatureMismatchError`: a GHL signature over its
        bytes, or (unsigned) a workflow binding of its bytes to `tenant`."""
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
        mac = (headers.get(WORKFLOW_HEADER) or "").strip()
        if not mac:
            raise SignatureMismatchError("unsigned webhook (a workflow webhook goes to its "
                                         "tenant's own URL: leadmem tenant webhook-url)")
        if self.workflow is None:
            raise SignatureMismatchError("a workflow webhook's binding cannot be checked: "
                                         "LEADMEM_WORKFLOW_WEBHOOK_KEY is not set")
        if tenant is None or not self.workflow.record_matches(tenant, body, mac):
            raise SignatureMismatchError("workflow webhook binding does not match its tenant "
                                         "and body")
        return "workflow"
