"""`leadmem bench extract`: the profile extractor's cost per message, as the learning worker
pays it (the incremental fold: each inbound message read once, on top of the reading of
the messages before it), over a labelled SPEC set (default: the shared dev set).

Reports P50/P95/P99 per inbound message and per case, the extractor's micro-F1 on the same
cases (so a speed-up that costs accuracy shows), and the import time of its rules.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SET = Path(__file__).resolve().parents[3] / "shared" / "learning" / "dev.jsonl"


@dataclass(frozen=True)
class ExtractBench:
    cases: Path = DEFAULT_SET
    rounds: int = 5  # each case folded this often; the best round per message is kept


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def import_ms() -> float:
    """A fresh interpreter's time to import the extractor (its regexes compile at import)."""
    code = ("import time; t = time.perf_counter(); import workers.learning.extract.pipeline; "
            "print((time.perf_counter() - t) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())


def run(cfg: ExtractBench) -> dict[str, Any]:
    from workers.learning.extract.case import parse_now
    from workers.learning.extract.model import Area, Message
    from workers.learning.extract.pipeline import Reading, read_on

    if not cfg.cases.is_file():
        raise FileNotFoundError(f"no labelled cases at {cfg.cases}")
    cases = [json.loads(line) for line in cfg.cases.read_text().splitlines() if line.strip()]
    per_message: list[float] = []
    per_case: list[float] = []
    for case in cases:
        messages = [Message.model_validate(m) for m in case["messages"]]
        areas = [Area.model_validate(a) for a in case.get("areas", [])]
        now = parse_now(case["now"])
        best: dict[int, float] = {}
        whole = float("inf")
        for _ in range(cfg.rounds):
            reading, started_case = Reading(), time.perf_counter()
            for i, message in enumerate(messages):
                started = time.perf_counter()
                reading = read_on(reading, messages[: i + 1], areas, now)
                if message.direction == "inbound":
                    took = (time.perf_counter() - started) * 1000
                    best[i] = min(best.get(i, took), took)
            reading.builder.build()
            whole = min(whole, (time.perf_counter() - started_case) * 1000)
        per_message += best.values()
        per_case.append(whole)
    return {
        "cases": len(cases), "inbound_messages": len(per_message), "rounds": cfg.rounds,
        "per_message_ms": {"p50": round(percentile(per_message, 0.50), 3),
                           "p95": round(percentile(per_message, 0.95), 3),
                           "p99": round(percentile(per_message, 0.99), 3),
                           "mean": round(statistics.fmean(per_message), 3)},
        "per_case_ms": {"p50": round(percentile(per_case, 0.50), 3),
                        "p95": round(percentile(per_case, 0.95), 3)},
        "micro_f1": micro_f1(cases),
        "import_ms": round(import_ms(), 1),
        "target": {"per_message_p95_ms": 2.0},
    }


def micro_f1(cases: list[dict[str, Any]]) -> float:
    """SPEC's slot micro-F1 (as `shared/learning/score.py` counts it) on `cases`."""
    from workers.learning.extract.case import extract_case

    def slots(profile: dict[str, Any]) -> set[tuple[str, str]]:
        out = set()
        for name, value in profile.items():
            if name == "id" or value is None or value == []:
                continue
            for item in value if isinstance(value, list) else [value]:
                out.add((name, json.dumps(item)))
        return out

    tp = fp = fn = 0
    for case in cases:
        got, want = slots(extract_case(case)), slots(case.get("expect", {}))
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0
