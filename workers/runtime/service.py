"""A part of the pipeline that consumes no topic: today the webhook receiver, the HTTP edge
that writes `ghl.events`.

A consumer worker is a `WorkerSpec` that `WorkerHost` runs on a FastStream subscriber with
commits, batches and a dead-letter boundary; none of that applies to a service that answers
HTTP requests and only produces. So a service brings its own `run(settings)`, which serves
until SIGTERM/SIGINT, and `leadmem run NAME` awaits it (see `workers.registry`). Services have
no consumer group, so lag probes and the in-process runners (`available()`) leave them out.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from workers.settings import Settings


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    run: Callable[[Settings], Coroutine[Any, Any, None]]
