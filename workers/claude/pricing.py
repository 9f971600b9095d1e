"""Token usage and estimated cost per call.

Prices are list prices in USD per million tokens by model family, as published by Anthropic
when this table was written: they are ESTIMATES for dashboards and budgets, not invoices
(discounts, batch pricing, long-context surcharges, 1-hour cache writes and price changes are
not modelled). Cache writes (5-minute TTL) bill at 1.25x input, cache reads at 0.1x input.
An unknown model is priced as a Sonnet, the family the project defaults to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float


# First match wins: the older, pricier Opus generations before the newer ones.
PRICES: tuple[tuple[re.Pattern[str], Price], ...] = (
    (re.compile(r"opus-4(-[01])?(-\d{8})?$|opus-4-1|claude-3-opus"), Price(15.0, 75.0)),
    (re.compile(r"opus"), Price(5.0, 25.0)),
    (re.compile(r"sonnet"), Price(3.0, 15.0)),
    (re.compile(r"claude-3-haiku"), Price(0.25, 1.25)),
    (re.compile(r"claude-3-5-haiku"), Price(0.80, 4.0)),
    (re.compile(r"haiku"), Price(1.0, 5.0)),
)
DEFAULT_PRICE = Price(3.0, 15.0)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


def price_for(model: str) -> Price:
    for pattern, price in PRICES:
        if pattern.search(model):
            return price
    return DEFAULT_PRICE


def estimate_cost(model: str, usage: Usage) -> float:
    """Estimated USD cost of one call (see the module docstring for what is not modelled)."""
    p = price_for(model)
    per_input = p.input_per_mtok / 1_000_000
    return round(
        usage.input_tokens * per_input
        + usage.cache_write_tokens * per_input * CACHE_WRITE_FACTOR
        + usage.cache_read_tokens * per_input * CACHE_READ_FACTOR
        + usage.output_tokens * p.output_per_mtok / 1_000_000,
        6,
    )
