"""`leadmem bench pipeline`'s ratios to the machine's raw rates, with no raw rate too."""

from __future__ import annotations

import pytest

from devtools.bench.pipeline import ratio


@pytest.mark.parametrize(("pipeline", "machine", "expected"), [
    (150.0, 600.0, 0.25),
    (1.0, 3.0, 0.3333),
    (120.0, 0.0, None),  # a backlog of contacts only: no message rows, no raw Postgres rate
    (0.0, 0.0, None),
])
def test_ratio(pipeline: float, machine: float, expected: float | None) -> None:
    assert ratio(pipeline, machine) == expected
