"""The local Kafka cluster's shape (`devtools.kafka`: `Quorum`, `KafkaCluster`), without
starting it: what each node is configured with, its ports, and a cluster read back from its
data folder. Started for real by the cluster fault test (tests/reliability)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.kafka import (
    KafkaCluster,
    KafkaServer,
    KafkaSetupError,
    Quorum,
    _with,
    min_insync,
    server_properties,
)


@pytest.mark.parametrize(("replication", "isr"), [(1, 1), (2, 1), (3, 2), (5, 2)])
def test_one_broker_may_be_down_and_writes_still_have_two_copies(
        replication: int, isr: int) -> None:
    assert min_insync(replication) == isr


def test_every_node_of_a_quorum_names_every_controller_and_replicates_three_ways() -> None:
    quorum = Quorum.new([9093, 9095, 9097])
    assert [(node, port) for node, port, _ in quorum.controllers] == [
        (1, 9093), (2, 9095), (3, 9097)]
    assert len({directory for _, _, directory in quorum.controllers}) == 3
    assert quorum.initial_controllers == ",".join(
        f"{node}@127.0.0.1:{port}:{directory}" for node, port, directory in quorum.controllers)
    props = quorum.properties(2)
    assert props["node.id"] == "2"
    assert props["controller.quorum.bootstrap.servers"] == (
        "127.0.0.1:9093,127.0.0.1:9095,127.0.0.1:9097")
    assert {k: props[k] for k in ("default.replication.factor", "min.insync.replicas",
                                  "offsets.topic.replication.factor",
                                  "transaction.state.log.replication.factor",
                                  "transaction.state.log.min.isr")} == {
        "default.replication.factor": "3", "min.insync.replicas": "2",
        "offsets.topic.replication.factor": "3",
        "transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2"}


def test_a_node_keeps_the_dev_nodes_fast_restart_settings(tmp_path: Path) -> None:
    quorum = Quorum.new([9093, 9095, 9097])
    lines = _with(server_properties(tmp_path, 9092, 9093), quorum.properties(1)).splitlines()
    props = dict(line.split("=", 1) for line in lines if "=" in line)
    assert props["broker.session.timeout.ms"] == "2000"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["offsets.topic.replication.factor"] == "3"
    assert sum(1 for line in lines if line.startswith("offsets.topic.replication.factor=")) == 1


def test_the_dev_clusters_ports_follow_the_dev_broker_port(tmp_path: Path) -> None:
    cluster = KafkaCluster(tmp_path, 3, port=19092)
    assert [(n.node_id, n.port, n.controller_port) for n in cluster.nodes] == [
        (1, 19092, 19093), (2, 19094, 19095), (3, 19096, 19097)]
    assert cluster.bootstrap == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert [n.data_dir for n in cluster.nodes] == [tmp_path / f"node-{i}" for i in (1, 2, 3)]
    assert (cluster.replication, cluster.min_insync) == (3, 2)


def test_a_cluster_is_read_back_from_its_data_folder(tmp_path: Path) -> None:
    """A restart of `leadmem dev --brokers 3` finds each node's ports in its configuration
    (the controller's from its listener: every node lists all three controllers)."""
    quorum = Quorum.new([19093, 19095, 19097])
    for i, (port, controller) in enumerate([(19092, 19093), (19094, 19095), (19096, 19097)], 1):
        folder = tmp_path / f"node-{i}"
        folder.mkdir()
        (folder / "server.properties").write_text(
            _with(server_properties(folder, port, controller), quorum.properties(i)))
    (tmp_path / "node-x").mkdir()  # not a node's folder
    cluster = KafkaCluster(tmp_path, 3)
    assert [(n.node_id, n.port, n.controller_port) for n in cluster.nodes] == [
        (1, 19092, 19093), (2, 19094, 19095), (3, 19096, 19097)]
    single = KafkaServer(tmp_path / "node-2")
    assert (single.port, single.controller_port) == (19094, 19095)
    with pytest.raises(KafkaSetupError, match="holds a cluster of 3 nodes, not 5"):
        KafkaCluster(tmp_path, 5)


def test_a_secure_cluster_node_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KafkaSetupError, match="secure node of a cluster"):
        KafkaServer(tmp_path, 9092, controller_port=9093, secure=True,
                    quorum=Quorum.new([9093]))
