"""Every metric name a dashboard or alert rule queries is one the code defines.

The defined names are read from `prometheus_client.REGISTRY` in a fresh interpreter that
imports every worker module of this build (`workers.registry.available()`) plus the shared
runtime metrics, so the answer does not depend on what other tests imported.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((ROOT / "infra/grafana/dashboards").glob("*.json"))
ALERTS = ROOT / "infra/prometheus/alerts.yml"

# Metrics that only other workers can define, queried by dashboards/alerts before those
# workers exist in this build; the test fails once one of them is defined, so the list
# stays true. Empty since the responder (leadmem_claude_*) and outbound
# (leadmem_outbound_sends_total) workers landed; in a build without them, list those here.
PENDING_METRICS: set[str] = set()

_DEFINED = """
import importlib, json
from prometheus_client import REGISTRY
from workers.registry import WORKER_MODULES, available
importlib.import_module("workers.runtime.metrics")
for name in available():
    importlib.import_module(WORKER_MODULES[name])
suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"],
            "summary": ["_sum", "_count", ""], "gauge": [""], "info": ["_info"]}
names = set()
for family in REGISTRY.collect():
    names.update(family.name + s for s in suffixes.get(family.type, [""]))
print(json.dumps(sorted(names)))
"""


def defined_names() -> set[str]:
    out = subprocess.run([sys.executable, "-c", _DEFINED], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    return set(json.loads(out.stdout))


def metric_names(expr: str) -> set[str]:
    """`leadmem_*` metric names in a PromQL expression (string literals removed first)."""
    return set(re.findall(r"\bleadmem_[A-Za-z0-9_]+", re.sub(r'"(\\.|[^"\\])*"', '""', expr)))


def used_names() -> dict[str, set[str]]:
    """Metric name -> the files that query it."""
    used: dict[str, set[str]] = {}
    exprs: list[tuple[str, str]] = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        exprs += [(path.name, t["expr"]) for p in board["panels"] for t in p.get("targets", [])]
        for var in board["templating"]["list"]:
            query = var.get("query")
            if isinstance(query, dict):
                exprs.append((path.name, query["query"]))
    rules = yaml.safe_load(ALERTS.read_text())
    exprs += [(ALERTS.name, r["expr"]) for g in rules["groups"] for r in g["rules"]]
    for source, expr in exprs:
        for name in metric_names(expr):
            used.setdefault(name, set()).add(source)
    return used


def test_every_queried_metric_is_defined_or_explicitly_pending() -> None:
    defined = defined_names()
    used = used_names()
    assert len(used) > 20  # the parsing found the expressions
    missing = {n: sorted(f) for n, f in used.items() if n not in defined | PENDING_METRICS}
    assert not missing, f"queried but defined nowhere: {missing}"


def test_pending_metrics_are_still_pending_and_still_used() -> None:
    defined = defined_names()
    landed = PENDING_METRICS & defined
    assert not landed, f"now defined in the code: remove {sorted(landed)} from PENDING_METRICS"
    unused = PENDING_METRICS - set(used_names())
    assert not unused, f"no dashboard or rule uses {sorted(unused)}: drop them from the list"


def test_metric_names_are_found_outside_label_values() -> None:
    expr = 'sum(rate(leadmem_a_total{group=~"leadmem_b.*"}[5m])) / leadmem_c_seconds_count'
    assert metric_names(expr) == {"leadmem_a_total", "leadmem_c_seconds_count"}
