"""The receiver's decision for one delivery, as tables: size first, then authenticity (a GHL
signature, or on a workflow URL its tenant's token: a forgery is refused before anything is
written), then whether the body can be keyed (and on a workflow URL, by that tenant)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from multidict import CIMultiDict

from workers.errors import SignatureMismatchError
from workers.ingestion.signatures import SignatureVerifier
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey
from workers.receiver.accept import (
    Accept,
    Decision,
    Reject,
    TooLarge,
    Unauthorized,
    decide,
    decide_workflow,
    location_of,
    signature_headers,
    too_large,
)

LOC = "l1C08ntBrFjLS0elLIYU"
LIMIT = 2_000
ED = Ed25519PrivateKey.generate()
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
WORKFLOW = WorkflowKey(b"k" * 32)


def ed_sig(body: bytes) -> str:
    return base64.b64encode(ED.sign(body)).decode()


def rsa_sig(body: bytes) -> str:
    return base64.b64encode(RSA.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def verifier(keys: str) -> SignatureVerifier:
    return SignatureVerifier(ED.public_key() if "ed" in keys else None,
                             RSA.public_key() if "rsa" in keys else None, WORKFLOW)


def inbound(**changes: object) -> bytes:
    event: dict[str, object] = {"type": "InboundMessage", "locationId": LOC, "body": "Hi",
                                "contactId": "c1", "webhookId": "w1"}
    event.update(changes)
    return json.dumps({k: v for k, v in event.items() if v is not ...}).encode()


GOOD = inbound()
Headers = Callable[[bytes], dict[str, str]]


def none(_: bytes) -> dict[str, str]:
    return {}


def signed(body: bytes) -> dict[str, str]:
    return {"X-GHL-Signature": ed_sig(body)}


@dataclass(frozen=True)
class Case:
    body: bytes
    headers: Headers
    keys: str
    expect: Decision


def accepted(**sigs: str) -> Accept:
    return Accept(LOC, {**sigs, "tenant-id": LOC}, "verified")


def shape(body: bytes, reason: str) -> Case:
    """A signed body the receiver cannot key: 400, dead-lettered with its signature."""
    return Case(body, signed, "ed", Reject(reason, {"x-ghl-signature": ed_sig(body)}))


def keyed(body: bytes, location: str) -> Case:
    return Case(body, signed, "ed", Accept(location, {"x-ghl-signature": ed_sig(body),
                                                      "tenant-id": location}, "verified"))


UNSIGNED = Unauthorized("unsigned webhook (a workflow webhook goes to its tenant's own URL: "
                        "leadmem tenant webhook-url)")
CASES: dict[str, Case] = {
    # Ed25519 (X-GHL-Signature) and the legacy RSA (x-wh-signature); forwarded lowercase
    "ed25519 good": Case(GOOD, signed, "ed", accepted(**{"x-ghl-signature": ed_sig(GOOD)})),
    "ed25519 good, legacy header forwarded too": Case(
        GOOD, lambda b: {"X-GHL-Signature": ed_sig(b), "X-WH-Signature": "abc"}, "ed",
        accepted(**{"x-ghl-signature": ed_sig(GOOD), "x-wh-signature": "abc"})),
    "exactly the limit is not too large": keyed(
        inbound(body="x" * (LIMIT - len(inbound(body="")))), LOC),
    "ed25519 over other bytes": Case(GOOD, lambda b: {"X-GHL-Signature": ed_sig(b + b" ")},
                                     "ed",
                                     Unauthorized("webhook signature does not match the body")),
    "ed25519 not base64": Case(GOOD, lambda b: {"x-ghl-signature": "%%%"}, "ed",
                               Unauthorized("signature header is not valid base64")),
    "rsa good": Case(GOOD, lambda b: {"x-wh-signature": rsa_sig(b)}, "rsa",
                     accepted(**{"x-wh-signature": rsa_sig(GOOD)})),
    "rsa bad": Case(GOOD, lambda b: {"x-wh-signature": rsa_sig(b"other")}, "rsa",
                    Unauthorized("webhook signature does not match the body")),
    "both keys, ed25519 wins": Case(
        GOOD, lambda b: {"x-ghl-signature": ed_sig(b), "x-wh-signature": rsa_sig(b"x")},
        "ed rsa", accepted(**{"x-ghl-signature": ed_sig(GOOD),
                              "x-wh-signature": rsa_sig(b"x")})),
    # unsigned: refused, whatever else the request carries; there is no policy to accept it
    "unsigned": Case(GOOD, none, "ed", UNSIGNED),
    "unsigned, blank header": Case(GOOD, lambda b: {"X-GHL-Signature": " "}, "ed rsa",
                                   UNSIGNED),
    "unsigned with a workflow binding header: not read on the GHL path": Case(
        GOOD, lambda b: {"workflow-mac": WORKFLOW.record_mac(LOC, b)}, "ed", UNSIGNED),
    "signed for a key not held": Case(GOOD, lambda b: {"x-wh-signature": rsa_sig(b)}, "ed",
                                      UNSIGNED),
    "no key at all: nothing verifies": Case(GOOD, signed, "", UNSIGNED),
    # order: size before signature, signature before shape
    "too large, even if forged": Case(b"x" * (LIMIT + 1), lambda b: {"x-ghl-signature": "AA=="},
                                      "ed", TooLarge(LIMIT + 1, LIMIT)),
    "forged garbage is 401, not a dead letter": Case(
        b"{not json", lambda b: {"x-ghl-signature": ed_sig(b"x")}, "ed",
        Unauthorized("webhook signature does not match the body")),
    "unsigned garbage is 401, not a dead letter": Case(b"{not json", none, "ed", UNSIGNED),
    "signed garbage is 400 and keeps its signature": shape(
        b"{not json", "body is not JSON: Expecting property name enclosed in double quotes at "
                      "line 1"),
    # shape: a JSON object with a non-blank string locationId
    "empty body": shape(b"", "body is not JSON: Expecting value at line 1"),
    "invalid utf-8": shape(b'{"locationId": "\xff"}', "body is not valid UTF-8 (byte 16)"),
    "utf-8 BOM (ingestion refuses it too)": shape(
        b"\xef\xbb\xbf" + GOOD, "body is not JSON: Unexpected UTF-8 BOM (decode using "
                                 "utf-8-sig) at line 1"),
    "json array": shape(b"[1, 2]", "body is a JSON list, not an object"),
    "json string": shape(b'"InboundMessage"', "body is a JSON str, not an object"),
    "no locationId": shape(inbound(locationId=...), "locationId is missing, not a string"),
    "null locationId": shape(inbound(locationId=None), "locationId is missing, not a string"),
    "numeric locationId": shape(inbound(locationId=42), "locationId is a JSON int, not a string"),
    "blank locationId": shape(inbound(locationId="  "), "locationId is blank"),
    "overlong locationId": shape(inbound(locationId="l" * 129),
                                 "locationId is 129 characters (at most 128)"),
    # the app's INSTALL / UNINSTALL: by location, or an agency's (no location) by company
    "install of a location": keyed(b'{"type": "INSTALL", "locationId": "l1", "companyId": "c1"}',
                                   "l1"),
    "install of an agency": keyed(b'{"type": "INSTALL", "companyId": "c1"}', "c1"),
    "uninstall of an agency, null location": keyed(
        b'{"type": "UNINSTALL", "locationId": null, "companyId": " c1 "}', "c1"),
    "install, blank location": keyed(b'{"type": "INSTALL", "locationId": " ", "companyId": "c1"}',
                                     "c1"),
    "install naming neither": shape(b'{"type": "INSTALL", "appId": "a"}',
                                    "locationId is missing, not a string"),
    "install, numeric company": shape(b'{"type": "INSTALL", "companyId": 7}',
                                      "locationId is missing, not a string"),
    "another type is not keyed by company": shape(
        b'{"type": "InboundMessage", "companyId": "c1"}', "locationId is missing, not a string"),
    "install, overlong company": shape(
        b'{"type": "INSTALL", "companyId": "' + b"c" * 129 + b'"}',
        "companyId is 129 characters (at most 128)"),
    # what ingestion judges is not the receiver's business: forwarded unchanged
    "unknown type, no timestamp": keyed(b'{"locationId": "l1", "type": "SomethingNew"}', "l1"),
    "no type at all": keyed(b'{"locationId": "l1"}', "l1"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_decide(name: str) -> None:
    case = CASES[name]
    headers: Mapping[str, str] = case.headers(case.body)
    got = decide(case.body, headers, max_bytes=LIMIT, verifier=verifier(case.keys))
    assert got == case.expect


# --- a tenant's workflow webhook URL: POST /webhooks/workflow/{tenant}/{token} ---------------

OTHER = "otherLocation00000001"
TOKEN = WORKFLOW.url_token(LOC)


def bound(body: bytes, location: str = LOC) -> Accept:
    return Accept(location, {"tenant-id": location,
                             WORKFLOW_HEADER: WORKFLOW.record_mac(location, body)}, "workflow")


WORKFLOW_CASES: dict[str, tuple[bytes, str, str, Decision]] = {
    # (body, the path's tenant, the path's token, decision)
    "its own tenant": (GOOD, LOC, TOKEN, bound(GOOD)),
    "no type, no timestamp (ingestion's call)": (
        b'{"locationId": "l1C08ntBrFjLS0elLIYU"}', LOC, TOKEN,
        bound(b'{"locationId": "l1C08ntBrFjLS0elLIYU"}')),
    "tenant A's URL, body claims tenant B": (
        inbound(locationId=OTHER), LOC, TOKEN,
        Unauthorized("the body's locationId is not this workflow URL's tenant")),
    "tenant A's token with tenant B in the path": (
        inbound(locationId=OTHER), OTHER, TOKEN,
        Unauthorized("not this tenant's workflow webhook URL")),
    "a wrong token": (GOOD, LOC, TOKEN[:-2] + "AA",
                      Unauthorized("not this tenant's workflow webhook URL")),
    "a token of another key": (GOOD, LOC, WorkflowKey(b"z" * 32).url_token(LOC),
                               Unauthorized("not this tenant's workflow webhook URL")),
    "a wrong token and garbage: 401, not a dead letter": (
        b"{junk", LOC, "x", Unauthorized("not this tenant's workflow webhook URL")),
    "a GHL signature does not stand in for the token": (
        GOOD, LOC, ed_sig(GOOD), Unauthorized("not this tenant's workflow webhook URL")),
    "too large, before the token": (b"x" * (LIMIT + 1), LOC, "x", TooLarge(LIMIT + 1, LIMIT)),
    "garbage with the right token: 400, dead-lettered as the tenant's": (
        b"[1]", LOC, TOKEN, Reject("body is a JSON list, not an object", {"tenant-id": LOC})),
    "no locationId": (inbound(locationId=...), LOC, TOKEN,
                      Reject("locationId is missing, not a string", {"tenant-id": LOC})),
    "an agency's INSTALL is no workflow webhook": (
        b'{"type": "INSTALL", "companyId": "c1"}', LOC, TOKEN,
        Reject("locationId is missing, not a string", {"tenant-id": LOC})),
    "the app's UNINSTALL never comes from a workflow, even of its own location": (
        b'{"type": "UNINSTALL", "locationId": "l1C08ntBrFjLS0elLIYU"}', LOC, TOKEN,
        Unauthorized("the app's INSTALL / UNINSTALL come signed from GHL, never from a "
                     "workflow")),
    "nor does its INSTALL": (
        b'{"type": "INSTALL", "locationId": "l1C08ntBrFjLS0elLIYU", "companyId": "c1"}', LOC,
        TOKEN, Unauthorized("the app's INSTALL / UNINSTALL come signed from GHL, never from "
                            "a workflow")),
    "a locationId that differs only in case": (
        inbound(locationId=LOC.upper()), LOC, TOKEN,
        Unauthorized("the body's locationId is not this workflow URL's tenant")),
}


@pytest.mark.parametrize("name", list(WORKFLOW_CASES))
def test_decide_workflow(name: str) -> None:
    body, tenant, token, expect = WORKFLOW_CASES[name]
    got = decide_workflow(body, tenant=tenant, token=token, max_bytes=LIMIT, key=WORKFLOW)
    assert got == expect


def test_a_workflow_acceptance_is_what_ingestion_accepts_and_nothing_else() -> None:
    accept = decide_workflow(GOOD, tenant=LOC, token=TOKEN, max_bytes=LIMIT, key=WORKFLOW)
    assert isinstance(accept, Accept)
    ingestion = verifier("ed rsa")
    assert ingestion.verify(GOOD, accept.headers, LOC) == "workflow"
    with pytest.raises(SignatureMismatchError):  # the binding is to these bytes and tenant
        ingestion.verify(inbound(body="changed"), accept.headers, LOC)
    with pytest.raises(SignatureMismatchError):
        ingestion.verify(GOOD, accept.headers, OTHER)


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
