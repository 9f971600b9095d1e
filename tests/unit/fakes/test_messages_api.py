"""The fake Messages API, driven through the real `anthropic.AsyncAnthropic` client.

These pin the wire behaviour the rest of the project relies on: SDK retries on 429/529,
the exceptions it raises, timeouts, cache accounting and forced tool use.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, MessageParam, TextBlock, ToolParam, ToolUseBlock

from devtools.fakes.faults import Fault
from devtools.fakes.messages_api import FakeMessagesAPI

MODEL = "claude-test-model"
QUESTION = "Hi, I'm looking for a 3-bedroom house near Austin."
USER: list[MessageParam] = [{"role": "user", "content": QUESTION}]


def text_of(msg: Message) -> str:
    block = msg.content[0]
    assert isinstance(block, TextBlock)
    return block.text


def tool_use_of(msg: Message) -> ToolUseBlock:
    block = msg.content[0]
    assert isinstance(block, ToolUseBlock)
    return block


@pytest.fixture
async def server() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI() as srv:
        yield srv


@pytest.fixture
async def client(server: FakeMessagesAPI) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk = anthropic.AsyncAnthropic(api_key="test", base_url=server.base_url, max_retries=2)
    yield sdk
    await sdk.close()


async def test_normal_call_returns_text_usage_and_records_headers(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    msg = await client.messages.create(model=MODEL, max_tokens=200, messages=USER)

    assert msg.type == "message" and msg.role == "assistant" and msg.model == MODEL
    assert msg.id.startswith("msg_") and msg.stop_reason == "end_turn"
    assert "3-bedroom house near Austin" in text_of(msg)
    assert msg.usage.input_tokens == math.ceil(len(QUESTION) / 4)
    assert msg.usage.output_tokens > 0
    assert msg.usage.cache_creation_input_tokens == 0 and msg.usage.cache_read_input_tokens == 0
    assert msg._request_id is not None and msg._request_id.startswith("req_")

    (req,) = server.requests
    assert req.path == "/v1/messages" and req.status == 200
    assert req.body["messages"] == USER and req.body["max_tokens"] == 200
    # anthropic 2.x sends the API key as a Bearer token, not x-api-key.
    assert req.headers["authorization"] == "Bearer test"
    assert req.headers["anthropic-version"]


async def test_429_then_success_is_retried_by_sdk(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    server.inject(Fault(status=429, retry_after=0.01))

    msg = await client.messages.create(model=MODEL, max_tokens=50, messages=USER)

    assert text_of(msg)
    assert [r.status for r in server.requests] == [429, 200]
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


async def test_529_beyond_max_retries_raises_overloaded(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    server.inject(Fault(status=529, retry_after=0.01, times=3))

    with pytest.raises(anthropic.OverloadedError) as info:
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)

    err = info.value
    assert isinstance(err, anthropic.InternalServerError)
    assert isinstance(err, anthropic.APIStatusError)
    assert err.status_code == 529 and err.type == "overloaded_error"
    assert err.request_id is not None
    assert len(server.requests) == 3  # 1 + max_retries


async def test_500_error_body_shape(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    server.inject(Fault(status=500, message="boom"))

    with pytest.raises(anthropic.InternalServerError) as info:
        await client.with_options(max_retries=0).messages.create(
            model=MODEL, max_tokens=50, messages=USER
        )

    assert info.value.body == {
        "type": "error",
        "error": {"type": "api_error", "message": "boom"},
        "request_id": info.value.request_id,
    }


async def test_delay_beyond_timeout_raises_api_timeout(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    server.inject(Fault(delay=5.0))

    with pytest.raises(anthropic.APITimeoutError):
        await client.with_options(timeout=0.3, max_retries=0).messages.create(
            model=MODEL, max_tokens=50, messages=USER
        )
    assert len(server.requests) == 1


async def test_malformed_json_surfaces_as_decode_error(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    # Worth knowing for callers: the SDK lets a non-JSON 200 escape as a plain ValueError.
    server.inject(Fault(malformed=True))

    with pytest.raises(json.JSONDecodeError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)


def _cached_system(text: str) -> list[Any]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]


async def test_identical_cached_prefix_is_read_from_cache_second_time(
    client: anthropic.AsyncAnthropic,
) -> None:
    system = _cached_system("You are a helpful real-estate assistant. " * 200)  # ~2050 tokens

    first = await client.messages.create(model=MODEL, max_tokens=50, system=system, messages=USER)
    second = await client.messages.create(model=MODEL, max_tokens=50, system=system, messages=USER)

    assert first.usage.cache_creation_input_tokens == 2050
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == 2050
    assert second.usage.cache_creation_input_tokens == 0
    assert first.usage.input_tokens == second.usage.input_tokens > 0

    other_model = await client.messages.create(
        model="other-model", max_tokens=50, system=system, messages=USER
    )
    assert other_model.usage.cache_read_input_tokens == 0  # caches are per model


async def test_prefix_below_minimum_is_not_cached(client: anthropic.AsyncAnthropic) -> None:
    system = _cached_system("Short system prompt.")

    for _ in range(2):
        msg = await client.messages.create(model=MODEL, max_tokens=50, system=system, messages=USER)
        assert msg.usage.cache_creation_input_tokens == 0
        assert msg.usage.cache_read_input_tokens == 0


async def test_forced_tool_use_returns_tool_use_block(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    tool: ToolParam = {
        "name": "extract_facts",
        "description": "Extract durable facts about the lead.",
        "input_schema": {
            "type": "object",
            "properties": {
                "facts": {"type": "array", "items": {"type": "string"}},
                "intent": {"type": "string", "enum": ["buy", "sell", "rent"]},
            },
            "required": ["facts", "intent"],
        },
    }
    choice: Any = {"type": "tool", "name": "extract_facts"}

    default = await client.messages.create(
        model=MODEL, max_tokens=200, messages=USER, tools=[tool], tool_choice=choice
    )
    assert default.stop_reason == "tool_use"
    block = tool_use_of(default)
    assert block.name == "extract_facts"
    assert block.id.startswith("toolu_")
    assert block.input == {"facts": [], "intent": "buy"}  # derived from the schema

    seen: list[dict[str, Any]] = []

    def responder(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body)
        return {"facts": ["wants 3 bedrooms"], "intent": "buy"}

    server.responder = responder
    custom = await client.messages.create(
        model=MODEL, max_tokens=200, messages=USER, tools=[tool], tool_choice=choice
    )
    assert tool_use_of(custom).input == {
        "facts": ["wants 3 bedrooms"],
        "intent": "buy",
    }
    assert seen[0]["tool_choice"] == choice


async def test_text_responder_overrides_reply(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    async def responder(body: dict[str, Any]) -> str:
        return f"{len(body['messages'])} turns seen"

    server.responder = responder
    msg = await client.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert text_of(msg) == "1 turns seen"


async def test_missing_api_key_and_bad_body_are_rejected(server: FakeMessagesAPI) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        no_key = await http.post("/v1/messages", json={}, headers={"anthropic-version": "x"})
        headers = {"x-api-key": "k", "anthropic-version": "x"}
        bad = await http.post("/v1/messages", json={"model": MODEL}, headers=headers)
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "authentication_error"
    assert bad.status_code == 400
    assert bad.json()["type"] == "error"
    assert bad.json()["error"]["type"] == "invalid_request_error"


async def test_control_endpoint_scripts_faults_and_burst(
    server: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        resp = await http.post(
            "/_control", json={"faults": [{"status": 500, "retry_after": 0.01, "times": 2}]}
        )
        assert resp.status_code == 200 and resp.json()["pending_faults"] == 2

        with pytest.raises(anthropic.InternalServerError):
            await client.with_options(max_retries=1).messages.create(
                model=MODEL, max_tokens=50, messages=USER
            )

        burst = {"probability": 1.0, "fault": {"status": 529, "retry_after": 0.01}}
        await http.post("/_control", json={"burst": burst})
        with pytest.raises(anthropic.OverloadedError):
            await client.with_options(max_retries=1).messages.create(
                model=MODEL, max_tokens=50, messages=USER
            )

        state = (await http.post("/_control", json={"burst": None})).json()
        assert state["burst"] is None and state["request_count"] == 4
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)

        bad = await http.post("/_control", json={"faults": [{"sttaus": 500}]})
        assert bad.status_code == 400

        state = (await http.post("/_control", json={"reset": True})).json()
        assert state["request_count"] == 0 and server.requests == []


async def test_burst_is_deterministic_for_a_seed() -> None:
    outcomes = []
    for _ in range(2):
        async with FakeMessagesAPI(seed=7) as srv:
            srv.burst(0.5, Fault(status=500))
            async with httpx.AsyncClient(base_url=srv.base_url) as http:
                headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
                body = {"model": MODEL, "max_tokens": 5, "messages": USER}
                statuses = [
                    (await http.post("/v1/messages", json=body, headers=headers)).status_code
                    for _ in range(20)
                ]
        outcomes.append(statuses)
    assert outcomes[0] == outcomes[1]
    assert {200, 500} == set(outcomes[0])


async def test_standalone_process_serves_requests() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "devtools.fakes.messages_api", "--port", "0",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        sdk = anthropic.AsyncAnthropic(api_key="test", base_url=base_url, max_retries=0)
        try:
            msg = await sdk.messages.create(model=MODEL, max_tokens=50, messages=USER)
        finally:
            await sdk.close()
        assert "Austin" in text_of(msg)
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
