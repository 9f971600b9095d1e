"""`leadmem bench extract` measures the fold per inbound message and scores what it read."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.bench.extract import ExtractBench, run


def test_bench_extract_times_each_inbound_message_and_scores_them(tmp_path: Path) -> None:
    cases = [
        {"id": "a", "now": "2026-03-14T15:02:00Z", "areas": [{"name": "Round Rock",
                                                              "aliases": ["round rock"]}],
         "messages": [{"direction": "outbound", "body": "Buy or sell?"},
                      {"direction": "inbound", "body": "Buying, 3 beds in round rock"}],
         "expect": {"intent": "buy", "bedrooms_min": 3, "locations": ["Round Rock"]}},
        {"id": "b", "now": "2026-03-14T15:02:00Z", "areas": [],
         "messages": [{"direction": "inbound", "body": "STOP"}],
         "expect": {"opted_out": True}},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    result = run(ExtractBench(cases=path, rounds=2))
    assert (result["cases"], result["inbound_messages"]) == (2, 2)
    timing = result["per_message_ms"]
    assert 0 < timing["p50"] <= timing["p95"] <= timing["p99"]
    assert result["micro_f1"] == 1.0 and result["import_ms"] > 0
