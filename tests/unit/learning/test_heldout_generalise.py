"""The extractor on 120 conversations written blind for issue #30 (heldout_generalise.jsonl).

A helper wrote and labelled them from SPEC.md alone, never reading the extractor, its rules or
the other labelled sets, while another wrote the #30 rules without reading them. First score
of the rules as they were committed: micro-F1 0.9357 (English 0.9382, Spanish 0.9306); the
extractor before #30 scored 0.9085 on it. The threshold is that honest first figure: the set
measures generalisation, and it guards against falling back. The second round of #30
(dev_generalise2.jsonl) measured it at 0.9357 before and 0.9380 after (tp=416 fp=21 fn=34,
re-scored on the final rules: English 0.9382, Spanish 0.9375); the issue's goal is 0.97.
The third round (dev_generalise3.jsonl) measured it at 0.9380 before and 0.9428 after
(tp=420 fp=21 fn=30); only the aggregate was read. The fourth round (dev_generalise4.jsonl)
measured it at 0.9428 before and 0.9518 after (tp=425 fp=18 fn=25); again only the aggregate.
The consent module's "nada" scope (24b4734) took one false opt-out away: 0.9529 (tp=425 fp=17
fn=25). The fifth round (dev_generalise5.jsonl, 401 cases) left it at 0.9529, measured three
times by its helper and once after all of it: its readings fit new wordings, not this set's.
The sixth round (dev_generalise6.jsonl, 305 cases) left it at 0.9529 too (tp=425 fp=17 fn=25,
per field unchanged), measured before its first rule change, after each batch and at the end.
The seventh round spent this set as a development set: its 30 wrong cases were classed by the
mechanism that failed and each mechanism got new cases in other words (dev_generalise7.jsonl);
after it 0.9922 (tp=448 fp=5 fn=2). One label contradicted SPEC ("buying a bigger house":
SPEC reads "house" as single_family) and was corrected once the set was spent (hg-071):
0.9933. What is left are four labels against the earlier sets' conventions (hg-062, hg-068:
"wants a condo" / "move into something smaller" after selling names no buying, as
gen2-why-25 and gen5-b3-ptype-04; hg-066, hg-103: a retirement date with a plan is the
timeline, as gen6-why-05 and gen5-b2-why-02). It is no longer blind:
heldout_generalise2.jsonl is.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.learning.spec_score import micro_f1

BLIND = Path(__file__).resolve().parent / "heldout_generalise.jsonl"


def test_blind_set_micro_f1() -> None:
    f1, counts = micro_f1(BLIND)
    assert f1 >= 0.99, f"micro-F1 {f1:.4f} ({counts})"
