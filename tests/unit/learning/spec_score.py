"""Micro-F1 over SPEC slots, as shared/learning/score.py computes it, for the set tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workers.learning.extract import extract_case

FIELDS = ("intent", "budget_min", "budget_max", "sell_price", "bedrooms_min", "bathrooms_min",
          "property_type", "locations", "timeline", "financing", "must_haves", "motivation",
          "has_agent", "wants_human", "opted_out")
LISTS = {"locations", "must_haves"}
BOOLS = {"has_agent", "wants_human", "opted_out"}


def slots(profile: dict[str, Any]) -> set[tuple[str, object]]:
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


def micro_f1(path: Path) -> tuple[float, str]:
    """The extractor's micro-F1 on a labelled JSONL file, and its tp/fp/fn counts."""
    tp = fp = fn = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        gold, pred = slots(case["expect"]), slots(extract_case(case))
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return 2 * tp / (2 * tp + fp + fn), f"tp={tp} fp={fp} fn={fn}"
