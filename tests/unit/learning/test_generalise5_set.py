"""The extractor on dev_generalise5.jsonl: a fifth round of own-wording cases for issue #30.

The fields that were weakest on unseen text -- motivation (``why``), sell_price (``sell``),
budget_max (``budget``), financing (``fin``), has_agent (``agent``), timeline (``time``),
locations (``place``), property_type (``ptype``) -- plus a few longer chats (``mix``), written in
wording unlike the earlier sets: voice-to-text run-ons, all caps, several short messages in a row,
corrections ("sorry i meant mesa", "perdón, 550"), one-word or number answers ("work", "the first
one", "👍"), slang ("4 fiddy", "chamba"), and about a third Spanish or Spanglish. Ids are
``gen5-<class>-NN`` (batch 1) and ``gen5-b<N>-<class>-NN`` (batches 2-6). Every case was labelled
from SPEC.md before the extractor was run on it; where SPEC is silent the closest rule or a
convention of the earlier sets was followed and the case says so in ``note`` (ignored by the
scorer). Seven labels were corrected on review to follow SPEC or an earlier set's convention, each
noted in its case ("Corrected on review").

Each batch was scored before the rules were changed for it: batch 1 (154 cases) 0.9482 on the
rules of the round before (0.9561 after the three label corrections); batch 2 (67) 0.886 after
batch 1's changes; batch 3 (53) 0.891 after batch 2's; batch 4 (58, mostly Spanish) 0.912 after
batch 3's; batch 5 (52) 0.928 after batch 4's; batch 6 (19 longer chats) 0.928 after batch 5's.
The whole file (401 cases) on the rules before this round: 0.9298; after it: 0.9948.

``KNOWN``: the misses left, each a reading SPEC does not settle and the rules leave as they are.
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

CASES = Path(__file__).resolve().parent / "dev_generalise5.jsonl"
CLASSES = ("why", "sell", "budget", "fin", "agent", "time", "place", "ptype", "mix")
# the fields weakest on unseen text before this round, which the set is weighted towards
WEAK_FIELDS = ("motivation", "sell_price", "budget_max", "financing", "timeline", "locations",
               "property_type")
_ID = re.compile(r"gen5-(?:b(?P<batch>[2-9])-)?(?P<cls>[a-z]+)-\d+")
KNOWN = {
    "gen5-time-14": "'yesterday lol' to 'how soon?' is read as no time",
    "gen5-mix-06": "'no hoa please' after a seller's wish for the next home is read as the sold"
                   " home's",
    "gen5-b2-budget-09": "'same as what we sell for' is read as a plan to sell",
    "gen5-b2-budget-10": "'rent first ... then buy next year' dates the later purchase",
    "gen5-b2-fin-06": "'the cash from the sale of our house' is read as a plan to sell",
    "gen5-b3-sell-06": "'necesito vender rápido' is read as asap",
    "gen5-b4-why-07": "'compramos casas' by an investor names no property type",
    "gen5-b5-agent-01": "'we're with Redfin' names a brokerage the rules do not know as one",
}
MICRO_F1 = 0.99
FLOORS = {name: 0.98 for name in CLASSES} | {"mix": 0.95}
FIELD_F1 = 0.96
CHECKED_FIELDS = (*WEAK_FIELDS, "has_agent")  # has_agent: weak too, with fewer slots


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


_class = class_by_id(_ID, CLASSES)


def test_every_class_and_weak_field_in_both_languages() -> None:
    cases = distinct_cases(CASES, 100)
    got = coverage(cases, _class, WEAK_FIELDS)
    per_class, spanish = got.per_class, got.spanish_class
    per_field, spanish_field = got.per_field, got.spanish_field
    for name in CLASSES[:-1]:
        assert per_class[name] >= 25, (name, per_class[name])
        assert 5 <= spanish[name] < per_class[name], (name, spanish[name])
    for field in WEAK_FIELDS:
        assert per_field[field] >= 35, (field, per_field[field])
        assert 9 <= spanish_field[field] < per_field[field], (field, spanish_field[field])
    assert_inbox_mix(cases)


def test_micro_f1_overall_per_class_and_per_field() -> None:
    assert_scores("dev_generalise5", _cases(), _class, CLASSES, known=KNOWN, micro_f1=MICRO_F1,
                  floors=FLOORS, fields=CHECKED_FIELDS, field_f1=FIELD_F1)
