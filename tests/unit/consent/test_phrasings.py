"""The opt-out detector on the labelled phrasing set (phrasings.jsonl), by phrasing class.

Each line is {"text", "label", "class", "lang"}: wordings written per class (legal demands,
polite refusals, negated futures, obfuscated keywords, Spanish plural / reflexive / infinitive
forms, threats, and the near misses of each: delight, corrections, another service, one
showing, a listing type, a third person, timing, questions and conditions on resubscribing).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from devtools.bench import optout as bench
from workers.consent.optout import _RULES, _fold, classify

SET = Path(__file__).with_name("phrasings.jsonl")
ROWS = bench.load(SET)
LABELS = {"opt_out", "resubscribe", "unsure", None}


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{r['class']}:{r['text'][:40]}")
                                 for r in ROWS])
def test_each_phrasing(row: dict[str, Any]) -> None:
    got = classify(row["text"])
    assert got == row["label"], (
        f"[{row['lang']}/{row['class']}] {row['text']!r}: want {row['label']}, got {got}")


def test_the_set_is_written_by_class_in_both_languages() -> None:
    assert len(ROWS) >= 600
    assert all(set(r) == {"text", "label", "class", "lang"} for r in ROWS)
    assert {r["label"] for r in ROWS} == LABELS
    assert {r["lang"] for r in ROWS} == {"en", "es"}
    texts = Counter(r["text"] for r in ROWS)
    assert [t for t, n in texts.items() if n > 1] == []
    for lang in ("en", "es"):  # every reading has Spanish and English wordings
        assert {r["label"] for r in ROWS if r["lang"] == lang} == LABELS


# Floors, per label: recall on real opt-outs matters most (a fine per later message).
FLOORS = {
    "opt_out": {"recall": 0.98, "precision": 0.97},
    "resubscribe": {"recall": 0.95, "precision": 0.98},
    "unsure": {"recall": 0.9, "precision": 0.9},
    "None": {"recall": 0.95, "precision": 0.95},
}


def test_per_label_precision_and_recall_and_per_class_accuracy() -> None:
    result = bench.score(ROWS)
    for label, floors in FLOORS.items():
        got = result["labels"][label]
        assert got["support"] > 0, label
        for metric, floor in floors.items():
            assert got[metric] >= floor, (label, metric, got, result["misses"])
    weak = {name: c for name, c in result["classes"].items() if c["accuracy"] < 0.9}
    assert weak == {}, result["misses"]


def test_the_rule_gates_never_hide_a_match() -> None:
    """Each rule's `needs` words are a cheap pre-check: a text the pattern matches must pass
    it, or the gate would silently drop a reading."""
    texts = [_fold(r["text"]).text for r in ROWS] + [_fold(t).text for t in bench.traffic(500)]
    for rule in _RULES:
        for text in texts:
            if rule.pattern.search(text):
                assert rule.may_match(text), (rule.pattern.pattern[:60], text)



HELDOUT = Path(__file__).with_name("phrasings_heldout.jsonl")


def test_a_set_written_without_seeing_the_rules() -> None:
    """220 phrasings written by class by someone who never read the rules (first pass 0.945;
    the misses then were fixed as classes, with other wordings, in `phrasings.jsonl`). What
    is left are judgement calls ("No thanks" is not a request to stop) and safe-side reads
    (a hedged "stop i guess?" read as an opt-out): no opt-out may read as nothing."""
    result = bench.report(HELDOUT)
    assert result["accuracy"] >= 0.97, result["misses"]
    missed = [m for m in result["misses"] if m["want"] == "opt_out" and m["got"] is None]
    assert missed == []
    assert result["labels"]["opt_out"]["recall"] >= 0.98
