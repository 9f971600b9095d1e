"""Extraction that reads only what is new: each lead's last reading, continued.

The learning worker extracts the profile as of every message, and the extractor reads the
whole conversation each time, so a lead's n-th message cost O(n) and its history O(n^2): on
a busy worker that was most of its CPU. The fold is deterministic, so continuing the reading
of the same first messages (same ids, directions and bodies, same areas, same day) gives
exactly the full read's result. Anything else (a message stored out of order, changed
areas, a new day, a redelivery of an earlier message) reads the conversation again.

The cache is bounded (least recently used leads go first) and per process; it holds a
digest of the messages read, never their text.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from prometheus_client import Counter

from workers.learning.extract.model import Area, LeadProfile, Message
from workers.learning.extract.pipeline import Reading, read_on

EXTRACTIONS = Counter(
    "leadmem_learning_extractions_total",
    "Profile extractions by how they started: continued (from the lead's previous reading) "
    "or full (the whole conversation read again).",
    ["start"],
)


@dataclass(frozen=True)
class _Entry:
    digest: bytes  # of the messages read, in order
    areas: tuple[Area, ...]
    day: date
    reading: Reading


def digests(messages: Sequence[Message]) -> list[bytes]:
    """Running digest after each message: `digests(m)[i]` covers `m[: i + 1]`."""
    h = hashlib.blake2b(digest_size=16)
    out = []
    for m in messages:
        for part in (m.id or "", m.direction, m.body):
            raw = part.encode()
            h.update(len(raw).to_bytes(4, "big"))
            h.update(raw)
        out.append(h.digest())
    return out


class IncrementalExtractor:
    def __init__(self, max_leads: int = 20_000) -> None:
        self.max_leads = max_leads
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def extract(self, lead: tuple[str, str], messages: Sequence[Message],
                areas: Sequence[Area], now: datetime) -> tuple[LeadProfile, dict[str, int]]:
        """`extract_profile_with_sources(messages, areas, now)`, continuing `lead`'s last
        reading when `messages` begins with what it read."""
        run = digests(messages)
        key_areas, day = tuple(areas), now.date()
        start = Reading()
        entry = self._entries.get(lead)
        if (entry is not None and entry.areas == key_areas and entry.day == day
                and 0 < entry.reading.count <= len(messages)
                and run[entry.reading.count - 1] == entry.digest):
            start = entry.reading
        EXTRACTIONS.labels("continued" if start.count else "full").inc()
        reading = read_on(start, messages, areas, now)
        if messages:
            self._entries[lead] = _Entry(run[-1], key_areas, day, reading)
            self._entries.move_to_end(lead)
            while len(self._entries) > self.max_leads:
                self._entries.popitem(last=False)
        return reading.builder.build()

    def forget(self, lead: tuple[str, str]) -> None:
        self._entries.pop(lead, None)

    def __len__(self) -> int:
        return len(self._entries)
