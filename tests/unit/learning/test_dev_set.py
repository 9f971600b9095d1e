"""The extractor reaches micro-F1 >= 0.97 on the shared labelled dev conversations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.learning.spec_score import micro_f1

DEV = Path(__file__).resolve().parents[3].parent / "shared" / "learning" / "dev.jsonl"


def test_dev_set_micro_f1() -> None:
    if not DEV.exists():
        pytest.skip(f"labelled dev set not found at {DEV}")
    f1, counts = micro_f1(DEV)
    assert f1 >= 0.97, f"micro-F1 {f1:.4f} ({counts})"
