"""Handling a consumed batch one tenant group at a time.

A batch mixes partitions and tenants. A handler that offers `handle_group(tenant, records)`
gets each tenant's records of the batch together, in their batch order (so per-tenant order
holds), and handles them in one Postgres transaction: a few round trips per group instead of
a transaction and a dozen statements per record, which is what bounded the pipeline.

The contract of `handle_group`: it either succeeds for every record, or raises having
published nothing and committed nothing (handlers publish after their transaction commits;
a failure after the commit is redelivered-style safe, since every write is idempotent per
event and a re-run re-publishes what the first run stored). On any failure the group is
handled again record by record through the dead-letter boundary, so a poison record is
retried and dead-lettered alone while the rest of its tenant's records are processed once.
Records without a tenant key, and groups of one, go through the boundary directly.

Tenant groups are independent (their own transaction, their own partition order), so up to
`concurrency` of them run at once, for handlers without `handle_group` too (the outbound
connector: one tenant's sends in order, other tenants' sends meanwhile). A worker's time per
batch is mostly waiting for Postgres, Redis, the broker or GHL, and overlapping those waits
is what keeps a hop short. Each tenant's records stay in order inside its own group.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from prometheus_client import Counter

from schemas.envelope import Envelope
from workers.errors import InvalidEventError
from workers.runtime.boundary import DeadLetterBoundary, Handler
from workers.runtime.metrics import HANDLE_SECONDS, RECORDS
from workers.runtime.record import Record

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Envelope)

GROUP_FALLBACKS = Counter(
    "leadmem_group_fallbacks_total",
    "Tenant groups handled again record by record after the grouped attempt failed.",
    ["worker"],
)


@runtime_checkable
class GroupHandler(Protocol):
    def __call__(self, record: Record) -> Awaitable[None]: ...

    def handle_group(self, tenant: str, records: Sequence[Record]) -> Awaitable[None]: ...


def of_tenant(tenant: str, events: Sequence[E]) -> Sequence[E]:
    """`events` decoded from one tenant group, checked to be that tenant's (the key a record
    was grouped by is its event's tenant), so a handler never writes one tenant's event in
    another's transaction; an event of another tenant fails the group (then each record is
    handled alone, and that one dead-lettered)."""
    for event in events:
        if event.tenant_id != tenant:
            raise InvalidEventError("a record's key is not its event's tenant")
    return events


def by_tenant(records: Sequence[Record]) -> list[tuple[str | None, list[Record]]]:
    """Records grouped by tenant key, groups in order of first appearance, records in batch
    order; records with no tenant form one group of their own (handled record by record, in
    batch order: as separate groups they ran concurrently and lost their order)."""
    groups: dict[str, list[Record]] = {}
    out: list[tuple[str | None, list[Record]]] = []
    untenanted: list[Record] | None = None
    for rec in records:
        tenant = rec.tenant_hint
        if not tenant:
            if untenanted is None:
                untenanted = []
                out.append((None, untenanted))
            untenanted.append(rec)
        elif tenant in groups:
            groups[tenant].append(rec)
        else:
            groups[tenant] = [rec]
            out.append((tenant, groups[tenant]))
    return out


async def process_batch(worker: str, records: Sequence[Record], handler: Handler,
                        boundary: DeadLetterBoundary,
                        clock: Callable[[], float] = time.perf_counter,
                        concurrency: int = 1) -> None:
    """Handle a batch tenant by tenant, up to `concurrency` tenants at once: a tenant's records
    together where the handler can (`handle_group`), else one by one, always in batch order.
    The first failure cancels the other tenants and is raised as itself, so the batch is not
    committed and comes back."""
    groups = by_tenant(records)
    if concurrency <= 1 or len(groups) == 1:
        for tenant, group in groups:
            await _handle_group(worker, tenant, group, handler, boundary, clock)
        return
    limit = asyncio.Semaphore(concurrency)

    async def run(tenant: str | None, group: list[Record]) -> None:
        async with limit:
            await _handle_group(worker, tenant, group, handler, boundary, clock)

    try:
        async with asyncio.TaskGroup() as tasks:
            for tenant, group in groups:
                tasks.create_task(run(tenant, group))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def _handle_group(worker: str, tenant: str | None, group: list[Record],
                        handler: Handler, boundary: DeadLetterBoundary,
                        clock: Callable[[], float]) -> None:
    if isinstance(handler, GroupHandler) and tenant is not None and len(group) > 1:
        started = clock()
        try:
            await handler.handle_group(tenant, group)
        except Exception as exc:  # anything: the boundary sorts it out record by record
            GROUP_FALLBACKS.labels(worker).inc()
            log.warning("%s: group of %d records of %s failed (%r); handling them one "
                        "by one", worker, len(group), tenant, exc)
        else:
            each = (clock() - started) / len(group)
            for rec in group:
                RECORDS.labels(worker, rec.topic, "ok").inc()
                HANDLE_SECONDS.labels(worker).observe(each)
            return
    for rec in group:
        await boundary.process(rec, handler)
