"""Calling Claude for any worker: per-tenant clients, bounded retries, a circuit breaker,
usage, latency and cost. The responder drafts replies with it; the learning worker can reuse
it for structured extraction (pass `tools` / `tool_choice` to `ClaudeClient.create`).
"""

from workers.claude.breaker import BreakerRegistry, CircuitBreaker
from workers.claude.client import ClaudeClient, ClaudeResult, ClaudeUnavailableError, text_of
from workers.claude.config import ClaudeConfig, resolve_config
from workers.claude.pricing import Usage, estimate_cost

__all__ = [
    "BreakerRegistry",
    "CircuitBreaker",
    "ClaudeClient",
    "ClaudeConfig",
    "ClaudeResult",
    "ClaudeUnavailableError",
    "Usage",
    "estimate_cost",
    "resolve_config",
    "text_of",
]
