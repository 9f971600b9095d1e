from datetime import UTC, datetime, timedelta

from workers.learning import qualification, scoring, signals

T0 = datetime(2026, 3, 1, 15, tzinfo=UTC)


def test_timeline_and_financing_weigh_most() -> None:
    ready = {"timeline": "asap", "financing": "cash"}
    detailed = {"budget_max": 500000, "locations": ["Cary"], "bedrooms_min": 3,
                "motivation": "relocation"}
    assert scoring.score(ready, None)[0] == "hot"
    assert scoring.score(detailed, None)[0] == "cold"
    assert scoring.score(ready, None)[2] > scoring.score(detailed, None)[2]


def test_score_transitions_as_the_lead_reveals_more() -> None:
    profile: dict[str, object] = {"intent": "buy"}
    assert scoring.score(profile, None)[0] == "cold"
    profile.update(timeline="1_3_months", budget_max=450000)
    assert scoring.score(profile, None)[0] == "warm"
    profile.update(financing="preapproved")
    label, reasons, _ = scoring.score(profile, None)
    assert label == "hot"
    assert any("timeline" in r for r in reasons) and any("financing" in r for r in reasons)
    profile.update(timeline="browsing")  # "just looking" outweighs a pre-approval
    assert scoring.score(profile, None)[0] == "cold"


def test_opt_out_and_other_agent_override() -> None:
    hot = {"timeline": "asap", "financing": "cash", "budget_max": 1}
    assert scoring.score({**hot, "opted_out": True}, None)[:2] == ("cold",
                                                                   ["opted out of messages"])
    assert scoring.score({**hot, "has_agent": True}, None)[0] == "cold"


def test_behavioral_signals_count() -> None:
    turns = [
        signals.Turn("outbound", "How many bedrooms?", T0),
        signals.Turn("inbound", "3, and is there a pool? what about schools?", T0 + timedelta(
            minutes=2)),
        signals.Turn("outbound", "When do you want to move?", T0 + timedelta(minutes=3)),
        signals.Turn("inbound", "soon", T0 + timedelta(minutes=7)),
    ]
    s = signals.compute(turns)
    assert s.inbound_messages == 2 and s.questions_asked == 2
    assert s.median_reply_latency_s == 180.0 and s.main_channel == "sms"
    base = {"timeline": "3_6_months", "financing": "needs_financing"}
    assert scoring.score(base, s)[2] == scoring.score(base, None)[2] + 8


def test_qualification_buyer_and_seller_tracks() -> None:
    buyer = qualification.qualification({"intent": "buy", "budget_max": 400000}, None)
    assert buyer["open"][:2] == ["timeline", "financing"] and buyer["answered"]["budget"]
    seller = qualification.qualification({"intent": "sell", "timeline": "asap"},
                                         qualification.home_condition(["it needs some work"]))
    assert seller["track"] == "seller" and seller["home_condition"] == "needs some work"
    assert seller["open"] == ["price", "location", "motivation"]
    assert qualification.next_questions(seller, 1) == [qualification.QUESTIONS["price"]]
    both = qualification.qualification({"intent": "buy_and_sell"}, None)
    assert both["open"][:3] == ["timeline", "price", "condition"] and "financing" in both["open"]
