"""Smoke test of `leadmem bench receiver` with tiny durations: a fresh broker, the receiver
as a process, wrk against it (scripts/services.sh installs wrk), the raw producer; its last
line is the JSON result with the documented keys. No figure is asserted but the counts:
timings depend on the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

KEYS = {"requests_per_s", "p50_ms", "p99_ms", "latency_rate_per_s", "raw_produce_per_s",
        "raw_produce_window_per_s", "ratio", "receiver_cpu_ms_per_request", "records_on_topic",
        "targets", "saturation", "latency", "generator", "machine_before", "peak_rss_mb"}


def test_bench_receiver_prints_json(tmp_path: Path) -> None:
    env = {**os.environ, "LEADMEM_TOPIC_PARTITIONS": "2"}
    env.pop("LEADMEM_KAFKA_BOOTSTRAP", None)  # the bench starts its own broker
    out = subprocess.run(
        [sys.executable, "-m", "workers.cli", "bench", "receiver", "--json", "--duration", "1",
         "--latency-seconds", "1", "--warmup-seconds", "1", "--connections", "8",
         "--latency-connections", "8", "--tenants", "3", "--log-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1  # --json: only the result
    result = json.loads(lines[0])
    assert result.keys() >= KEYS
    assert result["generator"]["name"] == "wrk"
    saturation, latency = result["saturation"], result["latency"]
    # every request was a valid delivery: all accepted, each one a record on ghl.events
    assert saturation["outcomes"].keys() == {"accepted"} and saturation["non_2xx"] == 0
    assert result["records_on_topic"] == saturation["outcomes"]["accepted"] > 0
    assert latency["outcomes"].keys() == {"accepted"} and latency["requests"] > 0
    assert result["raw_records"] == saturation["outcomes"]["accepted"]
    assert result["raw_produce_per_s"] > 0 and result["receiver_cpu_ms_per_request"] > 0
