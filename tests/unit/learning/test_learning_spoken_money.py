"""The money-expression reader: amounts in words and idioms, "mil" by language, seller floors
(SPEC: budget_min/max, sell_price; Language, dates and edges). Our own sentences per class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.learning.extract.spoken import spell_out_amounts

Extract = Callable[..., dict[str, Any]]
BUDGET_Q = (">", "What's your price range?")


def test_rewrite_keeps_every_offset() -> None:
    for text in ("up to half a million in cary", "cuatrocientos cincuenta mil, no mas",
                 "low 300s or so", "between one point one and one point three million"):
        assert len(spell_out_amounts(text, spanish=False)) == len(text)
    assert spell_out_amounts("maybe a quarter mil", spanish=False).split() == ["maybe", "250k"]


def test_cardinal_words(extract: Extract) -> None:
    assert extract([("<", "we can spend up to six hundred thousand")])["budget_max"] == 600_000
    got = extract([("<", "budget is five hundred and twenty five thousand")])
    assert got["budget_max"] == 525_000
    assert extract([("<", "max is one point four million")])["budget_max"] == 1_400_000
    # Small counts stay counts.
    got = extract([("<", "three bedrooms and two baths in cary")])
    assert "budget_max" not in got and got["bedrooms_min"] == 3


def test_fractions_of_a_million(extract: Extract) -> None:
    assert extract([("<", "nothing above a quarter million")])["budget_max"] == 250_000
    assert extract([("<", "our ceiling is a million and a half")])["budget_max"] == 1_500_000
    assert extract([("<", "thinking three quarters of a mil")])["budget_max"] == 750_000


def test_spoken_hundreds_need_a_price_context(extract: Extract) -> None:
    assert extract([BUDGET_Q, ("<", "four twenty five")])["budget_max"] == 425_000
    assert extract([("<", "we can go 2 seventy five max")])["budget_max"] == 275_000
    got = extract([BUDGET_Q, ("<", "somewhere from three to three fifty")])
    assert (got["budget_min"], got["budget_max"]) == (300_000, 350_000)
    # Said without a question, spoken hundreds are still a price ...
    assert extract([("<", "we'd like something in garner around 2 sixty")])[
        "budget_max"] == 260_000
    # ... but a time of day is none.
    assert "budget_max" not in extract([("<", "call me around four thirty tomorrow")])
    assert "budget_max" not in extract([("<", "can we do the showing at 5 fifteen?")])


def test_price_bands(extract: Extract) -> None:
    assert extract([("<", "buying in apex, probably the low 500s")])["budget_max"] == 500_000
    assert extract([("<", "looking in the mid 200s")])["budget_max"] == 250_000
    # A decade of life or a temperature is no price.
    assert "budget_max" not in extract([("<", "we're in our 40s with two kids")])
    assert "budget_max" not in extract([("<", "it's been in the 100s all week")])


def test_mil_by_language(extract: Extract) -> None:
    # Spanish "mil" is a thousand; English "mil" a million.
    assert extract([("<", "tenemos hasta 380 mil")])["budget_max"] == 380_000
    assert extract([("<", "buscamos algo de cuarenta y cinco mil, un terreno")])[
        "budget_max"] == 45_000
    assert extract([("<", "budget is 1.5 mil")])["budget_max"] == 1_500_000
    # A figure no house costs in millions is thousands in either language.
    assert extract([("<", "budget 420 mil")])["budget_max"] == 420_000
    got = extract([("<", "queremos algo entre 250 y 300 mil")])
    assert (got["budget_min"], got["budget_max"]) == (250_000, 300_000)
    got = extract([("<", "presupuesto de 320 a 360 mil")])
    assert (got["budget_min"], got["budget_max"]) == (320_000, 360_000)
    assert extract([("<", "presupuesto de medio millon")])["budget_max"] == 500_000


def test_monthly_amounts_in_spanish_are_no_budget(extract: Extract) -> None:
    assert "budget_max" not in extract([("<", "pagamos 1,800 al mes de renta")])
    assert "budget_max" not in extract([("<", "la mensualidad no puede pasar de 2 mil")])


def test_a_sellers_floor_is_the_sale_price(extract: Extract) -> None:
    sell = ("<", "we're selling our townhome in garner")
    got = extract([sell, ("<", "not taking anything under 340")])
    assert got["sell_price"] == 340_000 and "budget_min" not in got
    got = extract([sell, ("<", "we wouldn't accept less than 355k, hoping for 370k")])
    assert got["sell_price"] == 370_000 and "budget_max" not in got
    got = extract([("<", "quiero vender mi casa en cary, no acepto menos de 410 mil")])
    assert got["sell_price"] == 410_000
    # A buyer's "at least" is a budget floor, as before.
    assert extract([("<", "we want to buy, at least 300k")]) == {
        "intent": "buy", "budget_min": 300_000}
