"""How every Kafka client of the deployment reaches the brokers: their address and the security
the settings name (TLS, SASL), built in one place from `Settings`.

`kafka_access(settings)` is what a client is opened with: the aiokafka keyword arguments
(`KafkaAccess.client_kwargs`, for producers, consumers and admin clients) and FastStream's
security object (`broker_security`, for the workers' `KafkaBroker`) come from the same
`client_security`, so the workers, the receiver, the CLI and the development tools cannot
disagree. A broker that refuses those credentials or whose certificate is not trusted is a
`KafkaAccessRefused` at the client's start (`start_client`), not a connection error retried
until a timeout.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.helpers import create_ssl_context
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

from workers.errors import ConfigurationError
from workers.settings import Settings


class KafkaAccessRefused(ConfigurationError):
    """The broker answered but refused this client: its SASL credentials or mechanism, or its
    certificate is not one the client trusts. Retrying cannot help; fix the settings."""


@dataclass(frozen=True)
class KafkaAccess:
    """The brokers' address and the aiokafka security arguments for them (empty: PLAINTEXT).
    The arguments hold the password: they are left out of the repr."""

    bootstrap: str
    security: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def protocol(self) -> str:
        return str(self.security.get("security_protocol", "PLAINTEXT"))

    @property
    def servers(self) -> list[str]:
        """Each address of `bootstrap` ("host:port,host:port", a cluster's nodes): what
        FastStream's `KafkaBroker` must be given, as it takes a string for ONE address
        (aiokafka's own clients split the string themselves)."""
        return [server.strip() for server in self.bootstrap.split(",") if server.strip()]

    def client_kwargs(self) -> dict[str, Any]:
        """`bootstrap_servers` and the security arguments of an aiokafka client."""
        return {"bootstrap_servers": self.bootstrap, **self.security}

    def __str__(self) -> str:
        return f"{self.bootstrap} ({self.protocol})"


# What the Kafka helpers take: a `KafkaAccess`, or a bare address for a PLAINTEXT broker (the
# dev broker the tests, the demo and the bench start themselves).
Kafka = KafkaAccess | str


def as_access(kafka: Kafka) -> KafkaAccess:
    return kafka if isinstance(kafka, KafkaAccess) else KafkaAccess(kafka)


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context of SSL and SASL_SSL clients (aiokafka's `create_ssl_context`: the CA
    file, else the system's CAs; the client certificate for mutual TLS)."""
    password = settings.kafka_ssl_key_password
    try:
        context = create_ssl_context(
            cafile=settings.kafka_ssl_cafile, certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
            password=password.get_secret_value() if password is not None else None)
    except (ssl.SSLError, OSError, ValueError) as exc:
        files = ", ".join(f"{name}={value}" for name, value in (
            ("LEADMEM_KAFKA_SSL_CAFILE", settings.kafka_ssl_cafile),
            ("LEADMEM_KAFKA_SSL_CERTFILE", settings.kafka_ssl_certfile),
            ("LEADMEM_KAFKA_SSL_KEYFILE", settings.kafka_ssl_keyfile)) if value)
        raise ConfigurationError(
            f"cannot load the Kafka TLS files ({files or 'the system CAs'}): {exc}") from exc
    context.check_hostname = settings.kafka_ssl_check_hostname
    return context


def client_security(settings: Settings) -> dict[str, Any]:
    """The aiokafka security arguments the settings name; {} for PLAINTEXT (aiokafka's
    defaults), so a PLAINTEXT client is opened exactly as before these settings existed."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    security: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        security["ssl_context"] = ssl_context(settings)
    if protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        assert password is not None  # Settings requires it with SASL_*
        security.update(sasl_mechanism=settings.kafka_sasl_mechanism,
                        sasl_plain_username=settings.kafka_sasl_username,
                        sasl_plain_password=password.get_secret_value())
    return security


def kafka_access(settings: Settings) -> KafkaAccess:
    """How this deployment's clients reach Kafka."""
    return KafkaAccess(settings.bootstrap, client_security(settings))


_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
         "SCRAM-SHA-512": SASLScram512}


def broker_security(access: KafkaAccess) -> BaseSecurity | None:
    """The same security as FastStream's `KafkaBroker(security=...)` object, which FastStream
    turns back into these aiokafka arguments for its consumers, producer and admin client."""
    security = access.security
    context = security.get("ssl_context")
    match access.protocol:
        case "PLAINTEXT":
            return None
        case "SSL":
            return BaseSecurity(ssl_context=context)
        case "SASL_SSL" | "SASL_PLAINTEXT":
            sasl = _SASL[security["sasl_mechanism"]]
            return sasl(security["sasl_plain_username"], security["sasl_plain_password"],
                        ssl_context=context)
        case other:
            raise ValueError(f"unknown Kafka security protocol {other!r}")


_REFUSALS = (SaslAuthenticationFailed, AuthenticationFailedError, UnsupportedSaslMechanismError,
             IllegalSaslStateError)


class Startable(Protocol):
    async def start(self) -> None: ...


async def start_client(client: Startable, access: KafkaAccess) -> None:
    """`client.start()` (an aiokafka producer, consumer or admin client opened with `access`);
    brokers that refuse this client are a `KafkaAccessRefused`, not the client's
    KafkaConnectionError ("Unable to bootstrap"), which callers retry as a broker away."""
    try:
        await client.start()
    except KafkaConnectionError as exc:
        reason = await refusal(access)
        if reason is not None:
            raise KafkaAccessRefused(reason) from exc
        raise


async def refusal(access: KafkaAccess, timeout_s: float = 10.0) -> str | None:
    """Why the brokers refuse this client, or None when they do not (they answer, or are
    away: a failure that retrying may cure). Asked after a client failed to start, whose
    error only says it could not bootstrap: one connection to each bootstrap address, with
    the client's TLS and SASL handshake. A PLAINTEXT client has nothing to be refused: None
    at once, so its failures are the client's own, as they always were."""
    if access.protocol == "PLAINTEXT":
        return None
    security = access.security
    for host, port, _ in collect_hosts(access.bootstrap):
        try:
            conn = await asyncio.wait_for(create_conn(
                host, port, client_id="leadmem-access-check", request_timeout_ms=5_000,
                **security), timeout_s)
        except _REFUSALS as exc:
            return (f"Kafka at {host}:{port} refused the {security.get('sasl_mechanism')} "
                    f"authentication of user {security.get('sasl_plain_username')!r}: {exc} "
                    "(check LEADMEM_KAFKA_SASL_MECHANISM, _USERNAME and _PASSWORD)")
        except ssl.SSLCertVerificationError as exc:
            return (f"Kafka at {host}:{port}: its TLS certificate is not trusted: "
                    f"{exc.verify_message} (check LEADMEM_KAFKA_SSL_CAFILE, and that the "
                    "certificate names the host of LEADMEM_KAFKA_BOOTSTRAP)")
        except (KafkaError, OSError, TimeoutError):
            continue
        conn.close()
    return None
