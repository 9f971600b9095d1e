"""The receiver's decision for one delivery, as a table: size first, then the signature (a
forgery is refused before anything is written), then whether the body can be keyed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from multidict import CIMultiDict

from workers.ingestion.signatures import SignatureVerifier
from workers.receiver.accept import (
    Accept,
    Decision,
    Reject,
    TooLarge,
    Unauthorized,
    decide,
    location_of,
    signature_headers,
    too_large,
)

LOC = "l1C08ntBrFjLS0elLIYU"
LIMIT = 2_000
ED = Ed25519PrivateKey.generate()
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def ed_sig(body: bytes) -> str:
    return base64.b64encode(ED.sign(body)).decode()


def rsa_sig(body: bytes) -> str:
    return base64.b64encode(RSA.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def verifier(keys: str, policy: Literal["accept", "reject"] = "accept") -> SignatureVerifier:
    return SignatureVerifier.from_settings(pem(ED) if "ed" in keys else None,
                                           pem(RSA) if "rsa" in keys else None, policy)


def inbound(**changes: object) -> bytes:
    event: dict[str, object] = {"type": "InboundMessage", "locationId": LOC, "body": "Hi",
                                "contactId": "c1", "webhookId": "w1"}
    event.update(changes)
    return json.dumps({k: v for k, v in event.items() if v is not ...}).encode()


GOOD = inbound()
Headers = Callable[[bytes], dict[str, str]]


def none(_: bytes) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Case:
    body: bytes
    headers: Headers
    keys: str
    policy: Literal["accept", "reject"]
    expect: Decision


def accepted(verdict: Literal["verified", "unverified"], **sigs: str) -> Accept:
    return Accept(LOC, {**sigs, "tenant-id": LOC}, verdict)


CASES: dict[str, Case] = {
    # nothing configured: every keyable body passes unverified; signatures are forwarded
    "no key, unsigned": Case(GOOD, none, "", "accept", accepted("unverified")),
    "no key, signed (forwarded, lowercase names)": Case(
        GOOD, lambda b: {"X-GHL-Signature": ed_sig(b), "X-WH-Signature": "abc"}, "", "accept",
        Accept(LOC, {"x-ghl-signature": ed_sig(GOOD), "x-wh-signature": "abc",
                     "tenant-id": LOC}, "unverified")),
    "exactly the limit is not too large": Case(
        inbound(body="x" * (LIMIT - len(inbound(body="")))), none, "", "accept",
        Accept(LOC, {"tenant-id": LOC}, "unverified")),
    # Ed25519 (X-GHL-Signature) and the legacy RSA (x-wh-signature)
    "ed25519 good": Case(GOOD, lambda b: {"X-GHL-Signature": ed_sig(b)}, "ed", "reject",
                         accepted("verified", **{"x-ghl-signature": ed_sig(GOOD)})),
    "ed25519 over other bytes": Case(GOOD, lambda b: {"X-GHL-Signature": ed_sig(b + b" ")},
                                     "ed", "accept",
                                     Unauthorized("webhook signature does not match the body")),
    "ed25519 not base64": Case(GOOD, lambda b: {"x-ghl-signature": "%%%"}, "ed", "accept",
                               Unauthorized("signature header is not valid base64")),
    "rsa good": Case(GOOD, lambda b: {"x-wh-signature": rsa_sig(b)}, "rsa", "reject",
                     accepted("verified", **{"x-wh-signature": rsa_sig(GOOD)})),
    "rsa bad": Case(GOOD, lambda b: {"x-wh-signature": rsa_sig(b"other")}, "rsa", "accept",
                    Unauthorized("webhook signature does not match the body")),
    "both keys, ed25519 wins": Case(
        GOOD, lambda b: {"x-ghl-signature": ed_sig(b), "x-wh-signature": rsa_sig(b"x")},
        "ed rsa", "reject",
        accepted("verified", **{"x-ghl-signature": ed_sig(GOOD),
                                "x-wh-signature": rsa_sig(b"x")})),
    # unsigned with a key configured: unsigned_policy decides, as in ingestion
    "key, unsigned, policy reject": Case(GOOD, none, "ed", "reject",
                                         Unauthorized("unsigned webhook rejected by policy")),
    "key, unsigned, policy accept": Case(GOOD, none, "ed", "accept", accepted("unverified")),
    # order: size before signature, signature before shape
    "too large, even if forged": Case(b"x" * (LIMIT + 1), lambda b: {"x-ghl-signature": "AA=="},
                                      "ed", "reject", TooLarge(LIMIT + 1, LIMIT)),
    "forged garbage is 401, not a dead letter": Case(
        b"{not json", lambda b: {"x-ghl-signature": ed_sig(b"x")}, "ed", "accept",
        Unauthorized("webhook signature does not match the body")),
    "signed garbage is 400 and keeps its signature": Case(
        b"{not json", lambda b: {"x-ghl-signature": ed_sig(b)}, "ed", "reject",
        Reject("body is not JSON: Expecting property name enclosed in double quotes at line 1",
               {"x-ghl-signature": ed_sig(b"{not json")})),
    # shape: a JSON object with a non-blank string locationId
    "empty body": Case(b"", none, "", "accept",
                       Reject("body is not JSON: Expecting value at line 1")),
    "invalid utf-8": Case(b'{"locationId": "\xff"}', none, "", "accept",
                          Reject("body is not valid UTF-8 (byte 16)")),
    "utf-8 BOM (ingestion refuses it too)": Case(b"\xef\xbb\xbf" + GOOD, none, "", "accept",
                                                 Reject("body is not JSON: Unexpected UTF-8 "
                                                        "BOM (decode using utf-8-sig) at line 1")),
    "json array": Case(b"[1, 2]", none, "", "accept",
                       Reject("body is a JSON list, not an object")),
    "json string": Case(b'"InboundMessage"', none, "", "accept",
                        Reject("body is a JSON str, not an object")),
    "no locationId": Case(inbound(locationId=...), none, "", "accept",
                          Reject("locationId is missing, not a string")),
    "null locationId": Case(inbound(locationId=None), none, "", "accept",
                            Reject("locationId is missing, not a string")),
    "numeric locationId": Case(inbound(locationId=42), none, "", "accept",
                               Reject("locationId is a JSON int, not a string")),
    "blank locationId": Case(inbound(locationId="  "), none, "", "accept",
                             Reject("locationId is blank")),
    "overlong locationId": Case(inbound(locationId="l" * 129), none, "", "accept",
                                Reject("locationId is 129 characters (at most 128)")),
    # what ingestion judges is not the receiver's business: forwarded unchanged
    "unknown type, no timestamp": Case(b'{"locationId": "l1", "type": "SomethingNew"}', none,
                                       "", "accept", Accept("l1", {"tenant-id": "l1"},
                                                            "unverified")),
    "no type at all": Case(b'{"locationId": "l1"}', none, "", "accept",
                           Accept("l1", {"tenant-id": "l1"}, "unverified")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_decide(name: str) -> None:
    case = CASES[name]
    headers: Mapping[str, str] = case.headers(case.body)
    got = decide(case.body, headers, max_bytes=LIMIT, verifier=verifier(case.keys, case.policy))
    assert got == case.expect


def test_the_headers_of_an_http_request_case_insensitive_first_one_counts() -> None:
    headers = CIMultiDict([("Content-Type", "application/json"), ("X-Ghl-Signature", "first"),
                           ("x-ghl-signature", "second"), ("X-WH-SIGNATURE", "legacy")])
    assert signature_headers(headers) == {"x-ghl-signature": "first", "x-wh-signature": "legacy"}


@pytest.mark.parametrize(("size", "expect"), [
    (None, None), (0, None), (LIMIT, None), (LIMIT + 1, TooLarge(LIMIT + 1, LIMIT)),
])
def test_too_large_by_declared_or_read_size(size: int | None, expect: TooLarge | None) -> None:
    assert too_large(size, LIMIT) == expect


@pytest.mark.parametrize(("body", "why"), [
    (b'{"locationId": "loc1", "n": ' + b"1" * 5000 + b"}", "body is not usable JSON: "),
    (b'{"locationId": "loc1", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "body is nested deeper than 32 levels"),
])
def test_json_python_cannot_read_is_a_reject_not_a_crash(body: bytes, why: str) -> None:
    got = location_of(body)
    assert isinstance(got, Reject) and got.reason.startswith(why)
