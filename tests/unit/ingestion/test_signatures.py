"""SignatureVerifier: Ed25519 (`x-ghl-signature`) and legacy RSA-SHA256 (`x-wh-signature`)
over the exact bytes received; unsigned deliveries under each policy; key loading."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Literal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from workers.errors import ConfigurationError, PermanentError, SignatureMismatchError
from workers.ingestion.signatures import (
    ED25519_HEADER,
    RSA_HEADER,
    SignatureVerifier,
    load_ed25519,
    load_rsa,
)

Policy = Literal["accept", "reject"]
POLICIES: list[Policy] = ["accept", "reject"]

BODY = b'{"type": "InboundMessage", "locationId": "loc1", "contactId": "c1", "body": "hi"}'
# the same JSON, other bytes: a signature covers the bytes, never a re-serialisation
REFORMATTED = b'{"type":"InboundMessage","locationId":"loc1","contactId":"c1","body":"hi"}'

ED_KEY = Ed25519PrivateKey.generate()
OTHER_ED_KEY = Ed25519PrivateKey.generate()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def ed_sig(body: bytes, key: Ed25519PrivateKey = ED_KEY) -> str:
    return base64.b64encode(key.sign(body)).decode()


def rsa_sig(body: bytes, key: rsa.RSAPrivateKey = RSA_KEY) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def verifier(kind: Literal["ed", "rsa", "both"], policy: Policy = "reject") -> SignatureVerifier:
    return SignatureVerifier(
        ED_KEY.public_key() if kind in ("ed", "both") else None,
        RSA_KEY.public_key() if kind in ("rsa", "both") else None,
        policy,
    )


# --- valid signatures -----------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("kind", "headers"), [
    ("ed", {ED25519_HEADER: ed_sig(BODY)}),
    ("ed", {ED25519_HEADER: f"  {ed_sig(BODY)}\n"}),          # surrounding blanks are stripped
    ("ed", {ED25519_HEADER: ed_sig(BODY), RSA_HEADER: "junk"}),  # the RSA header is not read
    ("rsa", {RSA_HEADER: rsa_sig(BODY)}),
    ("rsa", {RSA_HEADER: rsa_sig(BODY), ED25519_HEADER: "junk"}),  # no Ed25519 key: not read
    ("both", {ED25519_HEADER: ed_sig(BODY)}),
    ("both", {RSA_HEADER: rsa_sig(BODY)}),
    ("both", {ED25519_HEADER: ed_sig(BODY), RSA_HEADER: rsa_sig(BODY)}),
    ("both", {ED25519_HEADER: "", RSA_HEADER: rsa_sig(BODY)}),  # an empty one is absent
])
def test_a_valid_signature_is_verified(kind: Literal["ed", "rsa", "both"],
                                       headers: dict[str, str], policy: Policy) -> None:
    assert verifier(kind, policy).verify(BODY, headers) == "verified"


# --- mismatches -----------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("kind", "body", "headers"), [
    ("ed", BODY + b" ", {ED25519_HEADER: ed_sig(BODY)}),                # tampered body
    ("ed", BODY.replace(b"hi", b"ho"), {ED25519_HEADER: ed_sig(BODY)}),
    ("ed", REFORMATTED, {ED25519_HEADER: ed_sig(BODY)}),
    ("ed", BODY, {ED25519_HEADER: ed_sig(BODY, OTHER_ED_KEY)}),       # another key's
    ("ed", BODY, {ED25519_HEADER: rsa_sig(BODY)}),
    ("ed", BODY, {ED25519_HEADER: base64.b64encode(b"\0" * 64).decode()}),
    ("rsa", BODY + b" ", {RSA_HEADER: rsa_sig(BODY)}),
    ("rsa", REFORMATTED, {RSA_HEADER: rsa_sig(BODY)}),
    ("rsa", BODY, {RSA_HEADER: rsa_sig(BODY, OTHER_RSA_KEY)}),
    ("rsa", BODY, {RSA_HEADER: ed_sig(BODY)}),
    # Ed25519 is tried first and decides: a bad one is not rescued by a good RSA signature
    ("both", BODY, {ED25519_HEADER: ed_sig(BODY, OTHER_ED_KEY), RSA_HEADER: rsa_sig(BODY)}),
    ("both", BODY + b"x", {RSA_HEADER: rsa_sig(BODY)}),
])
def test_a_signature_that_does_not_match_is_rejected_under_any_policy(
    kind: Literal["ed", "rsa", "both"], body: bytes, headers: dict[str, str], policy: Policy
) -> None:
    with pytest.raises(SignatureMismatchError, match="does not match the body") as err:
        verifier(kind, policy).verify(body, headers)
    assert isinstance(err.value, PermanentError)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(("kind", "headers"), [
    ("ed", {ED25519_HEADER: "junk!!"}),
    ("ed", {ED25519_HEADER: "abc"}),               # bad padding
    ("ed", {ED25519_HEADER: "é"}),
    ("rsa", {RSA_HEADER: "not base64 at all"}),
    ("both", {ED25519_HEADER: "%%%", RSA_HEADER: rsa_sig(BODY)}),
])
def test_a_signature_that_is_not_base64_is_rejected_under_any_policy(
    kind: Literal["ed", "rsa", "both"], headers: dict[str, str], policy: Policy
) -> None:
    with pytest.raises(SignatureMismatchError, match="not valid base64"):
        verifier(kind, policy).verify(BODY, headers)


# --- unsigned deliveries --------------------------------------------------------------------

UNSIGNED: list[dict[str, str]] = [
    {},
    {ED25519_HEADER: ""},
    {RSA_HEADER: ""},
    {ED25519_HEADER: "", RSA_HEADER: ""},
    {"x-other": "abc"},
    {"X-GHL-Signature": ed_sig(BODY)},  # ingestion reads lowercase names only
]


@pytest.mark.parametrize("kind", ["ed", "rsa", "both"])
@pytest.mark.parametrize("headers", UNSIGNED)
def test_with_a_key_an_unsigned_delivery_is_rejected_by_default(
    kind: Literal["ed", "rsa", "both"], headers: dict[str, str]
) -> None:
    assert SignatureVerifier().unsigned_policy == "reject"
    with pytest.raises(SignatureMismatchError, match="unsigned webhook rejected by policy"):
        verifier(kind, "reject").verify(BODY, headers)


@pytest.mark.parametrize("kind", ["ed", "rsa", "both"])
@pytest.mark.parametrize("headers", UNSIGNED)
def test_with_a_key_an_unsigned_delivery_passes_unverified_when_chosen(
    kind: Literal["ed", "rsa", "both"], headers: dict[str, str]
) -> None:
    assert verifier(kind, "accept").verify(BODY, headers) == "unverified"


@pytest.mark.parametrize(("kind", "headers"), [
    ("ed", {RSA_HEADER: rsa_sig(BODY)}),  # signed only for a key we do not hold
    ("rsa", {ED25519_HEADER: ed_sig(BODY)}),
])
def test_a_signature_for_a_key_not_configured_counts_as_unsigned(
    kind: Literal["ed", "rsa"], headers: dict[str, str]
) -> None:
    assert verifier(kind, "accept").verify(BODY, headers) == "unverified"
    with pytest.raises(SignatureMismatchError, match="rejected by policy"):
        verifier(kind, "reject").verify(BODY, headers)


@pytest.mark.parametrize("header", ["  ", "\n", "\t"])
def test_a_blank_signature_header_is_rejected_under_the_reject_policy(header: str) -> None:
    with pytest.raises(SignatureMismatchError):
        verifier("ed", "reject").verify(BODY, {ED25519_HEADER: header})


@pytest.mark.parametrize("header", ["  ", "\n"])
def test_a_blank_signature_header_is_unsigned_under_the_accept_policy(header: str) -> None:
    assert verifier("ed", "accept").verify(BODY, {ED25519_HEADER: header}) == "unverified"


def test_a_blank_ed25519_header_leaves_the_rsa_signature_to_decide() -> None:
    headers = {ED25519_HEADER: " ", RSA_HEADER: rsa_sig(BODY)}
    assert verifier("both").verify(BODY, headers) == "verified"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("headers", [
    *UNSIGNED,
    {ED25519_HEADER: "junk!!"},
    {ED25519_HEADER: ed_sig(b"another body")},
    {RSA_HEADER: rsa_sig(BODY)},
])
def test_without_a_key_nothing_is_verified_and_everything_passes(
    headers: dict[str, str], policy: Policy
) -> None:
    assert SignatureVerifier(unsigned_policy=policy).verify(BODY, headers) == "unverified"


# --- from_settings and key loading ----------------------------------------------------------


def raw_ed25519(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


@pytest.mark.parametrize("text", [
    pem(ED_KEY), f"\n  {pem(ED_KEY)}  \n", raw_ed25519(ED_KEY), f" {raw_ed25519(ED_KEY)}\n",
])
def test_an_ed25519_key_loads_from_pem_or_raw_base64(text: str) -> None:
    key = load_ed25519(text)
    key.verify(ED_KEY.sign(BODY), BODY)  # no exception: the same key


@pytest.mark.parametrize(("text", "match"), [
    (pem(RSA_KEY), "not an Ed25519 key"),
    ("not base64!", "bad Ed25519 public key"),
    (base64.b64encode(b"\1" * 16).decode(), "bad Ed25519 public key"),  # wrong length
])
def test_a_bad_ed25519_key_is_a_configuration_error(text: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        load_ed25519(text)


def test_an_rsa_key_loads_from_pem() -> None:
    key = load_rsa(f"  {pem(RSA_KEY)}\n")
    assert key.public_numbers() == RSA_KEY.public_key().public_numbers()


def test_a_non_rsa_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not an RSA key"):
        load_rsa(pem(ED_KEY))


@pytest.mark.parametrize("policy", POLICIES)
def test_from_settings_builds_a_verifier_of_both_keys(policy: Policy) -> None:
    built = SignatureVerifier.from_settings(pem(ED_KEY), pem(RSA_KEY), policy)
    assert built.unsigned_policy == policy
    assert built.verify(BODY, {ED25519_HEADER: ed_sig(BODY)}) == "verified"
    assert built.verify(BODY, {RSA_HEADER: rsa_sig(BODY)}) == "verified"


@pytest.mark.parametrize(("ed", "rsa_pem", "policy", "warning"), [
    (None, None, "reject", "no GHL webhook public key configured"),
    ("", "", "accept", "no GHL webhook public key configured"),
    (pem(ED_KEY), None, "accept", "LEADMEM_UNSIGNED_POLICY=accept"),
    (None, pem(RSA_KEY), "accept", "LEADMEM_UNSIGNED_POLICY=accept"),
    (pem(ED_KEY), None, "reject", None),
    (None, pem(RSA_KEY), "reject", None),
])
def test_from_settings_warns_about_unverified_deliveries(
    ed: str | None, rsa_pem: str | None, policy: Policy, warning: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="workers.ingestion.signatures"):
        built = SignatureVerifier.from_settings(ed, rsa_pem, policy)
    assert (built.ed25519 is not None) == bool(ed)
    assert (built.rsa is not None) == bool(rsa_pem)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if warning is None:
        assert messages == []
    else:
        assert len(messages) == 1 and warning in messages[0]


@pytest.mark.parametrize(("loader", "text"), [
    (load_rsa, "garbage"),
    (load_ed25519, "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"),
])
def test_an_unreadable_pem_surfaces_as_cryptography_s_value_error(
    loader: Callable[[str], object], text: str
) -> None:
    """As the code is: not wrapped in ConfigurationError (start-up only, but inconsistent
    with the other bad-key cases above)."""
    with pytest.raises(ValueError, match="Unable to load PEM"):
        loader(text)
