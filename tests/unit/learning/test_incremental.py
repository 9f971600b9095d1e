"""Continuing a lead's reading gives exactly what reading the whole conversation gives."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from workers.learning.extract.case import parse_now
from workers.learning.extract.model import Area, Message
from workers.learning.extract.pipeline import extract_profile_with_sources
from workers.learning.incremental import IncrementalExtractor

HERE = Path(__file__).resolve().parent
DEV = HERE.parents[2].parent / "shared" / "learning" / "dev.jsonl"


def cases() -> list[dict]:
    found = [json.loads(line) for line in (HERE / "heldout.jsonl").read_text().splitlines()
             if line.strip()]
    if DEV.exists():
        found += [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    return found


def parsed(case: dict) -> tuple[list[Message], list[Area]]:
    return ([Message.model_validate(m) for m in case["messages"]],
            [Area.model_validate(a) for a in case.get("areas", [])])


def continued() -> float:
    return REGISTRY.get_sample_value("leadmem_learning_extractions_total",
                                     {"start": "continued"}) or 0.0


def test_every_prefix_matches_a_full_read() -> None:
    extractor = IncrementalExtractor()
    before = continued()
    checked = 0
    for case in cases():
        messages, areas = parsed(case)
        now = parse_now(case["now"])
        for end in range(1, len(messages) + 1):
            later = now + timedelta(seconds=end)  # the clock moves; the day does not
            if later.date() != now.date():
                later = now
            got = extractor.extract(("t", case["id"]), messages[:end], areas, later)
            assert got == extract_profile_with_sources(messages[:end], areas, later), (
                case["id"], end)
            checked += 1
    assert checked > 250  # the repo's own held-out set alone (no ../shared beside it): 286
    assert continued() - before == checked - len(cases())  # all but each first message
    assert len(extractor) == len({c["id"] for c in cases()})


def test_a_changed_history_is_read_again() -> None:
    case = next(c for c in cases() if len(c["messages"]) >= 3)
    messages, areas = parsed(case)
    now = parse_now(case["now"])
    extractor = IncrementalExtractor()
    extractor.extract(("t", "lead"), messages, areas, now)
    edited = [messages[0].model_copy(update={"body": messages[0].body + " actually 5 beds"}),
              *messages[1:]]
    assert extractor.extract(("t", "lead"), edited, areas, now) == \
        extract_profile_with_sources(edited, areas, now)
    shorter = messages[:-1]  # a redelivery of an earlier message
    assert extractor.extract(("t", "lead"), shorter, areas, now) == \
        extract_profile_with_sources(shorter, areas, now)
    tomorrow = now + timedelta(days=1)
    assert extractor.extract(("t", "lead"), messages, areas, tomorrow) == \
        extract_profile_with_sources(messages, areas, tomorrow)
    assert extractor.extract(("t", "lead"), messages, areas[:1], now) == \
        extract_profile_with_sources(messages, areas[:1], now)


@pytest.mark.parametrize("limit", [1, 3])
def test_the_cache_is_bounded(limit: int) -> None:
    extractor = IncrementalExtractor(max_leads=limit)
    for case in cases()[:10]:
        messages, areas = parsed(case)
        extractor.extract(("t", case["id"]), messages, areas, parse_now(case["now"]))
    assert len(extractor) == limit
    extractor.forget(("t", cases()[9]["id"]))
    assert len(extractor) == limit - 1
