"""The development/CI broker: Apache Kafka in KRaft mode, one combined broker+controller.

The same Kafka as production (compose.yaml runs this version), fetched from Maven Central by
Maven from `infra/kafka/pom.xml` into a cache folder once, its storage formatted once per data
folder, and started with `java -cp`. `leadmem dev` keeps its data under `var/kafka`, so a
restart of the broker keeps every topic and offset; the tests start one per session and the
bench one per run, each in a temporary folder. Needs Java 17+ and Maven (scripts/services.sh
checks both).

`secure=True` starts it as a managed Kafka would be reached: its client listener SASL_SSL
(SCRAM-SHA-512, a user created when the storage is formatted; a self-signed CA and broker
certificate, `devtools.kafka_tls`), the controller's listener PLAINTEXT on loopback. The
client settings (LEADMEM_KAFKA_*: the user's password, the CA file) are written to
`client.env` in its data folder (`KafkaServer.client_settings`).

`KafkaCluster` runs several such nodes as one cluster (`leadmem dev --brokers 3`, the fault
suite's cluster run): each node a broker and a controller of one KRaft quorum (`Quorum`: one
cluster id, every node's controller listed in `controller.quorum.bootstrap.servers` and in the
storage format's `--initial-controllers`), each with its own data folder, ports and log, and
every topic replicated to all of them (`min.insync.replicas=2` of 3).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers.runtime.kafka_access import KafkaAccess

KAFKA_VERSION = "4.4.0"
REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_INFRA = REPO_ROOT / "infra" / "kafka"

# The JVM flags of Kafka's own kafka-run-class.sh, with a heap sized for a development node
# (the JVM's default is a quarter of RAM).
JVM_FLAGS = (
    "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true",
)


# The secure listener's SASL mechanism and user (its password is made per data folder).
SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_USER = "leadmem"
# The Settings fields of a client's Kafka security (all of them: a client built from
# `client_settings` takes none from the environment).
SECURITY_FIELDS = ("kafka_security_protocol", "kafka_sasl_mechanism", "kafka_sasl_username",
                   "kafka_sasl_password", "kafka_ssl_cafile", "kafka_ssl_certfile",
                   "kafka_ssl_keyfile", "kafka_ssl_key_password")


class KafkaSetupError(RuntimeError):
    """Java, Maven or the Kafka jars are missing, or the broker would not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def cache_dir() -> Path:
    base = os.environ.get("LEADMEM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "leadmem")
    return Path(base)


def kafka_libs() -> Path:
    """The folder of Kafka's jars, fetched by Maven on first use (a few seconds from the
    local Maven repository after that; the folder itself is reused across clones)."""
    libs = cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"
    if (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("Maven (mvn) is needed to fetch Apache Kafka from Maven Central")
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=libs.parent))
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(KAFKA_INFRA / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={staging}", "-DincludeScope=runtime"],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise KafkaSetupError(f"fetching Kafka {KAFKA_VERSION} with Maven failed:\n"
                              f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    try:
        staging.rename(libs)  # atomic: a concurrent fetch either wins or finds it done
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return libs


def new_cluster_id() -> str:
    """Kafka's cluster id format: a UUID as unpadded URL-safe base64 (22 characters)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """A single node's configuration. Settings chosen for development and tests: one replica
    everywhere; no initial rebalance delay (each new group would wait 3 s); few partitions
    for the internal topics, so the first group on a fresh node is ready quickly; a short
    broker session, because after a SIGKILL the restarted node waits for its previous
    registration to expire (measured: ready 12.9 s after a restart at the 9 s default, 4.9 s
    at 2 s)."""
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={data_dir / 'log'}",
        "auto.create.topics.enable=false",
        "num.partitions=6",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "broker.session.timeout.ms=2000",
        "broker.heartbeat.interval.ms=500",
        "message.max.bytes=16777216",
        "",
    ])


def min_insync(replication: int) -> int:
    """Replicas that must have a write before acks=all answers: 2 of 3, so one node may be
    down and every acknowledged write still has a second copy."""
    return max(1, min(2, replication - 1))


@dataclass(frozen=True)
class Quorum:
    """What the nodes of one cluster share: its id and its controllers, (node id, controller
    port, storage directory id) each. Every node is a controller too (a small cluster needs
    no separate controller processes), so a majority of the nodes must be up for the cluster
    to elect a controller; a dynamic quorum (KIP-853), formatted with `--initial-controllers`
    on every node."""

    cluster_id: str
    controllers: tuple[tuple[int, int, str], ...]

    @classmethod
    def new(cls, controller_ports: list[int]) -> Quorum:
        """Nodes 1..N with these controller ports, a new cluster id and directory ids."""
        return cls(new_cluster_id(), tuple((i, port, new_cluster_id())
                                           for i, port in enumerate(controller_ports, 1)))

    @property
    def replication(self) -> int:
        """Every topic on every node."""
        return len(self.controllers)

    @property
    def min_insync(self) -> int:
        return min_insync(self.replication)

    @property
    def initial_controllers(self) -> str:
        return ",".join(f"{node}@127.0.0.1:{port}:{directory}"
                        for node, port, directory in self.controllers)

    def properties(self, node_id: int) -> dict[str, str]:
        """What a node of this cluster changes in `server_properties`."""
        rf, isr = str(self.replication), str(self.min_insync)
        return {
            "node.id": str(node_id),
            "controller.quorum.bootstrap.servers": ",".join(
                f"127.0.0.1:{port}" for _, port, _ in self.controllers),
            "default.replication.factor": rf,
            "min.insync.replicas": isr,
            "offsets.topic.replication.factor": rf,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": isr,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": isr,
        }


def secure_properties(port: int, controller_port: int, tls_dir: Path, password: str,
                      keystore_password: str) -> dict[str, str]:
    """What `secure=True` changes in `server_properties`: the client listener SASL_SSL with
    SCRAM (the broker authenticates to itself, inter-broker, as the same user), TLS from
    `tls_dir` (`devtools.kafka_tls`); the controller listener stays PLAINTEXT on loopback."""
    jaas = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{SCRAM_USER}" password="{password}";')
    listener = f"listener.name.sasl_ssl.{SCRAM_MECHANISM.lower()}.sasl.jaas.config"
    return {
        "listeners": f"SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"SASL_SSL://127.0.0.1:{port}",
        "inter.broker.listener.name": "SASL_SSL",
        "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
        listener: jaas,
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(tls_dir / "broker.p12"),
        "ssl.keystore.password": keystore_password,
        "ssl.key.password": keystore_password,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls_dir / "ca.crt"),
    }


def _with(properties: str, changes: dict[str, str]) -> str:
    """`properties` with the values of `changes` (replaced in place, or added at the end)."""
    lines, left = [], dict(changes)
    for line in properties.splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={left.pop(key)}" if key in left else line)
    return "\n".join([*lines, *(f"{k}={v}" for k, v in left.items()), ""])


def _write_private(path: Path, text: str) -> None:
    """A file only its owner can read (it holds a password)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


class KafkaServer:
    """One Kafka process on 127.0.0.1:`port` with its data in `data_dir`.

    The first start formats the storage; later starts (after `stop` or `kill`) reuse it with
    the same ports, so topics, records and committed offsets survive a restart (and, with
    `secure`, the same certificates and user)."""

    def __init__(self, data_dir: Path, port: int | None = None, *,
                 controller_port: int | None = None, heap: str = "512m",
                 secure: bool = False, node_id: int = 1, quorum: Quorum | None = None) -> None:
        if secure and quorum is not None:
            raise KafkaSetupError("a secure node of a cluster is not supported")
        self.data_dir = Path(data_dir)
        self.node_id = node_id
        self.quorum = quorum
        self.config = self.data_dir / "server.properties"
        self.log_path = self.data_dir / "kafka.log"
        self.client_env = self.data_dir / "client.env"
        self.heap = heap
        self.secure = secure
        self.process: subprocess.Popen[bytes] | None = None
        if self.config.exists():
            props = dict(line.split("=", 1) for line in self.config.read_text().splitlines()
                         if "=" in line)
            self.port = int(props["advertised.listeners"].rsplit(":", 1)[1])
            self.controller_port = int(props["listeners"].split("CONTROLLER://", 1)[1]
                                       .split(",", 1)[0].rsplit(":", 1)[1])
            self.node_id = int(props["node.id"])
            self.secure = props["advertised.listeners"].startswith("SASL_SSL://")
        else:
            self.port = port or free_port()
            self.controller_port = controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def version(self) -> str:
        return KAFKA_VERSION

    def client_settings(self) -> dict[str, Any]:
        """The Settings fields of a client of this broker (its address and every security
        field): `Settings(**server.client_settings(), ...)`."""
        values: dict[str, Any] = dict.fromkeys(SECURITY_FIELDS)
        values.update(kafka_bootstrap=self.bootstrap, kafka_security_protocol="PLAINTEXT",
                      kafka_ssl_check_hostname=True)
        if self.secure:
            for line in self.client_env.read_text().splitlines():
                name, _, value = line.partition("=")
                values[name.removeprefix("LEADMEM_").lower()] = value
        return values

    @property
    def access(self) -> KafkaAccess:
        """How a client reaches this broker (`workers.runtime.kafka_access`)."""
        from workers.runtime.kafka_access import KafkaAccess, kafka_access
        from workers.settings import Settings

        if not self.secure:
            return KafkaAccess(self.bootstrap)
        return kafka_access(Settings(**self.client_settings()))

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _java(self, libs: Path, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaSetupError("Java 17+ is needed to run Apache Kafka")
        return [java, f"-Xmx{self.heap}", f"-Xms{self.heap}", *JVM_FLAGS,
                f"-Dlog4j2.configurationFile={KAFKA_INFRA / 'log4j2.xml'}",
                "-cp", f"{libs}/*", *args]

    def _format(self, libs: Path) -> None:
        if (self.data_dir / "log" / "meta.properties").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = server_properties(self.data_dir, self.port, self.controller_port)
        tool = ["kafka.tools.StorageTool", "format", "--standalone",
                f"--cluster-id={new_cluster_id()}", "-c", str(self.config)]
        if self.quorum is not None:
            properties = _with(properties, self.quorum.properties(self.node_id))
            tool = ["kafka.tools.StorageTool", "format",
                    f"--initial-controllers={self.quorum.initial_controllers}",
                    f"--cluster-id={self.quorum.cluster_id}", "-c", str(self.config)]
        if not self.secure:
            self.config.write_text(properties)
            result = subprocess.run(self._java(libs, *tool), capture_output=True, text=True,
                                    check=False)
        else:
            result = self._format_secure(libs, properties, tool)
        if result.returncode != 0:
            raise KafkaSetupError(f"formatting Kafka storage in {self.data_dir} failed:\n"
                                  f"{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def _format_secure(self, libs: Path, properties: str, tool: list[str],
                       ) -> subprocess.CompletedProcess[str]:
        """Certificates, the SCRAM user (created by the format: KRaft keeps it in the cluster
        metadata) and the client settings. The password reaches the format tool in a Java
        argument file, never on a command line."""
        from devtools.kafka_tls import write_broker_tls

        password, keystore_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        tls = write_broker_tls((self.data_dir / "tls").resolve(), keystore_password)
        _write_private(self.config, _with(properties, secure_properties(
            self.port, self.controller_port, tls.cafile.parent, password, keystore_password)))
        _write_private(self.client_env, "".join(f"LEADMEM_{k}={v}\n" for k, v in (
            ("KAFKA_BOOTSTRAP", self.bootstrap), ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("KAFKA_SASL_MECHANISM", SCRAM_MECHANISM), ("KAFKA_SASL_USERNAME", SCRAM_USER),
            ("KAFKA_SASL_PASSWORD", password), ("KAFKA_SSL_CAFILE", tls.cafile))))
        scram = f"{SCRAM_MECHANISM}=[name={SCRAM_USER},password={password}]"
        argfile = self.data_dir / "format.args"
        _write_private(argfile, "\n".join(f'"{arg}"' for arg in [*tool, "--add-scram", scram]))
        try:
            return subprocess.run(self._java(libs, f"@{argfile}"), capture_output=True,
                                  text=True, check=False)
        finally:
            argfile.unlink()

    def start(self, *, detach: bool = False) -> None:
        """Start the process (formatting the storage first if it is new)."""
        libs = kafka_libs()
        self._format(libs)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self._java(libs, "kafka.Kafka", str(self.config)),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=detach)
        (self.data_dir / "kafka.pid").write_text(f"{self.process.pid}\n")

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Until the broker accepts connections and answers a metadata request."""
        from aiokafka.errors import KafkaError

        from workers.runtime.kafka import probe_broker

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        access = self.access
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise KafkaSetupError(f"Kafka exited with status {self.process.returncode}; "
                                      f"see {self.log_path}")
            if loop.time() > deadline:
                raise TimeoutError(f"Kafka did not answer on {self.bootstrap} in {timeout_s} s")
            if port_open("127.0.0.1", self.port):
                with contextlib.suppress(KafkaError):
                    await probe_broker(access)
                    return
            await asyncio.sleep(0.1)

    def stop(self, timeout_s: float = 30.0) -> None:
        """A controlled shutdown (SIGTERM), SIGKILL if it takes longer than `timeout_s`."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout_s)
            if self.process.poll() is None:
                self.kill()
        self.process = None
        (self.data_dir / "kafka.pid").unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL: no controlled shutdown, nothing flushed beyond what the OS has."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None
        (self.data_dir / "kafka.pid").unlink(missing_ok=True)


def stop_detached(data_dir: Path, timeout_s: float = 30.0) -> int | None:
    """Stop a broker started detached from `data_dir` (its pid file); returns its pid."""
    pids = _stop_pids([Path(data_dir)], timeout_s)
    return pids[0] if pids else None


def stop_detached_cluster(data_dir: Path, timeout_s: float = 30.0) -> list[int]:
    """Stop every node of a cluster started detached from `data_dir` (all signalled at
    once: a node left alone without a quorum would wait for it); returns their pids."""
    return _stop_pids(KafkaCluster.node_dirs(Path(data_dir)), timeout_s)


def _stop_pids(data_dirs: list[Path], timeout_s: float) -> list[int]:
    """SIGTERM the Kafka process of each folder's pid file, SIGKILL those still running
    after `timeout_s`; a stale pid file (its pid now another process, or none) is skipped."""
    pids: list[int] = []
    for data_dir in data_dirs:
        pid_file = data_dir / "kafka.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        pid_file.unlink()
        try:
            if b"kafka.Kafka" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue  # a stale file: that pid is some other process now
            os.kill(pid, signal.SIGTERM)
        except (FileNotFoundError, ProcessLookupError):
            continue
        pids.append(pid)
    deadline = time.monotonic() + timeout_s
    running = list(pids)
    while running and time.monotonic() < deadline:
        time.sleep(0.1)
        running = [pid for pid in running if _alive(pid)]
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class KafkaCluster:
    """`nodes` Kafka processes on 127.0.0.1 as one cluster, each a broker and a controller
    (`Quorum`), node i+1's data in `data_dir/node-<i+1>`.

    Ports: `port`, `port + 2`, ... for the clients and the next port of each for its
    controller (`leadmem dev --brokers 3`: 19092-19097), or free ones. As with one node, the
    first start formats every node's storage and later starts reuse it (ports and all), so a
    node killed with `kill(i)` comes back on its own data with `restart(i)`."""

    def __init__(self, data_dir: Path, nodes: int = 3, *, port: int | None = None,
                 heap: str = "512m") -> None:
        if nodes < 1:
            raise KafkaSetupError(f"a cluster needs at least one node, not {nodes}")
        self.data_dir = Path(data_dir)
        existing = self.node_dirs(self.data_dir)
        if existing:
            if len(existing) != nodes:
                raise KafkaSetupError(f"{self.data_dir} holds a cluster of {len(existing)} "
                                      f"nodes, not {nodes}")
            self.nodes = [KafkaServer(d, heap=heap) for d in existing]
            return
        ports = ([(port + 2 * i, port + 2 * i + 1) for i in range(nodes)] if port
                 else [(free_port(), free_port()) for _ in range(nodes)])
        quorum = Quorum.new([controller for _, controller in ports])
        self.nodes = [KafkaServer(self.data_dir / f"node-{i}", client, controller_port=controller,
                                  heap=heap, node_id=i, quorum=quorum)
                      for i, (client, controller) in enumerate(ports, 1)]

    @staticmethod
    def node_dirs(data_dir: Path) -> list[Path]:
        """The node folders of a cluster's data folder (formatted or not), in node order."""
        return sorted((d for d in data_dir.glob("node-*") if d.name[5:].isdigit()),
                      key=lambda d: int(d.name[5:]))

    @property
    def bootstrap(self) -> str:
        """Every node's address: a client reaches the cluster through any that answers."""
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def replication(self) -> int:
        """Every topic on every node."""
        return len(self.nodes)

    @property
    def min_insync(self) -> int:
        return min_insync(self.replication)

    @property
    def version(self) -> str:
        return KAFKA_VERSION

    def start(self, *, detach: bool = False) -> None:
        """Every node (their storage formatted first if new); `wait_ready` until they answer."""
        for node in self.nodes:
            node.start(detach=detach)

    async def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Until every node answers (each waits for the quorum to elect a controller)."""
        await asyncio.gather(*(node.wait_ready(timeout_s) for node in self.nodes))

    def kill(self, i: int) -> None:
        """SIGKILL node `i` (0-based: `nodes[i]`), as `KafkaServer.kill`."""
        self.nodes[i].kill()

    async def restart(self, i: int, timeout_s: float = 120.0) -> None:
        """Start node `i` again on its data and ports, until it answers."""
        self.nodes[i].start()
        await self.nodes[i].wait_ready(timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        """A controlled shutdown of every node at once (one by one, the last ones would wait
        for a quorum that is gone), SIGKILL for those that take longer than `timeout_s`."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        deadline = time.monotonic() + timeout_s
        for node in self.nodes:
            node.stop(max(0.1, deadline - time.monotonic()))
