"""Estimated cost per model family (list prices, documented as estimates)."""

from __future__ import annotations

import pytest

from workers.claude.pricing import Usage, estimate_cost, price_for


@pytest.mark.parametrize(("model", "inp", "out"), [
    ("claude-sonnet-4-6", 3.0, 15.0),
    ("claude-sonnet-4-5-20250929", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-5-haiku-20241022", 0.8, 4.0),
    ("claude-3-haiku-20240307", 0.25, 1.25),
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-6", 5.0, 25.0),
    ("claude-opus-4-1-20250805", 15.0, 75.0),
    ("claude-opus-4-20250514", 15.0, 75.0),
    ("claude-opus-4-0", 15.0, 75.0),
    ("some-future-model", 3.0, 15.0),
])
def test_price_families(model: str, inp: float, out: float) -> None:
    price = price_for(model)
    assert (price.input_per_mtok, price.output_per_mtok) == (inp, out)


def test_cost_counts_cache_writes_at_125_and_reads_at_10_percent() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000,
                  cache_read_tokens=2_000_000, cache_write_tokens=400_000)
    # sonnet: 3.00 input + 1.50 output + 0.60 read + 1.50 write
    assert estimate_cost("claude-sonnet-4-6", usage) == pytest.approx(6.60)
    assert estimate_cost("claude-sonnet-4-6", Usage()) == 0.0
