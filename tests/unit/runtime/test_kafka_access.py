"""Kafka security settings: rejected together when they do not agree, and turned in one place
into the arguments every client is opened with (aiokafka's and FastStream's the same)."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.kafka.security import parse_security
from pydantic import ValidationError

from workers.errors import ConfigurationError
from workers.runtime.kafka import make_broker, make_producer
from workers.runtime.kafka_access import (
    KafkaAccess,
    as_access,
    broker_security,
    client_security,
    kafka_access,
    refusal,
)
from workers.settings import Settings

SECURITY_ENV = ("PROTOCOL", "SASL_MECHANISM", "SASL_USERNAME", "SASL_PASSWORD", "SSL_CAFILE",
                "SSL_CERTFILE", "SSL_KEYFILE", "SSL_KEY_PASSWORD", "SSL_CHECK_HOSTNAME")


@pytest.fixture(autouse=True)
def no_security_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECURITY_ENV:
        prefix = "LEADMEM_KAFKA_SECURITY_" if name == "PROTOCOL" else "LEADMEM_KAFKA_"
        monkeypatch.delenv(prefix + name, raising=False)


def write_pem(folder: Path, *, key_password: bytes | None = None) -> tuple[Path, Path]:
    """A self-signed certificate and its key as PEM files (the key encrypted with a
    password when given)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(key_password) if key_password
        else serialization.NoEncryption())
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8, encryption))
    return certfile, keyfile


SCRAM: dict[str, Any] = {"kafka_security_protocol": "SASL_SSL",
                         "kafka_sasl_mechanism": "SCRAM-SHA-512",
                         "kafka_sasl_username": "svc", "kafka_sasl_password": "s3cret"}


@pytest.mark.parametrize(("values", "message"), [
    ({"kafka_security_protocol": "SASL_SSL"},
     "SASL_SSL needs LEADMEM_KAFKA_SASL_MECHANISM, LEADMEM_KAFKA_SASL_USERNAME, "
     "LEADMEM_KAFKA_SASL_PASSWORD"),
    ({**SCRAM, "kafka_sasl_password": None}, "SASL_SSL needs LEADMEM_KAFKA_SASL_PASSWORD"),
    ({**SCRAM, "kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": ""},
     "SASL_PLAINTEXT needs LEADMEM_KAFKA_SASL_MECHANISM"),
    ({"kafka_sasl_username": "svc", "kafka_sasl_password": "x"},
     "LEADMEM_KAFKA_SASL_USERNAME, LEADMEM_KAFKA_SASL_PASSWORD set, but "
     "LEADMEM_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
    ({"kafka_ssl_cafile": "/etc/hostname"},
     "LEADMEM_KAFKA_SSL_CAFILE set, but LEADMEM_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
    ({**SCRAM, "kafka_security_protocol": "SASL_PLAINTEXT", "kafka_ssl_cafile": "/etc/hostname"},
     "LEADMEM_KAFKA_SSL_CAFILE set, but LEADMEM_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"},
     "LEADMEM_KAFKA_SSL_CAFILE: no readable file at /nonexistent/ca.pem"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/etc"},
     "LEADMEM_KAFKA_SSL_CAFILE: no readable file at /etc"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_keyfile": "/etc/hostname"},
     "LEADMEM_KAFKA_SSL_KEYFILE needs LEADMEM_KAFKA_SSL_CERTFILE"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_key_password": "x"},
     "LEADMEM_KAFKA_SSL_KEY_PASSWORD needs LEADMEM_KAFKA_SSL_CERTFILE"),
    ({"kafka_security_protocol": "TLS"}, "Input should be 'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT'"),
    ({**SCRAM, "kafka_sasl_mechanism": "GSSAPI"}, "Input should be 'SCRAM-SHA-256'"),
])
def test_security_settings_that_do_not_agree_are_refused_at_start(
        values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)


def test_names_in_any_case_and_empty_variables_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADMEM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("LEADMEM_KAFKA_SASL_MECHANISM", "scram-sha-256")
    monkeypatch.setenv("LEADMEM_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("LEADMEM_KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("LEADMEM_KAFKA_SSL_CAFILE", "")  # compose's ${VAR:-}
    settings = Settings()
    assert (settings.kafka_security_protocol, settings.kafka_sasl_mechanism) == (
        "SASL_SSL", "SCRAM-SHA-256")
    assert settings.kafka_ssl_cafile is None
    monkeypatch.setenv("LEADMEM_KAFKA_SECURITY_PROTOCOL", "")
    for name in ("MECHANISM", "USERNAME", "PASSWORD"):
        monkeypatch.setenv(f"LEADMEM_KAFKA_SASL_{name}", "")
    assert Settings().kafka_security_protocol == "PLAINTEXT"


def test_plaintext_clients_are_opened_as_before() -> None:
    settings = Settings(kafka_bootstrap="kafka:9092")
    assert client_security(settings) == {}
    access = kafka_access(settings)
    assert access == KafkaAccess("kafka:9092") == as_access("kafka:9092")
    assert access.client_kwargs() == {"bootstrap_servers": "kafka:9092"}
    assert broker_security(access) is None


def test_sasl_ssl_with_a_ca_file(tmp_path: Path) -> None:
    cafile, _ = write_pem(tmp_path)
    settings = Settings(kafka_bootstrap="b1:9096,b2:9096", **SCRAM, kafka_ssl_cafile=str(cafile))
    access = kafka_access(settings)
    security = dict(access.security)
    context = security.pop("ssl_context")
    assert security == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                        "sasl_plain_username": "svc", "sasl_plain_password": "s3cret"}
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "test CA"),),)]
    assert access.client_kwargs()["bootstrap_servers"] == "b1:9096,b2:9096"
    assert "s3cret" not in repr(access) and "s3cret" not in str(access)


