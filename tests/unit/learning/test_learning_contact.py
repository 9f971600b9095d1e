"""has_agent, wants_human, opted_out and financing (SPEC: booleans, financing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Extract = Callable[..., dict[str, Any]]



def test_current_agent_only(extract: Extract) -> None:
    assert extract([("<", "we're already working with a realtor")])["has_agent"] is True
    assert "has_agent" not in extract([("<", "we had an agent but parted ways")])
    assert "has_agent" not in extract([("<", "my brother is a realtor but we're not using him")])
    got = extract([(">", "Are you working with an agent?"), ("<", "not yet"),
                   ("<", "update: we signed with someone yesterday")])
    assert got["has_agent"] is True


def test_wants_human(extract: Extract) -> None:
    assert extract([("<", "can someone give me a call?")])["wants_human"] is True
    assert extract([("<", "I'd rather talk to a real person")])["wants_human"] is True
    got = extract([(">", "Want to hop on a quick call?"), ("<", "sure, that works")])
    assert got["wants_human"] is True
    assert "wants_human" not in extract([("<", "please don't call, text only")])


def test_opt_out_words(extract: Extract) -> None:
    for body in ("STOP", "Unsubscribe", "please remove me from your list", "stop texting me",
                 "quit", "Cancel", "END", "opt me out", "revoke"):
        assert extract([("<", body)]).get("opted_out") is True, body


def test_opt_out_words_in_other_senses(extract: Extract) -> None:
    for body in ("can we cancel the showing on friday?", "stop sending me condos pls",
                 "we want to end our lease early", "I'll quit my job when we move"):
        assert "opted_out" not in extract([("<", body)]), body


def test_start_clears_opt_out_but_nothing_else(extract: Extract) -> None:
    got = extract([("<", "want a 3 bed in cary"), ("<", "STOP")])
    assert got == {"bedrooms_min": 3, "locations": ["Cary"], "opted_out": True}
    got = extract([("<", "STOP"), (">", "You're unsubscribed. Reply START to resume."),
                   ("<", "START")])
    assert "opted_out" not in got
    assert "opted_out" not in extract([("<", "stop"), ("<", "unstop, sorry wrong chat")])


def test_financing(extract: Extract) -> None:
    assert extract([("<", "paying all cash")])["financing"] == "cash"
    assert extract([("<", "we have our pre-approval letter")])["financing"] == "preapproved"
    assert extract([("<", "pre-qualified, still need a lender")])["financing"] == (
        "needs_financing"
    )
    assert extract([("<", "we haven't done the preapproval yet")])["financing"] == (
        "needs_financing"
    )
    assert "financing" not in extract([("<", "looking for cash flow properties")])


def test_yes_no_answers_to_preapproval(extract: Extract) -> None:
    assert extract([(">", "Are you pre-approved?"), ("<", "yes")])["financing"] == "preapproved"
    assert extract([(">", "Are you pre-approved?"), ("<", "no not yet")])["financing"] == (
        "needs_financing"
    )
