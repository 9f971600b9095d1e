"""Micro-F1 over SPEC slots, as shared/learning/score.py computes it, for the set tests."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.learning.extract import extract_case
from workers.learning.extract.lang import is_spanish
from workers.learning.extract.text import normalize

FIELDS = ("intent", "budget_min", "budget_max", "sell_price", "bedrooms_min", "bathrooms_min",
          "property_type", "locations", "timeline", "financing", "must_haves", "motivation",
          "has_agent", "wants_human", "opted_out")
LISTS = {"locations", "must_haves"}
BOOLS = {"has_agent", "wants_human", "opted_out"}


def slots(profile: dict[str, Any]) -> set[tuple[str, object]]:
    out: set[tuple[str, object]] = set()
    for field in FIELDS:
        value = profile.get(field)
        if value is None:
            continue
        if field in LISTS:
            out.update((field, str(item).strip().lower()) for item in value or [])
        elif field in BOOLS:
            if value is True:
                out.add((field, True))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out.add((field, float(value)))
        else:
            out.add((field, str(value).strip().lower()))
    return out


def micro_f1(path: Path) -> tuple[float, str]:
    """The extractor's micro-F1 on a labelled JSONL file, and its tp/fp/fn counts."""
    tp = fp = fn = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        gold, pred = slots(case["expect"]), slots(extract_case(case))
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return 2 * tp / (2 * tp + fp + fn), f"tp={tp} fp={fp} fn={fn}"


def read_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def distinct_cases(path: Path, at_least: int) -> list[dict[str, Any]]:
    """A set's cases, checked to be at least `at_least` with no id twice."""
    cases = read_cases(path)
    assert len(cases) >= at_least, (path.name, len(cases))
    assert len({c["id"] for c in cases}) == len(cases), "duplicate case ids"
    return cases


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


@dataclass(frozen=True)
class Scores:
    overall: float
    fields: dict[str, float]  # micro-F1 of each field the cases or the extractor name
    wrong: list[str]  # each case the extractor got wrong, with what it missed and added

    def report(self) -> str:
        return ", ".join(f"{f} {v:.3f}" for f, v in self.fields.items())


def scores(cases: Iterable[dict[str, Any]], *, known_misses: Iterable[str] = ()) -> Scores:
    """The extractor's micro-F1 over `cases`, per field, and the cases it got wrong (not
    listing `known_misses`, whose slots still count)."""
    left = set(known_misses)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    wrong: list[str] = []
    for case in cases:
        gold, pred = slots(case["expect"]), slots(extract_case(case))
        if gold != pred and case["id"] not in left:
            wrong.append(f"{case['id']}: missing {sorted(gold - pred, key=str)}, "
                         f"extra {sorted(pred - gold, key=str)}")
        for field, _ in gold & pred:
            tp[field] += 1
        for field, _ in pred - gold:
            fp[field] += 1
        for field, _ in gold - pred:
            fn[field] += 1
    fields = {f: f1(tp[f], fp[f], fn[f]) for f in FIELDS if tp[f] + fp[f] + fn[f]}
    overall = f1(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return Scores(overall, fields, wrong)


def class_by_id(pattern: re.Pattern[str], classes: Iterable[str]
                ) -> Callable[[dict[str, Any]], str]:
    """A set's class of each case, read from its id (`pattern`'s `cls` group) and checked to
    be one of `classes`."""
    names = frozenset(classes)

    def class_of(case: dict[str, Any]) -> str:
        m = pattern.fullmatch(case["id"])
        assert m and m.group("cls") in names, case["id"]
        return m.group("cls")

    return class_of


def spanish_case(case: dict[str, Any]) -> bool:
    """Whether the lead writes Spanish in `case` (its inbound messages, as the extractor reads
    the language)."""
    inbound = " ".join(m["body"] for m in case["messages"] if m["direction"] == "inbound")
    return is_spanish(normalize(inbound))


def assert_inbox_mix(cases: list[dict[str, Any]], *, answering: int = 0) -> None:
    """A set written like an inbox, not an exam: about a third of it Spanish, and at least
    `answering` cases that answer the agent's questions (chats, not only one-liners)."""
    assert 10 * sum(spanish_case(c) for c in cases) >= 3 * len(cases), "a third Spanish"
    replies = sum(any(m["direction"] == "outbound" for m in c["messages"]) for c in cases)
    assert replies >= answering, (replies, answering)


def class_f1(cases: Iterable[dict[str, Any]], class_of: Callable[[dict[str, Any]], str]
             ) -> dict[str, float]:
    """Micro-F1 of the extractor over each class of `cases` (`class_of(case)` names it)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for case in cases:
        name = class_of(case)
        gold, pred = slots(case["expect"]), slots(extract_case(case))
        tp[name] += len(gold & pred)
        fp[name] += len(pred - gold)
        fn[name] += len(gold - pred)
    return {name: f1(tp[name], fp[name], fn[name]) for name in tp.keys() | fp.keys() | fn.keys()}


@dataclass(frozen=True)
class Coverage:
    """How many cases a set has of each class and of each field, and how many of those are
    Spanish (what the set tests require of a set's shape)."""

    per_class: Counter[str]
    spanish_class: Counter[str]
    per_field: Counter[str]
    spanish_field: Counter[str]


def coverage(cases: Iterable[dict[str, Any]], class_of: Callable[[dict[str, Any]], str],
             fields: Iterable[str]) -> Coverage:
    """Cases per class and per one of `fields` (a case counts once per field it labels), and
    the Spanish ones of each."""
    wanted = set(fields)
    out = Coverage(Counter(), Counter(), Counter(), Counter())
    for case in cases:
        name, spanish = class_of(case), spanish_case(case)
        out.per_class[name] += 1
        out.spanish_class[name] += spanish
        for field in {field for field, _ in slots(case["expect"])} & wanted:
            out.per_field[field] += 1
            out.spanish_field[field] += spanish
    return out


def assert_scores(label: str, cases: list[dict[str, Any]],
                  class_of: Callable[[dict[str, Any]], str], classes: Iterable[str], *,
                  known: Iterable[str], micro_f1: float, floors: dict[str, float],
                  fields: Iterable[str], field_f1: float) -> None:
    """A set's micro-F1 at least `micro_f1`, each class at least its floor, each of `fields`
    at least `field_f1`, and no case wrong but the `known` misses; prints the figures."""
    got = scores(cases, known_misses=known)
    figures = class_f1(cases, class_of)
    report = ", ".join(f"{name} {figures[name]:.3f}" for name in classes)
    print(f"\n{label} micro-F1 {got.overall:.4f} ({report}; {got.report()})")
    wrong = "\n".join(got.wrong)
    assert got.overall >= micro_f1, f"micro-F1 {got.overall:.4f} ({report})\n{wrong}"
    low = {name: round(v, 3) for name, v in figures.items() if v < floors[name]}
    assert not low, f"classes under their floor: {low} ({report})"
    weak = {f: round(got.fields[f], 3) for f in fields if got.fields[f] < field_f1}
    assert not weak, f"fields under {field_f1}: {weak} ({got.report()})"
    assert not got.wrong, wrong
