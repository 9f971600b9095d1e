"""The console on the worker host (`leadmem run console`): a `WorkerSpec` that consumes
nothing, like the webhook receiver. The host opens the workers' role pool (every read and
write of a tenant's data: `TenantDatabase.transaction`, row-level security) and Redis (the
login rate limit), serves the console's routes beside `/health` and `/metrics` on
LEADMEM_CONSOLE_PORT, and closes everything in reverse order. The console adds the admin
role's small pool (opened at the first request: its own tables, the operators'
cross-tenant pages, the DLQ replay ledger) and a producer that connects in the background
(a released draft's `ReplyDrafted`, DLQ replays; `broker` in `/health`)."""

from __future__ import annotations

from workers.console.app import routes
from workers.console.web import AdminPool, Console
from workers.runtime.clients import connect_producer
from workers.runtime.host import Resources, WorkerSpec

NAME = "console"
PRODUCER_CLOSE_S = 5.0


def attach(resources: Resources) -> Console:
    """Wire the console into its host (its `WorkerSpec.build`); returns it (tests)."""
    s = resources.settings
    producer = connect_producer(s, resources.stack, client_id=NAME,
                                close_timeout_s=PRODUCER_CLOSE_S)
    console = Console(s, resources.database, AdminPool(s, resources.stack), resources.cache,
                      producer)
    resources.serve(routes(console))
    resources.add_check("broker", producer.ping)
    return console


def build(resources: Resources) -> None:
    attach(resources)


SPEC = WorkerSpec(name=NAME, topics=(), build=build, needs_db=True, needs_redis=True)
