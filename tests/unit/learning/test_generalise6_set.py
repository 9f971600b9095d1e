"""The extractor on dev_generalise6.jsonl: a sixth round of own-wording cases for issue #30.

Weighted to the fields weakest on the blind stand-in: ``intent`` (buy vs sell vs both vs rent vs
invest -- renting now is no plan, landlords, "just curious what my place is worth", a relative's
plan vs a remark, a plan stated in a reply, plans given up, alternatives not chosen), ``time``
(every bucket in vague and concrete words, counted from ``now``: lease ends, school, holidays, a
due date that is no move date, "no rush", "not this year", years), ``place`` (where they are vs
where they want, the job's town, "anywhere near X", lists and corrections, Spanish prepositions,
an area named like a season) and ``why`` (motivation in other words). SMS style, a third Spanish;
ids are ``gen6-<class>-NN`` (batch 1) and ``gen6-b<N>-<class>-NN`` (batches 2-3). Every case was
labelled from SPEC.md before the extractor was run on it; where SPEC is silent the closest rule or
an earlier set's convention was followed and the case says so in ``note`` (ignored by the
scorer). Eight labels were corrected on review to follow SPEC or an earlier set's convention,
each noted in its case ("Corrected on review").

Each batch was scored before the rules were changed for it (final labels in brackets): batch 1
(204 cases) 0.9610 on the rules of 724119e (0.9649: intent 0.962, place 0.961, time 0.967, why
0.974); batch 2 (62) 0.9309 on both 724119e and batch 1's rules (0.9545 on 724119e); batch 3 (39)
0.9706 on both 724119e and batch 2's rules (0.9781). The whole file on 724119e: 0.9646 (intent
0.959, place 0.969, time 0.962, why 0.980); after this round 1.000.

``KNOWN``: none left.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.unit.learning.spec_score import (
    assert_inbox_mix,
    assert_scores,
    class_by_id,
    coverage,
    distinct_cases,
    read_cases,
)

CASES = Path(__file__).resolve().parent / "dev_generalise6.jsonl"
CLASSES = ("intent", "time", "place", "why")
# the fields weakest on unseen text before this round, which the set is weighted towards
WEAK_FIELDS = ("intent", "timeline", "locations", "motivation")
_ID = re.compile(r"gen6-(?:b(?P<batch>[2-9])-)?(?P<cls>[a-z]+)-\d+")
KNOWN: dict[str, str] = {}
MICRO_F1 = 0.995
FLOORS = dict.fromkeys(CLASSES, 0.99)
FIELD_F1 = 0.99


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


_class = class_by_id(_ID, CLASSES)


def test_every_class_and_weak_field_in_both_languages() -> None:
    cases = distinct_cases(CASES, 200)
    got = coverage(cases, _class, WEAK_FIELDS)
    minimum = {"intent": 70, "time": 60, "place": 40, "why": 30}
    for name in CLASSES:
        assert got.per_class[name] >= minimum[name], (name, got.per_class[name])
        assert 10 <= got.spanish_class[name] < got.per_class[name], (name, got.spanish_class[name])
    for field in WEAK_FIELDS:
        assert got.per_field[field] >= 60, (field, got.per_field[field])
        assert 20 <= got.spanish_field[field] < got.per_field[field], (field, got.spanish_field)
    assert_inbox_mix(cases, answering=50)


def test_micro_f1_overall_per_class_and_per_field() -> None:
    assert_scores("dev_generalise6", _cases(), _class, CLASSES, known=KNOWN, micro_f1=MICRO_F1,
                  floors=FLOORS, fields=WEAK_FIELDS, field_f1=FIELD_F1)
