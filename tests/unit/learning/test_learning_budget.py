"""Budget, sale price and pre-approval amounts (SPEC: budget_min/max, sell_price)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]


def test_bare_number_answering_budget_question_means_thousands(extract: Extract) -> None:
    got = extract([(">", "What price range works for you?"), ("<", "375")])
    assert got["budget_max"] == 375_000
    assert "budget_min" not in got


def test_range_shares_its_suffix(extract: Extract) -> None:
    assert extract([("<", "we can do 1.3-1.6m")]) == {"budget_min": 1_300_000,
                                                     "budget_max": 1_600_000}
    got = extract([(">", "Budget?"), ("<", "somewhere between 280 and 320")])
    assert (got["budget_min"], got["budget_max"]) == (280_000, 320_000)


def test_direction_words(extract: Extract) -> None:
    assert extract([("<", "nothing over $415,000 please")])["budget_max"] == 415_000
    assert extract([("<", "we want to spend at least 700k")]) == {"budget_min": 700_000}
    assert extract([("<", "looking for something 850k and up")]) == {"budget_min": 850_000}
    assert extract([("<", "budget is 2 mil")]) == {"budget_max": 2_000_000}
    assert extract([("<", "up to half a million")]) == {"budget_max": 500_000}


def test_latest_budget_wins(extract: Extract) -> None:
    got = extract([
        (">", "What's your budget?"), ("<", "around 410"),
        (">", "Great, any must-haves?"), ("<", "a garage. and we talked, we could stretch to 460k"),
    ])
    assert got["budget_max"] == 460_000


def test_rent_hoa_payment_taxes_and_years_are_not_budgets(extract: Extract) -> None:
    got = extract([(
        "<",
        "our hoa is $250/mo, taxes about 5100 a year and the mortgage payment is 2300. "
        "house was built in 2004, 2100 sqft",
    )])
    assert "budget_max" not in got
    renter = extract([("<", "we want to rent a 2 bed in cary, under 1900")])
    assert renter["intent"] == "rent"
    assert "budget_max" not in renter


def test_prequalification_amount_sets_no_budget(extract: Extract) -> None:
    got = extract([("<", "we're pre-qualified for 390k")])
    assert got == {"financing": "needs_financing"}


def test_preapproval_amount_stands_in_only_without_a_budget(extract: Extract) -> None:
    assert extract([("<", "just got pre-approved for 610k!")])["budget_max"] == 610_000
    got = extract([("<", "our budget is 540k"), ("<", "oh and we got preapproved for 600k")])
    assert got["budget_max"] == 540_000
    got = extract([("<", "pre-approved for 600 but we'd like to keep it under 550")])
    assert got["budget_max"] == 550_000


def test_street_numbers_and_phone_numbers_are_not_prices(extract: Extract) -> None:
    got = extract([("<", "saw the listing at 2418 Oak St, call me at 919-555-0100")])
    assert "budget_max" not in got


def test_sell_price_prefers_the_hoped_figure(extract: Extract) -> None:
    got = extract([
        (">", "Thinking of selling your place in Apex?"), ("<", "yes"),
        (">", "What would you want to get for it?"),
        ("<", "at least 400 but really hoping for 440"),
    ])
    assert got["sell_price"] == 440_000
    assert "budget_max" not in got


def test_sell_price_at_least_alone(extract: Extract) -> None:
    got = extract([("<", "selling my townhouse in garner, want at least 315k for it")])
    assert got["sell_price"] == 315_000


def test_past_purchase_and_owed_amounts_are_not_sale_prices(extract: Extract) -> None:
    got = extract([("<", "want to sell my condo. we paid 210k in 2019 and owe 150 on it")])
    assert "sell_price" not in got


def test_buy_and_sell_keeps_budget_and_sale_price_apart(extract: Extract) -> None:
    got = extract([
        (">", "Buying, selling, or both?"), ("<", "both, selling in apex and buying in cary"),
        (">", "What do you think your home is worth?"), ("<", "around 520"),
        (">", "And budget for the new one?"), ("<", "600 to 650"),
    ])
    assert got["intent"] == "buy_and_sell"
    assert (got["sell_price"], got["budget_min"], got["budget_max"]) == (520_000, 600_000, 650_000)
