"""The extractor on dev_generalise.jsonl: the eight classes of issue #30, per class and overall.

Each case id is ``gen-<class>-NN``; the classes are where the lead is vs where they want to be
(``place``), confirmations (``confirm``), bare numbers and hopes answering a question
(``answer``), time (``time``), motivation in other words (``why``), financing stages (``fin``),
whose search it is (``whose``) and opt-outs vs negations about something else (``optout``).
The cases were written in English and Spanish, SMS style, and labelled from SPEC.md alone, in
five batches, each written before the rules were changed for it. Before the rule changes of
issue #30 the whole set scored micro-F1 0.866 (confirm 0.70, fin 0.78, why 0.80, optout 0.86,
whose 0.87, time 0.90, place 0.93, answer 0.95).

The opt-out slots follow the consent module's reading (workers/consent/optout.py), which the
profile shares with the consent ledger so the two never disagree; the misses left in
``optout`` are that module's (see FLOORS).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.unit.learning.spec_score import class_f1, scores, spanish_case

CASES = Path(__file__).resolve().parent / "dev_generalise.jsonl"
CLASSES = ("place", "confirm", "answer", "time", "why", "fin", "whose", "optout")
# Per-class F1 reached (rounded down). optout: one the consent module reads where SPEC sees
# none ("stop sending those" about an area's listings); the profile keeps the consent
# module's reading (an over-cautious opt-out never texts a lead who wanted texts gone).
FLOORS = {"place": 0.99, "confirm": 0.99, "answer": 0.99, "time": 0.99, "why": 0.99,
          "fin": 0.99, "whose": 0.99, "optout": 0.98}
MICRO_F1 = 0.995


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _class(case: dict[str, Any]) -> str:
    prefix, name, number = case["id"].split("-")
    assert prefix == "gen" and name in CLASSES and number.isdigit(), case["id"]
    return name


def test_every_class_has_fifteen_cases_in_both_languages() -> None:
    cases = _cases()
    assert len({c["id"] for c in cases}) == len(cases), "duplicate case ids"
    per_class = Counter(_class(c) for c in cases)
    spanish = Counter(
        _class(c) for c in cases
        if spanish_case(c)
    )
    for name in CLASSES:
        assert per_class[name] >= 15, (name, per_class[name])
        assert 3 <= spanish[name] < per_class[name], (name, spanish[name])


def test_micro_f1_overall_and_per_class() -> None:
    cases = _cases()
    figures = class_f1(cases, _class)
    overall = scores(cases).overall
    report = ", ".join(f"{name} {figures[name]:.3f}" for name in CLASSES)
    print(f"\ndev_generalise micro-F1 {overall:.4f} ({report})")
    assert overall >= MICRO_F1, f"micro-F1 {overall:.4f} ({report})"
    low = {name: round(v, 3) for name, v in figures.items() if v < FLOORS[name]}
    assert not low, f"classes under their floor: {low} ({report})"
