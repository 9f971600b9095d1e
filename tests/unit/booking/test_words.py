"""How the booking core reads an SMS: folding, tokens, clauses, one-typo matches."""

from __future__ import annotations

import pytest

from workers.booking.words import clauses, fold, near, tokens


@pytest.mark.parametrize(("text", "expected"), [
    ("Sábado a las 10 A.M.", ["sabado", "a", "las", "10", "am"]),
    ("MAÑANA 2pm 👍", ["manana", "2", "pm", "ok"]),
    ("don't, c'mon", ["dont", ",", "cmon"]),
    ("la 2ª opción, el 1º", ["la", "2°", "opcion", ",", "el", "1°"]),
    ("mar. 14 @ 10:30p.m.", ["mar", "14", "@", "10:30", "pm"]),
    ("the 2nd one — #3", ["the", "2nd", "one", "-", "#", "3"]),
    ("ＳＡＴ １０ａｍ", ["sat", "10", "am"]),  # full-width
])
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_fold_reads_a_meridiem_only_where_there_is_one() -> None:
    assert fold("10 a. m., a mi me sirve").split() == ["10", "am", ",", "a", "mi", "me", "sirve"]


def test_clauses_split_at_punctuation_dashes_and_but() -> None:
    assert clauses(tokens("no, the second one - saturday but not sunday!")) == [
        ["no"], ["the", "second", "one"], ["saturday"], ["not", "sunday"]]


@pytest.mark.parametrize(("word", "target", "expected"), [
    ("saturday", "saturday", True),
    ("saterday", "saturday", True),  # changed
    ("satuday", "saturday", True),  # dropped
    ("thrusday", "thursday", True),  # swapped
    ("saturdays", "saturday", True),  # added
    ("sunday", "monday", False),
    ("tuesday", "thursday", False),
])
def test_near(word: str, target: str, expected: bool) -> None:
    assert near(word, target) is expected
