"""The extractor on 150 conversations written blind for issue #30, round 7
(heldout_generalise2.jsonl): the honest measure once heldout_generalise.jsonl was spent.

A helper wrote and labelled them from SPEC.md alone (and score.py, and the first two lines
of dev.jsonl for the format), never reading the extractor, its rules, the other labelled sets
or any note about them, and never running code on them; a second pass re-derived every label
from SPEC. They are an agency inbox rather than an exam: 99 English and 51 Spanish or
Spanglish, 17 US metros, `now` from 2025 to 2027, a third of them plain, 681 slots. Meanwhile
another helper, who never opened this file, wrote round 7's rules against the old blind set.

First score, of the rules as they were before round 7 (66b804e): micro-F1 0.9794 (tp=665
fp=12 fn=16; English 0.9811, Spanish 0.9759). Only aggregates and per-field counts were read,
except the two opted_out errors, which the lead read as a consent check: one was a missed
opt-out ("cut it out with the texts"), fixed in the consent module (b9273eb); the other a
START after a STOP inside a sentence, which the consent module reads strictly on purpose
(only a keyword as the whole content lifts an opt-out), so it stays a false positive here.
The threshold is the issue's goal.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.learning.spec_score import distinct_cases, micro_f1

BLIND = Path(__file__).resolve().parent / "heldout_generalise2.jsonl"


def test_blind_set_micro_f1() -> None:
    distinct_cases(BLIND, 150)
    f1, counts = micro_f1(BLIND)
    assert f1 >= 0.97, f"micro-F1 {f1:.4f} ({counts})"
