"""The extractor on dev_generalise3.jsonl: a third round of own-wording cases for issue #30.

407 conversations (English and Spanish, SMS style: typos, emojis, corrections, answers spread
over several messages with the agent's questions between) aimed at the fields the blind set
(heldout_generalise.jsonl) still missed: intent, timeline, locations, sell_price, motivation,
bedrooms_min. Ids are ``gen3-<group>-NN`` (batch 1: groups intent, time, place, price, why,
beds, mix) and ``gen3-b<N>-<group>-NN`` (batches 2 to 4). All were written and labelled from
SPEC.md alone; where SPEC is silent the closest rule (or a convention of the earlier sets) was
followed and the case says so in its ``note``, a field the scorer ignores.

Each batch was scored before the rules were changed for it: batch 1 (230 cases) 0.9627 on the
rules of commit 0aa226e, batch 2 (123 short cases) 0.906, batch 3 (34 longer conversations)
0.953 and batch 4 (20 longer conversations) 0.943 on the rules as they then were (a few
labels were corrected on review). On the rules of 0aa226e the whole file scores 0.9519
(intent 0.964, timeline 0.930, locations 0.982, sell_price 0.877, motivation 0.885,
bedrooms_min 0.942); after this round 1.000.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from tests.unit.learning.spec_score import read_cases, scores, slots, spanish_case

CASES = Path(__file__).resolve().parent / "dev_generalise3.jsonl"
GROUPS = ("intent", "time", "place", "price", "why", "beds", "mix")
FOCUS = ("intent", "timeline", "locations", "sell_price", "motivation", "bedrooms_min")
_ID = re.compile(r"gen3-(?:b(?P<batch>\d)-)?(?P<group>[a-z]+)-\d+")
MICRO_F1 = 0.995
FIELD_F1 = 0.97


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


def test_each_weak_field_has_25_cases_in_both_languages() -> None:
    cases = _cases()
    assert len({c["id"] for c in cases}) == len(cases), "duplicate case ids"
    for case in cases:
        m = _ID.fullmatch(case["id"])
        assert m and m.group("group") in GROUPS, case["id"]
    per_field: Counter[str] = Counter()
    spanish: Counter[str] = Counter()
    for case in cases:
        for field in {field for field, _ in slots(case["expect"])} & set(FOCUS):
            per_field[field] += 1
            spanish[field] += spanish_case(case)
    for field in FOCUS:
        assert per_field[field] >= 25, (field, per_field[field])
        assert 10 <= spanish[field] < per_field[field], (field, spanish[field])
    assert sum(spanish_case(c) for c in cases) >= len(cases) // 4  # Spanish about a quarter or more


def test_micro_f1_and_per_field() -> None:
    got = scores(_cases())
    print(f"\ndev_generalise3 micro-F1 {got.overall:.4f} ({got.report()})")
    assert got.overall >= MICRO_F1, f"micro-F1 {got.overall:.4f} ({got.report()})\n" + \
        "\n".join(got.wrong)
    low = {f: round(got.fields[f], 3) for f in FOCUS if got.fields[f] < FIELD_F1}
    assert not low, f"fields under {FIELD_F1}: {low} ({got.report()})"
    assert not got.wrong, "\n".join(got.wrong)
