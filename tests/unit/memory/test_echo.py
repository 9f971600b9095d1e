"""The memory's decision for a conversation message, as a table over plain data."""

from __future__ import annotations

import pytest

from workers.memory.echo import Known, Verdict, classify

NEW = Known(stored=False, stored_reply_key=None, our_reply=None)


@pytest.mark.parametrize(("direction", "sender", "known", "expected"), [
    # an inbound message from the lead: stored, nothing else
    ("inbound", "lead", None, Verdict(True, "lead", None, False)),
    # a human agent's outbound message: stored, and the conversation is taken over
    ("outbound", "human", NEW, Verdict(True, "human", None, True)),
    ("outbound", "human", None, Verdict(True, "human", None, True)),  # no GHL id
    # a workflow's outbound message: stored, no takeover
    ("outbound", "workflow", NEW, Verdict(True, "workflow", None, False)),
    # the echo of our own reply (GHL delivered it under this id): the AI's, linked, no
    # takeover even when GHL labels it as sent by a user
    ("outbound", "human", Known(False, None, "r-1"), Verdict(True, "ai", "r-1", False)),
    # a redelivery of a stored message: not stored again, its link kept
    ("outbound", "human", Known(True, "r-1", "r-1"), Verdict(False, "human", "r-1", False)),
    ("outbound", "human", Known(True, None, None), Verdict(False, "human", None, False)),
])
def test_classify(direction: str, sender: str, known: Known | None, expected: Verdict) -> None:
    assert classify(direction, sender, known) == expected
