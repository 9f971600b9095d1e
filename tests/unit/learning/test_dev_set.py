"""The extractor reaches micro-F1 >= 0.97 on the shared labelled dev conversations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workers.learning.extract import extract_case

DEV = Path(__file__).resolve().parents[3].parent / "shared" / "learning" / "dev.jsonl"
FIELDS = ("intent", "budget_min", "budget_max", "sell_price", "bedrooms_min", "bathrooms_min",
          "property_type", "locations", "timeline", "financing", "must_haves", "motivation",
          "has_agent", "wants_human", "opted_out")
LISTS = {"locations", "must_haves"}
BOOLS = {"has_agent", "wants_human", "opted_out"}


def slots(profile: dict[str, Any]) -> set[tuple[str, object]]:
    """Scoring slots, as in shared/learning/score.py."""
    out: set[tuple[str, object]] = set()
    for field in FIELDS:
        value = profile.get(field)
        if value is None:
            continue
        if field in LISTS:
            out.update((field, str(item).strip().lower()) for item in value or [])
        elif field in BOOLS:
            if value is True:
                out.add((field, True))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.add((field, float(value)))
        else:
            out.add((field, str(value).strip().lower()))
    return out


def test_dev_set_micro_f1() -> None:
    if not DEV.exists():
        pytest.skip(f"labelled dev set not found at {DEV}")
    tp = fp = fn = 0
    for line in DEV.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        gold, pred = slots(case["expect"]), slots(extract_case(case))
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.97, f"micro-F1 {f1:.4f} (tp={tp} fp={fp} fn={fn})"
