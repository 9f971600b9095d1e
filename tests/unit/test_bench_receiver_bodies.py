"""The receiver bench's request bodies (`devtools/bench/receiver_load.py`): a pool of valid GHL
InboundMessages, one webhookId each, locationIds round-robin, each signed as GHL signs it; and
wrk's Lua script cycles through exactly those bytes and signatures."""

from __future__ import annotations

import json
import re

from devtools.bench.receiver_load import Bodies, lua_script
from devtools.signing import PUBLIC_PEM
from schemas.ghl import MessageWebhook, parse_webhook
from workers.ingestion.signatures import ED25519_HEADER, SignatureVerifier


def test_each_body_is_a_valid_signed_inbound_message_with_its_own_ids() -> None:
    bodies = Bodies("t1", tenants=3, pool=8)
    pool = bodies.signed(bodies.template())
    events = [json.loads(item.body) for item in pool]
    verifier = SignatureVerifier.from_settings(PUBLIC_PEM, None)
    for item, event in zip(pool, events, strict=True):
        parsed = parse_webhook(event)
        assert isinstance(parsed, MessageWebhook) and parsed.type == "InboundMessage"
        assert event["locationId"] == item.location
        assert verifier.verify(item.body, {ED25519_HEADER: item.signature}) == "verified"
    assert len({e["webhookId"] for e in events}) == len({e["messageId"] for e in events}) == 8
    assert [item.location for item in pool[:4]] == ["bench-t1-loc0000", "bench-t1-loc0001",
                                                    "bench-t1-loc0002", "bench-t1-loc0000"]


def test_the_lua_script_cycles_through_the_pool_s_bytes_and_signatures() -> None:
    bodies = Bodies("t1", tenants=3, pool=5)
    pool = bodies.signed(bodies.template())
    closed = lua_script(pool, rate_per_thread=None)
    paced = lua_script(pool, rate_per_thread=500.0)
    assert "function delay()" not in closed and "function delay()" in paced
    assert "local interval_us = 2000.0" in paced
    assert re.findall(r"\[==\[(.*?)\]==\]", closed, re.DOTALL) == [i.body.decode() for i in pool]
    assert all(f'"{item.signature}"' in closed for item in pool)
    assert "local pool = 5" in closed and "n % pool + 1" in closed
    assert '["X-GHL-Signature"] = signatures[i]' in closed
