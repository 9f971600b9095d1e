"""The extractor on dev_generalise4.jsonl: a fourth round of own-wording cases for issue #30.

326 conversations (103 Spanish; SMS style: typos, emojis, lowercase, corrections, answers spread
over several messages with the agent's questions between) for the eight classes of the issue --
where they are vs where they want (``place``), confirmations (``confirm``), bare numbers and hopes
answering a question (``answer``), time (``time``), motivation in other words (``why``),
financing stages (``fin``), whose search it is (``whose``), opt-outs vs negations about
something else (``optout``) -- plus ``price`` (sell_price, budget_max) and longer conversations
(``mix``). Ids are ``gen4-<class>-NN`` (batch 1) and ``gen4-b<N>-<class>-NN`` (batches 2-4).
Every case was labelled from SPEC.md before the extractor was run on it; where SPEC is silent the
closest rule or a convention of the earlier sets was followed and the case says so in ``note``
(ignored by the scorer). Three labels were corrected on review to follow earlier conventions
(gen4-why-02 and gen4-whose-12: a job or retirement date said with the plan dates the move;
gen4-b4-mix-27: "need to find something" names no buying), each noted in its case.

Each batch was scored before the rules were changed for it: batch 1 (187 cases) 0.9404 on the
rules of 470a65c; batch 2 (74) 0.955 on the rules after batch 1 (470a65c: 0.929); batch 3 (35
longer conversations) 0.938 after batch 2 (470a65c: 0.938); batch 4 (30) 0.929 after batch 3
(470a65c: 0.911). The whole file on the rules of 470a65c: 0.9350 (place 0.904, confirm 0.918,
answer 0.987, time 0.925, why 0.964, fin 0.844, whose 0.971, optout 0.945, price 0.911, mix
0.936; motivation 0.908, sell_price 0.877, budget_max 0.877); after this round 0.9994.

The one miss this round left, gen4-optout-22 ("no quiero nada con piscina", a declined pool,
read as an opt-out by workers/consent/optout.py), is read as a preference since the consent
module's "nada" rule learned what scopes it (a home's feature, place or price).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.unit.learning.spec_score import (
    assert_scores,
    class_by_id,
    coverage,
    distinct_cases,
    read_cases,
    spanish_case,
)

CASES = Path(__file__).resolve().parent / "dev_generalise4.jsonl"
ISSUE_CLASSES = ("place", "confirm", "answer", "time", "why", "fin", "whose", "optout")
CLASSES = (*ISSUE_CLASSES, "price", "mix")
WEAK_FIELDS = ("motivation", "sell_price", "budget_max")  # the blind set's weakest fields
_ID = re.compile(r"gen4-(?:b(?P<batch>[2-9])-)?(?P<cls>[a-z]+)-\d+")
KNOWN: dict[str, str] = {}
MICRO_F1 = 0.995
FLOORS = {name: 0.99 for name in CLASSES}
FIELD_F1 = 0.99


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


_class = class_by_id(_ID, CLASSES)


def test_every_class_and_weak_field_in_both_languages() -> None:
    cases = distinct_cases(CASES, 120)
    got = coverage(cases, _class, WEAK_FIELDS)
    per_class, spanish = got.per_class, got.spanish_class
    per_field, spanish_field = got.per_field, got.spanish_field
    for name in ISSUE_CLASSES:
        assert per_class[name] >= 15, (name, per_class[name])
        assert 5 <= spanish[name] < per_class[name], (name, spanish[name])
    for field in WEAK_FIELDS:
        assert per_field[field] >= 30, (field, per_field[field])
        assert 10 <= spanish_field[field] < per_field[field], (field, spanish_field[field])
    assert 3 * sum(spanish_case(c) for c in cases) >= 0.9 * len(cases)  # about a third Spanish


def test_micro_f1_overall_per_class_and_per_field() -> None:
    assert_scores("dev_generalise4", _cases(), _class, CLASSES, known=KNOWN, micro_f1=MICRO_F1,
                  floors=FLOORS, fields=WEAK_FIELDS, field_f1=FIELD_F1)
