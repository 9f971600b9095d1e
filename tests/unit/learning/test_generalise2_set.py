"""The extractor on dev_generalise2.jsonl: a second round of own-wording cases for issue #30.

243 conversations (English and Spanish, SMS style: typos, regional Spanish, answers spread
over several messages, corrections) aimed at the fields the blind set of issue #30 missed
most: intent, timeline, locations, sell_price, bedrooms_min, motivation. Ids are
``gen2-<group>-NN`` (groups intent, time, place, price, beds, why, mix). They were labelled
from SPEC.md alone, in six batches. Batches 1-3 (184 cases) were each written and scored
before the rules were changed for them; batches 4-6 (59 cases) pin the mechanisms found by
probing other wordings and were written together with those changes.

On the rules of commit 8c3d8f1 (before this round) the whole set scores micro-F1 0.902
(batches 1-3: 0.969, 0.919, 0.936; batches 4-6: 0.698); per field: intent 0.911, timeline
0.842, locations 0.961, sell_price 0.708, bedrooms_min 0.865, motivation 0.851.
Four labels follow conventions of the shared dev set that differ from a first reading: an
answer to "when would you like to buy?" also states the intent to buy, and asking whether a
listed home is still available states neither intent nor property type.

Misses left (see ``LEFT``): a move date tied to a tenant leaving or a job starting without a
moving word ("tenant moves out in may, then I'd like to sell"; "job offer starting june, need
to buy"), a count reasoned out ("need 3 for the kids + an office so 4") and a list price after
a fee remark ("net 300 after fees so list around 325").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.learning.spec_score import distinct_cases, read_cases, scores
from workers.learning.extract.lang import is_spanish
from workers.learning.extract.text import normalize

CASES = Path(__file__).resolve().parent / "dev_generalise2.jsonl"
GROUPS = ("intent", "time", "place", "price", "beds", "why", "mix")
FOCUS = ("intent", "timeline", "locations", "sell_price", "bedrooms_min", "motivation")
LEFT = {"gen2-intent-26", "gen2-why-17", "gen2-beds-13", "gen2-price-21"}
MICRO_F1 = 0.995
FIELD_F1 = 0.97


def _cases() -> list[dict[str, Any]]:
    return read_cases(CASES)


def test_set_has_eighty_cases_in_both_languages() -> None:
    cases = distinct_cases(CASES, 80)
    assert all(c["id"].split("-")[1] in GROUPS for c in cases)
    spanish = sum(
        is_spanish(normalize(" ".join(m["body"] for m in c["messages"]
                                      if m["direction"] == "inbound")))
        for c in cases
    )
    assert 30 <= spanish <= len(cases) - 30, spanish  # both languages well represented


def test_micro_f1_and_per_field() -> None:
    got = scores(_cases(), known_misses=LEFT)
    print(f"\ndev_generalise2 micro-F1 {got.overall:.4f} ({got.report()})")
    assert got.overall >= MICRO_F1, f"micro-F1 {got.overall:.4f} ({got.report()})\n" + \
        "\n".join(got.wrong)
    low = {f: round(got.fields[f], 3) for f in FOCUS if got.fields[f] < FIELD_F1}
    assert not low, f"fields under {FIELD_F1}: {low} ({got.report()})"
    assert not got.wrong, "\n".join(got.wrong)
