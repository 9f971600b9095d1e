"""Workflow webhook URLs and record bindings: derived statelessly from one secret, distinct per
tenant, per body and per purpose, and refused without a usable key."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from workers.errors import ConfigurationError
from workers.ingestion.workflow import (
    MIN_KEY_CHARS,
    WORKFLOW_ROUTE,
    WorkflowKey,
    webhook_path,
    webhook_url,
)

KEY = WorkflowKey(b"s" * 32)
BODY = b'{"type": "InboundMessage", "locationId": "loc1"}'


def test_the_url_token_is_hmac_sha256_of_the_tenant_under_the_key() -> None:
    expected = hmac.new(b"s" * 32, b"leadmem workflow webhook url v1\x00loc1",
                        hashlib.sha256).digest()
    assert KEY.url_token("loc1") == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()
    assert len(KEY.url_token("loc1")) == 43  # 256 bits, URL-safe, no padding


def test_tokens_differ_by_tenant_and_key_and_are_stable() -> None:
    assert KEY.url_token("loc1") == WorkflowKey(b"s" * 32).url_token("loc1")
    assert KEY.url_token("loc1") != KEY.url_token("loc2")
    assert KEY.url_token("loc1") != WorkflowKey(b"t" * 32).url_token("loc1")


@pytest.mark.parametrize(("tenant", "token", "ok"), [
    ("loc1", KEY.url_token("loc1"), True),
    ("loc2", KEY.url_token("loc1"), False),  # tenant A's URL with tenant B in the path
    ("loc1", KEY.url_token("loc1")[:-1], False),
    ("loc1", KEY.url_token("loc1") + "A", False),
    ("loc1", "", False),
    ("loc1", "é", False),
    ("loc1", KEY.record_mac("loc1", BODY), False),  # a record's binding is no URL token
])
def test_token_matches(tenant: str, token: str, ok: bool) -> None:
    assert KEY.token_matches(tenant, token) is ok


def test_the_record_binding_covers_the_tenant_and_the_exact_bytes() -> None:
    mac = KEY.record_mac("loc1", BODY)
    assert KEY.record_matches("loc1", BODY, mac)
    assert KEY.record_matches("loc1", BODY, f" {mac}\n")  # header whitespace
    assert not KEY.record_matches("loc2", BODY, mac)
    assert not KEY.record_matches("loc1", BODY + b" ", mac)
    assert not KEY.record_matches("loc1", BODY, KEY.url_token("loc1"))
    assert not WorkflowKey(b"t" * 32).record_matches("loc1", BODY, mac)
    # the separator keeps (tenant, body) pairs apart
    assert KEY.record_mac("loc", b"1" + BODY) != KEY.record_mac("loc1", BODY)


def test_the_url_and_path() -> None:
    token = KEY.url_token("loc1")
    assert webhook_path(KEY, "loc1") == f"/webhooks/workflow/loc1/{token}"
    assert WORKFLOW_ROUTE == "/webhooks/workflow/{tenant}/{token}"
    for base in ("https://hooks.example.com", "https://hooks.example.com/"):
        assert webhook_url(base, KEY, "loc1") == \
            f"https://hooks.example.com/webhooks/workflow/loc1/{token}"
    assert webhook_url("https://example.com/lm", KEY, "loc1").startswith(
        "https://example.com/lm/webhooks/workflow/loc1/")


@pytest.mark.parametrize("unset", [None, "", "   "])
def test_no_key_is_none(unset: str | None) -> None:
    assert WorkflowKey.from_setting(unset) is None


def test_a_short_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=f"at least {MIN_KEY_CHARS}"):
        WorkflowKey.from_setting("x" * (MIN_KEY_CHARS - 1))
    assert WorkflowKey.from_setting(f" {'x' * MIN_KEY_CHARS}\n") == \
        WorkflowKey(b"x" * MIN_KEY_CHARS)


def test_the_secret_is_not_in_the_repr() -> None:
    assert "sss" not in repr(KEY)
