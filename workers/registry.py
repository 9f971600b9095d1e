"""The workers of the pipeline by name, imported only when asked for."""

from __future__ import annotations

import importlib

from workers.runtime.host import WorkerSpec
from workers.runtime.service import ServiceSpec

WORKER_MODULES: dict[str, str] = {
    "ingestion": "workers.ingestion.worker",
    "memory": "workers.memory.worker",
    "learning": "workers.learning.worker",
    "responder": "workers.responder.worker",
    "outbound": "workers.outbound.worker",
    "metrics": "workers.metrics.worker",
}

# Parts that consume nothing (the HTTP edge): `leadmem run NAME` awaits their own `run`
# instead of hosting them on a WorkerHost; with no consumer group, `available()` (lag probes,
# the demo's in-process workers) leaves them out. See `workers.runtime.service`.
SERVICE_MODULES: dict[str, str] = {
    "receiver": "workers.receiver.service",
}


def runnable() -> list[str]:
    """Every name `leadmem run` accepts: the workers, then the services."""
    return [*WORKER_MODULES, *SERVICE_MODULES]


def load_service(name: str) -> ServiceSpec:
    if name not in SERVICE_MODULES:
        raise KeyError(f"unknown service {name!r}; choose from {', '.join(SERVICE_MODULES)}")
    spec = importlib.import_module(SERVICE_MODULES[name]).SPEC
    assert isinstance(spec, ServiceSpec)
    return spec


def load_spec(name: str) -> WorkerSpec:
    if name not in WORKER_MODULES:
        raise KeyError(f"unknown worker {name!r}; choose from {', '.join(runnable())}")
    spec = importlib.import_module(WORKER_MODULES[name]).SPEC
    assert isinstance(spec, WorkerSpec)
    return spec


def available() -> list[str]:
    """Workers whose module exists in this build, in pipeline order."""
    names = []
    for name, module in WORKER_MODULES.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        names.append(name)
    return names
