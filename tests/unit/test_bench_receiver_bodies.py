"""The receiver bench's request bodies (`devtools/bench/receiver_load.py`): valid GHL
InboundMessages, one webhookId each, locationIds round-robin; and wrk's Lua script builds
the same bytes from the same pieces."""

from __future__ import annotations

import json
import re

from devtools.bench.receiver_load import Bodies, lua_script
from schemas.ghl import MessageWebhook, parse_webhook


def test_each_body_is_a_valid_inbound_message_with_its_own_ids() -> None:
    bodies = Bodies("t1", tenants=3)
    template = bodies.template()
    rendered = [bodies.render(template, thread, n) for thread in (0, 1) for n in range(4)]
    events = [json.loads(raw) for _, raw in rendered]
    for (key, _), event in zip(rendered, events, strict=True):
        parsed = parse_webhook(event)
        assert isinstance(parsed, MessageWebhook) and parsed.type == "InboundMessage"
        assert event["locationId"] == key
    assert len({e["webhookId"] for e in events}) == len({e["messageId"] for e in events}) == 8
    assert [k for k, _ in rendered[:4]] == ["bench-t1-loc0000", "bench-t1-loc0001",
                                           "bench-t1-loc0002", "bench-t1-loc0000"]


def test_the_lua_script_concatenates_the_template_around_the_same_ids() -> None:
    bodies = Bodies("t1", tenants=3)
    template = bodies.template()
    closed = lua_script(bodies, template, rate_per_thread=None)
    paced = lua_script(bodies, template, rate_per_thread=500.0)
    assert "function delay()" not in closed and "function delay()" in paced
    assert "local interval_us = 2000.0" in paced
    # the literal pieces, in order, are the template's without its placeholders
    pieces = re.findall(r"\[==\[(.*?)\]==\]", closed, re.DOTALL)
    assert "".join(pieces) == re.sub(r"@@(LOC|WH|MSG)@@", "", template)
    assert '"wh-t1-" .. id .. "-" .. n' in closed and "i % 3" in closed
