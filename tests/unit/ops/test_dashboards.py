"""Grafana provisioning and dashboards: well-formed, each with its own uid, every panel
querying the provisioned Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "infra/grafana"
EXPECTED = {"pipeline-overview", "tenant-drilldown", "claude-usage", "memory-cache"}


def test_the_four_dashboards_have_distinct_uids_and_well_formed_panels() -> None:
    boards = {p.stem: json.loads(p.read_text()) for p in (GRAFANA / "dashboards").glob("*.json")}
    assert set(boards) == EXPECTED
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert board["title"].startswith("lead-memory: "), name
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)) and ids, name
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["query"] == "prometheus"
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}", (name, panel["title"])
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (name, panel["title"])


def test_provisioning_points_at_the_mounted_dashboards_and_prometheus() -> None:
    (source,) = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/prometheus.yml").read_text())["datasources"]
    assert (source["uid"], source["url"]) == ("prometheus", "http://prometheus:9090")
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/leadmem.yml").read_text())["providers"]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./infra/grafana/dashboards"] == provider["options"]["path"]
