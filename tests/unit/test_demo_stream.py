"""The demo's sample stream must tell a new story each run: ingestion recognises a repeated
delivery by its webhookId or, without one, by its exact bytes, so any valid delivery that
repeated the previous run's bytes would be dropped as a retry and the demo would miss it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from devtools.demo.stream import build_stream


def test_a_second_run_repeats_no_valid_delivery_of_the_first() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    first = {d.value for d in build_stream(now) if d.valid}
    second = [d for d in build_stream(now + timedelta(seconds=1)) if d.valid]
    assert [d.label for d in second if d.value in first] == []


def test_within_a_run_only_the_retried_delivery_repeats() -> None:
    repeated = [v for v, n in Counter(d.value for d in build_stream() if d.valid).items()
                if n > 1]
    assert len(repeated) == 1 and b"what are prices like in cary" in repeated[0]
