"""The extractor on dev_generalise7.jsonl: a seventh round of own-wording cases for issue #30.

The blind stand-in (heldout_generalise.jsonl) was spent as a development set this round: each of
its misses was classed by the mechanism that failed, not by its words, and every mechanism got
at least three cases here in other words (other verbs, order, places and numbers), English and
Spanish, SMS style. Classes (``gen7-<class>-NN``): a reply over several messages (``split``), the
no that answers (``answerno``), a question's topic before a dash (``topic``), answer words and
texting spellings (``vocab``), an elapsed span (``elapsed``), a move after a dated event
(``after``), a date before its deadline words (``deadline``), a time alone in its clause
(``alone``), a duration sizing the plan (``horizon``), a year after an article (``year``),
Spanish "el" as "he" (``el``), an act done is no plan (``done``), a workplace named by its area
(``office``), a relative doing something is not where they are (``doing``), an aside about the
writing (``aside``), the home as the subject of the sale (``sells``), renting again
(``again``), a plan put off (``holdoff``), a loan's kind is no stage (``loan``), the budget's
predicate (``budget``), an HOA under a negation (``hoa``), "stop sending" a described listing
(``optout``), a place lived in wanted by a later "there" (``stay``) and a seller's next home in
a fragment (``fragment``); a few guards of each, the note of each case names its mechanism.

Every case was labelled from SPEC.md before the extractor was run on it; where SPEC is silent an
earlier set's convention was followed and the note says so. The whole file on the rules of
66b804e: 0.6952 (tp=122 fp=31 fn=76); after this round 1.000.

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

CASES = Path(__file__).resolve().parent / "dev_generalise7.jsonl"
CLASSES = ("split", "answerno", "topic", "vocab", "elapsed", "after", "deadline", "alone",
           "horizon", "year", "el", "done", "office", "doing", "aside", "sells", "again",
           "holdoff", "loan", "budget", "hoa", "optout", "stay", "fragment")
# the fields the blind stand-in missed most before this round
WEAK_FIELDS = ("intent", "timeline", "locations", "motivation")
_ID = re.compile(r"gen7-(?P<cls>[a-z]+)-\d+")
KNOWN: dict[str, str] = {}
MICRO_F1 = 0.995
FLOORS = dict.fromkeys(CLASSES, 0.99)
FIELD_F1 = 0.99


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


_class = class_by_id(_ID, CLASSES)


def test_every_mechanism_in_both_languages() -> None:
    cases = distinct_cases(CASES, 90)
    got = coverage(cases, _class, WEAK_FIELDS)
    for name in CLASSES:
        assert got.per_class[name] >= 3, (name, got.per_class[name])
        assert got.spanish_class[name] >= 1, (name, got.spanish_class[name])
    for field in WEAK_FIELDS:
        assert got.per_field[field] >= 15, (field, got.per_field[field])
        assert 5 <= got.spanish_field[field] < got.per_field[field], (field, got.spanish_field)
    assert_inbox_mix(cases, answering=20)


def test_micro_f1_overall_per_class_and_per_field() -> None:
    assert_scores("dev_generalise7", _cases(), _class, CLASSES, known=KNOWN, micro_f1=MICRO_F1,
                  floors=FLOORS, fields=WEAK_FIELDS, field_f1=FIELD_F1)