def test_no_ca_file_trusts_the_system_cas_and_the_host_check_can_be_turned_off() -> None:
    settings = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN",
                        kafka_sasl_username="KEY", kafka_sasl_password="SECRET",
                        kafka_ssl_check_hostname=False)
    context = client_security(settings)["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == len(ssl.create_default_context()
                                                        .get_ca_certs())


def test_sasl_plaintext_has_no_tls() -> None:
    security = client_security(Settings(**{**SCRAM, "kafka_security_protocol": "SASL_PLAINTEXT"}))
    assert "ssl_context" not in security and security["security_protocol"] == "SASL_PLAINTEXT"


def test_a_client_certificate_with_an_encrypted_key(tmp_path: Path) -> None:
    certfile, keyfile = write_pem(tmp_path, key_password=b"kp")
    values: dict[str, Any] = {"kafka_security_protocol": "SSL", "kafka_ssl_cafile": str(certfile),
              "kafka_ssl_certfile": str(certfile), "kafka_ssl_keyfile": str(keyfile)}
    security = client_security(Settings(**values, kafka_ssl_key_password="kp"))
    assert security["security_protocol"] == "SSL"
    with pytest.raises(ConfigurationError, match=r"cannot load the Kafka TLS files .*"
                                                 r"LEADMEM_KAFKA_SSL_KEYFILE="):
        client_security(Settings(**values, kafka_ssl_key_password="wrong"))


def test_a_ca_file_that_is_no_certificate_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(bad))
    with pytest.raises(ConfigurationError, match=f"LEADMEM_KAFKA_SSL_CAFILE={bad}"):
        kafka_access(settings)


@pytest.mark.parametrize(("protocol", "mechanism"), [
    ("SSL", None), ("SASL_SSL", "SCRAM-SHA-512"), ("SASL_SSL", "SCRAM-SHA-256"),
    ("SASL_SSL", "PLAIN"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"), ("SASL_PLAINTEXT", "PLAIN"),
])
def test_faststream_is_given_the_same_security(protocol: str, mechanism: str | None) -> None:
    sasl: dict[str, Any] = {"kafka_sasl_mechanism": mechanism, "kafka_sasl_username": "svc",
                            "kafka_sasl_password": "s3cret"} if mechanism else {}
    access = kafka_access(Settings(kafka_security_protocol=protocol, **sasl))
    given = parse_security(broker_security(access))  # what FastStream's clients are opened with
    assert {k: v for k, v in given.items() if v is not None} == dict(access.security)


async def test_the_workers_broker_and_the_bare_producer_carry_the_security() -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", **SCRAM)
    broker = make_broker(settings, client_id="t")
    kwargs = broker._connection_kwargs
    assert (kwargs["security_protocol"], kwargs["sasl_mechanism"], kwargs["sasl_plain_username"],
            kwargs["sasl_plain_password"]) == ("SASL_SSL", "SCRAM-SHA-512", "svc", "s3cret")
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["enable_idempotence"] is True and kwargs["acks"] == "all"
    producer = make_producer(settings, client_id="t")
    client = producer.client
    assert (client._security_protocol, client._sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert isinstance(client._ssl_context, ssl.SSLContext)
    plain = make_broker(Settings(kafka_bootstrap="127.0.0.1:1"), client_id="t")
    assert "security_protocol" not in plain._connection_kwargs


async def test_nothing_refuses_a_plaintext_client_or_a_broker_that_is_away() -> None:
    assert await refusal(KafkaAccess("127.0.0.1:1")) is None
    away = kafka_access(Settings(kafka_bootstrap="127.0.0.1:1", **SCRAM))
    assert await refusal(away) is None


@pytest.mark.parametrize(("bootstrap", "servers"), [
    ("127.0.0.1:19092", ["127.0.0.1:19092"]),
    ("127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096",
     ["127.0.0.1:19092", "127.0.0.1:19094", "127.0.0.1:19096"]),
    (" kafka-1:9092 , kafka-2:9092,", ["kafka-1:9092", "kafka-2:9092"]),
])
def test_a_clusters_bootstrap_is_every_node(bootstrap: str, servers: list[str]) -> None:
    assert KafkaAccess(bootstrap).servers == servers


def test_the_workers_broker_is_given_every_node_of_a_cluster() -> None:
    """FastStream's KafkaBroker takes a string as ONE address: a cluster's bootstrap given as
    "a:1,b:2" failed every worker ("Name or service not known")."""
    broker = make_broker(Settings(kafka_bootstrap="kafka-1:9092,kafka-2:9092"))
    assert broker._connection_kwargs["bootstrap_servers"] == ["kafka-1:9092", "kafka-2:9092"]
