"""compose.yaml: every service is there, ordered by health, configured with real settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from devtools.kafka import KAFKA_VERSION
from workers.settings import WORKER_PORTS, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
INFRA = {"kafka", "postgres", "redis", "prometheus", "grafana"}
JOBS = {"migrate": ["leadmem", "migrate"], "topics": ["leadmem", "topics"]}
APP = set(WORKER_PORTS) | set(JOBS) | {"console"}


def test_every_service_is_present() -> None:
    assert set(SERVICES) == INFRA | APP


def test_kafka_is_apache_kafka_in_kraft_mode_with_a_health_check() -> None:
    kafka = SERVICES["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # the topics job creates them


def test_images_of_the_backing_services() -> None:
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"].startswith("redis:7")
    for name in INFRA:
        assert "healthcheck" in SERVICES[name], name


@pytest.mark.parametrize("name", sorted(WORKER_PORTS))
def test_workers_run_their_worker_and_wait_for_healthy_dependencies(name: str) -> None:
    svc = SERVICES[name]
    assert svc["command"] == ["leadmem", "run", name]
    assert svc["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "topics": {"condition": "service_completed_successfully"},
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    probe = " ".join(svc["healthcheck"]["test"])
    assert f"http://127.0.0.1:{WORKER_PORTS[name]}/health" in probe
    assert svc["expose"] == [str(WORKER_PORTS[name])]
    assert svc["restart"] == "unless-stopped"
    replicas = svc.get("deploy", {}).get("replicas", 1)
    assert replicas == (2 if name in ("memory", "learning") else 1)
    assert "ports" not in svc or replicas == 1  # replicas cannot share a host port


def test_one_shot_jobs() -> None:
    for name, command in JOBS.items():
        assert SERVICES[name]["command"] == command
        assert SERVICES[name]["restart"] == "no"
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert SERVICES["topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}


@pytest.mark.parametrize("name", sorted(APP))
def test_app_environment_names_are_settings_fields(name: str) -> None:
    env: dict[str, str] = SERVICES[name]["environment"]
    fields = set(Settings.model_fields)
    names = [k for k in env if k.startswith("LEADMEM_")]
    assert names == list(env)  # nothing else configures the app
    unknown = [k for k in names if k.removeprefix("LEADMEM_").lower() not in fields]
    assert not unknown, f"not fields of workers.settings.Settings: {unknown}"


def test_app_environment_points_at_the_compose_services() -> None:
    env: dict[str, str] = SERVICES["ingestion"]["environment"]
    assert env["LEADMEM_KAFKA_BOOTSTRAP"] == "${LEADMEM_KAFKA_BOOTSTRAP:-kafka:9092}"
    assert env["LEADMEM_HTTP_HOST"] == "0.0.0.0"
    app = urlsplit(env["LEADMEM_DATABASE_URL"])
    assert (app.username, app.hostname, app.path) == (Settings().app_role, "postgres", "/leadmem")
    assert app.password and "LEADMEM_APP_ROLE_PASSWORD" in app.password
    assert "LEADMEM_APP_ROLE_PASSWORD" in env["LEADMEM_APP_ROLE_PASSWORD"]
    admin = urlsplit(env["LEADMEM_ADMIN_DATABASE_URL"])
    assert (admin.username, admin.hostname) == ("postgres", "postgres") and admin.password
    pg_password = SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert admin.password == pg_password
    assert urlsplit(env["LEADMEM_REDIS_URL"]).hostname == "redis"


def test_state_lives_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    for name, path in [("kafka", "/var/lib/kafka/data"), ("postgres", "/var/lib/postgresql/data"),
                       ("redis", "/data"), ("prometheus", "/prometheus"),
                       ("grafana", "/var/lib/grafana")]:
        mounts = [v.split(":") for v in SERVICES[name]["volumes"]]
        assert any(src in declared and dst == path for src, dst, *_ in mounts), name


def test_observability_services_mount_infra() -> None:
    for name in ("prometheus", "grafana"):
        for volume in SERVICES[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_dir(), volume


def test_no_backing_service_is_published_and_the_rest_only_on_the_loopback() -> None:
    for name in ("kafka", "postgres", "redis", "prometheus"):
        assert "ports" not in SERVICES[name], name
    assert SERVICES["grafana"]["ports"] == ["127.0.0.1:3000:3000"]
    assert SERVICES["receiver"]["ports"] == ["127.0.0.1:9107:9107"]
    assert SERVICES["console"]["ports"] == ["127.0.0.1:9110:9110"]
    for name, svc in SERVICES.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    listeners = SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert listeners == "PLAINTEXT://kafka:9092"  # nothing advertised for the host


def test_grafana_has_no_default_admin_password() -> None:
    env = SERVICES["grafana"]["environment"]
    password = env["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_ADMIN_PASSWORD:?"), password  # compose refuses unset
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"


def test_prometheus_scrapes_every_worker_by_service_name_and_port() -> None:
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    for name, port in WORKER_PORTS.items():
        (sd,) = jobs[name]["dns_sd_configs"]
        assert (sd["names"], sd["port"]) == ([name], port)
    (sd,) = jobs["console"]["dns_sd_configs"]
    assert (sd["names"], sd["port"]) == (["console"], Settings().console_port)
    assert config["rule_files"] == ["alerts.yml"]


def test_dockerfile_installs_the_project_in_place_with_its_migrations() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "COPY migrations ./migrations" in text and "pip install --no-deps -e ." in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests"} <= set(ignored) and "migrations" not in ignored


def test_kafka_is_the_version_dev_tests_and_bench_run() -> None:
    image: str = SERVICES["kafka"]["image"]
    assert image == f"apache/kafka:{KAFKA_VERSION}"
    pom = (ROOT / "infra/kafka/pom.xml").read_text()
    assert f"<kafka.version>{KAFKA_VERSION}</kafka.version>" in pom


def test_the_console_runs_like_a_worker_on_its_own_port() -> None:
    svc = SERVICES["console"]
    port = Settings().console_port
    assert svc["command"] == ["leadmem", "run", "console"]
    assert svc["depends_on"] == SERVICES["receiver"]["depends_on"]
    assert svc["expose"] == [str(port)]
    assert f"http://127.0.0.1:{port}/health" in " ".join(svc["healthcheck"]["test"])
    assert str(port) in (ROOT / "Dockerfile").read_text().split("EXPOSE", 1)[1].split("\n")[0]
