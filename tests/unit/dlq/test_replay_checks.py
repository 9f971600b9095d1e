"""What a replay of named dead letters is refused for, before anything is replayed, and how a
dead letter is shown (the CLI's and the console's one rule)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.events import DeadLetter
from schemas.topics import GHL_EVENTS, PIPELINE_DLQ
from workers.dlq.letters import Letter, identity, replayable, shown
from workers.dlq.replay import refusal
from workers.runtime.record import Record

AT = datetime(2026, 12, 7, tzinfo=UTC)


def letter(partition: int, offset: int, tenant: str | None = "locA",
           source: str = GHL_EVENTS, value: bytes = b"{}") -> Letter:
    x = DeadLetter(worker="ingestion", source_topic=source, partition=0, offset=offset,
                   value_b64="e30=", error_type="InvalidEventError", error="bad",
                   attempts=1, tenant_id=tenant, dead_lettered_at=AT)
    return Record(PIPELINE_DLQ, partition, offset, value), x


@pytest.mark.parametrize(("wanted", "chosen", "tenant", "why"), [
    ({(0, 1)}, [letter(0, 1)], None, None),
    ({(0, 1)}, [letter(0, 1)], "locA", None),
    ({(0, 1), (1, 2)}, [letter(0, 1)], None, "no dead letter at 1:2"),
    ({(0, 1)}, [letter(0, 1, tenant="locB")], "locA", "not dead letters of tenant locA: 0:1"),
    ({(0, 1)}, [letter(0, 1, source="nope")], None, "unknown source topic for 0:1"),
    ({(0, 1)}, [letter(0, 1, source=PIPELINE_DLQ)], None, "unknown source topic for 0:1"),
])
def test_refusal(wanted: set[tuple[int, int]], chosen: list[Letter], tenant: str | None,
                 why: str | None) -> None:
    found = refusal(wanted, chosen, tenant)
    assert (found is None) if why is None else (found is not None and found.startswith(why))


def test_identity_replayable_and_shown() -> None:
    record, x = letter(2, 7)
    assert identity(x) == ("ingestion", GHL_EVENTS, 0, 7) and replayable(x)
    out = shown(record, x, {identity(x)})
    assert out["value"] == "{}" and "value_b64" not in out and out["replayed"] is True
    binary, y = letter(2, 8, value=b"\xff\xfe")
    out = shown(binary, y, set())
    assert out["value"] is None and out["value_b64"] and out["replayed"] is False
