"""Fake Anthropic Messages API (`POST /v1/messages`) on loopback for tests, benchmarks, demo.

Speaks the real wire format (response, usage, error bodies, `request-id`, `retry-after`) so the
real `anthropic` SDK's parsing, retries and timeouts are exercised; replies are deterministic.
Run standalone with `python -m devtools.fakes.messages_api --port N`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import re
import string
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devtools.fakes.base import FakeServer, run_cli
from devtools.fakes.faults import Fault
from devtools.fakes.prompt_cache import PromptCache, estimate_tokens, message_text

ResponderResult = str | dict[str, Any]
Responder = Callable[[dict[str, Any]], ResponderResult | Awaitable[ResponderResult]]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    529: "Overloaded",
}
_ALPHABET = string.ascii_letters + string.digits


class BadRequest(Exception):
    """A request the real API would refuse with 400 invalid_request_error."""


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return " ".join(message_text(message).split())
    return ""


def default_reply(body: dict[str, Any]) -> str:
    """Deterministic text that quotes the last user turn, so tests can see the context was used
    (without its `<tag>` delimiters: a real model does not echo the prompt's markup, and the
    responder's reply check holds a draft that does)."""
    said = " ".join(re.sub(r"</?[A-Za-z_][\w-]*>", " ", last_user_text(body)).split())
    snippet = said if len(said) <= 80 else said[:77] + "..."
    turns = len(body.get("messages") or [])
    return f'You said: "{snippet}". Happy to help with that. (turns: {turns})'


def default_tool_input(schema: dict[str, Any], hint: str) -> Any:
    """Minimal value satisfying a JSON schema: enum/const/default first, strings get `hint`."""
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: dict[str, Any] = schema.get("properties") or {}
        names = schema.get("required") or list(props)
        return {n: default_tool_input(props.get(n, {}), hint) for n in names}
    simple: dict[str, Any] = {
        "array": [],
        "integer": int(schema.get("minimum", 0)),
        "number": schema.get("minimum", 0),
        "boolean": False,
        "null": None,
    }
    return simple.get(kind, hint)


def forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool definition the request forces (`tool_choice` type `tool`, or `any`)."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    choice = body.get("tool_choice") or {}
    if not tools or not isinstance(choice, dict):
        return None
    if choice.get("type") == "tool":
        match = next((t for t in tools if t.get("name") == choice.get("name")), None)
        if match is None:
            raise BadRequest(f"tool_choice names unknown tool {choice.get('name')!r}")
        return match
    return tools[0] if choice.get("type") == "any" else None


def validate(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model: Field required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        raise BadRequest("max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages: at least one message is required")
    if body.get("stream"):
        raise BadRequest("stream=true is not supported by the fake Messages API")
    return body


@dataclass(kw_only=True, eq=False)
class FakeMessagesAPI(FakeServer):
    """Fake `POST /v1/messages`. `api_key` None accepts any key but still requires one."""

    responder: Responder | None = None
    cache_min_tokens: int = 1024
    api_key: str | None = None
    cache: PromptCache = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.cache = PromptCache(min_tokens=self.cache_min_tokens)
        self._ids = random.Random(self.seed)

    def new_id(self, prefix: str) -> str:
        return prefix + "01" + "".join(self._ids.choices(_ALPHABET, k=22))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._messages)

    def reset(self) -> None:
        super().reset()
        self.cache.clear()

    def apply_control(self, data: dict[str, Any]) -> None:
        super().apply_control(data)
        if "cache_min_tokens" in data:
            self.cache.min_tokens = self.cache_min_tokens = int(data["cache_min_tokens"])

    def error(
        self, status: int, message: str, error_type: str | None = None, **headers: str
    ) -> web.Response:
        request_id = self.new_id("req_")
        body = {
            "type": "error",
            "error": {
                "type": error_type or ERROR_TYPES.get(status, "api_error"),
                "message": message,
            },
            "request_id": request_id,
        }
        return web.json_response(body, status=status, headers={"request-id": request_id, **headers})

    def fault_response(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        status = fault.status or 500
        headers: dict[str, str] = {}
        retry_after = (
            fault.retry_after if fault.retry_after is not None else (1.0 if status == 429 else None)
        )
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
        message = fault.message or ERROR_MESSAGES.get(status, "Injected fault")
        return self.error(status, message, fault.error_type, **headers)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        headers = request.headers
        presented = headers.get("x-api-key") or headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        if not presented:
            return self.error(401, "x-api-key header is required")
        if self.api_key is not None and presented != self.api_key:
            return self.error(401, "invalid x-api-key")
        if "anthropic-version" not in headers:
            return self.error(400, "anthropic-version: header is required")
        try:
            raw = json.loads(await request.text())
        except ValueError:
            return self.error(400, "There was an error parsing the body of your request")
        try:
            body = validate(raw)
            content, stop_reason, out_tokens = await self._reply(body)
        except BadRequest as exc:
            return self.error(400, str(exc))
        usage = {**self.cache.account(body), "output_tokens": out_tokens}
        request_id = self.new_id("req_")
        message = {
            "id": self.new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        return web.json_response(message, headers={"request-id": request_id})

    async def _respond(self, body: dict[str, Any]) -> ResponderResult | None:
        if self.responder is None:
            return None
        result = self.responder(body)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _reply(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
        tool = forced_tool(body)
        result = await self._respond(body)
        if tool is not None:
            if isinstance(result, str):
                result = json.loads(result)  # a test responder bug should fail loudly (500)
            tool_input = (
                result
                if result is not None
                else default_tool_input(tool.get("input_schema") or {}, last_user_text(body)[:80])
            )
            block = {
                "type": "tool_use",
                "id": self.new_id("toolu_"),
                "name": tool["name"],
                "input": tool_input,
            }
            return [block], "tool_use", max(1, estimate_tokens(json.dumps(tool_input)))
        if result is None:
            text = default_reply(body)
        else:
            text = result if isinstance(result, str) else json.dumps(result)
        out_tokens, stop_reason = max(1, estimate_tokens(text)), "end_turn"
        limit = body["max_tokens"]
        if out_tokens > limit:
            text, out_tokens, stop_reason = text[: limit * 4], limit, "max_tokens"
        return [{"type": "text", "text": text}], stop_reason, out_tokens


def main(argv: Sequence[str] | None = None) -> None:
    def add_args(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cache-min-tokens", type=int, default=1024)
        parser.add_argument("--api-key", default=None, help="only accept this key (default: any)")

    run_cli(
        argv,
        "Fake Anthropic Messages API",
        lambda a: FakeMessagesAPI(
            host=a.host,
            port=a.port,
            seed=a.seed,
            cache_min_tokens=a.cache_min_tokens,
            api_key=a.api_key,
        ),
        add_args,
    )


if __name__ == "__main__":
    main()
