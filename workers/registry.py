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

# Workers that consume nothing (the HTTP edge: `WorkerSpec` with no topics), hosted by
# `WorkerHost` like the others. With no consumer group, `available()` (lag probes, the demo's
# in-process consumers) leaves them out.
EDGE_MODULES: dict[str, str] = {
    "receiver": "workers.receiver.service",
    "listings": "workers.listings.service",  # no HTTP edge: the RESO feeds' periodic sync
    "console": "workers.console.service",  # the admin console's pages (workers/console)
}


def runnable() -> list[str]:
    """Every name `leadmem run` accepts: the consumers, then the edge."""
    return [*WORKER_MODULES, *EDGE_MODULES]


def load_spec(name: str) -> WorkerSpec:
    module = WORKER_MODULES.get(name) or EDGE_MODULES.get(name)
    if module is None:
        raise KeyError(f"unknown worker {name!r}; choose from {', '.join(runnable())}")
    spec = importlib.import_module(module).SPEC
    assert isinstance(spec, WorkerSpec)
    return spec


def available() -> list[str]:
    """Consumer workers whose module exists in this build, in pipeline order."""
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
