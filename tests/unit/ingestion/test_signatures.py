"""SignatureVerifier: Ed25519 (`x-ghl-signature`) and legacy RSA-SHA256 (`x-wh-signature`)
over the exact bytes received; unsigned deliveries (refused, but for a workflow binding to
their tenant); HighLevel's published keys as the defaults; key loading."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Literal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from workers.errors import ConfigurationError, PermanentError, SignatureMismatchError
from workers.ingestion.ghl_keys import GHL_ED25519_PUBLIC_KEY, GHL_RSA_PUBLIC_KEY
from workers.ingestion.signatures import (
    ED25519_HEADER,
    RSA_HEADER,
    SignatureVerifier,
    load_ed25519,
    load_rsa,
)
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey
from workers.settings import Settings

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


WORKFLOW = WorkflowKey(b"w" * 32)


def verifier(kind: Literal["ed", "rsa", "both"],
             workflow: WorkflowKey | None = WORKFLOW) -> SignatureVerifier:
    return SignatureVerifier(
        ED_KEY.public_key() if kind in ("ed", "both") else None,
        RSA_KEY.public_key() if kind in ("rsa", "both") else None,
        workflow,
    )


# --- valid signatures -----------------------------------------------------------------------


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
                                       headers: dict[str, str]) -> None:
    assert verifier(kind).verify(BODY, headers) == "verified"
    assert verifier(kind).verify(BODY, headers, "loc1") == "verified"


# --- mismatches -----------------------------------------------------------------------------


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
def test_a_signature_that_does_not_match_is_rejected(
    kind: Literal["ed", "rsa", "both"], body: bytes, headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureMismatchError, match="does not match the body") as err:
        verifier(kind).verify(body, headers)
    assert isinstance(err.value, PermanentError)


@pytest.mark.parametrize(("kind", "headers"), [
    ("ed", {ED25519_HEADER: "junk!!"}),
    ("ed", {ED25519_HEADER: "abc"}),               # bad padding
    ("ed", {ED25519_HEADER: "é"}),
    ("rsa", {RSA_HEADER: "not base64 at all"}),
    ("both", {ED25519_HEADER: "%%%", RSA_HEADER: rsa_sig(BODY)}),
])
def test_a_signature_that_is_not_base64_is_rejected(
    kind: Literal["ed", "rsa", "both"], headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureMismatchError, match="not valid base64"):
        verifier(kind).verify(BODY, headers)


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
def test_an_unsigned_delivery_is_rejected(
    kind: Literal["ed", "rsa", "both"], headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureMismatchError, match="unsigned webhook") as err:
        verifier(kind).verify(BODY, headers, "loc1")
    assert isinstance(err.value, PermanentError)


@pytest.mark.parametrize(("kind", "headers"), [
    ("ed", {RSA_HEADER: rsa_sig(BODY)}),  # signed only for a key we do not hold
    ("rsa", {ED25519_HEADER: ed_sig(BODY)}),
])
def test_a_signature_for_a_key_not_configured_counts_as_unsigned(
    kind: Literal["ed", "rsa"], headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureMismatchError, match="unsigned webhook"):
        verifier(kind).verify(BODY, headers)


@pytest.mark.parametrize("header", ["  ", "\n", "\t"])
def test_a_blank_signature_header_is_unsigned(header: str) -> None:
    with pytest.raises(SignatureMismatchError, match="unsigned webhook"):
        verifier("ed").verify(BODY, {ED25519_HEADER: header})


def test_a_blank_ed25519_header_leaves_the_rsa_signature_to_decide() -> None:
    headers = {ED25519_HEADER: " ", RSA_HEADER: rsa_sig(BODY)}
    assert verifier("both").verify(BODY, headers) == "verified"


@pytest.mark.parametrize("headers", [
    *UNSIGNED,
    {ED25519_HEADER: "junk!!"},
    {ED25519_HEADER: ed_sig(BODY)},
    {RSA_HEADER: rsa_sig(BODY)},
    {WORKFLOW_HEADER: WORKFLOW.record_mac("loc1", BODY)},  # no workflow key either
])
def test_without_any_key_nothing_verifies_and_everything_is_rejected(
    headers: dict[str, str]
) -> None:
    with pytest.raises(SignatureMismatchError):
        SignatureVerifier().verify(BODY, headers, "loc1")


# --- workflow webhooks: unsigned, bound to their tenant and bytes by the receiver ------------


def test_an_unsigned_delivery_with_its_tenant_s_workflow_binding_passes_as_workflow() -> None:
    headers = {WORKFLOW_HEADER: WORKFLOW.record_mac("loc1", BODY)}
    assert verifier("both").verify(BODY, headers, "loc1") == "workflow"


@pytest.mark.parametrize(("body", "tenant", "mac", "match"), [
    (BODY, "loc2", WORKFLOW.record_mac("loc1", BODY), "does not match"),    # another tenant
    (BODY, None, WORKFLOW.record_mac("loc1", BODY), "does not match"),      # no tenant known
    (REFORMATTED, "loc1", WORKFLOW.record_mac("loc1", BODY), "does not match"),  # other bytes
    (BODY, "loc1", WorkflowKey(b"x" * 32).record_mac("loc1", BODY), "does not match"),
    (BODY, "loc1", WORKFLOW.url_token("loc1"), "does not match"),  # the URL's token is not it
    (BODY, "loc1", "junk", "does not match"),
    (BODY, "loc1", " ", "unsigned webhook"),  # blank: no binding at all
])
def test_a_workflow_binding_of_another_tenant_key_or_body_is_rejected(
    body: bytes, tenant: str | None, mac: str, match: str
) -> None:
    with pytest.raises(SignatureMismatchError, match=match):
        verifier("ed").verify(body, {WORKFLOW_HEADER: mac}, tenant)


def test_a_workflow_binding_cannot_pass_without_the_workflow_key() -> None:
    headers = {WORKFLOW_HEADER: WORKFLOW.record_mac("loc1", BODY)}
    with pytest.raises(SignatureMismatchError, match="LEADMEM_WORKFLOW_WEBHOOK_KEY"):
        verifier("ed", workflow=None).verify(BODY, headers, "loc1")


def test_a_bad_ghl_signature_is_not_rescued_by_a_workflow_binding() -> None:
    headers = {ED25519_HEADER: ed_sig(BODY, OTHER_ED_KEY),
               WORKFLOW_HEADER: WORKFLOW.record_mac("loc1", BODY)}
    with pytest.raises(SignatureMismatchError, match="does not match the body"):
        verifier("ed").verify(BODY, headers, "loc1")


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


def test_from_settings_builds_a_verifier_of_both_keys() -> None:
    built = SignatureVerifier.from_settings(pem(ED_KEY), pem(RSA_KEY))
    assert built.verify(BODY, {ED25519_HEADER: ed_sig(BODY)}) == "verified"
    assert built.verify(BODY, {RSA_HEADER: rsa_sig(BODY)}) == "verified"
    assert built.workflow is None


def test_ghl_s_published_keys_load_as_an_ed25519_key_and_a_4096_bit_rsa_key() -> None:
    ed = load_ed25519(GHL_ED25519_PUBLIC_KEY)
    assert isinstance(ed, Ed25519PublicKey) and len(ed.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)) == 32
    legacy = load_rsa(GHL_RSA_PUBLIC_KEY)
    assert isinstance(legacy, RSAPublicKey)
    assert legacy.key_size == 4096 and legacy.public_numbers().e == 65537


@pytest.mark.parametrize("unset", [None, "", "  \n"])
def test_unset_keys_are_ghl_s_published_ones(unset: str | None,
                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="workers.ingestion.signatures"):
        built = SignatureVerifier.from_settings(unset, unset)
    assert built.ed25519 == load_ed25519(GHL_ED25519_PUBLIC_KEY)
    assert built.rsa is not None and built.rsa.public_numbers() == \
        load_rsa(GHL_RSA_PUBLIC_KEY).public_numbers()
    # our test key's signatures do not verify with GHL's: the defaults are in force
    with pytest.raises(SignatureMismatchError, match="does not match"):
        built.verify(BODY, {ED25519_HEADER: ed_sig(BODY)})
    assert "HighLevel's published keys" in caplog.text and "workflow webhooks: off" in caplog.text


def test_one_key_configured_leaves_the_other_ghl_s() -> None:
    built = SignatureVerifier.from_settings(pem(ED_KEY), None)
    assert built.verify(BODY, {ED25519_HEADER: ed_sig(BODY)}) == "verified"
    assert built.rsa is not None and built.rsa.key_size == 4096  # GHL's


def test_the_settings_default_to_ghl_s_keys_and_have_no_unsigned_switch() -> None:
    settings = Settings()
    assert settings.ghl_ed25519_public_key is None and settings.ghl_rsa_public_key is None
    assert not hasattr(settings, "unsigned_policy")
    built = SignatureVerifier.of(settings)
    assert built.ed25519 == load_ed25519(GHL_ED25519_PUBLIC_KEY) and built.workflow is None
    with pytest.raises(SignatureMismatchError, match="unsigned webhook"):
        built.verify(BODY, {}, "loc1")


def test_the_workflow_key_comes_from_the_settings() -> None:
    built = SignatureVerifier.of(Settings(workflow_webhook_key="k" * 40))
    assert built.workflow == WorkflowKey(b"k" * 40)
    headers = {WORKFLOW_HEADER: WorkflowKey(b"k" * 40).record_mac("loc1", BODY)}
    assert built.verify(BODY, headers, "loc1") == "workflow"


@pytest.mark.parametrize(("loader", "text", "match"), [
    (load_rsa, "garbage", "bad RSA public key"),
    (load_ed25519, "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----",
     "bad Ed25519 public key"),
])
def test_an_unreadable_pem_is_a_configuration_error(
    loader: Callable[[str], object], text: str, match: str
) -> None:
    with pytest.raises(ConfigurationError, match=match):
        loader(text)
