"""The workers of the pipeline by name, imported only when asked for."""

from __future__ import annotations

import importlib

from workers.runtime.host import WorkerSpec

WORKER_MODULES: dict[str, str] = {
    "ingestion": "workers.ingestion.worker",
    "memory": "workers.memory.worker",
    "learning": "workers.learning.worker",
    "responder": "workers.responder.worker",
    "outbound": "workers.outbound.worker",
    "metrics": "workers.metrics.worker",
}


def load_spec(name: str) -> WorkerSpec:
    if name not in WORKER_MODULES:
        raise KeyError(f"unknown worker {name!r}; choose from {', '.join(WORKER_MODULES)}")
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
