"""Run the extractor on one SPEC JSONL case (``id``, ``now``, ``areas``, ``messages``).

``expect`` is ignored: the extractor never reads labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .model import Area, Message
from .pipeline import extract_profile


def parse_now(value: str) -> datetime:
    """Parse the case's ISO-8601 ``now`` ("2026-03-14T15:02:00Z")."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def extract_case(case: dict[str, Any]) -> dict[str, Any]:
    """``{"id": ..., **profile}`` for one case, in the SPEC output shape."""
    messages = [Message.model_validate(m) for m in case["messages"]]
    areas = [Area.model_validate(a) for a in case.get("areas", [])]
    profile = extract_profile(messages, areas, parse_now(case["now"]))
    return {"id": case["id"], **profile.to_spec_dict()}
