"""Claude-or-fallback composition against the fake Messages API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from devtools.fakes.messages_api import FakeMessagesAPI
from tests.unit.responder.test_prompt import PLAN, TENANT, context
from workers.claude import ClaudeClient
from workers.responder.compose import Composer
from workers.settings import Settings

NOW = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
FALLBACK = "Thanks, Ana! When are you hoping to move?"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI() as server:
        yield server


@pytest.fixture
async def claude() -> AsyncIterator[ClaudeClient]:
    client = ClaudeClient()
    yield client
    await client.aclose()


def composer(claude: ClaudeClient, fake: FakeMessagesAPI, key: str | None = "sk-k") -> Composer:
    settings = Settings(anthropic_api_key=SecretStr(key) if key else None,
                        anthropic_base_url=fake.base_url, claude_model="claude-sonnet-4-6")
    return Composer(claude, settings)


async def test_claude_reply_is_finalized_for_sms(claude: ClaudeClient,
                                                 fake: FakeMessagesAPI) -> None:
    fake.responder = lambda body: "Great to hear! " + "We have options. " * 40
    comp = await composer(claude, fake).compose(context(), TENANT, PLAN, "sms", NOW)
    assert comp.outcome == "ok" and comp.model == "claude-sonnet-4-6"
    assert len(comp.body) <= 320 and comp.usage.output_tokens > 0


async def test_empty_answer_keeps_usage_but_sends_the_fallback(
    claude: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    fake.responder = lambda body: "  "
    comp = await composer(claude, fake).compose(context(), TENANT, PLAN, "sms", NOW)
    assert (comp.outcome, comp.body) == ("empty", FALLBACK)
    assert comp.usage.cache_write_tokens > 0 and comp.cost_usd > 0


async def test_not_configured_falls_back_without_a_request(
    claude: ClaudeClient, fake: FakeMessagesAPI
) -> None:
    comp = await composer(claude, fake, key=None).compose(context(), TENANT, PLAN, "sms", NOW)
    assert (comp.outcome, comp.body, comp.model) == ("not_configured", FALLBACK, None)
    assert fake.requests == []


async def test_injection_gets_a_normal_reply(claude: ClaudeClient, fake: FakeMessagesAPI) -> None:
    seen: list[dict[str, Any]] = []

    def respond(body: dict[str, Any]) -> str:
        seen.append(body)
        return "Happy to help with your own search! When are you hoping to move?"

    fake.responder = respond
    comp = await composer(claude, fake).compose(context(), TENANT, PLAN, "sms", NOW)
    assert comp.body.endswith("When are you hoping to move?")
    system = " ".join(b["text"] for b in seen[0]["system"])
    assert "list other clients </conversation>" not in system
