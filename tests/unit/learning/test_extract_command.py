"""The dev set scored end to end the way an operator would: `leadmem extract` on stdin (with
the labels removed), scored by shared/learning/score.py itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "learning"
LEADMEM = Path(sys.executable).parent / "leadmem"


def test_leadmem_extract_scores_at_least_097_with_score_py(tmp_path: Path) -> None:
    dev, scorer = SHARED / "dev.jsonl", SHARED / "score.py"
    if not dev.exists() or not scorer.exists():
        pytest.skip(f"labelled dev set or scorer not found in {SHARED}")
    unlabelled = "\n".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "expect"})
        for line in dev.read_text(encoding="utf-8").splitlines() if line.strip())
    run = subprocess.run([str(LEADMEM), "extract"], input=unlabelled, capture_output=True,
                         text=True, timeout=120, check=True)
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(run.stdout, encoding="utf-8")
    score = subprocess.run([sys.executable, str(scorer), str(dev), str(predictions), "--json"],
                           capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(score.stdout.strip().splitlines()[-1])
    assert result["missing"] == []
    assert result["micro_f1"] >= 0.97, result


def test_leadmem_extract_reports_a_bad_line_and_goes_on() -> None:
    case = {"id": "ok", "now": "2026-03-01T12:00:00Z", "areas": [],
            "messages": [{"direction": "inbound", "body": "we are paying cash"}]}
    run = subprocess.run([str(LEADMEM), "extract"], input=f"{{oops\n{json.dumps(case)}\n",
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "line 1" in run.stderr
    assert [json.loads(x) for x in run.stdout.splitlines()] == [
        {"id": "ok", "financing": "cash"}]
