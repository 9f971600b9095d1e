"""Deterministic token accounting and prompt-cache simulation for the fake Messages API.

Mirrors the real API's rules closely enough for cost/caching tests: ~4 characters per token,
the cached prefix runs tools -> system -> messages up to a `cache_control` breakpoint, prefixes
shorter than the minimum are never cached, and a hit reads the longest previously written prefix.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EPHEMERAL_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def estimate_tokens(text: str) -> int:
    """≈ len/4, at least 1 for non-empty text (the real tokenizer never bills 0 for content)."""
    return math.ceil(len(text) / 4) if text else 0


def block_text(block: Any) -> str:
    """The billable text of one content block (text, tool input/result, else its JSON)."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return json.dumps(block, sort_keys=True, default=str)
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "".join(block_text(b) for b in content)
        return str(content)
    rest = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(rest, sort_keys=True, default=str)


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    return "\n".join(
        block_text(b) for b in content if isinstance(b, dict) and b.get("type") != "image"
    )


@dataclass(frozen=True)
class Segment:
    """A cacheable unit of the prompt: its identity text, size and optional breakpoint TTL."""

    key: str
    tokens: int
    breakpoint_ttl: float | None


def _ttl(cache_control: Any) -> float | None:
    if isinstance(cache_control, dict) and cache_control.get("type") == "ephemeral":
        return EPHEMERAL_TTL_SECONDS.get(str(cache_control.get("ttl", "5m")), 300.0)
    return None


def segments(body: dict[str, Any]) -> list[Segment]:
    """Flatten the request into ordered segments: tools, system blocks, message blocks."""
    out: list[Segment] = []
    for tool in body.get("tools") or []:
        text = block_text(tool)
        out.append(Segment(f"tool:{text}", estimate_tokens(text), _ttl(tool.get("cache_control"))))
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        text = block_text(block)
        ttl = _ttl(block.get("cache_control")) if isinstance(block, dict) else None
        out.append(Segment(f"system:{text}", estimate_tokens(text), ttl))
    for message in body.get("messages") or []:
        role = message.get("role", "user")
        content = message.get("content", "")
        for block in [content] if isinstance(content, str) else content:
            text = block_text(block)
            ttl = _ttl(block.get("cache_control")) if isinstance(block, dict) else None
            out.append(Segment(f"{role}:{text}", estimate_tokens(text), ttl))
    top = _ttl(body.get("cache_control"))  # automatic caching: breakpoint on the last block
    if top is not None and out and out[-1].breakpoint_ttl is None:
        out[-1] = Segment(out[-1].key, out[-1].tokens, top)
    return out


class PromptCache:
    """Per-server cache of prefix hashes -> expiry; `account` returns the usage split."""

    def __init__(self, min_tokens: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_tokens = min_tokens
        self.clock = clock
        self._entries: dict[str, float] = {}

    def clear(self) -> None:
        self._entries.clear()

    def account(self, body: dict[str, Any]) -> dict[str, int]:
        segs = segments(body)
        hasher = hashlib.sha256(str(body.get("model", "")).encode())  # caches are per model
        total = 0
        breakpoints: list[tuple[str, int, float]] = []  # (prefix hash, cumulative tokens, ttl)
        for seg in segs:
            hasher.update(seg.key.encode())
            hasher.update(b"\x00")
            total += seg.tokens
            if seg.breakpoint_ttl is not None and total >= self.min_tokens:
                breakpoints.append((hasher.hexdigest(), total, seg.breakpoint_ttl))
        now = self.clock()
        read = 0
        for digest, upto, ttl in reversed(breakpoints):
            if self._entries.get(digest, -1.0) > now:
                read = upto
                self._entries[digest] = now + ttl  # a hit refreshes the TTL
                break
        written = read
        for digest, upto, ttl in breakpoints:
            if upto > read:
                self._entries[digest] = now + ttl
                written = max(written, upto)
        return {
            "input_tokens": total - written,
            "cache_creation_input_tokens": written - read,
            "cache_read_input_tokens": read,
        }
